//! What Hugging Face `datasets` says of its columns (the `features` of `dataset_info.json`, or of the
//! `huggingface` key of a Parquet file's metadata), and how its `ClassLabel` values become
//! batchscope's classes: shared by the Parquet and Arrow sources.

use crate::index::Column;
use crate::npy::NpyDtype;

/// The features batchscope uses.
#[derive(Debug, Default)]
pub struct HfFeatures {
    /// The first `Image` feature.
    pub image: Option<String>,
    /// `ClassLabel` features and their names (`label` first).
    pub class_labels: Vec<(String, Vec<String>)>,
}

impl HfFeatures {
    /// Reads a `features` object (`{"image": {"_type": "Image"}, "label": {"_type": "ClassLabel",
    /// "names": [..]}}`); anything else gives no features.
    pub fn of(features: &serde_json::Value) -> Self {
        let mut found = Self::default();
        let Some(map) = features.as_object() else {
            return found;
        };
        for (name, feature) in map {
            match feature.get("_type").and_then(serde_json::Value::as_str) {
                Some("Image") if found.image.is_none() => found.image = Some(name.clone()),
                Some("ClassLabel") => {
                    let names = class_label_names(feature).unwrap_or_default();
                    found.class_labels.push((name.clone(), names));
                }
                _ => {}
            }
        }
        found.class_labels.sort_by_key(|(name, _)| name != "label");
        found
    }

    /// The class names of the `ClassLabel` column `label`, when it has some.
    pub fn names_of(&self, label: &str) -> Option<Vec<String>> {
        self.class_labels
            .iter()
            .find(|(name, names)| name == label && !names.is_empty())
            .map(|(_, names)| names.clone())
    }
}

/// A `ClassLabel` feature's `names` (a name that is not a string kept as its JSON text).
fn class_label_names(feature: &serde_json::Value) -> Option<Vec<String>> {
    let names = feature.get("names")?.as_array()?;
    Some(
        names
            .iter()
            .map(|n| n.as_str().map_or_else(|| n.to_string(), str::to_owned))
            .collect(),
    )
}

/// A path-only `Image` cell's file (the `Image` feature without bytes): an absolute path as it is, a
/// relative one under `dir`, the dataset's folder; with its length and header (read through the
/// hardened open), or why it cannot be used.
pub fn image_file(
    dir: &std::path::Path,
    path: &str,
    max_image_bytes: u64,
) -> Result<(std::path::PathBuf, u64, crate::index::ImageHeader), String> {
    let file = dir.join(path);
    let (_, len) = crate::decode::open_regular(&file)
        .map_err(|e| format!("the image is only a path, {file:?}, which cannot be read: {e}"))?;
    if len > max_image_bytes {
        return Err(format!(
            "the image file {file:?} is {len} bytes, over the limit of {max_image_bytes} bytes per image (raise it with --max-file-bytes)"
        ));
    }
    let header = crate::decode::probe_file(&file).map_err(|e| e.to_string());
    Ok((file, len, header))
}

/// The bytes of a path-only image's file (at most `max_bytes`), or why not.
pub fn read_image_file(file: &std::path::Path, max_bytes: u64) -> Result<Vec<u8>, String> {
    crate::decode::read_image_file(file, max_bytes)
        .map(|(bytes, _)| bytes)
        .map_err(|e| format!("{e}: {file:?}"))
}

/// Why a row with `label` cannot be kept when other rows have labels and the column has `names`
/// class names (`None` for plain integers): `None` when it can.
pub fn label_problem(label: Option<i64>, names: Option<usize>) -> Option<String> {
    match (label, names) {
        (None, _) => Some("no label (null) while other rows have one".to_owned()),
        (Some(v), Some(n)) if usize::try_from(v).is_ok_and(|v| v < n) => None,
        (Some(-1), Some(_)) => Some("the label is -1 (no class)".to_owned()),
        (Some(v), Some(n)) => Some(format!(
            "the label {v} is not a class of the {n} ClassLabel names"
        )),
        (Some(_), None) => None,
    }
}

