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
pub mod file_checks;
pub mod gallery;
mod gallery_view;
mod grid;
mod health_annotations;
mod health_groups;
mod health_objects;
pub mod health_panel;
mod health_stats;
mod health_view;
mod histogram;
pub mod inspector;
mod keys;
pub mod objects;
mod palette;
mod panels;
mod problems;
mod rows;
pub mod session;
pub mod settings;
mod split_compare;
pub mod thumbnails;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use self::inspector::Inspector;
pub use self::panels::SideTab;
use self::session::Session;
pub use self::settings::Settings;
use crate::load::loader::Notify;

/// The narrowest settings panel (points) whose rows all fit: narrower, it also scrolls sideways.
const SETTINGS_FULL_WIDTH: f32 = 240.0;

/// The sample dataset bundled with the source.
pub fn bundled_sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets")
        .join("sample")
}

/// Something a panel asks for, applied after the frame is drawn.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Draw a part of the objects of an annotated dataset, or stop drawing it.
    ToggleOverlay(objects::Part),
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
    /// Show batch `k` (0-based) beside the one on screen, or stop comparing.
    CompareWith(Option<usize>),
    /// Show a health finding's images in the Gallery.
    GalleryHealth(crate::query::HealthFilter),
    /// Show the annotated images without objects in the Gallery.
    GalleryWithoutObjects,
    /// Relabel the Gallery's selection as this class.
    GalleryClass(u32),
    /// Exclude the Gallery's selection (or include it again).
    GalleryExclude,
    /// Put the keyboard in the Gallery's tag field.
    GalleryTag,
    /// Undo the Gallery's last edit.
    Undo,
    /// Redo the Gallery's last undone edit.
    Redo,
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
    /// Decode every file of the dataset on screen in the background, listing what fails in Problems.
    CheckAllFiles,
    /// Cancel that pass.
    CancelFileCheck,
    /// The near-duplicate threshold changed: regroup (no pixel is read).
    RegroupHealth,
    /// Open the inspector on this sample (an index into the dataset's samples) and show its batch.
    InspectSample(usize),
    /// Mark (`true`) or unmark images for exclusion.
    MarkExclusion(crate::health::exclusion_list::ExcludeKind, bool),
    /// Write the images marked for exclusion to the Health view's list file.
    SaveExclusionList,
    /// Export as the Export button does (asking first before writing into a non-empty folder).
    ExportAsked,
    /// Show or hide the keyboard help.
    ToggleHelp,
    /// Open the inspector on the first image of the batch, or close it.
    InspectCurrent,
    /// Close the inspector.
    CloseInspector,
    /// Put the loader settings back to the defaults.
    ResetSettings,
    /// Use the settings the previous dataset was open with (offered when a dataset opens for the
    /// first time, with the defaults).
    ApplyPreviousSettings,
    /// Hide the note about restored or carried-over settings (keeping them).
    DismissSettingsNote,
    /// Hide the folder-dialog notice.
    DismissNotice,
}

/// A note above the loader settings about where they came from, shown until dismissed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettingsNote {
    /// This dataset's own settings, from the last time it was open: they differ from the defaults.
    Restored,
    /// The dataset opened for the first time, with the defaults; the previous dataset's settings
    /// differ and can be applied with one click.
    PreviousDataset,
}

