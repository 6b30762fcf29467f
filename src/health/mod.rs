//! Dataset health: one streaming pass over a dataset's planned samples ([`scan`]) measures every image
//! once; [`analyze`] then turns the measures into findings (duplicate groups, train/validation leaks,
//! per-image flags, channel statistics and class balance, and for annotated datasets the checks of
//! their objects in [`objects`]) without touching pixels again, so a viewer
//! can change a threshold and regroup instantly. [`report`] writes the findings as the command line's
//! JSON and text summary.
//!
//! Plain Rust: the command line (`batchscope health`) and the GUI's Health view use the same calls.

pub mod cache;
pub mod colors;
pub mod exclusion_list;
pub mod flags;
pub mod group;
pub mod hash;
pub mod measure;
pub mod mih;
pub mod objects;
pub mod phash;
pub mod report;
pub mod scan;
pub mod stats;

pub use flags::{Flag, FlagKind, FlagThresholds};
pub use group::{DuplicateGroup, DuplicateKind, Leak};
pub use measure::SampleHealth;
pub use objects::{ObjectFindings, ObjectIssue, ObjectThresholds};
pub use scan::{Entry, Scan, ScanError, ScanOptions, ScanProgress, scan};
pub use stats::ChannelStats;

/// The default near-duplicate threshold: hashes at most this many bits apart (of 64) are near
/// duplicates, a similarity of at least `1 - 10/64 = 0.84`. Resized, recompressed, slightly brightened
/// or 5%-cropped copies stay well within it; unrelated pictures are about 32 bits apart.
pub const DEFAULT_NEAR_DISTANCE: u32 = 10;

/// Every threshold of the findings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Thresholds {
    /// Near duplicates: at most this many differing hash bits (0..=64).
    pub near_distance: u32,
    /// The flags' thresholds.
    pub flags: FlagThresholds,
    /// The annotation checks' thresholds.
    pub objects: ObjectThresholds,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            near_distance: DEFAULT_NEAR_DISTANCE,
            flags: FlagThresholds::default(),
            objects: ObjectThresholds::default(),
        }
    }
}

/// What a health pass found.
#[derive(Clone, Debug, PartialEq)]
pub struct Findings {
    /// Exact and near duplicate groups, largest first.
    pub duplicates: Vec<DuplicateGroup>,
    /// Duplicate groups with members in both training and validation (empty without a split).
    pub leaks: Vec<Leak>,
    /// Flagged images, kind by kind.
    pub flags: Vec<Flag>,
    /// Per-channel mean and std of the loaded pixels, 0..255.
    pub channels: ChannelStats,
    /// `(class name, planned samples)` in label order.
    pub classes: Vec<(String, usize)>,
    /// Largest over smallest non-empty class; `None` without classes.
    pub imbalance_ratio: Option<f64>,
    /// The annotation checks, when the dataset annotates objects.
    pub objects: Option<ObjectFindings>,
}

/// The findings of `scan` under `thresholds` (cheap: no pixels are read).
pub fn analyze(scan: &Scan, thresholds: &Thresholds) -> Findings {
    let (duplicates, leaks) = group::duplicates(&scan.entries, thresholds.near_distance);
    let classes = stats::class_counts(&scan.index, &scan.entries);
    Findings {
        duplicates,
        leaks,
        flags: flags::flags(&scan.entries, &thresholds.flags),
        channels: stats::channels(&scan.entries, scan.shape.channels),
        imbalance_ratio: stats::imbalance_ratio(&classes),
        classes,
        objects: objects::check(scan, &thresholds.objects),
    }
}

/// Regroups `findings` (of `scan`) at another near-duplicate threshold: the duplicate groups and
/// leaks only, the part the threshold changes. The same as [`analyze`] at that threshold, without
/// redoing the flags, the statistics and the annotation checks (a viewer's slider calls this on
/// every move).
pub fn regroup(scan: &Scan, findings: &mut Findings, near_distance: u32) {
    (findings.duplicates, findings.leaks) = group::duplicates(&scan.entries, near_distance);
}
