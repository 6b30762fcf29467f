//! The Health view's drawing: the pass's progress and Cancel, leaks and duplicate groups side by side
//! with thumbnails, paths and scores, flagged images by kind, the near-duplicate threshold, and what
//! to mark for exclusion. Statistics and plots are in [`super::health_stats`]. It draws
//! [`HealthPanel`]'s state and returns [`Action`]s; the app applies them after drawing.

use egui::{Color32, RichText, Vec2};

use super::health_panel::{HealthPanel, LISTED, Measured};
use crate::health::exclude::ExcludeKind;
use crate::health::{DuplicateKind, FlagKind};
use crate::index::Store;
use crate::options::Subset;

/// What the user asked of the Health view.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Run the health pass (again).
    Run,
    /// Cancel the running pass.
    Cancel,
    /// The near-duplicate threshold moved: regroup.
    Regroup,
    /// Open the inspector on this sample and show its batch.
    Inspect(usize),
    /// Mark (`true`) or unmark a kind of image for exclusion.
    Mark(ExcludeKind, bool),
    /// Write the exclusion list to the panel's path.
    SaveList,
}

/// What the view knows about the dataset on screen.
pub enum Dataset<'a> {
    /// None is open.
    None,
    /// Being indexed or planned.
    Opening,
    /// It could not be opened (the batches view says why).
    Failed,
    /// Ready; its samples are stored like this.
    Ready(&'a Store),
}

type Textures = std::collections::HashMap<usize, egui::TextureHandle>;

const LEAK: Color32 = Color32::from_rgb(255, 120, 120);
const WARN: Color32 = Color32::from_rgb(240, 200, 120);
const GOOD: Color32 = Color32::from_rgb(140, 220, 140);
/// Thumbnail edge on screen, in points.
const TILE: f32 = 72.0;

/// Draws the view; returns what the user asked for.
pub fn health_ui(ui: &mut egui::Ui, panel: &mut HealthPanel, dataset: &Dataset<'_>) -> Vec<Action> {
    let mut actions = Vec::new();
    ui.heading("Dataset health");
    if !dataset_ui(ui, dataset) {
        return actions;
    }
    run_bar_ui(ui, panel, &mut actions);
    let Some(result) = &panel.result else {
        if panel.is_running() {
            ui.weak("Measuring every planned image once: hashes, brightness, sharpness, sizes and channel sums.");
        } else {
            empty_state(
                ui,
                "Health pass not run yet",
                "Run it to find exact and near duplicates, training/validation leaks, dark, light, blurry, flat, grayscale and oddly sized images, and the mean/std to normalise with.",
            );
        }
        return actions;
    };
    summary_ui(ui, result);
    threshold_ui(ui, panel, &mut actions);
    let marked_count = panel.selected().len();
    let HealthPanel {
        result: Some(result),
        textures,
        marked,
        list_path,
        save_notice,
        ..
    } = panel
    else {
        return actions;
    };
    let findings = &result.findings;
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            let clean = findings.duplicates.is_empty()
                && findings.leaks.is_empty()
                && findings.flags.is_empty();
            if clean {
                ui.add_space(8.0);
                ui.label(
                    RichText::new("Clean: no duplicates, no leaks, no flags.")
                        .heading()
                        .color(GOOD),
                );
            }
            if !findings.leaks.is_empty() {
                leaks_ui(ui, textures, result, &mut actions);
            }
            if !findings.duplicates.is_empty() {
                duplicates_ui(ui, textures, result, &mut actions);
            }
            if !findings.flags.is_empty() {
                flags_ui(ui, textures, result, &mut actions);
            }
            egui::CollapsingHeader::new(RichText::new("Statistics").strong())
                .default_open(true)
                .show(ui, |ui| super::health_stats::stats_ui(ui, result));
            if !clean {
                egui::CollapsingHeader::new(RichText::new("Exclude from the export").strong())
                    .default_open(true)
                    .show(ui, |ui| {
                        let mut list = ListFile {
                            path: list_path,
                            notice: save_notice.as_deref(),
                        };
                        exclude_ui(ui, result, marked, marked_count, &mut list, &mut actions);
                    });
            }
        });
    actions
}

