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

/// Positions with equal hashes, in order of first appearance, and the bucket of each position.
fn buckets_of(hashes: impl Iterator<Item = u64>) -> (Vec<Vec<usize>>, Vec<usize>) {
    let mut bucket_of_hash: HashMap<u64, usize> = HashMap::new();
    let mut buckets: Vec<Vec<usize>> = Vec::new();
    let mut bucket = Vec::new();
    for (i, h) in hashes.enumerate() {
        let b = *bucket_of_hash.entry(h).or_insert_with(|| {
            buckets.push(Vec::new());
            buckets.len() - 1
        });
        buckets[b].push(i);
        bucket.push(b);
    }
    (buckets, bucket)
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
    // Identical hashes share one bucket (exact copies always do), so the index holds each hash once
    // and a thousand copies of one image cost one query, not a million pairs.
    let (buckets, bucket) = buckets_of((0..n).map(phash));
    let hashes: Vec<u64> = buckets.iter().map(|m| phash(m[0])).collect();
    let index = HashIndex::new(&hashes);
    // The other buckets within the threshold of each bucket, with the distance, in parallel.
    let mut near = index.neighbours(&hashes, near_distance);
    for (b, list) in near.iter_mut().enumerate() {
        list.retain(|&(c, _)| c != b);
    }
    // A bucket with its near buckets: (bucket, distance), its own first.
    let around = |b: usize| std::iter::once((b, 0)).chain(near[b].iter().copied());
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
    // do not chain through long runs of slightly different pictures. A leader takes whole buckets.
    let mut grouped = vec![false; n];
    let mut taken = vec![false; buckets.len()];
    for leader in 0..n {
        if grouped[leader] {
            continue;
        }
        let mut members = Vec::new();
        let mut score = 1.0f64;
        for (b, d) in around(bucket[leader]) {
            if std::mem::replace(&mut taken[b], true) {
                continue;
            }
            for &j in &buckets[b] {
                if !std::mem::replace(&mut grouped[j], true) {
                    members.push(j);
                    score = score.min(phash::similarity(d));
                }
            }
        }
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
        let mut training: Vec<usize> = around(bucket[i])
            .flat_map(|(b, _)| buckets[b].iter().copied())
            .filter(|&j| loaded[j].subset == Some(Subset::Training))
            .collect();
        if training.is_empty() {
            continue;
        }
        training.sort_unstable();
        let mut samples: Vec<usize> = training.iter().map(|&j| loaded[j].sample).collect();
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
    use crate::load::loader::Original;
    use crate::load::preprocess::Shape;

    /// A loaded entry whose perceptual hash is `phash` and whose pixels are unique to `id`.
    fn entry(sample: usize, phash: u64, id: u8, subset: Option<Subset>) -> Entry {
        let shape = Shape {
            height: 2,
            width: 2,
            channels: 3,
        };
        let original = Original {
            width: 2,
            height: 2,
            format: None,
            warnings: 0,
        };
        let mut health = measure::measure(Row::U8(&[id; 12]), shape, original, None);
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

    #[test]
    fn health_thousands_of_identical_images_are_one_group_and_one_leak() {
        let entries: Vec<Entry> = (0..3000)
            .map(|i| {
                let subset = if i < 2000 {
                    Subset::Training
                } else {
                    Subset::Validation
                };
                entry(i, 0xf0f0, 7, Some(subset))
            })
            .collect();
        let (groups, leaks) = duplicates(&entries, 10);
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].kind, DuplicateKind::Exact);
        assert_eq!(groups[0].samples.len(), 3000);
        assert_eq!(leaks.len(), 1);
        assert_eq!(leaks[0].samples.len(), 3000);
        assert_eq!(leaks[0].subsets[1999], Subset::Training);
        assert_eq!(leaks[0].subsets[2000], Subset::Validation);
    }
}
