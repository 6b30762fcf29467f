//! A COCO JSON read as a stream into typed records that keep only what the source uses (every other
//! field, `info`, `licenses`, `area`, ..., is skipped as it is parsed, never held), so that memory
//! follows the boxes and masks kept, not the file's size.
//!
//! Python's `json.dump` writes `NaN`, `Infinity` and `-Infinity`, which JSON does not have and
//! pycocotools reads; [`NanAsNull`] reads them as `null` (outside strings), and a number that is
//! `null` reads as NaN, which the source then reports (the annotation's image is left out). After a
//! `NaN` on a line, a parse error's column on that line is one further per `NaN` (`null` is one
//! byte longer); `Infinity` keeps every column.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Deserializer};

use crate::source::SourceError;

#[derive(Deserialize)]
pub(super) struct CocoFile {
    #[serde(default)]
    pub images: Vec<CocoImage>,
    #[serde(default)]
    pub annotations: Vec<CocoAnnotation>,
    #[serde(default)]
    pub categories: Vec<CocoCategory>,
}

#[derive(Deserialize)]
pub(super) struct CocoImage {
    #[serde(deserialize_with = "whole")]
    pub id: i64,
    pub file_name: String,
    #[serde(default)]
    pub width: Option<Number>,
    #[serde(default)]
    pub height: Option<Number>,
}

#[derive(Deserialize)]
pub(super) struct CocoCategory {
    #[serde(deserialize_with = "whole")]
    pub id: i64,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct CocoAnnotation {
    #[serde(default, deserialize_with = "whole_or_none")]
    pub id: Option<i64>,
    #[serde(deserialize_with = "whole")]
    pub image_id: i64,
    #[serde(deserialize_with = "whole")]
    pub category_id: i64,
    #[serde(default)]
    pub bbox: Option<Vec<BoxEntry>>,
    #[serde(default)]
    pub iscrowd: Option<Flag>,
    #[serde(default)]
    pub segmentation: Option<Segmentation>,
}

/// A JSON number, or NaN for `null` (what [`NanAsNull`] makes of `NaN` and `Infinity`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Number(pub f64);

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<f64>::deserialize(deserializer).map(|v| Self(v.unwrap_or(f64::NAN)))
    }
}

/// Polygon rings whose `null`s are NaN, as plain numbers (each annotation's converted as it is
/// parsed, so the file's polygons are never held twice).
fn rings<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Vec<f64>>, D::Error> {
    let rings = Vec::<Vec<Number>>::deserialize(deserializer)?;
    Ok(rings
        .into_iter()
        .map(|r| r.into_iter().map(|n| n.0).collect())
        .collect())
}

/// One ring, as [`rings`].
fn ring<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<f64>, D::Error> {
    let ring = Vec::<Number>::deserialize(deserializer)?;
    Ok(ring.into_iter().map(|n| n.0).collect())
}

/// `iscrowd` as `0`/`1` or as a boolean, or any other value (which leaves its image out, not the
/// whole file).
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum Flag {
    Int(i64),
    Bool(bool),
    Other(serde_json::Value),
}

/// One entry of a `bbox`: a number (NaN for `null`), or any other value, kept to be named when the
/// annotation's image is left out (one bad annotation never refuses the whole file).
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum BoxEntry {
    Number(Number),
    // Boxed: an entry is 16 bytes, and a file's annotations are held until they are gathered.
    Other(Box<serde_json::Value>),
}

/// A `bbox`'s numbers, or (`Err`) the box as written when an entry is not a number.
pub(super) fn box_numbers(entries: &[BoxEntry]) -> Result<Vec<f64>, String> {
    entries
        .iter()
        .map(|e| match e {
            BoxEntry::Number(Number(v)) => Some(*v),
            BoxEntry::Other(_) => None,
        })
        .collect::<Option<Vec<f64>>>()
        .ok_or_else(|| {
            let shown: Vec<String> = entries
                .iter()
                .map(|e| match e {
                    BoxEntry::Number(Number(v)) => format!("{v:?}"),
                    BoxEntry::Other(value) => value.to_string(),
                })
                .collect();
            crate::source::annotated_files::shortened(&format!("[{}]", shown.join(", ")))
        })
}

