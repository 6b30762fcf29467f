//! The image grid: the batch on screen as thumbnails captioned with their class, a placeholder with
//! the reason for each sample that failed, tooltips, and clicks that select a sample or a class.

use egui::{Color32, ColorImage, RichText, TextureOptions, Vec2};

use super::display::{DisplayRange, MAX_TEXTURE_EDGE, StoredImage};
use super::objects::{self, ObjectMarks};
use super::session::ViewBatch;
use crate::index::DatasetIndex;
use crate::load::loader::{Batch, Original, Pixels};

/// Thumbnail pixels converted and uploaded per frame (about 8 images of 256x256, a few ms).
const UPLOAD_BUDGET_PIXELS: usize = 1 << 19;

/// What the user did in the grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GridAction {
    /// Clicked the good sample in row `row` of the batch.
    Select(usize),
}

pub use super::palette::{class_color, class_text_color};

/// Sample `row` of `batch` as an image for the GPU (subsampled if very large).
pub fn color_image(batch: &Batch, row: usize) -> Option<ColorImage> {
    let s = batch.shape;
    let Pixels::U8(pixels) = &batch.pixels else {
        return None;
    };
    let data = pixels.get(row * s.len()..(row + 1) * s.len())?;
    let step = s.height.max(s.width).div_ceil(MAX_TEXTURE_EDGE).max(1);
    if step == 1 {
        let size = [s.width, s.height];
        return match s.channels {
            1 => Some(ColorImage::from_gray(size, data)),
            3 => Some(ColorImage::from_rgb(size, data)),
            4 => Some(ColorImage::from_rgba_unmultiplied(size, data)),
            _ => None,
        };
    }
    let (h, w) = (s.height.div_ceil(step), s.width.div_ceil(step));
    let mut rgba = Vec::with_capacity(h * w * 4);
    for y in (0..s.height).step_by(step) {
        for x in (0..s.width).step_by(step) {
            let px = &data[(y * s.width + x) * s.channels..][..s.channels];
            match px {
                [v] => rgba.extend_from_slice(&[*v, *v, *v, 255]),
                [r, g, b] => rgba.extend_from_slice(&[*r, *g, *b, 255]),
                [r, g, b, a] => rgba.extend_from_slice(&[*r, *g, *b, *a]),
                _ => rgba.extend_from_slice(&[0, 0, 0, 255]),
            }
        }
    }
    Some(ColorImage::from_rgba_unmultiplied([w, h], &rgba))
}

/// Row `row` of the batch as it is drawn: decoded images as they are, stored rows through `range`; a
/// black pixel if it cannot be drawn.
pub fn thumbnail(
    index: &DatasetIndex,
    batch: &Batch,
    row: usize,
    range: Option<DisplayRange>,
) -> ColorImage {
    let image = match range {
        Some(range) => StoredImage::of(index, batch).and_then(|s| s.color_image(row, range)),
        None => color_image(batch, row),
    };
    image.unwrap_or_else(|| ColorImage::filled([1, 1], Color32::BLACK))
}

/// Uploads the thumbnail of `row` unless it is there or `budget` (pixels this frame) is spent; returns
/// false when it had to wait for a later frame.
pub fn upload(
    ctx: &egui::Context,
    view: &mut ViewBatch,
    index: &DatasetIndex,
    row: usize,
    budget: &mut usize,
) -> bool {
    if view.textures.contains_key(&row) {
        return true;
    }
    if *budget == 0 {
        return false;
    }
    let image = thumbnail(index, &view.batch, row, view.drawn_with);
    *budget = budget.saturating_sub(image.width() * image.height());
    let name = format!("batch{}-{row}", view.batch.number);
    view.textures
        .insert(row, ctx.load_texture(name, image, TextureOptions::NEAREST));
    if let Some(Some(map)) = view.batch.masks.get(row) {
        let first_class = objects::mask_first_class(index, view.batch.samples[row]);
        let name = format!("batch{}-{row}-mask", view.batch.number);
        let mask = objects::mask_image(map, first_class);
        view.masks
            .insert(row, ctx.load_texture(name, mask, TextureOptions::NEAREST));
    }
    true
}

/// What the tooltip and the inspector say about a sample's origin: `128x96 PNG`, or that it is a
/// stored row (never decoded, so it has no file format).
pub fn original_text(original: &Original) -> String {
    match original.format {
        Some(format) => format!(
            "{}x{} {}",
            original.height,
            original.width,
            format
                .extensions_str()
                .first()
                .map_or_else(String::new, |e| e.to_ascii_uppercase())
        ),
        None => "stored row (not decoded)".to_owned(),
    }
}

