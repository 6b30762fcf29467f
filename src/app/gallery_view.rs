//! The Gallery view: a filter bar (class, subset, health finding, object class and count of an
//! annotated dataset, problems, tag, path), the sort,
//! "showing N of M", and every sample that passes in a virtualised grid (only the rows in view are
//! drawn and their thumbnails loaded), or one row per class, expandable. Click selects (and opens
//! the inspector), Ctrl-click adds, Shift-click takes a range; the selection is tagged, relabelled
//! or excluded from the bar above the grid or by keys (see [`super::keys`]).

use egui::{Color32, RichText, Vec2};

use super::gallery::{Click, Gallery};
use super::grid::class_color;
use crate::export::manifest_path_bytes;
use crate::health::FlagKind;
use crate::index::DatasetIndex;
use crate::options::Subset;
use crate::query::{HealthFilter, SortKey};

/// Edge of a thumbnail tile in points.
const TILE: f32 = 84.0;
/// Height of a class header row in group mode.
const HEADER: f32 = 26.0;
/// Width of the tag's label, field and button.
const TAG_GROUP_WIDTH: f32 = 240.0;

/// What the user asked for in the Gallery this frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Open the inspector on this sample.
    Inspect(usize),
    /// Show the batch holding this sample.
    ShowInBatch(usize),
}

/// Draws the Gallery of `index`; returns what the app must do.
/// `layout` is the grid as last laid out, kept by the caller beside the Gallery.
pub fn gallery_ui(
    ui: &mut egui::Ui,
    gallery: &mut Gallery,
    layout: &mut Option<GridLayout>,
    index: &DatasetIndex,
) -> Option<Action> {
    let mut action = None;
    filter_bar(ui, gallery, index);
    sort_bar(ui, gallery);
    edit_bar(ui, gallery, index, &mut action);
    corrections_bar(ui, gallery, index);
    ui.separator();
    if let Some(error) = &gallery.error {
        ui.colored_label(ui.visuals().error_fg_color, error);
        return action;
    }
    if gallery.table().is_none() {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(format!(
                "Listing {} samples with their classes and paths…",
                thousands(index.samples.len())
            ));
        });
        return action;
    }
    if gallery.shown.is_empty() {
        ui.add_space(24.0);
        ui.vertical_centered(|ui| {
            ui.heading("No sample passes these filters");
            ui.weak("Clear a filter, or widen the path pattern.");
        });
        gallery.visible.clear();
        return action;
    }
    grid(ui, gallery, layout, index, &mut action);
    action
}

fn filter_bar(ui: &mut egui::Ui, gallery: &mut Gallery, index: &DatasetIndex) {
    let mut changed = false;
    ui.horizontal_wrapped(|ui| {
        ui.label("Filter:");
        let classes = &mut gallery.query.classes;
        let title = match classes.len() {
            0 => "Class: all".to_owned(),
            1 => format!("Class: {}", name_of(index, classes[0])),
            n => format!("Class: {n} of {}", index.class_names.len()),
        };
        let names = index.class_names.iter().enumerate().map(|(c, name)| {
            let c = c as u32;
            (c, RichText::new(name).color(class_color(c)))
        });
        changed |= checklist(ui, title, true, names, classes);
        if gallery.has_subsets {
            for (subset, name) in [
                (Subset::Training, "training"),
                (Subset::Validation, "validation"),
            ] {
                let mut on = gallery.query.subsets.contains(&subset);
                if ui.checkbox(&mut on, name).changed() {
                    toggle(&mut gallery.query.subsets, subset, on);
                    changed = true;
                }
            }
        }
        let has_health = gallery.table().is_some_and(crate::query::Table::has_health);
        let health = &mut gallery.query.health;
        let title = if health.is_empty() {
            "Health: any".to_owned()
        } else {
            let names: Vec<String> = health.iter().map(|h| health_name(*h)).collect();
            format!("Health: {}", names.join(", "))
        };
        let choices = FlagKind::ALL
            .iter()
            .map(|&k| HealthFilter::Flag(k))
            .chain([HealthFilter::Duplicate, HealthFilter::Leak])
            .map(|f| (f, RichText::new(health_name(f))));
        let enabled = has_health || !health.is_empty();
        changed |= checklist(ui, title, enabled, choices, health);
        changed |= objects_filter(ui, gallery);
        changed |= ui
            .checkbox(&mut gallery.problems_only, "problems only")
            .changed();
        let tags: Vec<String> = gallery
            .edits
            .tag_names()
            .into_iter()
            .map(str::to_owned)
            .collect();
        let chosen = &mut gallery.query.tags;
        let title = if chosen.is_empty() {
            "Tag: any".to_owned()
        } else {
            format!("Tag: {}", chosen.join(", "))
        };
        let enabled = !tags.is_empty() || !chosen.is_empty();
        let tags = tags.into_iter().map(|t| (t.clone(), RichText::new(t)));
        changed |= checklist(ui, title, enabled, tags, chosen);
        let path = ui.add(
            egui::TextEdit::singleline(&mut gallery.path_text)
                .hint_text("path contains, or a glob")
                .desired_width(160.0),
        );
        changed |= path.changed();
        if ui.button("Clear filters").clicked() {
            let sort = (gallery.query.sort, gallery.query.descending);
            gallery.query = crate::query::Query::default();
            (gallery.query.sort, gallery.query.descending) = sort;
            gallery.path_text.clear();
            gallery.objects_text.clear();
            gallery.problems_only = false;
            changed = true;
        }
    });
    if changed {
        gallery.refresh();
    }
}

