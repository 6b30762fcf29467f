//! Training against validation: the Health view's comparison of the two sides of a split, from a pass
//! that measured both. Per class, the share of each side's samples; the distributions of brightness
//! and aspect ratio as each side's share per bin (the bins shared, so the bars stand side by side);
//! the original sizes as two sets of points. Shares, not counts: a 20% validation side is drawn on
//! the training side's scale. Made once per pass, like [`super::health_stats::StatsPlots`].

use egui_plot::{Bar, BarChart, Legend, Plot, PlotPoint, Points};

use super::health_stats::{Bins, class_axis, fixed_plot, sizes_frame};

use crate::health::Scan;
use crate::options::Subset;

/// The sides, in the order of every `[_; 2]`.
const SIDES: [&str; 2] = ["training", "validation"];
/// Their colours: the same in every plot.
const COLORS: [egui::Color32; 2] = [
    egui::Color32::from_rgb(70, 130, 220),
    egui::Color32::from_rgb(235, 140, 40),
];

/// One measured sample, as the comparison needs it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Measure {
    /// 0 training, 1 validation.
    pub side: usize,
    /// Its class, if labelled.
    pub class: Option<u32>,
    /// Original width and height, and mean luma (0..255), when it was measured.
    pub measured: Option<(u32, u32, f32)>,
}

/// The comparison's plots.
#[derive(Debug)]
pub struct SplitPlots {
    /// Samples per side (measured or not).
    pub totals: [usize; 2],
    /// Per class: its name and count on each side.
    pub classes: Vec<(String, [usize; 2])>,
    /// Brightness histogram bins: `(low, width)` and each side's share (%) per bin.
    pub brightness: Shares,
    /// Aspect ratio (width / height), the same way.
    pub aspect: Shares,
    /// Distinct original sizes (width, height) of each side.
    pub sizes: [Vec<(u32, u32)>; 2],
}

/// A histogram of two sides on shared bins: each side's share of its measured samples, in percent.
#[derive(Clone, Debug, PartialEq)]
pub struct Shares {
    /// The first bin's lower edge.
    pub low: f64,
    /// The bins' width.
    pub width: f64,
    /// Per side, per bin.
    pub percent: [Vec<f64>; 2],
}

impl Shares {
    /// `values` (side, value) in `bins` equal bins over their common min..max.
    fn of(values: &[(usize, f64)], bins: usize) -> Self {
        let Some(b) = Bins::of(values.iter().map(|&(_, v)| v), bins) else {
            return Self {
                low: 0.0,
                width: 1.0,
                percent: [Vec::new(), Vec::new()],
            };
        };
        let mut counts = [vec![0usize; b.count], vec![0usize; b.count]];
        for &(side, v) in values {
            counts[side][b.index(v)] += 1;
        }
        let percent = counts.map(|side| {
            let total: usize = side.iter().sum();
            side.iter()
                .map(|&n| {
                    if total == 0 {
                        0.0
                    } else {
                        100.0 * n as f64 / total as f64
                    }
                })
                .collect()
        });
        Self {
            low: b.low,
            width: b.width,
            percent,
        }
    }

    /// Side `side`'s bars: half a bin wide, training left of each bin's centre, validation right.
    fn bars(&self, side: usize) -> Vec<Bar> {
        let half = self.width / 2.0;
        let offset = if side == 0 { -half / 2.0 } else { half / 2.0 };
        self.percent[side]
            .iter()
            .enumerate()
            .map(|(i, &p)| {
                let lo = self.low + self.width * i as f64;
                Bar::new(lo + half + offset, p)
                    .width(half)
                    .fill(COLORS[side])
                    .name(format!(
                        "{} {lo:.2}–{:.2}: {p:.1}%",
                        SIDES[side],
                        lo + self.width
                    ))
            })
            .collect()
    }
}

