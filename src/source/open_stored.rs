//! Array sources (`.npy`, `.npz`, a batchscope export folder, MNIST IDX, CIFAR binaries, a saved
//! tf.data dataset) opened as a store of rows: a [`StoredRows`] that copies rows out with their stored
//! dtypes and shapes, and an index whose samples are those rows, labelled from the label column.
//!
//! Labels: an integer (or bool) label column `(N,)` gives each row the class of its value (classes
//! `0..=max` when the values are small non-negative integers, so empty classes keep their index as
//! in Keras; otherwise one class per distinct value, in increasing order); a one-hot `(N, K)` column
//! gives the class of its largest entry. Class names come from the source when it has them
//! (`class_names.json`, CIFAR's `batches.meta.txt`), else they are the values. Anything else (float
//! targets, several label dims) is exported as stored and not shown as classes.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use super::SourceError;
use super::arrays::{self, ArrayPick, ArraySet, LabelsPick};
use super::idx;
use super::rows::{ArrayError, RowReader};
use crate::index::RowImage;
use crate::index::{Column, DatasetIndex, RowsLayout, Sample, Store, StoredRows};
use crate::options::{ArrayLayout, IndexOptions};

pub use super::cifar::store::open_cifar;
pub use super::saved::saved_rows::open_saved;

/// Rows of one or more arrays read with [`RowReader`]s (one per column).
pub struct ArrayRows {
    layout: RowsLayout,
    readers: Vec<Mutex<RowReader>>,
}

impl StoredRows for ArrayRows {
    fn layout(&self) -> &RowsLayout {
        &self.layout
    }

    fn read_rows(&self, rows: Range<usize>, out: &mut [Vec<u8>]) -> Result<(), String> {
        for (reader, buf) in self.readers.iter().zip(out) {
            let mut reader = reader.lock().unwrap_or_else(PoisonError::into_inner);
            let bytes = reader.read_rows(rows.clone()).map_err(|e| e.to_string())?;
            buf.extend_from_slice(&bytes);
        }
        Ok(())
    }

    fn is_random_access(&self) -> bool {
        self.readers.iter().all(|r| {
            r.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .is_random_access()
        })
    }
}

/// Whether a row shape can be drawn as an image under `layout` (see [`RowImage::of`]).
pub fn is_image_shape(row_shape: &[usize], layout: ArrayLayout) -> bool {
    RowImage::of(row_shape, layout).is_some()
}

fn column_of(name: &str, reader: &RowReader) -> Column {
    Column {
        name: name.to_owned(),
        dtype: reader.dtype(),
        row_shape: reader.shape().get(1..).unwrap_or(&[]).to_vec(),
    }
}

