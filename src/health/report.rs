//! The findings as the command line shows them: JSON with exactly the keys of the documented schema
//! (`duplicates`, `leaks`, `flags`, `channels`, `classes`, `imbalance_ratio`; paths relative to the
//! dataset root with `/`, as in `manifest.csv`), and a readable text summary.

use std::fmt::Write as _;

use serde::Serialize;

use super::{Findings, FlagKind, Scan};
use crate::export::manifest_path_bytes;

/// The JSON document.
#[derive(Debug, Serialize)]
pub struct Json {
    /// Duplicate groups.
    pub duplicates: Vec<JsonDuplicate>,
    /// Leaks across the split.
    pub leaks: Vec<JsonLeak>,
    /// Flagged images.
    pub flags: Vec<JsonFlag>,
    /// Mean and std per channel, 0..255.
    pub channels: super::ChannelStats,
    /// Planned samples per class (in label order).
    pub classes: serde_json::Map<String, serde_json::Value>,
    /// Largest over smallest non-empty class, `null` without classes.
    pub imbalance_ratio: Option<f64>,
}

/// One duplicate group.
#[derive(Debug, Serialize)]
pub struct JsonDuplicate {
    /// `exact` or `near`.
    pub kind: super::DuplicateKind,
    /// Member paths.
    pub paths: Vec<String>,
    /// 1 for exact; lowest hash similarity for near.
    pub score: f64,
}

/// One leak.
#[derive(Debug, Serialize)]
pub struct JsonLeak {
    /// Member paths.
    pub paths: Vec<String>,
    /// The subset of each path (`training` or `validation`).
    pub subsets: Vec<crate::options::Subset>,
}

/// One flag.
#[derive(Debug, Serialize)]
pub struct JsonFlag {
    /// The image.
    pub path: String,
    /// The flag's kind.
    pub kind: FlagKind,
    /// Its score.
    pub score: f64,
}

/// Sample `i`'s path relative to the root, `/`-separated (lossy UTF-8 for JSON).
pub fn rel_path(scan: &Scan, sample: usize) -> String {
    String::from_utf8_lossy(&manifest_path_bytes(&scan.index.samples[sample].rel_path)).into_owned()
}

/// The JSON document of `findings`.
pub fn json(scan: &Scan, findings: &Findings) -> Json {
    let paths = |samples: &[usize]| samples.iter().map(|&s| rel_path(scan, s)).collect();
    Json {
        duplicates: findings
            .duplicates
            .iter()
            .map(|g| JsonDuplicate {
                kind: g.kind,
                paths: paths(&g.samples),
                score: g.score,
            })
            .collect(),
        leaks: findings
            .leaks
            .iter()
            .map(|l| JsonLeak {
                paths: paths(&l.samples),
                subsets: l.subsets.clone(),
            })
            .collect(),
        flags: findings
            .flags
            .iter()
            .map(|f| JsonFlag {
                path: rel_path(scan, f.sample),
                kind: f.kind,
                score: f.score,
            })
            .collect(),
        channels: findings.channels.clone(),
        classes: findings
            .classes
            .iter()
            .map(|(name, n)| (name.clone(), serde_json::Value::from(*n)))
            .collect(),
        imbalance_ratio: findings.imbalance_ratio,
    }
}

/// A readable summary: counts per finding, mean/std, classes, and the first `top` groups and flags.
pub fn text(scan: &Scan, findings: &Findings, near_distance: u32, top: usize) -> String {
    let mut s = String::new();
    let loaded = scan.entries.iter().filter(|e| e.health.is_some()).count();
    let _ = writeln!(
        s,
        "{} images measured at {}x{}x{} ({} from the cache), {} failed to load",
        loaded,
        scan.shape.height,
        scan.shape.width,
        scan.shape.channels,
        scan.cached,
        scan.failures.len()
    );
    for note in &scan.notes {
        let _ = writeln!(s, "note: {note}");
    }
    if !scan.color_modes.is_empty() {
        let modes: Vec<String> = scan
            .color_modes
            .iter()
            .map(|(mode, n)| format!("{mode} {n}"))
            .collect();
        let _ = writeln!(s, "stored colour modes (headers): {}", modes.join(", "));
    }
    let exact: Vec<_> = findings
        .duplicates
        .iter()
        .filter(|g| g.kind == super::DuplicateKind::Exact)
        .collect();
    let near = findings.duplicates.len() - exact.len();
    let _ = writeln!(
        s,
        "duplicates: {} exact groups ({} images), {} near groups (within {near_distance} of 64 bits)",
        exact.len(),
        exact.iter().map(|g| g.samples.len()).sum::<usize>(),
        near
    );
    if scan.split {
        let _ = writeln!(
            s,
            "leaks: {} groups in both training and validation",
            findings.leaks.len()
        );
    }
    let _ = write!(s, "flags:");
    for kind in FlagKind::ALL {
        let n = findings.flags.iter().filter(|f| f.kind == kind).count();
        let _ = write!(s, " {kind} {n}");
    }
    let _ = writeln!(s);
    let list = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:.3}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(
        s,
        "channels (0-255): mean [{}]  std [{}]",
        list(&findings.channels.mean),
        list(&findings.channels.std)
    );
    if !findings.classes.is_empty() {
        let counts: Vec<String> = findings
            .classes
            .iter()
            .map(|(name, n)| format!("{name} {n}"))
            .collect();
        let _ = writeln!(s, "classes: {}", counts.join(", "));
        if let Some(ratio) = findings.imbalance_ratio {
            let _ = writeln!(s, "imbalance ratio (largest / smallest): {ratio:.2}");
        }
    }
    for leak in findings.leaks.iter().take(top) {
        let members: Vec<String> = leak
            .samples
            .iter()
            .zip(&leak.subsets)
            .map(|(&i, subset)| format!("{} ({subset})", rel_path(scan, i)))
            .collect();
        let _ = writeln!(s, "  leak: {}", shortened(&members));
    }
    for group in findings.duplicates.iter().take(top) {
        let members: Vec<String> = group.samples.iter().map(|&i| rel_path(scan, i)).collect();
        let kind = match group.kind {
            super::DuplicateKind::Exact => "exact",
            super::DuplicateKind::Near => "near",
        };
        let _ = writeln!(s, "  {kind} {:.3}: {}", group.score, shortened(&members));
    }
    for flag in findings.flags.iter().take(top) {
        let _ = writeln!(
            s,
            "  {} {:.3}: {}",
            flag.kind,
            flag.score,
            rel_path(scan, flag.sample)
        );
    }
    s
}

/// At most six members, then how many more.
fn shortened(members: &[String]) -> String {
    const SHOWN: usize = 6;
    let mut line = members[..members.len().min(SHOWN)].join("  ");
    if members.len() > SHOWN {
        let _ = write!(line, "  … and {} more", members.len() - SHOWN);
    }
    line
}
