//! Objects drawn over images: each box in its class's colour with its class name, each mask as a
//! translucent overlay, on the grid's thumbnails and in the inspector; the object under the cursor
//! named with its class, its id in the source and its coordinates in the source image's pixels.
//! Boxes are placed as the loader placed the pixels (`annotations::place`), so what is drawn is
//! what an export writes.

use egui::{Color32, ColorImage, Pos2, Rect, Stroke, Vec2};
use serde::{Deserialize, Serialize};

use super::palette::class_color;
use crate::index::DatasetIndex;
use crate::load::loader::Batch;
use crate::options::AspectFit;
use crate::size::Size;
use crate::source::annotations::{self, BoxXyxy, ClassMap, Placement, Units};

/// What is drawn over annotated images (the toggles above the grid).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Overlay {
    /// Boxes.
    pub boxes: bool,
    /// Class names on the boxes.
    pub names: bool,
    /// Masks.
    pub masks: bool,
}

impl Default for Overlay {
    fn default() -> Self {
        Self {
            boxes: true,
            names: true,
            masks: true,
        }
    }
}

/// A part of the overlay, toggled by its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// Boxes (B).
    Boxes,
    /// Class names (N).
    Names,
    /// Masks (M).
    Masks,
}

impl Overlay {
    /// Draws `part`, or stops drawing it.
    pub fn toggle(&mut self, part: Part) {
        let flag = match part {
            Part::Boxes => &mut self.boxes,
            Part::Names => &mut self.names,
            Part::Masks => &mut self.masks,
        };
        *flag = !*flag;
    }
}

/// How a batch's objects are drawn: the fit its pixels were placed with, and what is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObjectMarks {
    /// Stretch, crop or pad (of the options the batch was loaded with).
    pub fit: AspectFit,
    /// What is drawn.
    pub overlay: Overlay,
}

/// One object as drawn: where the loader put it (pixels of the image as loaded) and what it is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Placed {
    /// Its number among the image's objects (0-based, the source's order).
    pub number: usize,
    /// Its box in the loaded image's pixels.
    pub bbox: BoxXyxy,
    /// Its box in the source image's pixels (what the hover text says).
    pub source: BoxXyxy,
    /// Class index.
    pub class: u32,
    /// A crowd (COCO's `iscrowd`).
    pub crowd: bool,
}

/// The objects of row `row` of `batch`, placed as its pixels were (those the crop cut away left out).
pub fn placed(index: &DatasetIndex, batch: &Batch, row: usize, fit: AspectFit) -> Vec<Placed> {
    let (Some(&sample), Some(original)) = (batch.samples.get(row), batch.originals.get(row)) else {
        return Vec::new();
    };
    let Some(objects) = index.samples.get(sample).and_then(|s| s.objects.as_ref()) else {
        return Vec::new();
    };
    let original = Size {
        height: original.height,
        width: original.width,
    };
    let placement = Placement {
        original,
        output: batch.shape.size(),
        fit,
    };
    let to_pixels = Placement {
        original,
        output: original,
        fit,
    };
    objects
        .objects
        .iter()
        .enumerate()
        .filter_map(|(number, object)| {
            let bbox = annotations::place(&object.bbox, objects.units, &placement)?;
            let source = match objects.units {
                Units::Pixels => object.bbox,
                Units::Normalized => annotations::place(&object.bbox, objects.units, &to_pixels)?,
            };
            Some(Placed {
                number,
                bbox,
                source,
                class: object.class,
                crowd: object.crowd,
            })
        })
        .collect()
}

/// The screen rectangle of `bbox` (loaded-image pixels) over an image of `loaded` size drawn in
/// `image`.
pub fn screen_rect(bbox: &BoxXyxy, loaded: Size, image: Rect) -> Rect {
    let sx = image.width() / loaded.width.max(1) as f32;
    let sy = image.height() / loaded.height.max(1) as f32;
    let at = |x: f64, y: f64| Pos2::new(image.left() + x as f32 * sx, image.top() + y as f32 * sy);
    Rect::from_two_pos(at(bbox.xmin, bbox.ymin), at(bbox.xmax, bbox.ymax))
}

