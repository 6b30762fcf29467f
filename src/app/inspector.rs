//! The inspector: one sample of the batch on screen, large, with zoom, the pixel value under the
//! cursor, and its path, label, shape, dtype and per-channel statistics; for stored rows every column
//! with its shape and dtype, and the first values of the columns that are not drawn.

use egui::{Color32, Vec2};

use super::display::{StoredImage, number};
use super::grid::{self, class_color, label_text};
use super::rows;
use super::session::ViewBatch;
use crate::index::DatasetIndex;
use crate::loader::{Batch, Pixels};
use crate::npy::{dtype_name, shape_repr};

/// Which sample is inspected, and how.
#[derive(Clone, Debug, PartialEq)]
pub struct Inspector {
    /// Batch number.
    pub batch: usize,
    /// Row among the batch's good samples.
    pub row: usize,
    /// Screen points per image pixel.
    pub zoom: f32,
}

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
    /// Draws the inspector window; returns false when the user closed it. Stored rows are drawn
    /// with the display range the grid drew them with.
    pub fn ui(&mut self, ctx: &egui::Context, view: &mut ViewBatch, index: &DatasetIndex) -> bool {
        let Some(&sample) = view.batch.samples.get(self.row) else {
            return false;
        };
        let has_image =
            rows::stored_rows(index).is_none() || StoredImage::of(index, &view.batch).is_some();
        if has_image {
            // Its grid tile may be scrolled out of view: one image, uploaded now.
            let mut budget = usize::MAX;
            grid::upload(ctx, view, index, self.row, &mut budget);
        }
        let view = &*view;
        let batch = &view.batch;
        let texture = view.textures.get(&self.row).filter(|_| has_image);
        let mut open = true;
        egui::Window::new("Inspector")
            .open(&mut open)
            .default_size([520.0, 640.0])
            .resizable(true)
            .show(ctx, |ui| {
                egui::Grid::new("inspector_info")
                    .num_columns(2)
                    .show(ui, |ui| {
                        self.info_ui(ui, batch, index, sample);
                    });
                if let Some(texture) = texture {
                    self.image_ui(ui, batch, index, texture);
                }
            });
        open
    }

    fn info_ui(&self, ui: &mut egui::Ui, batch: &Batch, index: &DatasetIndex, sample: usize) {
        let label = index.samples[sample].label;
        ui.label("Path");
        ui.label(index.samples[sample].rel_path.to_string_lossy());
        ui.end_row();
        ui.label("Label");
        ui.colored_label(
            label.map_or(Color32::GRAY, class_color),
            label_text(index, label),
        );
        ui.end_row();
        if let Some(rows) = rows::stored_rows(index) {
            ui.label("Source");
            ui.label(rows.describe());
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
        ui.label("Batch / row");
        ui.label(format!("{} / {}", self.batch + 1, self.row));
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
        batch: &Batch,
        index: &DatasetIndex,
        texture: &egui::TextureHandle,
    ) {
        let s = batch.shape;
        ui.horizontal(|ui| {
            let label = ui.label("Zoom");
            ui.add(
                egui::Slider::new(&mut self.zoom, 0.25..=32.0)
                    .logarithmic(true)
                    .suffix("x"),
            )
            .labelled_by(label.id);
        });
        let size = Vec2::new(s.width as f32, s.height as f32) * self.zoom;
        egui::ScrollArea::both().max_height(520.0).show(ui, |ui| {
            let response = ui.add(
                egui::Image::new(texture)
                    .fit_to_exact_size(size)
                    .sense(egui::Sense::hover()),
            );
            let Some(pos) = response.hover_pos() else {
                return;
            };
            let x = ((pos.x - response.rect.left()) / self.zoom) as usize;
            let y = ((pos.y - response.rect.top()) / self.zoom) as usize;
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
            response.on_hover_text(format!("x {x}, y {y}: {value}"));
        });
    }
}

/// Values of a non-image column shown for one row.
const FIRST_VALUES: usize = 32;
