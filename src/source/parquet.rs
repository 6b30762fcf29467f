//! Parquet files (the Hugging Face Hub's `train-00000-of-00004.parquet` shards, `Dataset.to_parquet`)
//! as a dataset source: encoded images with labels, handed to the loader as an
//! [`EncodedImages`](crate::index::EncodedImages) store so they are decoded and preprocessed exactly
//! like image files.
//!
//! Guarantees:
//! - An input is one file, a folder of `*.parquet`, a glob or a brace pattern ([`super::shards`]).
//! - The image column is `--image-key`, else the column the `huggingface` schema metadata calls an
//!   `Image` feature, else the first struct column with a `bytes` field (the `Image` feature's
//!   `{bytes, path}`), else a binary column named `image`. The label column is `--label-key` (`none`
//!   for none), else the metadata's `ClassLabel` feature (its `names` are the class names, its
//!   int64 values the labels), else an integer column named `label` or `labels`.
//! - Files are read one row group at a time, projected to those two columns, so the other columns
//!   are never decoded; reading a chunk of samples decodes each row group it touches once.
//! - A path-only image (the `Image` struct with `bytes` null) is read from its file, relative to the
//!   Parquet file's folder, through the hardened open.
//! - Nothing bad is dropped silently: a null image, a path-only image whose file cannot be read, an
//!   image over `--max-file-bytes`, a null or out-of-range label, a corrupt page (the rest of its row
//!   group), an unreadable file are index warnings (so lines of `skipped.csv`) naming the file, row group and
//!   row. A panic of the Parquet decoder on hostile bytes is caught and becomes such a warning.
//! - Pages uncompressed or compressed with Snappy (`Dataset.to_parquet`'s and pyarrow's default),
//!   gzip, zstd or LZ4 are read; a file using brotli or LZO is refused by name at open.
//! - Files whose samples are arrays (`Array2D`…`Array5D` and numeric `Value` columns, no image
//!   column) are read as stored rows ([`arrays`]).

mod arrays;
mod pages;
mod rows;
mod store;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use parquet::basic::Type as Physical;
use parquet::file::reader::FileReader as _;

use self::rows::ImageCell;
use self::store::{Cell, ParquetImages};
use super::hf_features::{self, FoundRow, HfFeatures};
use super::probe::Probe;
use super::{SourceError, shards};
use crate::decode;
use crate::index::{DatasetIndex, ImageHeader, IndexWarning, Store, WalkControl};
use crate::options::IndexOptions;

/// What the files are called when an input names none.
const FILES: &str = "Parquet files (*.parquet)";
/// Rows are reported every this many.
const PROGRESS_EVERY: usize = 256;

/// Whether a file name is a Parquet file's.
pub fn is_parquet_name(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with(".parquet")
}

/// Whether detection takes `probe` as Parquet: a file starting with `PAR1`, a glob or brace pattern
/// of `.parquet` names, or a folder holding one.
pub fn claims(probe: &Probe) -> bool {
    if probe.is_dir {
        probe.files.iter().any(|f| {
            f.file_name()
                .is_some_and(|n| is_parquet_name(&n.to_string_lossy()))
        })
    } else if probe.exists {
        probe.head.starts_with(b"PAR1")
    } else {
        is_parquet_name(&probe.name)
    }
}

/// What the `huggingface` schema metadata says of the columns.
fn hf_features(reader: &rows::Reader) -> HfFeatures {
    features_json(reader)
        .map(|features| HfFeatures::of(&features))
        .unwrap_or_default()
}

/// The `features` object of the `huggingface` schema metadata.
fn features_json(reader: &rows::Reader) -> Option<serde_json::Value> {
    reader
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .and_then(|kv| kv.iter().find(|kv| kv.key == "huggingface"))
        .and_then(|kv| kv.value.as_deref())
        .and_then(|v| serde_json::from_str::<serde_json::Value>(v).ok())
        .and_then(|mut json| {
            json.pointer_mut("/info/features")
                .map(serde_json::Value::take)
        })
}

