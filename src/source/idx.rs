//! MNIST-style IDX files, raw or gzipped, opened as arrays with their stored dtypes and shapes
//! (`uint8` labels stay `uint8`, `(N, 28, 28)` images stay 3-D).
//!
//! The header is `00 00 <type> <ndim>` then `ndim` big-endian `u32` dimensions; the elements follow,
//! big-endian. A raw file is read by seeking to the rows asked for; a gzipped one is decompressed as a
//! stream (once at open, to check its length, then on demand). An images file is paired with its labels
//! by the MNIST naming convention (`train-images-idx3-ubyte` ↔ `train-labels-idx1-ubyte`, likewise
//! `t10k-…`, with or without `.gz`), or with a labels file given explicitly.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::npy::{ByteOrder, NpyDtype};
use crate::source::arrays::ArraySet;
use crate::source::rows::{
    ArrayError, RowReader, buffered, bytes_described, check_stored_len, data_bytes, open_file,
};

/// The element type an IDX type byte stands for.
fn idx_dtype(code: u8) -> Option<NpyDtype> {
    Some(match code {
        0x08 => NpyDtype::U8,
        0x09 => NpyDtype::I8,
        0x0B => NpyDtype::I16,
        0x0C => NpyDtype::I32,
        0x0D => NpyDtype::F32,
        0x0E => NpyDtype::F64,
        _ => return None,
    })
}

/// Reads the IDX header from `r`: dtype, shape and header length in bytes.
fn read_header(path: &Path, r: &mut dyn Read) -> Result<(NpyDtype, Vec<usize>, u64), ArrayError> {
    let eof = |e: io::Error| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            ArrayError::Truncated {
                path: path.to_path_buf(),
                detail: "the file ends inside the IDX header".to_owned(),
            }
        } else {
            ArrayError::Io {
                path: path.to_path_buf(),
                source: e,
            }
        }
    };
    let mut magic = [0u8; 4];
    r.read_exact(&mut magic).map_err(eof)?;
    let dtype = match magic {
        [0, 0, code, ndim] if ndim > 0 => {
            idx_dtype(code).ok_or_else(|| ArrayError::Unsupported {
                path: path.to_path_buf(),
                reason: format!("IDX element type 0x{code:02X}"),
            })?
        }
        _ => {
            return Err(ArrayError::BadMagic {
                path: path.to_path_buf(),
                detail: format!(
                    "an IDX file starts with 00 00 <type> <ndim>, this one with {:02X} {:02X} {:02X} {:02X}",
                    magic[0], magic[1], magic[2], magic[3]
                ),
            });
        }
    };
    let mut shape = Vec::with_capacity(usize::from(magic[3]));
    for _ in 0..magic[3] {
        let mut dim = [0u8; 4];
        r.read_exact(&mut dim).map_err(eof)?;
        shape.push(u32::from_be_bytes(dim) as usize);
    }
    Ok((dtype, shape, 4 + 4 * u64::from(magic[3])))
}

/// Opens one IDX file (raw, or gzipped: detected by content) for row access.
pub fn open_idx(path: &Path) -> Result<RowReader, ArrayError> {
    let io_err = |source| ArrayError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = open_file(path)?;
    let mut first = [0u8; 2];
    let gzipped = file.read_exact(&mut first).is_ok() && first == [0x1f, 0x8b];
    if gzipped {
        let open_path = path.to_path_buf();
        let open = move || -> io::Result<Box<dyn Read + Send>> {
            Ok(Box::new(flate2::read::MultiGzDecoder::new(buffered(
                &open_path,
            )?)))
        };
        let mut stream = open().map_err(io_err)?;
        let (dtype, shape, header_len) = read_header(path, &mut stream)?;
        // One pass to check the length now, so a truncated file is an error at open, not mid-export.
        let stored =
            crate::decode::skip_bytes(&mut stream, u64::MAX).map_err(|e| truncated_gz(path, e))?;
        check_size(path, dtype, &shape, header_len, header_len + stored)?;
        return Ok(RowReader::streamed(
            path,
            Box::new(open),
            header_len,
            dtype,
            ByteOrder::Big,
            shape,
        ));
    }
    let len = file.metadata().map_err(io_err)?.len();
    let mut head = buffered(path).map_err(io_err)?;
    let (dtype, shape, header_len) = read_header(path, &mut head)?;
    check_size(path, dtype, &shape, header_len, len)?;
    Ok(RowReader::seekable(
        path,
        file,
        header_len,
        dtype,
        ByteOrder::Big,
        shape,
    ))
}

