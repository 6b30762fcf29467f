//! The Health view's lists: leaks and duplicate groups (one group a row), and flagged images by kind
//! (rows of thumbnails), every one of them, each image a thumbnail with its path and a caption that
//! opens the inspector when clicked. Rows have one fixed height, so a list is drawn with
//! [`egui::ScrollArea::show_rows`]: only the rows in view cost anything, however many there are, and a
//! click (which opens the inspector beside the view, not over it) moves nothing. What the lists hold
//! and count is sorted out once per regrouping ([`Listing`]), so that drawing costs what is shown,
//! not what was found. The samples drawn are handed back, for their thumbnails to be loaded.

use crate::query::HealthFilter;
use std::collections::HashSet;

use egui::{RichText, Vec2};

use super::health_panel::Measured;
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
    /// The kinds that flag images, in [`FlagKind::ALL`] order: how many, and all of them (indices
    /// into the findings' flags).
    pub flags: Vec<(FlagKind, usize, Vec<usize>)>,
    /// Whether each duplicate group holds an image of a leak.
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
                (!of_kind.is_empty()).then_some((kind, of_kind.len(), of_kind))
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
                .map(|g| g.samples.iter().any(|s| in_leaks.contains(s)))
                .collect(),
        }
    }

    /// Rows of the flags list at `per_row` tiles a row: each kind starts a row.
    fn flag_rows(&self, per_row: usize) -> usize {
        self.flags
            .iter()
            .map(|(_, count, _)| count.div_ceil(per_row))
            .sum()
    }

    /// The kind (index into `flags`) and the tiles (a range of its flags) of flags row `row`.
    fn flag_row(&self, per_row: usize, mut row: usize) -> Option<(usize, std::ops::Range<usize>)> {
        for (k, (_, count, _)) in self.flags.iter().enumerate() {
            let rows = count.div_ceil(per_row);
            if row < rows {
                let start = row * per_row;
                return Some((k, start..(start + per_row).min(*count)));
            }
            row -= rows;
        }
        None
    }
}

/// Uploaded thumbnails by sample.
pub type Textures = super::thumbnails::Thumbnails;

/// Thumbnail edge on screen, in points.
const TILE: f32 = 72.0;
/// Width of one tile with its caption, in points.
const TILE_WIDTH: f32 = TILE + 24.0;
/// Width of the column before a row's tiles (a group's kind and size, a flag kind's name).
const INFO_WIDTH: f32 = 110.0;

/// Height of every row of the lists: a tile with its two caption lines, or five lines of text.
fn row_height(ui: &egui::Ui) -> f32 {
    let spacing = ui.spacing().item_spacing.y;
    let small = ui.text_style_height(&egui::TextStyle::Small);
    let body = ui.text_style_height(&egui::TextStyle::Body);
    (TILE + 2.0 * (small + spacing)).max(5.0 * (body + spacing)) + 4.0
}

/// Tiles that fit in a row beside the info column, in a list drawn in `ui` (beside its scroll bar).
fn tiles_per_row(ui: &egui::Ui) -> usize {
    let spacing = ui.spacing().item_spacing.x;
    let width = ui.available_width() - ui.spacing().scroll.allocated_width();
    ((width - INFO_WIDTH - 2.0 * spacing - 16.0) / (TILE_WIDTH + spacing))
        .floor()
        .max(1.0) as usize
}

/// What a list drew: its scroll offset and the samples in view.
pub struct Drawn {
    /// The list's vertical scroll offset, in points.
    pub offset: f32,
    /// Samples whose tiles were drawn.
    pub visible: Vec<usize>,
}

/// Where the tiles of one frame go and what they ask for.
struct Tiles<'a> {
    textures: &'a Textures,
    result: &'a Measured,
    actions: &'a mut Vec<Action>,
    visible: Vec<usize>,
}

/// Draws one row of fixed height: `row` numbers it (odd rows are striped, behind the tiles), a
/// stroke frames it, `add` fills it.
fn row_ui(
    ui: &mut egui::Ui,
    height: f32,
    row: usize,
    stroke: Option<egui::Stroke>,
    add: impl FnOnce(&mut egui::Ui),
) {
    let width = ui.available_width();
    let behind = ui.painter().add(egui::Shape::Noop);
    let response = ui.allocate_ui_with_layout(
        Vec2::new(width, height),
        egui::Layout::left_to_right(egui::Align::Min),
        |ui| {
            ui.set_min_size(Vec2::new(width, height));
            ui.set_max_height(height);
            add(ui);
        },
    );
    let rect = response.response.rect;
    if let Some(stroke) = stroke {
        ui.painter()
            .rect_stroke(rect, 3.0, stroke, egui::StrokeKind::Inside);
    } else if row % 2 == 1 {
        let fill = ui.visuals().faint_bg_color;
        ui.painter()
            .set(behind, egui::epaint::RectShape::filled(rect, 0.0, fill));
    }
}

