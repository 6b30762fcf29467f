//! CIFAR-10 and CIFAR-100 binary batches (`data_batch_*.bin`, `test_batch.bin`; `train.bin`, `test.bin`).
//!
//! A record is the label byte(s) (CIFAR-10: the label; CIFAR-100: coarse, then fine) and 3072 pixel bytes
//! stored planar (1024 red, 1024 green, 1024 blue, each 32x32 row-major). Rows come out as `uint8`
//! images `(32, 32, 3)` in HWC order, as Keras's `cifar10.load_data` gives them, and `uint8` labels.
//! Records are read by seeking, only those asked for.

pub mod store;

use std::fs::File;
use std::io::{Read as _, Seek as _, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::source::rows::{ArrayError, open_file};

/// Pixels per channel plane.
const PLANE: usize = 32 * 32;
/// Pixel bytes per record.
const PIXELS: usize = 3 * PLANE;

/// Which CIFAR layout a file has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CifarKind {
    /// One label byte per record.
    Cifar10,
    /// A coarse and a fine label byte per record.
    Cifar100,
}

impl CifarKind {
    /// Label bytes per record.
    pub fn label_bytes(self) -> usize {
        match self {
            Self::Cifar10 => 1,
            Self::Cifar100 => 2,
        }
    }

    /// Bytes per record.
    pub fn record_bytes(self) -> usize {
        self.label_bytes() + PIXELS
    }

    /// The kind a file name says (`data_batch_*.bin`, `test_batch.bin` → 10; `train.bin`, `test.bin` → 100).
    pub fn from_name(path: &Path) -> Option<Self> {
        let name = path.file_name()?.to_str()?;
        let is_bin = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("bin"));
        if name == "test_batch.bin" || (name.starts_with("data_batch_") && is_bin) {
            Some(Self::Cifar10)
        } else if name == "train.bin" || name == "test.bin" {
            Some(Self::Cifar100)
        } else {
            None
        }
    }
}

/// Some records of a CIFAR file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CifarRows {
    /// `rows x 32 x 32 x 3` bytes, HWC.
    pub images_hwc: Vec<u8>,
    /// One label per row (CIFAR-100: the fine label).
    pub labels: Vec<u8>,
    /// CIFAR-100's coarse labels.
    pub coarse_labels: Option<Vec<u8>>,
}

/// The size of a CIFAR file against its records: how many bytes at its end are not a whole record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cut {
    /// The file's size.
    pub file_bytes: u64,
    /// Bytes after the last whole record (left out).
    pub bytes: u64,
}

impl Cut {
    /// What the file holds, for a warning or an error: `60960 bytes is not a whole number of
    /// 3073-byte Cifar10 records: 19 whole records kept, the last 2573 bytes (part of record 20) left out`.
    pub fn describe(&self, kind: CifarKind) -> String {
        let record = kind.record_bytes() as u64;
        let whole = self.file_bytes / record;
        if self.file_bytes == 0 {
            return "the file is empty".to_owned();
        }
        if self.bytes == 0 {
            return format!("{whole} whole {record}-byte {kind:?} records");
        }
        format!(
            "{} bytes is not a whole number of {record}-byte {kind:?} records: {whole} whole records kept, the last {} bytes (part of record {}) left out",
            self.file_bytes,
            self.bytes,
            whole + 1
        )
    }
}

/// One CIFAR binary batch file.
#[derive(Debug)]
pub struct CifarFile {
    path: PathBuf,
    file: File,
    kind: CifarKind,
    rows: usize,
}

impl CifarFile {
    /// Opens `path`, of `kind` if given, else the kind its name says, else the one its size fits; a
    /// file that is not a whole number of records is an error (see [`Self::open_keeping_whole_records`]).
    pub fn open(path: &Path, kind: Option<CifarKind>) -> Result<Self, ArrayError> {
        let (file, cut) = Self::open_keeping_whole_records(path, kind)?;
        if cut.bytes > 0 || file.rows == 0 {
            return Err(ArrayError::SizeMismatch {
                path: path.to_path_buf(),
                detail: cut.describe(file.kind),
            });
        }
        Ok(file)
    }

