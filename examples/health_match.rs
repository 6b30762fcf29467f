//! Times near-duplicate matching (multi-index hashing, grouping and leaks) on N synthetic 64-bit hashes: random
//! pictures plus 1% near copies (a few bits flipped), half of them across a validation split.
//!
//! `cargo run --release --example health_match -- 100000 1000000`

use std::time::Instant;

use batchscope::health::{Entry, SampleHealth, group, hash};
use batchscope::options::Subset;

fn entry(sample: usize, phash: u64) -> Entry {
    Entry {
        sample,
        subset: Some(if sample.is_multiple_of(5) {
            Subset::Validation
        } else {
            Subset::Training
        }),
        health: Some(SampleHealth {
            phash,
            pixel_hash: hash::mix(sample as u64),
            width: 1,
            height: 1,
            pixels: 1,
            ..SampleHealth::default()
        }),
        exact_key: hash::mix(sample as u64),
    }
}

fn main() {
    for n in std::env::args()
        .skip(1)
        .filter_map(|a| a.parse::<usize>().ok())
    {
        let mut entries: Vec<Entry> = (0..n)
            .map(|i| entry(i, hash::mix(i as u64 ^ 0xabc)))
            .collect();
        for i in 0..n / 100 {
            let flips = hash::mix(i as u64);
            let copy = entries[i * 97 % n].health.as_ref().map_or(0, |h| h.phash)
                ^ (1 << (flips % 64))
                ^ (1 << ((flips >> 8) % 64));
            entries[(i * 97 + 13) % n] = entry((i * 97 + 13) % n, copy);
        }
        let start = Instant::now();
        let (groups, leaks) =
            group::duplicates(&entries, batchscope::health::DEFAULT_NEAR_DISTANCE);
        println!(
            "{n} hashes: {:.2} s, {} groups, {} leaks (threshold {})",
            start.elapsed().as_secs_f64(),
            groups.len(),
            leaks.len(),
            batchscope::health::DEFAULT_NEAR_DISTANCE
        );
    }
}