/// The classes of kept label `values`: with `names`, the values are the class indices and the names
/// theirs, each class's value its index (kept, so `labels.npy` is int64 as `datasets` stores it);
/// without, as TFRecord labels (the values themselves when they
/// look like class indices, else one class per distinct value), with each class's value.
pub fn classes(
    values: &[i64],
    names: Option<Vec<String>>,
) -> (Vec<u32>, Vec<String>, Option<Vec<i64>>) {
    if let Some(names) = names {
        let stored = (0..names.len())
            .map(|k| i64::try_from(k).unwrap_or(i64::MAX))
            .collect();
        return (
            values.iter().map(|&v| v as u32).collect(),
            names,
            Some(stored),
        );
    }
    let (labels, names, values) = super::tfrecord::images::classes_of_labels(values);
    (labels, names, Some(values))
}
/// A row found in a Parquet or Arrow file: its sample's name, its label, and where it is (`C`).
pub struct FoundRow<C> {
    /// `<file>#<place>`.
    pub name: std::path::PathBuf,
    /// The label column's value, if any.
    pub label: Option<i64>,
    /// Where the row is, for the store.
    pub cell: C,
}

/// What indexing keeps of the rows found.
pub struct KeptRows<C> {
    /// The rows kept, in order.
    pub cells: Vec<C>,
    /// Their samples.
    pub samples: Vec<crate::index::Sample>,
    /// The class names.
    pub class_names: Vec<String>,
    /// Each class's stored value.
    pub label_values: Option<Vec<i64>>,
    /// Whether the rows have labels.
    pub labeled: bool,
}

/// Keeps the rows whose labels can be kept: when some rows have labels, a row whose label cannot be
/// kept (see [`label_problem`]) is left out with a warning naming its file (`file_of`) and place
/// (`place_of`: `batch 2, row 5`). No row left is an error naming the first problem, or saying that
/// the `files` (`Arrow files`) hold no rows.
pub fn keep_rows<C>(
    found: Vec<FoundRow<C>>,
    class_names: Option<Vec<String>>,
    warnings: &mut Vec<crate::index::IndexWarning>,
    (file_of, place_of): (impl Fn(&C) -> std::path::PathBuf, impl Fn(&C) -> String),
    (files, path): (&str, &std::path::Path),
) -> Result<KeptRows<C>, super::SourceError> {
    let labeled = found.iter().any(|f| f.label.is_some());
    let names_count = class_names.as_ref().map(Vec::len);
    let mut kept = Vec::with_capacity(found.len());
    for f in found {
        match label_problem(f.label, names_count).filter(|_| labeled) {
            Some(reason) => warnings.push(crate::index::IndexWarning {
                path: file_of(&f.cell),
                reason: format!("{}: {reason}; it is left out", place_of(&f.cell)),
            }),
            None => kept.push(f),
        }
    }
    if kept.is_empty() {
        return Err(super::SourceError::Unusable {
            reason: no_usable_row(warnings, files),
            path: path.to_path_buf(),
        });
    }
    let (labels, class_names, label_values) = if labeled {
        let values: Vec<i64> = kept.iter().filter_map(|f| f.label).collect();
        let (labels, names, values) = classes(&values, class_names);
        (Some(labels), names, values)
    } else {
        (None, Vec::new(), None)
    };
    let mut samples = Vec::with_capacity(kept.len());
    let mut cells = Vec::with_capacity(kept.len());
    for (i, f) in kept.into_iter().enumerate() {
        samples.push(crate::index::Sample {
            objects: None,
            rel_path: f.name,
            label: labels.as_ref().map(|l| l[i]),
        });
        cells.push(f.cell);
    }
    Ok(KeptRows {
        cells,
        samples,
        class_names,
        label_values,
        labeled,
    })
}

/// A column read as stored: its place in the file's schema and what it exports as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredColumn {
    /// Its index in the file's schema.
    pub field: usize,
    /// Its name, dtype and row shape.
    pub column: Column,
}

