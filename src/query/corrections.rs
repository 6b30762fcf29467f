//! Reading `corrections.csv`, as [`Edits::corrections_csv`](super::edits::Edits::corrections_csv)
//! writes it or a user writes it by hand: a header row naming the columns, in any order. Only
//! `path` and `new_class` are required; `exclude` (`1`/`0`, `true`/`false`, `yes`/`no`, or empty)
//! and `tags` (`;`-separated) are read when present, and any other column (`old_class`) is ignored.
//! An empty `new_class` leaves the label alone. A path named twice is an error, as is a malformed
//! row: every error names the file and the line.

use std::path::{Path, PathBuf};

use super::edits::TAG_SEPARATOR;

/// One row of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Correction {
    /// The sample's path as `manifest.csv` writes it.
    pub path: Vec<u8>,
    /// The class it should have, `None` to keep its label.
    pub new_class: Option<String>,
    /// Leave it out of the export.
    pub exclude: bool,
    /// Its tags.
    pub tags: Vec<String>,
    /// Its line in the file (1 is the header).
    pub line: u64,
}

/// Why a corrections file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CorrectionsError {
    /// The file could not be read.
    #[error("reading the corrections file: {source}: {file:?}")]
    Io {
        /// The file.
        file: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A required column is missing from the header.
    #[error(
        "the corrections file has no {column:?} column (its header must name path and new_class): {file:?}"
    )]
    MissingColumn {
        /// The column.
        column: &'static str,
        /// The file.
        file: PathBuf,
    },
    /// A row that is not CSV, or holds text that is not UTF-8 where a name is expected.
    #[error("line {line} of the corrections file: {reason}: {file:?}")]
    Row {
        /// The line.
        line: u64,
        /// What is wrong.
        reason: String,
        /// The file.
        file: PathBuf,
    },
}

/// The rows of a corrections file, in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Corrections {
    /// The rows.
    pub rows: Vec<Correction>,
    /// The file they came from, for messages.
    pub file: PathBuf,
}

/// `exclude`'s value.
fn flag(value: &[u8]) -> Option<bool> {
    match value.trim_ascii().to_ascii_lowercase().as_slice() {
        b"" | b"0" | b"false" | b"no" => Some(false),
        b"1" | b"true" | b"yes" => Some(true),
        _ => None,
    }
}

/// The line a record starts on, counted as the reader goes: csv's own count misses the line ends it
/// consumes with the next record (the `\n` of a CRLF, blank lines) and lone `\r`s.
struct LineCounter<'a> {
    bytes: &'a [u8],
    /// Bytes counted so far.
    at: usize,
    /// Line ends before `at`.
    ends: u64,
}

impl LineCounter<'_> {
    /// The line of the record whose position is `byte` (line ends at the position skipped).
    fn line_of(&mut self, byte: u64) -> u64 {
        let bytes = self.bytes;
        let mut start = usize::try_from(byte).unwrap_or(usize::MAX).min(bytes.len());
        while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        let start = start.max(self.at);
        // A line ends at `\n`, `\r\n` or a lone `\r`, as csv reads them.
        self.ends += (self.at..start)
            .filter(|&i| {
                bytes[i] == b'\n' || (bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n'))
            })
            .count() as u64;
        self.at = start;
        self.ends + 1
    }
}

impl Corrections {
    /// Reads the file at `file`.
    pub fn read(file: &Path) -> Result<Self, CorrectionsError> {
        let bytes = std::fs::read(file).map_err(|source| CorrectionsError::Io {
            file: file.to_path_buf(),
            source,
        })?;
        Self::parse(&bytes, file)
    }

