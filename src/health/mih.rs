//! Multi-index hashing: finds every stored 64-bit hash within `radius` bits of a query without
//! comparing it to all of them. The hashes are cut into four 16-bit blocks, each indexed in its own
//! table. Write `r = 4s + t` (`t < 4`): two hashes at most `r` bits apart differ in at most `s` bits in
//! one of the first `t + 1` blocks, or in at most `s - 1` bits in one of the others (otherwise they
//! would differ in at least `(t + 1)(s + 1) + (3 - t)s = r + 1` bits). So a query looks up only the
//! block values that close to its own (for the default `r` of 10: 137 of 65,536 in three tables, 17 in
//! the fourth) and checks the hashes stored there. Each match is reported once: from the first block
//! in which it is that close.
//!
//! A BK-tree was tried first: on hashes that differ in about half their bits (as different pictures'
//! do) a radius-10 query visits most of the tree, and 100,000 hashes took 392 s to group. With this
//! index they take 0.7 s and 1,000,000 take about 2 minutes on 2 busy cores, bound by memory latency
//! (`examples/health_match.rs`); neighbour lists are computed in parallel.

const BLOCKS: usize = 4;
const BLOCK_BITS: u32 = 16;

/// An index of hashes for radius queries.
#[derive(Debug)]
pub struct HashIndex {
    tables: Vec<Table>,
    /// Every 16-bit mask, by number of set bits.
    masks: Vec<u16>,
    /// `mask_ends[k]`: masks with at most `k` bits set are `masks[..mask_ends[k]]`.
    mask_ends: [usize; 17],
}

/// One block's table: the `(hash, item)` pairs of block value `v` are `pairs[starts[v]..starts[v + 1]]`.
#[derive(Debug)]
struct Table {
    starts: Vec<u32>,
    pairs: Vec<(u64, u32)>,
}

fn block(hash: u64, b: usize) -> usize {
    ((hash >> (b as u32 * BLOCK_BITS)) & 0xffff) as usize
}

impl HashIndex {
    /// Indexes `hashes`; item `i` is `hashes[i]`.
    pub fn new(hashes: &[u64]) -> Self {
        let tables = (0..BLOCKS)
            .map(|b| {
                let mut starts = vec![0u32; (1 << BLOCK_BITS) + 1];
                for &h in hashes {
                    starts[block(h, b) + 1] += 1;
                }
                for v in 0..1 << BLOCK_BITS {
                    starts[v + 1] += starts[v];
                }
                let mut fill: Vec<u32> = starts[..1 << BLOCK_BITS].to_vec();
                let mut pairs = vec![(0u64, 0u32); hashes.len()];
                for (i, &h) in hashes.iter().enumerate() {
                    let slot = &mut fill[block(h, b)];
                    pairs[*slot as usize] = (h, i as u32);
                    *slot += 1;
                }
                Table { starts, pairs }
            })
            .collect();
        let mut masks: Vec<u16> = (0..=u16::MAX).collect();
        masks.sort_by_key(|m| m.count_ones());
        let mut mask_ends = [0usize; 17];
        for (k, end) in mask_ends.iter_mut().enumerate() {
            *end = masks.partition_point(|m| m.count_ones() as usize <= k);
        }
        Self {
            tables,
            masks,
            mask_ends,
        }
    }

    /// Calls `found(item, distance)` once for every stored hash within `radius` bits of `query`.
    pub fn within(&self, query: u64, radius: u32, found: &mut impl FnMut(usize, u32)) {
        let radius = radius.min(64);
        let (s, t) = (radius as usize / BLOCKS, radius as usize % BLOCKS);
        // Blocks up to `t` are searched within `s` bits, the others within `s - 1` (none when `s` is 0).
        let sub = |b: usize| if b <= t { Some(s) } else { s.checked_sub(1) };
        for (b, table) in self.tables.iter().enumerate() {
            let Some(within) = sub(b) else { continue };
            let own = block(query, b);
            for &mask in &self.masks[..self.mask_ends[within.min(16)]] {
                let v = own ^ usize::from(mask);
                let (start, end) = (table.starts[v] as usize, table.starts[v + 1] as usize);
                for &(h, item) in &table.pairs[start..end] {
                    let diff = h ^ query;
                    // Reported from the first block where it is that close.
                    if (0..b).any(|e| {
                        sub(e).is_some_and(|w| (block(diff, e) as u16).count_ones() as usize <= w)
                    }) {
                        continue;
                    }
                    let d = diff.count_ones();
                    if d <= radius {
                        found(item as usize, d);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_hash_index_finds_exactly_what_brute_force_finds() {
        let mut state = 0x1234_5678_u64;
        let mut next = || {
            state = super::super::hash::mix(state.wrapping_add(1));
            state
        };
        let mut hashes: Vec<u64> = (0..500).map(|_| next()).collect();
        // Clusters of near hashes, as duplicates make, and exact repeats.
        for i in 0..150 {
            let flips = next();
            let mut h = hashes[i];
            for k in 0..(flips % 12) {
                h ^= 1 << ((flips >> (8 + 5 * k)) % 64);
            }
            hashes.push(h);
        }
        hashes.extend_from_within(..20);
        let index = HashIndex::new(&hashes);
        for radius in [0, 3, 7, 10, 13, 20, 64] {
            for &q in hashes.iter().step_by(5) {
                let mut got = Vec::new();
                index.within(q, radius, &mut |i, d| got.push((i, d)));
                got.sort_unstable();
                let want: Vec<(usize, u32)> = hashes
                    .iter()
                    .enumerate()
                    .map(|(i, &h)| (i, (q ^ h).count_ones()))
                    .filter(|&(_, d)| d <= radius)
                    .collect();
                assert_eq!(got, want, "radius {radius}");
            }
        }
    }
}
