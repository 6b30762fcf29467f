//! The inspector, docked beside the grid: one sample of the batch on screen, fitted to the panel (or
//! zoomed, with scroll bars), the pixel value under the cursor in a status line under the image, and
//! its path, label, shape, dtype and per-channel statistics; for stored rows every column with its
//! shape and dtype, and the first values of the columns that are not drawn.

use egui::{Color32, RichText, Vec2};

use super::display::{StoredImage, number};
use super::grid::{self, label_text};
use super::objects::{self, ObjectMarks};
use super::rows;
use super::session::ViewBatch;
use crate::index::DatasetIndex;
use crate::load::loader::{Batch, Pixels};
use crate::npy::{dtype_name, shape_repr};

/// Which sample is inspected, and how.
#[derive(Clone, Debug, PartialEq)]
pub struct Inspector {
    /// Batch number.
    pub batch: usize,
    /// Row among the batch's good samples.
    pub row: usize,
    /// Screen points per image pixel; `None` fits the image to the panel.
    pub zoom: Option<f32>,
    /// The pixel under the cursor and its value, as the status line shows it.
    pub hovered: Option<String>,
}

/// Height kept under the image for the pixel status line.
const STATUS_LINE: f32 = 28.0;

/// Per-channel `(min, max, mean)` of sample `row`.
pub fn channel_stats(batch: &Batch, row: usize) -> Vec<(u8, u8, f64)> {
    let s = batch.shape;
    let Pixels::U8(pixels) = &batch.pixels else {
        return Vec::new();
    };
    let Some(data) = pixels.get(row * s.len()..(row + 1) * s.len()) else {
        return Vec::new();
    };
    (0..s.channels)
        .map(|c| {
            let values = data.iter().skip(c).step_by(s.channels);
            let (mut min, mut max, mut sum) = (u8::MAX, u8::MIN, 0u64);
            let mut n = 0u64;
            for &v in values {
                min = min.min(v);
                max = max.max(v);
                sum += u64::from(v);
                n += 1;
            }
            (min, max, if n == 0 { 0.0 } else { sum as f64 / n as f64 })
        })
        .collect()
}