/// An id: a whole number, written as an integer or (as Python writes a float id) `1.0`.
fn whole<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    struct Whole;
    impl serde::de::Visitor<'_> for Whole {
        type Value = i64;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a whole number")
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<i64, E> {
            Ok(v)
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<i64, E> {
            i64::try_from(v).map_err(|_| E::custom(format!("the id {v} is too large")))
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<i64, E> {
            // Below 2^63 in magnitude, so the cast is exact for a whole v.
            if v.fract() == 0.0 && v.abs() < i64::MAX as f64 {
                Ok(v as i64)
            } else {
                Err(E::custom(format!("the id {v} is not a whole number")))
            }
        }
    }
    deserializer.deserialize_any(Whole)
}

/// An optional id, as [`whole`].
fn whole_or_none<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    struct Wrapped(#[serde(deserialize_with = "whole")] i64);
    Option::<Wrapped>::deserialize(deserializer).map(|w| w.map(|Wrapped(v)| v))
}

#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum Segmentation {
    Polygons(#[serde(deserialize_with = "rings")] Vec<Vec<f64>>),
    Ring(#[serde(deserialize_with = "ring")] Vec<f64>),
    Rle { counts: Counts, size: [u32; 2] },
    Other(serde::de::IgnoredAny),
}

#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum Counts {
    List(Vec<u32>),
    Text(String),
}

/// Parses the JSON at `json` as a stream, refusing one over `max_bytes` before reading it, and
/// stopping within a chunk (1 MiB) once `cancel` is set.
pub(super) fn parse(
    json: &Path,
    max_bytes: u64,
    cancel: &AtomicBool,
) -> Result<CocoFile, SourceError> {
    let unusable = |reason: String| SourceError::Unusable {
        reason,
        path: json.to_path_buf(),
    };
    let (file, len) = crate::decode::open_regular(json).map_err(|e| unusable(e.to_string()))?;
    if len > max_bytes {
        return Err(unusable(format!(
            "the COCO JSON is {len} bytes ({:.1} GiB), over the {max_bytes}-byte limit; --max-file-bytes {len} reads it (indexing then holds its boxes and polygons in memory: up to about 1.6 times the file's size)",
            len as f64 / f64::from(1u32 << 30)
        )));
    }
    let mut reader = NanAsNull::new(BufReader::with_capacity(1 << 20, file.take(max_bytes)));
    reader.cancel = Some(cancel);
    serde_json::from_reader(reader).map_err(|e| {
        if cancel.load(Ordering::Relaxed) {
            return SourceError::Cancelled;
        }
        unusable(format!(
            "not a COCO JSON: line {} column {}: {}",
            e.line(),
            e.column(),
            strip_position(&e.to_string())
        ))
    })
}

/// `serde_json`'s message without its own ` at line L column C` (the message states them first).
fn strip_position(message: &str) -> &str {
    message
        .rfind(" at line ")
        .map_or(message, |at| &message[..at])
}

/// JSON bytes with Python's `NaN`, `Infinity` and `-Infinity` (outside strings) as `null`:
/// `NaN` → `null`, `Infinity` → `null    `, `-Infinity` → ` null    `.
pub(super) struct NanAsNull<'a, R> {
    inner: R,
    /// Checked before each chunk: set, the read fails.
    cancel: Option<&'a AtomicBool>,
    /// Bytes made and not yet given.
    out: Vec<u8>,
    given: usize,
    in_string: bool,
    escaped: bool,
    /// A `-` held until the next byte says whether it starts `-Infinity`.
    minus: bool,
    /// The rest of `NaN` or `Infinity` expected next, and what replaces each of its bytes.
    expecting: &'static [u8],
    replacing: &'static [u8],
}