/// The object filters of an annotated dataset: a class menu (an object of any ticked class) and
/// the count as `batchscope list --objects` spells it. Nothing for a dataset without annotations.
fn objects_filter(ui: &mut egui::Ui, gallery: &mut Gallery) -> bool {
    let names: Vec<String> = match gallery.table() {
        Some(table) if table.has_objects() => table.object_class_names().to_vec(),
        _ => return false,
    };
    let chosen = &mut gallery.query.object_classes;
    let title = match chosen.len() {
        0 => "Objects: any".to_owned(),
        1 => format!(
            "Objects: {}",
            names.get(chosen[0] as usize).map_or("?", String::as_str)
        ),
        n => format!("Objects: {n} of {} classes", names.len()),
    };
    let choices = names.into_iter().enumerate().map(|(c, name)| {
        let c = c as u32;
        (c, RichText::new(name).color(class_color(c)))
    });
    let mut changed = checklist(ui, title, true, choices, chosen);
    let label = ui.label("count");
    changed |= ui
        .add(
            egui::TextEdit::singleline(&mut gallery.objects_text)
                .hint_text("2..5, 3.., 0")
                .desired_width(64.0),
        )
        .labelled_by(label.id)
        .on_hover_text("Objects in the image: MIN..MAX, MIN.., ..MAX or N, both ends included")
        .changed();
    changed
}

/// A menu `title` of a checkbox per choice, ticked when `chosen` holds it; whether one changed.
fn checklist<T: PartialEq + Clone>(
    ui: &mut egui::Ui,
    title: String,
    enabled: bool,
    choices: impl Iterator<Item = (T, RichText)>,
    chosen: &mut Vec<T>,
) -> bool {
    let mut changed = false;
    ui.add_enabled_ui(enabled, |ui| {
        multi_select(ui, title, |ui| {
            egui::ScrollArea::vertical()
                .max_height(320.0)
                .show(ui, |ui| {
                    for (value, text) in choices {
                        let mut on = chosen.contains(&value);
                        if ui.checkbox(&mut on, text).changed() {
                            toggle(chosen, value, on);
                            changed = true;
                        }
                    }
                });
        });
    })
    .response
    .on_disabled_hover_text("Nothing to choose yet: run a health pass, or tag samples.");
    changed
}

/// `value` in `list` (once) when `on`, out of it otherwise.
fn toggle<T: PartialEq>(list: &mut Vec<T>, value: T, on: bool) {
    list.retain(|v| *v != value);
    if on {
        list.push(value);
    }
}

/// A menu of checkboxes that stays open while they are ticked (a click outside closes it).
fn multi_select(ui: &mut egui::Ui, title: String, content: impl FnOnce(&mut egui::Ui)) {
    let config = egui::containers::menu::MenuConfig::new()
        .close_behavior(egui::PopupCloseBehavior::CloseOnClickOutside);
    egui::containers::menu::MenuButton::new(title)
        .config(config)
        .ui(ui, content);
}

