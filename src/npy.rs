//! The `.npy` format: a streaming writer (format version 1.0), byte-compatible with `numpy.save`, and
//! the header parser the array sources read `.npy` files (and `.npz` members) with.
//!
//! The header is written first with the planned number of rows, the rows are streamed after it, and
//! [`NpyWriter::finish`] rewrites the header in place with the number actually written. This works
//! because numpy itself reserves room in every header for a 21-digit first axis (`GROWTH_AXIS_MAX_DIGITS`),
//! so the header's length never depends on that number and the final file is exactly what `np.save`
//! would write for the same array.

use std::fs::File;
use std::io::{self, BufWriter, Read as _, Seek as _, SeekFrom, Write as _};
use std::path::Path;

/// numpy's alignment of the data start.
const ARRAY_ALIGN: usize = 64;
/// numpy's spare digits for the growth axis.
const GROWTH_AXIS_MAX_DIGITS: usize = 21;
/// `\x93NUMPY` + version 1.0.
const MAGIC: &[u8; 8] = b"\x93NUMPY\x01\x00";

/// Element types: batchscope writes `U8`, `I32` and `F32`; the array sources read them all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NpyDtype {
    /// `|b1`
    Bool,
    /// `|u1`
    U8,
    /// `|i1`
    I8,
    /// `<u2`
    U16,
    /// `<i2`
    I16,
    /// `<u4`
    U32,
    /// `<i4`
    I32,
    /// `<u8`
    U64,
    /// `<i8`
    I64,
    /// `<f2`
    F16,
    /// `<f4`
    F32,
    /// `<f8`
    F64,
}

/// Every dtype with its numpy name and little-endian `descr`, the one table both spellings come from.
const DTYPES: [(NpyDtype, &str, &str); 12] = [
    (NpyDtype::Bool, "bool", "|b1"),
    (NpyDtype::U8, "uint8", "|u1"),
    (NpyDtype::I8, "int8", "|i1"),
    (NpyDtype::U16, "uint16", "<u2"),
    (NpyDtype::I16, "int16", "<i2"),
    (NpyDtype::U32, "uint32", "<u4"),
    (NpyDtype::I32, "int32", "<i4"),
    (NpyDtype::U64, "uint64", "<u8"),
    (NpyDtype::I64, "int64", "<i8"),
    (NpyDtype::F16, "float16", "<f2"),
    (NpyDtype::F32, "float32", "<f4"),
    (NpyDtype::F64, "float64", "<f8"),
];

impl NpyDtype {
    /// numpy's little-endian `descr` string (the one batchscope writes).
    pub fn descr(self) -> &'static str {
        DTYPES.iter().find(|d| d.0 == self).map_or("", |d| d.2)
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            Self::Bool | Self::U8 | Self::I8 => 1,
            Self::U16 | Self::I16 | Self::F16 => 2,
            Self::U32 | Self::I32 | Self::F32 => 4,
            Self::U64 | Self::I64 | Self::F64 => 8,
        }
    }
}

impl std::fmt::Display for NpyDtype {
    /// numpy's name (`uint8`, `float32`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(dtype_name(*self))
    }
}

/// The byte order of stored elements (one-byte types are stored as `Little`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ByteOrder {
    /// `<` (and `|`, `=` on the little-endian machines batchscope runs on).
    Little,
    /// `>`
    Big,
}

