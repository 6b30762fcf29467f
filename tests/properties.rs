//! Property tests for the pure parts: the plan, the `.npy` header, and resizing at the same size.

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.

use batchscope::index::{DatasetIndex, Sample};
use batchscope::npy::{self, NpyDtype};
use batchscope::options::{Interpolation, PlanOptions, Subset};
use batchscope::plan;
use batchscope::resize::{self, View};
use proptest::prelude::*;

fn index_of(n: usize) -> DatasetIndex {
    DatasetIndex {
        samples: (0..n)
            .map(|i| Sample {
                rel_path: format!("c/{i}.png").into(),
                label: Some(0),
            })
            .collect(),
        labeled: true,
        class_names: vec!["c".into()],
        ..DatasetIndex::default()
    }
}

proptest! {
    #[test]
    fn every_sample_appears_once_across_the_batches(
        n in 0usize..400, batch_size in 1usize..40, seed in any::<u32>(), shuffle in any::<bool>()
    ) {
        let options = PlanOptions { shuffle, seed: Some(seed), batch_size, ..PlanOptions::default() };
        let p = plan::plan(&index_of(n), &options).unwrap();
        let mut seen: Vec<usize> = (0..p.batch_count()).flat_map(|k| p.batch(k).to_vec()).collect();
        let sizes: usize = (0..p.batch_count()).map(|k| p.batch(k).len()).sum();
        prop_assert_eq!(sizes, n);
        seen.sort_unstable();
        prop_assert_eq!(seen, (0..n).collect::<Vec<_>>());
        for k in 0..p.batch_count().saturating_sub(1) {
            prop_assert_eq!(p.batch(k).len(), batch_size);
        }
    }

    #[test]
    fn training_and_validation_are_disjoint_and_cover_the_set(
        n in 1usize..400, split in 0.01f64..0.99, seed in any::<u32>(), batch_size in 1usize..40
    ) {
        let options = |subset| PlanOptions {
            shuffle: true, seed: Some(seed), validation_split: Some(split), subset: Some(subset), batch_size,
            ..PlanOptions::default()
        };
        let train = plan::plan(&index_of(n), &options(Subset::Training)).unwrap();
        let val = plan::plan(&index_of(n), &options(Subset::Validation)).unwrap();
        prop_assert_eq!(val.len(), (split * n as f64) as usize);
        let mut all: Vec<usize> = train.order.iter().chain(&val.order).copied().collect();
        all.sort_unstable();
        prop_assert_eq!(all, (0..n).collect::<Vec<_>>());
    }

    #[test]
    fn drop_remainder_leaves_only_full_batches(n in 0usize..400, batch_size in 1usize..40) {
        let options = PlanOptions { batch_size, drop_remainder: true, ..PlanOptions::default() };
        let p = plan::plan(&index_of(n), &options).unwrap();
        prop_assert_eq!(p.len(), n / batch_size * batch_size);
        prop_assert!((0..p.batch_count()).all(|k| p.batch(k).len() == batch_size));
    }

    #[test]
    fn npy_header_is_valid_for_any_shape_and_dtype(
        shape in proptest::collection::vec(0usize..2_000_000, 0..6), which in 0usize..3
    ) {
        let dtype = [NpyDtype::U8, NpyDtype::I32, NpyDtype::F32][which];
        let header = npy::header(dtype, &shape);
        prop_assert_eq!(header.len() % 64, 0);
        prop_assert_eq!(&header[..8], b"\x93NUMPY\x01\x00");
        let hlen = u16::from_le_bytes([header[8], header[9]]) as usize;
        prop_assert_eq!(hlen + 10, header.len());
        prop_assert_eq!(*header.last().unwrap(), b'\n');
        let dict = std::str::from_utf8(&header[10..]).unwrap().trim_end();
        let expected = format!("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}", dtype.descr(), npy::shape_repr(&shape));
        prop_assert_eq!(dict, expected.as_str());
    }

    #[test]
    fn resizing_to_the_same_size_is_the_identity(
        (h, w, c, pixels) in (1usize..12, 1usize..12, 1usize..5).prop_flat_map(|(h, w, c)| {
            (Just(h), Just(w), Just(c), proptest::collection::vec(any::<u8>(), h * w * c))
        }),
        which in 0usize..3
    ) {
        let kernel = [Interpolation::Bilinear, Interpolation::Nearest, Interpolation::Area][which];
        let out = resize::resize(View { pixels: &pixels, height: h, width: w, channels: c }, h, w, kernel);
        prop_assert_eq!(out, pixels.iter().map(|&v| f32::from(v)).collect::<Vec<_>>());
    }
}