/// The files as stored rows, when their samples are arrays ([`arrays`]: fixed-shape `ArrayND`
/// columns and no image column, or `--image-key` naming an array); `None` when they hold images.
fn open_arrays(
    path: &Path,
    files: &[PathBuf],
    options: &IndexOptions,
    control: &WalkControl<'_>,
) -> Result<Option<DatasetIndex>, SourceError> {
    // An unreadable first file is reported by the images' pass, which reads every file.
    let Some(reader) = files.first().and_then(|first| rows::open(first).ok()) else {
        return Ok(None);
    };
    let Some(features) = features_json(&reader) else {
        return Ok(None);
    };
    let image_feature = HfFeatures::of(&features).image;
    let schema = reader.metadata().file_metadata().schema().get_fields();
    let is_image = |f: &parquet::schema::types::TypePtr| {
        image_feature.as_deref() == Some(f.name())
            || (f.is_group() && f.get_fields().iter().any(|c| c.name() == "bytes"))
    };
    let images = match options.image_key.as_deref() {
        Some(key) => schema.iter().any(|f| f.name() == key && is_image(f)),
        None => schema.iter().any(is_image),
    };
    if images {
        return Ok(None);
    }
    let fields: Vec<(String, String)> = schema
        .iter()
        .map(|f| {
            let stored = if f.is_group() {
                "a group".to_owned()
            } else {
                f.get_physical_type().to_string()
            };
            (f.name().to_owned(), stored)
        })
        .collect();
    let unusable = |reason| SourceError::Unusable {
        reason,
        path: path.to_path_buf(),
    };
    let Some(picked) = hf_features::pick_stored(&fields, &features, options).map_err(unusable)?
    else {
        return Ok(None);
    };
    let columns: Vec<_> = picked.columns.iter().map(|c| c.column.clone()).collect();
    let mut warnings = picked.left_out_warnings(&files[0]);
    let arrays::Scan {
        at,
        names,
        labels,
        warnings: scanned,
    } = arrays::scan(files, &columns, picked.label, control)?;
    warnings.extend(scanned);
    if at.is_empty() {
        return Err(SourceError::Unusable {
            reason: hf_features::no_usable_row(&warnings, FILES),
            path: path.to_path_buf(),
        });
    }
    let classes = picked.label.map(|_| {
        let values: Vec<i64> = labels.iter().map(|l| l.unwrap_or(-1)).collect();
        super::open_stored::classes_of_values(&values, picked.names.as_deref())
    });
    let layout = crate::index::RowsLayout {
        what: format!(
            "{} Parquet file{} (arrays)",
            files.len(),
            if files.len() == 1 { "" } else { "s" }
        ),
        columns,
        image: picked.image,
        label: picked.label,
        array_layout: options.layout,
    };
    let n = at.len();
    let store = Store::of_rows(Arc::new(arrays::ParquetRows::new(
        layout,
        files.to_vec(),
        at,
    )));
    let mut index = super::open_stored::index_of(path, n, |i| names[i].clone(), classes, store);
    index.warnings = warnings;
    Ok(Some(index))
}

