//! TFRecord files as a dataset source: an index of record offsets built in one pass that checks both
//! CRCs of every record, reads of single records by that index, and the `tf.train.Example` payload.
//!
//! Guarantees:
//! - Every record of the index passed its length CRC and its data CRC when the index was built, and
//!   is checked again when read. A bad record is a [`RecordProblem`] value (file, record index, reason),
//!   never a panic and never a silent drop: a record with a bad data CRC is skipped and the scan goes
//!   on; a bad length CRC, a truncated tail or an unreadable stream stop that file's scan, keeping the
//!   records before it.
//! - Files may be whole-file GZIP or ZLIB streams (TensorFlow's `TFRecordOptions`), detected by
//!   content unless told. Uncompressed records are random access (a seek to their byte offset);
//!   compressed ones can only be reached by decompressing from the start of their file, so read them
//!   in index order with one [`RecordReader`], which then decompresses each file once.
//! - An input is one file, a folder, or a file-name pattern (`dir/train-*`); shards named
//!   `NAME-0000i-of-0000N` whose siblings are missing are reported with their index.
//!
//! [`images`] turns an index into a dataset source (encoded images and labels).

mod detection;
mod example;
mod file_set;
pub(crate) mod framing;
pub mod images;
mod label_map;
mod large_record;
pub mod objects;

use std::borrow::Borrow;
use std::fmt;
use std::io::{self, Read as _, Seek as _, SeekFrom};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

pub use example::{
    BytesList, Example, ExampleError, Feature, FeatureKeys, Features, FloatList, IMAGE_KEYS,
    ImageAndLabel, Int64List, Kind, LABEL_KEYS, image_and_label, image_of, label_of, parse_example,
};
pub use file_set::MissingShard;
pub use framing::{mask, masked_crc};
pub use large_record::{LargeExample, Sizes, read_large_example};

use framing::{FOOTER_BYTES, HEADER_BYTES, Kept, Scanned, Scanner};

/// How a TFRecord file is compressed as a whole (`tf.io.TFRecordOptions(compression_type=..)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Compression {
    /// Plain records (TensorFlow's `""`).
    None,
    /// One gzip stream (`"GZIP"`).
    Gzip,
    /// One zlib stream (`"ZLIB"`).
    Zlib,
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zlib => "zlib",
        })
    }
}

/// One file of an index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordFile {
    /// The file as found (joined to the input path).
    pub path: PathBuf,
    /// How it was read: as told, or as detected from its first bytes.
    pub compression: Compression,
}

/// Where one good record is: its data is `len` bytes at `offset` of its file's (decompressed) stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordRef {
    /// Index into [`RecordIndex::files`].
    pub file: usize,
    /// Its position among all records of its file, bad ones included (0-based).
    pub record_in_file: u64,
    /// Byte offset of the data (after the 12-byte header) in the decompressed stream.
    pub offset: u64,
    /// Data length in bytes.
    pub len: u64,
}

/// What is wrong with a record or a file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProblemReason {
    /// The file ends inside the record.
    #[error("truncated: the record needs {expected_bytes} bytes, the file has {found_bytes} left")]
    Truncated {
        expected_bytes: u64,
        found_bytes: u64,
    },
    /// The length's CRC is wrong, so the length and everything after it cannot be trusted.
    #[error("the record's length fails its CRC")]
    BadLengthCrc,
    /// The data's CRC is wrong: the record's bytes are corrupt.
    #[error("the record's data fails its CRC")]
    BadDataCrc,
    /// The file or its compressed stream could not be read.
    #[error("unreadable: {0}")]
    Unreadable(String),
    /// A shard of a `-of-N` set is not there.
    #[error("shard {index} of a set of {count} is missing")]
    MissingShard { index: u64, count: u64 },
}

/// A bad record, or a missing or unreadable file, found while indexing or reading.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{reason} in {path:?}", record.map(|k| format!("record {k}: ")).unwrap_or_default())]
pub struct RecordProblem {
    /// The file (for a missing shard, where it would be).
    pub path: PathBuf,
    /// The record's position in its file (0-based), when the problem is one record's.
    pub record: Option<u64>,
    /// Byte offset of the record's header in the decompressed stream, when known.
    pub offset: Option<u64>,
    /// What is wrong.
    pub reason: ProblemReason,
}

