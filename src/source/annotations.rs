//! Objects in images: the boxes, classes and masks of a detection or segmentation dataset, whatever
//! source stated them (TF Object Detection API records, tfds's layout, COCO, YOLO, Pascal VOC, a
//! folder of class-map masks), and how they follow the loader's geometry.
//!
//! A source that reads annotations gives each [`Sample`](crate::index::Sample) its [`Objects`] and
//! the index one [`ObjectClasses`] table. Boxes are kept as the source states them ([`Units`]), so
//! that what is exported at native size is the source's own numbers; [`place`] carries a box
//! through resize, crop and pad exactly as the pixels are carried (`crate::load::resize`'s
//! `crop_box`/`pad_box`), and [`encode`] writes it in the form asked for. Masks are class maps
//! (`0` background, class index + 1 for an object's pixels, or a segmentation folder's values as
//! stored), resampled by nearest neighbour with the same geometry ([`resample_class_map`]).

use std::path::PathBuf;
use std::sync::Arc;

use crate::load::resize;

pub mod coco_rle;
pub mod masks;
use crate::options::{AspectFit, PreprocessOptions};
use crate::size::Size;

/// How a source states box coordinates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Units {
    /// Fractions of the image's width and height (TF OD API, tfds, YOLO).
    #[default]
    Normalized,
    /// Pixels of the image as stored (COCO, Pascal VOC).
    Pixels,
}

/// The farthest from the origin a box corner may lie, in pixels or in normalised units: no image is
/// wider than `u32` pixels, and a corner within this stays a finite float32 through any resize
/// (`2^32` normalised units times a `u32` width times a `u32` scale is about `8e28`, below `f32::MAX`).
/// A corner beyond it (`1e300`, or `x + w` of two huge numbers) drops its image, as NaN does.
pub const MAX_COORDINATE: f64 = 4_294_967_296.0;

/// A box as two corners, `x` across and `y` down, in some frame (the source's [`Units`], or the
/// output image's pixels after [`place`]).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BoxXyxy {
    /// Left edge.
    pub xmin: f64,
    /// Top edge.
    pub ymin: f64,
    /// Right edge.
    pub xmax: f64,
    /// Bottom edge.
    pub ymax: f64,
}

impl BoxXyxy {
    /// Width (negative for an inverted box).
    pub fn width(&self) -> f64 {
        self.xmax - self.xmin
    }

    /// Height (negative for an inverted box).
    pub fn height(&self) -> f64 {
        self.ymax - self.ymin
    }

    /// Its area, 0 for an inverted or empty box.
    pub fn area(&self) -> f64 {
        self.width().max(0.0) * self.height().max(0.0)
    }

    /// Intersection over union with `other` (0 when either has no area).
    pub fn iou(&self, other: &Self) -> f64 {
        let inter = Self {
            xmin: self.xmin.max(other.xmin),
            ymin: self.ymin.max(other.ymin),
            xmax: self.xmax.min(other.xmax),
            ymax: self.ymax.min(other.ymax),
        }
        .area();
        let union = self.area() + other.area() - inter;
        if union > 0.0 { inter / union } else { 0.0 }
    }

    /// The box, or why it cannot be placed: a corner that is no finite number, or that lies beyond
    /// [`MAX_COORDINATE`] (where a resize could carry it past float32's range).
    pub fn checked(self) -> Result<Self, String> {
        let corners = [self.xmin, self.ymin, self.xmax, self.ymax];
        for (name, v) in ["xmin", "ymin", "xmax", "ymax"].into_iter().zip(corners) {
            if !v.is_finite() {
                return Err(format!("{name} is {v}, not a finite number"));
            }
            if v.abs() > MAX_COORDINATE {
                return Err(format!(
                    "{name} is {v:e}, beyond ±{MAX_COORDINATE:e}, farther than any image reaches"
                ));
            }
        }
        Ok(self)
    }

    /// Whether every coordinate is a finite number.
    pub fn is_finite(&self) -> bool {
        [self.xmin, self.ymin, self.xmax, self.ymax]
            .iter()
            .all(|v| v.is_finite())
    }