/// The image and label columns of a file (see the module's rules), or why there is no image column.
fn pick_columns(
    reader: &rows::Reader,
    hf: &HfFeatures,
    image_key: Option<&str>,
    label_key: Option<&str>,
) -> Result<(String, Option<String>), String> {
    let fields = reader.metadata().file_metadata().schema().get_fields();
    let names: Vec<&str> = fields.iter().map(|f| f.name()).collect();
    let has = |name: &str| names.contains(&name);
    // Quoted: a name may hold any character, a line break too, and a message is one line.
    let listed = || {
        names
            .iter()
            .map(|n| format!("{n:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let image = match image_key {
        Some(key) if has(key) => key.to_owned(),
        Some(key) => return Err(format!("no column {key:?} (it has {})", listed())),
        None => hf
            .image
            .clone()
            .filter(|name| has(name))
            .or_else(|| {
                fields
                    .iter()
                    .find(|f| {
                        f.is_group() && f.get_fields().iter().any(|c| c.name() == "bytes")
                    })
                    .or_else(|| {
                        fields.iter().find(|f| {
                            f.is_primitive()
                                && f.get_physical_type() == Physical::BYTE_ARRAY
                                && matches!(f.name(), "image" | "img")
                        })
                    })
                    .map(|f| f.name().to_owned())
            })
            .ok_or_else(|| {
                format!(
                    "no image column (an Image feature's {{bytes, path}} struct, or a binary column named image; it has {})",
                    listed()
                )
            })?,
    };
    let label = match label_key {
        Some(key) if has(key) => Some(key.to_owned()),
        Some(key) => return Err(format!("no column {key:?} (it has {})", listed())),
        None => hf
            .class_labels
            .iter()
            .map(|(name, _)| name.as_str())
            .find(|name| has(name))
            .or_else(|| {
                fields
                    .iter()
                    .find(|f| {
                        f.is_primitive()
                            && matches!(f.get_physical_type(), Physical::INT32 | Physical::INT64)
                            && matches!(f.name(), "label" | "labels")
                    })
                    .map(|f| f.name())
            })
            .map(str::to_owned),
    };
    Ok((image, label))
}

/// One row that holds an image (named `file#row group/row`).
type Found = FoundRow<Cell>;

/// What the pass over the files found.
#[derive(Default)]
struct Scan {
    found: Vec<Found>,
    warnings: Vec<IndexWarning>,
    columns: Option<(String, Option<String>)>,
    class_names: Option<Vec<String>>,
}

/// Reads the image and label column of every row of every file, one row group at a time.
fn scan(
    files: &[PathBuf],
    options: &IndexOptions,
    max_image_bytes: u64,
    control: &WalkControl<'_>,
) -> Result<Scan, SourceError> {
    let (labels_on, label_key) = (options.reads_labels(), options.label_key_read());
    let mut scan = Scan::default();
    let mut rows_seen = 0usize;
    for (f, path) in files.iter().enumerate() {
        let warn = |reason: String| IndexWarning {
            path: path.clone(),
            reason,
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        let reader = match rows::open(path) {
            Ok(reader) => reader,
            Err(reason) => {
                scan.warnings.push(warn(format!("unreadable: {reason}")));
                continue;
            }
        };
        if scan.columns.is_none() {
            let hf = hf_features(&reader);
            let picked = pick_columns(&reader, &hf, options.image_key.as_deref(), label_key)
                .map_err(|reason| SourceError::Unusable {
                    reason,
                    path: path.clone(),
                })?;
            let picked = (picked.0, picked.1.filter(|_| labels_on));
            scan.class_names = picked.1.as_deref().and_then(|label| hf.names_of(label));
            scan.columns = Some(picked);
        }
        let Some((image, label)) = scan.columns.clone() else {
            continue;
        };
        let mut columns = Vec::new();
        for name in std::iter::once(&image).chain(label.as_ref()) {
            let Some(field) = rows::field(&reader, name) else {
                scan.warnings.push(warn(format!(
                    "no column {name:?} as in the first file; the file is left out"
                )));
                break;
            };
            columns.push(field);
        }
        if columns.len() < 1 + usize::from(label.is_some()) {
            continue;
        }
        for group in 0..reader.num_row_groups() {
            let result = rows::each_row(&reader, path, group, &columns, &mut |k, row| {
                rows_seen += 1;
                if rows_seen.is_multiple_of(PROGRESS_EVERY) {
                    (control.on_progress)(rows_seen);
                }
                let at = format!("row group {group}, row {k}");
                let found =
                    found_in_row(row, dir, max_image_bytes).map(|(len, header, label, image)| {
                        Found {
                            cell: Cell {
                                file: f,
                                row_group: group,
                                row: k,
                                len,
                                header,
                                path: image,
                            },
                            label,
                            name: super::member_name(path, format_args!("{group}/{k}")),
                        }
                    });
                match found {
                    Ok(found) => scan.found.push(found),
                    Err(reason) => {
                        scan.warnings
                            .push(warn(format!("{at}: {reason}; it is left out")));
                    }
                }
                !control.cancel.load(Ordering::Relaxed)
            });
            if control.cancel.load(Ordering::Relaxed) {
                return Err(SourceError::Cancelled);
            }
            if let Err(reason) = result {
                scan.warnings.push(warn(format!(
                    "row group {group}: {reason}; the rest of the row group is not read"
                )));
            }
        }
    }
    (control.on_progress)(rows_seen);
    Ok(scan)
}

/// The image's length and header and the label of one projected row, or why the row is left out.
fn found_in_row(
    row: &parquet::record::Row,
    dir: &Path,
    max_image_bytes: u64,
) -> Result<(u64, ImageHeader, Option<i64>, Option<PathBuf>), String> {
    let mut cells = row.get_column_iter().map(|(_, field)| field);
    let image = cells.next().map(rows::image_cell).transpose()?;
    let label = cells.next().map(rows::label_cell).transpose()?.flatten();
    match image {
        Some(ImageCell::Bytes(bytes)) if bytes.len() as u64 > max_image_bytes => Err(format!(
            "the image is {} bytes, over the limit of {max_image_bytes} bytes per image (raise it with --max-file-bytes)",
            bytes.len()
        )),
        Some(ImageCell::Bytes(bytes)) => Ok((
            bytes.len() as u64,
            decode::probe_bytes(bytes).map_err(|e| e.to_string()),
            label,
            None,
        )),
        Some(ImageCell::Path(p)) => hf_features::image_file(dir, p, max_image_bytes)
            .map(|(file, len, header)| (len, header, label, Some(file))),
        Some(ImageCell::Null) | None => Err("the image is null".to_owned()),
    }
}
/// Indexes the Parquet files at `path` (a file, a folder, a glob or a brace pattern) as encoded
/// images with labels. An image over `max_record_bytes` is left out with a warning naming the limit.
pub fn open_index(
    path: &Path,
    options: &IndexOptions,
    max_record_bytes: u64,
    control: &WalkControl<'_>,
) -> Result<DatasetIndex, SourceError> {
    let inputs = shards::resolve(path, is_parquet_name, FILES)?;
    let missing: Vec<IndexWarning> = inputs
        .missing
        .iter()
        .map(|path| IndexWarning {
            path: path.clone(),
            reason: "not there: the pattern names it".to_owned(),
        })
        .collect();
    if let Some(mut index) = open_arrays(path, &inputs.files, options, control)? {
        let mut warnings = missing;
        warnings.append(&mut index.warnings);
        index.warnings = warnings;
        return Ok(index);
    }
    let Scan {
        found,
        warnings: scanned,
        columns,
        class_names,
    } = scan(&inputs.files, options, max_record_bytes, control)?;
    let mut warnings = missing;
    warnings.extend(scanned);
    let kept = hf_features::keep_rows(
        found,
        class_names,
        &mut warnings,
        (
            |c: &Cell| inputs.files[c.file].clone(),
            |c: &Cell| format!("row group {}, row {}", c.row_group, c.row),
        ),
        ("Parquet files", path),
    )?;
    let image_column = columns.map(|(image, _)| image).unwrap_or_default();
    let what = format!(
        "{} Parquet file{}",
        inputs.files.len(),
        if inputs.files.len() == 1 { "" } else { "s" }
    );
    Ok(DatasetIndex {
        root: path.to_path_buf(),
        class_names: kept.class_names,
        samples: kept.samples,
        warnings,
        notes: Vec::new(),
        labeled: kept.labeled,
        store: Store::of_images(Arc::new(ParquetImages::new(
            what,
            inputs.files,
            image_column,
            kept.cells,
        ))),
        label_values: kept.label_values,
        object_classes: None,
    })
}