fn truncated_gz(path: &Path, e: io::Error) -> ArrayError {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        ArrayError::Truncated {
            path: path.to_path_buf(),
            detail: "the gzip stream ends early".to_owned(),
        }
    } else {
        ArrayError::Io {
            path: path.to_path_buf(),
            source: e,
        }
    }
}

fn check_size(
    path: &Path,
    dtype: NpyDtype,
    shape: &[usize],
    header_len: u64,
    len: u64,
) -> Result<(), ArrayError> {
    let expected = data_bytes(shape, dtype.size()).and_then(|d| d.checked_add(header_len));
    let detail = format!(
        "the header describes {}, the data has {len}",
        bytes_described(expected)
    );
    check_stored_len(path, expected.unwrap_or(u64::MAX), len, detail)
}

/// The labels file that the MNIST naming convention pairs with an images file, if it exists:
/// `…-images-idx3-ubyte[.gz]` → `…-labels-idx1-ubyte[.gz]` (also `…-images.idx3-ubyte`), preferring
/// the same compression.
pub fn labels_path_for(images: &Path) -> Option<PathBuf> {
    let name = images.file_name()?.to_str()?;
    let (stem, gz) = match name.strip_suffix(".gz") {
        Some(stem) => (stem, true),
        None => (name, false),
    };
    let labels_stem = ["-images-idx3-ubyte", "-images.idx3-ubyte"]
        .iter()
        .zip(["-labels-idx1-ubyte", "-labels.idx1-ubyte"])
        .find_map(|(from, to)| {
            stem.strip_suffix(from)
                .map(|prefix| format!("{prefix}{to}"))
        })?;
    let gz_name = format!("{labels_stem}.gz");
    let candidates = if gz {
        [gz_name, labels_stem]
    } else {
        [labels_stem, gz_name]
    };
    candidates
        .into_iter()
        .map(|c| images.with_file_name(c))
        .find(|p| p.is_file())
}

/// Opens an IDX images file, `(N, H, W)` or `(N, H, W, C)`, with its labels: `labels` if given, else the
/// file the naming convention pairs it with, else none.
pub fn open_idx_pair(images: &Path, labels: Option<&Path>) -> Result<ArraySet, ArrayError> {
    let image_reader = open_idx(images)?;
    if !matches!(image_reader.shape().len(), 3 | 4) {
        return Err(ArrayError::NoImageArray {
            path: images.to_path_buf(),
            arrays: vec![image_reader.describe("images")],
        });
    }
    let labels_path = labels
        .map(Path::to_path_buf)
        .or_else(|| labels_path_for(images));
    let labels = match labels_path {
        Some(path) => {
            let reader = open_idx(&path)?;
            if reader.rows() != image_reader.rows() || !matches!(reader.shape().len(), 1 | 2) {
                return Err(ArrayError::Mismatch {
                    path,
                    // Both files: the message is about the pair.
                    detail: format!(
                        "{} do not fit {} in {images:?}",
                        reader.describe("labels"),
                        image_reader.describe("images")
                    ),
                });
            }
            Some(("labels".to_owned(), reader))
        }
        None => None,
    };
    Ok(ArraySet {
        images: image_reader,
        images_name: "images".to_owned(),
        labels,
        others: Vec::new(),
        keep_names: false,
        class_names: None,
        skipped: Vec::new(),
    })
}
