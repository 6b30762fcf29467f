//! The side and edge panels of the window: the top bar (open, recent, sample), the export section, the
//! problems list, the label histograms, and the inspector window.

use std::path::PathBuf;
use std::sync::Arc;

use egui::{Color32, Key, RichText};

use super::{
    BatchscopeApp, Command, View, bundled_sample, dialog, export_panel, export_view, health_view,
    histogram, problems,
};

impl BatchscopeApp {
    pub(super) fn top_bar_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
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
                    .desired_width(360.0),
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
            ui.separator();
            for (view, name, hover) in [
                (View::Batches, "Batches", "Browse the batches"),
                (
                    View::Health,
                    "Health",
                    "Duplicates, train/validation leaks, dark, blurry or odd images, class balance and mean/std",
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
        });
        if let Some(notice) = &self.notice {
            ui.colored_label(Color32::from_rgb(240, 200, 120), notice);
        }
    }

    pub(super) fn export_ui(&mut self, ui: &mut egui::Ui) {
        let ready = self
            .session
            .as_ref()
            .and_then(|s| s.ready().map(|r| (s.root.as_path(), r)));
        let source = ready.map(|(root, r)| export_panel::Source {
            root,
            index: &r.index,
            job: &r.job,
            load: &r.options,
            size_fallback: r.size_fallback.as_ref(),
        });
        match export_view::export_ui(
            ui,
            &mut self.export,
            &mut self.settings.export,
            source.as_ref(),
        ) {
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

    /// Asks for an export of the dataset on screen, as the Export button does (`overwrite`: the user
    /// agreed to write into a non-empty folder).
    pub fn request_export(&mut self, overwrite: bool) {
        self.commands.push(Command::Export(overwrite));
    }

    pub(super) fn start_export(&mut self, overwrite: bool) {
        let Some(session) = &self.session else { return };
        let Some(ready) = session.ready() else { return };
        let source = export_panel::Source {
            root: &session.root,
            index: &ready.index,
            job: &ready.job,
            load: &ready.options,
            size_fallback: ready.size_fallback.as_ref(),
        };
        self.export.start(
            &source,
            &self.settings.export,
            overwrite,
            Arc::clone(&self.notify),
        );
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
            });
        }
    }

    pub(super) fn problems_ui(&mut self, ui: &mut egui::Ui) {
        let problems = self
            .session
            .as_ref()
            .map_or(&[][..], |s| s.problems.as_slice());
        let title = if problems.is_empty() {
            "Problems".to_owned()
        } else {
            format!("Problems ({})", problems.len())
        };
        // Opens by itself when new problems arrive; the user may close it again.
        let open = (problems.len() > self.problems_seen).then_some(true);
        self.problems_seen = problems.len();
        egui::CollapsingHeader::new(RichText::new(title).strong())
            .id_salt("problems_header")
            .open(open)
            .show(ui, |ui| problems::problems_ui(ui, problems));
    }

    /// The class counts the batch histogram shows for the batch on screen (zeros while it loads).
    pub fn batch_histogram(&self) -> Vec<usize> {
        let Some(session) = &self.session else {
            return Vec::new();
        };
        let Some(ready) = session.ready() else {
            return Vec::new();
        };
        session.current_batch().map_or_else(
            || vec![0; ready.index.class_names.len()],
            |b| ready.index.class_counts_of(b.samples.iter().copied()),
        )
    }

    pub(super) fn histograms_ui(&mut self, ui: &mut egui::Ui) {
        // Fill the panel, so that its width does not follow its (sometimes tiny) content.
        ui.set_min_width(ui.available_width());
        ui.heading("Labels");
        let batch_counts = self.batch_histogram();
        let Some(session) = &self.session else { return };
        let Some(ready) = session.ready() else { return };
        if let Some(class) = histogram::histograms_ui(
            ui,
            &ready.index.class_names,
            &batch_counts,
            &ready.plan_counts,
            self.highlight,
        ) {
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
                    ready
                        .index
                        .class_names
                        .get(h as usize)
                        .map_or("?", String::as_str)
                ));
                if ui.small_button("clear").clicked() {
                    self.commands.push(Command::Highlight(None));
                }
            });
        }
    }

    pub(super) fn inspector_ui(&mut self, ctx: &egui::Context) {
        let (Some(inspector), Some(session)) = (&mut self.inspector, &mut self.session) else {
            return;
        };
        let Some(index) = session.ready().map(|r| Arc::clone(&r.index)) else {
            return;
        };
        let keep = match session.shown_mut() {
            Some((view, _)) if view.batch.number == inspector.batch => {
                inspector.ui(ctx, view, &index)
            }
            _ => false,
        };
        if !keep {
            self.inspector = None;
        }
    }
}