/// Errors that stop indexing or reading as a whole.
#[derive(Debug, thiserror::Error)]
pub enum TfRecordError {
    /// The input path (or a folder's listing) cannot be read.
    #[error("cannot read {path:?}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error(
        "no TFRecord files (shards named NAME-0000i-of-0000N, or *.tfrecord, *.tfrecords, *.tfrec) at {path:?}"
    )]
    /// The input names no TFRecord file.
    NoFiles { path: PathBuf },
    #[error("the folder holds several shard sets ({}); pass one as a pattern, such as {:?}", sets.join(", "), path.join(&sets[0]))]
    /// A folder holds several shard sets (say train and test): which one is meant?
    AmbiguousShards { sets: Vec<String>, path: PathBuf },
    #[error("record {k} is out of range: the index holds {count} records")]
    /// A record index past the end of the index.
    OutOfRange { k: usize, count: usize },
    /// The record no longer reads as it did when indexed (the file changed).
    #[error(transparent)]
    Record(#[from] RecordProblem),
}

/// The good records of a TFRecord input, in reading order (files in name order, records in file
/// order), and what was wrong with the rest.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordIndex {
    /// The files that could be opened, in reading order.
    pub files: Vec<RecordFile>,
    /// The good records, in reading order; `k` in [`read_record`] indexes this.
    pub records: Vec<RecordRef>,
    /// Missing shards first, then each file's bad records and unreadable files, in reading order.
    pub problems: Vec<RecordProblem>,
}

/// Indexes the TFRecords at `path` (a file, a folder, or a file-name pattern such as `dir/train-*`),
/// reading every file once. `compression` overrides detection by content for all files.
pub fn index(path: &Path, compression: Option<Compression>) -> Result<RecordIndex, TfRecordError> {
    index_visiting(path, compression, 0, &mut |_, _| ControlFlow::Continue(()))
}

/// What [`index_visiting`] calls with each good record and its data (if kept); breaking stops it.
pub type RecordVisitor<'a> = dyn FnMut(&RecordRef, Option<Kept>) -> ControlFlow<()> + 'a;

/// [`index`], handing each good record to `visit` as it is found, with its data when it is at most
/// `keep_up_to` bytes (`None` past that; 0 keeps none), so the records can be parsed in the same
/// pass: whole up to [`framing::WHOLE_RECORD_BYTES`], or what [`Kept::Large`] keeps of a longer one. When `visit` breaks, indexing stops and returns what it has indexed so far (the caller
/// knows why).
pub fn index_visiting(
    path: &Path,
    compression: Option<Compression>,
    keep_up_to: u64,
    visit: &mut RecordVisitor<'_>,
) -> Result<RecordIndex, TfRecordError> {
    let inputs = file_set::resolve(path)?;
    let mut index = RecordIndex::default();
    index
        .problems
        .extend(inputs.missing.into_iter().map(|m| RecordProblem {
            path: m.path,
            record: None,
            offset: None,
            reason: ProblemReason::MissingShard {
                index: m.index,
                count: m.count,
            },
        }));
    for path in inputs.files {
        let unreadable = |e: io::Error| RecordProblem {
            path: path.clone(),
            record: None,
            offset: None,
            reason: ProblemReason::Unreadable(e.to_string()),
        };
        let compression = match compression.map_or_else(|| framing::detect_file(&path), Ok) {
            Ok(c) => c,
            Err(e) => {
                index.problems.push(unreadable(e));
                continue;
            }
        };
        let stream = match framing::open(&path, compression) {
            Ok(s) => s,
            Err(e) => {
                index.problems.push(unreadable(e));
                continue;
            }
        };
        let file = index.files.len();
        let scanner = if keep_up_to > 0 {
            Scanner::keeping_data(stream, keep_up_to)
        } else {
            Scanner::new(stream)
        };
        let mut stopped = false;
        for (k, scanned) in (0u64..).zip(scanner) {
            let problem = |offset, reason| RecordProblem {
                path: path.clone(),
                record: Some(k),
                offset: Some(offset),
                reason,
            };
            match scanned {
                Scanned::Good { offset, len, data } => {
                    let record = RecordRef {
                        file,
                        record_in_file: k,
                        offset,
                        len,
                    };
                    index.records.push(record);
                    if visit(&record, data).is_break() {
                        stopped = true;
                        break;
                    }
                }
                Scanned::BadData { offset, .. } => index
                    .problems
                    .push(problem(offset - HEADER_BYTES, ProblemReason::BadDataCrc)),
                Scanned::Stop { offset, reason } => index.problems.push(problem(offset, reason)),
            }
        }
        index.files.push(RecordFile { path, compression });
        if stopped {
            break;
        }
    }
    Ok(index)
}

