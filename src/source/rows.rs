//! Row access to one stored array (a `.npy` file, an `.npz` member, an IDX file), shared by the array
//! sources, and the errors they report.
//!
//! Rows are read on demand, never the whole file: an uncompressed array is read by seeking to the rows
//! asked for and reading only those bytes (no memory map: the crate forbids `unsafe`). A compressed array
//! (a deflated `.npz` member, a gzipped IDX file) cannot be sought in, so it is decompressed as a stream:
//! reading rows in increasing order costs one pass in total, and going back restarts the stream from the
//! start of the array. Whatever the stored byte order, rows come out little-endian, as `.npy` files are
//! written.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek as _, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::npy::{ByteOrder, NpyDtype, NpyHeaderError, dtype_name, shape_repr};

/// Why an array source cannot be opened or read. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum ArrayError {
    /// The file could not be opened or read.
    #[error("{source}: {path:?}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// The data ends before the header says it should.
    #[error("truncated: {detail}: {path:?}")]
    Truncated {
        /// The file.
        path: PathBuf,
        /// What was missing.
        detail: String,
    },
    /// The file does not start the way its format requires.
    #[error("bad magic number ({detail}): {path:?}")]
    BadMagic {
        /// The file.
        path: PathBuf,
        /// What was expected and found.
        detail: String,
    },
    /// A `.npy` header (of a file or an `.npz` member) could not be used.
    #[error("{source}: {path:?}")]
    NpyHeader {
        /// The file (for an `.npz` member, `archive.npz/member.npy`).
        path: PathBuf,
        /// The cause.
        source: NpyHeaderError,
    },
    /// The file holds something batchscope does not read (Fortran order, an unknown IDX type, ...).
    #[error("unsupported: {reason}: {path:?}")]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// What is not supported.
        reason: String,
    },
    /// The file's size does not match what its header describes.
    #[error("size mismatch: {detail}: {path:?}")]
    SizeMismatch {
        /// The file.
        path: PathBuf,
        /// The sizes.
        detail: String,
    },
    /// An `.npz` member's bytes do not match the CRC-32 its zip entry records: the archive is damaged
    /// (numpy refuses it with `BadZipFile`).
    #[error(
        "the member's bytes fail its zip CRC-32 (stored {stored:#010x}, computed {computed:#010x}): the archive is damaged: {path:?}"
    )]
    Checksum {
        /// The member (`archive.npz/member.npy`).
        path: PathBuf,
        /// The CRC-32 the zip entry records.
        stored: u32,
        /// The CRC-32 of the member's bytes.
        computed: u32,
    },
    /// The zip container of an `.npz` file could not be read.
    #[error("not a readable .npz (zip) archive ({source}): {path:?}")]
    Zip {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: zip::result::ZipError,
    },
    /// No array has the shape of images (`(N, H, W)` or `(N, H, W, C)`).
    #[error("no image array (ndim 3 or 4) among {}: {path:?}", list_or_none(.arrays))]
    NoImageArray {
        /// The file.
        path: PathBuf,
        /// The arrays present, as `name (shape dtype)`.
        arrays: Vec<String>,
    },
    /// An array asked for by name is not there.
    #[error("no array named {name:?} among {}: {path:?}", list_or_none(.arrays))]
    NoSuchArray {
        /// The file.
        path: PathBuf,
        /// The name asked for.
        name: String,
        /// The arrays present, as `name (shape dtype)`.
        arrays: Vec<String>,
    },
    /// Images and labels (or a class list) do not describe the same samples.
    #[error("{detail}: {path:?}")]
    Mismatch {
        /// The file or folder.
        path: PathBuf,
        /// The counts that differ.
        detail: String,
    },
    /// Rows past the end of the array were asked for.
    #[error("rows {}..{} asked of an array of {rows} rows: {path:?}", .range.start, .range.end)]
    OutOfRange {
        /// The file.
        path: PathBuf,
        /// The rows asked for.
        range: Range<usize>,
        /// The rows there are.
        rows: usize,
    },
}

