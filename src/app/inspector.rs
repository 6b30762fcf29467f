//! The inspector: one sample of the batch on screen, large, with zoom, the pixel value under the
//! cursor, and its path, label, shape, dtype and per-channel statistics.

use egui::{Color32, Vec2};

use super::grid::{class_color, label_text};
use super::session::ViewBatch;
use crate::index::DatasetIndex;
use crate::loader::{Batch, Pixels};

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
    /// Draws the inspector window; returns false when the user closed it.
    pub fn ui(&mut self, ctx: &egui::Context, view: &ViewBatch, index: &DatasetIndex) -> bool {
        let batch = &view.batch;
        let (Some(&sample), Some(texture)) =
            (batch.samples.get(self.row), view.textures.get(self.row))
        else {
            return false;
        };
        let mut open = true;
        let s = batch.shape;
        egui::Window::new("Inspector")
            .open(&mut open)
            .default_width(520.0)
            .resizable(true)
            .show(ctx, |ui| {
                let label = index.samples[sample].label;
                egui::Grid::new("inspector_info")
                    .num_columns(2)
                    .show(ui, |ui| {
                        ui.label("Path");
                        ui.label(index.samples[sample].rel_path.to_string_lossy());
                        ui.end_row();
                        ui.label("Label");
                        ui.colored_label(
                            label.map_or(Color32::GRAY, class_color),
                            label_text(index, label),
                        );
                        ui.end_row();
                        ui.label("Shape");
                        ui.label(format!("({}, {}, {}) uint8", s.height, s.width, s.channels));
                        ui.end_row();
                        let o = batch.originals[self.row];
                        ui.label("Original");
                        ui.label(format!("{}x{} {:?}", o.height, o.width, o.format));
                        ui.end_row();
                        ui.label("Batch / row");
                        ui.label(format!("{} / {}", self.batch + 1, self.row));
                        ui.end_row();
                        let names: &[&str] = match s.channels {
                            1 => &["gray"],
                            3 => &["R", "G", "B"],
                            _ => &["R", "G", "B", "A"],
                        };
                        for (name, (min, max, mean)) in
                            names.iter().zip(channel_stats(batch, self.row))
                        {
                            ui.label(format!("{name} min/max/mean"));
                            ui.monospace(format!("{min:>3} / {max:>3} / {mean:.2}"));
                            ui.end_row();
                        }
                    });
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
                    if let Some(pos) = response.hover_pos() {
                        let x = ((pos.x - response.rect.left()) / self.zoom) as usize;
                        let y = ((pos.y - response.rect.top()) / self.zoom) as usize;
                        if let (true, Pixels::U8(pixels)) =
                            (x < s.width && y < s.height, &batch.pixels)
                        {
                            let at = self.row * s.len() + (y * s.width + x) * s.channels;
                            let value = &pixels[at..at + s.channels];
                            response.on_hover_text(format!("x {x}, y {y}: {value:?}"));
                        }
                    }
                });
            });
        open
    }
}
