//! CIFAR-10/100 batch files as a source of stored rows: one file, or a folder's training batches in
//! number order. A truncated batch keeps its whole records and a missing `data_batch_k` is reported,
//! both as index warnings; labels are the (fine) label bytes, class names from `batches.meta.txt`.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use super::{CifarFile, CifarKind, class_names};
use crate::index::{Column, DatasetIndex, IndexWarning, RowsLayout, Store, StoredRows};
use crate::npy::NpyDtype;
use crate::options::IndexOptions;
use crate::source::SourceError;
use crate::source::open_stored::{classes_of_values, files_in, index_of};

/// One batch file of a [`CifarStore`] and its row count.
type CifarBatch = (Mutex<CifarFile>, usize);

/// CIFAR rows over one or more batch files, in order.
pub struct CifarStore {
    layout: RowsLayout,
    files: Vec<CifarBatch>,
}

impl StoredRows for CifarStore {
    fn layout(&self) -> &RowsLayout {
        &self.layout
    }

    fn read_rows(&self, rows: Range<usize>, out: &mut [Vec<u8>]) -> Result<(), String> {
        let mut start = 0;
        for (file, n) in &self.files {
            let end = start + n;
            let (from, to) = (rows.start.max(start), rows.end.min(end));
            if from < to {
                let mut file = file.lock().unwrap_or_else(PoisonError::into_inner);
                let got = file
                    .read_rows(from - start..to - start)
                    .map_err(|e| e.to_string())?;
                out[0].extend_from_slice(&got.images_hwc);
                out[1].extend_from_slice(&got.labels);
                if let (Some(coarse), Some(buf)) = (&got.coarse_labels, out.get_mut(2)) {
                    buf.extend_from_slice(coarse);
                }
            }
            start = end;
        }
        Ok(())
    }

    fn is_random_access(&self) -> bool {
        true
    }
}

/// Opens one CIFAR batch file, or a folder of them: its `data_batch_*.bin` (the training set, in
/// number order), else `train.bin` (CIFAR-100), else its test batch. A truncated file keeps its whole
/// records, and a data batch missing among `data_batch_1.bin` to `data_batch_5.bin` is not fatal:
/// both are warnings of the index.
pub fn open_cifar(path: &Path, _options: &IndexOptions) -> Result<DatasetIndex, SourceError> {
    let mut warnings = Vec::new();
    let paths = if path.is_dir() {
        let paths = cifar_files_in(path)?;
        warnings.extend(missing_data_batches(path, &paths));
        paths
    } else {
        vec![path.to_path_buf()]
    };
    let (files, kind) = open_cifar_files(&paths, &mut warnings)?;
    let mut columns = vec![
        Column {
            name: "images".into(),
            dtype: NpyDtype::U8,
            row_shape: vec![32, 32, 3],
        },
        Column {
            name: "labels".into(),
            dtype: NpyDtype::U8,
            row_shape: Vec::new(),
        },
    ];
    if kind == CifarKind::Cifar100 {
        columns.push(Column {
            name: "coarse_labels".into(),
            dtype: NpyDtype::U8,
            row_shape: Vec::new(),
        });
    }
    let n: usize = files.iter().map(|(_, n)| n).sum();
    let names: Vec<String> = paths
        .iter()
        .map(|p| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .collect();
    let store = CifarStore {
        layout: RowsLayout {
            what: format!("the CIFAR batches {}", names.join(", ")),
            columns,
            image: Some(0),
            label: Some(1),
            array_layout: crate::options::ArrayLayout::Nhwc,
        },
        files,
    };
    // Labels: one pass over the label bytes, a few thousand rows at a time.
    let mut labels = Vec::with_capacity(n);
    let mut start = 0;
    while start < n {
        let end = (start + 4096).min(n);
        let mut out = vec![Vec::new(); store.layout.columns.len()];
        store
            .read_rows(start..end, &mut out)
            .map_err(|reason| SourceError::Unusable {
                reason,
                path: path.to_path_buf(),
            })?;
        labels.extend(out[1].iter().map(|&l| i64::from(l)));
        start = end;
    }
    let class_names = class_names(&paths[0], kind);
    let classes = classes_of_values(&labels, class_names.as_deref());
    let starts: Vec<(usize, String)> = {
        let mut at = 0;
        store
            .files
            .iter()
            .zip(&names)
            .map(|((_, n), name)| {
                let s = (at, name.clone());
                at += n;
                s
            })
            .collect()
    };
    let rel = |row: usize| {
        let (start, name) = starts
            .iter()
            .rev()
            .find(|(s, _)| *s <= row)
            .cloned()
            .unwrap_or((0, String::new()));
        PathBuf::from(format!("{name}#{}", row - start))
    };
    let root = if path.is_dir() {
        path.to_path_buf()
    } else {
        path.parent().unwrap_or(Path::new("")).to_path_buf()
    };
    let mut index = index_of(
        &root,
        n,
        rel,
        Some(classes),
        Store::of_rows(Arc::new(store)),
    );
    index.warnings = warnings;
    Ok(index)
}

/// Opens the CIFAR files `paths` with their row counts, and the kind of the first; a truncated file
/// keeps its whole records, with a warning saying what was cut.
fn open_cifar_files(
    paths: &[PathBuf],
    warnings: &mut Vec<IndexWarning>,
) -> Result<(Vec<CifarBatch>, CifarKind), SourceError> {
    let mut files = Vec::new();
    let mut kind = None;
    for p in paths {
        let (file, cut) = CifarFile::open_keeping_whole_records(p, None)?;
        if cut.bytes > 0 || file.rows() == 0 {
            warnings.push(IndexWarning {
                path: p.clone(),
                reason: format!("truncated: {}", cut.describe(file.kind())),
            });
        }
        kind.get_or_insert(file.kind());
        let n = file.rows();
        files.push((Mutex::new(file), n));
    }
    Ok((files, kind.unwrap_or(CifarKind::Cifar10)))
}

/// CIFAR-10's training set is `data_batch_1.bin` to `data_batch_5.bin`: when some are in the folder,
/// a warning for each of the others, naming the file expected.
fn missing_data_batches(dir: &Path, found: &[PathBuf]) -> Vec<IndexWarning> {
    let is_data_batch = |p: &PathBuf| {
        p.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("data_batch_"))
    };
    if !found.iter().any(is_data_batch) {
        return Vec::new();
    }
    (1..=5)
        .map(|k| dir.join(format!("data_batch_{k}.bin")))
        .filter(|p| !found.contains(p))
        .map(|path| IndexWarning {
            path,
            reason: "missing: CIFAR-10's training set has data_batch_1.bin to data_batch_5.bin"
                .to_owned(),
        })
        .collect()
}

fn cifar_files_in(dir: &Path) -> Result<Vec<PathBuf>, SourceError> {
    let mut all = files_in(dir, |p| CifarKind::from_name(p).is_some())?;
    all.sort_by_key(|p| {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let number: u64 = name
            .chars()
            .filter(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .unwrap_or(0);
        (name.starts_with("test"), name.chars().next(), number)
    });
    let data: Vec<PathBuf> = all
        .iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("data_batch") || n == "train.bin")
        })
        .cloned()
        .collect();
    if !data.is_empty() {
        return Ok(data);
    }
    all.into_iter()
        .next()
        .map(|p| vec![p])
        .ok_or_else(|| SourceError::Unusable {
            reason: "no CIFAR batch file (data_batch_*.bin, test_batch.bin, train.bin, test.bin)"
                .into(),
            path: dir.to_path_buf(),
        })
}
