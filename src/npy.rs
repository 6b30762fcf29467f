//! Streaming `.npy` writer (format version 1.0), byte-compatible with `numpy.save`.
//!
//! The header is written first with the planned number of rows, the rows are streamed after it, and
//! [`NpyWriter::finish`] rewrites the header in place with the number actually written. This works
//! because numpy itself reserves room in every header for a 21-digit first axis (`GROWTH_AXIS_MAX_DIGITS`),
//! so the header's length never depends on that number and the final file is exactly what `np.save`
//! would write for the same array.

use std::fs::File;
use std::io::{self, BufWriter, Seek as _, SeekFrom, Write as _};
use std::path::Path;

/// numpy's alignment of the data start.
const ARRAY_ALIGN: usize = 64;
/// numpy's spare digits for the growth axis.
const GROWTH_AXIS_MAX_DIGITS: usize = 21;
/// `\x93NUMPY` + version 1.0.
const MAGIC: &[u8; 8] = b"\x93NUMPY\x01\x00";

/// Element types batchscope writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NpyDtype {
    /// `|u1`
    U8,
    /// `<i4`
    I32,
    /// `<f4`
    F32,
}

impl NpyDtype {
    /// numpy's `descr` string.
    pub fn descr(self) -> &'static str {
        match self {
            Self::U8 => "|u1",
            Self::I32 => "<i4",
            Self::F32 => "<f4",
        }
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            Self::U8 => 1,
            Self::I32 | Self::F32 => 4,
        }
    }
}

/// A shape as Python writes a tuple: `(3,)`, `(2, 3)`.
pub fn shape_repr(shape: &[usize]) -> String {
    match shape {
        [] => "()".to_owned(),
        [n] => format!("({n},)"),
        dims => format!(
            "({})",
            dims.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// numpy's name of a dtype (`uint8`, `int32`, `float32`).
pub fn dtype_name(dtype: NpyDtype) -> &'static str {
    match dtype {
        NpyDtype::U8 => "uint8",
        NpyDtype::I32 => "int32",
        NpyDtype::F32 => "float32",
    }
}

/// The header `np.save` writes for a C-order array of `dtype` and `shape`.
pub fn header(dtype: NpyDtype, shape: &[usize]) -> Vec<u8> {
    let shape_repr = shape_repr(shape);
    let mut dict = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {shape_repr}, }}",
        dtype.descr()
    );
    if let Some(first) = shape.first() {
        let digits = first.to_string().len();
        dict.push_str(&" ".repeat(GROWTH_AXIS_MAX_DIGITS.saturating_sub(digits)));
    }
    let hlen = dict.len() + 1;
    let padlen = ARRAY_ALIGN - ((MAGIC.len() + 2 + hlen) % ARRAY_ALIGN);
    let total_dict = hlen + padlen;
    let mut out = Vec::with_capacity(MAGIC.len() + 2 + total_dict);
    out.extend_from_slice(MAGIC);
    // The header is well under 64 KiB for any shape of up to a few dozen dimensions.
    out.extend_from_slice(&u16::try_from(total_dict).unwrap_or(u16::MAX).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out.extend(std::iter::repeat_n(b' ', padlen));
    out.push(b'\n');
    out
}

/// Writes one `.npy` file row by row: `rows x row_shape` elements of one dtype.
pub struct NpyWriter {
    file: BufWriter<File>,
    dtype: NpyDtype,
    row_shape: Vec<usize>,
    header_len: usize,
    rows: usize,
}

impl NpyWriter {
    /// Creates `path` with a header for `planned_rows` rows of `row_shape`.
    pub fn create(
        path: &Path,
        dtype: NpyDtype,
        planned_rows: usize,
        row_shape: &[usize],
    ) -> io::Result<Self> {
        let mut file = BufWriter::with_capacity(1 << 20, File::create(path)?);
        let header = header(dtype, &shape_of(planned_rows, row_shape));
        file.write_all(&header)?;
        Ok(Self {
            file,
            dtype,
            row_shape: row_shape.to_vec(),
            header_len: header.len(),
            rows: 0,
        })
    }

    /// Elements in one row.
    pub fn row_len(&self) -> usize {
        self.row_shape.iter().product()
    }

    /// Appends whole rows given as little-endian bytes, in pieces of at most 8 MiB, looking at `stop`
    /// before each: a stop (`ErrorKind::Interrupted`) takes effect within one piece even when one row is
    /// hundreds of megabytes. Rows written before a stop stay counted.
    pub fn write_rows_until(&mut self, bytes: &[u8], stop: &dyn Fn() -> bool) -> io::Result<()> {
        const PIECE: usize = 8 << 20;
        let row_bytes = self.row_len() * self.dtype.size();
        if row_bytes == 0 || !bytes.len().is_multiple_of(row_bytes) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "write_rows: not a whole number of rows",
            ));
        }
        for piece in bytes.chunks(PIECE) {
            if stop() {
                return Err(io::Error::new(io::ErrorKind::Interrupted, "cancelled"));
            }
            self.file.write_all(piece)?;
        }
        self.rows += bytes.len() / row_bytes;
        Ok(())
    }

    /// Appends whole rows given as little-endian bytes.
    pub fn write_rows(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.write_rows_until(bytes, &|| false)
    }

    /// Rows written so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Rewrites the header for the rows actually written, flushes and syncs the file to disk.
    pub fn finish(self) -> io::Result<()> {
        let header = header(self.dtype, &shape_of(self.rows, &self.row_shape));
        if header.len() != self.header_len {
            return Err(io::Error::other(
                "npy header changed length; refusing to corrupt the file",
            ));
        }
        let mut file = self
            .file
            .into_inner()
            .map_err(io::IntoInnerError::into_error)?;
        file.seek(SeekFrom::Start(0))?;
        file.write_all(&header)?;
        file.sync_all()
    }
}

fn shape_of(rows: usize, row_shape: &[usize]) -> Vec<usize> {
    std::iter::once(rows)
        .chain(row_shape.iter().copied())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_matches_numpy_save_bytes() {
        // np.save(f, np.zeros((2, 3), np.uint8)) starts with exactly these 128 bytes.
        let dict = "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }";
        let mut expected = b"\x93NUMPY\x01\x00v\x00".to_vec();
        expected.extend_from_slice(dict.as_bytes());
        expected.extend(std::iter::repeat_n(b' ', 0x76 - dict.len() - 1));
        expected.push(b'\n');
        assert_eq!(header(NpyDtype::U8, &[2, 3]), expected);
        assert_eq!(expected.len(), 128);
    }

    #[test]
    fn a_stop_interrupts_a_huge_row_between_pieces() {
        let dir = std::env::temp_dir().join(format!("batchscope-npy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("x.npy");
        let mut w = NpyWriter::create(&path, NpyDtype::U8, 1, &[20 << 20]).unwrap();
        let row = vec![1u8; 20 << 20];
        let looks = std::cell::Cell::new(0);
        let stop = || {
            looks.set(looks.get() + 1);
            looks.get() > 2
        };
        let err = w.write_rows_until(&row, &stop).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::Interrupted);
        // Two 8 MiB pieces went out before the third look said stop; the row does not count.
        assert_eq!(looks.get(), 3);
        assert_eq!(w.rows(), 0);
        drop(w);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn header_length_does_not_depend_on_the_first_axis() {
        let short = header(NpyDtype::F32, &[1, 64, 64, 3]);
        let long = header(NpyDtype::F32, &[123_456_789, 64, 64, 3]);
        assert_eq!(short.len(), long.len());
        assert_eq!(short.len() % 64, 0);
    }
}
