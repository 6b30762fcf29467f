//! The Health view's lists: leaks and duplicate groups side by side, flagged images by kind, each image a
//! thumbnail with its path and a caption that opens the inspector when clicked. Boxes are packed into
//! rows with their tops aligned. What they list and count is sorted out once per regrouping
//! ([`Listing`]), so that drawing costs what is shown, not what was found.

use std::collections::HashSet;

use egui::{RichText, Vec2};

use super::health_panel::{LISTED, Measured};
use super::health_view::{Action, LEAK};
use crate::health::{DuplicateKind, Findings, FlagKind};
use crate::options::Subset;

/// What the view lists and counts of the findings, made when they change (a pass finishes, the
/// threshold moves) instead of walking every flag and leak each frame.
#[derive(Default)]
pub struct Listing {
    /// Exact duplicate groups.
    pub exact_groups: usize,
    /// Images beyond the first of each exact duplicate group.
    pub exact_extra: usize,
    /// Images beyond the first of each near duplicate group.
    pub near_extra: usize,
    /// The kinds that flag images, in [`FlagKind::ALL`] order: how many, and the first [`LISTED`] of
    /// them (indices into the findings' flags).
    pub flags: Vec<(FlagKind, usize, Vec<usize>)>,
    /// Whether each listed duplicate group holds an image of a leak.
    leaked: Vec<bool>,
}

impl Listing {
    /// The listing of `findings`.
    pub fn of(findings: &Findings) -> Self {
        let extra = |kind: DuplicateKind| {
            findings
                .duplicates
                .iter()
                .filter(|g| g.kind == kind)
                .map(|g| g.samples.len().saturating_sub(1))
                .sum()
        };
        let in_leaks: HashSet<usize> = findings
            .leaks
            .iter()
            .flat_map(|l| l.samples.iter().copied())
            .collect();
        let flags = FlagKind::ALL
            .into_iter()
            .filter_map(|kind| {
                let of_kind: Vec<usize> = (0..findings.flags.len())
                    .filter(|&i| findings.flags[i].kind == kind)
                    .collect();
                let count = of_kind.len();
                (count > 0).then(|| (kind, count, of_kind.into_iter().take(LISTED).collect()))
            })
            .collect();
        Self {
            exact_groups: findings
                .duplicates
                .iter()
                .filter(|g| g.kind == DuplicateKind::Exact)
                .count(),
            exact_extra: extra(DuplicateKind::Exact),
            near_extra: extra(DuplicateKind::Near),
            flags,
            leaked: findings
                .duplicates
                .iter()
                .take(LISTED)
                .map(|g| g.samples.iter().any(|s| in_leaks.contains(s)))
                .collect(),
        }
    }
}

/// Uploaded thumbnails by sample.
pub type Textures = std::collections::HashMap<usize, egui::TextureHandle>;

/// Thumbnail edge on screen, in points.
const TILE: f32 = 72.0;

/// Width of one tile with its caption, in points.
const TILE_WIDTH: f32 = TILE + 24.0;
/// Members of a group shown (the rest are counted).
const SHOWN_MEMBERS: usize = 6;

/// Lays out `count` boxes of the given widths in rows that fit the available width, their tops
/// aligned (wrapped layouts centre boxes of different heights on the row instead).
fn packed_rows(ui: &mut egui::Ui, widths: &[f32], mut item: impl FnMut(&mut egui::Ui, usize)) {
    let available = ui.available_width();
    let gap = ui.spacing().item_spacing.x + 16.0; // frame margins and stroke
    let mut start = 0;
    while start < widths.len() {
        let mut end = start;
        let mut used = 0.0;
        while end < widths.len() && (end == start || used + widths[end] + gap <= available) {
            used += widths[end] + gap;
            end += 1;
        }
        ui.horizontal_top(|ui| {
            for i in start..end {
                item(ui, i);
            }
        });
        start = end;
    }
}

/// Width of `n` tiles side by side.
fn tiles_width(ui: &egui::Ui, n: usize) -> f32 {
    n as f32 * (TILE_WIDTH + ui.spacing().item_spacing.x)
}