fn sort_bar(ui: &mut egui::Ui, gallery: &mut Gallery) {
    let has_health = gallery.table().is_some_and(crate::query::Table::has_health);
    let has_objects = gallery
        .table()
        .is_some_and(crate::query::Table::has_objects);
    ui.horizontal_wrapped(|ui| {
        let label = ui.label("Sort:");
        let before = (gallery.query.sort, gallery.query.descending);
        egui::ComboBox::from_id_salt("gallery_sort")
            .selected_text(sort_name(gallery.query.sort))
            .show_ui(ui, |ui| {
                for key in SortKey::ALL {
                    let (enabled, why) = if key == SortKey::NumObjects {
                        (has_objects, "for a dataset that annotates objects")
                    } else {
                        (
                            has_health || !key.needs_health(),
                            "measured by the health pass: run it first",
                        )
                    };
                    ui.add_enabled_ui(enabled, |ui| {
                        ui.selectable_value(&mut gallery.query.sort, key, sort_name(key))
                            .on_disabled_hover_text(why);
                    });
                }
            })
            .response
            .labelled_by(label.id);
        ui.checkbox(&mut gallery.query.descending, "descending");
        if (gallery.query.sort, gallery.query.descending) != before {
            gallery.refresh();
        }
        ui.checkbox(&mut gallery.group_by_class, "group by class");
        ui.separator();
        ui.strong(format!(
            "showing {} of {}",
            thousands(gallery.shown.len()),
            thousands(gallery.total)
        ))
        .on_hover_text(format!("filtered and sorted in {:.1} ms", gallery.query_ms));
    });
}

fn edit_bar(
    ui: &mut egui::Ui,
    gallery: &mut Gallery,
    index: &DatasetIndex,
    action: &mut Option<Action>,
) {
    ui.horizontal_wrapped(|ui| {
        ui.label(format!("{} selected", thousands(gallery.selected.len())));
        if ui.button("Select all shown").clicked() {
            gallery.select_all_shown();
        }
        if ui
            .add_enabled(
                !gallery.selected.is_empty(),
                egui::Button::new("Clear selection"),
            )
            .clicked()
        {
            gallery.selected.clear();
        }
        ui.separator();
        let some = !gallery.selected.is_empty();
        ui.add_enabled_ui(some && !index.class_names.is_empty(), |ui| {
            ui.menu_button("Set class", |ui| {
                egui::ScrollArea::vertical()
                    .max_height(320.0)
                    .show(ui, |ui| {
                        for (c, name) in index.class_names.iter().enumerate() {
                            let key = if c < 9 {
                                format!("{}  ", c + 1)
                            } else {
                                String::new()
                            };
                            if ui.button(format!("{key}{name}")).clicked() {
                                gallery.set_class(index, c as u32);
                                ui.close();
                            }
                        }
                    });
            });
        });
        if ui
            .add_enabled(some, egui::Button::new("Exclude / include"))
            .on_hover_text(
                "Mark the selection to be left out of exports, or take the mark away (X)",
            )
            .clicked()
        {
            gallery.toggle_exclude(index);
        }
        // The tag's label, field and button stay on one line: on the next one when they do not fit
        // (a group placed in too little room would widen the whole view past its panel).
        if ui.available_size_before_wrap().x < TAG_GROUP_WIDTH {
            ui.end_row();
        }
        ui.horizontal(|ui| {
            let tag_label = ui.label("Tag");
            let field = ui
                .add(
                    egui::TextEdit::singleline(&mut gallery.tag_text)
                        .hint_text("tag (T)")
                        .desired_width(90.0),
                )
                .labelled_by(tag_label.id);
            if std::mem::take(&mut gallery.focus_tag) {
                field.request_focus();
            }
            let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if ui.add_enabled(some, egui::Button::new("Add tag")).clicked() || (entered && some) {
                gallery.tag(index);
            }
        });
        let (undo, redo) = gallery.can_undo_redo();
        if ui
            .add_enabled(undo, egui::Button::new("Undo"))
            .on_hover_text("Ctrl+Z")
            .clicked()
        {
            gallery.undo();
        }
        if ui
            .add_enabled(redo, egui::Button::new("Redo"))
            .on_hover_text("Ctrl+Shift+Z")
            .clicked()
        {
            gallery.redo();
        }
        if let Some(&first) = gallery.selected.first()
            && ui.button("Show in batch").clicked()
        {
            *action = Some(Action::ShowInBatch(first));
        }
    });
}