    fn bits(&self) -> [u64; 4] {
        [self.xmin, self.ymin, self.xmax, self.ymax].map(f64::to_bits)
    }
}

/// One object of an image.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Object {
    /// Its box, in the source's [`Units`] (a mask-only object of a segmentation folder has none).
    pub bbox: BoxXyxy,
    /// Class index into [`ObjectClasses::names`].
    pub class: u32,
    /// COCO's `iscrowd`: the object is a crowd of its class (`false` where the source has no such flag).
    pub crowd: bool,
}

/// Where an image's mask comes from, read when it is drawn or exported (never at indexing).
#[derive(Clone, Debug, PartialEq)]
pub enum MaskRef {
    /// A class-map image file (a segmentation folder's PNG), relative to the dataset root; its
    /// values are the classes as stored.
    File(PathBuf),
    /// Inside the sample's record (TF OD API `image/object/mask` or
    /// `image/segmentation/class/encoded`), read through the store
    /// ([`crate::index::EncodedImages::masks`]).
    Record {
        /// The record holds a class map, whose values are the classes as stored; else per-object
        /// masks, painted class index + 1.
        stored: bool,
    },
    /// COCO polygons per object, `(object number, [x0, y0, x1, y1, ...] per ring)`, in pixels.
    Polygons(Vec<(usize, Vec<Vec<f64>>)>),
    /// COCO run-length encodings per object, `(object number, height, width, counts)`; runs
    /// alternate background and object, column-major, starting with background.
    Rle(Vec<(usize, u32, u32, Vec<u32>)>),
    /// Both in one image (COCO's crowd objects are RLE beside polygon objects), painted together
    /// in object order: the polygons, then the run-length encodings, as above.
    PolygonsAndRle(
        Vec<(usize, Vec<Vec<f64>>)>,
        Vec<(usize, u32, u32, Vec<u32>)>,
    ),
}

/// The objects of one image, as its source states them.
#[derive(Clone, Debug, Default)]
pub struct Objects {
    /// Every object, in the source's order.
    pub objects: Vec<Object>,
    /// How the boxes are stated.
    pub units: Units,
    /// The image size the annotation states (COCO's `width`/`height`, VOC's `<size>`, the OD API's
    /// `image/height`/`image/width`), which health compares with the decoded image's.
    pub stated_size: Option<Size>,
    /// Where its mask is, if it has one.
    pub mask: Option<MaskRef>,
}

impl PartialEq for Objects {
    fn eq(&self, other: &Self) -> bool {
        self.units == other.units
            && self.stated_size == other.stated_size
            && self.mask == other.mask
            && self.objects.len() == other.objects.len()
            && self.objects.iter().zip(&other.objects).all(|(a, b)| {
                a.class == b.class && a.crowd == b.crowd && a.bbox.bits() == b.bbox.bits()
            })
    }
}

impl Eq for Objects {}

/// The object classes of a dataset: contiguous indices in the order of the source's own ids (the
/// label map's or `class/label`'s ids, COCO's `category_id`, YOLO's class index), each with its
/// name and the id it had in the source (what `class_names.json` and `class_ids.json` hold).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectClasses {
    /// Name of each class index.
    pub names: Vec<String>,
    /// The source's id of each class index.
    pub ids: Vec<i64>,
    /// Whether the dataset has masks (some sample's [`Objects::mask`] is set).
    pub has_masks: bool,
}

impl ObjectClasses {
    /// The classes of the source ids `ids` (any order, repeats allowed), in ascending id order, named
    /// by `name` (`None`: `class <id>`).
    pub fn from_ids(
        ids: impl IntoIterator<Item = i64>,
        mut name: impl FnMut(i64) -> Option<String>,
    ) -> Self {
        let mut ids: Vec<i64> = ids.into_iter().collect();
        ids.sort_unstable();
        ids.dedup();
        Self {
            names: ids
                .iter()
                .map(|&id| name(id).unwrap_or_else(|| format!("class {id}")))
                .collect(),
            ids,
            has_masks: false,
        }
    }