pub(super) fn leaks_ui(
    ui: &mut egui::Ui,
    textures: &Textures,
    result: &Measured,
    actions: &mut Vec<Action>,
) {
    let leaks = &result.findings.leaks;
    let title = RichText::new(format!(
        "Leaks: {} with copies in both training and validation",
        super::health_view::count(leaks.len(), "group")
    ))
    .strong()
    .color(LEAK);
    egui::CollapsingHeader::new(title)
        .id_salt("health_leaks")
        .default_open(true)
        .show(ui, |ui| {
            let shown: Vec<_> = leaks.iter().take(LISTED).collect();
            let widths: Vec<f32> = shown
                .iter()
                .map(|l| tiles_width(ui, l.samples.len().min(SHOWN_MEMBERS)))
                .collect();
            packed_rows(ui, &widths, |ui, i| {
                let leak = shown[i];
                egui::Frame::group(ui.style())
                    .stroke((1.5, LEAK))
                    .show(ui, |ui| {
                        ui.horizontal_top(|ui| {
                            let members = leak.samples.iter().zip(&leak.subsets);
                            for (&sample, &subset) in members.take(SHOWN_MEMBERS) {
                                let color = if subset == Subset::Validation {
                                    LEAK
                                } else {
                                    ui.visuals().text_color()
                                };
                                let caption =
                                    RichText::new(subset.to_string()).small().color(color);
                                tile_ui(ui, textures, result, sample, caption, actions);
                            }
                        });
                    });
            });
            more_ui(ui, leaks.len());
        });
}

pub(super) fn duplicates_ui(
    ui: &mut egui::Ui,
    textures: &Textures,
    result: &Measured,
    actions: &mut Vec<Action>,
) {
    let groups = &result.findings.duplicates;
    let title = RichText::new(format!("Duplicates: {} groups", groups.len())).strong();
    egui::CollapsingHeader::new(title)
        .id_salt("health_duplicates")
        .default_open(true)
        .show(ui, |ui| {
            let shown: Vec<_> = groups.iter().take(LISTED).collect();
            let widths: Vec<f32> = shown
                .iter()
                .map(|g| 80.0 + tiles_width(ui, g.samples.len().min(SHOWN_MEMBERS)))
                .collect();
            packed_rows(ui, &widths, |ui, i| {
                let group = shown[i];
                let leaked = result.listing.leaked.get(i).copied().unwrap_or(false);
                let stroke = if leaked {
                    (1.5, LEAK)
                } else {
                    (1.0, ui.visuals().widgets.noninteractive.bg_stroke.color)
                };
                egui::Frame::group(ui.style())
                    .stroke(stroke)
                    .show(ui, |ui| {
                        ui.horizontal_top(|ui| {
                            group_info_ui(ui, group, leaked);
                            for (i, &sample) in group.samples.iter().take(SHOWN_MEMBERS).enumerate()
                            {
                                let caption = RichText::new(if i == 0 { "first" } else { "copy" })
                                    .small()
                                    .weak();
                                tile_ui(ui, textures, result, sample, caption, actions);
                            }
                        });
                    });
            });
            more_ui(ui, groups.len());
        });
}

/// A group's kind, score and size.
fn group_info_ui(ui: &mut egui::Ui, group: &crate::health::DuplicateGroup, leaked: bool) {
    ui.vertical(|ui| {
        ui.set_width(72.0);
        let kind = match group.kind {
            DuplicateKind::Exact => "exact",
            DuplicateKind::Near => "near",
        };
        ui.label(RichText::new(kind).strong());
        ui.label(format!("{:.3}", group.score))
            .on_hover_text("1 for identical pixels; for near groups the lowest hash similarity 1 − d/64 of its links");
        ui.weak(format!("{} images", group.samples.len()));
        if group.samples.len() > SHOWN_MEMBERS {
            ui.weak(format!("{} not shown", group.samples.len() - SHOWN_MEMBERS));
        }
        if leaked {
            ui.colored_label(LEAK, "leak");
        }
    });
}