/// Parses a simple `descr` (`'<f4'`, `'>i2'`, `'|u1'`, `'|b1'`) into a dtype and byte order; `None` for
/// anything else (objects, strings, structured or datetime types).
pub fn parse_descr(descr: &str) -> Option<(NpyDtype, ByteOrder)> {
    let mut chars = descr.chars();
    let order = match chars.next()? {
        '<' | '|' | '=' => ByteOrder::Little,
        '>' => ByteOrder::Big,
        _ => return None,
    };
    let code = chars.as_str();
    let dtype = DTYPES.iter().find(|d| &d.2[1..] == code)?.0;
    let order = if dtype.size() == 1 {
        ByteOrder::Little
    } else {
        order
    };
    Some((dtype, order))
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
    DTYPES.iter().find(|d| d.0 == dtype).map_or("", |d| d.1)
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

/// What a `.npy` header says about the array after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NpyHeader {
    /// Element type.
    pub dtype: NpyDtype,
    /// Byte order of the stored elements.
    pub byte_order: ByteOrder,
    /// Whether the data is stored column-major.
    pub fortran_order: bool,
    /// The array's shape (empty for a scalar).
    pub shape: Vec<usize>,
    /// Bytes from the start of the file (or zip member) to the first element.
    pub data_offset: u64,
}

/// Why a `.npy` header could not be read. The caller adds the file's name.
#[derive(Debug, thiserror::Error)]
pub enum NpyHeaderError {
    /// Reading failed, or the file ended inside the header.
    #[error("cannot read the .npy header: {0}")]
    Io(#[from] io::Error),
    /// The file does not start with `\x93NUMPY`.
    #[error("not a .npy file (it does not start with \\x93NUMPY)")]
    BadMagic,
    /// A format version other than 1.0, 2.0 or 3.0.
    #[error("unsupported .npy format version {0}.{1}")]
    Version(u8, u8),
    /// The header dictionary could not be parsed.
    #[error("malformed .npy header ({0})")]
    Malformed(String),
    /// A dtype batchscope cannot read (objects, strings, structured types). It is the file's text,
    /// shown escaped: a line break or a control character in it must not reach the terminal.
    #[error(
        "unsupported dtype {} (object, string and structured arrays are not supported)",
        .0.escape_debug()
    )]
    Dtype(String),
}

/// Reads a `.npy` header (format 1.0, 2.0 or 3.0) from the start of `r`, leaving `r` at the data.
pub fn read_header(r: &mut impl io::Read) -> Result<NpyHeader, NpyHeaderError> {
    let mut magic = [0u8; 8];
    r.read_exact(&mut magic)?;
    if &magic[..6] != b"\x93NUMPY" {
        return Err(NpyHeaderError::BadMagic);
    }
    let (len_bytes, utf8) = match (magic[6], magic[7]) {
        (1, 0) => (2, false),
        (2, 0) => (4, false),
        (3, 0) => (4, true),
        (major, minor) => return Err(NpyHeaderError::Version(major, minor)),
    };
    let mut len = [0u8; 4];
    r.read_exact(&mut len[..len_bytes])?;
    let header_len = u32::from_le_bytes(len) as usize;
    // Versions 2 and 3 may claim up to 4 GiB: hold only the bytes that are there.
    let mut dict = Vec::new();
    (&mut *r).take(header_len as u64).read_to_end(&mut dict)?;
    if dict.len() < header_len {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!(
                "the header claims {header_len} bytes; the file ends after {}",
                dict.len()
            ),
        )
        .into());
    }
    let dict = if utf8 {
        String::from_utf8(dict).map_err(|_| malformed("not UTF-8"))?
    } else {
        // Versions 1 and 2 are latin-1; anything outside ASCII cannot be a valid simple header anyway.
        dict.iter().map(|&b| char::from(b)).collect()
    };
    let mut header = parse_dict(&dict)?;
    header.data_offset = (8 + len_bytes + header_len) as u64;
    Ok(header)
}

fn malformed(why: &str) -> NpyHeaderError {
    NpyHeaderError::Malformed(why.to_owned())
}

