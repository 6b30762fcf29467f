//! The viewer (the only module that knows about egui, eframe, `egui_plot` and rfd).
//!
//! [`BatchscopeApp::ui_inner`] reads like a table of contents: one call per panel. Panels return
//! [`Command`]s that are applied after drawing; background work (indexing, decoding, the folder
//! dialog) runs on named threads and is drained in [`BatchscopeApp::logic_step`].

mod browser;
mod dialog;
pub mod display;
pub mod export_panel;
mod export_view;
mod grid;
mod health_groups;
pub mod health_panel;
mod health_stats;
mod health_view;
mod histogram;
pub mod inspector;
mod panels;
mod problems;
mod rows;
pub mod session;
pub mod settings;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::{Key, RichText};

use self::inspector::Inspector;
use self::session::Session;
pub use self::settings::Settings;
use crate::loader::Notify;

/// The sample dataset bundled with the source.
pub fn bundled_sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets")
        .join("sample")
}

/// Something a panel asks for, applied after the frame is drawn.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Open this dataset (a folder or a file).
    Open(PathBuf),
    /// Show the native folder or file dialog.
    PickFolder(dialog::Purpose),
    /// Show batch `k` (0-based).
    GoTo(usize),
    /// Next batch.
    Next,
    /// Previous batch.
    Prev,
    /// First batch.
    First,
    /// Last batch.
    Last,
    /// Inspect row `row` of the batch on screen.
    Inspect(usize),
    /// Highlight one class in the grid (or none).
    Highlight(Option<u32>),
    /// The loader settings changed: re-plan.
    Reconfigure,
    /// Export the dataset on screen (`true`: the user agreed to write into a non-empty folder).
    Export(bool),
    /// Cancel the running export.
    CancelExport,
    /// Show the batches or the Health view.
    Show(View),
    /// Run the health pass on the dataset on screen.
    RunHealth,
    /// Cancel the running health pass.
    CancelHealth,
    /// The near-duplicate threshold changed: regroup (no pixel is read).
    RegroupHealth,
    /// Open the inspector on this sample (an index into the dataset's samples) and show its batch.
    InspectSample(usize),
    /// Mark (`true`) or unmark images for exclusion.
    MarkExclusion(crate::health::exclude::ExcludeKind, bool),
    /// Write the images marked for exclusion to the Health view's list file.
    SaveExclusionList,
}

/// What the central panel shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum View {
    /// The batches, as a grid.
    #[default]
    Batches,
    /// The Health view.
    Health,
}

/// The viewer's state.
pub struct BatchscopeApp {
    /// Persisted settings.
    pub settings: Settings,
    /// The open dataset.
    pub session: Option<Session>,
    /// The typed-path fallback for the folder dialog.
    pub path_field: String,
    /// A message about the folder dialog (e.g. that none is available).
    pub notice: Option<String>,
    /// The inspected sample.
    pub inspector: Option<Inspector>,
    /// The highlighted class.
    pub highlight: Option<u32>,
    /// How stored rows are drawn (the display range).
    pub display_range: display::RangeSetting,
    /// Time from a flip to the batch being on screen, last measured.
    pub last_flip: Option<Duration>,
    /// The export panel and its background job.
    pub export: export_panel::ExportPanel,
    /// What the central panel shows.
    pub view: View,
    /// The Health view's state and its background pass.
    pub health: health_panel::HealthPanel,
    /// A sample to inspect once its batch `(batch, sample)` is loaded.
    pending_inspect: Option<(usize, usize)>,
    class_names_text: String,
    jump_text: String,
    dialog: dialog::FolderDialog,
    flip_started: Option<Instant>,
    problems_seen: usize,
    notify: Notify,
    commands: Vec<Command>,
}

