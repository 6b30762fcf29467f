//! Duplicate groups and leaks from the per-sample hashes, without looking at pixels again.
//!
//! - **Exact** duplicates: samples with identical file bytes or identical decoded pixels (the scan's
//!   `exact_key`, confirmed on the original pixels when the loader resized) form one group, score 1.
//! - **Near** duplicates: neighbours are found with a multi-index hash query per sample (not all pairs). Groups
//!   are formed by leaders in pass order: the first sample not yet in a group leads one holding every
//!   ungrouped sample within `near_distance` bits of it, so a group never chains through a long run of
//!   slightly different pictures (every member is close to its leader). A group that holds more than
//!   one exact class is a near group; its score is the lowest similarity `1 - d/64` to the leader.
//! - **Leaks**: one per validation image (identical validation copies count once) that has a
//!   duplicate in training, exact or within the threshold: the training copies, then the validation
//!   copies.
//!
//! Groups list samples in pass order; exact groups come first, each kind largest first.

use std::collections::HashMap;

use rayon::prelude::*;

use super::mih::HashIndex;
use super::phash;
use super::scan::Entry;
use crate::options::Subset;

/// Exact or near.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DuplicateKind {
    /// Identical pixels.
    Exact,
    /// Perceptual hashes within the threshold.
    Near,
}

/// A group of duplicates.
#[derive(Clone, Debug, PartialEq)]
pub struct DuplicateGroup {
    /// Exact or near.
    pub kind: DuplicateKind,
    /// Sample indices (into `DatasetIndex::samples`), in pass order.
    pub samples: Vec<usize>,
    /// 1 for exact groups; the lowest hash similarity `1 - d/64` of the group's links for near ones.
    pub score: f64,
}

/// Duplicates that fall on both sides of a validation split.
#[derive(Clone, Debug, PartialEq)]
pub struct Leak {
    /// Sample indices, in pass order (training first).
    pub samples: Vec<usize>,
    /// The subset of each sample.
    pub subsets: Vec<Subset>,
}

/// Union-find over positions (exact classes: identical bytes or pixels are transitive).
struct Components {
    parent: Vec<usize>,
}

impl Components {
    fn new(n: usize) -> Self {
        Self {
            parent: (0..n).collect(),
        }
    }

    fn root(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    fn join(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.root(a), self.root(b));
        self.parent[ra.max(rb)] = ra.min(rb);
    }
}

/// The exact class of each entry (the lowest position with the same file bytes or pixels).
fn exact_classes(loaded: &[&Entry]) -> Vec<usize> {
    let mut exact = Components::new(loaded.len());
    let mut first_file: HashMap<u64, usize> = HashMap::new();
    let mut first_pixels: HashMap<u64, usize> = HashMap::new();
    for (i, e) in loaded.iter().enumerate() {
        if let Some(h) = e.health.as_ref().and_then(|h| h.file_hash) {
            let j = *first_file.entry(h).or_insert(i);
            exact.join(j, i);
        }
        let j = *first_pixels.entry(e.exact_key).or_insert(i);
        exact.join(j, i);
    }
    (0..loaded.len()).map(|i| exact.root(i)).collect()
}

