//! The Health view's statistics of an annotated dataset's objects: objects per class (the object
//! imbalance), and the distributions of box size (`sqrt` of the box's area over the image's, so 0.1
//! is a box a tenth of the image's side) and aspect (width over height in the image's pixels, in
//! bins of equal ratio: log scale) for all classes or the one chosen in a selector (a plot per class
//! would be unreadable at a thousand classes). All from the index and the pass's decoded sizes, binned
//! once per pass ([`ObjectPlots::of`]) on bins shared by every class, so that switching classes
//! compares like with like and drawing costs the same for any number of boxes.

use egui_plot::{Bar, BarChart};

use super::grid::class_color;
use super::health_stats::{Bins, class_axis, fixed_plot};
use crate::health::{ObjectFindings, Scan, objects};

/// Bins of each distribution.
const BINS: usize = 24;

/// One distribution's bins and each class's counts in them.
struct Binned {
    bins: Option<Bins>,
    /// `counts[class * bins + bin]`.
    counts: Vec<u32>,
    /// The counts of every class together.
    all: Vec<u32>,
}

impl Binned {
    fn of(values: &[(u32, f64)], classes: usize) -> Self {
        let bins = Bins::of(values.iter().map(|v| v.1), BINS);
        let n = bins.map_or(0, |b| b.count);
        let mut counts = vec![0u32; classes * n];
        let mut all = vec![0u32; n];
        if let Some(b) = bins {
            for &(class, v) in values {
                let bin = b.index(v);
                all[bin] += 1;
                if let Some(c) = counts.get_mut(class as usize * n + bin) {
                    *c += 1;
                }
            }
        }
        Self { bins, counts, all }
    }

    /// The counts of `class` (`None`: every class).
    fn of_class(&self, class: Option<u32>) -> &[u32] {
        let n = self.all.len();
        match class {
            None => &self.all,
            Some(c) => self
                .counts
                .get(c as usize * n..(c as usize + 1) * n)
                .unwrap_or(&[]),
        }
    }
}

/// The object plots of a pass, made once when it finishes.
pub struct ObjectPlots {
    /// Class names, in class order.
    names: Vec<String>,
    /// Objects of each class.
    objects: Vec<usize>,
    /// Relative box sizes.
    size: Binned,
    /// `log2` of the aspect ratios.
    aspect: Binned,
    /// The class the distributions show (`None`: all).
    pub selected: Option<u32>,
}

impl ObjectPlots {
    /// The plots of `scan`'s objects, `None` for a dataset without annotations.
    pub fn of(scan: &Scan, found: Option<&ObjectFindings>) -> Option<Self> {
        let found = found?;
        let shapes = objects::box_shapes(scan);
        let classes = found.classes.len();
        let size: Vec<(u32, f64)> = shapes.iter().map(|&(c, s, _)| (c, s)).collect();
        let aspect: Vec<(u32, f64)> = shapes.iter().map(|&(c, _, a)| (c, a.log2())).collect();
        Some(Self {
            names: found.classes.iter().map(|c| c.name.clone()).collect(),
            objects: found.classes.iter().map(|c| c.objects).collect(),
            size: Binned::of(&size, classes),
            aspect: Binned::of(&aspect, classes),
            selected: None,
        })
    }

    /// Boxes of the selection in the size plot (what its bars add up to).
    pub fn shown_boxes(&self) -> u64 {
        self.size
            .of_class(self.selected)
            .iter()
            .map(|&n| u64::from(n))
            .sum()
    }
}