impl BatchscopeApp {
    /// A viewer with `settings`; `notify` wakes the UI from background threads.
    pub fn new(settings: Settings, notify: Notify) -> Self {
        let class_names_text = settings
            .load
            .index
            .class_names
            .as_ref()
            .map(|n| n.join(","))
            .unwrap_or_default();
        Self {
            settings,
            session: None,
            path_field: String::new(),
            notice: None,
            inspector: None,
            highlight: None,
            display_range: display::RangeSetting::default(),
            last_flip: None,
            export: export_panel::ExportPanel::default(),
            view: View::default(),
            health: health_panel::HealthPanel::new(),
            pending_inspect: None,
            class_names_text,
            jump_text: String::new(),
            dialog: dialog::FolderDialog::default(),
            flip_started: None,
            problems_seen: 0,
            notify,
            commands: Vec::new(),
        }
    }

    /// Opens `path` (indexing starts in the background).
    pub fn open(&mut self, path: &Path) {
        self.session = Some(Session::open(
            path,
            &self.settings.load,
            Arc::clone(&self.notify),
        ));
        self.settings.remember(path.to_path_buf());
        self.path_field = path.to_string_lossy().into_owned();
        self.inspector = None;
        self.highlight = None;
        self.display_range = display::RangeSetting::default();
        self.health.clear();
        self.health.list_path = health_panel::default_list_path(path);
        self.pending_inspect = None;
    }

