//! Annotated datasets built by hand, for tests of what consumes objects (export, inspect, health,
//! the viewer) before or beside the sources that read them: an image folder indexed with labels
//! off, then each sample given its [`Objects`] and the index its [`ObjectClasses`].

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use batchscope::export::{ArrayOptions, BoxOptions, ExportOptions, ExportReport};
use batchscope::index::{DatasetIndex, ObjectClasses, Objects};
use batchscope::options::{IndexOptions, LabelMode, LabelSource, LoadOptions, PreprocessOptions};
use batchscope::plan::shard::ShardSpec;
use batchscope::source::annotations::{BoxXyxy, MaskRef, Object, Units};

/// A box as the source states it, `(xmin, ymin, xmax, ymax)`.
pub fn bbox(xmin: f64, ymin: f64, xmax: f64, ymax: f64) -> BoxXyxy {
    BoxXyxy {
        xmin,
        ymin,
        xmax,
        ymax,
    }
}

/// The objects of one image: `(class index, box)` each, in `units`, with a class-map file
/// (relative to the root) if given.
pub fn objects(units: Units, boxes: &[(u32, BoxXyxy)], mask: Option<&str>) -> Objects {
    Objects {
        objects: boxes
            .iter()
            .map(|&(class, bbox)| Object {
                bbox,
                class,
                crowd: false,
            })
            .collect(),
        units,
        stated_size: None,
        mask: mask.map(|m| MaskRef::File(m.into())),
    }
}

/// The folder `root` indexed with labels off (files in name order), each sample given
/// `annotate(its relative path)` and the index `classes` (`has_masks` set when any sample has a mask).
pub fn annotated_folder(
    root: &Path,
    mut classes: ObjectClasses,
    annotate: impl Fn(&str) -> Objects,
) -> DatasetIndex {
    let cancel = AtomicBool::new(false);
    let control = batchscope::index::WalkControl {
        on_progress: &|_| {},
        cancel: &cancel,
    };
    let options = IndexOptions {
        labels: LabelSource::None,
        ..IndexOptions::default()
    };
    let mut index = batchscope::source::open(root, &options, &control).unwrap();
    for sample in &mut index.samples {
        let rel = sample.rel_path.to_string_lossy().replace('\\', "/");
        let objects = annotate(&rel);
        classes.has_masks |= objects.mask.is_some();
        sample.objects = Some(Arc::new(objects));
    }
    index.object_classes = Some(classes);
    index
}

/// How [`export_annotated`] exports.
#[derive(Clone, Debug, Default)]
pub struct Form {
    /// Image size and fit.
    pub preprocess: PreprocessOptions,
    /// Layout, dtype, file format.
    pub arrays: ArrayOptions,
    /// Box format and units.
    pub boxes: BoxOptions,
    /// One shard only.
    pub shard: Option<ShardSpec>,
}

/// Exports `index` into `out` through the library (label mode none, overwrite on, float32
/// elements when the arrays ask for float16). `Err` is the error's message.
pub fn export_annotated(
    index: DatasetIndex,
    out: &Path,
    form: &Form,
) -> Result<ExportReport, String> {
    let cancel = Arc::new(AtomicBool::new(false));
    let options = LoadOptions {
        preprocess: form.preprocess,
        ..LoadOptions::default()
    };
    let element = batchscope::load::preprocess::Element {
        dtype: form.arrays.dtype.loader_dtype(),
        ..Default::default()
    };
    let job = batchscope::load::spec::prepare(
        Arc::new(index),
        &options,
        element,
        batchscope::load::spec::SizeCheck::AllFiles,
        &cancel,
    )
    .map_err(|e| e.to_string())?;
    let export_options = ExportOptions {
        out: out.to_path_buf(),
        label_mode: LabelMode::None,
        overwrite: form.shard.is_none(),
        strict: false,
        queue_bytes: 64 << 20,
        excluded: Vec::new(),
        arrays: form.arrays,
        shard: form.shard,
        corrections: None,
        boxes: form.boxes,
    };
    batchscope::export::export(&Arc::new(job), &export_options, &mut |_| {}, &cancel)
        .map_err(|e| e.to_string())
}
