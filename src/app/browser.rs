//! The central area: the batch browser (navigation, the grid of the batch on screen) and the states
//! shown instead of it (no folder, indexing, failures, no images).

use std::sync::Arc;
use std::time::Instant;

use egui::{Key, RichText};

use super::display::{self, StoredImage};
use super::session::{self, Status};
use super::{BatchscopeApp, Command, grid, objects, rows, settings};
use crate::index::{DatasetIndex, StoredRows};
use crate::plan::BatchPlan;

impl BatchscopeApp {
    pub(super) fn central_ui(&mut self, ui: &mut egui::Ui) {
        let Some(session) = &mut self.session else {
            empty_state(
                ui,
                "No dataset open",
                "Open a folder, drop one on the window, or click Sample.",
            );
            return;
        };
        if state_ui(ui, session) {
            return;
        }
        self.navigator_ui(ui);
        let Some(session) = &mut self.session else {
            return;
        };
        let (Some(ready_index), Some(job)) = (
            session.ready().map(|r| Arc::clone(&r.index)),
            session.ready().map(|r| Arc::clone(&r.job)),
        ) else {
            return;
        };
        let replanning = session.is_replanning();
        // What the batch on screen was made with: the ready options (which carry the 256x256 fallback
        // for mixed sizes), not the settings as typed.
        let planned_options = session.ready().map(|r| r.options.clone());
        if let Some(mixed) = session.ready().and_then(|r| r.size_fallback.as_ref()) {
            ui.colored_label(ui.visuals().warn_fg_color, size_fallback_note(mixed));
        }
        let thumb = self.settings.thumb_size;
        let inspected = self.inspector.as_ref().map(|i| (i.batch, i.row));
        let highlight = self.highlight;
        let mut compared = session.take_compared();
        match session.shown_mut() {
            Some((view, stale_options)) => {
                let described = match rows::stored_rows(&ready_index) {
                    // Stored rows are shown as stored: the folder settings do not apply to them.
                    Some(stored) => stored_description(stored, &job.plan),
                    None => settings::describe(
                        stale_options
                            .or(planned_options.as_ref())
                            .unwrap_or(&self.settings.load),
                    ),
                };
                showing_ui(ui, &described, stale_options.is_some() || replanning);
                let planned: Vec<usize> = if stale_options.is_some() {
                    view.batch.samples.clone()
                } else {
                    job.plan.batch(view.batch.number).to_vec()
                };
                let marks = grid::Marks {
                    highlight,
                    inspected: inspected
                        .filter(|&(batch, _)| batch == view.batch.number)
                        .map(|(_, row)| row),
                    objects: ready_index
                        .object_classes
                        .as_ref()
                        .map(|_| objects::ObjectMarks {
                            fit: stale_options
                                .or(planned_options.as_ref())
                                .map_or(job.preprocess.fit, |o| o.preprocess.fit),
                            overlay: self.settings.overlay,
                        }),
                };
                if ready_index.object_classes.is_some() {
                    objects::overlay_ui(ui, &mut self.settings.overlay, &ready_index);
                }
                let drawing = (&mut self.display_range, self.health.measured_denormalise());
                let action = match &mut compared {
                    None => batch_ui(ui, view, &planned, &ready_index, (thumb, marks), drawing),
                    // Side by side, each half a grid; the second drawn as the first is.
                    Some(other) => ui.columns(2, |cols| {
                        let action = batch_ui(
                            &mut cols[0],
                            view,
                            &planned,
                            &ready_index,
                            (thumb, marks),
                            drawing,
                        );
                        let range = view.drawn_with;
                        let planned = job.plan.batch(other.batch.number).to_vec();
                        let drawn = (thumb, range, marks.objects);
                        compared_ui(&mut cols[1], other, &planned, &ready_index, drawn);
                        action
                    }),
                };
                if let Some(grid::GridAction::Select(row)) = action {
                    self.commands.push(Command::Inspect(row));
                }
            }
            None => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Loading batch…");
                });
            }
        }
        if let Some(other) = compared {
            session.put_back(other);
        }
    }

    fn failed_ui(ui: &mut egui::Ui, error: Option<&session::OpenError>) {
        match error {
            None => empty_state(
                ui,
                "No dataset open",
                "Open a folder, drop one on the window, or click Sample.",
            ),
            Some(error) => empty_state(ui, "Cannot open this dataset", &error.message),
        }
    }

    fn navigator_ui(&mut self, ui: &mut egui::Ui) {
        let Some(session) = &self.session else { return };
        let Some(ready) = session.ready() else { return };
        let count = ready.batch_count();
        let current = session.current;
        ui.horizontal_wrapped(|ui| {
            if ui
                .button("« First")
                .on_hover_text("First batch (Home)")
                .clicked()
            {
                self.commands.push(Command::First);
            }
            if ui
                .button("‹ Prev")
                .on_hover_text("Previous batch (Left arrow)")
                .clicked()
            {
                self.commands.push(Command::Prev);
            }
            let batch_label =
                ui.label(RichText::new(format!("Batch {} / {count}", current + 1)).strong());
            if ui
                .button("Next ›")
                .on_hover_text("Next batch (Right arrow)")
                .clicked()
            {
                self.commands.push(Command::Next);
            }
            if ui
                .button("Last »")
                .on_hover_text("Last batch (End)")
                .clicked()
            {
                self.commands.push(Command::Last);
            }
            let mut slider_value = current + 1;
            // As wide as the row has room for, or on the next row: a wider slider overflowed the
            // panel at 960 points.
            // The "go to #" field after it (60 points and a gap) stays on the same row.
            let after = 60.0 + 2.0 * ui.spacing().item_spacing.x;
            if ui.available_size_before_wrap().x < 96.0 + after {
                ui.end_row();
            }
            ui.spacing_mut().slider_width =
                (ui.available_size_before_wrap().x - 24.0 - after).clamp(60.0, 240.0);
            if ui
                .add_enabled(
                    count > 1,
                    egui::Slider::new(&mut slider_value, 1..=count.max(1)).show_value(false),
                )
                .labelled_by(batch_label.id)
                .changed()
            {
                self.commands.push(Command::GoTo(slider_value - 1));
            }
            // Text that is not a batch number stays, in the error colour, and says why on hover.
            let number = self.jump_text.trim().parse::<usize>().ok();
            let wrong =
                !self.jump_text.trim().is_empty() && number.is_none_or(|k| k == 0 || k > count);
            let mut field = egui::TextEdit::singleline(&mut self.jump_text)
                .hint_text("go to #")
                .desired_width(60.0);
            if wrong {
                field = field.text_color(ui.visuals().error_fg_color);
            }
            let jump = ui.add(field).on_hover_text(if wrong {
                format!("not a batch number: type one from 1 to {count}, then Enter")
            } else {
                format!("Go to batch 1 to {count}: type its number, then Enter")
            });
            if jump.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter)) && !wrong {
                if let Some(k) = number {
                    self.commands.push(Command::GoTo(k - 1));
                }
                self.jump_text.clear();
            }
            compare_control(ui, session.compared, current, count, &mut self.commands);
        });
    }

    pub(super) fn flip(&mut self, command: &Command) {
        let Some(session) = &mut self.session else {
            return;
        };
        let Some(count) = session.ready().map(session::Ready::batch_count) else {
            return;
        };
        let last = count.saturating_sub(1);
        let target = match *command {
            Command::GoTo(k) => k.min(last),
            Command::Next => (session.current + 1).min(last),
            Command::Prev => session.current.saturating_sub(1),
            Command::First => 0,
            Command::Last => last,
            _ => session.current,
        };
        if target != session.current {
            session.go_to(target);
            self.flip_started = Some(Instant::now());
            self.inspector = None;
        }
    }
}