    /// The class index of source id `id`, if it is one of the classes.
    pub fn index_of(&self, id: i64) -> Option<u32> {
        self.ids.binary_search(&id).ok().map(|i| i as u32)
    }
}

/// Number of objects of each class over `objects`, in class order (`classes` classes).
pub fn objects_per_class<'a>(
    objects: impl IntoIterator<Item = &'a Objects>,
    classes: usize,
) -> Vec<usize> {
    let mut counts = vec![0; classes];
    for object in objects.into_iter().flat_map(|o| &o.objects) {
        if let Some(count) = counts.get_mut(object.class as usize) {
            *count += 1;
        }
    }
    counts
}

/// Number of images with at least one object of each class, in class order.
pub fn images_per_class<'a>(
    objects: impl IntoIterator<Item = &'a Objects>,
    classes: usize,
) -> Vec<usize> {
    let mut counts = vec![0; classes];
    let mut seen = vec![false; classes];
    for image in objects {
        seen.fill(false);
        for object in &image.objects {
            if let Some(s) = seen.get_mut(object.class as usize)
                && !*s
            {
                *s = true;
                counts[object.class as usize] += 1;
            }
        }
    }
    counts
}

/// How the loader placed an image of `original` size in its output: the output size and the fit.
/// Native size (no `--image-size`) is the identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placement {
    /// The stored image's size (as decoded).
    pub original: Size,
    /// The output image's size.
    pub output: Size,
    /// Stretch, crop or pad.
    pub fit: AspectFit,
}

impl Placement {
    /// How `options` place an image of `original` size (native size when no image size is set).
    pub fn of(original: Size, options: &PreprocessOptions) -> Self {
        Self {
            original,
            output: options.image_size.unwrap_or(original),
            fit: options.fit,
        }
    }

    /// The output pixel `(x, y)` of the original image's pixel position `(x, y)` (positions are
    /// continuous: pixel `i` covers `[i, i + 1)`), by the loader's own crop and pad boxes.
    fn map(&self, x: f64, y: f64) -> (f64, f64) {
        let (h, w) = (self.original.height as usize, self.original.width as usize);
        let (oh, ow) = (self.output.height as usize, self.output.width as usize);
        if (h, w) == (oh, ow) {
            return (x, y);
        }
        match self.fit {
            AspectFit::Stretch => (x * ow as f64 / w as f64, y * oh as f64 / h as f64),
            AspectFit::Crop => {
                let (top, left, ch, cw) = resize::crop_box(h, w, oh, ow);
                (
                    (x - left as f64) * ow as f64 / cw as f64,
                    (y - top as f64) * oh as f64 / ch as f64,
                )
            }
            AspectFit::Pad => {
                let (top, left, ih, iw) = resize::pad_box(h, w, oh, ow);
                (
                    x * iw as f64 / w as f64 + left as f64,
                    y * ih as f64 / h as f64 + top as f64,
                )
            }
        }
    }
}

/// Where `bbox` (in `units` of an image placed by `placement`) lies in the output image, in output
/// pixels; `None` when the loader's crop cut it away whole. A box partly cropped away is clipped to
/// the output; under stretch and pad nothing is cut, and a box is carried as stated (health reports
/// one outside its image).
pub fn place(bbox: &BoxXyxy, units: Units, placement: &Placement) -> Option<BoxXyxy> {
    let (sx, sy) = match units {
        Units::Pixels => (1.0, 1.0),
        Units::Normalized => (
            f64::from(placement.original.width),
            f64::from(placement.original.height),
        ),
    };
    let (xmin, ymin) = placement.map(bbox.xmin * sx, bbox.ymin * sy);
    let (xmax, ymax) = placement.map(bbox.xmax * sx, bbox.ymax * sy);
    let placed = BoxXyxy {
        xmin,
        ymin,
        xmax,
        ymax,
    };
    let cropped = placement.fit == AspectFit::Crop && placement.original != placement.output;
    if !cropped {
        return Some(placed);
    }
    let (ow, oh) = (
        f64::from(placement.output.width),
        f64::from(placement.output.height),
    );
    if placed.xmax <= 0.0 || placed.ymax <= 0.0 || placed.xmin >= ow || placed.ymin >= oh {
        return None;
    }
    Some(BoxXyxy {
        xmin: placed.xmin.clamp(0.0, ow),
        ymin: placed.ymin.clamp(0.0, oh),
        xmax: placed.xmax.clamp(0.0, ow),
        ymax: placed.ymax.clamp(0.0, oh),
    })
}

