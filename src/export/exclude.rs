//! Leaving samples out of an export on the user's word: an exclude list names samples by their path
//! relative to the dataset root, `/`-separated, as `manifest.csv` writes them, one per line. A line may
//! add a tab and the reason (`batchscope health --exclude-out` writes them); a line that is itself a
//! sample's path is always taken whole, so a name holding a tab still works. Blank lines are ignored.
//!
//! The list is applied to the planned order: the split and the order stay the ones Keras would make,
//! minus the listed samples. Each sample left out is an [`Excluded`] that the export writes to
//! `excluded.csv` (`path,reason`). Nothing is ever deleted from the dataset.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::manifest_path_bytes;
use crate::loader::LoadJob;
use crate::plan::BatchPlan;

/// A sample left out of the export, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Excluded {
    /// Path relative to the dataset root.
    pub rel_path: PathBuf,
    /// Why, as the list gave it (or which list named it).
    pub reason: String,
}

/// The lines of an exclude list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExcludeList {
    lines: Vec<Vec<u8>>,
    /// Reason given to lines without one.
    default_reason: String,
}

impl ExcludeList {
    /// Reads the list at `path`.
    pub fn read(path: &Path) -> std::io::Result<Self> {
        let bytes = std::fs::read(path)?;
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        Ok(Self::parse(&bytes, &format!("listed in {name}")))
    }

    /// A list from its bytes; lines without a reason get `default_reason`.
    pub fn parse(bytes: &[u8], default_reason: &str) -> Self {
        let lines = bytes
            .split(|&b| b == b'\n')
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l).to_vec())
            .filter(|l| !l.is_empty())
            .collect();
        Self {
            lines,
            default_reason: default_reason.to_owned(),
        }
    }

    /// Number of lines.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

/// What applying a list did.
#[derive(Clone, Debug)]
pub struct Applied {
    /// The job without the listed samples.
    pub job: LoadJob,
    /// The planned samples left out, in plan order.
    pub excluded: Vec<Excluded>,
    /// Lines that named no planned sample (not in the dataset, or not in this subset), as written.
    pub unmatched: Vec<String>,
}

/// Removes the samples `list` names from `job`'s plan.
pub fn apply(job: &LoadJob, list: &ExcludeList) -> Applied {
    let planned: HashMap<Vec<u8>, usize> = job
        .plan
        .order
        .iter()
        .map(|&s| (manifest_path_bytes(&job.index.samples[s].rel_path), s))
        .collect();
    let mut reasons: HashMap<usize, String> = HashMap::new();
    let mut unmatched = Vec::new();
    for line in &list.lines {
        let (sample, reason) = match planned.get(line) {
            Some(&s) => (Some(s), None),
            None => match line.iter().rposition(|&b| b == b'\t') {
                Some(tab) => (
                    planned.get(&line[..tab]).copied(),
                    Some(String::from_utf8_lossy(&line[tab + 1..]).into_owned()),
                ),
                None => (None, None),
            },
        };
        match sample {
            Some(s) => {
                reasons
                    .entry(s)
                    .or_insert_with(|| reason.unwrap_or_else(|| list.default_reason.clone()));
            }
            None => unmatched.push(String::from_utf8_lossy(line).into_owned()),
        }
    }
    let mut order = Vec::with_capacity(job.plan.order.len());
    let mut excluded = Vec::new();
    for &s in &job.plan.order {
        match reasons.remove(&s) {
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
        unmatched,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::{DatasetIndex, Sample};
    use crate::preprocess::{Element, Shape};

    fn job() -> LoadJob {
        let names = ["a/1.png", "a/2.png", "b/x\ty.png", "b/3.png"];
        let index = DatasetIndex {
            samples: names
                .iter()
                .map(|n| Sample {
                    rel_path: PathBuf::from(n),
                    label: Some(0),
                })
                .collect(),
            ..DatasetIndex::default()
        };
        LoadJob {
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