/// Draws why the pass cannot run on `dataset` (none open, opening, failed, stored arrays); true when
/// it can.
fn dataset_ui(ui: &mut egui::Ui, dataset: &Dataset<'_>) -> bool {
    let store = match dataset {
        Dataset::Ready(store) => *store,
        Dataset::Opening => {
            empty_state(
                ui,
                "Opening the dataset",
                "The health pass can run once the batches view shows the first batch.",
            );
            return false;
        }
        Dataset::Failed => {
            empty_state(
                ui,
                "The dataset could not be opened",
                "The Batches view says why.",
            );
            return false;
        }
        Dataset::None => {
            empty_state(
                ui,
                "No dataset open",
                "Open a dataset, then run the health pass to find duplicates, leaks and bad images.",
            );
            return false;
        }
    };
    if let Store::Rows(rows) = store {
        empty_state(
            ui,
            "Not available for stored arrays",
            &format!(
                "The health pass measures decoded images (folders, TFRecords); {} holds stored arrays.",
                rows.describe()
            ),
        );
        return false;
    }
    true
}

fn run_bar_ui(ui: &mut egui::Ui, panel: &HealthPanel, actions: &mut Vec<Action>) {
    ui.horizontal(|ui| {
        let label = if panel.result.is_some() {
            "Run again"
        } else {
            "Run health pass"
        };
        if ui
            .add_enabled(!panel.is_running(), egui::Button::new(label))
            .on_hover_text("Measure every planned image once with the loader settings on screen (both sides of a validation split)")
            .clicked()
        {
            actions.push(Action::Run);
        }
        if let Some((done, total, rate)) = panel.progress() {
            let fraction = if total == 0 {
                0.0
            } else {
                done as f32 / total as f32
            };
            ui.add(
                egui::ProgressBar::new(fraction)
                    .desired_width(280.0)
                    .text(format!("{done} / {total} images, {rate:.0} images/s")),
            );
            if ui.button("Cancel").clicked() {
                actions.push(Action::Cancel);
            }
        }
    });
    if panel.is_running() && panel.result.is_some() {
        ui.weak("Showing the previous result until this pass finishes.");
    }
    if let Some(message) = &panel.message {
        ui.colored_label(WARN, message);
    }
}

fn summary_ui(ui: &mut egui::Ui, result: &Measured) {
    let scan = &result.scan;
    let f = &result.findings;
    let loaded = scan.entries.iter().filter(|e| e.health.is_some()).count();
    let exact = f
        .duplicates
        .iter()
        .filter(|g| g.kind == DuplicateKind::Exact)
        .count();
    ui.label(format!(
        "{loaded} images measured at {}x{}x{} in {:.1} s ({} from the cache){}{}",
        scan.shape.height,
        scan.shape.width,
        scan.shape.channels,
        result.elapsed.as_secs_f64(),
        scan.cached,
        if scan.failures.is_empty() {
            String::new()
        } else {
            format!(", {} failed to load", scan.failures.len())
        },
        if scan.split {
            ", training and validation"
        } else {
            ""
        },
    ));
    ui.label(format!(
        "{} leak groups · {exact} exact and {} near duplicate groups · {} flagged images",
        f.leaks.len(),
        f.duplicates.len() - exact,
        f.flags.len()
    ));
    for note in &scan.notes {
        ui.weak(note);
    }
}

fn threshold_ui(ui: &mut egui::Ui, panel: &mut HealthPanel, actions: &mut Vec<Action>) {
    ui.horizontal(|ui| {
        let label = ui.label("Near-duplicate threshold");
        let response = ui
            .add(egui::Slider::new(&mut panel.near_distance, 0..=24).suffix(" bits"))
            .labelled_by(label.id)
            .on_hover_text("Hashes at most this many bits apart (of 64) are near duplicates; 0 keeps only identical hashes. Regrouping reads no pixels.");
        ui.weak(format!(
            "similarity ≥ {:.3}",
            1.0 - f64::from(panel.near_distance) / 64.0
        ));
        if response.changed() {
            actions.push(Action::Regroup);
        }
    });
}

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