/// What the central panel shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum View {
    /// The batches, as a grid.
    #[default]
    Batches,
    /// The Health view.
    Health,
    /// The Gallery: every sample that passes a filter, sorted.
    Gallery,
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
    /// The label histogram of an annotated dataset counts images with each class, not objects.
    pub count_images: bool,
    /// How stored rows are drawn (the display range).
    pub display_range: display::RangeSetting,
    /// Time from a flip to the batch being on screen, last measured.
    pub last_flip: Option<Duration>,
    /// The export panel and its background job.
    pub export: export_panel::ExportPanel,
    /// What the central panel shows.
    pub view: View,
    /// The Gallery's filters, selection and edits.
    pub gallery: gallery::Gallery,
    /// The Gallery's grid as last laid out.
    gallery_layout: Option<gallery_view::GridLayout>,
    /// The Health view's state and its background pass.
    pub health: health_panel::HealthPanel,
    /// The checks that fill the Problems panel (headers at open, every file on request).
    pub checks: file_checks::FileChecks,
    /// A sample to inspect once its batch `(batch, sample)` is loaded.
    pending_inspect: Option<(usize, usize)>,
    /// Where the loader settings came from, when the user did not set them in this session: shown
    /// above the settings until dismissed, reset or applied.
    pub settings_note: Option<SettingsNote>,
    /// The dataset the loader and export settings belong to; `None` until the first dataset opens
    /// (it takes the settings the viewer was made with).
    settings_for: Option<PathBuf>,
    /// The settings of the dataset open before this one, offered by [`SettingsNote::PreviousDataset`].
    previous_settings: Option<settings::DatasetSettings>,
    /// Finished exports of datasets other than the open one, shown again when it is reopened.
    parked_exports: Vec<(PathBuf, export_panel::ExportState)>,
    /// Whether the keyboard help overlay is shown.
    pub show_help: bool,
    /// The tab of the right-hand panel.
    pub side: panels::SideTab,
    /// The dataset opened last, until it opens (then it joins Recent) or fails (then it leaves it).
    pending_recent: Option<PathBuf>,
    /// The dataset the running or last export read, to report its skips in that dataset's Problems.
    export_root: Option<PathBuf>,
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
        let class_names_text = class_names_text(&settings.load);
        Self {
            settings,
            session: None,
            path_field: String::new(),
            notice: None,
            inspector: None,
            highlight: None,
            count_images: false,
            display_range: display::RangeSetting::default(),
            last_flip: None,
            export: export_panel::ExportPanel::default(),
            view: View::default(),
            health: health_panel::HealthPanel::new(),
            gallery: gallery::Gallery::default(),
            gallery_layout: None,
            checks: file_checks::FileChecks::default(),
            pending_inspect: None,
            settings_note: None,
            settings_for: None,
            previous_settings: None,
            parked_exports: Vec::new(),
            show_help: false,
            side: panels::SideTab::default(),
            pending_recent: None,
            export_root: None,
            class_names_text,
            jump_text: String::new(),
            dialog: dialog::FolderDialog::default(),
            flip_started: None,
            problems_seen: 0,
            notify,
            commands: Vec::new(),
        }
    }

    /// A viewer with the settings saved by the last run (`None` on a first run). Its loader and
    /// export settings are the last dataset's: a dataset opens with its own saved settings, or with
    /// the defaults and an offer to apply the last dataset's.
    pub fn from_saved(saved: Option<Settings>, notify: Notify) -> Self {
        let mut app = Self::new(saved.unwrap_or_default(), notify);
        // Saved before settings were kept per dataset, they belong to no known dataset.
        app.settings_for = Some(
            app.settings
                .datasets
                .first()
                .map(|d| d.path.clone())
                .unwrap_or_default(),
        );
        app
    }

    /// Opens `path` (indexing starts in the background). It joins the recent datasets once it opens.
    pub fn open(&mut self, path: &Path) {
        match self.settings_for.take() {
            Some(leaving) if settings::dataset_key(&leaving) != settings::dataset_key(path) => {
                self.switch_settings(&leaving, path);
            }
            // The dataset the last run ended on, opened at start with its settings: say so.
            Some(_)
                if self.session.is_none()
                    && self.settings.load != crate::options::LoadOptions::default() =>
            {
                self.settings_note = Some(SettingsNote::Restored);
            }
            _ => {}
        }
        self.settings_for = Some(path.to_path_buf());
        self.session = Some(Session::open(
            path,
            &self.settings.load,
            Arc::clone(&self.notify),
        ));
        self.pending_recent = Some(path.to_path_buf());
        // The "no folder dialog" notice has done its job once a path is opened.
        self.notice = None;
        self.path_field = path.to_string_lossy().into_owned();
        self.inspector = None;
        self.highlight = None;
        self.display_range = display::RangeSetting::default();
        self.health.clear();
        self.gallery.clear();
        self.checks = file_checks::FileChecks::default();
        self.health.list_path = health_panel::default_list_path(path);
        self.pending_inspect = None;
    }

    /// Keeps the settings of the dataset being left, and gives `opening` its own: those it was last
    /// open with, or the defaults (nothing carries over from `leaving`; applying its settings is a
    /// button). The export panel's folder and result belong to their dataset too.
    fn switch_settings(&mut self, leaving: &Path, opening: &Path) {
        if !leaving.as_os_str().is_empty() {
            self.settings.keep_for(leaving);
        }
        let saved = self.settings.saved_for(opening).cloned();
        let restored = saved.is_some();
        let own = saved.unwrap_or_default();
        let previous = settings::DatasetSettings {
            path: leaving.to_path_buf(),
            load: std::mem::replace(&mut self.settings.load, own.load),
            export: std::mem::replace(&mut self.settings.export, own.export),
        };
        let defaults = crate::options::LoadOptions::default();
        (self.settings_note, self.previous_settings) = if restored {
            (
                (self.settings.load != defaults).then_some(SettingsNote::Restored),
                None,
            )
        } else if previous.load != defaults {
            (Some(SettingsNote::PreviousDataset), Some(previous))
        } else {
            (None, None)
        };
        self.class_names_text = class_names_text(&self.settings.load);
        self.switch_export(leaving, opening);
    }

    /// Parks the export panel's finished result with the dataset it was made for and shows
    /// `opening`'s, if it has one. A running export keeps running (and stays on screen, naming its
    /// folder) until it finishes; it is parked then.
    fn switch_export(&mut self, leaving: &Path, opening: &Path) {
        self.export.notice = None;
        self.export.confirm_overwrite = false;
        if !self.export.is_running() {
            self.park_export(leaving);
        }
        let key = settings::dataset_key(opening);
        if let Some(at) = self.parked_exports.iter().position(|(p, _)| *p == key)
            && !self.export.is_running()
        {
            self.export.state = self.parked_exports.remove(at).1;
        }
    }

    /// Moves the export panel's result, if any, to the parked results of `dataset`.
    fn park_export(&mut self, dataset: &Path) {
        let state = std::mem::take(&mut self.export.state);
        if !matches!(state, export_panel::ExportState::Idle) {
            let key = settings::dataset_key(dataset);
            self.parked_exports.retain(|(p, _)| *p != key);
            self.parked_exports.push((key, state));
        }
    }

    /// Non-drawing work for this frame: drain background results, handle dropped folders and keys.
    pub fn logic_step(&mut self, ctx: &egui::Context) {
        self.poll_dialog();
        let was_running = self.export.is_running();
        self.export.poll();
        if was_running && !self.export.is_running() {
            self.report_export_skips();
            // An export of a dataset that is no longer open: its result waits for that dataset.
            if let Some(root) = self.export_root.clone()
                && self.settings_for.as_ref().map(|p| settings::dataset_key(p))
                    != Some(settings::dataset_key(&root))
            {
                self.park_export(&root);
            }
        }
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
            let state = keys::Context {
                highlight: self.highlight,
                classes: self
                    .session
                    .as_ref()
                    .and_then(Session::ready)
                    .map_or(0, |r| match &r.index.object_classes {
                        Some(classes) => classes.names.len(),
                        None => r.index.class_names.len(),
                    }),
                inspector_open: self.inspector.is_some(),
                help_open: self.show_help,
            };
            let keys = keys::pressed(ctx, &state);
            self.commands.extend(keys);
        }
        self.apply_commands();
        if let Some(session) = &mut self.session {
            session.poll(Duration::from_millis(10));
            self.checks.poll(session, &self.notify);
            // The health pass reads every image too: what it could not load is a problem.
            file_checks::report(session, &self.health.take_failures());
            if self.view == View::Health {
                self.health.run_on_first_view(session.ready(), &self.notify);
            }
            if self.view == View::Gallery
                && let Some(ready) = session.ready()
            {
                self.gallery.update(
                    ready,
                    self.health.result.as_ref(),
                    &session.problems,
                    &self.notify,
                );
            }
            if let (Some(started), Some(_)) = (self.flip_started, session.current_batch()) {
                self.last_flip = Some(started.elapsed());
                self.flip_started = None;
            }
        }
        self.settle_recent();
        self.resolve_pending_inspect();
        self.refresh_export_preview();
    }

    /// Puts the dataset opened last into Recent once it has opened, and takes it out if it failed:
    /// Recent lists what can be opened again.
    fn settle_recent(&mut self) {
        let (Some(path), Some(session)) = (&self.pending_recent, &self.session) else {
            return;
        };
        if &session.root != path {
            self.pending_recent = None;
            return;
        }
        match session.status() {
            session::Status::Ready(_) => {
                self.settings.remember(path.clone());
                self.pending_recent = None;
            }
            session::Status::Failed(_) => {
                self.settings.recent.retain(|p| p != path);
                self.pending_recent = None;
            }
            session::Status::Preparing { .. } => {}
        }
    }

    /// Adds the files a just-finished export skipped to the Problems panel of the dataset it read.
    fn report_export_skips(&mut self) {
        let export_panel::ExportState::Finished(finished) = &self.export.state else {
            return;
        };
        let Some(session) = self
            .session
            .as_mut()
            .filter(|s| Some(&s.root) == self.export_root.as_ref())
        else {
            return;
        };
        file_checks::report(session, &finished.report.skipped);
    }

    /// Draws every panel, then applies what they asked for.
    pub fn ui_inner(&mut self, ui: &mut egui::Ui) {
        // Scroll bars take their own room and are always drawn: floating ones covered the end of
        // text fields and hid until hovered.
        ui.spacing_mut().scroll = egui::style::ScrollStyle::solid();
        // Side panels start at a share of the window, so that at 960 points (1920 pixels at scale 2)
        // the grid keeps half the width; the user may resize them.
        let width = ui.available_width();
        let (left, right) = (
            (width * 0.21).clamp(200.0, 280.0),
            (width * 0.3).clamp(300.0, 420.0),
        );
        egui::Panel::top("top_bar").show(ui, |ui| self.top_bar_ui(ui));
        egui::Panel::bottom("status_line").show(ui, |ui| self.status_line_ui(ui));
        egui::Panel::bottom("problems")
            .resizable(true)
            .show(ui, |ui| self.problems_ui(ui));
        egui::Panel::left("settings")
            .resizable(true)
            .default_size(left)
            .max_size((width * 0.3).max(200.0))
            .show(ui, |ui| {
                // Sideways too when narrow (200 points at 1280x800 and scale 2): a row may then be
                // wider than the panel, and must still be reachable.
                let sideways = ui.available_width() < SETTINGS_FULL_WIDTH;
                egui::ScrollArea::new([sideways, true]).show(ui, |ui| self.settings_panel_ui(ui));
            });
        // Beside the Health view too: clicking an image there opens the inspector without narrowing
        // the view (which would reflow its lists).
        egui::Panel::right("side")
            .resizable(true)
            .default_size(right)
            .max_size((width * 0.4).max(300.0))
            // The export's widest row (dtype and scale) fits in 300 points.
            .min_size(300.0)
            .show(ui, |ui| self.side_ui(ui));
        egui::CentralPanel::default().show(ui, |ui| match self.view {
            View::Batches => self.central_ui(ui),
            View::Health => self.health_ui(ui),
            View::Gallery => self.gallery_ui(ui),
        });
        if self.show_help && keys::help_ui(ui.ctx()) {
            self.commands.push(Command::ToggleHelp);
        }
        self.apply_commands();
        // Choices made while drawing (dtype, labels, folder) are planned now, and shown next frame.
        if self.refresh_export_preview() {
            ui.ctx().request_repaint();
        }
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
                Command::GalleryHealth(filter) => {
                    self.gallery.show_health(filter);
                    self.view = View::Gallery;
                }
                Command::GalleryWithoutObjects => {
                    self.gallery.show_without_objects();
                    self.view = View::Gallery;
                }
                Command::GalleryClass(_)
                | Command::GalleryExclude
                | Command::GalleryTag
                | Command::Undo
                | Command::Redo => self.gallery_command(&command),
                Command::CompareWith(k) => {
                    if let Some(session) = &mut self.session {
                        session.compared = k;
                    }
                }
                Command::Export(overwrite) => self.start_export(overwrite),
                Command::ToggleHelp => self.show_help = !self.show_help,
                Command::ToggleOverlay(part) => self.settings.overlay.toggle(part),
                Command::ExportAsked if self.side_tab() != panels::SideTab::Export => {
                    self.side = panels::SideTab::Export;
                }
                Command::ExportAsked => self.export_asked(),
                Command::CloseInspector => {
                    self.inspector = None;
                    if self.side == panels::SideTab::Inspector {
                        self.side = panels::SideTab::Labels;
                    }
                }
                Command::ResetSettings => {
                    self.settings.load = crate::options::LoadOptions::default();
                    self.class_names_text.clear();
                    self.settings_note = None;
                    if let Some(session) = &mut self.session {
                        session.reconfigure(&self.settings.load);
                    }
                }
                Command::ApplyPreviousSettings => self.apply_previous_settings(),
                Command::DismissSettingsNote => {
                    self.settings_note = None;
                    self.previous_settings = None;
                }
                Command::DismissNotice => self.notice = None,
                Command::InspectCurrent => {
                    if self.inspector.is_some() {
                        self.inspector = None;
                    } else {
                        self.inspect(0);
                    }
                }
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
                Command::CheckAllFiles => self.checks.check_all(&self.notify),
                Command::CancelFileCheck => self.checks.cancel(),
                Command::RegroupHealth => self.health.reanalyze(),
                Command::InspectSample(sample) => self.inspect_sample(sample),
                Command::MarkExclusion(kind, on) => self.health.mark(kind, on),
                Command::SaveExclusionList => {
                    let path = PathBuf::from(self.health.list_path.trim());
                    self.health.save_list(&path);
                    // The export panel offers the list next: show it.
                    self.side = panels::SideTab::Export;
                }
                Command::GoTo(_)
                | Command::Next
                | Command::Prev
                | Command::First
                | Command::Last => self.flip(&command),
            }
        }
    }

    /// Export asked for (Ctrl+E on the export panel): asks first when the output folder holds
    /// something, else starts.
    fn export_asked(&mut self) {
        let out = PathBuf::from(self.settings.export.out_dir.trim());
        let non_empty = !out.as_os_str().is_empty()
            && std::fs::read_dir(&out).is_ok_and(|mut d| d.next().is_some());
        if non_empty {
            self.export.confirm_overwrite = true;
        } else {
            self.start_export(false);
        }
    }

    /// Applies the previous dataset's loader settings and export choices (not its output folder,
    /// which belongs to it).
    fn apply_previous_settings(&mut self) {
        let Some(previous) = self.previous_settings.take() else {
            return;
        };
        self.settings_note = None;
        self.settings.load = previous.load;
        let out_dir = std::mem::take(&mut self.settings.export.out_dir);
        self.settings.export = export_panel::ExportSettings {
            out_dir,
            ..previous.export
        };
        self.class_names_text = class_names_text(&self.settings.load);
        if let Some(session) = &mut self.session {
            session.reconfigure(&self.settings.load);
        }
    }

    /// The settings the previous dataset was open with, while applying them is offered.
    pub fn previous_settings(&self) -> Option<&settings::DatasetSettings> {
        self.previous_settings.as_ref()
    }

    /// Opens the inspector on row `row` of the batch on screen.
    fn inspect(&mut self, row: usize) {
        if let Some(session) = &self.session {
            if session
                .current_batch()
                .is_none_or(|b| row >= b.samples.len())
            {
                return;
            }
            // Fit to the panel until the user zooms.
            self.inspector = Some(Inspector {
                batch: session.current,
                row,
                zoom: None,
                hovered: None,
            });
            self.side = panels::SideTab::Inspector;
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

/// The class-names field's text for `load`.
fn class_names_text(load: &crate::options::LoadOptions) -> String {
    load.index
        .class_names
        .as_ref()
        .map(|n| n.join(","))
        .unwrap_or_default()
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
        if let Some(dataset) = self
            .settings_for
            .as_ref()
            .filter(|p| !p.as_os_str().is_empty())
        {
            self.settings.keep_for(dataset);
        }
        eframe::set_value(storage, eframe::APP_KEY, &self.settings);
    }
}

/// Opens the viewer window on `dir` (or the bundled sample) and runs until it is closed.
pub fn run(dir: Option<PathBuf>) -> anyhow::Result<()> {
    let mut viewport = egui::ViewportBuilder::default()
        .with_inner_size([1280.0, 800.0])
        // A smaller screen (1920x1080 at scale 2 is 960x540 points) gets a window that fits it.
        .with_clamp_size_to_monitor_size(true)
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
            let settings: Option<Settings> = cc
                .storage
                .and_then(|s| eframe::get_value(s, eframe::APP_KEY));
            let ctx = cc.egui_ctx.clone();
            let mut app =
                BatchscopeApp::from_saved(settings, Arc::new(move || ctx.request_repaint()));
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
