//! Label histograms: for every class, its share of this batch (solid bar) beside its share of all
//! planned samples (faded bar), in one plot with one class axis, so a batch that is not representative
//! stands out. Horizontal bars with class names on the axis, readable from 2 to hundreds of classes
//! (the plot grows and scrolls; long names are shortened on the axis and shown whole on hover).
//! Clicking a class row highlights that class in the grid; clicking it again clears the highlight.
//! The share axis ends a little past the largest share, so that ten classes of 10% fill the plot
//! instead of a tenth of it; hovering a bar gives its count.

use egui_plot::{Bar, BarChart, Plot};

use super::grid::class_color;

/// Height of one class row in points.
const ROW: f32 = 22.0;
/// Characters of a class name shown on the axis.
const AXIS_CHARS: usize = 14;

fn short(name: &str) -> String {
    if name.chars().count() <= AXIS_CHARS {
        name.to_owned()
    } else {
        let head: String = name.chars().take(AXIS_CHARS - 1).collect();
        format!("{head}…")
    }
}

fn percent(count: usize, total: usize) -> f64 {
    if total == 0 {
        0.0
    } else {
        100.0 * count as f64 / total as f64
    }
}

/// Where the share axis ends: 10% past the largest share, at least 1%, at most 105% (room for the
/// "100" label).
fn axis_end(batch: &[usize], dataset: &[usize]) -> f64 {
    let (batch_total, all_total) = (batch.iter().sum(), dataset.iter().sum());
    let largest = batch
        .iter()
        .map(|&c| percent(c, batch_total))
        .chain(dataset.iter().map(|&c| percent(c, all_total)))
        .fold(0.0, f64::max);
    (largest * 1.1).clamp(1.0, 105.0)
}

/// Marks of the share axis at least 80 points apart (`egui_plot` hides x labels closer than 60), on a
/// round step: its own spacing left only "0" under the axis in a narrow panel. `base_step_size` is
/// the value of 8 points.
fn share_marks(input: &egui_plot::GridInput) -> Vec<egui_plot::GridMark> {
    let (_, hi) = input.bounds;
    let step = [1.0, 2.0, 5.0, 10.0, 20.0, 25.0, 50.0]
        .into_iter()
        .find(|&s| s >= input.base_step_size * 10.0)
        .unwrap_or(100.0);
    (0..=(hi / step).floor() as i64)
        .map(|k| egui_plot::GridMark {
            value: k as f64 * step,
            step_size: step,
        })
        .collect()
}

/// Draws the histogram; returns the class whose row was clicked.
pub fn histograms_ui(
    ui: &mut egui::Ui,
    class_names: &[String],
    batch: &[usize],
    dataset: &[usize],
    highlight: Option<u32>,
    unit: &str,
) -> Option<u32> {
    if class_names.is_empty() {
        ui.weak("No classes to count (labels off, or no class subfolders).");
        return None;
    }
    let (batch_total, all_total) = (batch.iter().sum::<usize>(), dataset.iter().sum::<usize>());
    ui.label(format!(
        "Share of each class: this batch ({batch_total} {unit}, solid) vs all planned ({all_total}, faded)"
    ));
    let n = class_names.len();
    let mut batch_bars = Vec::with_capacity(n);
    let mut all_bars = Vec::with_capacity(n);
    // A count missing from either list (counts not made yet for these classes) is drawn as 0.
    let count = |counts: &[usize], i: usize| counts.get(i).copied().unwrap_or(0);
    for (i, name) in class_names.iter().enumerate() {
        let (in_batch, in_all) = (count(batch, i), count(dataset, i));
        let label = i as u32;
        let mut color = class_color(label);
        if highlight.is_some_and(|h| h != label) {
            color = color.gamma_multiply(0.25);
        }
        // Class 0 at the top: rows run downward.
        let y = -(i as f64);
        batch_bars.push(
            Bar::new(y + 0.2, percent(in_batch, batch_total))
                .width(0.4)
                .fill(color)
                .name(format!(
                    "{i} {name}: {in_batch} of {batch_total} {unit} in this batch"
                ))
                .horizontal(),
        );
        all_bars.push(
            Bar::new(y - 0.2, percent(in_all, all_total))
                .width(0.4)
                .fill(color.gamma_multiply(0.45))
                .name(format!("{i} {name}: {in_all} of {all_total} planned"))
                .horizontal(),
        );
    }
    let axis_names: Vec<String> = class_names.iter().map(|n| short(n)).collect();
    let height = (n as f32 * ROW + 60.0).max(140.0);
    let mut clicked = None;
    egui::ScrollArea::vertical()
        .id_salt("histogram_scroll")
        .show(ui, |ui| {
            let response = Plot::new("class_histogram")
                .height(height)
                .allow_zoom(false)
                .allow_drag(false)
                .allow_scroll(false)
                .allow_boxed_zoom(false)
                .show_grid([true, false])
                .include_x(0.0)
                .set_margin_fraction(egui::Vec2::ZERO)
                .include_y(0.6)
                .include_y(-(n as f64) + 0.4)
                .include_x(axis_end(batch, dataset))
                .x_axis_label("% of samples")
                .x_grid_spacer(|input| share_marks(&input))
                .y_axis_min_width(90.0)
                .y_grid_spacer(|input| {
                    // One mark per class row, so every visible class is named on the axis.
                    let (lo, hi) = input.bounds;
                    (lo.ceil() as i64..=hi.floor() as i64)
                        .map(|v| egui_plot::GridMark {
                            value: v as f64,
                            step_size: 1.0,
                        })
                        .collect()
                })
                .y_axis_formatter(move |mark, _| {
                    let row = -mark.value;
                    if row >= 0.0 && row.fract().abs() < 1e-6 {
                        axis_names.get(row as usize).cloned().unwrap_or_default()
                    } else {
                        String::new()
                    }
                })
                .show(ui, |plot_ui| {
                    let format = Box::new(|bar: &Bar, _: &BarChart| {
                        format!("{} ({:.1}%)", bar.name, bar.value)
                    });
                    plot_ui.bar_chart(
                        BarChart::new("this batch", batch_bars).element_formatter(format),
                    );
                    let format = Box::new(|bar: &Bar, _: &BarChart| {
                        format!("{} ({:.1}%)", bar.name, bar.value)
                    });
                    plot_ui.bar_chart(
                        BarChart::new("all planned", all_bars).element_formatter(format),
                    );
                    plot_ui.pointer_coordinate()
                });
            if response.response.clicked()
                && let Some(point) = response.inner
            {
                let row = (-point.y).round();
                if row >= 0.0 && (row as usize) < n {
                    clicked = Some(row as u32);
                }
            }
        });
    clicked
}