/// The order of a box's four numbers in an export (`--box-format`).
// The variants' docs are --help text, which clap prints as written: no backticks.
#[allow(clippy::doc_markdown)]
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum BoxFormat {
    /// [ymin, xmin, ymax, xmax], as TensorFlow's detection APIs.
    #[default]
    Yxyx,
    /// [xmin, ymin, xmax, ymax], as torchvision.
    Xyxy,
    /// [xmin, ymin, width, height], as COCO.
    Xywh,
}

/// The units of a box's numbers in an export (`--box-units`).
#[allow(clippy::doc_markdown)]
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum BoxUnits {
    /// Fractions of the exported image's width and height.
    #[default]
    Normalized,
    /// Pixels of the exported image.
    Pixels,
}

/// Writes the clap value name (`yxyx`, `normalized`), the flags' own spelling.
macro_rules! display_as_value_name {
    ($($ty:ty),*) => {$(
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                use clap::ValueEnum as _;
                match self.to_possible_value() {
                    Some(value) => f.write_str(value.get_name()),
                    None => Err(std::fmt::Error),
                }
            }
        }
    )*};
}

display_as_value_name!(BoxFormat, BoxUnits);

/// A placed box (output pixels, from [`place`]) as the four float32 numbers of an export of an
/// image of `output` size: computed in f64, rounded to f32 once.
#[allow(clippy::cast_possible_truncation)]
pub fn encode(placed: &BoxXyxy, output: Size, format: BoxFormat, units: BoxUnits) -> [f32; 4] {
    let (sx, sy) = match units {
        BoxUnits::Pixels => (1.0, 1.0),
        BoxUnits::Normalized => (f64::from(output.width), f64::from(output.height)),
    };
    let (x0, y0, x1, y1) = (
        placed.xmin / sx,
        placed.ymin / sy,
        placed.xmax / sx,
        placed.ymax / sy,
    );
    let numbers = match format {
        BoxFormat::Yxyx => [y0, x0, y1, x1],
        BoxFormat::Xyxy => [x0, y0, x1, y1],
        BoxFormat::Xywh => [x0, y0, x1 - x0, y1 - y0],
    };
    numbers.map(|v| v as f32)
}

/// A class map: one byte per pixel, row-major.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassMap {
    /// Its size.
    pub size: Size,
    /// `size.height * size.width` values.
    pub values: Vec<u8>,
}

/// `map` (at the stored image's size, `placement.original`) carried to the output by nearest
/// neighbour (pixel centres: output pixel `i` takes source pixel `floor((i + 0.5) * scale)`), with
/// the loader's crop or pad; padding is 0.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss
)]
pub fn resample_class_map(map: &ClassMap, placement: &Placement) -> ClassMap {
    let (h, w) = (map.size.height as usize, map.size.width as usize);
    let (oh, ow) = (
        placement.output.height as usize,
        placement.output.width as usize,
    );
    if (h, w) == (oh, ow) {
        return map.clone();
    }
    // The window of the source read (crop) and where it lands in the output (pad).
    let (src_top, src_left, src_h, src_w, dst_top, dst_left, dst_h, dst_w) = match placement.fit {
        AspectFit::Stretch => (0, 0, h, w, 0, 0, oh, ow),
        AspectFit::Crop => {
            let (top, left, ch, cw) = resize::crop_box(h, w, oh, ow);
            (top, left, ch, cw, 0, 0, oh, ow)
        }
        AspectFit::Pad => {
            let (top, left, ih, iw) = resize::pad_box(h, w, oh, ow);
            (0, 0, h, w, top, left, ih, iw)
        }
    };
    let nearest = |i: usize, from: usize, to: usize| {
        (((i as f64 + 0.5) * from as f64 / to as f64) as usize).min(from - 1)
    };
    let columns: Vec<usize> = (0..dst_w)
        .map(|x| src_left + nearest(x, src_w, dst_w))
        .collect();
    let mut values = vec![0u8; oh * ow];
    for y in 0..dst_h {
        let row = (src_top + nearest(y, src_h, dst_h)) * w;
        let out = (dst_top + y) * ow + dst_left;
        for (o, &x) in values[out..out + dst_w].iter_mut().zip(&columns) {
            *o = map.values[row + x];
        }
    }
    ClassMap {
        size: placement.output,
        values,
    }
}