/// Leaks, then duplicate groups: one row each, every one of them.
pub(super) fn groups_ui(
    ui: &mut egui::Ui,
    textures: &Textures,
    result: &Measured,
    id: impl std::hash::Hash + std::fmt::Debug,
    actions: &mut Vec<Action>,
) -> Drawn {
    let findings = &result.findings;
    let (leaks, groups) = (&findings.leaks, &findings.duplicates);
    if !leaks.is_empty() {
        ui.horizontal(|ui| {
            ui.label(
                RichText::new(format!(
                    "Leaks: {} with copies in both training and validation",
                    super::health_view::count(leaks.len(), "group")
                ))
                .strong()
                .color(LEAK),
            );
            gallery_button(ui, actions, HealthFilter::Leak, "every leaked image");
        });
    }
    ui.horizontal(|ui| {
        ui.label(RichText::new(format!("Duplicates: {} groups", groups.len())).strong());
        if !groups.is_empty() {
            gallery_button(
                ui,
                actions,
                HealthFilter::Duplicate,
                "every image in a group",
            );
        }
    });
    let tiles = Tiles {
        textures,
        result,
        actions,
        visible: Vec::new(),
    };
    let rows = |_| leaks.len() + groups.len();
    tile_rows(ui, id, tiles, rows, |ui, tiles, row, height, per_row| {
        if let Some(leak) = leaks.get(row) {
            row_ui(ui, height, row, Some(egui::Stroke::new(1.5, LEAK)), |ui| {
                leak_info_ui(ui, leak.samples.len(), per_row);
                let members = leak.samples.iter().zip(&leak.subsets);
                for (&sample, &subset) in members.take(per_row) {
                    let color = if subset == Subset::Validation {
                        LEAK
                    } else {
                        ui.visuals().text_color()
                    };
                    let caption = RichText::new(subset.to_string()).small().color(color);
                    tiles.tile_ui(ui, sample, caption);
                }
            });
        } else if let Some(group) = groups.get(row - leaks.len()) {
            let leaked = result
                .listing
                .leaked
                .get(row - leaks.len())
                .copied()
                .unwrap_or(false);
            let stroke = leaked.then(|| egui::Stroke::new(1.5, LEAK));
            let g = row - leaks.len();
            row_ui(ui, height, row, stroke, |ui| {
                ui.vertical(|ui| {
                    group_info_ui(ui, group, leaked, per_row);
                    gallery_button(
                        ui,
                        tiles.actions,
                        HealthFilter::DuplicateGroup(g),
                        "this group",
                    );
                });
                for (i, &sample) in group.samples.iter().take(per_row).enumerate() {
                    let caption = RichText::new(if i == 0 { "first" } else { "copy" })
                        .small()
                        .weak();
                    tiles.tile_ui(ui, sample, caption);
                }
            });
        }
    })
}

/// `Gallery`: shows `what` of a finding in the Gallery, where it can be sorted, tagged and relabelled.
fn gallery_button(ui: &mut egui::Ui, actions: &mut Vec<Action>, filter: HealthFilter, what: &str) {
    if ui
        .small_button("Gallery")
        .on_hover_text(format!("Show {what} in the Gallery"))
        .clicked()
    {
        actions.push(Action::ShowInGallery(filter));
    }
}