impl SplitPlots {
    /// The comparison of a pass over both sides of a split; `None` when the pass covers one side.
    pub fn of(scan: &Scan) -> Option<Self> {
        if !scan.split {
            return None;
        }
        let measures: Vec<Measure> = scan
            .entries
            .iter()
            .map(|e| Measure {
                side: usize::from(e.subset == Some(Subset::Validation)),
                class: scan.index.samples.get(e.sample).and_then(|s| s.label),
                measured: e.health.as_ref().map(|h| (h.width, h.height, h.brightness)),
            })
            .collect();
        Some(Self::of_measures(&measures, &scan.index.class_names))
    }

    /// The comparison of `measures`, classes named by `class_names`.
    pub fn of_measures(measures: &[Measure], class_names: &[String]) -> Self {
        let mut totals = [0usize; 2];
        let mut classes: Vec<(String, [usize; 2])> =
            class_names.iter().map(|n| (n.clone(), [0, 0])).collect();
        let mut brightness = Vec::new();
        let mut aspect = Vec::new();
        let mut sizes = [
            std::collections::BTreeSet::new(),
            std::collections::BTreeSet::new(),
        ];
        for m in measures {
            totals[m.side] += 1;
            if let Some(class) = m.class.and_then(|c| classes.get_mut(c as usize)) {
                class.1[m.side] += 1;
            }
            if let Some((w, h, luma)) = m.measured {
                brightness.push((m.side, f64::from(luma)));
                aspect.push((m.side, f64::from(w) / f64::from(h.max(1))));
                sizes[m.side].insert((w, h));
            }
        }
        Self {
            totals,
            classes,
            brightness: Shares::of(&brightness, 32),
            aspect: Shares::of(&aspect, 24),
            sizes: sizes.map(|s| s.into_iter().collect()),
        }
    }
}

/// Draws the comparison.
pub fn compare_ui(ui: &mut egui::Ui, plots: &SplitPlots) {
    let [train, val] = plots.totals;
    ui.label(format!(
        "Training against validation: {train} and {val} samples. Each side's share, so the sides compare whatever their sizes."
    ));
    ui.columns(2, |cols| {
        cols[0].label("Share of each side per class (%)");
        class_shares_plot(&mut cols[0], plots);
        cols[1].label("Original sizes (width × height)");
        sizes_plot(&mut cols[1], plots);
    });
    ui.columns(2, |cols| {
        cols[0].label("Brightness (mean luma, 0–255): share per bin (%)");
        shares_plot(&mut cols[0], "compare_brightness", &plots.brightness);
        cols[1].label("Aspect ratio (width / height): share per bin (%)");
        shares_plot(&mut cols[1], "compare_aspect", &plots.aspect);
    });
}

fn plot(id: &str) -> Plot<'static> {
    fixed_plot(id).legend(Legend::default())
}

fn class_shares_plot(ui: &mut egui::Ui, plots: &SplitPlots) {
    if plots.classes.is_empty() {
        ui.weak("No classes (labels off, or no class folders).");
        return;
    }
    let names: Vec<String> = plots.classes.iter().map(|(n, _)| n.clone()).collect();
    let charts = [0, 1].map(|side| {
        let total = plots.totals[side].max(1) as f64;
        let offset = if side == 0 { -0.2 } else { 0.2 };
        let bars: Vec<Bar> = plots
            .classes
            .iter()
            .enumerate()
            .map(|(i, (name, counts))| {
                let share = 100.0 * counts[side] as f64 / total;
                Bar::new(i as f64 + offset, share)
                    .width(0.4)
                    .fill(COLORS[side])
                    .name(format!(
                        "{name}, {}: {} ({share:.1}%)",
                        SIDES[side], counts[side]
                    ))
            })
            .collect();
        BarChart::new(SIDES[side], bars).color(COLORS[side])
    });
    plot("compare_classes")
        .x_axis_formatter(class_axis(names))
        .show(ui, |plot_ui| {
            for chart in charts {
                plot_ui.bar_chart(chart);
            }
        });
}