/// Sample `sample`'s class map at its stored size `original` (the decoded image's), from wherever
/// its [`Objects::mask`] says; `Ok(None)` when it has no mask. Per-object masks (COCO polygons and
/// RLE, the OD API's per-object PNGs) are painted in object order, each object's pixels set to its
/// class index + 1 over background 0. `max_bytes` bounds each encoded mask read.
pub fn class_map(
    index: &crate::index::DatasetIndex,
    sample: usize,
    original: Size,
    max_bytes: u64,
) -> Result<Option<ClassMap>, String> {
    let Some(objects) = index.samples.get(sample).and_then(|s| s.objects.as_ref()) else {
        return Ok(None);
    };
    let Some(mask) = &objects.mask else {
        return Ok(None);
    };
    // Masks stated in the source's own file (COCO's JSON): the message names it.
    let in_source = |painted: Result<ClassMap, String>| {
        painted
            .map(Some)
            .map_err(|reason| format!("{reason}, in {}", index.store.describe()))
    };
    match mask {
        MaskRef::File(rel) => {
            masks::from_file(&index.root.join(rel), original, max_bytes).map(Some)
        }
        MaskRef::Record { .. } => {
            let images = index
                .store
                .images()
                .ok_or_else(|| "the source holds no records".to_owned())?;
            masks::from_record(&images.masks(sample, max_bytes)?, objects, original).map(Some)
        }
        MaskRef::Polygons(polygons) => in_source(masks::from_polygons(polygons, objects, original)),
        MaskRef::Rle(runs) => in_source(masks::from_rle(runs, objects, original)),
        MaskRef::PolygonsAndRle(polygons, runs) => {
            in_source(masks::from_coco(polygons, runs, objects, original))
        }
    }
}

/// The objects of an index's samples, shared: what [`crate::index::Sample::objects`] holds.
pub type SharedObjects = Arc<Objects>;

#[cfg(test)]
#[allow(clippy::float_cmp)] // Exactness is what these tests assert.
mod tests {
    use super::*;

    fn placement(original: (u32, u32), output: (u32, u32), fit: AspectFit) -> Placement {
        Placement {
            original: Size {
                height: original.0,
                width: original.1,
            },
            output: Size {
                height: output.0,
                width: output.1,
            },
            fit,
        }
    }

    fn b(xmin: f64, ymin: f64, xmax: f64, ymax: f64) -> BoxXyxy {
        BoxXyxy {
            xmin,
            ymin,
            xmax,
            ymax,
        }
    }

    #[test]
    fn native_size_keeps_the_source_numbers() {
        let p = placement((480, 640), (480, 640), AspectFit::Crop);
        let placed = place(&b(10.5, 20.25, 100.0, 200.0), Units::Pixels, &p).unwrap();
        assert_eq!(placed, b(10.5, 20.25, 100.0, 200.0));
        assert_eq!(
            encode(&placed, p.output, BoxFormat::Xywh, BoxUnits::Pixels),
            [10.5, 20.25, 89.5, 179.75]
        );
        let normalized = place(&b(0.1, 0.2, 0.3, 0.4), Units::Normalized, &p).unwrap();
        assert_eq!(
            encode(&normalized, p.output, BoxFormat::Yxyx, BoxUnits::Normalized),
            [0.2, 0.1, 0.4, 0.3]
        );
    }