fn list_or_none(arrays: &[String]) -> String {
    if arrays.is_empty() {
        "no arrays".to_owned()
    } else {
        arrays.join(", ")
    }
}

/// How the stored bytes are reached.
enum Body {
    /// Uncompressed: the elements start at `data_offset` in `file`.
    Seek { file: File, data_offset: u64 },
    /// Compressed: the elements start `skip` bytes into the decompressed stream that `open` starts.
    Stream {
        open: Box<dyn Fn() -> io::Result<Box<dyn Read + Send>> + Send>,
        skip: u64,
        /// The open stream and the row it is at.
        current: Option<(Box<dyn Read + Send>, usize)>,
    },
}

/// One array of `shape[0]` rows, read row range by row range.
pub struct RowReader {
    path: PathBuf,
    dtype: NpyDtype,
    byte_order: ByteOrder,
    shape: Vec<usize>,
    body: Body,
}

impl std::fmt::Debug for RowReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowReader")
            .field("path", &self.path)
            .field("dtype", &self.dtype)
            .field("shape", &self.shape)
            .finish_non_exhaustive()
    }
}

/// Compares the bytes stored after a header with the `expected` bytes it describes: fewer is a
/// truncation, more a size mismatch; `detail` says both for the user.
pub(crate) fn check_stored_len(
    path: &Path,
    expected: u64,
    stored: u64,
    detail: String,
) -> Result<(), ArrayError> {
    match stored.cmp(&expected) {
        std::cmp::Ordering::Equal => Ok(()),
        std::cmp::Ordering::Less => Err(ArrayError::Truncated {
            path: path.to_path_buf(),
            detail,
        }),
        std::cmp::Ordering::Greater => Err(ArrayError::SizeMismatch {
            path: path.to_path_buf(),
            detail,
        }),
    }
}

impl RowReader {
    /// An uncompressed array whose elements start at `data_offset` in the file at `path`.
    pub(crate) fn seekable(
        path: &Path,
        file: File,
        data_offset: u64,
        dtype: NpyDtype,
        byte_order: ByteOrder,
        shape: Vec<usize>,
    ) -> Self {
        Self {
            path: path.to_path_buf(),
            dtype,
            byte_order,
            shape,
            body: Body::Seek { file, data_offset },
        }
    }

    /// A compressed array: `open` starts the decompressed stream, whose elements start at `skip`.
    pub(crate) fn streamed(
        path: &Path,
        open: Box<dyn Fn() -> io::Result<Box<dyn Read + Send>> + Send>,
        skip: u64,
        dtype: NpyDtype,
        byte_order: ByteOrder,
        shape: Vec<usize>,
    ) -> Self {
        Self {
            path: path.to_path_buf(),
            dtype,
            byte_order,
            shape,
            body: Body::Stream {
                open,
                skip,
                current: None,
            },
        }
    }

    /// The file the rows come from (`archive.npz/member.npy` for an `.npz` member).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Element type, as stored (the bytes [`Self::read_rows`] returns are little-endian whatever the file's order).
    pub fn dtype(&self) -> NpyDtype {
        self.dtype
    }

    /// The whole array's shape, rows first.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Number of rows (the first axis; 1 for a scalar).
    pub fn rows(&self) -> usize {
        self.shape.first().copied().unwrap_or(1)
    }

    /// Elements in one row (saturating: an array of zero rows may claim absurd rows).
    pub fn row_len(&self) -> usize {
        self.shape
            .iter()
            .skip(1)
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
            .unwrap_or(usize::MAX)
    }

    /// Bytes in one row (saturating, like [`Self::row_len`]).
    pub fn row_bytes(&self) -> usize {
        self.row_len().saturating_mul(self.dtype.size())
    }

    /// Whether rows can be reached without decompressing the ones before them.
    pub fn is_random_access(&self) -> bool {
        matches!(self.body, Body::Seek { .. })
    }

    /// `name (shape dtype)`, as error messages list arrays.
    pub fn describe(&self, name: &str) -> String {
        format!(
            "{name} ({} {})",
            shape_repr(&self.shape),
            dtype_name(self.dtype)
        )
    }

