//! Health of a detection or segmentation dataset's annotations: per-object findings, each naming
//! the sample and the object (its number in the sample's list, its class and its coordinates as the
//! source states them), and the objects per class. Computed from the index and the decoded sizes
//! the health pass already has (no pixel is read), in one pass over the objects: a million boxes
//! take well under a second (see `examples/objects_bench.rs`).
//!
//! | kind | flagged when (default) |
//! |---|---|
//! | `non_finite_box` | a coordinate is NaN or infinite (no other check applies to it) |
//! | `inverted_box` | `xmin > xmax` or `ymin > ymax` |
//! | `zero_area_box` | `xmin == xmax` or `ymin == ymax` |
//! | `box_outside_image` | a normalised coordinate outside `[0, 1]`, or a pixel one outside `[0, width]` x `[0, height]` of the decoded size (else the stated size), by more than a millionth of the side |
//! | `tiny_box` | area under 0.1% of the image's, or a side under 4 pixels at the decoded (else stated) size |
//! | `duplicate_box` | intersection over union ≥ 0.95 with an earlier object of the same class in the same image (the later one is flagged, naming the earlier) |
//! | `no_objects` | an annotated image with no object and no mask |
//! | `size_mismatch` | the size the annotation states differs from the decoded image's |
//!
//! Objects are numbered from 0 in the source's order: object `k` is row `k` of the sample's boxes
//! in `boxes.npy`. An inverted or zero-area box is not also tiny.

use std::fmt;

use super::scan::Scan;
use crate::size::Size;
use crate::source::annotations::{BoxXyxy, Object, Objects, Units};

/// The kinds of annotation finding, in report order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectIssue {
    /// A coordinate is not a finite number.
    NonFiniteBox,
    /// Its minimum is past its maximum on an axis.
    InvertedBox,
    /// No width or no height.
    ZeroAreaBox,
    /// Partly or wholly outside its image.
    BoxOutsideImage,
    /// Too small to learn from.
    TinyBox,
    /// Nearly the same box as an earlier one of its class.
    DuplicateBox,
    /// An annotated image without objects.
    NoObjects,
    /// The annotation states another size than the image has.
    SizeMismatch,
}

impl ObjectIssue {
    /// Every kind, in report order.
    pub const ALL: [Self; 8] = [
        Self::NonFiniteBox,
        Self::InvertedBox,
        Self::ZeroAreaBox,
        Self::BoxOutsideImage,
        Self::TinyBox,
        Self::DuplicateBox,
        Self::NoObjects,
        Self::SizeMismatch,
    ];

    /// The JSON and command-line spelling (`duplicate_box`).
    pub fn name(self) -> &'static str {
        match self {
            Self::NonFiniteBox => "non_finite_box",
            Self::InvertedBox => "inverted_box",
            Self::ZeroAreaBox => "zero_area_box",
            Self::BoxOutsideImage => "box_outside_image",
            Self::TinyBox => "tiny_box",
            Self::DuplicateBox => "duplicate_box",
            Self::NoObjects => "no_objects",
            Self::SizeMismatch => "size_mismatch",
        }
    }
}

impl fmt::Display for ObjectIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The thresholds of the annotation checks (see the module's table).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ObjectThresholds {
    /// `duplicate_box` at or above this intersection over union.
    pub duplicate_iou: f64,
    /// `tiny_box` below this fraction of the image's area.
    pub tiny_area_fraction: f64,
    /// `tiny_box` below this many pixels a side (at the decoded, else stated, size).
    pub tiny_side_px: f64,
}

impl Default for ObjectThresholds {
    fn default() -> Self {
        Self {
            duplicate_iou: 0.95,
            tiny_area_fraction: 0.001,
            tiny_side_px: 4.0,
        }
    }
}

/// How far past its image a coordinate may be, as a fraction of the side (float rounding of a
/// box drawn to the edge).
const OUTSIDE_TOLERANCE: f64 = 1e-6;

/// The object a finding is about.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ObjectAt {
    /// Its number in the sample's objects (from 0, in the source's order).
    pub number: usize,
    /// Its class index.
    pub class: u32,
    /// Its box as the source states it.
    pub bbox: BoxXyxy,
    /// In what units.
    pub units: Units,
}

