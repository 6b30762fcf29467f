//! The annotation arrays of an export of a detection or segmentation dataset (an index with
//! [`ObjectClasses`](crate::index::ObjectClasses)), padded as `tf.data`'s `padded_batch` pads:
//! `boxes.npy` float32 `(N, M, 4)` padded with 0, `box_classes.npy` int32 `(N, M)` padded with -1,
//! `num_boxes.npy` int32 `(N,)`, and `masks.npy` uint8 `(N, H, W)` when the dataset has masks.
//!
//! Guarantees:
//! - every box is carried from the sample's decoded size through the loader's resize, crop or pad
//!   ([`annotations::place`]) and written in the asked form ([`annotations::encode`]), computed
//!   in f64 and rounded to float32 once;
//! - **M** is the largest object count, as the source states it (before any box is cropped away),
//!   over every sample of the *whole* plan, not of a shard's slice: each shard of a sharded export
//!   pads to the same M, so `merge` joins them byte for byte. A box wholly cropped away is dropped
//!   (its row then holds fewer boxes) and counted ([`ObjectRows::dropped`]);
//! - a mask is the sample's class map resampled by nearest neighbour to the exported size
//!   ([`annotations::resample_class_map`]), as the loader placed it beside the pixels
//!   ([`Batch::masks`]). An image without objects and without a mask (a COCO image with no
//!   annotation) has an all-background mask: zeros. An image that has objects but no mask keeps
//!   its row: its mask row is zeros, and the reason is listed in `warnings.csv`. An image whose mask
//!   cannot be read is not exported at all (the loader fails it; `skipped.csv` names the mask):
//!   a row of zeros would teach that its objects are background.

use super::PlannedArray;
use crate::index::DatasetIndex;
use crate::load::loader::{Batch, LoadSpec, SampleFailure};
use crate::npy::NpyDtype;
use crate::size::Size;
use crate::source::annotations::{self, BoxFormat, BoxUnits, Placement};

/// The form of the exported boxes (`--box-format`, `--box-units`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BoxOptions {
    /// The order of a box's four numbers.
    pub format: BoxFormat,
    /// Normalised to the exported image, or its pixels.
    pub units: BoxUnits,
}

/// The annotation arrays' names, in writing order.
pub const OBJECT_ARRAYS: [&str; 4] = ["boxes", "box_classes", "num_boxes", "masks"];

/// The largest object count of the samples of `job`'s plan (0 when none has objects).
pub fn max_objects(job: &LoadSpec) -> usize {
    job.plan
        .order
        .iter()
        .filter_map(|&i| job.index.samples.get(i))
        .filter_map(|s| s.objects.as_ref())
        .map(|o| o.objects.len())
        .max()
        .unwrap_or(0)
}

/// The annotation arrays of an export of `n` rows of `job`'s shape, padded to `m` objects; none
/// when the index has no object classes.
pub(super) fn planned_arrays(job: &LoadSpec, n: usize, m: usize) -> Vec<PlannedArray> {
    let Some(classes) = &job.index.object_classes else {
        return Vec::new();
    };
    let array = |name: &str, shape: Vec<usize>, dtype| PlannedArray {
        name: name.to_owned(),
        shape,
        dtype,
        column: None,
    };
    let mut arrays = vec![
        array("boxes", vec![n, m, 4], NpyDtype::F32),
        array("box_classes", vec![n, m], NpyDtype::I32),
        array("num_boxes", vec![n], NpyDtype::I32),
    ];
    if classes.has_masks {
        arrays.push(array(
            "masks",
            vec![n, job.shape.height, job.shape.width],
            NpyDtype::U8,
        ));
    }
    arrays
}

/// The annotation rows of one batch's good samples, as little-endian bytes.
#[derive(Debug, Default)]
pub(super) struct ObjectRows {
    /// `boxes.npy` rows.
    pub boxes: Vec<u8>,
    /// `box_classes.npy` rows.
    pub classes: Vec<u8>,
    /// `num_boxes.npy` rows.
    pub counts: Vec<u8>,
    /// `masks.npy` rows (empty when the dataset has no masks).
    pub masks: Vec<u8>,
    /// Boxes wholly cropped away.
    pub dropped: usize,
    /// Samples whose mask row is zeros, and why.
    pub warnings: Vec<SampleFailure>,
}

impl ObjectRows {
    /// The rows of the array named `name`.
    pub(super) fn of(&self, name: &str) -> &[u8] {
        match name {
            "boxes" => &self.boxes,
            "box_classes" => &self.classes,
            "num_boxes" => &self.counts,
            _ => &self.masks,
        }
    }
}

/// The annotation rows of rows `range` of `batch` (of `job`), padded to `m` objects, boxes in
/// `form`.
pub(super) fn rows(
    batch: &Batch,
    job: &LoadSpec,
    range: std::ops::Range<usize>,
    m: usize,
    form: BoxOptions,
) -> ObjectRows {
    let index = &job.index;
    let output = job.shape.size();
    let with_masks = index.object_classes.as_ref().is_some_and(|c| c.has_masks);
    let mut rows = ObjectRows::default();
    let good = batch.samples.iter().zip(&batch.originals).enumerate();
    for (row, (&sample, original)) in good.skip(range.start).take(range.len()) {
        let original = Size {
            height: original.height,
            width: original.width,
        };
        let placement = Placement::of(original, &job.preprocess);
        let objects = index.samples[sample].objects.as_deref();
        let mut written = 0usize;
        for object in objects.map_or(&[][..], |o| &o.objects[..]) {
            let units = objects.map(|o| o.units).unwrap_or_default();
            let Some(placed) = annotations::place(&object.bbox, units, &placement) else {
                rows.dropped += 1;
                continue;
            };
            let numbers = annotations::encode(&placed, output, form.format, form.units);
            rows.boxes
                .extend(numbers.iter().flat_map(|v| v.to_le_bytes()));
            let class = i32::try_from(object.class).unwrap_or(i32::MAX);
            rows.classes.extend_from_slice(&class.to_le_bytes());
            written += 1;
        }
        // A row never holds more than M boxes: M counts every stated object.
        for _ in written..m {
            rows.boxes.extend_from_slice(&[0; 16]);
            rows.classes.extend_from_slice(&(-1i32).to_le_bytes());
        }
        let count = i32::try_from(written).unwrap_or(i32::MAX);
        rows.counts.extend_from_slice(&count.to_le_bytes());
        if with_masks {
            let placed = batch.masks.get(row).and_then(Option::as_ref);
            mask_row(index, sample, placed, output, &mut rows);
        }
    }
    rows
}

/// Appends sample `sample`'s mask row at the exported size `output`: its placed class map, or
/// zeros (with a warning when the image has objects) when it has none.
fn mask_row(
    index: &DatasetIndex,
    sample: usize,
    placed: Option<&annotations::ClassMap>,
    output: Size,
    rows: &mut ObjectRows,
) {
    let len = output.height as usize * output.width as usize;
    if let Some(map) = placed {
        rows.masks.extend_from_slice(&map.values);
        return;
    }
    rows.masks.resize(rows.masks.len() + len, 0);
    // No object and no mask: background everywhere is the truth, not a loss.
    let has_objects = index.samples[sample]
        .objects
        .as_ref()
        .is_some_and(|o| !o.objects.is_empty());
    if has_objects {
        rows.warnings.push(SampleFailure {
            sample,
            rel_path: index.samples[sample].rel_path.clone(),
            reason: "the image has objects but no mask; its row of masks.npy is zeros".to_owned(),
        });
    }
}