/// Draws `objects` over an image of `loaded` size drawn in `image` (boxes, names as `overlay`
/// says); returns the object under `pointer`, the smallest containing it.
pub fn paint(
    painter: &egui::Painter,
    image: Rect,
    loaded: Size,
    objects: &[Placed],
    classes: &[String],
    overlay: Overlay,
    cursor: Option<Pos2>,
) -> Option<Placed> {
    let painter = painter.with_clip_rect(image.intersect(painter.clip_rect()));
    let hovered = cursor.and_then(|p| {
        objects
            .iter()
            .filter(|o| screen_rect(&o.bbox, loaded, image).expand(2.0).contains(p))
            .min_by(|a, b| a.bbox.area().total_cmp(&b.bbox.area()))
            .copied()
    });
    if !overlay.boxes {
        return hovered;
    }
    // Thin lines on small thumbnails, thicker in the inspector.
    let width = (image.width().min(image.height()) / 80.0).clamp(1.0, 2.5);
    let font = egui::FontId::proportional((image.height() / 12.0).clamp(9.0, 13.0));
    for object in objects {
        let rect = screen_rect(&object.bbox, loaded, image);
        let color = class_color(object.class);
        let hover = hovered.is_some_and(|h| h.number == object.number);
        let stroke = Stroke::new(if hover { width + 1.5 } else { width }, color);
        painter.rect_stroke(rect, 0.0, stroke, egui::StrokeKind::Middle);
        if overlay.names && image.width() >= 48.0 {
            let name = classes
                .get(object.class as usize)
                .map_or("?", String::as_str);
            let text = if object.crowd {
                format!("{name} (crowd)")
            } else {
                name.to_owned()
            };
            let galley = painter.layout_no_wrap(text, font.clone(), Color32::BLACK);
            // Above the box if there is room in the image, else inside its top edge.
            let top = if rect.top() - galley.size().y >= image.top() {
                rect.top() - galley.size().y
            } else {
                rect.top()
            };
            let at = Pos2::new(rect.left().max(image.left()), top);
            let label = Rect::from_min_size(at, galley.size() + Vec2::new(4.0, 0.0));
            painter.rect_filled(label, 1.0, color);
            painter.galley(at + Vec2::new(2.0, 0.0), galley, Color32::BLACK);
        }
    }
    hovered
}

/// What hovering `object` says: its class, its id in the source, its number, and its box in the
/// source image's pixels.
pub fn hover_text(index: &DatasetIndex, object: &Placed) -> String {
    let classes = index.object_classes.as_ref();
    let name = classes
        .and_then(|c| c.names.get(object.class as usize))
        .map_or("?", String::as_str);
    let id = classes
        .and_then(|c| c.ids.get(object.class as usize))
        .map_or_else(|| "?".to_owned(), i64::to_string);
    let b = object.source;
    format!(
        "{name} (class {}, id {id}{}), object {}: x {:.1}–{:.1}, y {:.1}–{:.1} px ({:.1}x{:.1})",
        object.class,
        if object.crowd { ", crowd" } else { "" },
        object.number + 1,
        b.xmin,
        b.xmax,
        b.ymin,
        b.ymax,
        b.width(),
        b.height()
    )
}

/// A class map as a translucent overlay: background (0) clear, each class in its colour (value `v`
/// is class `v - 1` of per-object masks, or class `v` of a segmentation folder: `first_class` is the
/// value of class 0), 255 (VOC's border) light grey.
pub fn mask_image(map: &ClassMap, first_class: u8) -> ColorImage {
    let mut colors = [Color32::TRANSPARENT; 256];
    for (v, color) in colors.iter_mut().enumerate().skip(1) {
        *color = if v == 255 {
            Color32::from_white_alpha(90)
        } else {
            let class = (v as u32).saturating_sub(u32::from(first_class));
            let c = class_color(class);
            Color32::from_rgba_unmultiplied(c.r(), c.g(), c.b(), 110)
        };
    }
    ColorImage::new(
        [map.size.width as usize, map.size.height as usize],
        map.values.iter().map(|&v| colors[v as usize]).collect(),
    )
}

/// The objects of `samples`, counted per class (`images`: images with at least one object of the
/// class instead), in class order; empty when the dataset has no object classes.
pub fn counts(index: &DatasetIndex, samples: &[usize], images: bool) -> Vec<usize> {
    let Some(classes) = &index.object_classes else {
        return Vec::new();
    };
    let objects = samples
        .iter()
        .filter_map(|&s| index.samples.get(s).and_then(|s| s.objects.as_deref()));
    if images {
        annotations::images_per_class(objects, classes.names.len())
    } else {
        annotations::objects_per_class(objects, classes.names.len())
    }
}

/// The thumbnail caption of an annotated sample: `3 objects: cat, dog` (its classes, each once).
pub fn caption(index: &DatasetIndex, sample: usize) -> Option<String> {
    let objects = index.samples.get(sample)?.objects.as_ref()?;
    let names = &index.object_classes.as_ref()?.names;
    let n = objects.objects.len();
    let mut classes: Vec<u32> = objects.objects.iter().map(|o| o.class).collect();
    classes.sort_unstable();
    classes.dedup();
    let listed: Vec<&str> = classes
        .iter()
        .map(|&c| names.get(c as usize).map_or("?", String::as_str))
        .collect();
    Some(match n {
        0 if objects.mask.is_some() => "mask only".to_owned(),
        0 => "no objects".to_owned(),
        1 => format!("1 object: {}", listed.join(", ")),
        n => format!("{n} objects: {}", listed.join(", ")),
    })
}