    /// Reads rows `range` as little-endian bytes (`range.len() * row_bytes()` of them).
    pub fn read_rows(&mut self, range: Range<usize>) -> Result<Vec<u8>, ArrayError> {
        let rows = self.rows();
        if range.start > range.end || range.end > rows {
            return Err(ArrayError::OutOfRange {
                path: self.path.clone(),
                range,
                rows,
            });
        }
        let row_bytes = self.row_bytes();
        let len = range.len().saturating_mul(row_bytes);
        let mut out = Vec::new();
        // A header can claim rows larger than memory: refuse them as a value, not an allocation abort.
        out.try_reserve_exact(len)
            .map_err(|_| ArrayError::Unsupported {
                path: self.path.clone(),
                reason: format!("rows {range:?} need {len} bytes, more than can be allocated"),
            })?;
        out.resize(len, 0);
        let truncated = |path: &Path, e: io::Error| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                ArrayError::Truncated {
                    path: path.to_path_buf(),
                    detail: format!("the data ends before row {}", range.end),
                }
            } else {
                ArrayError::Io {
                    path: path.to_path_buf(),
                    source: e,
                }
            }
        };
        match &mut self.body {
            Body::Seek { file, data_offset } => {
                let at = *data_offset + range.start as u64 * row_bytes as u64;
                file.seek(SeekFrom::Start(at))
                    .and_then(|_| file.read_exact(&mut out))
                    .map_err(|e| truncated(&self.path, e))?;
            }
            Body::Stream {
                open,
                skip,
                current,
            } => {
                let reuse = current.as_ref().is_some_and(|(_, at)| *at <= range.start);
                if !reuse {
                    *current = None;
                }
                let read = || -> io::Result<Box<dyn Read + Send>> {
                    let mut stream = open()?;
                    discard(&mut stream, *skip)?;
                    Ok(stream)
                };
                let (stream, at) = match current {
                    Some(c) => c,
                    None => current.insert((read().map_err(|e| truncated(&self.path, e))?, 0)),
                };
                let result = discard(stream, ((range.start - *at) * row_bytes) as u64)
                    .and_then(|()| stream.read_exact(&mut out));
                if let Err(e) = result {
                    *current = None;
                    return Err(truncated(&self.path, e));
                }
                *at = range.end;
            }
        }
        if self.byte_order == ByteOrder::Big {
            for element in out.chunks_exact_mut(self.dtype.size()) {
                element.reverse();
            }
        }
        Ok(out)
    }
}

/// Reads and drops `n` bytes, failing with `UnexpectedEof` if the stream ends first.
fn discard(stream: &mut dyn Read, n: u64) -> io::Result<()> {
    let copied = crate::decode::skip_bytes(stream, n)?;
    if copied < n {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(())
}

/// Bytes of data in an array of `shape` and `element_bytes` per element; `None` past `u64`.
pub(crate) fn data_bytes(shape: &[usize], element_bytes: usize) -> Option<u64> {
    shape
        .iter()
        .try_fold(element_bytes as u64, |acc, &d| acc.checked_mul(d as u64))
}

/// `N bytes` for a header's size, or what an overflowing one means (a shape whose byte count does
/// not fit 64 bits), for messages: never `u64::MAX` as if it were a size.
pub(crate) fn bytes_described(expected: Option<u64>) -> String {
    match expected {
        Some(n) => format!("{n} bytes"),
        None => "more bytes than a 64-bit size can count (over 2^64)".to_owned(),
    }
}

/// Opens `path` buffered, or an [`ArrayError::Io`] naming it.
pub(crate) fn open_file(path: &Path) -> Result<File, ArrayError> {
    crate::decode::open_file(path).map_err(|source| ArrayError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// A buffered reader of `path` from its start (for stream decoders).
pub(crate) fn buffered(path: &Path) -> io::Result<BufReader<File>> {
    crate::decode::open_file(path).map(|f| BufReader::with_capacity(1 << 16, f))
}
