//! The side and edge panels of the window: the top bar (open, recent, sample), the settings panel with
//! its note about settings carried over, the right-hand panel (label histograms, the inspector or the
//! export, one at a time), the problems list and the status line.

use std::path::PathBuf;
use std::sync::Arc;

use egui::Key;

use super::objects::{self, ObjectMarks};
use super::session::Session;
use super::{
    BatchscopeApp, Command, View, bundled_sample, dialog, export_panel, export_view, health_view,
    histogram, problems, settings,
};

/// The narrowest top bar (points) that holds the open controls and the views in one row.
const TOP_BAR_ONE_ROW: f32 = 820.0;

impl BatchscopeApp {
    pub(super) fn top_bar_ui(&mut self, ui: &mut egui::Ui) {
        // A narrow window (1280x800 at scale 2 is 640 points) gets two rows, so that the views, the
        // theme and the help stay on screen.
        if ui.available_width() >= TOP_BAR_ONE_ROW {
            ui.horizontal(|ui| {
                self.open_controls_ui(ui);
                ui.separator();
                self.view_controls_ui(ui);
            });
        } else {
            ui.horizontal(|ui| self.open_controls_ui(ui));
            ui.horizontal(|ui| self.view_controls_ui(ui));
        }
        if let Some(notice) = &self.notice {
            ui.horizontal(|ui| {
                ui.colored_label(ui.visuals().warn_fg_color, notice);
                if ui.small_button("Dismiss").clicked() {
                    self.commands.push(Command::DismissNotice);
                }
            });
        }
    }

    /// Open folder, Open file, the path field, Recent and Sample.
    fn open_controls_ui(&mut self, ui: &mut egui::Ui) {
        if ui
            .button("Open folder…")
            .on_hover_text("Choose a dataset folder: images in class folders, a saved tf.data dataset, TFRecord, IDX or CIFAR files, a batchscope export (or drop one on the window)")
            .clicked()
        {
            self.commands
                .push(Command::PickFolder(dialog::Purpose::OpenDataset));
        }
        if ui
            .button("Open file…")
            .on_hover_text("Choose a dataset file: .npy, .npz, a TFRecord file, an MNIST IDX or CIFAR file (or drop one on the window)")
            .clicked()
        {
            self.commands
                .push(Command::PickFolder(dialog::Purpose::OpenDatasetFile));
        }
        let field = ui.add(
            egui::TextEdit::singleline(&mut self.path_field)
                .hint_text("or type a folder or file path and press Enter")
                .desired_width((ui.available_width() - 620.0).clamp(140.0, 420.0)),
        );
        let entered = field.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
        // Drawn every frame: `entered || ui.button(..)` would skip it in the frame of Enter.
        let clicked = ui.button("Open").clicked();
        if entered || clicked {
            let path = PathBuf::from(self.path_field.trim());
            self.commands.push(Command::Open(path));
        }
        ui.menu_button("Recent", |ui| {
            if self.settings.recent.is_empty() {
                ui.weak("No recent datasets");
            }
            for path in &self.settings.recent {
                if ui.button(path.to_string_lossy()).clicked() {
                    self.commands.push(Command::Open(path.clone()));
                }
            }
        });
        if ui
            .button("Sample")
            .on_hover_text("Open the bundled sample dataset")
            .clicked()
        {
            self.commands.push(Command::Open(bundled_sample()));
        }
    }

