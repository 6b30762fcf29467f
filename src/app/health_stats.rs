//! The Health view's statistics: per-channel mean and std with copyable normalisation snippets for
//! Keras and torchvision (0–1 scale, as models see `x / 255`), and plots of class counts, original
//! image sizes, aspect ratios and brightness, all from the pass's measures (no pixel is read). The
//! plots are made once per pass ([`StatsPlots`]), so that drawing them costs the same for any dataset.

use std::collections::BTreeSet;

use egui::RichText;
use egui_plot::{Bar, BarChart, Plot, PlotPoint, Points};

use super::grid::class_color;
use super::health_panel::Measured;
use crate::health::{SampleHealth, Scan};
use crate::size::Size;

/// Height of each plot in points.
const PLOT_HEIGHT: f32 = 150.0;
/// The sizes plot has at most this many points a side (see [`size_points`]).
const SIZE_GRID: u32 = 64;

/// The plots of a pass, made once when it finishes (drawing them from the measures made a scatter
/// point and two histogram entries per image, every frame).
pub struct StatsPlots {
    /// Images measured.
    pub measured: usize,
    sizes: Vec<PlotPoint>,
    largest_side: f64,
    aspect: Histogram,
    brightness: Histogram,
}

impl StatsPlots {
    /// The plots of `scan`'s measures.
    pub fn of(scan: &Scan) -> Self {
        let measured: Vec<&SampleHealth> = scan
            .entries
            .iter()
            .filter_map(|e| e.health.as_ref())
            .collect();
        let aspects: Vec<f64> = measured
            .iter()
            .map(|h| f64::from(h.width) / f64::from(h.height.max(1)))
            .collect();
        let brightness: Vec<f64> = measured.iter().map(|h| f64::from(h.brightness)).collect();
        Self {
            measured: measured.len(),
            sizes: size_points(measured.iter().map(|h| Size {
                height: h.height,
                width: h.width,
            })),
            largest_side: measured
                .iter()
                .fold(1.0f64, |m, h| m.max(f64::from(h.width.max(h.height)))),
            aspect: Histogram::of(&aspects, 24),
            brightness: Histogram::of(&brightness, 32),
        }
    }
}

/// The points of the sizes plot (width across, height up): one per distinct size, or, when there are
/// more than a [`SIZE_GRID`]-square grid has cells, one per occupied cell (at its centre).
fn size_points(sizes: impl Iterator<Item = Size>) -> Vec<PlotPoint> {
    // Plot coordinates `(x, y)`, in the order the points are drawn.
    let distinct: BTreeSet<(u32, u32)> = sizes.map(|s| (s.width, s.height)).collect();
    if distinct.len() <= (SIZE_GRID * SIZE_GRID) as usize {
        return distinct
            .into_iter()
            .map(|(w, h)| PlotPoint::new(w, h))
            .collect();
    }
    let largest = distinct.iter().map(|&(w, h)| w.max(h)).max().unwrap_or(0);
    let cell = largest / SIZE_GRID + 1;
    let occupied: BTreeSet<(u32, u32)> = distinct
        .into_iter()
        .map(|(w, h)| (w / cell, h / cell))
        .collect();
    let centre = |i: u32| f64::from(i) * f64::from(cell) + f64::from(cell) / 2.0;
    occupied
        .into_iter()
        .map(|(x, y)| PlotPoint::new(centre(x), centre(y)))
        .collect()
}

/// A histogram's bars and the range of values it spans.
struct Histogram {
    bars: Vec<Bar>,
    lo: f64,
    hi: f64,
}

impl Histogram {
    /// `values` in `bins` equal bins between their min and max.
    fn of(values: &[f64], bins: usize) -> Self {
        let (min, max) = values
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            });
        // One value is one thin bar in a range around it, not a bar filling the plot.
        let (lo, hi) = if min.is_finite() && max - min <= f64::EPSILON {
            (min * 0.5, max * 1.5 + 1.0)
        } else {
            (min, max)
        };
        Self {
            bars: histogram_bars(values, bins),
            lo: if lo.is_finite() { lo } else { 0.0 },
            hi: if hi.is_finite() { hi } else { 1.0 },
        }
    }
}

/// `[a, b, c]` with four decimals.
fn list(values: impl Iterator<Item = f64>) -> String {
    let items: Vec<String> = values.map(|v| format!("{v:.4}")).collect();
    format!("[{}]", items.join(", "))
}

/// The Keras layer that normalises with `mean`/`std` given on the 0..255 scale, for inputs on 0..1.
pub fn keras_snippet(mean: &[f64], std: &[f64]) -> String {
    format!(
        "keras.layers.Normalization(mean={}, variance={})",
        list(mean.iter().map(|m| m / 255.0)),
        list(std.iter().map(|s| (s / 255.0).powi(2)))
    )
}

