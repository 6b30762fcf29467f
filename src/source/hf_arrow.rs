//! Hugging Face `datasets` folders written by `save_to_disk` (`dataset_info.json`, `state.json`,
//! `data-00000-of-00001.arrow` Arrow IPC streams) as a dataset source: encoded images with labels,
//! handed to the loader as an [`EncodedImages`](crate::index::EncodedImages) store.
//!
//! Guarantees:
//! - A `save_to_disk` folder reads its `state.json` files in order; a `DatasetDict` folder
//!   (`dataset_dict.json`) opens its `train` split (else its first), and says in a warning how to
//!   open the others (by their folder); a folder of `*.arrow` beside `dataset_info.json` (the Hub
//!   cache) and a single `.arrow` file open too.
//! - Columns are picked as for Parquet ([`super::parquet`]): the `Image` feature of
//!   `dataset_info.json` (else of the schema's `huggingface` metadata, else a struct with a `bytes`
//!   field), and the `ClassLabel` feature with its names; `--image-key`/`--label-key` override.
//! - Each stream is read once to index it, projected to those columns, batch by batch; the byte
//!   offset of every batch is kept, so a batch is read again on its own: any order is cheap enough,
//!   and `--shuffle` works. Declared body lengths are not trusted for allocation (the Arrow reader
//!   grows its buffer as bytes arrive).
//! - Nothing bad is dropped silently: a null image, a path-only image whose file (relative to the
//!   dataset's folder) cannot be read, an image over `--max-file-bytes`, a bad label, a truncated
//!   stream (the rest of its file) are index warnings naming the file, batch and row.

mod rows;
mod store;
mod stream;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use arrow_schema::Schema;

use self::store::{ArrowImages, Cell, StreamFile};
use self::stream::ImageCell;
use super::SourceError;
use super::hf_features::{self, FoundRow, HfFeatures};
use super::probe::Probe;
use crate::decode;
use crate::index::{DatasetIndex, IndexWarning, Store, WalkControl};
use crate::options::IndexOptions;

/// Rows are reported every this many.
const PROGRESS_EVERY: usize = 256;

/// Whether detection takes `probe` as a `datasets` folder or Arrow file.
pub fn claims(probe: &Probe) -> bool {
    let has = |name: &str| {
        probe
            .files
            .iter()
            .any(|f| f.file_name().is_some_and(|n| n == name))
    };
    if probe.is_dir {
        has("state.json")
            || has("dataset_dict.json")
            || (has("dataset_info.json")
                && probe
                    .files
                    .iter()
                    .any(|f| f.extension().is_some_and(|e| e == "arrow")))
    } else {
        probe.exists && probe.name.to_ascii_lowercase().ends_with(".arrow")
    }
}