/// The columns of a file that read as stored rows (fixed-shape `ArrayND`, numeric `Value`,
/// `ClassLabel`), the label column among them, its class names, and the columns left out (with why).
#[derive(Debug, Default)]
pub struct Picked {
    /// Every column kept, in the schema's order.
    pub columns: Vec<StoredColumn>,
    /// Which of them holds the labels (a `ClassLabel`, else an integer `label`).
    pub label: Option<usize>,
    /// The `ClassLabel`'s names.
    pub names: Option<Vec<String>>,
    /// Which of them is drawn as images.
    pub image: Option<usize>,
    /// `column: why` of each column left out.
    pub left_out: Vec<String>,
}

impl Picked {
    /// A warning, on `file`, for each column left out of the export.
    pub fn left_out_warnings(&self, file: &std::path::Path) -> Vec<crate::index::IndexWarning> {
        self.left_out
            .iter()
            .map(|why| crate::index::IndexWarning {
                path: file.to_path_buf(),
                reason: format!("the column {why}; it is not exported"),
            })
            .collect()
    }
}

/// The dtype of a `datasets` dtype name.
fn dtype_of(name: &str) -> Option<NpyDtype> {
    Some(match name {
        "bool" => NpyDtype::Bool,
        "uint8" => NpyDtype::U8,
        "int8" => NpyDtype::I8,
        "uint16" => NpyDtype::U16,
        "int16" => NpyDtype::I16,
        "uint32" => NpyDtype::U32,
        "int32" => NpyDtype::I32,
        "uint64" => NpyDtype::U64,
        "int64" => NpyDtype::I64,
        "float16" => NpyDtype::F16,
        "float32" => NpyDtype::F32,
        "float64" => NpyDtype::F64,
        _ => return None,
    })
}

/// The most bytes one stored row of a column may declare.
const MAX_ROW_BYTES: usize = 2 << 30;

/// What one column is as stored rows.
enum AsStored {
    /// A fixed-shape array (`true`) or a numeric value (`false`).
    Kept(Column, bool),
    /// A `ClassLabel`, with its names.
    ClassLabel(Column, Option<Vec<String>>),
    /// Not exportable, and why.
    LeftOut(String),
    /// Declared an array (`ArrayND`) but not readable as one, and why.
    RefusedArray(String),
}

fn as_stored(name: &str, feature: Option<&serde_json::Value>, stored_as: &str) -> AsStored {
    let get = |key: &str| feature.and_then(|f| f.get(key));
    let dtype = get("dtype")
        .and_then(serde_json::Value::as_str)
        .and_then(dtype_of);
    let column = |dtype, row_shape| Column {
        name: name.to_owned(),
        dtype,
        row_shape,
    };
    match (get("_type").and_then(serde_json::Value::as_str), dtype) {
        (Some("Array2D" | "Array3D" | "Array4D" | "Array5D"), Some(dtype)) => {
            let shape: Option<Vec<usize>> = get("shape")
                .and_then(serde_json::Value::as_array)
                .and_then(|dims| {
                    dims.iter()
                        .map(|d| d.as_u64().and_then(|d| usize::try_from(d).ok()))
                        .collect()
                });
            match shape {
                None => AsStored::RefusedArray(format!(
                    "{name:?}: its shape {} is not a list of fixed sizes",
                    get("shape").map_or_else(
                        || "(none stated)".to_owned(),
                        |v| { crate::source::annotated_files::shortened(&v.to_string()) }
                    )
                )),
                // A declared shape is a claim: one row must be countable and at most 2 GiB (the
                // most one output image may take) before anything is sized from it.
                Some(shape)
                    if shape
                        .iter()
                        .try_fold(dtype.size(), |n, &d| n.checked_mul(d))
                        .is_none_or(|bytes| bytes > MAX_ROW_BYTES) =>
                {
                    AsStored::RefusedArray(format!(
                        "{name:?}: its shape {shape:?} of {} is over {MAX_ROW_BYTES} bytes a row",
                        crate::npy::dtype_name(dtype)
                    ))
                }
                Some(shape) => AsStored::Kept(column(dtype, shape), true),
            }
        }
        (Some("Value"), Some(dtype)) => AsStored::Kept(column(dtype, Vec::new()), false),
        (Some("ClassLabel"), _) => AsStored::ClassLabel(
            column(NpyDtype::I64, Vec::new()),
            feature.and_then(class_label_names),
        ),
        (Some(array @ ("Array2D" | "Array3D" | "Array4D" | "Array5D")), None) => {
            AsStored::RefusedArray(format!(
                "{name:?}: an {array} of dtype {}, which is not a numeric type numpy and batchscope share",
                get("dtype").map_or_else(|| "(none stated)".to_owned(), ToString::to_string)
            ))
        }
        _ => AsStored::LeftOut(format!("{name:?}: {stored_as} is not a numeric array")),
    }
}