/// The measure behind a finding.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Detail {
    /// Nothing beyond the kind.
    None,
    /// A duplicate: the earlier object it repeats, and their intersection over union.
    Duplicate {
        /// The earlier object's number.
        of: usize,
        /// Their intersection over union.
        iou: f64,
    },
    /// A tiny box: its size in pixels (when the image size is known) and its share of the image.
    Tiny {
        /// Width and height in pixels, if the image's size is known.
        pixels: Option<(f64, f64)>,
        /// Its area over the image's.
        area_fraction: f64,
    },
    /// The stated and the decoded sizes.
    Sizes {
        /// What the annotation says.
        stated: Size,
        /// What the image is.
        decoded: Size,
    },
}

/// One annotation finding.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ObjectFinding {
    /// Sample index (into `DatasetIndex::samples`).
    pub sample: usize,
    /// What is wrong.
    pub kind: ObjectIssue,
    /// The object concerned (`None` for an image-level finding).
    pub object: Option<ObjectAt>,
    /// The measure behind it.
    pub detail: Detail,
}

/// Objects and images of one class.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectClassCount {
    /// The class's name.
    pub name: String,
    /// Its objects over the checked images.
    pub objects: usize,
    /// The checked images with at least one of its objects.
    pub images: usize,
}

/// What the annotation checks found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ObjectFindings {
    /// Findings kind by kind, each kind in pass order (then object order).
    pub findings: Vec<ObjectFinding>,
    /// Per class, in class order.
    pub classes: Vec<ObjectClassCount>,
    /// Most objects of a class over fewest of a non-empty class; `None` without objects.
    pub imbalance_ratio: Option<f64>,
    /// Images checked (annotated samples in the pass).
    pub images: usize,
    /// Objects checked.
    pub objects: usize,
    /// Findings of each kind, in [`ObjectIssue::ALL`] order (counted once: views show them every
    /// frame).
    pub counts: Vec<usize>,
}

impl ObjectFindings {
    /// Number of findings of `kind`.
    pub fn count(&self, kind: ObjectIssue) -> usize {
        self.counts.get(kind_slot(kind)).copied().unwrap_or(0)
    }
}

/// The annotation findings of `scan`'s samples, `None` when its index has no object classes.
pub fn check(scan: &Scan, t: &ObjectThresholds) -> Option<ObjectFindings> {
    let classes = scan.index.object_classes.as_ref()?;
    let mut per_kind: Vec<Vec<ObjectFinding>> = vec![Vec::new(); ObjectIssue::ALL.len()];
    let mut objects_of = vec![0usize; classes.names.len()];
    let mut images_of = vec![0usize; classes.names.len()];
    let mut seen = vec![usize::MAX; classes.names.len()];
    let (mut images, mut objects) = (0, 0);
    let mut scratch = Vec::new();
    for (at, entry) in scan.entries.iter().enumerate() {
        let Some(annotated) = scan
            .index
            .samples
            .get(entry.sample)
            .and_then(|s| s.objects.as_deref())
        else {
            continue;
        };
        images += 1;
        objects += annotated.objects.len();
        for object in &annotated.objects {
            let c = object.class as usize;
            if let Some(n) = objects_of.get_mut(c) {
                *n += 1;
                if seen[c] != at {
                    seen[c] = at;
                    images_of[c] += 1;
                }
            }
        }
        let decoded = entry.health.as_ref().map(|h| Size {
            height: h.height,
            width: h.width,
        });
        check_image(
            entry.sample,
            annotated,
            decoded,
            t,
            &mut scratch,
            &mut |f| per_kind[kind_slot(f.kind)].push(f),
        );
    }
    let nonzero = objects_of.iter().copied().filter(|&n| n > 0);
    let imbalance_ratio = nonzero
        .clone()
        .max()
        .zip(nonzero.min())
        .map(|(max, min)| max as f64 / min as f64);
    Some(ObjectFindings {
        counts: per_kind.iter().map(Vec::len).collect(),
        findings: per_kind.into_iter().flatten().collect(),
        classes: classes
            .names
            .iter()
            .zip(objects_of.into_iter().zip(images_of))
            .map(|(name, (objects, images))| ObjectClassCount {
                name: name.clone(),
                objects,
                images,
            })
            .collect(),
        imbalance_ratio,
        images,
        objects,
    })
}

