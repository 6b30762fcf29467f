//! What indexing a source gives, whatever its kind: every sample in the source's order (a relative
//! path or a record's name, and a label), the class names, the warnings, and the [`Store`] through
//! which the samples are read. The plan, the loader and every consumer start from a
//! [`DatasetIndex`].

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

pub use super::annotations::{ObjectClasses, Objects, SharedObjects};
pub use super::contract::{
    Access, Capabilities, Column, EncodedImages, ImageHeader, RecordMasks, RowImage, RowsLayout,
    Store, StoredRows,
};
pub use super::folder::walk::{EXTRA_EXTENSIONS, IndexError, KERAS_EXTENSIONS, scan, scan_with};

/// One image file of the dataset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sample {
    /// Path relative to the dataset root.
    pub rel_path: PathBuf,
    /// Class index into [`DatasetIndex::class_names`]; `None` when labels are off.
    pub label: Option<u32>,
    /// The objects annotated in it (boxes, classes, mask), when the source is annotated
    /// ([`DatasetIndex::object_classes`]); `None` otherwise. An annotated image without objects has
    /// an empty list.
    pub objects: Option<SharedObjects>,
}

impl Sample {
    /// A sample at `rel_path` with `label` and no objects.
    pub fn new(rel_path: impl Into<PathBuf>, label: Option<u32>) -> Self {
        Self {
            rel_path: rel_path.into(),
            label,
            objects: None,
        }
    }
}

/// Something that the walk could not read; the rest of the folder is still indexed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexWarning {
    /// The directory or link concerned.
    pub path: PathBuf,
    /// What went wrong.
    pub reason: String,
}

/// The result of indexing: every sample in the source's order (a folder's in Keras's), and the class names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DatasetIndex {
    /// The dataset folder.
    pub root: PathBuf,
    /// Class names in label order (empty when labels are off). Lossy UTF-8 for display; the directory
    /// itself is read by its real name.
    pub class_names: Vec<String>,
    /// All samples, class by class, each class in Keras's file order.
    pub samples: Vec<Sample>,
    /// What was left out while indexing, and why: directories that could not be read, symlink
    /// loops not followed, samples dropped for their annotations. An export lists them in
    /// `skipped.csv`.
    pub warnings: Vec<IndexWarning>,
    /// What the source says of samples it kept as they are (an unknown category named by its id,
    /// an image without a label file read without objects): nothing was left out. An export lists
    /// them in `warnings.csv`.
    pub notes: Vec<IndexWarning>,
    /// Whether labels were inferred (samples carry a label) or are off.
    pub labeled: bool,
    /// Where the samples are stored, which decides how the loader reads them.
    pub store: Store,
    /// The stored label value of each class (TFRecord labels keep their int64 values: class `i` is
    /// the `i`-th smallest value seen); `None` when a class's label is its index.
    pub label_values: Option<Vec<i64>>,
    /// The object classes, when the source annotates objects (detection or segmentation): each
    /// sample's [`Sample::objects`] index them. Image-level labels are then usually off.
    pub object_classes: Option<ObjectClasses>,
}

impl DatasetIndex {
    /// The label of class `label` as stored: its value for sources that keep label values, else
    /// the index.
    pub fn label_value(&self, label: u32) -> i64 {
        self.label_values
            .as_ref()
            .and_then(|values| values.get(label as usize).copied())
            .unwrap_or(i64::from(label))
    }

    /// Absolute (root-joined) path of sample `i`.
    pub fn path(&self, i: usize) -> PathBuf {
        self.root.join(&self.samples[i].rel_path)
    }

    /// Number of samples of each class, in label order.
    pub fn class_counts(&self) -> Vec<usize> {
        self.class_counts_of(0..self.samples.len())
    }

    /// Number of the given samples (indices into [`DatasetIndex::samples`]) of each class, in label order.
    pub fn class_counts_of(&self, samples: impl IntoIterator<Item = usize>) -> Vec<usize> {
        let mut counts = vec![0; self.class_names.len()];
        for label in samples.into_iter().filter_map(|i| self.samples[i].label) {
            counts[label as usize] += 1;
        }
        counts
    }
}

/// Progress and cancellation of a running walk.
pub struct WalkControl<'a> {
    /// Called with the number of files found so far, every few hundred files.
    pub on_progress: &'a (dyn Fn(usize) + Sync),
    /// Checked between directories.
    pub cancel: &'a AtomicBool,
}
