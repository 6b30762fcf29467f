//! The keyboard: one table of keys and what they do, read by the logic step (as [`Command`]s) and
//! listed by the help overlay (`?`), so that the two never disagree.

use egui::{Key, Modifiers};

use super::objects::Part;
use super::{Command, dialog};

/// What a key does, for the table below.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    Next,
    Prev,
    First,
    Last,
    Open,
    Export,
    NextClass,
    PrevClass,
    Inspector,
    Close,
    Help,
    /// The Gallery's selection becomes class `n` (0-based).
    SetClass(u32),
    Exclude,
    Tag,
    Undo,
    Redo,
    Overlay(Part),
}

/// Every key, with its modifiers, the name the help shows, and what it does.
const KEYS: &[(Modifiers, Key, &str, Action, &str)] = &[
    (
        Modifiers::NONE,
        Key::ArrowRight,
        "Right arrow",
        Action::Next,
        "next batch",
    ),
    (
        Modifiers::NONE,
        Key::PageDown,
        "Page Down",
        Action::Next,
        "next batch",
    ),
    (
        Modifiers::NONE,
        Key::ArrowLeft,
        "Left arrow",
        Action::Prev,
        "previous batch",
    ),
    (
        Modifiers::NONE,
        Key::PageUp,
        "Page Up",
        Action::Prev,
        "previous batch",
    ),
    (
        Modifiers::NONE,
        Key::Home,
        "Home",
        Action::First,
        "first batch",
    ),
    (Modifiers::NONE, Key::End, "End", Action::Last, "last batch"),
    (
        Modifiers::COMMAND,
        Key::O,
        "Ctrl+O",
        Action::Open,
        "open a dataset folder",
    ),
    (
        Modifiers::COMMAND,
        Key::E,
        "Ctrl+E",
        Action::Export,
        "show the export panel; again: export",
    ),
    // Before plain C: egui's key matching ignores an extra Shift.
    (
        Modifiers::SHIFT,
        Key::C,
        "Shift+C",
        Action::PrevClass,
        "highlight the previous class",
    ),
    (
        Modifiers::NONE,
        Key::C,
        "C",
        Action::NextClass,
        "highlight the next class",
    ),
    (
        Modifiers::NONE,
        Key::I,
        "I",
        Action::Inspector,
        "inspect the first image, or close the inspector",
    ),
    (
        Modifiers::NONE,
        Key::Escape,
        "Esc",
        Action::Close,
        "close the inspector, the help or the highlight",
    ),
    (
        Modifiers::NONE,
        Key::Num1,
        "1 … 9",
        Action::SetClass(0),
        "Gallery: set the selection's class to the 1st … 9th",
    ),
    (Modifiers::NONE, Key::Num2, "2", Action::SetClass(1), ""),
    (Modifiers::NONE, Key::Num3, "3", Action::SetClass(2), ""),
    (Modifiers::NONE, Key::Num4, "4", Action::SetClass(3), ""),
    (Modifiers::NONE, Key::Num5, "5", Action::SetClass(4), ""),
    (Modifiers::NONE, Key::Num6, "6", Action::SetClass(5), ""),
    (Modifiers::NONE, Key::Num7, "7", Action::SetClass(6), ""),
    (Modifiers::NONE, Key::Num8, "8", Action::SetClass(7), ""),
    (Modifiers::NONE, Key::Num9, "9", Action::SetClass(8), ""),
    (
        Modifiers::NONE,
        Key::X,
        "X",
        Action::Exclude,
        "Gallery: exclude the selection from exports, or include it again",
    ),
    (
        Modifiers::NONE,
        Key::T,
        "T",
        Action::Tag,
        "Gallery: type a tag for the selection",
    ),
    // Before Ctrl+Z: egui's key matching ignores an extra Shift.
    (
        Modifiers::COMMAND.plus(Modifiers::SHIFT),
        Key::Z,
        "Ctrl+Shift+Z",
        Action::Redo,
        "Gallery: redo",
    ),
    (
        Modifiers::COMMAND,
        Key::Z,
        "Ctrl+Z",
        Action::Undo,
        "Gallery: undo the last tag, class or exclusion",
    ),
    (
        Modifiers::NONE,
        Key::B,
        "B",
        Action::Overlay(Part::Boxes),
        "annotated images: draw the boxes, or hide them",
    ),
    (
        Modifiers::NONE,
        Key::N,
        "N",
        Action::Overlay(Part::Names),
        "annotated images: draw the class names on the boxes, or hide them",
    ),
    (
        Modifiers::NONE,
        Key::M,
        "M",
        Action::Overlay(Part::Masks),
        "annotated images: draw the masks, or hide them",
    ),
    (
        Modifiers::NONE,
        Key::Questionmark,
        "?",
        Action::Help,
        "show or hide this help",
    ),
    (
        Modifiers::NONE,
        Key::F1,
        "F1",
        Action::Help,
        "show or hide this help",
    ),
];