/// Opens a `.npy` file, an `.npz` archive or a batchscope export folder.
pub fn open_arrays(path: &Path, options: &IndexOptions) -> Result<DatasetIndex, SourceError> {
    let pick = ArrayPick {
        layout: options.layout,
        images: options.image_key.clone(),
        labels: match &options.label_key {
            Some(key) if key == "none" => LabelsPick::Off,
            Some(key) => LabelsPick::Named(key.clone()),
            None => LabelsPick::Auto,
        },
    };
    let set = if path.is_dir() {
        super::export_folder::open_export_folder(path, &pick)?
    } else {
        arrays::open_arrays(path, &pick)?
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let what = if path.is_dir() {
        format!("the batchscope export {name}")
    } else {
        format!("the arrays of {name}")
    };
    from_set(path, set, &what, options)
}

/// Opens an MNIST IDX images file (its labels found by name, or `--labels-file`), or a folder
/// holding one (`train-images-idx3-ubyte` first, else the first `*-images-*` file by name).
pub fn open_idx(path: &Path, options: &IndexOptions) -> Result<DatasetIndex, SourceError> {
    let images = if path.is_dir() {
        idx_images_in(path)?
    } else {
        path.to_path_buf()
    };
    let set = idx::open_idx_pair(&images, options.labels_file.as_deref())?;
    let name = images
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    from_set(&images, set, &format!("the IDX file {name}"), options)
}

/// The entries of `dir` that `keep` keeps, unsorted.
pub(crate) fn files_in(
    dir: &Path,
    keep: impl Fn(&Path) -> bool,
) -> Result<Vec<PathBuf>, SourceError> {
    let entries = std::fs::read_dir(dir).map_err(|source| ArrayError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    Ok(entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| keep(p))
        .collect())
}

fn idx_images_in(dir: &Path) -> Result<PathBuf, SourceError> {
    let mut names = files_in(dir, |p| {
        p.file_name().is_some_and(|n| {
            let n = n.to_string_lossy();
            n.contains("-images") && n.contains("idx")
        })
    })?;
    names.sort();
    names
        .iter()
        .find(|p| p.to_string_lossy().contains("train-images"))
        .or_else(|| names.first())
        .cloned()
        .ok_or_else(|| SourceError::Unusable {
            reason: "no MNIST images file (*-images-idx3-ubyte) in the folder".into(),
            path: dir.to_path_buf(),
        })
}

/// The index of an [`ArraySet`]: one sample per row, labelled from its label array; its other
/// arrays are further columns.
fn from_set(
    root: &Path,
    set: ArraySet,
    what: &str,
    options: &IndexOptions,
) -> Result<DatasetIndex, SourceError> {
    let n = set.images.rows();
    let skipped = set.skipped;
    let image_name = if set.images_name.is_empty() {
        "images".to_owned()
    } else {
        set.images_name.clone()
    };
    let column_name = |name: &str, fixed: &str| {
        if set.keep_names {
            name.to_owned()
        } else {
            fixed.to_owned()
        }
    };
    let mut named = vec![(column_name(&image_name, "images"), set.images)];
    let label = set.labels.map(|(name, reader)| {
        named.push((column_name(&name, "labels"), reader));
        named.len() - 1
    });
    named.extend(set.others);
    for (name, reader) in &named {
        check_row_len(name, reader)?;
    }
    let mut columns = Vec::with_capacity(named.len());
    let mut readers = Vec::with_capacity(named.len());
    let mut labels = None;
    for (i, (name, mut reader)) in named.into_iter().enumerate() {
        let column = column_of(&name, &reader);
        if Some(i) == label {
            let all = reader.read_rows(0..reader.rows())?;
            labels = classes_of(&column, &all, set.class_names.as_deref());
        }
        columns.push(column);
        readers.push(Mutex::new(reader));
    }
    let image = is_image_shape(&columns[0].row_shape, options.layout).then_some(0);
    let store = ArrayRows {
        layout: RowsLayout {
            what: what.to_owned(),
            label,
            columns,
            image,
            array_layout: options.layout,
        },
        readers,
    };
    let file = root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let member = if image_name == "images" {
        file
    } else {
        format!("{file}/{image_name}")
    };
    let mut index = index_of(
        root,
        n,
        |row| PathBuf::from(format!("{member}#{row}")),
        labels,
        Store::of_rows(Arc::new(store)),
    );
    // Members that are not readable arrays, beside the ones used: said, not fatal (numpy too
    // reads one member without the others).
    index.warnings = skipped
        .into_iter()
        .map(|err| crate::index::IndexWarning {
            path: root.to_path_buf(),
            reason: format!("an array is left out: {err}"),
        })
        .collect();
    Ok(index)
}

/// Refuses an array whose rows hold no elements (a zero in its row shape, such as `(5, 0, 3)`): its
/// rows cannot be told apart in an export, so it is named at open rather than failing mid-export.
fn check_row_len(name: &str, reader: &RowReader) -> Result<(), ArrayError> {
    if reader.shape().get(1..).is_some_and(|row| row.contains(&0)) {
        return Err(ArrayError::Unsupported {
            path: reader.path().to_path_buf(),
            reason: format!(
                "{} has a zero-size row dimension, so its rows hold no data",
                reader.describe(name)
            ),
        });
    }
    Ok(())
}

/// Labels per row, class names and (when classes are not the values themselves) the value of each class.
pub type Classes = (Vec<u32>, Vec<String>, Option<Vec<i64>>);

/// The classes of a label column's rows (`bytes` holds all of them), or `None` when they are not
/// class labels; `names` are the source's own class names, used when they fit.
pub fn classes_of(column: &Column, bytes: &[u8], names: Option<&[String]>) -> Option<Classes> {
    let size = column.dtype.size();
    match column.row_shape.as_slice() {
        [] | [1] => {
            let values: Vec<i64> = bytes
                .chunks_exact(size)
                .map(|e| integer(column.dtype, e))
                .collect::<Option<_>>()?;
            Some(classes_of_values(&values, names))
        }
        [k] if *k > 1 => {
            let labels: Vec<u32> = bytes
                .chunks_exact(size * k)
                .map(|row| {
                    let values: Vec<f64> = row
                        .chunks_exact(size)
                        .map(|e| float(column.dtype, e))
                        .collect::<Option<_>>()?;
                    let mut best = 0;
                    for (i, v) in values.iter().enumerate() {
                        if *v > values[best] {
                            best = i;
                        }
                    }
                    Some(best as u32)
                })
                .collect::<Option<_>>()?;
            let names = match names {
                Some(n) if n.len() == *k => n.to_vec(),
                _ => (0..*k).map(|i| i.to_string()).collect(),
            };
            Some((labels, names, None))
        }
        _ => None,
    }
}

/// The classes of integer label values (see the module docs).
pub fn classes_of_values(values: &[i64], names: Option<&[String]>) -> Classes {
    let max = values.iter().copied().max().unwrap_or(-1);
    let min = values.iter().copied().min().unwrap_or(0);
    let small = min >= 0 && max < 65_536;
    if let Some(names) = names
        && small
        && (max as usize) < names.len().max(1)
        && !names.is_empty()
    {
        let labels = values.iter().map(|&v| v as u32).collect();
        return (labels, names.to_vec(), None);
    }
    if small {
        let labels = values.iter().map(|&v| v as u32).collect();
        let names = (0..=max).map(|v| v.to_string()).collect();
        return (labels, names, None);
    }
    let mut distinct = values.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    let labels = values
        .iter()
        .map(|v| distinct.binary_search(v).unwrap_or(0) as u32)
        .collect();
    let names = distinct.iter().map(i64::to_string).collect();
    (labels, names, Some(distinct))
}

pub use crate::npy::{element_f64 as float, element_i64 as integer, f16_to_f32};

/// A [`DatasetIndex`] of `n` stored rows named by `rel`, labelled by `classes`.
pub fn index_of(
    root: &Path,
    n: usize,
    rel: impl Fn(usize) -> PathBuf,
    classes: Option<Classes>,
    store: Store,
) -> DatasetIndex {
    let (labels, class_names, label_values, labeled) = match classes {
        Some((labels, names, values)) => (Some(labels), names, values, true),
        None => (None, Vec::new(), None, false),
    };
    let samples = (0..n)
        .map(|row| Sample {
            objects: None,
            rel_path: rel(row),
            label: labels.as_ref().and_then(|l| l.get(row).copied()),
        })
        .collect();
    DatasetIndex {
        root: root.to_path_buf(),
        class_names,
        samples,
        warnings: Vec::new(),
        notes: Vec::new(),
        labeled,
        store,
        label_values,
        object_classes: None,
    }
}