/// Draws the objects' statistics: objects per class, the class selector, box sizes and aspects.
pub fn objects_ui(ui: &mut egui::Ui, plots: &mut ObjectPlots, found: &ObjectFindings) {
    ui.separator();
    ui.strong(format!(
        "Objects: {} in {} annotated images",
        found.objects, found.images
    ));
    if let Some(ratio) = found.imbalance_ratio {
        ui.label(format!(
            "Object imbalance (most / fewest objects of a class): {ratio:.2}"
        ));
    }
    ui.label("Objects per class");
    objects_per_class_plot(ui, plots);
    ui.horizontal(|ui| {
        let label = ui.label("Boxes of");
        let name = |c: Option<u32>| match c {
            None => "all classes".to_owned(),
            Some(c) => plots.names.get(c as usize).cloned().unwrap_or_default(),
        };
        let selected = plots.selected;
        egui::ComboBox::from_id_salt("health_object_class")
            .selected_text(name(selected))
            .height(320.0)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut plots.selected, None, name(None));
                for c in 0..plots.names.len() as u32 {
                    ui.selectable_value(&mut plots.selected, Some(c), name(Some(c)));
                }
            })
            .response
            .labelled_by(label.id);
        let n = plots.shown_boxes();
        ui.weak(if n == 1 {
            "1 box".to_owned()
        } else {
            format!("{n} boxes")
        });
    });
    ui.columns(2, |cols| {
        cols[0].label("Box size (√ box area / √ image area)");
        distribution_plot(&mut cols[0], "box size", &plots.size, plots.selected, |x| {
            format!("{x:.2}")
        });
        cols[1].label("Box aspect (width / height, log scale)");
        distribution_plot(
            &mut cols[1],
            "box aspect",
            &plots.aspect,
            plots.selected,
            |x| ratio_label(x.exp2()),
        );
    });
}

/// `4`, `1`, `1/4`: a ratio as it reads best.
fn ratio_label(r: f64) -> String {
    if r >= 1.0 {
        format!("{r:.2}")
    } else {
        format!("1/{:.2}", 1.0 / r)
    }
}

fn objects_per_class_plot(ui: &mut egui::Ui, plots: &ObjectPlots) {
    let bars: Vec<Bar> = plots
        .objects
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            Bar::new(i as f64, n as f64)
                .width(0.8)
                .fill(class_color(i as u32))
                .name(format!("{}: {n}", plots.names[i]))
        })
        .collect();
    let response = fixed_plot("health_objects_per_class")
        .x_axis_formatter(class_axis(plots.names.clone()))
        .show(ui, |plot_ui| {
            plot_ui.bar_chart(BarChart::new("objects per class", bars));
        })
        .response;
    response.widget_info(|| {
        egui::WidgetInfo::labeled(egui::Role::Image, true, "objects per class plot")
    });
}

/// A histogram of `binned`'s counts for `class`, its x axis labelled by `label` of a bin's value.
fn distribution_plot(
    ui: &mut egui::Ui,
    what: &str,
    binned: &Binned,
    class: Option<u32>,
    label: impl Fn(f64) -> String + 'static,
) {
    let Some(bins) = binned.bins else {
        ui.weak("No box with an area.");
        return;
    };
    let color = class.map_or(egui::Color32::GRAY, class_color);
    let bars: Vec<Bar> = binned
        .of_class(class)
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let lo = bins.low + bins.width * i as f64;
            let centre = if bins.flat { lo } else { lo + bins.width / 2.0 };
            Bar::new(centre, f64::from(n))
                .width(bins.width)
                .fill(color)
                .name(format!("{}–{}: {n}", label(lo), label(lo + bins.width)))
        })
        .collect();
    let (lo, hi) = if bins.flat {
        (bins.low - bins.width * 2.0, bins.low + bins.width * 2.0)
    } else {
        (bins.low, bins.low + bins.width * bins.count as f64)
    };
    let response = fixed_plot(&format!("health_{what}"))
        .include_x(lo)
        .include_x(hi)
        .x_axis_formatter(move |mark, _| label(mark.value))
        .show(ui, |plot_ui| {
            plot_ui.bar_chart(BarChart::new(what, bars));
        })
        .response;
    let name = format!("{what} plot");
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, &name));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_shares_the_bins_and_all_adds_them_up() {
        let values = [(0, 0.0), (0, 1.0), (1, 0.5), (1, 1.0), (2, 0.25)];
        let binned = Binned::of(&values, 3);
        let bins = binned.bins.unwrap();
        assert_eq!((bins.low, bins.count), (0.0, BINS));
        assert_eq!(binned.of_class(None).iter().sum::<u32>(), 5);
        let nonzero = |class| -> Vec<(usize, u32)> {
            binned
                .of_class(class)
                .iter()
                .copied()
                .enumerate()
                .filter(|&(_, n)| n > 0)
                .collect()
        };
        assert_eq!(nonzero(Some(0)), [(0, 1), (23, 1)]);
        assert_eq!(nonzero(Some(1)), [(12, 1), (23, 1)]);
        assert_eq!(nonzero(Some(2)), [(6, 1)]);
        assert!(binned.of_class(Some(9)).is_empty());
        assert_eq!(ratio_label(4.0), "4.00");
        assert_eq!(ratio_label(0.25), "1/4.00");
    }
}