/// Parses `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`, keys in any order.
fn parse_dict(dict: &str) -> Result<NpyHeader, NpyHeaderError> {
    let body = dict
        .trim()
        .strip_prefix('{')
        .and_then(|b| b.strip_suffix('}'))
        .ok_or_else(|| malformed("no {...} dictionary"))?;
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    let mut rest = body.trim_start();
    while !rest.is_empty() {
        let (key, after) = quoted(rest).ok_or_else(|| malformed("expected a quoted key"))?;
        let after = after
            .trim_start()
            .strip_prefix(':')
            .ok_or_else(|| malformed("expected ':'"))?
            .trim_start();
        let after = match key {
            "descr" => {
                if after.starts_with('[') {
                    return Err(NpyHeaderError::Dtype("(a structured dtype)".to_owned()));
                }
                let (value, after) = quoted(after).ok_or_else(|| malformed("descr"))?;
                descr = Some(value.to_owned());
                after
            }
            "fortran_order" => {
                let (value, after) = if let Some(a) = after.strip_prefix("True") {
                    (true, a)
                } else if let Some(a) = after.strip_prefix("False") {
                    (false, a)
                } else {
                    return Err(malformed("fortran_order is not True or False"));
                };
                fortran = Some(value);
                after
            }
            "shape" => {
                let inner = after
                    .strip_prefix('(')
                    .ok_or_else(|| malformed("shape is not a tuple"))?;
                let end = inner.find(')').ok_or_else(|| malformed("shape"))?;
                let dims = inner[..end]
                    .split(',')
                    .map(str::trim)
                    .filter(|d| !d.is_empty())
                    .map(|d| d.trim_end_matches('L').parse::<usize>())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|_| malformed("shape holds a non-integer"))?;
                shape = Some(dims);
                &inner[end + 1..]
            }
            _ => return Err(malformed(&format!("unknown key {key:?}"))),
        };
        let after = after.trim_start();
        rest = after.strip_prefix(',').unwrap_or(after).trim_start();
        if rest.len() == after.len() && !rest.is_empty() {
            return Err(malformed("expected ','"));
        }
    }
    let descr = descr.ok_or_else(|| malformed("no descr"))?;
    let (dtype, byte_order) = parse_descr(&descr).ok_or(NpyHeaderError::Dtype(descr))?;
    Ok(NpyHeader {
        dtype,
        byte_order,
        fortran_order: fortran.ok_or_else(|| malformed("no fortran_order"))?,
        shape: shape.ok_or_else(|| malformed("no shape"))?,
        data_offset: 0,
    })
}

/// A `'…'` (or `"…"`) string at the start of `s`, and what follows it.
fn quoted(s: &str) -> Option<(&str, &str)> {
    let quote = s.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let end = s[1..].find(quote)? + 1;
    Some((&s[1..end], &s[end + 1..]))
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

    /// Counts `rows` more rows of an array whose rows hold no element (a `(N, 0, 4)` array), which
    /// bytes cannot count.
    pub fn add_empty_rows(&mut self, rows: usize) -> io::Result<()> {
        if self.row_len() != 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "add_empty_rows: the rows are not empty",
            ));
        }
        self.rows += rows;
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

/// A little-endian integer (or bool) element as `i64`; `None` for float dtypes and unsigned values
/// past `i64::MAX`.
pub fn element_i64(dtype: NpyDtype, e: &[u8]) -> Option<i64> {
    Some(match dtype {
        NpyDtype::Bool | NpyDtype::U8 => i64::from(e[0]),
        NpyDtype::I8 => i64::from(e[0].cast_signed()),
        NpyDtype::U16 => i64::from(u16::from_le_bytes([e[0], e[1]])),
        NpyDtype::I16 => i64::from(i16::from_le_bytes([e[0], e[1]])),
        NpyDtype::U32 => i64::from(u32::from_le_bytes(e.try_into().ok()?)),
        NpyDtype::I32 => i64::from(i32::from_le_bytes(e.try_into().ok()?)),
        NpyDtype::U64 => i64::try_from(u64::from_le_bytes(e.try_into().ok()?)).ok()?,
        NpyDtype::I64 => i64::from_le_bytes(e.try_into().ok()?),
        NpyDtype::F16 | NpyDtype::F32 | NpyDtype::F64 => return None,
    })
}