fn kind_slot(kind: ObjectIssue) -> usize {
    ObjectIssue::ALL
        .iter()
        .position(|&k| k == kind)
        .unwrap_or(0)
}

/// The findings of one image's objects (`decoded`: its size as decoded, if it loaded), passed to
/// `found` in object order per kind. `scratch` is reused between images.
pub fn check_image(
    sample: usize,
    annotated: &Objects,
    decoded: Option<Size>,
    t: &ObjectThresholds,
    scratch: &mut Vec<(f64, usize)>,
    found: &mut dyn FnMut(ObjectFinding),
) {
    let image_level = |kind, detail| ObjectFinding {
        sample,
        kind,
        object: None,
        detail,
    };
    if annotated.objects.is_empty() && annotated.mask.is_none() {
        found(image_level(ObjectIssue::NoObjects, Detail::None));
    }
    if let (Some(stated), Some(decoded)) = (annotated.stated_size, decoded)
        && stated != decoded
    {
        found(image_level(
            ObjectIssue::SizeMismatch,
            Detail::Sizes { stated, decoded },
        ));
    }
    let size = decoded.or(annotated.stated_size);
    let units = annotated.units;
    let at = |number: usize, object: &Object| ObjectAt {
        number,
        class: object.class,
        bbox: object.bbox,
        units,
    };
    scratch.clear();
    for (number, object) in annotated.objects.iter().enumerate() {
        let b = &object.bbox;
        let finding = |kind, detail| ObjectFinding {
            sample,
            kind,
            object: Some(at(number, object)),
            detail,
        };
        if !b.is_finite() {
            found(finding(ObjectIssue::NonFiniteBox, Detail::None));
            continue;
        }
        let Some(relative) = relative(b, units, size) else {
            // A pixel box of an image of unknown size: only its own shape can be checked.
            if b.width() < 0.0 || b.height() < 0.0 {
                found(finding(ObjectIssue::InvertedBox, Detail::None));
            } else if b.width() == 0.0 || b.height() == 0.0 {
                found(finding(ObjectIssue::ZeroAreaBox, Detail::None));
            } else {
                scratch.push((b.xmin, number));
            }
            continue;
        };
        if outside(&relative) {
            found(finding(ObjectIssue::BoxOutsideImage, Detail::None));
        }
        if b.width() < 0.0 || b.height() < 0.0 {
            found(finding(ObjectIssue::InvertedBox, Detail::None));
            continue;
        }
        if b.width() == 0.0 || b.height() == 0.0 {
            found(finding(ObjectIssue::ZeroAreaBox, Detail::None));
            continue;
        }
        let area_fraction = relative.area();
        let pixels = size.map(|s| {
            (
                relative.width() * f64::from(s.width),
                relative.height() * f64::from(s.height),
            )
        });
        let small_side = pixels.is_some_and(|(w, h)| w < t.tiny_side_px || h < t.tiny_side_px);
        if area_fraction < t.tiny_area_fraction || small_side {
            found(finding(
                ObjectIssue::TinyBox,
                Detail::Tiny {
                    pixels,
                    area_fraction,
                },
            ));
        }
        scratch.push((b.xmin, number));
    }
    duplicates(sample, annotated, t.duplicate_iou, scratch, found);
}

/// `b` as fractions of its image (`None` for pixels of an image of unknown size).
fn relative(b: &BoxXyxy, units: Units, size: Option<Size>) -> Option<BoxXyxy> {
    match units {
        Units::Normalized => Some(*b),
        Units::Pixels => {
            let s = size.filter(|s| s.width > 0 && s.height > 0)?;
            let (w, h) = (f64::from(s.width), f64::from(s.height));
            Some(BoxXyxy {
                xmin: b.xmin / w,
                ymin: b.ymin / h,
                xmax: b.xmax / w,
                ymax: b.ymax / h,
            })
        }
    }
}