/// What is shown instead of the batches while `session` is not ready (indexing, failed, no
/// samples); `true` when it drew one.
fn state_ui(ui: &mut egui::Ui, session: &session::Session) -> bool {
    match session.status() {
        Status::Failed(error) => {
            let error = error.cloned();
            BatchscopeApp::failed_ui(ui, error.as_ref());
            return true;
        }
        Status::Preparing {
            files_found,
            elapsed,
        } => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(format!(
                    "Indexing {:?}: {files_found} samples found ({:.1} s)",
                    session.root,
                    elapsed.as_secs_f32()
                ));
            });
            return true;
        }
        Status::Ready(ready) if ready.job.plan.is_empty() => {
            let detail = format!(
                "No samples in {:?} with these settings ({} indexed).",
                ready.index.root,
                ready.index.samples.len()
            );
            empty_state(ui, "No images", &detail);
            return true;
        }
        Status::Ready(_) => {}
    }
    false
}

/// The batch on screen: a grid of images (stored rows through a display range, with its control), or
/// for stored rows without an image column their values, one line per row. `tiles` is the thumbnail
/// size and what to mark (the highlighted class, the inspected row).
fn batch_ui(
    ui: &mut egui::Ui,
    view: &mut session::ViewBatch,
    planned: &[usize],
    index: &DatasetIndex,
    tiles: (f32, grid::Marks),
    drawing: (&mut display::RangeSetting, Option<display::Denormalise>),
) -> Option<grid::GridAction> {
    let (thumb, marks) = tiles;
    let (range_setting, measured) = drawing;
    match StoredImage::of(index, &view.batch) {
        None if index.store.rows().is_some() => rows::rows_ui(ui, &view.batch, index),
        None => grid::grid_ui(ui, view, planned, index, thumb, marks, None),
        Some(image) => {
            let denormalise = range_setting.denormalise(measured);
            if view.stats.is_none_or(|(drawn, _)| drawn != denormalise) {
                view.stats = Some((denormalise, image.batch_stats(denormalise)));
            }
            let stats = view.stats.map(|(_, stats)| stats).unwrap_or_default();
            let auto = display::auto_range(image.dtype, &stats, denormalise.is_some());
            let range = display::range_ui(ui, range_setting, auto, measured);
            grid::grid_ui(ui, view, planned, index, thumb, marks, Some(range))
        }
    }
}