/// Space between thumbnails, both ways.
const TILE_SPACING: f32 = 6.0;

/// What the grid marks: the highlighted class (others are dimmed) and the inspected row (outlined).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Marks {
    /// The highlighted class.
    pub highlight: Option<u32>,
    /// The row of the batch open in the inspector.
    pub inspected: Option<usize>,
    /// How objects are drawn, when the dataset annotates them.
    pub objects: Option<ObjectMarks>,
}

/// Draws the batch's samples in plan order; failed samples appear where they would have been.
/// Stored rows are drawn through `range` (`None` for decoded images).
///
/// A batch may hold 4096 samples, so only the rows of thumbnails in view are laid out and converted
/// (at most [`UPLOAD_BUDGET_PIXELS`] a frame), and the work per frame outside them is one pass over
/// the batch.
pub fn grid_ui(
    ui: &mut egui::Ui,
    view: &mut ViewBatch,
    planned: &[usize],
    index: &DatasetIndex,
    thumb: f32,
    marks: Marks,
    range: Option<DisplayRange>,
) -> Option<GridAction> {
    if view.drawn_with != range {
        view.textures.clear();
        view.drawn_with = range;
    }
    let ctx = ui.ctx().clone();
    let mut budget = UPLOAD_BUDGET_PIXELS;
    let mut waiting = false;
    let rows = batch_rows(planned, &view.batch.samples);
    // The visible width: content that overflowed earlier in the panel widens `available_width`
    // past the panel's edge (a third column was cut off at 960 points).
    let visible = (ui.clip_rect().right() - ui.cursor().left()).min(ui.available_width());
    let width = visible - ui.spacing().scroll.allocated_width();
    let columns = (((width + TILE_SPACING) / (thumb + TILE_SPACING)).floor() as usize).max(1);
    // The thumbnail size is the smallest: tiles grow to fill the row, leaving no dead column.
    let thumb = ((width + TILE_SPACING) / columns as f32 - TILE_SPACING).max(thumb);
    let tile = Vec2::new(
        thumb,
        thumb + TILE_SPACING + ui.text_style_height(&egui::TextStyle::Body),
    );
    let mut action = None;
    ui.scope(|ui| {
        ui.spacing_mut().item_spacing = Vec2::splat(TILE_SPACING);
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show_rows(
                ui,
                tile.y,
                planned.len().div_ceil(columns),
                |ui, visible| {
                    for grid_row in visible {
                        let first = grid_row * columns;
                        let last = (first + columns).min(planned.len());
                        ui.horizontal(|ui| {
                            for (&sample, &row) in
                                planned[first..last].iter().zip(&rows[first..last])
                            {
                                if let Some(row) = row {
                                    waiting |= !upload(&ctx, view, index, row, &mut budget);
                                }
                                let (rect, _) = ui.allocate_exact_size(tile, egui::Sense::hover());
                                let tile_ui = egui::UiBuilder::new()
                                    .max_rect(rect)
                                    .layout(egui::Layout::top_down(egui::Align::Min));
                                ui.scope_builder(tile_ui, |ui| {
                                    let tile = Tile {
                                        sample,
                                        row,
                                        thumb,
                                        highlight: marks.highlight,
                                        inspected: row.is_some() && row == marks.inspected,
                                        objects: marks.objects,
                                    };
                                    if let Some(clicked) = tile.ui(ui, view, index) {
                                        action = Some(clicked);
                                    }
                                });
                            }
                        });
                    }
                },
            );
    });
    if waiting {
        ctx.request_repaint();
    }
    action
}

/// For each planned sample, its row in the batch's pixels, or `None` if it failed. Both lists are in
/// plan order, so one merge pass does it; a lookup table covers any other order.
fn batch_rows(planned: &[usize], loaded: &[usize]) -> Vec<Option<usize>> {
    let mut next = 0;
    let rows: Vec<Option<usize>> = planned
        .iter()
        .map(|&sample| {
            (loaded.get(next) == Some(&sample)).then(|| {
                next += 1;
                next - 1
            })
        })
        .collect();
    if next == loaded.len() {
        return rows;
    }
    let by_sample: std::collections::HashMap<usize, usize> = loaded
        .iter()
        .enumerate()
        .map(|(row, &s)| (s, row))
        .collect();
    planned.iter().map(|s| by_sample.get(s).copied()).collect()
}

/// One thumbnail with its caption.
struct Tile {
    sample: usize,
    row: Option<usize>,
    thumb: f32,
    highlight: Option<u32>,
    inspected: bool,
    objects: Option<ObjectMarks>,
}