/// The duplicate groups and leaks among `entries` (samples that failed to load are left out).
pub fn duplicates(entries: &[Entry], near_distance: u32) -> (Vec<DuplicateGroup>, Vec<Leak>) {
    let loaded: Vec<&Entry> = entries.iter().filter(|e| e.health.is_some()).collect();
    let n = loaded.len();
    let phash = |i: usize| loaded[i].health.as_ref().map_or(0, |h| h.phash);
    let exact_root = exact_classes(&loaded);
    let mut exact_members: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, &r) in exact_root.iter().enumerate() {
        exact_members.entry(r).or_default().push(i);
    }
    let hashes: Vec<u64> = (0..n).map(phash).collect();
    let index = HashIndex::new(&hashes);
    // Everything within the threshold of each entry, or identical to it, with the distance: found
    // once, in parallel.
    let near: Vec<Vec<(usize, u32)>> = (0..n)
        .into_par_iter()
        .map(|i| {
            let mut found: Vec<(usize, u32)> = Vec::new();
            index.within(hashes[i], near_distance, &mut |j, d| found.push((j, d)));
            found.extend(exact_members[&exact_root[i]].iter().map(|&j| (j, 0)));
            found.retain(|&(j, _)| j != i);
            found.sort_unstable();
            found.dedup_by_key(|p| p.0);
            found
        })
        .collect();
    let neighbours = |i: usize| near[i].iter().copied();
    let mut groups = Vec::new();
    for members in exact_members.values().filter(|m| m.len() > 1) {
        groups.push(DuplicateGroup {
            kind: DuplicateKind::Exact,
            samples: members.iter().map(|&i| loaded[i].sample).collect(),
            score: 1.0,
        });
    }
    // Near groups by leaders, in pass order: a sample not yet grouped leads a group of every
    // ungrouped sample within the threshold of it. Members are all close to their leader, so groups
    // do not chain through long runs of slightly different pictures.
    let mut grouped = vec![false; n];
    for leader in 0..n {
        if grouped[leader] {
            continue;
        }
        let mut members = vec![leader];
        let mut score = 1.0f64;
        for (j, d) in neighbours(leader) {
            if !grouped[j] {
                grouped[j] = true;
                members.push(j);
                score = score.min(phash::similarity(d));
            }
        }
        grouped[leader] = true;
        members.sort_unstable();
        let classes: std::collections::HashSet<usize> =
            members.iter().map(|&i| exact_root[i]).collect();
        if classes.len() > 1 {
            groups.push(DuplicateGroup {
                kind: DuplicateKind::Near,
                samples: members.iter().map(|&i| loaded[i].sample).collect(),
                score,
            });
        }
    }
    // A leak per validation exact class with a duplicate (exact or near) in training: identical
    // validation copies share one leak, so a thousand copies of one blank image are one entry.
    let mut leaks = Vec::new();
    let mut seen_classes = std::collections::HashSet::new();
    for (i, e) in loaded.iter().enumerate() {
        if e.subset != Some(Subset::Validation) || !seen_classes.insert(exact_root[i]) {
            continue;
        }
        let mut samples: Vec<usize> = neighbours(i)
            .filter(|&(j, _)| loaded[j].subset == Some(Subset::Training))
            .map(|(j, _)| loaded[j].sample)
            .collect();
        if samples.is_empty() {
            continue;
        }
        let mut subsets = vec![Subset::Training; samples.len()];
        for &j in &exact_members[&exact_root[i]] {
            if loaded[j].subset == Some(Subset::Validation) {
                samples.push(loaded[j].sample);
                subsets.push(Subset::Validation);
            }
        }
        leaks.push(Leak { samples, subsets });
    }
    groups.sort_by(|a, b| {
        (a.kind == DuplicateKind::Near)
            .cmp(&(b.kind == DuplicateKind::Near))
            .then(b.samples.len().cmp(&a.samples.len()))
            .then(b.score.total_cmp(&a.score))
            .then(a.samples.cmp(&b.samples))
    });
    (groups, leaks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::measure::{self, Row};

    /// A loaded entry whose perceptual hash is `phash` and whose pixels are unique to `id`.
    fn entry(sample: usize, phash: u64, id: u8, subset: Option<Subset>) -> Entry {
        let mut health = measure::measure(Row::U8(&[id; 12]), (2, 2, 3), (2, 2, None), None);
        health.phash = phash;
        Entry {
            sample,
            subset,
            exact_key: health.pixel_hash,
            health: Some(health),
        }
    }

    #[test]
    fn health_near_groups_do_not_chain_and_leaks_name_each_validation_copy() {
        // A run of hashes 6 bits apart step by step: 0-1 and 1-2 are near, 0-2 (12 bits) is not.
        let step = |k: u32| if k == 0 { 0 } else { (1u64 << (6 * k)) - 1 };
        let entries = vec![
            entry(0, step(0), 0, Some(Subset::Training)),
            entry(1, step(1), 1, Some(Subset::Training)),
            entry(2, step(2), 2, Some(Subset::Validation)),
            entry(3, step(3), 3, Some(Subset::Validation)),
            // An exact copy of sample 0 in validation, and a picture far from all.
            entry(4, step(0), 0, Some(Subset::Validation)),
            entry(5, !0, 9, Some(Subset::Training)),
            // A second validation copy of 0: the same leak, not another.
            entry(6, step(0), 0, Some(Subset::Validation)),
        ];
        let (groups, leaks) = duplicates(&entries, 10);
        let summary: Vec<(DuplicateKind, Vec<usize>)> =
            groups.iter().map(|g| (g.kind, g.samples.clone())).collect();
        assert_eq!(
            summary,
            [
                (DuplicateKind::Exact, vec![0, 4, 6]),
                (DuplicateKind::Near, vec![0, 1, 4, 6]),
                (DuplicateKind::Near, vec![2, 3]),
            ]
        );
        assert!((groups[1].score - (1.0 - 6.0 / 64.0)).abs() < 1e-12);
        let leaks: Vec<(Vec<usize>, Vec<Subset>)> =
            leaks.into_iter().map(|l| (l.samples, l.subsets)).collect();
        assert_eq!(
            leaks,
            [
                (vec![1, 2], vec![Subset::Training, Subset::Validation]),
                (
                    vec![0, 1, 4, 6],
                    vec![
                        Subset::Training,
                        Subset::Training,
                        Subset::Validation,
                        Subset::Validation
                    ]
                ),
            ]
        );
    }
}