    /// Parses `bytes`, which came from `file` (named in errors).
    pub fn parse(bytes: &[u8], file: &Path) -> Result<Self, CorrectionsError> {
        let row_error = |line: u64, reason: String| CorrectionsError::Row {
            line,
            reason,
            file: file.to_path_buf(),
        };
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(bytes);
        let header = reader
            .byte_headers()
            .map_err(|e| row_error(1, e.to_string()))?
            .clone();
        let column = |name: &'static str| {
            header
                .iter()
                .position(|h| h.trim_ascii() == name.as_bytes())
        };
        let missing = |column| CorrectionsError::MissingColumn {
            column,
            file: file.to_path_buf(),
        };
        let path_at = column("path").ok_or_else(|| missing("path"))?;
        let class_at = column("new_class").ok_or_else(|| missing("new_class"))?;
        let exclude_at = column("exclude");
        let tags_at = column("tags");
        let mut rows = Vec::new();
        let mut seen = std::collections::HashMap::new();
        let mut lines = LineCounter {
            bytes,
            at: 0,
            ends: 0,
        };
        let mut line_at = |byte: u64| lines.line_of(byte);
        for record in reader.byte_records() {
            let record = record.map_err(|e| {
                let line = e.position().map_or(0, |p| line_at(p.byte()));
                row_error(line, e.to_string())
            })?;
            let line = record.position().map_or(0, |p| line_at(p.byte()));
            let field = |at: usize| record.get(at).unwrap_or_default();
            let text = |at: usize, what: &str| {
                std::str::from_utf8(field(at))
                    .map(|s| s.trim().to_owned())
                    .map_err(|_| row_error(line, format!("the {what} is not UTF-8")))
            };
            let path = field(path_at).to_vec();
            if path.is_empty() {
                return Err(row_error(line, "the path is empty".into()));
            }
            let new_class = Some(text(class_at, "new_class")?).filter(|c| !c.is_empty());
            let exclude = match exclude_at {
                Some(at) => flag(field(at)).ok_or_else(|| {
                    row_error(
                        line,
                        format!(
                            "exclude is {:?}; expected 1 or 0 (or empty)",
                            String::from_utf8_lossy(field(at))
                        ),
                    )
                })?,
                None => false,
            };
            let tags = match tags_at {
                Some(at) => text(at, "tags")?
                    .split(TAG_SEPARATOR)
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect(),
                None => Vec::new(),
            };
            if let Some(first) = seen.insert(path.clone(), line) {
                return Err(row_error(
                    line,
                    format!(
                        "{:?} is corrected twice (first on line {first})",
                        String::from_utf8_lossy(&path)
                    ),
                ));
            }
            rows.push(Correction {
                path,
                new_class,
                exclude,
                tags,
                line,
            });
        }
        Ok(Self {
            rows,
            file: file.to_path_buf(),
        })
    }

    /// Edits holding the file's tags (only the tags: `list --corrections` filters on them).
    pub fn tag_edits(&self, dataset: &Path) -> super::edits::Edits {
        let mut edits = super::edits::Edits::new(dataset);
        for row in &self.rows {
            let path = String::from_utf8_lossy(&row.path);
            for tag in &row.tags {
                // A tag the edits refuse (a control character) is not a tag to filter on.
                let _ = edits.add_tag([path.as_ref()], tag);
            }
        }
        edits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Corrections, String> {
        Corrections::parse(text.as_bytes(), Path::new("fix.csv")).map_err(|e| e.to_string())
    }

    #[test]
    fn only_path_and_new_class_are_required_in_any_order() {
        let c = parse("new_class,path\ndog,cat/1.png\n,cat/2.png\n").unwrap();
        let got: Vec<(&[u8], Option<&str>, bool, u64)> = c
            .rows
            .iter()
            .map(|r| (r.path.as_slice(), r.new_class.as_deref(), r.exclude, r.line))
            .collect();
        assert_eq!(
            got,
            [
                (&b"cat/1.png"[..], Some("dog"), false, 2),
                (&b"cat/2.png"[..], None, false, 3),
            ]
        );
        let c =
            parse("\u{feff}path,old_class,new_class,exclude,tags\r\na.png,x,, TRUE ,t1; t2;\r\n")
                .unwrap();
        assert!(c.rows[0].exclude);
        assert_eq!(c.rows[0].tags, ["t1", "t2"]);
        // Lines are counted the same with CRLF endings (found by the fuzzer).
        let c = parse("path,new_class\r\na.png,\r\nb.png,x\r\n\r\nc.png,\r\n").unwrap();
        let lines: Vec<u64> = c.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 3, 5]);
        let c = parse("path,new_class\ra.png,\r\rb.png,x\n").unwrap();
        let lines: Vec<u64> = c.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 4]);
    }

    #[test]
    fn errors_name_the_file_and_the_line() {
        assert_eq!(
            parse("path,exclude\na.png,1\n").unwrap_err(),
            "the corrections file has no \"new_class\" column (its header must name path and new_class): \"fix.csv\""
        );
        assert_eq!(
            parse("new_class\ndog\n").unwrap_err(),
            "the corrections file has no \"path\" column (its header must name path and new_class): \"fix.csv\""
        );
        assert_eq!(
            parse("path,new_class,exclude\na.png,,1\nb.png,,maybe\n").unwrap_err(),
            "line 3 of the corrections file: exclude is \"maybe\"; expected 1 or 0 (or empty): \"fix.csv\""
        );
        assert_eq!(
            parse("path,new_class\na.png,dog\nb.png,\na.png,cat\n").unwrap_err(),
            "line 4 of the corrections file: \"a.png\" is corrected twice (first on line 2): \"fix.csv\""
        );
        assert_eq!(
            parse("path,new_class\n,dog\n").unwrap_err(),
            "line 2 of the corrections file: the path is empty: \"fix.csv\""
        );
        let err = parse("path,new_class\na.png,dog,extra\n").unwrap_err();
        assert!(err.starts_with("line 2 of the corrections file: "), "{err}");
        assert!(err.ends_with(": \"fix.csv\""), "{err}");
    }
}