/// `3 edited samples · corrections.csv: [path] [Write corrections…]` and the last notice.
fn corrections_bar(ui: &mut egui::Ui, gallery: &mut Gallery, index: &DatasetIndex) {
    ui.horizontal_wrapped(|ui| {
        let label = ui.label(format!(
            "{} edited samples · corrections.csv:",
            gallery.edits.len()
        ));
        if gallery.corrections_path.is_empty() {
            gallery.corrections_path = index
                .root
                .parent()
                .unwrap_or(&index.root)
                .join("corrections.csv")
                .display()
                .to_string();
        }
        ui.add(egui::TextEdit::singleline(&mut gallery.corrections_path).desired_width(260.0))
            .labelled_by(label.id);
        if ui
            .add_enabled(
                !gallery.edits.is_empty(),
                egui::Button::new("Write corrections…"),
            )
            .on_hover_text(
                "path,old_class,new_class,exclude,tags: batchscope export --corrections applies it",
            )
            .clicked()
        {
            gallery.write_corrections(index);
        }
    });
    if let Some(notice) = &gallery.notice {
        ui.weak(notice);
    }
}

/// One row of the grid: a class header (group mode) or tiles (a range of [`GridLayout::order`]).
enum Row {
    Header {
        class: Option<u32>,
        count: usize,
        open: bool,
    },
    Tiles(std::ops::Range<usize>),
}

/// The grid's rows and where each starts, made when the samples shown, the width or the grouping
/// change, so that a frame costs the rows in view whatever the number of samples.
pub struct GridLayout {
    /// What it was made for: the result's generation, tiles per row, tile height, grouping and
    /// the classes expanded.
    key: (u64, usize, u32, bool, Vec<u32>),
    /// Positions in `shown`, in the order drawn.
    order: Vec<usize>,
    rows: Vec<Row>,
    /// Each row's top, and the total height after the last.
    tops: Vec<f32>,
}

impl GridLayout {
    /// The rows for `gallery`: its samples `per_row` at a time, or per class (in class order,
    /// unlabelled last, the sort kept within each) under a header with its count.
    fn of(gallery: &Gallery, index: &DatasetIndex, per_row: usize, tile_h: f32) -> Self {
        let key = layout_key(gallery, per_row, tile_h);
        let mut order = Vec::with_capacity(gallery.shown.len());
        let mut rows = Vec::new();
        let push_tiles = |order: &mut Vec<usize>, rows: &mut Vec<Row>, positions: &[usize]| {
            let start = order.len();
            order.extend_from_slice(positions);
            for first in (start..order.len()).step_by(per_row) {
                rows.push(Row::Tiles(first..(first + per_row).min(order.len())));
            }
        };
        if gallery.group_by_class {
            let mut groups: std::collections::BTreeMap<Option<u32>, Vec<usize>> =
                std::collections::BTreeMap::default();
            for (at, &sample) in gallery.shown.iter().enumerate() {
                let label = index.samples.get(sample).and_then(|s| s.label);
                groups.entry(label).or_default().push(at);
            }
            let ordered = groups
                .iter()
                .filter(|(k, _)| k.is_some())
                .chain(groups.iter().filter(|(k, _)| k.is_none()));
            for (&class, positions) in ordered {
                let open = class.is_some_and(|c| gallery.expanded.contains(&c));
                rows.push(Row::Header {
                    class,
                    count: positions.len(),
                    open,
                });
                if open {
                    push_tiles(&mut order, &mut rows, positions);
                }
            }
        } else {
            let all: Vec<usize> = (0..gallery.shown.len()).collect();
            push_tiles(&mut order, &mut rows, &all);
        }
        let mut tops = Vec::with_capacity(rows.len() + 1);
        let mut y = 0.0f32;
        for row in &rows {
            tops.push(y);
            y += match row {
                Row::Header { .. } => HEADER,
                Row::Tiles(_) => tile_h,
            };
        }
        tops.push(y);
        Self {
            key,
            order,
            rows,
            tops,
        }
    }
}