    /// Non-drawing work for this frame: drain background results, handle dropped folders and keys.
    pub fn logic_step(&mut self, ctx: &egui::Context) {
        self.poll_dialog();
        self.export.poll();
        self.health.poll(&self.notify);
        self.export
            .exclusion_list
            .clone_from(&self.health.saved_list);
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .collect()
        });
        if let Some(path) = dropped.into_iter().next() {
            self.commands.push(Command::Open(dropped_dataset(path)));
        }
        if !ctx.egui_wants_keyboard_input() {
            ctx.input(|i| {
                for (key, command) in [
                    (Key::ArrowRight, Command::Next),
                    (Key::ArrowLeft, Command::Prev),
                    (Key::Home, Command::First),
                    (Key::End, Command::Last),
                ] {
                    if i.key_pressed(key) {
                        self.commands.push(command);
                    }
                }
            });
        }
        self.apply_commands();
        if let Some(session) = &mut self.session {
            session.poll(Duration::from_millis(10));
            if let (Some(started), Some(_)) = (self.flip_started, session.current_batch()) {
                self.last_flip = Some(started.elapsed());
                self.flip_started = None;
            }
        }
        self.resolve_pending_inspect();
    }

    /// Draws every panel, then applies what they asked for.
    pub fn ui_inner(&mut self, ui: &mut egui::Ui) {
        egui::Panel::top("top_bar").show(ui, |ui| self.top_bar_ui(ui));
        egui::Panel::left("settings")
            .resizable(true)
            .default_size(260.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    let store = self
                        .session
                        .as_ref()
                        .and_then(Session::ready)
                        .map(|r| &r.index.store);
                    let applies = settings::Applies {
                        folder: matches!(store, None | Some(crate::index::Store::Files)),
                        decoded: !matches!(store, Some(crate::index::Store::Rows(_))),
                    };
                    if settings::settings_ui(
                        ui,
                        &mut self.settings.load,
                        &mut self.class_names_text,
                        applies,
                    ) {
                        self.commands.push(Command::Reconfigure);
                    }
                    ui.separator();
                    ui.horizontal(|ui| {
                        let label = ui.label("Thumbnails");
                        ui.add(
                            egui::Slider::new(&mut self.settings.thumb_size, 32.0..=256.0)
                                .suffix(" pt"),
                        )
                        .labelled_by(label.id);
                    });
                    ui.separator();
                    egui::CollapsingHeader::new(RichText::new("Export to .npy").heading())
                        .default_open(true)
                        .show(ui, |ui| self.export_ui(ui));
                });
            });
        egui::Panel::bottom("problems")
            .resizable(true)
            .show(ui, |ui| self.problems_ui(ui));
        if self.view == View::Batches {
            // The Health view has its own class plot and needs the width for duplicate groups.
            egui::Panel::right("histograms")
                .resizable(true)
                .default_size(320.0)
                .show(ui, |ui| self.histograms_ui(ui));
        }
        egui::CentralPanel::default().show(ui, |ui| match self.view {
            View::Batches => self.central_ui(ui),
            View::Health => self.health_ui(ui),
        });
        self.inspector_ui(ui.ctx());
        self.apply_commands();
    }

    fn apply_commands(&mut self) {
        for command in std::mem::take(&mut self.commands) {
            match command {
                Command::Open(path) => self.open(&path),
                Command::PickFolder(purpose) => self.pick_folder(purpose),
                Command::Reconfigure => {
                    if let Some(session) = &mut self.session {
                        session.reconfigure(&self.settings.load);
                    }
                }
                Command::Highlight(class) => self.highlight = class,
                Command::Export(overwrite) => self.start_export(overwrite),
                Command::CancelExport => self.export.cancel(),
                Command::Inspect(row) => self.inspect(row),
                Command::Show(view) => self.view = view,
                Command::RunHealth => {
                    if let Some(ready) = self.session.as_ref().and_then(Session::ready) {
                        self.health.start(
                            Arc::clone(&ready.index),
                            &ready.options,
                            Arc::clone(&self.notify),
                        );
                    }
                }
                Command::CancelHealth => self.health.cancel(),
                Command::RegroupHealth => self.health.reanalyze(&self.notify),
                Command::InspectSample(sample) => self.inspect_sample(sample),
                Command::MarkExclusion(kind, on) => self.health.mark(kind, on),
                Command::SaveExclusionList => {
                    let path = PathBuf::from(self.health.list_path.trim());
                    self.health.save_list(&path);
                }
                Command::GoTo(_)
                | Command::Next
                | Command::Prev
                | Command::First
                | Command::Last => self.flip(&command),
            }
        }
    }

    /// Opens the inspector on row `row` of the batch on screen.
    fn inspect(&mut self, row: usize) {
        if let Some(session) = &self.session {
            // Start at a zoom that shows the sample about 384 points across.
            let edge = session
                .current_batch()
                .map_or(1, |b| b.shape.height.max(b.shape.width).max(1));
            let zoom = (384.0 / edge as f32).clamp(0.25, 32.0);
            self.inspector = Some(Inspector {
                batch: session.current,
                row,
                zoom,
            });
        }
    }

    /// Shows the batch that holds `sample` and inspects it once that batch is loaded.
    fn inspect_sample(&mut self, sample: usize) {
        let Some(ready) = self.session.as_ref().and_then(Session::ready) else {
            return;
        };
        let plan = &ready.job.plan;
        let Some(position) = plan.order.iter().position(|&s| s == sample) else {
            let path = ready.index.samples[sample].rel_path.clone();
            self.health.message = Some(format!(
                "{path:?} is not among the batches on screen (it is on the other side of the validation split: choose that subset to see it)"
            ));
            return;
        };
        let batch = if plan.ends.is_none() {
            position / plan.batch_size.max(1)
        } else {
            (0..plan.batch_count())
                .find(|&k| plan.batch_range(k).contains(&position))
                .unwrap_or(0)
        };
        self.flip(&Command::GoTo(batch));
        self.inspector = None;
        self.health.message = None;
        self.pending_inspect = Some((batch, sample));
    }

    /// Opens the inspector asked for by [`Command::InspectSample`] once its batch is on screen.
    fn resolve_pending_inspect(&mut self) {
        let Some((batch, sample)) = self.pending_inspect else {
            return;
        };
        let Some(session) = &self.session else {
            self.pending_inspect = None;
            return;
        };
        if session.current != batch {
            // The user moved on.
            self.pending_inspect = None;
            return;
        }
        let Some(loaded) = session.current_batch() else {
            return;
        };
        self.pending_inspect = None;
        match loaded.samples.iter().position(|&s| s == sample) {
            Some(row) => self.inspect(row),
            None => {
                self.health.message =
                    Some("That image failed to load in the viewer (see Problems).".into());
            }
        }
    }

    fn pick_folder(&mut self, purpose: dialog::Purpose) {
        let start = match purpose {
            dialog::Purpose::OpenDataset | dialog::Purpose::OpenDatasetFile => {
                self.settings.recent.first().map(|p| {
                    if p.is_dir() {
                        p.clone()
                    } else {
                        p.with_file_name("")
                    }
                })
            }
            dialog::Purpose::ExportFolder => {
                Some(PathBuf::from(&self.settings.export.out_dir)).filter(|p| p.is_dir())
            }
            dialog::Purpose::ExclusionList => Some(PathBuf::from(self.health.list_path.trim())),
        };
        if let Err(message) = self.dialog.show(purpose, start, Arc::clone(&self.notify)) {
            self.notice = Some(message);
        }
    }

    fn poll_dialog(&mut self) {
        match self.dialog.poll() {
            Some(dialog::Outcome::Picked(
                dialog::Purpose::OpenDataset | dialog::Purpose::OpenDatasetFile,
                path,
            )) => {
                self.notice = None;
                self.commands.push(Command::Open(path));
            }
            Some(dialog::Outcome::Picked(dialog::Purpose::ExportFolder, path)) => {
                self.notice = None;
                self.settings.export.out_dir = path.to_string_lossy().into_owned();
            }
            Some(dialog::Outcome::Picked(dialog::Purpose::ExclusionList, path)) => {
                self.notice = None;
                self.health.list_path = path.to_string_lossy().into_owned();
                self.commands.push(Command::SaveExclusionList);
            }
            Some(dialog::Outcome::Unavailable) => {
                self.notice = Some(
                    "No file dialog is available here (no XDG desktop portal or zenity). Type the path in the field instead."
                        .to_owned(),
                );
            }
            Some(dialog::Outcome::Cancelled) | None => {}
        }
    }
}