    /// Like [`Self::open`], but a truncated file (the tail of a download cut short) keeps its whole
    /// records: the file and what was cut from its end, for the caller to report.
    pub fn open_keeping_whole_records(
        path: &Path,
        kind: Option<CifarKind>,
    ) -> Result<(Self, Cut), ArrayError> {
        let file = open_file(path)?;
        let len = file
            .metadata()
            .map_err(|source| ArrayError::Io {
                path: path.to_path_buf(),
                source,
            })?
            .len() as usize;
        let fits = |k: CifarKind| len > 0 && len.is_multiple_of(k.record_bytes());
        let kind = match kind.or_else(|| CifarKind::from_name(path)) {
            Some(kind) => kind,
            None => match (fits(CifarKind::Cifar10), fits(CifarKind::Cifar100)) {
                (true, false) => CifarKind::Cifar10,
                (false, true) => CifarKind::Cifar100,
                _ => {
                    return Err(ArrayError::Unsupported {
                        path: path.to_path_buf(),
                        reason: format!(
                            "cannot tell CIFAR-10 from CIFAR-100 by name or by size ({len} bytes)"
                        ),
                    });
                }
            },
        };
        let cut = Cut {
            file_bytes: len as u64,
            bytes: (len % kind.record_bytes()) as u64,
        };
        Ok((
            Self {
                path: path.to_path_buf(),
                file,
                kind,
                rows: len / kind.record_bytes(),
            },
            cut,
        ))
    }

    /// The layout.
    pub fn kind(&self) -> CifarKind {
        self.kind
    }

    /// Number of records.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The shape of one image, HWC.
    pub fn image_shape(&self) -> [usize; 3] {
        [32, 32, 3]
    }

    /// Reads records `range`, converting the planar pixels to HWC.
    pub fn read_rows(&mut self, range: Range<usize>) -> Result<CifarRows, ArrayError> {
        if range.start > range.end || range.end > self.rows {
            return Err(ArrayError::OutOfRange {
                path: self.path.clone(),
                range,
                rows: self.rows,
            });
        }
        let record = self.kind.record_bytes();
        let mut raw = vec![0u8; range.len() * record];
        self.file
            .seek(SeekFrom::Start((range.start * record) as u64))
            .and_then(|_| self.file.read_exact(&mut raw))
            .map_err(|source| ArrayError::Io {
                path: self.path.clone(),
                source,
            })?;
        let mut out = CifarRows {
            images_hwc: Vec::with_capacity(range.len() * PIXELS),
            labels: Vec::with_capacity(range.len()),
            coarse_labels: (self.kind == CifarKind::Cifar100)
                .then(|| Vec::with_capacity(range.len())),
        };
        for rec in raw.chunks_exact(record) {
            let (labels, planes) = rec.split_at(self.kind.label_bytes());
            if let Some(coarse) = &mut out.coarse_labels {
                coarse.push(labels[0]);
            }
            out.labels.push(labels[labels.len() - 1]);
            for i in 0..PLANE {
                out.images_hwc.extend_from_slice(&[
                    planes[i],
                    planes[PLANE + i],
                    planes[2 * PLANE + i],
                ]);
            }
        }
        Ok(out)
    }
}

/// Class names from the text file beside a CIFAR batch (`batches.meta.txt` for CIFAR-10,
/// `fine_label_names.txt` for CIFAR-100), one per non-empty line; `None` when it is not there.
pub fn class_names(batch: &Path, kind: CifarKind) -> Option<Vec<String>> {
    let file = match kind {
        CifarKind::Cifar10 => "batches.meta.txt",
        CifarKind::Cifar100 => "fine_label_names.txt",
    };
    let bytes = crate::decode::read_file(&batch.with_file_name(file)).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    Some(
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
    )
}
