//! Duplicate groups and leaks from the per-sample hashes, without looking at pixels again.
//!
//! - **Exact** duplicates: samples with identical file bytes or identical decoded pixels (the scan's
//!   `exact_key`, confirmed on the original pixels when the loader resized) form one group, score 1.
//! - **Near** duplicates: samples whose perceptual hashes are within `near_distance` bits are linked
//!   (a BK-tree query per distinct hash, not all pairs) and the connected components that hold more than
//!   one exact class are near groups; the score is the lowest similarity `1 - d/64` of the links that
//!   joined it.
//! - **Leaks**: components (exact or near) with members in both training and validation.
//!
//! Groups list samples in pass order and are sorted largest first, then by score.

use std::collections::HashMap;

use super::bktree::BkTree;
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

/// Union-find with the lowest link similarity per component.
struct Components {
    parent: Vec<usize>,
    score: Vec<f64>,
}

impl Components {
    fn new(n: usize) -> Self {
        Self {
            parent: (0..n).collect(),
            score: vec![1.0; n],
        }
    }

    fn root(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    fn join(&mut self, a: usize, b: usize, score: f64) {
        let (ra, rb) = (self.root(a), self.root(b));
        let s = self.score[ra].min(self.score[rb]).min(score);
        if ra != rb {
            self.parent[rb.max(ra)] = ra.min(rb);
        }
        let r = ra.min(rb);
        self.score[r] = s;
    }

    /// Members (positions) of each component of two or more, in position order.
    fn groups(&mut self) -> Vec<(usize, Vec<usize>)> {
        let mut by_root: HashMap<usize, Vec<usize>> = HashMap::new();
        for i in 0..self.parent.len() {
            let r = self.root(i);
            by_root.entry(r).or_default().push(i);
        }
        let mut out: Vec<(usize, Vec<usize>)> =
            by_root.into_iter().filter(|(_, m)| m.len() > 1).collect();
        out.sort_by_key(|(_, m)| m[0]);
        out
    }
}

/// The duplicate groups and leaks among `entries` (samples that failed to load are left out).
pub fn duplicates(entries: &[Entry], near_distance: u32) -> (Vec<DuplicateGroup>, Vec<Leak>) {
    let loaded: Vec<&Entry> = entries.iter().filter(|e| e.health.is_some()).collect();
    let n = loaded.len();
    let mut exact = Components::new(n);
    let mut first_file: HashMap<u64, usize> = HashMap::new();
    let mut first_pixels: HashMap<u64, usize> = HashMap::new();
    for (i, e) in loaded.iter().enumerate() {
        if let Some(h) = e.health.as_ref().and_then(|h| h.file_hash) {
            let j = *first_file.entry(h).or_insert(i);
            exact.join(j, i, 1.0);
        }
        let j = *first_pixels.entry(e.exact_key).or_insert(i);
        exact.join(j, i, 1.0);
    }
    let exact_root: Vec<usize> = (0..n).map(|i| exact.root(i)).collect();
    let mut near = Components::new(n);
    for i in 0..n {
        if exact_root[i] != i {
            near.join(exact_root[i], i, 1.0);
        }
    }
    let mut tree = BkTree::default();
    let mut same_hash: Vec<(usize, usize)> = Vec::new();
    for (i, e) in loaded.iter().enumerate() {
        let h = e.health.as_ref().map_or(0, |h| h.phash);
        if let Some(j) = tree.insert(h, i) {
            same_hash.push((j, i));
        }
    }
    for (j, i) in same_hash {
        near.join(j, i, 1.0);
    }
    for (i, e) in loaded.iter().enumerate() {
        let h = e.health.as_ref().map_or(0, |h| h.phash);
        tree.within(h, near_distance, &mut |j, d| {
            if j != i && exact_root[i] != exact_root[j] {
                near.join(i, j, phash::similarity(d));
            }
        });
    }
    let mut groups = Vec::new();
    for (_, members) in exact.groups() {
        groups.push(DuplicateGroup {
            kind: DuplicateKind::Exact,
            samples: members.iter().map(|&i| loaded[i].sample).collect(),
            score: 1.0,
        });
    }
    let mut leaks = Vec::new();
    for (root, members) in near.groups() {
        let classes: std::collections::HashSet<usize> =
            members.iter().map(|&i| exact_root[i]).collect();
        if classes.len() > 1 {
            groups.push(DuplicateGroup {
                kind: DuplicateKind::Near,
                samples: members.iter().map(|&i| loaded[i].sample).collect(),
                score: near.score[root],
            });
        }
        let subsets: Vec<Option<Subset>> = members.iter().map(|&i| loaded[i].subset).collect();
        if subsets.contains(&Some(Subset::Training)) && subsets.contains(&Some(Subset::Validation))
        {
            let mut pairs: Vec<(usize, Subset)> = members
                .iter()
                .filter_map(|&i| loaded[i].subset.map(|s| (loaded[i].sample, s)))
                .collect();
            pairs.sort_by_key(|&(_, s)| s == Subset::Validation);
            leaks.push(Leak {
                samples: pairs.iter().map(|p| p.0).collect(),
                subsets: pairs.iter().map(|p| p.1).collect(),
            });
        }
    }
    groups.sort_by(|a, b| {
        b.samples
            .len()
            .cmp(&a.samples.len())
            .then(b.score.total_cmp(&a.score))
    });
    leaks.sort_by_key(|l| std::cmp::Reverse(l.samples.len()));
    (groups, leaks)
}