/// What to open for a path dropped on the window: an image file stands for its folder (the dataset
/// it belongs to); any other file is a dataset itself (`.npy`, `.npz`, TFRecord, IDX, CIFAR).
fn dropped_dataset(path: PathBuf) -> PathBuf {
    let is_image = path.is_file()
        && path.extension().is_some_and(|e| {
            let e = e.to_string_lossy().to_ascii_lowercase();
            ["bmp", "gif", "jpeg", "jpg", "png", "webp", "tif", "tiff"].contains(&e.as_str())
        });
    match path.parent() {
        Some(dir) if is_image => dir.to_path_buf(),
        _ => path,
    }
}

impl eframe::App for BatchscopeApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.logic_step(ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.ui_inner(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.settings);
    }
}

/// Opens the viewer window on `dir` (or the bundled sample) and runs until it is closed.
pub fn run(dir: Option<PathBuf>) -> anyhow::Result<()> {
    let mut viewport = egui::ViewportBuilder::default()
        .with_inner_size([1280.0, 800.0])
        .with_title("batchscope");
    if let Ok(icon) = image::load_from_memory(include_bytes!("../../assets/icon.png")) {
        let icon = icon.into_rgba8();
        let (width, height) = icon.dimensions();
        viewport = viewport.with_icon(egui::IconData {
            rgba: icon.into_raw(),
            width,
            height,
        });
    }
    let options = eframe::NativeOptions {
        viewport,
        renderer: eframe::Renderer::Glow,
        ..Default::default()
    };
    eframe::run_native(
        "batchscope",
        options,
        Box::new(move |cc| {
            let settings: Settings = cc
                .storage
                .and_then(|s| eframe::get_value(s, eframe::APP_KEY))
                .unwrap_or_default();
            let ctx = cc.egui_ctx.clone();
            let mut app = BatchscopeApp::new(settings, Arc::new(move || ctx.request_repaint()));
            app.open(&dir.unwrap_or_else(bundled_sample));
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))
}

#[cfg(test)]
mod tests {
    use super::dropped_dataset;

    #[test]
    fn a_dropped_image_opens_its_folder_and_any_other_file_opens_itself() {
        let dir = tempfile::tempdir().unwrap();
        let image = dir.path().join("cats").join("1.JPG");
        let arrays = dir.path().join("mnist.npz");
        std::fs::create_dir_all(image.parent().unwrap()).unwrap();
        std::fs::write(&image, b"").unwrap();
        std::fs::write(&arrays, b"").unwrap();
        assert_eq!(dropped_dataset(image.clone()), dir.path().join("cats"));
        assert_eq!(dropped_dataset(arrays.clone()), arrays);
        assert_eq!(dropped_dataset(dir.path().to_path_buf()), dir.path());
    }
}