fn sizes_plot(ui: &mut egui::Ui, plots: &SplitPlots) {
    let largest = plots
        .sizes
        .iter()
        .flatten()
        .fold(1.0f64, |m, &(w, h)| m.max(f64::from(w.max(h))));
    let points = plots.sizes.each_ref().map(|sizes| {
        sizes
            .iter()
            .map(|&(w, h)| PlotPoint::new(w, h))
            .collect::<Vec<_>>()
    });
    sizes_frame("compare_sizes", largest)
        .legend(Legend::default())
        .show(ui, |plot_ui| {
            for (side, points) in points.iter().enumerate() {
                // Validation's points smaller, so that a size both sides have shows both.
                let radius = if side == 0 { 4.0 } else { 2.5 };
                plot_ui.points(
                    Points::new(SIDES[side], &points[..])
                        .radius(radius)
                        .color(COLORS[side]),
                );
            }
        });
}

fn shares_plot(ui: &mut egui::Ui, id: &str, shares: &Shares) {
    plot(id)
        .include_x(shares.low)
        .include_x(shares.low + shares.width * shares.percent[0].len().max(1) as f64)
        .show(ui, |plot_ui| {
            for side in 0..2 {
                plot_ui
                    .bar_chart(BarChart::new(SIDES[side], shares.bars(side)).color(COLORS[side]));
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(side: usize, class: u32, w: u32, h: u32, luma: f32) -> Measure {
        Measure {
            side,
            class: Some(class),
            measured: Some((w, h, luma)),
        }
    }

    #[test]
    fn each_side_is_counted_per_class_and_shared_per_bin() {
        let measures = [
            m(0, 0, 10, 10, 0.0),
            m(0, 0, 10, 10, 10.0),
            m(0, 1, 20, 10, 100.0),
            m(0, 1, 20, 10, 100.0),
            m(1, 1, 10, 20, 100.0),
            Measure {
                side: 1,
                class: Some(0),
                measured: None,
            },
        ];
        let names = ["cat".to_owned(), "dog".to_owned()];
        let plots = SplitPlots::of_measures(&measures, &names);
        assert_eq!(plots.totals, [4, 2]);
        assert_eq!(
            plots.classes,
            [("cat".to_owned(), [2, 1]), ("dog".to_owned(), [2, 1])]
        );
        // Brightness 0..100 in 32 bins of 3.125: training 0 and 10 fall in bins 0 and 3, its two 100s
        // and validation's one in the last; the unmeasured sample is in no bin.
        let b = &plots.brightness;
        assert_eq!((b.low, b.width), (0.0, 3.125));
        let nonzero = |side: usize| -> Vec<(usize, f64)> {
            b.percent[side]
                .iter()
                .copied()
                .enumerate()
                .filter(|&(_, p)| p > 0.0)
                .collect()
        };
        assert_eq!(nonzero(0), [(0, 25.0), (3, 25.0), (31, 50.0)]);
        assert_eq!(nonzero(1), [(31, 100.0)]);
        // Aspect 0.5 (validation) to 2 (training's 20x10).
        let aspect = &plots.aspect;
        assert_eq!(
            (aspect.low, aspect.percent[1][0], aspect.percent[0][23]),
            (0.5, 100.0, 50.0)
        );
        assert_eq!(plots.sizes, [vec![(10, 10), (20, 10)], vec![(10, 20)]]);
        // The bars stand side by side in a bin: training left of its centre, validation right.
        let (left, right) = (&b.bars(0)[31], &b.bars(1)[31]);
        assert!(left.argument < right.argument);
        assert_eq!((left.value, right.value), (50.0, 100.0));
    }

    #[test]
    fn nothing_measured_gives_empty_bins_not_a_panic() {
        let plots = SplitPlots::of_measures(&[], &[]);
        assert_eq!(plots.totals, [0, 0]);
        assert!(plots.brightness.percent[0].is_empty());
        assert!(plots.brightness.bars(1).is_empty());
    }
}