fn outside(r: &BoxXyxy) -> bool {
    [r.xmin, r.ymin, r.xmax, r.ymax]
        .iter()
        .any(|&v| !(-OUTSIDE_TOLERANCE..=1.0 + OUTSIDE_TOLERANCE).contains(&v))
}

/// The duplicates among the objects `candidates` (`(xmin, number)` of the valid boxes): each
/// object whose box overlaps by `min_iou` or more (intersection over union) with an earlier one of its class, flagged once, naming the
/// first such. Sorted by class and left edge, a box is compared only with those whose left edge is
/// within `(1 - min_iou)` of its width (no box further right can overlap that much), so an image's
/// boxes cost about `n log n`, not `n²`.
fn duplicates(
    sample: usize,
    annotated: &Objects,
    min_iou: f64,
    candidates: &mut [(f64, usize)],
    found: &mut dyn FnMut(ObjectFinding),
) {
    let objects = &annotated.objects;
    candidates.sort_by(|a, b| {
        objects[a.1]
            .class
            .cmp(&objects[b.1].class)
            .then(a.0.total_cmp(&b.0))
            .then(a.1.cmp(&b.1))
    });
    // For each object, the lowest-numbered earlier object it duplicates and their IoU: one slot
    // an object, so that memory follows the boxes, not the pairs (20,000 copies of one box are
    // 200 million pairs).
    let mut first: Vec<Option<(usize, f64)>> = vec![None; objects.len()];
    let reach = (1.0 - min_iou).max(0.0);
    for (i, &(xmin, a)) in candidates.iter().enumerate() {
        let box_a = objects[a].bbox;
        // A hair of slack, so that rounding never skips a pair at the bound.
        let limit = xmin + reach * box_a.width() + 1e-12 * (1.0 + xmin.abs() + box_a.width());
        for &(x, b) in &candidates[i + 1..] {
            if objects[b].class != objects[a].class || x > limit {
                break;
            }
            let iou = box_a.iou(&objects[b].bbox);
            if iou >= min_iou {
                let (later, earlier) = if a > b { (a, b) } else { (b, a) };
                let slot = &mut first[later];
                if slot.is_none_or(|(known, _)| earlier < known) {
                    *slot = Some((earlier, iou));
                }
            }
        }
    }
    // Reported in object order.
    let found_first = first.into_iter().enumerate();
    for (later, (earlier, iou)) in found_first.filter_map(|(n, f)| f.map(|f| (n, f))) {
        let object = &objects[later];
        found(ObjectFinding {
            sample,
            kind: ObjectIssue::DuplicateBox,
            object: Some(ObjectAt {
                number: later,
                class: object.class,
                bbox: object.bbox,
                units: annotated.units,
            }),
            detail: Detail::Duplicate { of: earlier, iou },
        });
    }
}

/// The relative size (`sqrt(area)` over the image's `sqrt(area)`) and aspect ratio (width over
/// height) of every valid box of `scan`'s samples, with its class: what the Health view plots.
/// Boxes in pixels of an image of unknown size, and empty, inverted or non-finite ones, are left out.
pub fn box_shapes(scan: &Scan) -> Vec<(u32, f64, f64)> {
    let mut out = Vec::new();
    for entry in &scan.entries {
        let Some(annotated) = scan
            .index
            .samples
            .get(entry.sample)
            .and_then(|s| s.objects.as_deref())
        else {
            continue;
        };
        let decoded = entry.health.as_ref().map(|h| Size {
            height: h.height,
            width: h.width,
        });
        let size = decoded.or(annotated.stated_size);
        for object in &annotated.objects {
            let Some(r) = relative(&object.bbox, annotated.units, size) else {
                continue;
            };
            let (w, h) = (r.width(), r.height());
            if !(w > 0.0 && h > 0.0 && w.is_finite() && h.is_finite()) {
                continue;
            }
            // The aspect in the image's pixels: normalised widths are scaled by its shape.
            let shape = size.map_or(1.0, |s| f64::from(s.width) / f64::from(s.height.max(1)));
            out.push((object.class, (w * h).sqrt(), w / h * shape));
        }
    }
    out
}

#[cfg(test)]
#[path = "objects_tests.rs"]
mod tests;