impl<R: BufRead> NanAsNull<'_, R> {
    pub(super) fn new(inner: R) -> Self {
        Self {
            inner,
            cancel: None,
            out: Vec::with_capacity(1 << 16),
            given: 0,
            in_string: false,
            escaped: false,
            minus: false,
            expecting: &[],
            replacing: &[],
        }
    }

    /// Turns the next input chunk into `out`; `false` at the end of the input.
    fn refill(&mut self) -> std::io::Result<bool> {
        self.out.clear();
        self.given = 0;
        if self.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Err(std::io::Error::other("cancelled"));
        }
        let chunk = self.inner.fill_buf()?;
        if chunk.is_empty() {
            if self.minus {
                self.out.push(b'-');
                self.minus = false;
                return Ok(true);
            }
            return Ok(false);
        }
        for &byte in chunk {
            if self.expecting.first() == Some(&byte) {
                self.out.push(self.replacing[0]);
                self.expecting = &self.expecting[1..];
                self.replacing = &self.replacing[1..];
                continue;
            }
            // Not the word after all: left as it is, for the parser to refuse.
            self.expecting = &[];
            if self.in_string {
                self.out.push(byte);
                if self.escaped {
                    self.escaped = false;
                } else if byte == b'\\' {
                    self.escaped = true;
                } else if byte == b'"' {
                    self.in_string = false;
                }
                continue;
            }
            if self.minus {
                self.minus = false;
                self.out.push(if byte == b'I' { b' ' } else { b'-' });
            }
            match byte {
                b'"' => {
                    self.in_string = true;
                    self.out.push(byte);
                }
                b'-' => self.minus = true,
                // The bytes of `NaN` become `nu`, `l`, `l`; those of `Infinity` `null` and spaces.
                b'N' => {
                    self.out.extend_from_slice(b"nu");
                    (self.expecting, self.replacing) = (b"aN", b"ll");
                }
                b'I' => {
                    self.out.push(b'n');
                    (self.expecting, self.replacing) = (b"nfinity", b"ull    ");
                }
                _ => self.out.push(byte),
            }
        }
        let used = chunk.len();
        self.inner.consume(used);
        Ok(true)
    }
}

impl<R: BufRead> Read for NanAsNull<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.given == self.out.len() {
            if !self.refill()? {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.out.len() - self.given);
        buf[..n].copy_from_slice(&self.out[self.given..self.given + n]);
        self.given += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(text: &str, chunk: usize) -> String {
        let reader = std::io::BufReader::with_capacity(chunk, text.as_bytes());
        let mut out = String::new();
        NanAsNull::new(reader).read_to_string(&mut out).unwrap();
        out
    }

    #[test]
    fn python_nan_and_infinity_read_as_null_outside_strings() {
        let text =
            r#"{"a": [NaN, -Infinity, Infinity, -1.5], "s": "NaN \"Infinity\" -I", "b": [-2]}"#;
        let expected =
            r#"{"a": [null,  null    , null    , -1.5], "s": "NaN \"Infinity\" -I", "b": [-2]}"#;
        // Every chunk size: a token cut across two reads of the inner reader is still replaced.
        for chunk in [1, 2, 3, 7, 64] {
            assert_eq!(through(text, chunk), expected, "chunk {chunk}");
        }
        assert_eq!(through("-", 1), "-");
        // Not the word: the bytes after are kept, and the parser refuses what is left.
        assert_eq!(through("[N]", 1), "[nu]");
        let parsed: Vec<Number> = serde_json::from_str(&through("[1, NaN, null]", 4)).unwrap();
        assert_eq!(parsed[0], Number(1.0));
        assert!(parsed[1].0.is_nan() && parsed[2].0.is_nan());
    }
}
