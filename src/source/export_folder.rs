//! A batchscope export folder (`manifest.csv`, `class_names.json` and one `.npy` per column: `images.npy`
//! and `labels.npy`, or a saved dataset's `image.npy`, `label.npy`, `meta_w.npy`, `component_0.npy`, a
//! CIFAR-100 export's `coarse_labels.npy`, ...) opened as an array source. Every `.npy` is a column, so
//! that re-exporting the folder gives back the same files; the class names are kept; every column and
//! the manifest must describe the same samples. An export written with `--format npz` holds its
//! columns as the members of one `arrays.npz` instead, read the same way.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use crate::index::RowImage;
use crate::source::arrays::{ArrayPick, ArraySet, LabelsPick, arrays_listing, open_npy, open_npz};
use crate::source::rows::{ArrayError, RowReader, open_file};

/// The files every batchscope export folder holds, besides its `.npy` columns.
const EXPORT_FILES: [&str; 2] = ["class_names.json", "manifest.csv"];

/// The archive an export written with `--format npz` holds its columns in.
const NPZ_NAME: &str = "arrays.npz";

/// Label column file names, in order of preference.
const LABEL_NAMES: [&str; 2] = ["labels", "label"];

/// Whether `dir` looks like a batchscope export: `manifest.csv`, `class_names.json` and at least one
/// `.npy`, or `arrays.npz`.
pub fn is_export_folder(dir: &Path) -> bool {
    EXPORT_FILES.iter().all(|f| dir.join(f).is_file())
        && (npy_files(dir).is_ok_and(|f| !f.is_empty()) || dir.join(NPZ_NAME).is_file())
}

/// The `.npy` files of `dir` with their names (without `.npy`), in name order; shard files
/// (`images-00000-of-00004.npy`, kept beside a merged export by `merge --keep-shards`) are not columns.
fn npy_files(dir: &Path) -> Result<Vec<(String, PathBuf)>, ArrayError> {
    let entries = std::fs::read_dir(dir).map_err(|source| ArrayError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut files: Vec<(String, PathBuf)> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter_map(|p| {
            let file_name = p.file_name()?.to_str()?;
            if crate::plan::shard::is_shard_file_name(file_name) {
                return None;
            }
            let name = file_name.strip_suffix(".npy")?.to_owned();
            Some((name, p))
        })
        .collect();
    files.sort();
    Ok(files)
}

/// Opens a batchscope export folder: every `.npy` as a column (the images: `images.npy`, else the
/// one named by `pick`, else the first of an image's shape, else the first by name; the labels:
/// `labels.npy` or `label.npy` unless `pick` says otherwise; the rest in name order) and the class
/// names; checks that every column and `manifest.csv` have one row per image.
pub fn open_export_folder(dir: &Path, pick: &ArrayPick) -> Result<ArraySet, ArrayError> {
    if !is_export_folder(dir) {
        return Err(ArrayError::Unsupported {
            path: dir.to_path_buf(),
            reason: format!(
                "a folder is read as arrays only when it is a batchscope export ({} and .npy files or arrays.npz)",
                EXPORT_FILES.join(", ")
            ),
        });
    }
    let mut columns: Vec<(String, RowReader)> = Vec::new();
    for (name, path) in npy_files(dir)? {
        columns.push((name, open_npy(&path)?));
    }
    if columns.is_empty() {
        // `--format npz`: the same columns, as members of arrays.npz, in name order too.
        columns = open_npz(&dir.join(NPZ_NAME))?;
        columns.sort_by(|a, b| a.0.cmp(&b.0));
    }
    let find = |name: &str| columns.iter().position(|(n, _)| n == name);
    let no_such = |name: &String| ArrayError::NoSuchArray {
        path: dir.to_path_buf(),
        name: name.clone(),
        arrays: arrays_listing(&columns),
    };
    let labels_at = match &pick.labels {
        LabelsPick::Off => None,
        LabelsPick::Named(name) => Some(find(name).ok_or_else(|| no_such(name))?),
        LabelsPick::Auto => LABEL_NAMES.iter().find_map(|n| find(n)),
    };
    let images_at = match &pick.images {
        Some(name) => find(name).ok_or_else(|| no_such(name))?,
        None => find("images")
            .or_else(|| {
                let image =
                    |r: &RowReader| RowImage::of(r.shape().get(1..).unwrap_or(&[]), pick.layout);
                (0..columns.len()).find(|&i| Some(i) != labels_at && image(&columns[i].1).is_some())
            })
            .or_else(|| (0..columns.len()).find(|&i| Some(i) != labels_at))
            .unwrap_or(0),
    };
    let labels_at = labels_at.filter(|&at| at != images_at);
    let rows = columns[images_at].1.rows();
    for (i, (_, reader)) in columns.iter().enumerate() {
        if reader.rows() != rows {
            let what = if Some(i) == labels_at {
                "labels"
            } else {
                "rows"
            };
            return Err(ArrayError::Mismatch {
                path: reader.path().to_path_buf(),
                detail: format!("{} {what} for {rows} images", reader.rows()),
            });
        }
    }
    let names_path = dir.join("class_names.json");
    let text = crate::decode::read_file(&names_path)
        .and_then(|b| String::from_utf8(b).map_err(std::io::Error::other))
        .map_err(|source| ArrayError::Io {
            path: names_path.clone(),
            source,
        })?;
    let class_names: Vec<String> =
        serde_json::from_str(&text).map_err(|e| ArrayError::Unsupported {
            path: names_path.clone(),
            reason: format!("not a JSON list of class names ({e})"),
        })?;
    let manifest_path = dir.join("manifest.csv");
    let manifest_rows = count_csv_records(&manifest_path)?;
    if manifest_rows != rows {
        return Err(ArrayError::Mismatch {
            path: manifest_path,
            detail: format!("{manifest_rows} manifest rows for {rows} images"),
        });
    }
    // Take the images and labels out, keeping the others in name order.
    let mut images = None;
    let mut labels = None;
    let mut others = Vec::new();
    for (i, column) in columns.into_iter().enumerate() {
        if i == images_at {
            images = Some(column);
        } else if Some(i) == labels_at {
            labels = Some(column);
        } else {
            others.push(column);
        }
    }
    let (images_name, images) = images.ok_or_else(|| ArrayError::Unsupported {
        path: dir.to_path_buf(),
        reason: "no .npy file".to_owned(),
    })?;
    Ok(ArraySet {
        images,
        images_name,
        labels,
        others,
        keep_names: true,
        class_names: Some(class_names),
        skipped: Vec::new(),
    })
}

/// Records after the header line of a CSV file (quoted fields may hold newlines).
fn count_csv_records(path: &Path) -> Result<usize, ArrayError> {
    let file: File = open_file(path)?;
    let mut reader = csv::Reader::from_reader(BufReader::new(file));
    let mut count = 0;
    for record in reader.records() {
        record.map_err(|e| ArrayError::Unsupported {
            path: path.to_path_buf(),
            reason: format!("unreadable manifest ({e})"),
        })?;
        count += 1;
    }
    Ok(count)
}