/// The stream files of `path`, the folder whose `dataset_info.json` describes them, and notes (the
/// splits of a `DatasetDict` not opened). `split` picks a `DatasetDict`'s split (`--split`).
fn resolve(
    path: &Path,
    split: Option<&str>,
) -> Result<(Vec<PathBuf>, PathBuf, Vec<IndexWarning>), SourceError> {
    let unusable = |reason: String| SourceError::Unusable {
        reason,
        path: path.to_path_buf(),
    };
    let read_json = |file: &Path| -> Result<serde_json::Value, SourceError> {
        let bytes =
            decode::read_file(file).map_err(|e| unusable(format!("cannot read {file:?}: {e}")))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| unusable(format!("{file:?} does not parse: {e}")))
    };
    if !path.is_dir() {
        let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        return Ok((vec![path.to_path_buf()], dir, Vec::new()));
    }
    let mut notes = Vec::new();
    let mut dir = path.to_path_buf();
    let dict = path.join("dataset_dict.json");
    if dict.is_file() {
        let splits: Vec<String> = read_json(&dict)?
            .get("splits")
            .and_then(serde_json::Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let chosen = match split {
            Some(asked) => splits.iter().find(|s| *s == asked).ok_or_else(|| {
                unusable(format!(
                    "no split {asked:?} in dataset_dict.json; it has {}",
                    splits
                        .iter()
                        .map(|s| format!("{s:?}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?,
            None => splits
                .iter()
                .find(|s| *s == "train")
                .or_else(|| splits.first())
                .ok_or_else(|| unusable("dataset_dict.json names no split".to_owned()))?,
        }
        .clone();
        for other in splits.iter().filter(|s| **s != chosen) {
            notes.push(IndexWarning {
                path: path.join(other),
                reason: format!(
                    "the split {other:?} is not opened (the split {chosen:?} is); open it with --split {other}"
                ),
            });
        }
        dir = entry_of(path, &chosen).map_err(|why| {
            unusable(format!(
                "dataset_dict.json names the split {chosen:?}, {why}"
            ))
        })?;
    }
    let state = dir.join("state.json");
    let files = if state.is_file() {
        let names: Vec<String> = read_json(&state)?
            .get("_data_files")
            .and_then(serde_json::Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|f| f.get("filename")?.as_str())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let mut files = Vec::with_capacity(names.len());
        for name in names {
            let file = entry_of(&dir, &name)
                .map_err(|why| unusable(format!("{state:?} names {name:?}, {why}")))?;
            if !file.is_file() {
                return Err(unusable(format!(
                    "{state:?} names {name:?}, which is not a file: {file:?}"
                )));
            }
            // Read twice, its rows would be exported twice.
            if files.contains(&file) {
                return Err(unusable(format!("{state:?} names {name:?} twice")));
            }
            files.push(file);
        }
        files
    } else {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| unusable(format!("cannot read {dir:?}: {e}")))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "arrow") && p.is_file())
            .collect();
        files.sort();
        files
    };
    if files.is_empty() {
        return Err(unusable(format!("no Arrow files in {dir:?}")));
    }
    Ok((files, dir, notes))
}

/// `name` (a split or a data file that a folder's JSON names) as an entry of `dir`, or why not:
/// one plain name, so nothing outside the dataset folder is read.
fn entry_of(dir: &Path, name: &str) -> Result<PathBuf, String> {
    let mut parts = Path::new(name).components();
    match (parts.next(), parts.next()) {
        (Some(std::path::Component::Normal(entry)), None) => Ok(dir.join(entry)),
        _ => Err(format!("not a name of an entry of {dir:?}")),
    }
}

/// The features: `dataset_info.json`'s, else the schema's `huggingface` metadata.
fn features_of(dir: &Path, schema: &Schema) -> HfFeatures {
    let from_info = info_features(dir).map(|f| HfFeatures::of(&f));
    from_info
        .filter(|f| f.image.is_some() || !f.class_labels.is_empty())
        .or_else(|| schema_features(schema).map(|f| HfFeatures::of(&f)))
        .unwrap_or_default()
}

/// The `features` object of `dataset_info.json` in `dir`.
fn info_features(dir: &Path) -> Option<serde_json::Value> {
    decode::read_file(&dir.join("dataset_info.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|mut j| j.get_mut("features").map(serde_json::Value::take))
}

/// The `features` object of the schema's `huggingface` metadata.
fn schema_features(schema: &Schema) -> Option<serde_json::Value> {
    schema
        .metadata()
        .get("huggingface")
        .and_then(|m| serde_json::from_str::<serde_json::Value>(m).ok())
        .and_then(|mut j| j.pointer_mut("/info/features").map(serde_json::Value::take))
}

/// The folder as stored rows, when its samples are arrays ([`rows`]: fixed-shape `ArrayND`
/// columns and no image column, or `--image-key` naming an array); `None` when it holds images.
fn open_arrays(
    path: &Path,
    paths: &[PathBuf],
    dir: &Path,
    options: &IndexOptions,
    control: &WalkControl<'_>,
) -> Result<Option<DatasetIndex>, SourceError> {
    let unusable = |reason: String| SourceError::Unusable {
        reason,
        path: path.to_path_buf(),
    };
    let Some(first) = paths.first() else {
        return Ok(None);
    };
    let schema = stream::open(first, None, None)
        .map(|o| o.reader.schema())
        .map_err(|reason| unusable(format!("unreadable Arrow stream: {reason}")))?;
    let Some(features) = info_features(dir).or_else(|| schema_features(&schema)) else {
        return Ok(None);
    };
    let image_feature = HfFeatures::of(&features).image;
    let is_image = |name: &str| {
        image_feature.as_deref() == Some(name)
            || schema
                .field_with_name(name)
                .is_ok_and(|f| stream::is_image_type(f.data_type()))
    };
    let images = match options.image_key.as_deref() {
        Some(key) => is_image(key),
        None => schema.fields().iter().any(|f| is_image(f.name())),
    };
    if images {
        return Ok(None);
    }
    let fields: Vec<(String, String)> = schema
        .fields()
        .iter()
        .map(|f| (f.name().clone(), f.data_type().to_string()))
        .collect();
    let unusable = |reason| SourceError::Unusable {
        reason,
        path: path.to_path_buf(),
    };
    let Some(picked) = hf_features::pick_stored(&fields, &features, options).map_err(unusable)?
    else {
        return Ok(None);
    };
    let mut warnings = picked.left_out_warnings(first);
    let columns: Vec<_> = picked.columns.iter().map(|c| c.column.clone()).collect();
    let projection: Vec<usize> = picked.columns.iter().map(|c| c.field).collect();
    let scanned = scan_arrays(paths, &columns, &projection, picked.label, control)?;
    warnings.extend(scanned.warnings);
    if scanned.at.is_empty() {
        return Err(unusable(hf_features::no_usable_row(
            &warnings,
            "Arrow files",
        )));
    }
    let classes = picked.label.map(|_| {
        let values: Vec<i64> = scanned.labels.iter().map(|l| l.unwrap_or(-1)).collect();
        super::open_stored::classes_of_values(&values, picked.names.as_deref())
    });
    let layout = crate::index::RowsLayout {
        what: rows::describe(scanned.files.len()),
        columns,
        image: picked.image,
        label: picked.label,
        array_layout: options.layout,
    };
    let (n, names) = (scanned.at.len(), scanned.names);
    let store = rows::ArrowRows::new(layout, scanned.files, projection, scanned.at);
    let store = Store::of_rows(Arc::new(store));
    let mut index = super::open_stored::index_of(path, n, |i| names[i].clone(), classes, store);
    index.warnings = warnings;
    Ok(Some(index))
}

/// What the pass over a folder of arrays found: its files, where each kept row is, its name and
/// label, and the rows left out.
#[derive(Default)]
struct ArraysScan {
    files: Vec<StreamFile>,
    at: Vec<rows::RowAt>,
    names: Vec<PathBuf>,
    labels: Vec<Option<i64>>,
    warnings: Vec<IndexWarning>,
}

/// Reads every stream once, projected to `projection` (the fields of `columns`), checking every
/// row against its columns' shapes and keeping batch offsets.
fn scan_arrays(
    paths: &[PathBuf],
    columns: &[crate::index::Column],
    projection: &[usize],
    label: Option<usize>,
    control: &WalkControl<'_>,
) -> Result<ArraysScan, SourceError> {
    let mut out = ArraysScan::default();
    let ArraysScan {
        files,
        at,
        names,
        labels,
        warnings,
    } = &mut out;
    *files = each_batch(
        paths,
        projection,
        control,
        warnings,
        |file, path, b, batch, warnings| {
            let warn = |reason: String| IndexWarning {
                path: path.to_path_buf(),
                reason,
            };
            rows::check_batch(
                batch,
                columns,
                |row, value| {
                    at.push((file, b, row));
                    names.push(rows::name(path, b, row));
                    labels.push(value);
                },
                |row, reason| {
                    warnings.push(warn(format!(
                        "batch {b}, row {row}: {reason}; it is left out"
                    )));
                },
                label,
            );
            (control.on_progress)(at.len());
        },
    )?;
    Ok(out)
}

/// Reads every stream of `paths` once, projected to `projection`, handing each record batch to
/// `on_batch(file, path, batch number, batch, warnings)`; returns each stream's batch offsets. A
/// stream that cannot be opened, or a batch that cannot be read (and the rest of its file), is a
/// warning; a cancel stops it.
fn each_batch(
    paths: &[PathBuf],
    projection: &[usize],
    control: &WalkControl<'_>,
    warnings: &mut Vec<IndexWarning>,
    mut on_batch: impl FnMut(usize, &Path, usize, &arrow_array::RecordBatch, &mut Vec<IndexWarning>),
) -> Result<Vec<StreamFile>, SourceError> {
    let cancel = Arc::new(AtomicBool::new(control.cancel.load(Ordering::Relaxed)));
    let mut files = Vec::new();
    for path in paths {
        let warn = |reason: String| IndexWarning {
            path: path.clone(),
            reason,
        };
        let projected = Some(projection.to_vec());
        let opened = match stream::open(path, projected, Some(Arc::clone(&cancel))) {
            Ok(opened) => opened,
            Err(reason) => {
                warnings.push(warn(format!("unreadable Arrow stream: {reason}")));
                continue;
            }
        };
        let file = files.len();
        let schema_bytes = opened.count.load(Ordering::Relaxed);
        let mut offsets = Vec::new();
        let mut reader = opened.reader;
        loop {
            let offset = opened.count.load(Ordering::Relaxed);
            cancel.store(control.cancel.load(Ordering::Relaxed), Ordering::Relaxed);
            let Some(batch) = reader.next() else {
                break;
            };
            if control.cancel.load(Ordering::Relaxed) {
                return Err(SourceError::Cancelled);
            }
            let b = offsets.len();
            match batch {
                Ok(batch) => {
                    offsets.push(offset);
                    on_batch(file, path, b, &batch, warnings);
                }
                Err(e) => {
                    warnings.push(warn(format!(
                        "batch {b}: {e}; the rest of the file is not read"
                    )));
                    break;
                }
            }
        }
        files.push(StreamFile {
            path: path.clone(),
            schema_bytes,
            batch_offsets: offsets,
        });
    }
    Ok(files)
}

/// The image and label column indices of `schema` (see the module's rules).
fn pick_columns(
    schema: &Schema,
    hf: &HfFeatures,
    image_key: Option<&str>,
    label_key: Option<&str>,
) -> Result<Columns, String> {
    let index = |name: &str| schema.index_of(name).ok();
    let listed = || {
        schema
            .fields()
            .iter()
            .map(|f| format!("{:?}", f.name()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let missing = |key: &str| format!("no column {key:?} (it has {})", listed());
    let image = match image_key {
        Some(key) => index(key).ok_or_else(|| missing(key))?,
        None => hf
            .image
            .as_deref()
            .and_then(index)
            .or_else(|| {
                schema
                    .fields()
                    .iter()
                    .position(|f| stream::is_image_type(f.data_type()))
            })
            .ok_or_else(|| {
                format!(
                    "no image column (an Image feature's {{bytes, path}} struct, or a binary column; it has {})",
                    listed()
                )
            })?,
    };
    let label = match label_key {
        Some(key) => Some(index(key).ok_or_else(|| missing(key))?),
        None => hf
            .class_labels
            .iter()
            .find_map(|(name, _)| index(name))
            .or_else(|| {
                ["label", "labels"].into_iter().find_map(|name| {
                    index(name).filter(|&i| schema.field(i).data_type().is_integer())
                })
            }),
    };
    Ok((image, label))
}

/// One row that holds an image.
type Found = FoundRow<Cell>;

/// The image's length and header and the label of `row` of a batch projected to image (and label).
fn found_in_row(
    batch: &arrow_array::RecordBatch,
    row: usize,
    labeled: bool,
    dir: &Path,
    max_image_bytes: u64,
) -> Result<(u64, crate::index::ImageHeader, Option<i64>, Option<PathBuf>), String> {
    let label = if labeled {
        stream::label_cell(batch.column(1), row)?
    } else {
        None
    };
    match stream::image_cell(batch.column(0), row)? {
        ImageCell::Bytes(bytes) if bytes.len() as u64 > max_image_bytes => Err(format!(
            "the image is {} bytes, over the limit of {max_image_bytes} bytes per image (raise it with --max-file-bytes)",
            bytes.len()
        )),
        ImageCell::Bytes(bytes) => Ok((
            bytes.len() as u64,
            decode::probe_bytes(bytes).map_err(|e| e.to_string()),
            label,
            None,
        )),
        ImageCell::Path(p) => hf_features::image_file(dir, p, max_image_bytes)
            .map(|(file, len, header)| (len, header, label, Some(file))),
        ImageCell::Null => Err("the image is null".to_owned()),
    }
}

/// What the pass over the files found.
struct Scan {
    files: Vec<StreamFile>,
    found: Vec<Found>,
    warnings: Vec<IndexWarning>,
    image_column: usize,
    class_names: Option<Vec<String>>,
}

/// The image column's index and the label column's, if any.
type Columns = (usize, Option<usize>);

/// The image and label columns of the first stream, and the label's class names.
fn columns_of(
    path: &Path,
    dir: &Path,
    image_key: Option<&str>,
    label_key: Option<&str>,
) -> Result<(Columns, Option<Vec<String>>), SourceError> {
    let unusable = |reason: String| SourceError::Unusable {
        reason,
        path: path.to_path_buf(),
    };
    let schema = stream::open(path, None, None)
        .map(|o| o.reader.schema())
        .map_err(|reason| unusable(format!("unreadable Arrow stream: {reason}")))?;
    let hf = features_of(dir, &schema);
    let picked = pick_columns(&schema, &hf, image_key, label_key).map_err(unusable)?;
    let names = picked.1.and_then(|i| hf.names_of(schema.field(i).name()));
    Ok((picked, names))
}

/// Reads every stream once, projected to the image and label columns, keeping batch offsets.
fn scan(
    paths: &[PathBuf],
    dir: &Path,
    options: &IndexOptions,
    max_image_bytes: u64,
    control: &WalkControl<'_>,
) -> Result<Scan, SourceError> {
    let label_key = options.label_key_read();
    let first = paths
        .first()
        .map_or_else(|| dir.to_path_buf(), Clone::clone);
    let ((image, label), class_names) =
        columns_of(&first, dir, options.image_key.as_deref(), label_key)?;
    let projection: Vec<usize> = std::iter::once(image).chain(label).collect();
    let mut out = Scan {
        files: Vec::new(),
        found: Vec::new(),
        warnings: Vec::new(),
        image_column: image,
        class_names,
    };
    let mut rows_seen = 0usize;
    let Scan {
        files,
        found,
        warnings,
        ..
    } = &mut out;
    *files = each_batch(
        paths,
        &projection,
        control,
        warnings,
        |file, path, b, batch, warnings| {
            for row in 0..batch.num_rows() {
                rows_seen += 1;
                if rows_seen.is_multiple_of(PROGRESS_EVERY) {
                    (control.on_progress)(rows_seen);
                }
                match found_in_row(batch, row, label.is_some(), dir, max_image_bytes) {
                    Ok((len, header, label, image_path)) => found.push(Found {
                        cell: Cell {
                            file,
                            batch: b,
                            row,
                            len,
                            header,
                            path: image_path,
                        },
                        label,
                        name: super::member_name(path, format_args!("{b}/{row}")),
                    }),
                    Err(reason) => warnings.push(IndexWarning {
                        path: path.to_path_buf(),
                        reason: format!("batch {b}, row {row}: {reason}; it is left out"),
                    }),
                }
            }
        },
    )?;
    (control.on_progress)(rows_seen);
    Ok(out)
}
/// Indexes the `datasets` folder (or Arrow file) at `path` as encoded images with labels. An image
/// over `max_record_bytes` is left out with a warning naming the limit.
pub fn open_index(
    path: &Path,
    options: &IndexOptions,
    max_record_bytes: u64,
    control: &WalkControl<'_>,
) -> Result<DatasetIndex, SourceError> {
    let (paths, dir, notes) = resolve(path, options.split.as_deref())?;
    if let Some(arrays) = open_arrays(path, &paths, &dir, options, control)? {
        let mut index = arrays;
        let mut warnings = notes;
        warnings.append(&mut index.warnings);
        index.warnings = warnings;
        return Ok(index);
    }
    let Scan {
        files,
        found,
        warnings: scanned,
        image_column,
        class_names,
    } = scan(&paths, &dir, options, max_record_bytes, control)?;
    let mut warnings = notes;
    warnings.extend(scanned);
    let kept = hf_features::keep_rows(
        found,
        class_names,
        &mut warnings,
        (
            |c: &Cell| files[c.file].path.clone(),
            |c: &Cell| format!("batch {}, row {}", c.batch, c.row),
        ),
        ("Arrow files", path),
    )?;
    let what = format!(
        "a datasets folder of {} Arrow file{}",
        files.len(),
        if files.len() == 1 { "" } else { "s" }
    );
    Ok(DatasetIndex {
        root: path.to_path_buf(),
        class_names: kept.class_names,
        samples: kept.samples,
        warnings,
        notes: Vec::new(),
        labeled: kept.labeled,
        store: Store::of_images(Arc::new(ArrowImages::new(
            what,
            files,
            image_column,
            kept.cells,
        ))),
        label_values: kept.label_values,
        object_classes: None,
    })
}