pub(super) fn flags_ui(
    ui: &mut egui::Ui,
    textures: &Textures,
    result: &Measured,
    actions: &mut Vec<Action>,
) {
    let flags = &result.findings.flags;
    let title = RichText::new(format!("Flagged images: {}", flags.len())).strong();
    egui::CollapsingHeader::new(title)
        .id_salt("health_flags")
        .default_open(true)
        .show(ui, |ui| {
            let kinds = &result.listing.flags;
            // A kind with many images wraps inside its box, at most this many tiles a row.
            let per_row = ((ui.available_width() - 24.0)
                / (TILE_WIDTH + ui.spacing().item_spacing.x))
                .floor()
                .max(1.0) as usize;
            let widths: Vec<f32> = kinds
                .iter()
                .map(|(_, count, _)| tiles_width(ui, (*count).min(per_row).max(2)))
                .collect();
            packed_rows(ui, &widths, |ui, i| {
                let (kind, count, listed) = &kinds[i];
                egui::Frame::group(ui.style()).show(ui, |ui| {
                    ui.vertical(|ui| {
                        ui.label(RichText::new(format!("{kind} ({count})")).strong())
                            .on_hover_text(flag_meaning(*kind));
                        for row in listed.chunks(per_row) {
                            ui.horizontal_top(|ui| {
                                for flag in row.iter().filter_map(|&f| flags.get(f)) {
                                    let caption =
                                        RichText::new(format!("{:.3}", flag.score)).small();
                                    tile_ui(ui, textures, result, flag.sample, caption, actions);
                                }
                            });
                        }
                        more_ui(ui, *count);
                    });
                });
            });
        });
}

/// What a flag means, for its tooltip.
pub fn flag_meaning(kind: FlagKind) -> &'static str {
    match kind {
        FlagKind::Dark => "Too dark: score = mean luma (0–255), flagged below 40",
        FlagKind::Light => "Overexposed: score = mean luma (0–255), flagged above 215",
        FlagKind::Blurry => {
            "No sharp detail for its contrast: score = variance of the Laplacian / variance of the luma, flagged below 0.02"
        }
        FlagKind::LowInformation => {
            "Nearly flat: score = entropy of the luma histogram in bits (0–8), flagged below 3"
        }
        FlagKind::Grayscale => {
            "RGB with equal channels: score = mean max(r,g,b) − min(r,g,b) (0–255), flagged below 2"
        }
        FlagKind::OddAspectRatio => {
            "Aspect ratio far from the dataset's median: score = factor to the median, flagged at 2 or more"
        }
        FlagKind::OddSize => {
            "Size far from the dataset's median: score = factor to the median, flagged at 3 or more"
        }
    }
}

fn more_ui(ui: &mut egui::Ui, n: usize) {
    if n > LISTED {
        ui.weak(format!(
            "… and {} more (batchscope health --json lists them all)",
            n - LISTED
        ));
    }
}

/// One image: its thumbnail (click to inspect), its path and a caption.
fn tile_ui(
    ui: &mut egui::Ui,
    textures: &Textures,
    result: &Measured,
    sample: usize,
    caption: RichText,
    actions: &mut Vec<Action>,
) {
    let path = crate::health::report::rel_path(&result.scan, sample);
    ui.vertical(|ui| {
        ui.set_width(TILE_WIDTH);
        let response = if let Some(texture) = textures.get(&sample) {
            ui.add(
                egui::Image::new(texture)
                    .fit_to_exact_size(Vec2::splat(TILE))
                    .maintain_aspect_ratio(true)
                    .sense(egui::Sense::click()),
            )
        } else {
            let (rect, response) = ui.allocate_exact_size(Vec2::splat(TILE), egui::Sense::click());
            ui.painter()
                .rect_filled(rect, 3.0, ui.visuals().extreme_bg_color);
            response
        };
        let label = format!("thumbnail {path}");
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &label));
        let response = response.on_hover_text(format!("{path}\nclick to inspect"));
        if response.clicked() {
            actions.push(Action::Inspect(sample));
        }
        ui.add(egui::Label::new(RichText::new(&path).small()).truncate());
        ui.label(caption);
    });
}