    /// The views (Batches, Health, Gallery), the health progress, and Theme and help at the right.
    fn view_controls_ui(&mut self, ui: &mut egui::Ui) {
        for (view, name, hover) in [
            (View::Batches, "Batches", "Browse the batches"),
            (
                View::Health,
                "Health",
                "Duplicates, train/validation leaks, dark, blurry or odd images, class balance and mean/std",
            ),
            (
                View::Gallery,
                "Gallery",
                "Every sample that passes a filter, sorted; select, tag, relabel, exclude",
            ),
        ] {
            if ui
                .selectable_label(self.view == view, name)
                .on_hover_text(hover)
                .clicked()
            {
                self.commands.push(Command::Show(view));
            }
        }
        if let Some((done, total, _)) = self.health.progress() {
            ui.weak(format!("health {done}/{total}"));
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.button("?").on_hover_text("Keyboard help (?)").clicked() {
                self.commands.push(Command::ToggleHelp);
            }
            // Dark and light follow the system until the user picks one.
            ui.menu_button("Theme", theme_menu_ui);
        });
    }

    /// The left panel: the note about settings not set in this session, the loader settings and the
    /// thumbnail size.
    pub(super) fn settings_panel_ui(&mut self, ui: &mut egui::Ui) {
        if let Some(note) = self.settings_note {
            let noted = match note {
                super::SettingsNote::Restored => Some(&self.settings.load),
                super::SettingsNote::PreviousDataset => self.previous_settings().map(|p| &p.load),
            };
            let changes = noted
                .map(crate::describe::changes_from_default)
                .unwrap_or_default();
            if !changes.is_empty() {
                settings_note_ui(ui, note, &changes, &mut self.commands);
                ui.add_space(4.0);
            }
        }
        let ready = self.session.as_ref().and_then(Session::ready);
        let size_fallback = ready
            .filter(|r| r.size_fallback.is_some())
            .map(|_| crate::load::spec::KERAS_DEFAULT_IMAGE_SIZE);
        let applies = settings::Applies {
            takes: ready.map(|r| r.index.store.takes()),
            size_fallback,
            class_names_note: ready.map(|r| {
                use crate::source::class_names;
                let names = self.settings.load.index.class_names.as_deref();
                match class_names::why_unnamed(&r.index, names) {
                    Some(invalid) => Err(invalid.for_viewer()),
                    None => class_names::classes(&r.index).map_err(|i| i.for_viewer()),
                }
            }),
        };
        if settings::settings_ui(
            ui,
            &mut self.settings.load,
            &mut self.class_names_text,
            &applies,
        ) {
            self.commands.push(Command::Reconfigure);
        }
        ui.separator();
        ui.horizontal(|ui| {
            let label = ui.label("Thumbnails");
            ui.add(egui::Slider::new(&mut self.settings.thumb_size, 32.0..=256.0).suffix(" pt"))
                .labelled_by(label.id);
        });
    }

    /// The tab of the right-hand panel on screen (the inspector's only while it is open).
    pub(super) fn side_tab(&self) -> SideTab {
        match self.side {
            SideTab::Inspector if self.inspector.is_none() => SideTab::Labels,
            tab => tab,
        }
    }

    /// The right-hand panel: tabs for the label histograms, the inspector and the export.
    pub(super) fn side_ui(&mut self, ui: &mut egui::Ui) {
        // Fill the panel, so that its width does not follow its (sometimes tiny) content.
        ui.set_min_width(ui.available_width());
        let shown = self.side_tab();
        ui.horizontal(|ui| {
            for (tab, name, hover) in [
                (
                    SideTab::Labels,
                    "Labels",
                    "Class shares of this batch and of the dataset",
                ),
                (
                    SideTab::Inspector,
                    "Inspector",
                    "One image, large, with its pixel values (click a thumbnail, or I)",
                ),
                (
                    SideTab::Export,
                    "Export .npy",
                    "Write the dataset to .npy (Ctrl+E)",
                ),
            ] {
                let enabled = tab != SideTab::Inspector || self.inspector.is_some();
                let response = ui
                    .add_enabled(enabled, egui::Button::selectable(shown == tab, name))
                    .on_hover_text(hover);
                if response.clicked() {
                    self.side = tab;
                }
            }
        });
        ui.separator();
        match shown {
            SideTab::Labels => self.histograms_ui(ui),
            SideTab::Inspector => self.inspector_ui(ui),
            SideTab::Export => {
                // The bar always takes its room: appearing when the content outgrew the panel
                // (a long output folder wraps the command line), it widened the panel and moved
                // the Export button sideways under the cursor.
                egui::ScrollArea::vertical()
                    .id_salt("export_scroll")
                    .scroll_bar_visibility(egui::scroll_area::ScrollBarVisibility::AlwaysVisible)
                    .show(ui, |ui| {
                        ui.set_min_width(ui.available_width());
                        self.export_ui(ui);
                    });
            }
        }
    }

    /// One line at the bottom of the window: the batch on screen, the dataset, timings. Each part is
    /// one label that never wraps; the line is cut at the window's edge rather than wrapped.
    pub(super) fn status_line_ui(&self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
            let Some(session) = &self.session else {
                ui.weak("Ctrl+O opens a folder");
                return;
            };
            let Some(ready) = session.ready() else {
                // The central area names the folder and what happened to it.
                ui.weak(if session.preparing_progress().is_some() {
                    "Opening…"
                } else {
                    "Not opened"
                });
                return;
            };
            let count = ready.batch_count();
            let current = session.current;
            let size = ready.job.plan.batch(current).len();
            // A saved dataset's own batches: the full size is its largest.
            let full = if ready.job.plan.ends.is_some() {
                super::session::largest_batch(&ready.job.plan)
            } else {
                ready.job.plan.batch_size
            };
            let what = if ready.index.store.decodes_images() {
                "images"
            } else {
                "samples"
            };
            let partial = if size < full && current + 1 == count {
                format!(" (last batch, partial: {size} of {full})")
            } else if size < full {
                format!(" (partial: {size} of {full})")
            } else {
                String::new()
            };
            let failed = session.current_batch().map_or(0, |b| b.failures.len());
            let failed = if failed > 0 {
                format!(", {failed} failed")
            } else {
                String::new()
            };
            let mut parts = vec![format!("{size} {what}{partial}{failed}"), {
                let samples = ready.job.plan.len();
                // An annotated dataset's classes are its objects'.
                let (classes, kind) = match &ready.index.object_classes {
                    Some(objects) => (objects.names.len(), "object "),
                    None => (ready.index.class_names.len(), ""),
                };
                format!(
                    "{samples} sample{}, {classes} {kind}class{}",
                    if samples == 1 { "" } else { "s" },
                    if classes == 1 { "" } else { "es" }
                )
            }];
            if let Some(t) = session.first_batch_after {
                parts.push(format!("first batch {} ms", t.as_millis()));
            }
            if let Some(t) = self.last_flip {
                parts.push(format!("last flip {} ms", t.as_millis()));
            }
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    ui.weak("·");
                }
                ui.add(egui::Label::new(part).wrap_mode(egui::TextWrapMode::Extend));
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                ui.weak("? for keys");
                if let Some((done, total)) = self.export.progress() {
                    ui.add(
                        egui::ProgressBar::new(if total == 0 {
                            0.0
                        } else {
                            done as f32 / total as f32
                        })
                        .desired_width(140.0)
                        .text(format!("export {done} / {total}")),
                    );
                }
            });
        });
    }

    pub(super) fn export_ui(&mut self, ui: &mut egui::Ui) {
        let source = self.session.as_ref().and_then(export_source);
        match export_view::export_ui(
            ui,
            &mut self.export,
            &mut self.settings.export,
            source.as_ref(),
        ) {
            Some(export_view::Action::Export) => self.commands.push(Command::ExportAsked),
            Some(export_view::Action::Start(overwrite)) => {
                self.commands.push(Command::Export(overwrite));
            }
            Some(export_view::Action::ChooseFolder) => {
                self.commands
                    .push(Command::PickFolder(dialog::Purpose::ExportFolder));
            }
            Some(export_view::Action::Cancel) => self.commands.push(Command::CancelExport),
            None => {}
        }
    }

    /// Plans what an export of the dataset on screen would write, if that changed (logic step only).
    /// Returns whether the export panel has something new to show.
    pub(super) fn refresh_export_preview(&mut self) -> bool {
        let source = self.session.as_ref().and_then(export_source);
        self.export
            .refresh_preview(source.as_ref(), &self.settings.export)
    }

    /// Asks for an export of the dataset on screen, as the Export button does (`overwrite`: the user
    /// agreed to write into a non-empty folder).
    pub fn request_export(&mut self, overwrite: bool) {
        self.commands.push(Command::Export(overwrite));
    }

    pub(super) fn start_export(&mut self, overwrite: bool) {
        let Some(session) = &self.session else { return };
        let Some(source) = export_source(session) else {
            return;
        };
        let was_running = self.export.is_running();
        self.export.start(
            &source,
            &self.settings.export,
            overwrite,
            Arc::clone(&self.notify),
        );
        if !was_running && self.export.is_running() {
            self.export_root = Some(session.root.clone());
        }
    }

    pub(super) fn health_ui(&mut self, ui: &mut egui::Ui) {
        let dataset = match &self.session {
            None => health_view::Dataset::None,
            Some(session) => match session.status() {
                super::session::Status::Ready(r) => health_view::Dataset::Ready(&r.index.store),
                super::session::Status::Preparing { .. } => health_view::Dataset::Opening,
                super::session::Status::Failed(_) => health_view::Dataset::Failed,
            },
        };
        let ctx = ui.ctx().clone();
        self.health.upload_thumbnails(&ctx);
        for action in health_view::health_ui(ui, &mut self.health, &dataset) {
            self.commands.push(match action {
                health_view::Action::Run => Command::RunHealth,
                health_view::Action::Cancel => Command::CancelHealth,
                health_view::Action::Regroup => Command::RegroupHealth,
                health_view::Action::Inspect(sample) => Command::InspectSample(sample),
                health_view::Action::Mark(kind, on) => Command::MarkExclusion(kind, on),
                health_view::Action::SaveList => Command::SaveExclusionList,
                health_view::Action::SaveListAs => {
                    Command::PickFolder(dialog::Purpose::ExclusionList)
                }
                health_view::Action::ShowInGallery(filter) => Command::GalleryHealth(filter),
                health_view::Action::ShowWithoutObjects => Command::GalleryWithoutObjects,
            });
        }
    }

    /// The index of the dataset on screen, once it is ready.
    fn ready_index(&self) -> Option<Arc<crate::index::DatasetIndex>> {
        let ready = self.session.as_ref().and_then(Session::ready)?;
        Some(Arc::clone(&ready.index))
    }

    pub(super) fn gallery_ui(&mut self, ui: &mut egui::Ui) {
        let Some(index) = self.ready_index() else {
            super::browser::empty_state(
                ui,
                "No dataset ready",
                "Open a dataset: the Gallery shows its samples, filtered and sorted.",
            );
            return;
        };
        self.gallery.thumbs.upload(ui.ctx());
        match super::gallery_view::gallery_ui(
            ui,
            &mut self.gallery,
            &mut self.gallery_layout,
            &index,
        ) {
            Some(super::gallery_view::Action::Inspect(sample)) => {
                self.commands.push(Command::InspectSample(sample));
            }
            Some(super::gallery_view::Action::ShowInBatch(sample)) => {
                self.commands.push(Command::InspectSample(sample));
                self.commands.push(Command::Show(View::Batches));
            }
            None => {}
        }
    }

    /// The Gallery's keys and undo/redo, when the Gallery is on screen.
    pub(super) fn gallery_command(&mut self, command: &Command) {
        if self.view != View::Gallery {
            return;
        }
        let Some(index) = self.ready_index() else {
            return;
        };
        match *command {
            Command::GalleryClass(class) => self.gallery.set_class(&index, class),
            Command::GalleryExclude => self.gallery.toggle_exclude(&index),
            Command::GalleryTag => self.gallery.focus_tag = true,
            Command::Undo => self.gallery.undo(),
            Command::Redo => self.gallery.redo(),
            _ => {}
        }
    }

    pub(super) fn problems_ui(&mut self, ui: &mut egui::Ui) {
        let problems = self
            .session
            .as_ref()
            .map_or(&[][..], |s| s.problems.as_slice());
        let decodes = self
            .session
            .as_ref()
            .and_then(Session::ready)
            .is_some_and(|r| r.index.store.decodes_images());
        let seen = &mut self.problems_seen;
        match problems::problems_ui(ui, problems, &self.checks, decodes, seen) {
            Some(problems::Action::CheckAll) => self.commands.push(Command::CheckAllFiles),
            Some(problems::Action::CancelCheck) => self.commands.push(Command::CancelFileCheck),
            None => {}
        }
    }

    /// The class counts the batch histogram shows for the batch on screen (zeros while it loads):
    /// of an annotated dataset, its objects per object class (or its images with an object of each
    /// class, [`BatchscopeApp::count_images`]).
    pub fn batch_histogram(&self) -> Vec<usize> {
        let Some(session) = &self.session else {
            return Vec::new();
        };
        let Some(ready) = session.ready() else {
            return Vec::new();
        };
        let index = &ready.index;
        if let Some(classes) = &index.object_classes {
            return session.current_batch().map_or_else(
                || vec![0; classes.names.len()],
                |b| objects::counts(index, &b.samples, self.count_images),
            );
        }
        session.current_batch().map_or_else(
            || vec![0; index.class_names.len()],
            |b| index.class_counts_of(b.samples.iter().copied()),
        )
    }

    pub(super) fn histograms_ui(&mut self, ui: &mut egui::Ui) {
        let batch_counts = self.batch_histogram();
        let Some(session) = &self.session else { return };
        let Some(ready) = session.ready() else { return };
        let (names, plan_counts, unit) = match &ready.index.object_classes {
            Some(classes) => {
                ui.horizontal(|ui| {
                    ui.label("Count:");
                    ui.selectable_value(&mut self.count_images, false, "objects")
                        .on_hover_text("Objects of each class");
                    ui.selectable_value(&mut self.count_images, true, "images")
                        .on_hover_text("Images with at least one object of each class");
                });
                let counts = &ready.plan_objects[usize::from(self.count_images)];
                let unit = if self.count_images {
                    "images"
                } else {
                    "objects"
                };
                (&classes.names, counts, unit)
            }
            None => (&ready.index.class_names, &ready.plan_counts, "samples"),
        };
        if let Some(class) =
            histogram::histograms_ui(ui, names, &batch_counts, plan_counts, self.highlight, unit)
        {
            let next = if self.highlight == Some(class) {
                None
            } else {
                Some(class)
            };
            self.commands.push(Command::Highlight(next));
        }
        if let Some(h) = self.highlight {
            ui.horizontal(|ui| {
                ui.label(format!(
                    "Highlighting {}",
                    names.get(h as usize).map_or("?", String::as_str)
                ));
                if ui.small_button("clear").clicked() {
                    self.commands.push(Command::Highlight(None));
                }
            });
        }
    }

    pub(super) fn inspector_ui(&mut self, ui: &mut egui::Ui) {
        let overlay = self.settings.overlay;
        let (Some(inspector), Some(session)) = (&mut self.inspector, &mut self.session) else {
            return;
        };
        let Some((index, fit)) = session
            .ready()
            .map(|r| (Arc::clone(&r.index), r.options.preprocess.fit))
        else {
            return;
        };
        let keep = match session.shown_mut() {
            Some((view, stale)) if view.batch.number == inspector.batch => {
                // Drawn as the batch on screen was placed (with the options it was loaded with).
                let object_marks = index.object_classes.as_ref().map(|_| ObjectMarks {
                    fit: stale.map_or(fit, |o| o.preprocess.fit),
                    overlay,
                });
                inspector.ui(ui, view, &index, object_marks)
            }
            _ => false,
        };
        if !keep {
            self.commands.push(Command::CloseInspector);
        }
    }
}

