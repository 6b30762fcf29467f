//! Leaving samples out of an export on the user's word: an exclude list names samples by their path
//! relative to the dataset root, `/`-separated, as `manifest.csv` writes them, one per line. A line may
//! add a tab and the reason (`batchscope health --exclude-out` writes them); a line that is itself a
//! sample's path is always taken whole, so a name holding a tab still works. Blank lines are ignored.
//!
//! The list is applied to the planned order: the split and the order stay the ones Keras would make,
//! minus the listed samples. Each sample left out is an [`Excluded`] that the export writes to
//! `excluded.csv` (`path,reason`). Nothing is ever deleted from the dataset.

use std::collections::HashMap;
use std::io::{self, BufRead};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::manifest_path_bytes;
use crate::load::loader::LoadSpec;
use crate::plan::BatchPlan;

/// How many unmatched lines [`Applied::unmatched`] keeps verbatim (the rest are only counted).
const UNMATCHED_KEPT: usize = 10;

/// A sample left out of the export, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Excluded {
    /// Path relative to the dataset root.
    pub rel_path: PathBuf,
    /// Why, as the list gave it (or which list named it).
    pub reason: String,
}

/// An exclude list held in memory: its bytes as read (one buffer, no allocation per line).
/// [`apply_file`] streams a list from disk instead, holding none of it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExcludeList {
    bytes: Vec<u8>,
    /// Non-blank lines.
    lines: usize,
    /// Reason given to lines without one.
    default_reason: String,
}

/// The reason given to a line without one: which list named it.
fn default_reason(path: &Path) -> String {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    format!("listed in {name}")
}

/// One line without its `\r\n` / `\n` ending; `None` for a blank line.
fn content(line: &[u8]) -> Option<&[u8]> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    (!line.is_empty()).then_some(line)
}

impl ExcludeList {
    /// Reads the list at `path`.
    pub fn read(path: &Path) -> std::io::Result<Self> {
        let bytes = std::fs::read(path)?;
        Ok(Self::parse_owned(bytes, &default_reason(path)))
    }

    /// A list from its bytes; lines without a reason get `default_reason`.
    pub fn parse(bytes: &[u8], default_reason: &str) -> Self {
        Self::parse_owned(bytes.to_vec(), default_reason)
    }

    fn parse_owned(bytes: Vec<u8>, default_reason: &str) -> Self {
        let lines = bytes.split(|&b| b == b'\n').filter_map(content).count();
        Self {
            bytes,
            lines,
            default_reason: default_reason.to_owned(),
        }
    }

    /// Number of lines.
    pub fn len(&self) -> usize {
        self.lines
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.lines == 0
    }
}

/// What applying a list did.
#[derive(Clone, Debug)]
pub struct Applied {
    /// The job without the listed samples.
    pub job: LoadSpec,
    /// The planned samples left out, in plan order.
    pub excluded: Vec<Excluded>,
    /// The first lines (at most 10) that named no planned sample (not in the dataset, or not in
    /// this subset), as written.
    pub unmatched: Vec<String>,
    /// How many lines named no planned sample.
    pub unmatched_count: usize,
    /// How many non-blank lines the list has.
    pub lines: usize,
}

/// The manifest path (bytes) of each of `samples` (indices into `index.samples`): how a list names
/// a sample, whichever list it is (an exclude list, `--only`, `corrections.csv`).
pub fn path_map(
    index: &crate::index::DatasetIndex,
    samples: impl Iterator<Item = usize>,
) -> HashMap<Vec<u8>, usize> {
    samples
        .map(|s| (manifest_path_bytes(&index.samples[s].rel_path), s))
        .collect()
}

/// Matches lines against the planned samples as they come: memory is the plan's paths and the
/// reasons of the samples left out, whatever the list's length.
struct Matcher<'a> {
    planned: HashMap<Vec<u8>, usize>,
    reasons: HashMap<usize, String>,
    unmatched: Vec<String>,
    unmatched_count: usize,
    lines: usize,
    default_reason: &'a str,
}

impl<'a> Matcher<'a> {
    fn new(job: &LoadSpec, default_reason: &'a str) -> Self {
        Self {
            planned: path_map(&job.index, job.plan.order.iter().copied()),
            reasons: HashMap::new(),
            unmatched: Vec::new(),
            unmatched_count: 0,
            lines: 0,
            default_reason,
        }
    }

    /// Takes one raw line (its ending included or not).
    fn line(&mut self, raw: &[u8]) {
        let Some(line) = content(raw) else {
            return;
        };
        self.lines += 1;
        let (sample, reason) = match self.planned.get(line) {
            Some(&s) => (Some(s), None),
            None => match line.iter().rposition(|&b| b == b'\t') {
                Some(tab) => (
                    self.planned.get(&line[..tab]).copied(),
                    Some(&line[tab + 1..]),
                ),
                None => (None, None),
            },
        };
        if let Some(s) = sample {
            let default_reason = self.default_reason;
            self.reasons.entry(s).or_insert_with(|| {
                reason.map_or_else(
                    || default_reason.to_owned(),
                    |r| String::from_utf8_lossy(r).into_owned(),
                )
            });
        } else {
            self.unmatched_count += 1;
            if self.unmatched.len() < UNMATCHED_KEPT {
                self.unmatched
                    .push(String::from_utf8_lossy(line).into_owned());
            }
        }
    }