/// The torchvision transform that normalises with `mean`/`std` given on the 0..255 scale, for
/// tensors on 0..1 (as `ToTensor` makes them).
pub fn torchvision_snippet(mean: &[f64], std: &[f64]) -> String {
    format!(
        "transforms.Normalize(mean={}, std={})",
        list(mean.iter().map(|m| m / 255.0)),
        list(std.iter().map(|s| s / 255.0))
    )
}

/// Draws the statistics and plots.
pub fn stats_ui(ui: &mut egui::Ui, result: &Measured) {
    let findings = &result.findings;
    let channels = &findings.channels;
    if channels.mean.is_empty() {
        ui.weak("No image could be measured.");
    } else {
        ui.monospace(format!(
            "mean (0–255) {}   std {}",
            list(channels.mean.iter().copied()),
            list(channels.std.iter().copied())
        ));
        for snippet in [
            keras_snippet(&channels.mean, &channels.std),
            torchvision_snippet(&channels.mean, &channels.std),
        ] {
            ui.horizontal(|ui| {
                if ui.small_button("Copy").clicked() {
                    ui.ctx().copy_text(snippet.clone());
                }
                ui.add(egui::Label::new(RichText::new(&snippet).monospace()).wrap());
            });
        }
    }
    if let Some(ratio) = findings.imbalance_ratio {
        ui.label(format!("Class imbalance (largest / smallest): {ratio:.2}"));
    }
    if !result.scan.color_modes.is_empty() {
        let modes: Vec<String> = result
            .scan
            .color_modes
            .iter()
            .map(|(mode, n)| format!("{mode} {n}"))
            .collect();
        ui.label(format!(
            "Stored colour modes (from headers): {}",
            modes.join(", ")
        ));
    }
    let plots = &result.plots;
    ui.columns(2, |cols| {
        cols[0].label("Images per class");
        class_plot(&mut cols[0], &findings.classes);
        cols[1].label("Original sizes (width × height)");
        size_plot(&mut cols[1], plots);
    });
    ui.columns(2, |cols| {
        cols[0].label("Aspect ratio (width / height)");
        histogram_plot(&mut cols[0], "health_aspect", &plots.aspect);
        cols[1].label("Brightness (mean luma, 0–255)");
        histogram_plot(&mut cols[1], "health_brightness", &plots.brightness);
    });
}

fn class_plot(ui: &mut egui::Ui, classes: &[(String, usize)]) {
    if classes.is_empty() {
        ui.weak("No classes (labels off, or no class folders).");
        return;
    }
    let bars: Vec<Bar> = classes
        .iter()
        .enumerate()
        .map(|(i, (name, n))| {
            Bar::new(i as f64, *n as f64)
                .width(0.8)
                .fill(class_color(i as u32))
                .name(format!("{name}: {n}"))
        })
        .collect();
    let names: Vec<String> = classes.iter().map(|(n, _)| n.clone()).collect();
    fixed_plot("health_classes")
        .x_axis_formatter(class_axis(names))
        .show(ui, |plot_ui| {
            plot_ui.bar_chart(BarChart::new("classes", bars));
        });
}

/// A plot of a fixed frame (no zoom, drag or scroll), from 0 up.
pub(super) fn fixed_plot(id: &str) -> Plot<'static> {
    Plot::new(id)
        .height(PLOT_HEIGHT)
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .include_y(0.0)
}

/// An x axis that names class `i` at `i` (and nothing between).
pub(super) fn class_axis(
    names: Vec<String>,
) -> impl Fn(egui_plot::GridMark, &std::ops::RangeInclusive<f64>) -> String + 'static {
    move |mark, _| {
        let i = mark.value;
        if i >= 0.0 && i.fract().abs() < 1e-6 {
            names.get(i as usize).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    }
}

/// A plot of original sizes (width across, height up) up to `largest`, with room beyond it, so
/// that one size is not drawn in the corner.
pub(super) fn sizes_frame(id: &str, largest: f64) -> Plot<'static> {
    Plot::new(id)
        .height(PLOT_HEIGHT)
        .include_x(0.0)
        .include_y(0.0)
        .include_x(largest * 1.1)
        .include_y(largest * 1.1)
        .x_axis_label("width")
        .y_axis_label("height")
}

fn size_plot(ui: &mut egui::Ui, plots: &StatsPlots) {
    sizes_frame("health_sizes", plots.largest_side).show(ui, |plot_ui| {
        plot_ui.points(Points::new("sizes", &plots.sizes[..]).radius(3.0));
    });
}