    #[test]
    fn stretch_scales_each_axis() {
        let p = placement((100, 200), (50, 50), AspectFit::Stretch);
        let placed = place(&b(20.0, 10.0, 120.0, 60.0), Units::Pixels, &p).unwrap();
        assert_eq!(placed, b(5.0, 5.0, 30.0, 30.0));
        assert_eq!(
            encode(&placed, p.output, BoxFormat::Xyxy, BoxUnits::Normalized),
            [0.1, 0.1, 0.6, 0.6]
        );
    }

    #[test]
    fn crop_shifts_clips_and_drops() {
        // 100x200 cropped to a square: the middle 100x100 (left 50) scaled to 50x50.
        let p = placement((100, 200), (50, 50), AspectFit::Crop);
        assert_eq!(resize::crop_box(100, 200, 50, 50), (0, 50, 100, 100));
        let inside = place(&b(60.0, 10.0, 100.0, 30.0), Units::Pixels, &p).unwrap();
        assert_eq!(inside, b(5.0, 5.0, 25.0, 15.0));
        let partly = place(&b(20.0, 0.0, 80.0, 100.0), Units::Pixels, &p).unwrap();
        assert_eq!(partly, b(0.0, 0.0, 15.0, 50.0));
        assert_eq!(place(&b(0.0, 0.0, 50.0, 100.0), Units::Pixels, &p), None);
        assert_eq!(place(&b(160.0, 0.0, 200.0, 100.0), Units::Pixels, &p), None);
    }

    #[test]
    fn pad_scales_then_offsets() {
        // 100x200 padded into 100x100: 50x100 inner, 25 rows above.
        let p = placement((100, 200), (100, 100), AspectFit::Pad);
        assert_eq!(resize::pad_box(100, 200, 100, 100), (25, 0, 50, 100));
        let placed = place(&b(0.0, 0.0, 1.0, 1.0), Units::Normalized, &p).unwrap();
        assert_eq!(placed, b(0.0, 25.0, 100.0, 75.0));
        assert_eq!(
            encode(&placed, p.output, BoxFormat::Yxyx, BoxUnits::Normalized),
            [0.25, 0.0, 0.75, 1.0]
        );
    }

    #[test]
    fn class_maps_follow_the_pixels() {
        let map = ClassMap {
            size: Size {
                height: 2,
                width: 4,
            },
            values: vec![1, 2, 3, 4, 5, 6, 7, 8],
        };
        let stretch = resample_class_map(&map, &placement((2, 4), (1, 2), AspectFit::Stretch));
        assert_eq!(stretch.values, vec![6, 8]);
        let crop = resample_class_map(&map, &placement((2, 4), (2, 2), AspectFit::Crop));
        assert_eq!(crop.values, vec![2, 3, 6, 7]);
        let pad = resample_class_map(&map, &placement((2, 4), (4, 4), AspectFit::Pad));
        assert_eq!(
            pad.values,
            vec![0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0]
        );
    }

    #[test]
    fn classes_are_contiguous_in_id_order() {
        let classes =
            ObjectClasses::from_ids([90, 1, 18, 1], |id| (id != 18).then(|| format!("n{id}")));
        assert_eq!(classes.ids, vec![1, 18, 90]);
        assert_eq!(classes.names, vec!["n1", "class 18", "n90"]);
        assert_eq!(classes.index_of(90), Some(2));
        assert_eq!(classes.index_of(2), None);
    }

    #[test]
    fn counts_per_class_and_iou() {
        let object = |class| Object {
            bbox: b(0.0, 0.0, 1.0, 1.0),
            class,
            crowd: false,
        };
        let images = [
            Objects {
                objects: vec![object(0), object(0), object(2)],
                ..Objects::default()
            },
            Objects {
                objects: vec![object(2)],
                ..Objects::default()
            },
        ];
        assert_eq!(objects_per_class(&images, 3), vec![2, 0, 2]);
        assert_eq!(images_per_class(&images, 3), vec![1, 0, 2]);
        assert!((b(0.0, 0.0, 2.0, 2.0).iou(&b(1.0, 0.0, 3.0, 2.0)) - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(b(0.0, 0.0, 1.0, 1.0).iou(&b(2.0, 2.0, 3.0, 3.0)), 0.0);
    }
}
