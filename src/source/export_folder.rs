//! A batchscope export folder (`images.npy`, `labels.npy`, `class_names.json`, `manifest.csv`) opened
//! as an array source, class names included, after checking that its files describe the same samples.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use crate::source::arrays::{ArraySet, open_npy};
use crate::source::rows::{ArrayError, open_file};

/// The files a batchscope export folder holds.
const EXPORT_FILES: [&str; 3] = ["images.npy", "class_names.json", "manifest.csv"];

/// Whether `dir` looks like a batchscope export (`images.npy`, `class_names.json`, `manifest.csv`).
pub fn is_export_folder(dir: &Path) -> bool {
    EXPORT_FILES.iter().all(|f| dir.join(f).is_file())
}

/// Opens a batchscope export folder: `images.npy`, `labels.npy` when labels were exported, and the
/// class names; checks that the labels and `manifest.csv` have one row per image.
pub fn open_export_folder(dir: &Path) -> Result<ArraySet, ArrayError> {
    if !is_export_folder(dir) {
        return Err(ArrayError::Unsupported {
            path: dir.to_path_buf(),
            reason: format!(
                "a folder is read as arrays only when it is a batchscope export ({})",
                EXPORT_FILES.join(", ")
            ),
        });
    }
    let images = open_npy(&dir.join("images.npy"))?;
    let rows = images.rows();
    let labels_path = dir.join("labels.npy");
    let labels = if labels_path.is_file() {
        let labels = open_npy(&labels_path)?;
        if labels.rows() != rows {
            return Err(ArrayError::Mismatch {
                path: labels_path,
                detail: format!("{} labels for {rows} images", labels.rows()),
            });
        }
        Some(("labels".to_owned(), labels))
    } else {
        None
    };
    let names_path = dir.join("class_names.json");
    let text = std::fs::read_to_string(&names_path).map_err(|source| ArrayError::Io {
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
    Ok(ArraySet {
        images,
        images_name: "images".to_owned(),
        labels,
        class_names: Some(class_names),
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