/// The stored columns of a file whose `fields` are `(name, how it is stored)`, as `features` (the
/// `datasets` features object) declares them, with the image column `--image-key` (else the first
/// array whose shape is an image's under `--array-layout`) and the label column `--label-key`
/// (else the `ClassLabel`, else an integer `label`; none when the options read no labels); `None`
/// when no column is a fixed-shape array, so the source is not arrays; `Err` when some column is
/// declared an array but cannot be read as one, saying which and why.
pub fn pick_stored(
    fields: &[(String, String)],
    features: &serde_json::Value,
    options: &crate::options::IndexOptions,
) -> Result<Option<Picked>, String> {
    let keys = (options.image_key.as_deref(), options.label_key_read());
    let mut picked = pick_columns(fields, features, keys, options.layout)?;
    if !options.reads_labels()
        && let Some(picked) = &mut picked
    {
        picked.label = None;
    }
    Ok(picked)
}

/// [`pick_stored`] with the image and label keys and the layout given.
fn pick_columns(
    fields: &[(String, String)],
    features: &serde_json::Value,
    keys: (Option<&str>, Option<&str>),
    layout: crate::options::ArrayLayout,
) -> Result<Option<Picked>, String> {
    let mut picked = Picked::default();
    let (mut any_array, mut class_label, mut refused) = (false, None, Vec::new());
    for (field, (name, stored_as)) in fields.iter().enumerate() {
        let column = match as_stored(name, features.get(name.as_str()), stored_as) {
            AsStored::Kept(column, array) => {
                any_array |= array;
                column
            }
            AsStored::ClassLabel(column, names) => {
                class_label = class_label.or(Some(picked.columns.len()));
                picked.names = picked.names.take().or(names);
                column
            }
            AsStored::LeftOut(why) => {
                picked.left_out.push(why);
                continue;
            }
            AsStored::RefusedArray(why) => {
                refused.push(why.clone());
                picked.left_out.push(why);
                continue;
            }
        };
        picked.columns.push(StoredColumn { field, column });
    }
    if !any_array {
        // Declared arrays that cannot be read are the reason the file is unusable; a file that
        // declares none is left to the images' pass, whose message names its columns.
        return if refused.is_empty() {
            Ok(None)
        } else {
            Err(format!(
                "no image column, and no array column that can be read (the column {})",
                refused.join("; the column ")
            ))
        };
    }
    let (image_key, label_key) = keys;
    let position = |key: &str| picked.columns.iter().position(|c| c.column.name == key);
    picked.image = match image_key {
        Some(key) => position(key),
        None => picked
            .columns
            .iter()
            .position(|c| crate::index::RowImage::of(&c.column.row_shape, layout).is_some()),
    };
    let integer = |i: usize| {
        use NpyDtype::{I8, I16, I32, I64, U8, U16, U32};
        matches!(
            picked.columns[i].column.dtype,
            I8 | I16 | I32 | I64 | U8 | U16 | U32
        )
    };
    picked.label = match label_key {
        Some(key) => position(key),
        None => class_label.or_else(|| position("label").filter(|&i| integer(i))),
    };
    if picked.label != class_label {
        picked.names = None;
    }
    Ok(Some(picked))
}

/// Why a source holds no sample: `no usable row (N problems; the first: <reason> in <path>)`, or
/// that its `files` hold no rows at all.
pub fn no_usable_row(warnings: &[crate::index::IndexWarning], files: &str) -> String {
    match warnings.first() {
        Some(first) => format!(
            "no usable row ({} problem{}; the first: {} in {:?})",
            warnings.len(),
            if warnings.len() == 1 { "" } else { "s" },
            first.reason,
            first.path
        ),
        None => format!("the {files} hold no rows"),
    }
}