fn layout_key(gallery: &Gallery, per_row: usize, tile_h: f32) -> (u64, usize, u32, bool, Vec<u32>) {
    let expanded = if gallery.group_by_class {
        gallery.expanded.iter().copied().collect()
    } else {
        Vec::new()
    };
    (
        gallery.generation,
        per_row,
        tile_h.to_bits(),
        gallery.group_by_class,
        expanded,
    )
}

fn tile_height(ui: &egui::Ui) -> f32 {
    TILE + ui.text_style_height(&egui::TextStyle::Small) + 3.0 * ui.spacing().item_spacing.y
}

fn tiles_per_row(ui: &egui::Ui) -> usize {
    let spacing = ui.spacing().item_spacing.x;
    // What is visible: a scroll area's content can be laid out wider than the area shows.
    let visible = ui.clip_rect().right() - ui.max_rect().left();
    let width = ui.available_width().min(visible) - 4.0;
    ((width + spacing) / (TILE + spacing)).floor().max(1.0) as usize
}

/// The rows, virtualised: only those in the viewport are laid out.
fn grid(
    ui: &mut egui::Ui,
    gallery: &mut Gallery,
    kept: &mut Option<GridLayout>,
    index: &DatasetIndex,
    action: &mut Option<Action>,
) {
    let tile_h = tile_height(ui);
    let mut layout = kept.take();
    let mut visible = Vec::new();
    let mut clicks = Vec::new();
    let mut toggles = Vec::new();
    egui::ScrollArea::vertical()
        .id_salt("gallery_grid")
        .auto_shrink([false, false])
        .show_viewport(ui, |ui, viewport| {
            // The tiles that fit the width inside the scroll area (beside its bar).
            let per_row = tiles_per_row(ui);
            let layout = match layout.take() {
                Some(l) if l.key == layout_key(gallery, per_row, tile_h) => layout.insert(l),
                _ => layout.insert(GridLayout::of(gallery, index, per_row, tile_h)),
            };
            ui.set_height(layout.tops.last().copied().unwrap_or(0.0));
            let first = layout
                .tops
                .partition_point(|&top| top + 1.0 < viewport.min.y)
                .saturating_sub(1);
            let origin = ui.min_rect().min;
            for (k, row) in layout.rows.iter().enumerate().skip(first) {
                let top = layout.tops[k];
                if top > viewport.max.y {
                    break;
                }
                let rect = egui::Rect::from_min_size(
                    origin + Vec2::new(0.0, top),
                    Vec2::new(ui.available_width(), layout.tops[k + 1] - top),
                );
                let mut row_ui = ui.new_child(
                    egui::UiBuilder::new()
                        .max_rect(rect)
                        .layout(egui::Layout::left_to_right(egui::Align::Min)),
                );
                match row {
                    Row::Header { class, count, open } => {
                        if header(&mut row_ui, index, *class, *count, *open)
                            && let Some(c) = class
                        {
                            toggles.push(*c);
                        }
                    }
                    Row::Tiles(range) => {
                        for &at in &layout.order[range.clone()] {
                            let sample = gallery.shown[at];
                            visible.push(sample);
                            if let Some(click) = tile(&mut row_ui, gallery, index, sample) {
                                clicks.push((at, click));
                            }
                        }
                    }
                }
            }
        });
    *kept = layout;
    for c in toggles {
        if !gallery.expanded.remove(&c) {
            gallery.expanded.insert(c);
        }
    }
    for (at, click) in clicks {
        gallery.click(at, click);
        if click == Click::Plain {
            *action = Some(Action::Inspect(gallery.shown[at]));
        }
    }
    gallery.visible = visible;
}

/// A class's header in group mode: `+ cat (120)`; whether it was clicked.
fn header(
    ui: &mut egui::Ui,
    index: &DatasetIndex,
    class: Option<u32>,
    count: usize,
    open: bool,
) -> bool {
    let name = class.map_or_else(|| "no label".to_owned(), |c| name_of(index, c));
    let sign = if open { "-" } else { "+" };
    let text = RichText::new(format!("{sign} {name} ({})", thousands(count)))
        .strong()
        .color(class.map_or(Color32::GRAY, class_color));
    ui.selectable_label(open, text).clicked()
}

