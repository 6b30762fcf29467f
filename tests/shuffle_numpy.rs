//! The seeded shuffle and the split against numpy's `RandomState`, the peer Keras uses.

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.
mod common;

use batchscope::index::{DatasetIndex, Sample};
use batchscope::options::{PlanOptions, Subset};
use batchscope::plan;
use batchscope::plan::mt19937;

const SEEDS: [u32; 6] = [0, 1, 42, 1337, 123_456, u32::MAX];
const SIZES: [usize; 5] = [1, 2, 10, 257, 5000];

#[test]
fn seeded_shuffle_matches_numpy_random_state() {
    if !common::has_python_module("numpy", "seeded_shuffle_matches_numpy_random_state") {
        return;
    }
    let code = r"
import sys, numpy as np
for seed in map(int, sys.argv[1].split(',')):
    for n in map(int, sys.argv[2].split(',')):
        items = list(range(n))
        np.random.RandomState(seed).shuffle(items)
        print(seed, n, ' '.join(map(str, items)))
";
    let seeds = SEEDS.map(|s| s.to_string()).join(",");
    let sizes = SIZES.map(|s| s.to_string()).join(",");
    let out = common::run_python(code, &[&seeds, &sizes]);
    let mut checked = 0;
    for line in out.lines() {
        let mut parts = line.splitn(3, ' ');
        let seed: u32 = parts.next().unwrap().parse().unwrap();
        let n: usize = parts.next().unwrap().parse().unwrap();
        let expected: Vec<usize> = parts
            .next()
            .unwrap()
            .split(' ')
            .map(|v| v.parse().unwrap())
            .collect();
        let mut ours: Vec<usize> = (0..n).collect();
        mt19937::shuffle(&mut ours, seed);
        assert_eq!(ours, expected, "seed {seed}, n {n}");
        checked += 1;
    }
    assert_eq!(checked, SEEDS.len() * SIZES.len());
}

fn index_of(n: usize) -> DatasetIndex {
    DatasetIndex {
        samples: (0..n)
            .map(|i| Sample {
                objects: None,
                rel_path: format!("c/{i:05}.png").into(),
                label: Some(0),
            })
            .collect(),
        labeled: true,
        class_names: vec!["c".into()],
        ..DatasetIndex::default()
    }
}

#[test]
fn shuffled_split_selects_the_same_files_as_keras() {
    if !common::has_python_module("numpy", "shuffled_split_selects_the_same_files_as_keras") {
        return;
    }
    // Keras: rng = RandomState(seed); rng.shuffle(paths); val = paths[-int(v*N):]
    let code = r"
import sys, numpy as np
n, seed, v = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
paths = list(range(n))
np.random.RandomState(seed).shuffle(paths)
k = int(v * n)
print(' '.join(map(str, paths[:-k])))
print(' '.join(map(str, paths[-k:])))
";
    for (n, seed, v) in [(103usize, 7u32, 0.2f64), (10, 1337, 0.3), (1000, 0, 0.15)] {
        let out = common::run_python(code, &[&n.to_string(), &seed.to_string(), &v.to_string()]);
        let mut lines = out.lines();
        let parse = |l: &str| {
            l.split(' ')
                .map(|x| x.parse::<usize>().unwrap())
                .collect::<Vec<_>>()
        };
        let (train, val) = (parse(lines.next().unwrap()), parse(lines.next().unwrap()));
        let options = |subset| PlanOptions {
            shuffle: true,
            seed: Some(seed),
            validation_split: Some(v),
            subset: Some(subset),
            ..PlanOptions::default()
        };
        let index = index_of(n);
        assert_eq!(
            plan::plan(&index, &options(Subset::Training))
                .unwrap()
                .order,
            train,
            "n {n} seed {seed}"
        );
        assert_eq!(
            plan::plan(&index, &options(Subset::Validation))
                .unwrap()
                .order,
            val,
            "n {n} seed {seed}"
        );
    }
}

#[test]
fn split_sizes_follow_int_v_times_n() {
    for (n, v, n_val) in [
        (10usize, 0.2f64, 2usize),
        (7, 0.5, 3),
        (99, 0.1, 9),
        (3, 0.2, 0),
    ] {
        let options = |subset| PlanOptions {
            validation_split: Some(v),
            subset: Some(subset),
            ..PlanOptions::default()
        };
        let train = plan::plan(&index_of(n), &options(Subset::Training)).unwrap();
        let val = plan::plan(&index_of(n), &options(Subset::Validation)).unwrap();
        assert_eq!((train.len(), val.len()), (n - n_val, n_val), "n {n} v {v}");
        // Disjoint and covering, in index order without shuffle.
        let mut all = train.order.clone();
        all.extend(&val.order);
        assert_eq!(all, (0..n).collect::<Vec<_>>());
    }
}

#[test]
fn every_pass_gives_the_same_batches() {
    let options = PlanOptions {
        shuffle: true,
        seed: Some(5),
        batch_size: 7,
        ..PlanOptions::default()
    };
    let a = plan::plan(&index_of(50), &options).unwrap();
    let b = plan::plan(&index_of(50), &options).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.batch_count(), 8);
    assert_eq!(a.batch(7).len(), 1);
    // Batch k is computable on its own and equals the slice of the order.
    assert_eq!(a.batch(3), &a.order[21..28]);
}
