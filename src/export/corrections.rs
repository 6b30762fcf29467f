//! Applying a `corrections.csv` ([`crate::query::Corrections`]) to an export, as if the dataset
//! had been fixed by hand: each named sample takes its new class (an empty one keeps its label) or
//! is gone (`exclude` 1), before the export is planned, so a shuffle and a split treat it as Keras
//! would treat the fixed folder, and `labels.npy`, the manifest and every shard agree. (An exclude
//! list, by contrast, is applied after the split.) The dataset is never touched. The manifest keeps the label each sample had (`original_label`), and
//! `corrections_applied.csv` lists what was applied. A path that names no sample of the dataset, or
//! a class that is not in its class list, is an error that names it (and the line).
//!
//! Paths are matched as an exclude list matches them ([`exclude_list::path_map`]), against the
//! whole dataset: a relabelled sample the options leave out (the other side of a split) is not an
//! error; `corrections_applied.csv` says it was not applied.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::exclude_list;
use crate::load::loader::LoadSpec;
use crate::plan::BatchPlan;
use crate::query::Corrections;

/// What the corrections changed, for the manifest and `corrections_applied.csv`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CorrectionsApplied {
    /// Each sample's label before the corrections (by index into `DatasetIndex::samples`).
    pub original_labels: Vec<Option<u32>>,
    /// One row per correction, in the file's order.
    pub rows: Vec<AppliedRow>,
}

/// One row of `corrections_applied.csv`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppliedRow {
    /// The sample's manifest path.
    pub path: Vec<u8>,
    /// Its class before.
    pub old_class: String,
    /// Its class after (the old one when the row sets none).
    pub new_class: String,
    /// Whether it was left out.
    pub exclude: bool,
    /// Whether the export's plan holds it (a sample of the other subset is not exported at all).
    pub applied: bool,
}

/// Why a corrections file cannot be applied.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ApplyError {
    /// A path that is no sample of the dataset.
    #[error(
        "line {line} of the corrections file: {path:?} is not a sample of this dataset (paths are relative to its root, with /, as in manifest.csv): {file:?}"
    )]
    UnmatchedPath {
        /// The path as written.
        path: String,
        /// Its line.
        line: u64,
        /// The file.
        file: PathBuf,
    },
    /// A class name not in the class list.
    #[error(
        "line {line} of the corrections file: {class:?} is not a class of this dataset; its classes are {classes}: {file:?}"
    )]
    UnknownClass {
        /// The class as written.
        class: String,
        /// The dataset's classes, quoted.
        classes: String,
        /// Its line.
        line: u64,
        /// The file.
        file: PathBuf,
    },
    /// A new class for a dataset without labels.
    #[error(
        "line {line} of the corrections file sets a class, but the dataset has no labels (--labels none): {file:?}"
    )]
    Unlabeled {
        /// Its line.
        line: u64,
        /// The file.
        file: PathBuf,
    },
}

/// Corrections applied to an index, waiting for the plan ([`Pending::finish`]).
#[derive(Clone, Debug)]
pub struct Pending {
    /// Samples (of the corrected index) to leave out of the plan: those of a source read by sample
    /// number, whose index cannot lose rows.
    excluded: Vec<usize>,
    applied: CorrectionsApplied,
}

/// The key of a sample's place in an image folder, as the walk orders files: by class, then the
/// directory under the class folder (byte order of the path, the class folder itself first), then
/// the file name.
fn folder_key(rel: &Path) -> (Vec<u8>, Vec<u8>) {
    let parts: Vec<&[u8]> = rel
        .iter()
        .skip(1)
        .map(std::ffi::OsStr::as_encoded_bytes)
        .collect();
    match parts.split_last() {
        Some((name, dirs)) => (dirs.join(&b'/'), name.to_vec()),
        None => (Vec::new(), Vec::new()),
    }
}