/// Follow the system's dark or light mode (the default), or choose one.
fn theme_menu_ui(ui: &mut egui::Ui) {
    let mut preference = ui.options(|o| o.theme_preference);
    for (choice, name) in [
        (egui::ThemePreference::System, "Follow the system"),
        (egui::ThemePreference::Dark, "Dark"),
        (egui::ThemePreference::Light, "Light"),
    ] {
        ui.radio_value(&mut preference, choice, name);
    }
    ui.ctx().set_theme(preference);
}

/// Which tab the right-hand panel shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SideTab {
    /// The label histograms.
    #[default]
    Labels,
    /// The inspector (while one image is inspected).
    Inspector,
    /// The export.
    Export,
}

/// "Settings restored from last time: batch size 4, resize 256x256  [Reset] [Keep]", or "Opened
/// with the defaults. The previous dataset used: shuffle  [Apply them] [Dismiss]".
fn settings_note_ui(
    ui: &mut egui::Ui,
    note: super::SettingsNote,
    changes: &[String],
    commands: &mut Vec<Command>,
) {
    let why = match note {
        super::SettingsNote::Restored => "Settings restored from last time",
        super::SettingsNote::PreviousDataset => {
            "Opened with the defaults. The previous dataset used"
        }
    };
    egui::Frame::group(ui.style())
        .fill(ui.visuals().faint_bg_color)
        .stroke((1.0, ui.visuals().warn_fg_color))
        .show(ui, |ui| {
            ui.set_min_width(ui.available_width());
            ui.colored_label(ui.visuals().warn_fg_color, format!("{why}:"));
            ui.label(changes.join(", "));
            ui.horizontal_wrapped(|ui| match note {
                super::SettingsNote::Restored => {
                    if ui
                        .button("Reset")
                        .on_hover_text("Back to Keras's defaults")
                        .clicked()
                    {
                        commands.push(Command::ResetSettings);
                    }
                    if ui
                        .button("Keep")
                        .on_hover_text("Keep these settings and hide this note")
                        .clicked()
                    {
                        commands.push(Command::DismissSettingsNote);
                    }
                }
                super::SettingsNote::PreviousDataset => {
                    if ui
                        .button("Apply previous dataset's settings")
                        .on_hover_text(
                            "Its loader settings and export choices (not its output folder)",
                        )
                        .clicked()
                    {
                        commands.push(Command::ApplyPreviousSettings);
                    }
                    if ui
                        .button("Dismiss")
                        .on_hover_text("Keep the defaults and hide this note")
                        .clicked()
                    {
                        commands.push(Command::DismissSettingsNote);
                    }
                }
            });
        });
}

/// What the dataset on screen offers the export panel, once it is ready.
fn export_source(session: &Session) -> Option<export_panel::Source<'_>> {
    let ready = session.ready()?;
    Some(export_panel::Source {
        root: &session.root,
        index: &ready.index,
        job: &ready.job,
        load: &ready.options,
        size_fallback: ready.size_fallback.as_ref(),
    })
}
