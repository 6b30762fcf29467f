//! The page headers of a row group, read before the `parquet` crate reads its pages: the crate
//! reserves a page's claimed uncompressed size before decompressing it (up to 2 GiB from a few
//! hostile bytes), so a page claiming more than its column chunk holds uncompressed (as the footer
//! says), or more than 1 GiB, is refused by name first.
//!
//! A page header is a Thrift compact-protocol struct; only its sizes (fields 2 and 3) are kept,
//! everything else is skipped by type, with nesting and lengths bounded.

use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use parquet::file::metadata::RowGroupMetaData;

/// Deepest nesting skipped (a page header nests three levels).
const MAX_DEPTH: u32 = 16;

/// A reader that counts the bytes taken.
struct Counted<R> {
    inner: R,
    taken: u64,
}

impl<R: Read> Counted<R> {
    fn byte(&mut self) -> io::Result<u8> {
        let mut b = [0u8];
        self.inner.read_exact(&mut b)?;
        self.taken += 1;
        Ok(b[0])
    }

    fn varint(&mut self) -> io::Result<u64> {
        let mut value = 0u64;
        for shift in (0..70).step_by(7) {
            let b = self.byte()?;
            value |= u64::from(b & 0x7f) << shift.min(63);
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(io::Error::other("a varint longer than 10 bytes"))
    }

    fn skip(&mut self, n: u64) -> io::Result<()> {
        let skipped = io::copy(&mut (&mut self.inner).take(n), &mut io::sink())?;
        self.taken += skipped;
        if skipped == n {
            Ok(())
        } else {
            Err(io::Error::from(io::ErrorKind::UnexpectedEof))
        }
    }
}

fn zigzag(v: u64) -> i64 {
    (v >> 1).cast_signed() ^ -(v & 1).cast_signed()
}

/// Skips one value of compact type `ty`.
fn skip_value<R: Read>(r: &mut Counted<R>, ty: u8, depth: u32) -> io::Result<()> {
    if depth > MAX_DEPTH {
        return Err(io::Error::other("nested too deep"));
    }
    match ty {
        1 | 2 => Ok(()),
        3 => r.byte().map(drop),
        4..=6 => r.varint().map(drop),
        7 => r.skip(8),
        8 => {
            let len = r.varint()?;
            r.skip(len)
        }
        9 | 10 => {
            let head = r.byte()?;
            let size = match head >> 4 {
                15 => r.varint()?,
                n => u64::from(n),
            };
            let element = head & 0x0f;
            for _ in 0..size {
                // A boolean element is a byte of its own inside a list.
                if matches!(element, 1 | 2) {
                    r.byte()?;
                } else {
                    skip_value(r, element, depth + 1)?;
                }
            }
            Ok(())
        }
        11 => {
            let size = r.varint()?;
            if size == 0 {
                return Ok(());
            }
            let types = r.byte()?;
            for _ in 0..size {
                for ty in [types >> 4, types & 0x0f] {
                    // A boolean key or value is a byte of its own inside a map.
                    if matches!(ty, 1 | 2) {
                        r.byte()?;
                    } else {
                        skip_value(r, ty, depth + 1)?;
                    }
                }
            }
            Ok(())
        }
        12 => skip_struct(r, depth + 1, |_, _, _| Ok(false)).map(drop),
        other => Err(io::Error::other(format!("unknown Thrift type {other}"))),
    }
}

/// Reads a struct's fields until its stop byte; `field(reader, id, type)` reads a field it wants
/// (returning `true`), else the field is skipped.
fn skip_struct<R: Read>(
    r: &mut Counted<R>,
    depth: u32,
    mut field: impl FnMut(&mut Counted<R>, i64, u8) -> io::Result<bool>,
) -> io::Result<()> {
    let mut id = 0i64;
    loop {
        let head = r.byte()?;
        let ty = head & 0x0f;
        if ty == 0 {
            return Ok(());
        }
        id = match head >> 4 {
            0 => zigzag(r.varint()?),
            delta => id + i64::from(delta),
        };
        if !field(r, id, ty)? {
            skip_value(r, ty, depth)?;
        }
    }
}

/// The claimed uncompressed and compressed sizes of the page whose header `r` starts at, and the
/// header's length.
fn page_sizes<R: Read>(r: R) -> io::Result<(i64, i64, u64)> {
    let mut counted = Counted { inner: r, taken: 0 };
    let (mut uncompressed, mut compressed) = (None, None);
    skip_struct(&mut counted, 0, |r, id, ty| match (id, ty) {
        (2, 5) => {
            uncompressed = Some(zigzag(r.varint()?));
            Ok(true)
        }
        (3, 5) => {
            compressed = Some(zigzag(r.varint()?));
            Ok(true)
        }
        _ => Ok(false),
    })?;
    match (uncompressed, compressed) {
        (Some(u), Some(c)) if u >= 0 && c >= 0 => Ok((u, c, counted.taken)),
        _ => Err(io::Error::other("a page header without its sizes")),
    }
}

/// The most bytes one page may claim uncompressed.
const MAX_PAGE_BYTES: u64 = 1 << 30;

/// Refuses row group `group` (`meta`) of the file at `path` when a page of it claims more bytes
/// uncompressed than its column chunk holds (or than [`MAX_PAGE_BYTES`]), naming the chunk and
/// the claim.
pub fn check(path: &Path, group: usize, meta: &RowGroupMetaData) -> Result<(), String> {
    let file = crate::decode::open_file(path).map_err(|e| e.to_string())?;
    let mut file = BufReader::with_capacity(1 << 12, file);
    for (c, column) in meta.columns().iter().enumerate() {
        let start = column
            .dictionary_page_offset()
            .unwrap_or_else(|| column.data_page_offset());
        let (Ok(start), Ok(len)) = (
            u64::try_from(start),
            u64::try_from(column.compressed_size()),
        ) else {
            return Err(format!(
                "column chunk {c} of row group {group} is not a range of the file"
            ));
        };
        let end = start.saturating_add(len);
        let limit = u64::try_from(column.uncompressed_size())
            .unwrap_or(0)
            .min(MAX_PAGE_BYTES);
        let mut at = start;
        while at < end {
            file.seek(SeekFrom::Start(at))
                .map_err(|e| format!("row group {group}, column chunk {c}: {e}"))?;
            let (uncompressed, compressed, header) = page_sizes((&mut file).take(end - at))
                .map_err(|e| {
                    format!("row group {group}, column chunk {c}: a page header at byte {at}: {e}")
                })?;
            if uncompressed.unsigned_abs() > limit {
                return Err(format!(
                    "row group {group}, column chunk {c}: a page claims {uncompressed} bytes uncompressed, more than the {limit} bytes its column chunk holds"
                ));
            }
            at = at
                .saturating_add(header)
                .saturating_add(compressed.unsigned_abs());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A compact page header: type (field 1, i32), sizes (fields 2 and 3), a data page header
    /// struct (field 5) with a nested statistics struct and a binary, then stop.
    fn header(uncompressed: i64, compressed: i64) -> Vec<u8> {
        let zz = |v: i64| {
            let mut z = ((v << 1) ^ (v >> 63)) as u64;
            let mut out = Vec::new();
            loop {
                let b = (z & 0x7f) as u8;
                z >>= 7;
                if z == 0 {
                    out.push(b);
                    break;
                }
                out.push(b | 0x80);
            }
            out
        };
        let mut h = vec![0x15];
        h.extend(zz(0));
        h.push(0x15);
        h.extend(zz(uncompressed));
        h.push(0x15);
        h.extend(zz(compressed));
        // Field 5 (delta 2), a struct: field 1 i32, field 5 (delta 4) a struct holding a binary
        // (field 1, 3 bytes) and a list of two booleans (field 2), then stops.
        h.extend([
            0x2c, 0x15, 0x04, 0x4c, 0x18, 0x03, b'a', b'b', b'c', 0x19, 0x21, 1, 2, 0, 0,
        ]);
        h.push(0);
        h
    }

    #[test]
    fn sizes_are_read_past_nested_fields_and_the_header_length_counted() {
        let h = header(1_000, 600);
        assert_eq!(page_sizes(&h[..]).unwrap(), (1_000, 600, h.len() as u64));
        assert_eq!(page_sizes(&header(1 << 30, 5)[..]).unwrap().0, 1 << 30);
    }

    #[test]
    fn cut_or_endless_headers_are_errors_not_hangs() {
        let h = header(10, 10);
        for cut in 0..h.len() {
            assert!(page_sizes(&h[..cut]).is_err(), "cut at {cut}");
        }
        // A list claiming 2^40 elements ends with the bytes.
        assert!(page_sizes(&[0x19, 0xf5, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20][..]).is_err());
        // Nesting past the bound.
        assert!(page_sizes(&[0x1c; 64][..]).is_err());
        // A map of 2^40 boolean pairs: each pair takes two bytes, so it ends with them.
        assert!(page_sizes(&[0x1b, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 0x11, 1, 1][..]).is_err());
    }
}