/// Rows of thumbnails in a scroll area that draws only the rows in view (`id` keeps its offset):
/// `rows` counts them for a number of tiles per row, `draw` draws row `row` of `height` points with
/// up to `per_row` tiles into `tiles`.
fn tile_rows(
    ui: &mut egui::Ui,
    id: impl std::hash::Hash + std::fmt::Debug,
    mut tiles: Tiles<'_>,
    rows: impl FnOnce(usize) -> usize,
    mut draw: impl FnMut(&mut egui::Ui, &mut Tiles<'_>, usize, f32, usize),
) -> Drawn {
    let height = row_height(ui);
    let per_row = tiles_per_row(ui);
    let output = egui::ScrollArea::vertical()
        .id_salt(id)
        .auto_shrink([false, false])
        .show_rows(ui, height, rows(per_row), |ui, range| {
            for row in range {
                draw(ui, &mut tiles, row, height, per_row);
            }
        });
    Drawn {
        offset: output.state.clamped_offset().y,
        visible: tiles.visible,
    }
}

/// A leak's size.
fn leak_info_ui(ui: &mut egui::Ui, members: usize, shown: usize) {
    ui.vertical(|ui| {
        ui.set_width(INFO_WIDTH);
        ui.colored_label(LEAK, RichText::new("leak").strong());
        ui.weak(format!("{members} images"));
        if members > shown {
            ui.weak(format!("{} not shown", members - shown));
        }
    });
}

/// A group's kind, score and size.
fn group_info_ui(
    ui: &mut egui::Ui,
    group: &crate::health::DuplicateGroup,
    leaked: bool,
    shown: usize,
) {
    ui.vertical(|ui| {
        ui.set_width(INFO_WIDTH);
        let kind = match group.kind {
            DuplicateKind::Exact => "exact",
            DuplicateKind::Near => "near",
        };
        ui.label(RichText::new(kind).strong());
        ui.label(format!("{:.3}", group.score))
            .on_hover_text("1 for identical pixels; for near groups the lowest hash similarity 1 − d/64 of its links");
        ui.weak(format!("{} images", group.samples.len()));
        if group.samples.len() > shown {
            ui.weak(format!("{} not shown", group.samples.len() - shown));
        }
        if leaked {
            ui.colored_label(LEAK, "leak");
        }
    });
}

/// Flagged images, kind by kind, in rows of thumbnails: every one of them.
pub(super) fn flags_ui(
    ui: &mut egui::Ui,
    textures: &Textures,
    result: &Measured,
    id: impl std::hash::Hash + std::fmt::Debug,
    actions: &mut Vec<Action>,
) -> Drawn {
    let flags = &result.findings.flags;
    let listing = &result.listing;
    ui.label(RichText::new(format!("Flagged images: {}", flags.len())).strong());
    let tiles = Tiles {
        textures,
        result,
        actions,
        visible: Vec::new(),
    };
    let rows = |per_row| listing.flag_rows(per_row);
    tile_rows(ui, id, tiles, rows, |ui, tiles, row, height, per_row| {
        let Some((k, range)) = listing.flag_row(per_row, row) else {
            return;
        };
        let (kind, count, of_kind) = &listing.flags[k];
        row_ui(ui, height, row, None, |ui| {
            ui.vertical(|ui| {
                ui.set_width(INFO_WIDTH);
                if range.start == 0 {
                    ui.label(RichText::new(format!("{kind} ({count})")).strong())
                        .on_hover_text(flag_meaning(*kind));
                    gallery_button(
                        ui,
                        tiles.actions,
                        HealthFilter::Flag(*kind),
                        "every one of them",
                    );
                } else {
                    ui.weak(format!(
                        "{kind} {}–{} of {count}",
                        range.start + 1,
                        range.end
                    ));
                }
            });
            for flag in of_kind[range].iter().filter_map(|&f| flags.get(f)) {
                let caption = RichText::new(format!("{:.3}", flag.score)).small();
                tiles.tile_ui(ui, flag.sample, caption);
            }
        });
    })
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

impl Tiles<'_> {
    /// One image: its thumbnail (click to inspect), its path and a caption.
    fn tile_ui(&mut self, ui: &mut egui::Ui, sample: usize, caption: RichText) {
        self.visible.push(sample);
        let path = crate::health::report::rel_path(&self.result.scan, sample);
        ui.vertical(|ui| {
            ui.set_width(TILE_WIDTH);
            let response = if let Some(texture) = self.textures.get(sample) {
                ui.add(
                    egui::Image::new(texture)
                        .fit_to_exact_size(Vec2::splat(TILE))
                        .maintain_aspect_ratio(true)
                        .sense(egui::Sense::click()),
                )
            } else {
                let (rect, response) =
                    ui.allocate_exact_size(Vec2::splat(TILE), egui::Sense::click());
                ui.painter()
                    .rect_filled(rect, 3.0, ui.visuals().extreme_bg_color);
                response
            };
            let label = format!("thumbnail {path}");
            response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &label));
            let response = response.on_hover_text(format!("{path}\nclick to inspect"));
            if response.clicked() {
                self.actions.push(Action::Inspect(sample));
            }
            ui.add(egui::Label::new(RichText::new(&path).small()).truncate());
            ui.label(caption);
        });
    }
}