    fn finish(mut self, job: &LoadSpec) -> Applied {
        let mut order = Vec::with_capacity(job.plan.order.len());
        let mut excluded = Vec::new();
        for &s in &job.plan.order {
            match self.reasons.remove(&s) {
                Some(reason) => excluded.push(Excluded {
                    rel_path: job.index.samples[s].rel_path.clone(),
                    reason,
                }),
                None => order.push(s),
            }
        }
        let mut job = job.clone();
        if !excluded.is_empty() {
            job.plan = Arc::new(BatchPlan {
                order,
                batch_size: job.plan.batch_size,
                seed: job.plan.seed,
                // A source's own batch bounds no longer hold once rows are left out.
                ends: None,
            });
        }
        Applied {
            job,
            excluded,
            unmatched: self.unmatched,
            unmatched_count: self.unmatched_count,
            lines: self.lines,
        }
    }
}

/// What keeping only the listed samples did ([`keep_only`]).
#[derive(Clone, Debug)]
pub struct Kept {
    /// The job with only the listed samples, in plan order.
    pub job: LoadSpec,
    /// The first lines (at most 10) that named no planned sample, as written.
    pub unmatched: Vec<String>,
    /// How many lines named no planned sample.
    pub unmatched_count: usize,
    /// How many paths the list has.
    pub lines: usize,
}

impl Matcher<'_> {
    /// The job with only the matched samples, in plan order.
    fn keep(self, job: &LoadSpec) -> Kept {
        let order: Vec<usize> = job
            .plan
            .order
            .iter()
            .copied()
            .filter(|s| self.reasons.contains_key(s))
            .collect();
        let mut kept = job.clone();
        if order.len() != job.plan.order.len() {
            kept.plan = Arc::new(BatchPlan {
                order,
                batch_size: job.plan.batch_size,
                seed: job.plan.seed,
                ends: None,
            });
        }
        Kept {
            job: kept,
            unmatched: self.unmatched,
            unmatched_count: self.unmatched_count,
            lines: self.lines,
        }
    }
}

/// Keeps only the samples `list` names in `job`'s plan, in plan order (`--only`). The list is one
/// path per line as an exclude list is (a tab and a reason allowed), or a CSV file whose header
/// has a `path` column (as `batchscope list --format csv` writes): then that column names them.
pub fn keep_only(job: &LoadSpec, list: &[u8]) -> Result<Kept, String> {
    let mut matcher = Matcher::new(job, "");
    let first = list.split(|&b| b == b'\n').next().and_then(content);
    let header = first.and_then(|line| {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(line)
            .byte_records()
            .next()
            .and_then(Result::ok)
    });
    match header.and_then(|h| h.iter().position(|f| f == b"path")) {
        Some(column) => {
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(true)
                .flexible(true)
                .from_reader(list);
            for record in reader.byte_records() {
                let record = record.map_err(|e| {
                    let line = e.position().map_or(0, csv::Position::line);
                    format!("line {line} is not CSV ({e})")
                })?;
                matcher.line(record.get(column).unwrap_or_default());
            }
        }
        None => {
            for line in list.split(|&b| b == b'\n') {
                matcher.line(line);
            }
        }
    }
    Ok(matcher.keep(job))
}

/// Removes the samples `list` names from `job`'s plan.
pub fn apply(job: &LoadSpec, list: &ExcludeList) -> Applied {
    let mut matcher = Matcher::new(job, &list.default_reason);
    for line in list.bytes.split(|&b| b == b'\n') {
        matcher.line(line);
    }
    matcher.finish(job)
}

/// Removes the samples the list at `path` names from `job`'s plan, reading the list a line at a
/// time: a list of millions of lines costs the plan's paths in memory, not the list's size.
pub fn apply_file(job: &LoadSpec, path: &Path) -> io::Result<Applied> {
    let reason = default_reason(path);
    let mut matcher = Matcher::new(job, &reason);
    let mut input = io::BufReader::with_capacity(1 << 16, std::fs::File::open(path)?);
    let mut line = Vec::new();
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        matcher.line(&line);
    }
    Ok(matcher.finish(job))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::{DatasetIndex, Sample};
    use crate::load::preprocess::{Element, Shape};

    fn job() -> LoadSpec {
        let names = ["a/1.png", "a/2.png", "b/x\ty.png", "b/3.png"];
        let index = DatasetIndex {
            samples: names
                .iter()
                .map(|n| Sample {
                    objects: None,
                    rel_path: PathBuf::from(n),
                    label: Some(0),
                })
                .collect(),
            ..DatasetIndex::default()
        };
        LoadSpec {
            index: Arc::new(index),
            plan: Arc::new(BatchPlan {
                order: vec![3, 1, 0, 2],
                batch_size: 2,
                seed: Some(1),
                ends: None,
            }),
            preprocess: crate::options::PreprocessOptions::default(),
            shape: Shape::default(),
            element: Element::default(),
        }
    }

    #[test]
    fn exclude_list_keeps_plan_order_reasons_and_names_holding_tabs() {
        let list = ExcludeList::parse(
            b"a/1.png\tdark 12.5\r\n\nb/x\ty.png\nnot/there.png\na/2.png\na/1.png\n",
            "listed in l.txt",
        );
        let applied = apply(&job(), &list);
        assert_eq!(applied.job.plan.order, [3]);
        assert_eq!(applied.job.plan.seed, Some(1));
        let got: Vec<(&str, &str)> = applied
            .excluded
            .iter()
            .map(|e| (e.rel_path.to_str().unwrap_or(""), e.reason.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("a/2.png", "listed in l.txt"),
                ("a/1.png", "dark 12.5"),
                ("b/x\ty.png", "listed in l.txt"),
            ]
        );
        assert_eq!(applied.unmatched, ["not/there.png"]);
        // An empty list changes nothing.
        let none = apply(&job(), &ExcludeList::default());
        assert_eq!(none.job.plan.order, [3, 1, 0, 2]);
        assert!(none.excluded.is_empty());
    }
}