/// A little-endian element of any dtype as `f64`.
pub fn element_f64(dtype: NpyDtype, e: &[u8]) -> Option<f64> {
    Some(match dtype {
        NpyDtype::F16 => f64::from(f16_to_f32(u16::from_le_bytes([e[0], e[1]]))),
        NpyDtype::F32 => f64::from(f32::from_le_bytes(e.try_into().ok()?)),
        NpyDtype::F64 => f64::from_le_bytes(e.try_into().ok()?),
        NpyDtype::U64 => u64::from_le_bytes(e.try_into().ok()?) as f64,
        other => element_i64(other, e)? as f64,
    })
}

/// IEEE half to single precision.
pub fn f16_to_f32(h: u16) -> f32 {
    let sign = u32::from(h >> 15) << 31;
    let exp = u32::from((h >> 10) & 0x1f);
    let frac = u32::from(h & 0x3ff);
    let bits = match (exp, frac) {
        (0, 0) => sign,
        (0, _) => {
            // Subnormal: normalise.
            let mut e = 127 - 15 + 1;
            let mut f = frac;
            while f & 0x400 == 0 {
                f <<= 1;
                e -= 1;
            }
            sign | (e << 23) | ((f & 0x3ff) << 13)
        }
        (0x1f, _) => sign | 0x7f80_0000 | (frac << 13),
        _ => sign | ((exp + 127 - 15) << 23) | (frac << 13),
    };
    f32::from_bits(bits)
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

    #[test]
    fn read_header_reads_back_what_the_writer_writes() {
        let bytes = header(NpyDtype::I32, &[5, 2]);
        let parsed = read_header(&mut bytes.as_slice()).unwrap();
        assert_eq!(parsed.dtype, NpyDtype::I32);
        assert_eq!(parsed.byte_order, ByteOrder::Little);
        assert!(!parsed.fortran_order);
        assert_eq!(parsed.shape, vec![5, 2]);
        assert_eq!(parsed.data_offset, bytes.len() as u64);
    }

    #[test]
    fn read_header_parses_versions_2_and_3_scalars_and_big_endian() {
        let dict = "{'shape': (), 'fortran_order': True, 'descr': '>f8'}\n";
        for version in [2u8, 3] {
            let mut bytes = vec![0x93, b'N', b'U', b'M', b'P', b'Y', version, 0];
            bytes.extend_from_slice(&(dict.len() as u32).to_le_bytes());
            bytes.extend_from_slice(dict.as_bytes());
            let parsed = read_header(&mut bytes.as_slice()).unwrap();
            assert_eq!(parsed.dtype, NpyDtype::F64);
            assert_eq!(parsed.byte_order, ByteOrder::Big);
            assert!(parsed.fortran_order);
            assert!(parsed.shape.is_empty());
            assert_eq!(parsed.data_offset, 12 + dict.len() as u64);
        }
    }

    #[test]
    fn read_header_refuses_objects_and_bad_magic() {
        let dict = "{'descr': '|O', 'fortran_order': False, 'shape': (3,), }\n";
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend_from_slice(&(dict.len() as u16).to_le_bytes());
        bytes.extend_from_slice(dict.as_bytes());
        let err = read_header(&mut bytes.as_slice()).unwrap_err();
        assert!(
            matches!(err, NpyHeaderError::Dtype(ref d) if d == "|O"),
            "{err}"
        );
        let err = read_header(&mut &b"PK\x03\x04 not npy"[..]).unwrap_err();
        assert!(matches!(err, NpyHeaderError::BadMagic), "{err}");
    }

    #[test]
    fn descr_table_round_trips() {
        for (dtype, name, descr) in DTYPES {
            assert_eq!(parse_descr(descr), Some((dtype, ByteOrder::Little)));
            assert_eq!(dtype_name(dtype), name);
            assert_eq!(dtype.descr(), descr);
        }
        assert_eq!(parse_descr(">u2"), Some((NpyDtype::U16, ByteOrder::Big)));
        assert_eq!(parse_descr(">u1"), Some((NpyDtype::U8, ByteOrder::Little)));
        assert_eq!(parse_descr("<U5"), None);
    }
}