impl Inspector {
    /// Draws the inspector into `ui` (a side panel); returns false when the user closed it. Stored
    /// rows are drawn with the display range the grid drew them with.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        view: &mut ViewBatch,
        index: &DatasetIndex,
        objects: Option<ObjectMarks>,
    ) -> bool {
        let Some(&sample) = view.batch.samples.get(self.row) else {
            return false;
        };
        let has_image =
            rows::stored_rows(index).is_none() || StoredImage::of(index, &view.batch).is_some();
        if has_image {
            // Its grid tile may be scrolled out of view: one image, uploaded now.
            let mut budget = usize::MAX;
            grid::upload(ui.ctx(), view, index, self.row, &mut budget);
        }
        let view = &*view;
        let batch = &view.batch;
        let texture = view.textures.get(&self.row).filter(|_| has_image);
        let mut open = true;
        ui.horizontal(|ui| {
            ui.heading("Inspector");
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui
                    .button("×")
                    .on_hover_text("Close the inspector (Esc)")
                    .clicked()
                {
                    open = false;
                }
            });
        });
        egui::Grid::new("inspector_info")
            .num_columns(2)
            .spacing([12.0, 4.0])
            .show(ui, |ui| {
                self.info_ui(ui, batch, index, sample);
            });
        if let Some(texture) = texture {
            ui.separator();
            self.image_ui(ui, view, index, texture, objects);
        }
        open
    }

    fn info_ui(&self, ui: &mut egui::Ui, batch: &Batch, index: &DatasetIndex, sample: usize) {
        // The values' column gets what the panel has left, so a long source line or path is cut
        // (whole on hover) instead of widening the grid past the panel's edge.
        ui.set_max_width(ui.available_width());
        let label = index.samples[sample].label;
        ui.label("Path");
        fitted_label(ui, &index.samples[sample].rel_path.to_string_lossy());
        ui.end_row();
        ui.label("Label");
        ui.colored_label(
            label.map_or(Color32::GRAY, |l| {
                grid::class_text_color(l, ui.visuals().dark_mode)
            }),
            label_text(index, label),
        );
        ui.end_row();
        if let Some(caption) = objects::caption(index, sample) {
            ui.label("Objects");
            fitted_label(ui, &caption);
            ui.end_row();
        }
        if let Some(rows) = rows::stored_rows(index) {
            ui.label("Source");
            fitted_label(ui, &rows.describe());
            ui.end_row();
            for (c, column) in rows.columns().iter().enumerate() {
                ui.label(&column.name);
                ui.label(format!(
                    "{} {}",
                    shape_repr(&column.row_shape),
                    dtype_name(column.dtype)
                ));
                ui.end_row();
                if Some(c) != rows.image_column() {
                    ui.weak("values");
                    ui.monospace(rows::first_values(rows, batch, c, self.row, FIRST_VALUES));
                    ui.end_row();
                }
            }
        } else {
            let s = batch.shape;
            ui.label("Shape");
            ui.label(format!("({}, {}, {}) uint8", s.height, s.width, s.channels));
            ui.end_row();
            ui.label("Original");
            ui.label(grid::original_text(&batch.originals[self.row]));
            ui.end_row();
        }
        // Both counted from 1, as the navigator counts batches.
        ui.label("Position");
        ui.label(format!(
            "batch {}, image {} of {}",
            self.batch + 1,
            self.row + 1,
            batch.samples.len()
        ));
        ui.end_row();
        let names: &[&str] = match batch.shape.channels {
            1 => &["gray"],
            3 => &["R", "G", "B"],
            _ => &["R", "G", "B", "A"],
        };
        if let Some(image) = StoredImage::of(index, batch) {
            for (name, stats) in names.iter().zip(image.channel_stats(self.row)) {
                ui.label(format!("{name} min/max/mean"));
                ui.monospace(format!(
                    "{} / {} / {}",
                    number(stats.min),
                    number(stats.max),
                    number(stats.mean)
                ));
                ui.end_row();
            }
        } else {
            for (name, (min, max, mean)) in names.iter().zip(channel_stats(batch, self.row)) {
                ui.label(format!("{name} min/max/mean"));
                ui.monospace(format!("{min:>3} / {max:>3} / {mean:.2}"));
                ui.end_row();
            }
        }
    }

    fn image_ui(
        &mut self,
        ui: &mut egui::Ui,
        view: &ViewBatch,
        index: &DatasetIndex,
        texture: &egui::TextureHandle,
        objects: Option<ObjectMarks>,
    ) {
        let batch = &view.batch;
        let s = batch.shape;
        let (w, h) = (s.width.max(1) as f32, s.height.max(1) as f32);
        // Fit: the whole image in the room left under the zoom row, above the status line.
        let room = ui.available_size() - Vec2::new(0.0, STATUS_LINE + ui.spacing().interact_size.y);
        // A few points short of the room: rounding must not bring in a scroll bar.
        let fit = ((room.x - 4.0) / w)
            .min((room.y - 8.0) / h)
            .clamp(0.05, 32.0);
        let mut zoom = self.zoom.unwrap_or(fit);
        ui.horizontal(|ui| {
            let label = ui.label("Zoom");
            if ui
                .add(
                    egui::Slider::new(&mut zoom, 0.05..=32.0)
                        .logarithmic(true)
                        .suffix("x")
                        .fixed_decimals(2),
                )
                .labelled_by(label.id)
                .changed()
            {
                self.zoom = Some(zoom);
            }
            if ui
                .add_enabled(self.zoom.is_some(), egui::Button::new("Fit"))
                .on_hover_text("Fit the image to the panel")
                .clicked()
            {
                self.zoom = None;
                zoom = fit;
            }
        });
        let size = Vec2::new(w, h) * zoom;
        self.hovered = None;
        egui::ScrollArea::both()
            .max_height((ui.available_height() - STATUS_LINE).max(32.0))
            .auto_shrink([true, true])
            .scroll_bar_visibility(egui::scroll_area::ScrollBarVisibility::VisibleWhenNeeded)
            .show(ui, |ui| {
                let response = ui.add(
                    egui::Image::new(texture)
                        .fit_to_exact_size(size)
                        .alt_text("inspected image")
                        .sense(egui::Sense::hover()),
                );
                let object = objects.and_then(|marks| {
                    objects::draw_over(
                        ui,
                        &response,
                        (&view.batch, view.masks.get(&self.row)),
                        index,
                        self.row,
                        marks,
                    )
                });
                let Some(pos) = response.hover_pos() else {
                    return;
                };
                let x = ((pos.x - response.rect.left()) / zoom) as usize;
                let y = ((pos.y - response.rect.top()) / zoom) as usize;
                if x >= s.width || y >= s.height {
                    return;
                }
                let at = (y * s.width + x) * s.channels;
                let value = match (&batch.pixels, StoredImage::of(index, batch)) {
                    (Pixels::U8(pixels), _) => {
                        let at = self.row * s.len() + at;
                        format!("{:?}", &pixels[at..at + s.channels])
                    }
                    (_, Some(image)) => {
                        let values: Vec<String> = (at..at + s.channels)
                            .map(|i| image.value(self.row, i).map_or_else(|| "?".into(), number))
                            .collect();
                        format!("[{}] {}", values.join(", "), dtype_name(image.dtype))
                    }
                    _ => return,
                };
                self.hovered = Some(match object {
                    Some(object) => objects::hover_text(index, &object),
                    None => format!("x {x}, y {y}: {value}"),
                });
            });
        // The status line: always there, so the layout does not jump when the cursor enters.
        ui.horizontal(|ui| {
            ui.set_min_height(STATUS_LINE - ui.spacing().item_spacing.y);
            match &self.hovered {
                // Cut to the panel (an object's line can be long): a wider line would widen
                // the side panel over the grid.
                Some(text) => ui
                    .add(egui::Label::new(RichText::new(text).monospace()).truncate())
                    .on_hover_text(text),
                None => ui.add(
                    egui::Label::new(RichText::new("Hover the image for pixel values").weak())
                        .truncate(),
                ),
            };
        });
    }
}

/// Values of a non-image column shown for one row.
const FIRST_VALUES: usize = 32;

/// A value that may be longer than the panel is wide: cut to the width left, whole on hover.
fn fitted_label(ui: &mut egui::Ui, text: &str) {
    ui.add(egui::Label::new(text).truncate())
        .on_hover_text(text);
}