impl Tile {
    fn ui(&self, ui: &mut egui::Ui, view: &ViewBatch, index: &DatasetIndex) -> Option<GridAction> {
        let Self {
            sample,
            row,
            thumb,
            highlight,
            inspected,
            objects: object_marks,
        } = *self;
        let batch = &view.batch;
        let caption_label = index.samples.get(sample).and_then(|s| s.label);
        let annotated = index.object_classes.is_some();
        let mut action = None;
        if row.is_some_and(|r| !view.textures.contains_key(&r)) {
            // Decoded, its thumbnail not uploaded yet (a frame or two).
            ui.add_sized(Vec2::splat(thumb), egui::Spinner::new());
        } else if let Some(row) = row {
            // Annotated images are highlighted by the classes of their objects.
            let dim = match highlight {
                Some(class) if annotated => !objects::has_class(index, sample, class),
                Some(_) => highlight != caption_label,
                None => false,
            };
            let tint = if dim {
                Color32::from_gray(60)
            } else {
                Color32::WHITE
            };
            let image = egui::Image::new(&view.textures[&row])
                .fit_to_exact_size(Vec2::splat(thumb))
                .maintain_aspect_ratio(true)
                .tint(tint)
                .sense(egui::Sense::click());
            let response = ui.add(image);
            let hovered_object = object_marks.and_then(|marks| {
                objects::draw_over(
                    ui,
                    &response,
                    (&view.batch, view.masks.get(&row)),
                    index,
                    row,
                    marks,
                )
            });
            if inspected {
                // The image open in the inspector.
                ui.painter().rect_stroke(
                    response.rect,
                    2.0,
                    (3.0, ui.visuals().selection.stroke.color),
                    egui::StrokeKind::Outside,
                );
            } else if highlight.is_some() && !dim {
                let color = caption_label.map_or(Color32::WHITE, class_color);
                ui.painter().rect_stroke(
                    response.rect,
                    2.0,
                    (3.0, color),
                    egui::StrokeKind::Outside,
                );
            }
            let original = batch.originals[row];
            let response = response.on_hover_ui(|ui| {
                if let Some(object) = &hovered_object {
                    ui.strong(objects::hover_text(index, object));
                }
                ui.label(index.samples[sample].rel_path.to_string_lossy());
                ui.label(match original.format {
                    Some(_) => format!("original {}", original_text(&original)),
                    None => original_text(&original),
                });
                ui.label(label_text(index, caption_label));
                if let Some(caption) = objects::caption(index, sample) {
                    ui.label(caption);
                }
            });
            if response.clicked() {
                action = Some(GridAction::Select(row));
            }
        } else {
            failed_tile(ui, batch, index, sample, thumb);
        }
        let text = match objects::caption(index, sample) {
            Some(caption) if caption_label.is_none() => caption,
            _ => label_text(index, caption_label),
        };
        let dark = ui.visuals().dark_mode;
        let color = caption_label.map_or(ui.visuals().text_color(), |l| class_text_color(l, dark));
        ui.add(egui::Label::new(RichText::new(text).color(color)).truncate());
        action
    }
}

/// A sample that failed, where its thumbnail would be: a red tile, the reason on hover.
fn failed_tile(ui: &mut egui::Ui, batch: &Batch, index: &DatasetIndex, sample: usize, thumb: f32) {
    let reason = batch
        .failures
        .iter()
        .find(|f| f.sample == sample)
        .map_or("not loaded", |f| f.reason.as_str());
    let (rect, response) = ui.allocate_exact_size(Vec2::splat(thumb), egui::Sense::hover());
    ui.painter()
        .rect_filled(rect, 4.0, Color32::from_rgb(70, 20, 20));
    ui.painter().text(
        rect.center(),
        egui::Align2::CENTER_CENTER,
        "× failed",
        egui::FontId::proportional(13.0),
        Color32::from_rgb(255, 160, 160),
    );
    response.on_hover_ui(|ui| {
        ui.label(index.samples[sample].rel_path.to_string_lossy());
        ui.colored_label(ui.visuals().error_fg_color, reason);
    });
}

/// `"3 cat"`, just `"3"` when the class's name is its value (array and TFRecord labels), or the
/// absence of a label.
pub fn label_text(index: &DatasetIndex, label: Option<u32>) -> String {
    match label {
        Some(l) => match index.class_names.get(l as usize) {
            Some(name) if *name == l.to_string() => name.clone(),
            Some(name) => format!("{l} {name}"),
            None => format!("{l} ?"),
        },
        None => "no label".into(),
    }
}