/// `[x] beside batch [7]`: another batch shown beside the one on screen (the next one by default).
fn compare_control(
    ui: &mut egui::Ui,
    compared: Option<usize>,
    current: usize,
    count: usize,
    commands: &mut Vec<Command>,
) {
    let mut on = compared.is_some();
    let mut number = compared.unwrap_or((current + 1).min(count.saturating_sub(1))) + 1;
    let check = ui
        .add_enabled(count > 1, egui::Checkbox::new(&mut on, "beside batch"))
        .on_hover_text("Show another batch beside this one, drawn the same way");
    let value = ui
        .add_enabled(
            on,
            egui::DragValue::new(&mut number).range(1..=count.max(1)),
        )
        .labelled_by(check.id);
    if check.changed() || value.changed() {
        commands.push(Command::CompareWith(on.then_some(number - 1)));
    }
}

/// The compared batch beside the one on screen: its number, and its grid drawn with the same
/// display range (or its values), without controls of its own.
fn compared_ui(
    ui: &mut egui::Ui,
    view: &mut session::ViewBatch,
    planned: &[usize],
    index: &DatasetIndex,
    drawn: (
        f32,
        Option<display::DisplayRange>,
        Option<objects::ObjectMarks>,
    ),
) {
    let (thumb, range, objects) = drawn;
    ui.label(RichText::new(format!("Batch {} (compared)", view.batch.number + 1)).strong());
    // Its samples' ids in the grid are its own, so that both grids can be told apart.
    ui.push_id("compared_batch", |ui| {
        match StoredImage::of(index, &view.batch) {
            None if index.store.rows().is_some() => {
                rows::rows_ui(ui, &view.batch, index);
            }
            _ => {
                grid::grid_ui(
                    ui,
                    view,
                    planned,
                    index,
                    thumb,
                    grid::Marks {
                        objects,
                        ..grid::Marks::default()
                    },
                    range,
                );
            }
        }
    });
}

/// `Showing: <what the batch on screen was made with>`, with a spinner while new settings load.
fn showing_ui(ui: &mut egui::Ui, described: &str, reloading: bool) {
    if reloading {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.colored_label(
                ui.visuals().warn_fg_color,
                format!("Reloading with new settings; showing: {described}"),
            );
        });
    } else {
        ui.weak(format!("Showing: {described}"));
    }
}

/// What the viewer shows of stored rows: the source, its columns, and how it is cut into batches.
fn stored_description(rows: &dyn StoredRows, plan: &BatchPlan) -> String {
    format!(
        "{} · {} · {}",
        rows.describe(),
        rows::describe_columns(rows),
        if plan.ends.is_some() {
            "its stored batches".to_owned()
        } else {
            format!("batch {}", plan.batch_size)
        }
    )
}

/// The note shown while a folder of mixed sizes is viewed at Keras's default size.
pub(super) fn size_fallback_note(mixed: &crate::load::probe::MixedSizes) -> String {
    format!(
        "The images differ in size ({:?} is {} HxW, {:?} is {}), so they are shown and exported resized to {}, Keras's default image_size. Set an image size in the settings to choose another.",
        mixed.first_path,
        mixed.first_size,
        mixed.second_path,
        mixed.second_size,
        crate::load::spec::KERAS_DEFAULT_IMAGE_SIZE,
    )
}

/// A centred title and explanation where there is nothing to show, then `more` below them.
pub(super) fn centered_note(
    ui: &mut egui::Ui,
    title: &str,
    detail: &str,
    more: impl FnOnce(&mut egui::Ui),
) {
    ui.vertical_centered(|ui| {
        ui.add_space(60.0);
        ui.heading(title);
        ui.add_space(8.0);
        ui.label(detail);
        more(ui);
    });
}

/// [`centered_note`] with what batchscope opens, for the batch view's empty states.
pub(super) fn empty_state(ui: &mut egui::Ui, title: &str, detail: &str) {
    centered_note(ui, title, detail, |ui| {
        ui.add_space(16.0);
        ui.label("batchscope opens a Keras-style dataset folder, one subfolder per class:");
        ui.monospace("dataset/cats/001.jpg   dataset/cats/002.png   dataset/dogs/001.jpg   …");
        ui.weak("Images: .jpg .jpeg .png .bmp .gif (any case). Or set Labels: none for a folder of images without classes.");
        ui.add_space(8.0);
        ui.label("It also opens a saved tf.data dataset (a folder), TFRecord files, .npy and .npz arrays, MNIST IDX and CIFAR files, Hugging Face datasets folders, Parquet files and WebDataset tars, COCO, YOLO and Pascal VOC detection sets, segmentation folders, and its own exports.");
    });
}