/// Whether sample `sample` holds an object of class `class`.
pub fn has_class(index: &DatasetIndex, sample: usize, class: u32) -> bool {
    index
        .samples
        .get(sample)
        .and_then(|s| s.objects.as_ref())
        .is_some_and(|o| o.objects.iter().any(|o| o.class == class))
}

/// The mask value of class 0 in sample `sample`'s class map: 1 where masks are painted from
/// objects (COCO polygons and RLE, the OD API's per-object masks), 0 where a class map is stored
/// (a segmentation folder's file, a record's `image/segmentation/class/encoded`).
pub fn mask_first_class(index: &DatasetIndex, sample: usize) -> u8 {
    use annotations::MaskRef;
    let mask = index
        .samples
        .get(sample)
        .and_then(|s| s.objects.as_ref())
        .and_then(|o| o.mask.as_ref());
    match mask {
        Some(MaskRef::File(_) | MaskRef::Record { stored: true }) => 0,
        _ => 1,
    }
}

/// Draws row `row` of `batch`'s objects, and its `mask` overlay, over its image (`response`, as
/// drawn) as `marks` say; returns the object under the pointer.
pub fn draw_over(
    ui: &egui::Ui,
    response: &egui::Response,
    (batch, mask): (&Batch, Option<&egui::TextureHandle>),
    index: &DatasetIndex,
    row: usize,
    marks: ObjectMarks,
) -> Option<Placed> {
    let image = response.rect;
    if marks.overlay.masks
        && let Some(mask) = mask
    {
        let uv = Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0));
        ui.painter().image(mask.id(), image, uv, Color32::WHITE);
    }
    let placed = placed(index, batch, row, marks.fit);
    let classes = index
        .object_classes
        .as_ref()
        .map_or(&[][..], |c| &c.names[..]);
    paint(
        ui.painter(),
        image,
        batch.shape.size(),
        &placed,
        classes,
        marks.overlay,
        response.hover_pos(),
    )
}