fn histogram_plot(ui: &mut egui::Ui, id: &str, histogram: &Histogram) {
    fixed_plot(id)
        .include_x(histogram.lo)
        .include_x(histogram.hi)
        .show(ui, |plot_ui| {
            plot_ui.bar_chart(BarChart::new(id, histogram.bars.clone()));
        });
}

/// Equal bins over the span of some values; one narrow bin at them when they are all equal (a wide
/// one would read as a spread of values).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Bins {
    /// The first bin's lower edge (the values' minimum).
    pub low: f64,
    /// Each bin's width.
    pub width: f64,
    /// How many bins.
    pub count: usize,
    /// Whether all values are equal (the one bin stands at them, not from them).
    pub flat: bool,
}

impl Bins {
    /// `bins` bins over the span of `values`; `None` without a finite span (no values).
    pub fn of(values: impl IntoIterator<Item = f64>, bins: usize) -> Option<Self> {
        let (min, max) = values
            .into_iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
        if !min.is_finite() || !max.is_finite() {
            return None;
        }
        Some(if max - min <= f64::EPSILON {
            Self {
                low: min,
                width: (min.abs() * 0.05).max(0.01),
                count: 1,
                flat: true,
            }
        } else {
            Self {
                low: min,
                width: (max - min) / bins.max(1) as f64,
                count: bins.max(1),
                flat: false,
            }
        })
    }

    /// The bin of `v` (a value within the span).
    pub fn index(&self, v: f64) -> usize {
        (((v - self.low) / self.width) as usize).min(self.count - 1)
    }
}

/// The bars of a histogram: `bins` bins over `[min, max]` (one bin when all values are equal).
pub fn histogram_bars(values: &[f64], bins: usize) -> Vec<Bar> {
    let Some(b) = Bins::of(values.iter().copied(), bins) else {
        return Vec::new();
    };
    if b.flat {
        return vec![Bar::new(b.low, values.len() as f64).width(b.width)];
    }
    let mut counts = vec![0usize; b.count];
    for &v in values {
        counts[b.index(v)] += 1;
    }
    let (min, width) = (b.low, b.width);
    counts
        .into_iter()
        .enumerate()
        .map(|(i, n)| {
            let lo = min + width * i as f64;
            Bar::new(lo + width / 2.0, n as f64)
                .width(width)
                .name(format!("{lo:.2}–{:.2}: {n}", lo + width))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_are_on_the_zero_to_one_scale() {
        let (mean, std) = ([127.5, 51.0, 0.0], [51.0, 25.5, 255.0]);
        assert_eq!(
            keras_snippet(&mean, &std),
            "keras.layers.Normalization(mean=[0.5000, 0.2000, 0.0000], variance=[0.0400, 0.0100, 1.0000])"
        );
        assert_eq!(
            torchvision_snippet(&mean, &std),
            "transforms.Normalize(mean=[0.5000, 0.2000, 0.0000], std=[0.2000, 0.1000, 1.0000])"
        );
    }

    #[test]
    fn histogram_counts_every_value_once() {
        let bars = histogram_bars(&[0.0, 1.0, 2.0, 3.0, 4.0], 2);
        let counts: Vec<f64> = bars.iter().map(|b| b.value).collect();
        assert_eq!(counts, [2.0, 3.0]);
        assert_eq!(histogram_bars(&[5.0, 5.0], 4).len(), 1);
        assert!(histogram_bars(&[], 4).is_empty());
    }

    #[test]
    fn the_sizes_plot_has_a_point_per_distinct_size_and_at_most_a_grid_of_them() {
        let xy = |points: Vec<PlotPoint>| -> Vec<(f64, f64)> {
            points.iter().map(|p| (p.x, p.y)).collect()
        };
        let wh = |width, height| Size { height, width };
        let few = [wh(640, 480), wh(32, 32), wh(640, 480), wh(32, 32)];
        assert_eq!(
            xy(size_points(few.into_iter())),
            [(32.0, 32.0), (640.0, 480.0)]
        );
        // 10 000 distinct sizes up to 100 × 100: cells of 2 (100 / 64 + 1), 51 a side, one point per
        // cell at its centre.
        let many = (1..=100u32).flat_map(|w| (1..=100u32).map(move |h| wh(w, h)));
        let points = size_points(many);
        assert_eq!(points.len(), 51 * 51);
        let centres: BTreeSet<u32> = (0..51).map(|i| 2 * i + 1).collect();
        let xs: BTreeSet<u32> = points.iter().map(|p| p.x as u32).collect();
        let ys: BTreeSet<u32> = points.iter().map(|p| p.y as u32).collect();
        assert_eq!((xs, ys), (centres.clone(), centres));
    }
}