/// One sample: its thumbnail (outlined when selected) and a caption with its class (and the new
/// one), its tags, and whether it is excluded.
fn tile(
    ui: &mut egui::Ui,
    gallery: &Gallery,
    index: &DatasetIndex,
    sample: usize,
) -> Option<Click> {
    let s = index.samples.get(sample)?;
    let path = String::from_utf8_lossy(&manifest_path_bytes(&s.rel_path)).into_owned();
    let edit = gallery.edits.get(&path);
    let selected = gallery.selected.contains(&sample);
    let mut clicked = None;
    ui.vertical(|ui| {
        ui.set_width(TILE);
        let size = Vec2::splat(TILE - 4.0);
        let response = if let Some(texture) = gallery.thumbs.get(sample) {
            let tint = if edit.is_some_and(|e| e.exclude) {
                Color32::from_gray(90)
            } else {
                Color32::WHITE
            };
            ui.add(
                egui::Image::new(texture)
                    .fit_to_exact_size(size)
                    .maintain_aspect_ratio(true)
                    .tint(tint)
                    .sense(egui::Sense::click()),
            )
        } else {
            let (rect, response) = ui.allocate_exact_size(size, egui::Sense::click());
            let fill = if gallery.thumbs.failed(sample) {
                Color32::from_rgb(70, 20, 20)
            } else {
                ui.visuals().faint_bg_color
            };
            ui.painter().rect_filled(rect, 3.0, fill);
            response
        };
        let name = format!("sample {path}");
        response
            .widget_info(|| egui::WidgetInfo::selected(egui::Role::Button, true, selected, &name));
        if selected {
            ui.painter().rect_stroke(
                response.rect,
                2.0,
                (3.0, ui.visuals().selection.stroke.color),
                egui::StrokeKind::Outside,
            );
        }
        let response = response.on_hover_ui(|ui| {
            ui.label(&path);
            if let Some(edit) = edit {
                if let Some(new) = &edit.new_class {
                    ui.label(format!("relabelled as {new}"));
                }
                if edit.exclude {
                    ui.label("excluded from exports");
                }
                if !edit.tags.is_empty() {
                    ui.label(format!(
                        "tags: {}",
                        edit.tags.iter().cloned().collect::<Vec<_>>().join(", ")
                    ));
                }
            }
        });
        if response.clicked() {
            let m = ui.input(|i| i.modifiers);
            clicked = Some(if m.shift {
                Click::Range { add: m.command }
            } else if m.command {
                Click::Toggle
            } else {
                Click::Plain
            });
        }
        let own = s
            .label
            .map_or_else(|| "–".to_owned(), |l| name_of(index, l));
        let caption = match edit {
            Some(e) if e.exclude => RichText::new(own).strikethrough(),
            Some(e) => match &e.new_class {
                Some(new) => RichText::new(format!("{own} -> {new}")).strong(),
                None => RichText::new(own),
            },
            None => RichText::new(own),
        };
        let caption = caption
            .small()
            .color(s.label.map_or(Color32::GRAY, class_color));
        ui.add(egui::Label::new(caption).truncate());
    });
    clicked
}

fn name_of(index: &DatasetIndex, class: u32) -> String {
    index
        .class_names
        .get(class as usize)
        .cloned()
        .unwrap_or_else(|| class.to_string())
}

fn health_name(filter: HealthFilter) -> String {
    match filter {
        HealthFilter::Flag(kind) => kind.name().to_owned(),
        HealthFilter::Duplicate => "in a duplicate group".to_owned(),
        HealthFilter::DuplicateGroup(g) => format!("duplicate group {}", g + 1),
        HealthFilter::Leak => "leaked across the split".to_owned(),
    }
}

fn sort_name(key: SortKey) -> &'static str {
    match key {
        SortKey::DatasetOrder => "dataset order",
        SortKey::Path => "path",
        SortKey::Class => "class",
        SortKey::Brightness => "brightness",
        SortKey::Sharpness => "sharpness",
        SortKey::Information => "information",
        SortKey::Width => "width",
        SortKey::Height => "height",
        SortKey::AspectRatio => "aspect ratio",
        SortKey::DuplicateGroupSize => "duplicate group size",
        SortKey::NumObjects => "object count",
    }
}

/// `50,000`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