/// Reads record `k` of `index` (see [`RecordReader`] to read many).
pub fn read_record(index: &RecordIndex, k: usize) -> Result<Vec<u8>, TfRecordError> {
    RecordReader::new(index).read(k)
}

/// Reads records of an index, keeping the current file open: reading in index order decompresses
/// each compressed file once; going back in a compressed file starts it again. `I` is `&RecordIndex`,
/// or an owned handle (`Arc<RecordIndex>`) for a reader kept beside its index.
pub struct RecordReader<I> {
    index: I,
    open: Option<OpenFile>,
}

struct OpenFile {
    file: usize,
    stream: Stream,
    /// Position of `stream` in the decompressed bytes.
    position: u64,
}

/// Plain files are read by seeking; compressed ones only forward.
enum Stream {
    Plain(std::fs::File),
    Compressed(Box<dyn io::Read + Send>),
}

impl<I: Borrow<RecordIndex>> RecordReader<I> {
    /// A reader of `index`'s records.
    pub fn new(index: I) -> Self {
        Self { index, open: None }
    }

    /// The index read.
    pub fn index(&self) -> &RecordIndex {
        self.index.borrow()
    }

    /// The data of record `k`, its CRC checked again.
    pub fn read(&mut self, k: usize) -> Result<Vec<u8>, TfRecordError> {
        let index: &RecordIndex = self.index.borrow();
        let count = index.records.len();
        let record = *index
            .records
            .get(k)
            .ok_or(TfRecordError::OutOfRange { k, count })?;
        let file = &index.files[record.file];
        let io_error = |source| TfRecordError::Io {
            path: file.path.clone(),
            source,
        };
        // The open file is taken out and put back only after a good read, so a failed read reopens.
        let mut open = match self.open.take() {
            Some(open)
                if open.file == record.file
                    && (matches!(open.stream, Stream::Plain(_))
                        || open.position <= record.offset) =>
            {
                open
            }
            _ => OpenFile {
                file: record.file,
                stream: match file.compression {
                    Compression::None => {
                        Stream::Plain(crate::decode::open_file(&file.path).map_err(io_error)?)
                    }
                    compression => Stream::Compressed(
                        framing::open(&file.path, compression).map_err(io_error)?,
                    ),
                },
                position: 0,
            },
        };
        let data = match &mut open.stream {
            Stream::Plain(f) => {
                f.seek(SeekFrom::Start(record.offset)).map_err(io_error)?;
                framing::read_data(
                    &mut io::BufReader::new(f.by_ref().take(record.len + FOOTER_BYTES)),
                    record.len,
                )
            }
            Stream::Compressed(s) => {
                let skip = record.offset - open.position;
                let skipped = crate::decode::skip_bytes(s, skip).map_err(io_error)?;
                if skipped < skip {
                    Err(ProblemReason::Truncated {
                        expected_bytes: skip,
                        found_bytes: skipped,
                    })
                } else {
                    framing::read_data(s, record.len)
                }
            }
        }
        .map_err(|reason| RecordProblem {
            path: file.path.clone(),
            record: Some(record.record_in_file),
            offset: Some(record.offset - HEADER_BYTES),
            reason,
        })?;
        open.position = record.offset + record.len + FOOTER_BYTES;
        self.open = Some(open);
        Ok(data)
    }
}

/// Whether `path` starts like a TFRecord file: a first record whose length passes its CRC, or a
/// gzip/zlib stream whose name says TFRecord (`.tfrecord`, `.tfrecords`, `.tfrec`, `-of-`).
pub fn looks_like_tfrecord(path: &Path) -> bool {
    let mut head = [0u8; 12];
    let Ok(mut file) = crate::decode::open_file(path) else {
        return false;
    };
    let n = framing::read_full(&mut file, &mut head).unwrap_or(0);
    if n == 12
        && masked_crc(&head[..8]) == u32::from_le_bytes([head[8], head[9], head[10], head[11]])
    {
        return true;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let named = name.contains(".tfrec") || name.contains("-of-");
    named && framing::detect(&head[..n]) != Compression::None
}
