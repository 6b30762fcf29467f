//! Label histograms: this batch's class counts beside the planned dataset's, as horizontal bars with
//! class names on the axis (readable from 2 to hundreds of classes: the plot grows and scrolls).
//! Clicking a bar highlights that class in the grid; clicking it again clears the highlight.

use egui_plot::{Bar, BarChart, Plot};

use super::grid::class_color;

/// Height of one class row in points.
const ROW: f32 = 18.0;

/// Counts of `labels` per class.
pub fn batch_counts(labels: impl Iterator<Item = u32>, classes: usize) -> Vec<usize> {
    let mut counts = vec![0; classes];
    for label in labels {
        if let Some(c) = counts.get_mut(label as usize) {
            *c += 1;
        }
    }
    counts
}

/// Draws both histograms; returns the class whose bar was clicked.
pub fn histograms_ui(
    ui: &mut egui::Ui,
    class_names: &[String],
    batch: &[usize],
    dataset: &[usize],
    highlight: Option<u32>,
) -> Option<u32> {
    if class_names.is_empty() {
        ui.weak("No labels (labels off): nothing to count.");
        return None;
    }
    let mut clicked = None;
    let height = (class_names.len() as f32 * ROW + 40.0).max(120.0);
    egui::ScrollArea::vertical()
        .id_salt("histograms")
        .show(ui, |ui| {
            ui.columns(2, |cols| {
                for (col, (title, counts, id)) in cols.iter_mut().zip([
                    ("This batch", batch, "hist_batch"),
                    ("All planned", dataset, "hist_all"),
                ]) {
                    let total: usize = counts.iter().sum();
                    col.strong(format!("{title} ({total})"));
                    if let Some(c) = bar_plot(col, id, class_names, counts, highlight, height) {
                        clicked = Some(c);
                    }
                }
            });
        });
    clicked
}

fn bar_plot(
    ui: &mut egui::Ui,
    id: &str,
    class_names: &[String],
    counts: &[usize],
    highlight: Option<u32>,
    height: f32,
) -> Option<u32> {
    let n = class_names.len();
    let bars: Vec<Bar> = counts
        .iter()
        .enumerate()
        .map(|(i, &count)| {
            let label = i as u32;
            let mut color = class_color(label);
            if highlight.is_some_and(|h| h != label) {
                color = color.gamma_multiply(0.3);
            }
            // Class 0 at the top: y runs downward through the labels.
            Bar::new(-(i as f64), count as f64)
                .width(0.8)
                .fill(color)
                .name(format!("{i} {}", class_names[i]))
                .horizontal()
        })
        .collect();
    let names = class_names.to_vec();
    let response = Plot::new(id)
        .height(height)
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .show_grid([true, false])
        .include_x(0.0)
        .include_y(0.5)
        .include_y(-(n as f64) + 0.5)
        .y_axis_min_width(60.0)
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
            let v = -mark.value;
            if v.fract().abs() < 1e-6 && v >= 0.0 {
                names.get(v as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .show(ui, |plot_ui| {
            plot_ui.bar_chart(
                BarChart::new(id, bars)
                    .element_formatter(Box::new(|bar, _| format!("{}: {}", bar.name, bar.value))),
            );
            plot_ui.pointer_coordinate()
        });
    if response.response.clicked()
        && let Some(point) = response.inner
    {
        let row = (-point.y).round();
        if row >= 0.0 && (row as usize) < n {
            return Some(row as u32);
        }
    }
    None
}
