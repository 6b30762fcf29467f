//! Which samples to leave out of training, from the findings: every member of a duplicate group but
//! its first (in pass order), every leak's validation copy, or every image with a given flag. The
//! result is written as an exclude list (`path<TAB>reason` lines) that `batchscope export
//! --exclude-list` reads. Choosing never deletes anything from the dataset.

use std::fmt;
use std::str::FromStr;

use super::report::rel_path;
use super::{DuplicateKind, Findings, FlagKind, Scan};

/// What to exclude.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExcludeKind {
    /// Exact duplicate groups, all but the first member.
    Exact,
    /// Near duplicate groups, all but the first member.
    Near,
    /// The validation copy of every leak.
    Leaks,
    /// Every image with this flag.
    Flag(FlagKind),
}

impl FromStr for ExcludeKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "exact" => Ok(Self::Exact),
            "near" => Ok(Self::Near),
            "leaks" => Ok(Self::Leaks),
            _ => FlagKind::ALL
                .into_iter()
                .find(|k| k.name() == s)
                .map(Self::Flag)
                .ok_or_else(|| {
                    let flags: Vec<&str> = FlagKind::ALL.iter().map(|k| k.name()).collect();
                    format!(
                        "{s:?} is not something to exclude: expected exact, near, leaks or a flag ({})",
                        flags.join(", ")
                    )
                }),
        }
    }
}

impl fmt::Display for ExcludeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exact => f.write_str("exact"),
            Self::Near => f.write_str("near"),
            Self::Leaks => f.write_str("leaks"),
            Self::Flag(kind) => kind.fmt(f),
        }
    }
}

/// The samples `kinds` select, each once (with the first reason found), in the order found.
pub fn select(scan: &Scan, findings: &Findings, kinds: &[ExcludeKind]) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut push = |sample: usize, reason: String| {
        if seen.insert(sample) {
            out.push((sample, reason));
        }
    };
    for &kind in kinds {
        match kind {
            ExcludeKind::Exact | ExcludeKind::Near => {
                let want = if kind == ExcludeKind::Exact {
                    DuplicateKind::Exact
                } else {
                    DuplicateKind::Near
                };
                for group in findings.duplicates.iter().filter(|g| g.kind == want) {
                    let kept = rel_path(scan, group.samples[0]);
                    for &s in &group.samples[1..] {
                        push(
                            s,
                            format!("{kind} duplicate of {kept} ({:.3})", group.score),
                        );
                    }
                }
            }
            ExcludeKind::Leaks => {
                for leak in &findings.leaks {
                    let training: Vec<String> = leak
                        .samples
                        .iter()
                        .zip(&leak.subsets)
                        .filter(|(_, s)| **s == crate::options::Subset::Training)
                        .map(|(&i, _)| rel_path(scan, i))
                        .collect();
                    for (&s, subset) in leak.samples.iter().zip(&leak.subsets) {
                        if *subset == crate::options::Subset::Validation {
                            push(s, format!("leak: copy of training {}", training.join(" ")));
                        }
                    }
                }
            }
            ExcludeKind::Flag(flag) => {
                for f in findings.flags.iter().filter(|f| f.kind == flag) {
                    push(f.sample, format!("{flag} {:.4}", f.score));
                }
            }
        }
    }
    out
}

/// The exclude list of `selected`: `path<TAB>reason` lines, paths as in `manifest.csv`.
pub fn list_bytes(scan: &Scan, selected: &[(usize, String)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (sample, reason) in selected {
        out.extend_from_slice(&crate::export::manifest_path_bytes(
            &scan.index.samples[*sample].rel_path,
        ));
        out.push(b'\t');
        // A reason is one line.
        out.extend(
            reason
                .bytes()
                .map(|b| if b == b'\n' || b == b'\t' { b' ' } else { b }),
        );
        out.push(b'\n');
    }
    out
}
