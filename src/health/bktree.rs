//! A BK-tree over 64-bit hashes under the Hamming distance: finds every stored hash within `r` bits of
//! a query without comparing it to all of them (the triangle inequality prunes each subtree whose edge
//! distance is not within `r` of the query's distance to the node). Built once, queried per hash.

use super::phash::distance;

/// A BK-tree of distinct hashes, each with a payload index.
#[derive(Debug, Default)]
pub struct BkTree {
    nodes: Vec<Node>,
}

#[derive(Debug)]
struct Node {
    hash: u64,
    item: usize,
    /// `children[d]`: the child at distance `d` (0 never used: equal hashes are one node).
    children: Vec<(u32, usize)>,
}

impl BkTree {
    /// Inserts `hash` with payload `item`; returns the payload of the node already holding an equal
    /// hash instead, if any.
    pub fn insert(&mut self, hash: u64, item: usize) -> Option<usize> {
        if self.nodes.is_empty() {
            self.nodes.push(Node {
                hash,
                item,
                children: Vec::new(),
            });
            return None;
        }
        let mut at = 0;
        loop {
            let d = distance(hash, self.nodes[at].hash);
            if d == 0 {
                return Some(self.nodes[at].item);
            }
            if let Some(&(_, child)) = self.nodes[at].children.iter().find(|(cd, _)| *cd == d) {
                at = child;
            } else {
                let new = self.nodes.len();
                self.nodes.push(Node {
                    hash,
                    item,
                    children: Vec::new(),
                });
                self.nodes[at].children.push((d, new));
                return None;
            }
        }
    }

    /// Calls `found(item, distance)` for every stored hash within `radius` bits of `hash`.
    pub fn within(&self, hash: u64, radius: u32, found: &mut impl FnMut(usize, u32)) {
        if self.nodes.is_empty() {
            return;
        }
        let mut stack = vec![0];
        while let Some(at) = stack.pop() {
            let node = &self.nodes[at];
            let d = distance(hash, node.hash);
            if d <= radius {
                found(node.item, d);
            }
            let (lo, hi) = (d.saturating_sub(radius), d + radius);
            stack.extend(
                node.children
                    .iter()
                    .filter(|(cd, _)| (lo..=hi).contains(cd))
                    .map(|&(_, child)| child),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_bktree_finds_exactly_what_brute_force_finds() {
        let mut state = 0x1234_5678_u64;
        let mut next = || {
            state = super::super::hash::mix(state.wrapping_add(1));
            state
        };
        let mut hashes: Vec<u64> = (0..500).map(|_| next()).collect();
        // Clusters of near hashes, as duplicates make.
        for i in 0..100 {
            let flip = (next() % 64) as u32;
            hashes.push(hashes[i] ^ (1 << flip) ^ (1 << ((flip + 7) % 64)));
        }
        let mut tree = BkTree::default();
        for (i, &h) in hashes.iter().enumerate() {
            assert_eq!(tree.insert(h, i), None);
        }
        for radius in [0, 3, 10, 20] {
            for &q in hashes.iter().step_by(7) {
                let mut got = Vec::new();
                tree.within(q, radius, &mut |i, d| got.push((i, d)));
                got.sort_unstable();
                let want: Vec<(usize, u32)> = hashes
                    .iter()
                    .enumerate()
                    .map(|(i, &h)| (i, distance(q, h)))
                    .filter(|&(_, d)| d <= radius)
                    .collect();
                assert_eq!(got, want);
            }
        }
        assert_eq!(tree.insert(hashes[3], 999), Some(3));
    }
}