/// The toggles above the grid of an annotated dataset: boxes, names, masks (when it has masks).
pub fn overlay_ui(ui: &mut egui::Ui, overlay: &mut Overlay, index: &DatasetIndex) {
    let Some(classes) = &index.object_classes else {
        return;
    };
    ui.horizontal_wrapped(|ui| {
        ui.label("Draw:");
        ui.checkbox(&mut overlay.boxes, "Boxes")
            .on_hover_text("Each object's box, in its class's colour (B)");
        ui.add_enabled(
            overlay.boxes,
            egui::Checkbox::new(&mut overlay.names, "Names"),
        )
        .on_hover_text("The class name on each box (N)");
        ui.add_enabled(
            classes.has_masks,
            egui::Checkbox::new(&mut overlay.masks, "Masks"),
        )
        .on_hover_text(if classes.has_masks {
            "Masks as translucent overlays in their class's colour (M)"
        } else {
            "This dataset has no masks"
        });
        ui.weak(format!(
            "{} object class{}",
            classes.names.len(),
            if classes.names.len() == 1 { "" } else { "es" }
        ));
    });
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // The placements asserted are exact.
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::index::{ObjectClasses, Objects, Sample};
    use crate::load::loader::{Original, Pixels};
    use crate::load::preprocess::Shape;
    use crate::source::annotations::{MaskRef, Object};

    fn b(xmin: f64, ymin: f64, xmax: f64, ymax: f64) -> BoxXyxy {
        BoxXyxy {
            xmin,
            ymin,
            xmax,
            ymax,
        }
    }

    /// One 200x100 image (loaded as 50x50) with three objects of classes 0, 2, 0: a crowd in the
    /// middle, one on the left edge that a crop cuts away, a small one inside the first.
    fn annotated() -> (DatasetIndex, Batch) {
        let object = |bbox, class, crowd| Object { bbox, class, crowd };
        let objects = Objects {
            objects: vec![
                object(b(60.0, 10.0, 140.0, 90.0), 0, true),
                object(b(0.0, 0.0, 40.0, 50.0), 2, false),
                object(b(90.0, 40.0, 110.0, 60.0), 0, false),
            ],
            units: Units::Pixels,
            stated_size: None,
            mask: Some(MaskRef::Polygons(Vec::new())),
        };
        let mut sample = Sample::new("a.png", None);
        sample.objects = Some(Arc::new(objects));
        let index = DatasetIndex {
            samples: vec![sample, Sample::new("b.png", None)],
            object_classes: Some(ObjectClasses {
                names: vec!["cat".into(), "dog".into(), "fox".into()],
                ids: vec![1, 5, 17],
                has_masks: true,
            }),
            ..DatasetIndex::default()
        };
        let batch = Batch {
            number: 0,
            samples: vec![0, 1],
            originals: vec![
                Original {
                    width: 200,
                    height: 100,
                    format: None,
                    warnings: 0,
                };
                2
            ],
            shape: Shape {
                height: 50,
                width: 50,
                channels: 3,
            },
            pixels: Pixels::U8(Vec::new()),
            failures: Vec::new(),
            masks: Vec::new(),
        };
        (index, batch)
    }

    #[test]
    fn objects_are_placed_as_the_pixels_and_the_cut_ones_left_out() {
        let (index, batch) = annotated();
        let stretched = placed(&index, &batch, 0, AspectFit::Stretch);
        assert_eq!(stretched.len(), 3);
        assert_eq!(stretched[0].bbox, b(15.0, 5.0, 35.0, 45.0));
        assert_eq!(stretched[0].source, b(60.0, 10.0, 140.0, 90.0));
        // The crop keeps the middle 100x100: the object on the left edge is gone.
        let cropped = placed(&index, &batch, 0, AspectFit::Crop);
        assert_eq!(
            cropped.iter().map(|p| p.number).collect::<Vec<_>>(),
            vec![0, 2]
        );
        assert_eq!(cropped[0].bbox, b(5.0, 5.0, 45.0, 45.0));
        assert!(placed(&index, &batch, 1, AspectFit::Crop).is_empty());
    }

    #[test]
    fn the_object_under_the_pointer_is_the_smallest_there_and_is_named_in_source_pixels() {
        let (index, batch) = annotated();
        let objects = placed(&index, &batch, 0, AspectFit::Stretch);
        let ctx = egui::Context::default();
        let mut hovered = None;
        let mut output = ctx.run_ui(egui::RawInput::default(), |ui| {
            // Drawn at 2 points per loaded pixel from (10, 10).
            let image = Rect::from_min_size(Pos2::new(10.0, 10.0), Vec2::splat(100.0));
            let names = &index.object_classes.as_ref().unwrap().names;
            // Loaded pixel (25, 25), inside objects 0 and 2: object 2 is the smaller.
            hovered = paint(
                ui.painter(),
                image,
                batch.shape.size(),
                &objects,
                names,
                Overlay::default(),
                Some(Pos2::new(60.0, 60.0)),
            );
        });
        // Nothing renders the frame: its font texture is dropped unapplied.
        output.textures_delta.clear();
        let object = hovered.unwrap();
        assert_eq!(object.number, 2);
        assert_eq!(
            hover_text(&index, &object),
            "cat (class 0, id 1), object 3: x 90.0–110.0, y 40.0–60.0 px (20.0x20.0)"
        );
        let crowd = objects[0];
        assert!(hover_text(&index, &crowd).starts_with("cat (class 0, id 1, crowd), object 1:"));
    }

    #[test]
    fn captions_counts_and_classes_of_an_annotated_batch() {
        let (index, _) = annotated();
        assert_eq!(caption(&index, 0).unwrap(), "3 objects: cat, fox");
        assert_eq!(caption(&index, 1), None);
        assert_eq!(counts(&index, &[0, 1], false), vec![2, 0, 1]);
        assert_eq!(counts(&index, &[0, 1], true), vec![1, 0, 1]);
        assert!(has_class(&index, 0, 2) && !has_class(&index, 0, 1) && !has_class(&index, 1, 0));
        assert_eq!(mask_first_class(&index, 0), 1);
        // A stored class map's values are its classes; a record's painted masks are class + 1.
        let with_mask = |mask| {
            let mut index = index.clone();
            index.samples[1].objects = Some(Arc::new(Objects {
                mask: Some(mask),
                ..Objects::default()
            }));
            mask_first_class(&index, 1)
        };
        assert_eq!(with_mask(MaskRef::Record { stored: true }), 0);
        assert_eq!(with_mask(MaskRef::Record { stored: false }), 1);
        assert_eq!(with_mask(MaskRef::File("m.png".into())), 0);
    }

    #[test]
    fn a_mask_is_clear_on_background_and_coloured_by_class() {
        let map = ClassMap {
            size: Size {
                height: 1,
                width: 3,
            },
            values: vec![0, 1, 255],
        };
        let image = mask_image(&map, 1);
        assert_eq!(image.size, [3, 1]);
        assert_eq!(image.pixels[0], Color32::TRANSPARENT);
        let c = class_color(0);
        assert_eq!(
            image.pixels[1],
            Color32::from_rgba_unmultiplied(c.r(), c.g(), c.b(), 110)
        );
        assert_eq!(image.pixels[2], Color32::from_white_alpha(90));
    }
}