/// The order of the help's rows (the table's order is the order keys are matched in).
const HELP_ORDER: [Action; 19] = [
    Action::Next,
    Action::Prev,
    Action::First,
    Action::Last,
    Action::Open,
    Action::Export,
    Action::NextClass,
    Action::PrevClass,
    Action::Inspector,
    Action::Close,
    Action::SetClass(0),
    Action::Exclude,
    Action::Tag,
    Action::Undo,
    Action::Redo,
    Action::Overlay(Part::Boxes),
    Action::Overlay(Part::Names),
    Action::Overlay(Part::Masks),
    Action::Help,
];

/// The state the keys act on.
pub struct Context {
    /// The highlighted class.
    pub highlight: Option<u32>,
    /// Classes of the open dataset.
    pub classes: usize,
    /// Whether the inspector or the help is open (Esc closes them first).
    pub inspector_open: bool,
    /// Whether the help overlay is open.
    pub help_open: bool,
}

/// The commands of the keys pressed this frame (call only when no text field has the keyboard).
pub fn pressed(ctx: &egui::Context, state: &Context) -> Vec<Command> {
    ctx.input_mut(|i| {
        let mut commands = Vec::new();
        // Shift+C is checked before C: a key with Shift counts as pressed without it too (which is
        // also what takes `?`, Shift+/ on most layouts).
        for &(modifiers, key, _, action, _) in KEYS {
            if i.consume_key(modifiers, key) {
                commands.extend(command(action, state));
            }
        }
        commands
    })
}

fn command(action: Action, state: &Context) -> Option<Command> {
    let classes = u32::try_from(state.classes).unwrap_or(u32::MAX);
    Some(match action {
        Action::Next => Command::Next,
        Action::Prev => Command::Prev,
        Action::First => Command::First,
        Action::Last => Command::Last,
        Action::Open => Command::PickFolder(dialog::Purpose::OpenDataset),
        Action::Export => Command::ExportAsked,
        Action::NextClass if classes > 0 => {
            Command::Highlight(Some(state.highlight.map_or(0, |c| (c + 1) % classes)))
        }
        Action::PrevClass if classes > 0 => Command::Highlight(Some(
            state
                .highlight
                .map_or(classes - 1, |c| (c + classes - 1) % classes),
        )),
        Action::NextClass | Action::PrevClass => return None,
        Action::Inspector => Command::InspectCurrent,
        Action::Close if state.help_open => Command::ToggleHelp,
        Action::Close if state.inspector_open => Command::CloseInspector,
        Action::Close => Command::Highlight(None),
        Action::Help => Command::ToggleHelp,
        Action::SetClass(class) => Command::GalleryClass(class),
        Action::Exclude => Command::GalleryExclude,
        Action::Tag => Command::GalleryTag,
        Action::Undo => Command::Undo,
        Action::Redo => Command::Redo,
        Action::Overlay(part) => Command::ToggleOverlay(part),
    })
}

/// The help overlay: every key and what it does. Returns true when the user closed it.
pub fn help_ui(ctx: &egui::Context) -> bool {
    let modal = egui::Modal::new(egui::Id::unique("keyboard_help")).show(ctx, |ui| {
        ui.heading("Keyboard");
        ui.add_space(6.0);
        egui::Grid::new("keys_grid")
            .num_columns(2)
            .spacing([24.0, 6.0])
            .striped(true)
            .show(ui, |ui| {
                for action in HELP_ORDER {
                    let Some(&(.., what)) = KEYS.iter().find(|k| k.3 == action) else {
                        continue;
                    };
                    // Keys doing the same thing share a row.
                    let names: Vec<&str> = KEYS
                        .iter()
                        .filter(|k| k.3 == action)
                        .map(|k| k.2)
                        .collect();
                    ui.strong(names.join("  /  "));
                    ui.label(what);
                    ui.end_row();
                }
            });
        ui.add_space(8.0);
        ui.weak("Keys work when no text field has the focus. Drop a folder or file on the window to open it.");
        ui.add_space(4.0);
        ui.vertical_centered(|ui| ui.button("Close").clicked()).inner
    });
    modal.inner || modal.should_close()
}