/// `index` with `corrections` applied, as if the folder had been fixed: each named sample takes its
/// new class, and excluded samples are gone. An image folder's samples (read by path) are then in
/// the order the walk would give the fixed folder (a relabelled file as if moved into its new class
/// folder, keeping its path under the class folder), so shuffling and splitting treat it as Keras
/// would the fixed folder; a source read by sample number keeps its order, and its excluded samples
/// are left out of the plan by [`Pending::finish`].
pub fn apply(
    index: &crate::index::DatasetIndex,
    corrections: &Corrections,
) -> Result<(crate::index::DatasetIndex, Pending), ApplyError> {
    let file = || corrections.file.clone();
    let paths = exclude_list::path_map(index, 0..index.samples.len());
    let class_of = |label: Option<u32>| {
        label
            .and_then(|l| index.class_names.get(l as usize))
            .cloned()
            .unwrap_or_default()
    };
    let mut samples = index.samples.clone();
    let mut excluded = vec![false; samples.len()];
    let mut rows = Vec::with_capacity(corrections.rows.len());
    for row in &corrections.rows {
        let Some(&s) = paths.get(&row.path) else {
            return Err(ApplyError::UnmatchedPath {
                path: String::from_utf8_lossy(&row.path).into_owned(),
                line: row.line,
                file: file(),
            });
        };
        if let Some(class) = &row.new_class {
            if !index.labeled {
                return Err(ApplyError::Unlabeled {
                    line: row.line,
                    file: file(),
                });
            }
            let label = index
                .class_names
                .iter()
                .position(|c| c == class)
                .ok_or_else(|| ApplyError::UnknownClass {
                    class: class.clone(),
                    classes: index
                        .class_names
                        .iter()
                        .map(|c| format!("{c:?}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    line: row.line,
                    file: file(),
                })?;
            samples[s].label = Some(label as u32);
        }
        excluded[s] = row.exclude;
        rows.push(AppliedRow {
            path: row.path.clone(),
            old_class: class_of(index.samples[s].label),
            new_class: class_of(samples[s].label),
            exclude: row.exclude,
            applied: true,
        });
    }
    let mut order: Vec<usize> = (0..samples.len()).collect();
    let by_path = index.store.samples_are_files();
    if by_path {
        order.retain(|&s| !excluded[s]);
        // The layout of an image folder: every sample under the folder of its class.
        let folder_layout = index.labeled
            && index.samples.iter().all(|s| {
                let class = s.label.and_then(|l| index.class_names.get(l as usize));
                let first = s.rel_path.iter().next().map(|c| c.to_string_lossy());
                class.is_some_and(|c| first.as_deref() == Some(c.as_str()))
            });
        if folder_layout {
            let keys: Vec<_> = samples
                .iter()
                .map(|s| (s.label.unwrap_or(u32::MAX), folder_key(&s.rel_path)))
                .collect();
            order.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
        }
    }
    let original_labels = order.iter().map(|&s| index.samples[s].label).collect();
    let still_excluded = if by_path {
        Vec::new()
    } else {
        (0..samples.len()).filter(|&s| excluded[s]).collect()
    };
    let corrected = crate::index::DatasetIndex {
        samples: order.iter().map(|&s| samples[s].clone()).collect(),
        ..index.clone()
    };
    Ok((
        corrected,
        Pending {
            excluded: still_excluded,
            applied: CorrectionsApplied {
                original_labels,
                rows,
            },
        },
    ))
}

impl Pending {
    /// `job` (planned from the corrected index) without the excluded samples a source read by
    /// number keeps in its index, and what was applied: a relabelled sample the plan does not hold
    /// (the other side of a split) is marked not applied.
    pub fn finish(self, job: &LoadSpec) -> (LoadSpec, CorrectionsApplied) {
        let mut job = job.clone();
        if !self.excluded.is_empty() {
            let mut out = vec![false; job.index.samples.len()];
            for &s in &self.excluded {
                out[s] = true;
            }
            job.plan = Arc::new(BatchPlan {
                order: job
                    .plan
                    .order
                    .iter()
                    .copied()
                    .filter(|&s| !out[s])
                    .collect(),
                batch_size: job.plan.batch_size,
                seed: job.plan.seed,
                // A source's own batch bounds no longer hold once rows are left out.
                ends: None,
            });
        }
        let planned = exclude_list::path_map(&job.index, job.plan.order.iter().copied());
        let mut applied = self.applied;
        for row in &mut applied.rows {
            row.applied = row.exclude || planned.contains_key(&row.path);
        }
        (job, applied)
    }
}

/// Writes `corrections_applied.csv`: `path,old_class,new_class,exclude,applied`, one row per
/// correction in the file's order (`applied` 0 for a sample the export's options leave out).
pub(super) fn write_applied(
    path: &Path,
    applied: &CorrectionsApplied,
) -> Result<(), super::ExportError> {
    use std::io::Write as _;
    let bytes = applied_csv(applied);
    std::fs::File::create(path)
        .and_then(|mut f| {
            f.write_all(&bytes)?;
            f.sync_all()
        })
        .map_err(super::io_err("writing", path))
}

/// The bytes corrections add to an export of `job`: the manifest's `original_label` column and
/// `corrections_applied.csv` (for the free-space check, which counts every file).
pub fn extra_bytes(job: &LoadSpec, applied: &CorrectionsApplied) -> u64 {
    let column: u64 = job
        .plan
        .order
        .iter()
        .map(|&s| {
            let value = applied
                .original_labels
                .get(s)
                .copied()
                .flatten()
                .map_or(0, |l| job.index.label_value(l).to_string().len());
            1 + value as u64
        })
        .sum();
    ",original_label".len() as u64 + column + applied_csv(applied).len() as u64
}

/// The bytes of `corrections_applied.csv`.
pub fn applied_csv(applied: &CorrectionsApplied) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(["path", "old_class", "new_class", "exclude", "applied"]);
    for row in &applied.rows {
        let _ = w.write_record([
            row.path.as_slice(),
            row.old_class.as_bytes(),
            row.new_class.as_bytes(),
            if row.exclude { b"1" } else { b"0" },
            if row.applied { b"1" } else { b"0" },
        ]);
    }
    // Writing to a Vec cannot fail.
    w.into_inner().unwrap_or_default()
}