fn leaks_ui(ui: &mut egui::Ui, textures: &Textures, result: &Measured, actions: &mut Vec<Action>) {
    let leaks = &result.findings.leaks;
    let title = RichText::new(format!(
        "Leaks: {} groups with copies in both training and validation",
        leaks.len()
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

fn duplicates_ui(
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
                let leaked = result
                    .findings
                    .leaks
                    .iter()
                    .any(|l| l.samples.iter().any(|s| group.samples.contains(s)));
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

fn flags_ui(ui: &mut egui::Ui, textures: &Textures, result: &Measured, actions: &mut Vec<Action>) {
    let flags = &result.findings.flags;
    let title = RichText::new(format!("Flagged images: {}", flags.len())).strong();
    egui::CollapsingHeader::new(title)
        .id_salt("health_flags")
        .default_open(true)
        .show(ui, |ui| {
            let kinds: Vec<(FlagKind, Vec<&crate::health::Flag>)> = FlagKind::ALL
                .into_iter()
                .map(|kind| (kind, flags.iter().filter(|f| f.kind == kind).collect()))
                .filter(|(_, of_kind): &(FlagKind, Vec<_>)| !of_kind.is_empty())
                .collect();
            // A kind with many images wraps inside its box, at most this many tiles a row.
            let per_row = ((ui.available_width() - 24.0)
                / (TILE_WIDTH + ui.spacing().item_spacing.x))
                .floor()
                .max(1.0) as usize;
            let widths: Vec<f32> = kinds
                .iter()
                .map(|(_, of_kind)| tiles_width(ui, of_kind.len().min(per_row).max(2)))
                .collect();
            packed_rows(ui, &widths, |ui, i| {
                let (kind, of_kind) = &kinds[i];
                egui::Frame::group(ui.style()).show(ui, |ui| {
                    ui.vertical(|ui| {
                        ui.label(RichText::new(format!("{kind} ({})", of_kind.len())).strong())
                            .on_hover_text(flag_meaning(*kind));
                        let shown = &of_kind[..of_kind.len().min(LISTED)];
                        for row in shown.chunks(per_row) {
                            ui.horizontal_top(|ui| {
                                for flag in row {
                                    let caption =
                                        RichText::new(format!("{:.3}", flag.score)).small();
                                    tile_ui(ui, textures, result, flag.sample, caption, actions);
                                }
                            });
                        }
                        more_ui(ui, of_kind.len());
                    });
                });
            });
        });
}

/// A centred title and explanation where there is nothing to list.
fn empty_state(ui: &mut egui::Ui, title: &str, detail: &str) {
    ui.vertical_centered(|ui| {
        ui.add_space(60.0);
        ui.heading(title);
        ui.add_space(8.0);
        ui.label(detail);
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

/// The exclusion list's file field and the note about its last save.
struct ListFile<'a> {
    path: &'a mut String,
    notice: Option<&'a str>,
}

fn exclude_ui(
    ui: &mut egui::Ui,
    result: &Measured,
    marked: &[ExcludeKind],
    marked_count: usize,
    list: &mut ListFile<'_>,
    actions: &mut Vec<Action>,
) {
    let f = &result.findings;
    let count = |kind: DuplicateKind| {
        f.duplicates
            .iter()
            .filter(|g| g.kind == kind)
            .map(|g| g.samples.len() - 1)
            .sum::<usize>()
    };
    let mut options: Vec<(ExcludeKind, String)> = vec![
        (
            ExcludeKind::Exact,
            format!(
                "All but the first of each exact duplicate group ({})",
                count(DuplicateKind::Exact)
            ),
        ),
        (
            ExcludeKind::Near,
            format!(
                "All but the first of each near duplicate group ({})",
                count(DuplicateKind::Near)
            ),
        ),
        (
            ExcludeKind::Leaks,
            format!("Leaks' validation copies ({} leaks)", f.leaks.len()),
        ),
    ];
    for kind in FlagKind::ALL {
        let n = f.flags.iter().filter(|x| x.kind == kind).count();
        if n > 0 {
            options.push((ExcludeKind::Flag(kind), format!("Every {kind} image ({n})")));
        }
    }
    for (kind, text) in options {
        let mut on = marked.contains(&kind);
        if ui.checkbox(&mut on, text).changed() {
            actions.push(Action::Mark(kind, on));
        }
    }
    let marked = marked_count;
    ui.label(format!(
        "{marked} images marked; nothing is deleted from the dataset."
    ));
    ui.horizontal(|ui| {
        let label = ui.label("List file");
        ui.add(egui::TextEdit::singleline(&mut *list.path).desired_width(320.0))
            .labelled_by(label.id);
        if ui
            .add_enabled(marked > 0, egui::Button::new("Save exclusion list"))
            .on_hover_text("One `path<TAB>reason` line per image, as `batchscope health --exclude-out` writes; `batchscope export --exclude-list FILE` and the export panel leave them out")
            .clicked()
        {
            actions.push(Action::SaveList);
        }
    });
    if let Some(notice) = list.notice {
        ui.label(notice);
    }
}
