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
//! index they took 0.7 s, and 1,000,000 about 2 minutes on 2 busy cores, bound by memory latency:
//! each query fetched its 428 buckets (about `n / 65,536` hashes each) from memory. Measured side by side
//! later on the same busy machine (`examples/health_match.rs`, 100k / 1M hashes): that version 3.5 s /
//! 119 s; testing the distance before the first-block check and keeping the hashes apart from their
//! items 1.05 s / 119 s; [`HashIndex::neighbours`], which walks each table with the queries sorted by
//! their block value there so the ~15 queries sharing a value probe the same buckets while they are in
//! cache, 0.68 s / 21 s, with the same groups and leaks. The candidates still grow as `n^2 / 65,536`
//! per table.

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

/// One block's table: the hashes of block value `v` are `hashes[starts[v]..starts[v + 1]]`, their
/// items at the same positions of `items` (kept apart so a probe streams 8 bytes per candidate).
#[derive(Debug)]
struct Table {
    starts: Vec<u32>,
    hashes: Vec<u64>,
    items: Vec<u32>,
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
                let mut sorted = vec![0u64; hashes.len()];
                let mut items = vec![0u32; hashes.len()];
                for (i, &h) in hashes.iter().enumerate() {
                    let slot = &mut fill[block(h, b)];
                    sorted[*slot as usize] = h;
                    items[*slot as usize] = i as u32;
                    *slot += 1;
                }
                Table {
                    starts,
                    hashes: sorted,
                    items,
                }
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

    /// How far each block is searched for `radius`: blocks up to `t` within `s` bits, the others
    /// within `s - 1` (not at all when `s` is 0), `r = 4s + t`.
    fn block_radii(radius: u32) -> [Option<usize>; BLOCKS] {
        let (s, t) = (radius as usize / BLOCKS, radius as usize % BLOCKS);
        std::array::from_fn(|b| if b <= t { Some(s) } else { s.checked_sub(1) })
    }

    /// The matches of `query` found through table `b` (searched within `within` bits): calls
    /// `found(item, distance)` for each stored hash within `radius` not reported by an earlier block.
    fn probe(
        &self,
        b: usize,
        within: usize,
        radii: &[Option<usize>; BLOCKS],
        query: u64,
        radius: u32,
        found: &mut impl FnMut(usize, u32),
    ) {
        let table = &self.tables[b];
        let own = block(query, b);
        for &mask in &self.masks[..self.mask_ends[within.min(16)]] {
            let v = own ^ usize::from(mask);
            let (start, end) = (table.starts[v] as usize, table.starts[v + 1] as usize);
            for (k, &h) in table.hashes[start..end].iter().enumerate() {
                let diff = h ^ query;
                // Most candidates are far: the distance first, the rarer checks after it.
                let d = diff.count_ones();
                if d > radius {
                    continue;
                }
                // Reported from the first block where it is that close.
                if (0..b).any(|e| {
                    radii[e].is_some_and(|w| (block(diff, e) as u16).count_ones() as usize <= w)
                }) {
                    continue;
                }
                found(table.items[start + k] as usize, d);
            }
        }
    }

    /// Calls `found(item, distance)` once for every stored hash within `radius` bits of `query`.
    pub fn within(&self, query: u64, radius: u32, found: &mut impl FnMut(usize, u32)) {
        let radius = radius.min(64);
        let radii = Self::block_radii(radius);
        for (b, within) in radii.iter().enumerate() {
            if let Some(within) = *within {
                self.probe(b, within, &radii, query, radius, found);
            }
        }
    }

    /// For each of `queries`, every stored `(item, distance)` within `radius` bits, sorted: the same
    /// as [`within`](Self::within) per query, on all cores. Each table is walked with the queries
    /// in order of their block value there, so queries sharing a block value (about `n / 65,536` of
    /// them) probe the same buckets while they are in cache instead of fetching them from memory
    /// each time: at 1M hashes the probes were bound by memory latency.
    pub fn neighbours(&self, queries: &[u64], radius: u32) -> Vec<Vec<(usize, u32)>> {
        use rayon::prelude::*;
        let radius = radius.min(64);
        let radii = Self::block_radii(radius);
        let mut lists: Vec<Vec<(usize, u32)>> = vec![Vec::new(); queries.len()];
        for (b, within) in radii.iter().enumerate() {
            let Some(within) = *within else { continue };
            let mut order: Vec<u32> = (0..queries.len() as u32).collect();
            order.par_sort_unstable_by_key(|&q| block(queries[q as usize], b));
            let found: Vec<(u32, u32, u32)> = order
                .par_chunks(4096)
                .flat_map_iter(|chunk| {
                    let mut found = Vec::new();
                    for &q in chunk {
                        self.probe(
                            b,
                            within,
                            &radii,
                            queries[q as usize],
                            radius,
                            &mut |i, d| {
                                found.push((q, i as u32, d));
                            },
                        );
                    }
                    found
                })
                .collect();
            for (q, i, d) in found {
                lists[q as usize].push((i as usize, d));
            }
        }
        lists.par_iter_mut().for_each(|l| l.sort_unstable());
        lists
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
            let all = index.neighbours(&hashes, radius);
            for (q, &h) in hashes.iter().enumerate() {
                let mut one = Vec::new();
                index.within(h, radius, &mut |i, d| one.push((i, d)));
                one.sort_unstable();
                assert_eq!(all[q], one, "radius {radius}");
            }
        }
    }
}
