//! Property tests for the pure parts: the plan, the `.npy` header, and resizing. Expected values are
//! computed here from first principles (numpy's header formula written out, block means, repeated
//! pixels), never with the code under test.

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.

use batchscope::index::{DatasetIndex, Sample};
use batchscope::load::resize::{self, View};
use batchscope::npy::{self, NpyDtype};
use batchscope::options::{Interpolation, PlanOptions, Subset};
use batchscope::plan;
use proptest::prelude::*;

fn index_of(n: usize) -> DatasetIndex {
    DatasetIndex {
        samples: (0..n)
            .map(|i| Sample {
                objects: None,
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
    fn npy_header_follows_numpys_formula_for_any_shape_and_dtype(
        shape in proptest::collection::vec(0usize..2_000_000, 0..9), which in 0usize..3
    ) {
        let (dtype, descr) = [(NpyDtype::U8, "|u1"), (NpyDtype::I32, "<i4"), (NpyDtype::F32, "<f4")][which];
        prop_assert_eq!(npy::header(dtype, &shape), numpy_header(descr, &shape));
    }

    #[test]
    fn resizing_to_the_same_size_is_the_identity(
        (h, w, c, pixels) in image(1..12, 1..12),
        which in 0usize..3
    ) {
        let kernel = [Interpolation::Bilinear, Interpolation::Nearest, Interpolation::Area][which];
        let out = resize::resize(View { pixels: &pixels, height: h, width: w, channels: c }, h, w, kernel);
        prop_assert_eq!(out, pixels.iter().map(|&v| f32::from(v)).collect::<Vec<_>>());
    }

    #[test]
    fn nearest_upscaling_by_whole_factors_repeats_each_pixel(
        (h, w, c, pixels) in image(1..9, 1..9), ky in 1usize..5, kx in 2usize..5
    ) {
        let out = resize::resize(View { pixels: &pixels, height: h, width: w, channels: c }, h * ky, w * kx, Interpolation::Nearest);
        let expected: Vec<f32> = (0..h * ky)
            .flat_map(|y| (0..w * kx).map(move |x| (y / ky, x / kx)))
            .flat_map(|(y, x)| (0..c).map(move |ch| (y * w + x) * c + ch))
            .map(|i| f32::from(pixels[i]))
            .collect();
        prop_assert_eq!(out, expected);
    }

    #[test]
    fn nearest_downscaling_by_whole_factors_takes_each_blocks_centre_pixel(
        (ky, kx, (h, w, c, pixels)) in (1usize..6, 1usize..6, 1usize..5, 2usize..5, 1usize..5)
            .prop_flat_map(|(out_h, out_w, ky, kx, c)| (Just(ky), Just(kx), image_of(out_h * ky, out_w * kx, c)))
    ) {
        // Half-pixel centres: output i samples the source at (i + 0.5) * k, i.e. pixel k*i + k/2.
        let (out_h, out_w) = (h / ky, w / kx);
        let out = resize::resize(View { pixels: &pixels, height: h, width: w, channels: c }, out_h, out_w, Interpolation::Nearest);
        let expected: Vec<f32> = (0..out_h)
            .flat_map(|y| (0..out_w).map(move |x| (ky * y + ky / 2, kx * x + kx / 2)))
            .flat_map(|(y, x)| (0..c).map(move |ch| (y * w + x) * c + ch))
            .map(|i| f32::from(pixels[i]))
            .collect();
        prop_assert_eq!(out, expected);
    }

    #[test]
    fn halving_with_bilinear_and_area_gives_the_mean_of_each_2x2_block(
        (h, w, c, pixels) in image(1..9, 1..9).prop_flat_map(|(h, w, c, _)| image_of(h * 2, w * 2, c)),
        area in any::<bool>()
    ) {
        // The source is 2h x 2w; bilinear samples at 2i + 0.5 (weights one half each way), area
        // averages the four cells: both are the block mean, exact in float32 (a multiple of 1/4).
        let kernel = if area { Interpolation::Area } else { Interpolation::Bilinear };
        let (out_h, out_w) = (h / 2, w / 2);
        let out = resize::resize(View { pixels: &pixels, height: h, width: w, channels: c }, out_h, out_w, kernel);
        let at = |y: usize, x: usize, ch: usize| u32::from(pixels[(y * w + x) * c + ch]);
        let mut expected = Vec::new();
        for y in 0..out_h {
            for x in 0..out_w {
                for ch in 0..c {
                    let sum = at(2 * y, 2 * x, ch) + at(2 * y, 2 * x + 1, ch)
                        + at(2 * y + 1, 2 * x, ch) + at(2 * y + 1, 2 * x + 1, ch);
                    expected.push(sum as f32 / 4.0);
                }
            }
        }
        prop_assert_eq!(out, expected);
    }

    #[test]
    fn every_kernel_stays_within_the_source_range_and_keeps_a_flat_image_flat(
        (h, w, c, pixels) in image(1..10, 1..10), out_h in 1usize..20, out_w in 1usize..20,
        which in 0usize..3, flat in proptest::option::of(any::<u8>())
    ) {
        let kernel = [Interpolation::Bilinear, Interpolation::Nearest, Interpolation::Area][which];
        let pixels = flat.map_or(pixels.clone(), |v| vec![v; pixels.len()]);
        let out = resize::resize(View { pixels: &pixels, height: h, width: w, channels: c }, out_h, out_w, kernel);
        prop_assert_eq!(out.len(), out_h * out_w * c);
        let lo = f32::from(*pixels.iter().min().unwrap());
        let hi = f32::from(*pixels.iter().max().unwrap());
        // Area sums weighted cells in float32, so it may land a rounding step outside.
        let slack = if kernel == Interpolation::Area { 1e-3 } else { 0.0 };
        for &v in &out {
            prop_assert!(v >= lo - slack && v <= hi + slack, "{} outside {}..={}", v, lo, hi);
        }
        if flat.is_some() && kernel != Interpolation::Area {
            prop_assert_eq!(&out, &vec![lo; out.len()], "a flat image changed");
        }
    }
}

/// An `h x w x c` image (c in 1..5) with random bytes, sizes drawn from the ranges.
fn image(
    h: std::ops::Range<usize>,
    w: std::ops::Range<usize>,
) -> impl Strategy<Value = (usize, usize, usize, Vec<u8>)> {
    (h, w, 1usize..5).prop_flat_map(|(h, w, c)| image_of(h, w, c))
}

fn image_of(h: usize, w: usize, c: usize) -> impl Strategy<Value = (usize, usize, usize, Vec<u8>)> {
    (
        Just(h),
        Just(w),
        Just(c),
        proptest::collection::vec(any::<u8>(), h * w * c),
    )
}

/// The header numpy 2's `format.write_array` gives (version 1.0), written out from its source:
/// the dict's `repr` with sorted keys, spaces for a 21-digit first axis (`GROWTH_AXIS_MAX_DIGITS`), then
/// spaces and a newline up to a multiple of 64 bytes counting the magic and the length field.
fn numpy_header(descr: &str, shape: &[usize]) -> Vec<u8> {
    let tuple = match shape.len() {
        0 => "()".to_owned(),
        1 => format!("({},)", shape[0]),
        _ => {
            let mut t = String::from("(");
            for (i, n) in shape.iter().enumerate() {
                if i > 0 {
                    t += ", ";
                }
                t += &n.to_string();
            }
            t + ")"
        }
    };
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {tuple}, }}");
    if let Some(first) = shape.first() {
        header += &" ".repeat(21 - first.to_string().len());
    }
    let hlen = header.len() + 1;
    let padlen = 64 - ((6 + 2 + 2 + hlen) % 64);
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&u16::try_from(hlen + padlen).unwrap().to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend(std::iter::repeat_n(b' ', padlen));
    bytes.push(b'\n');
    bytes
}

/// Headers `np.save` wrote (numpy 2, captured as literals: the dict and the total length), for shapes
/// batchscope writes, and two at the edge of a 64-byte block: the last fills the first 128 bytes exactly
/// (room for a 21-digit first axis included), so numpy adds a whole block of padding.
#[test]
fn npy_headers_equal_what_numpy_wrote() {
    let cases: [(NpyDtype, &[usize], &str, usize); 9] = [
        (
            NpyDtype::U8,
            &[],
            "{'descr': '|u1', 'fortran_order': False, 'shape': (), }",
            128,
        ),
        (
            NpyDtype::U8,
            &[0],
            "{'descr': '|u1', 'fortran_order': False, 'shape': (0,), }",
            128,
        ),
        (
            NpyDtype::I32,
            &[3],
            "{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }",
            128,
        ),
        (
            NpyDtype::F32,
            &[2, 3],
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
            128,
        ),
        (
            NpyDtype::U8,
            &[4096, 128, 128, 3],
            "{'descr': '|u1', 'fortran_order': False, 'shape': (4096, 128, 128, 3), }",
            128,
        ),
        (
            NpyDtype::F32,
            &[20000, 1],
            "{'descr': '<f4', 'fortran_order': False, 'shape': (20000, 1), }",
            128,
        ),
        (
            NpyDtype::I32,
            &[1, 2, 3, 4, 5],
            "{'descr': '<i4', 'fortran_order': False, 'shape': (1, 2, 3, 4, 5), }",
            128,
        ),
        (
            NpyDtype::U8,
            &[1, 12345, 12345, 12345, 12345, 12345, 123],
            "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 12345, 12345, 12345, 12345, 12345, 123), }",
            128,
        ),
        (
            NpyDtype::U8,
            &[1, 12345, 12345, 12345, 12345, 12345, 1234],
            "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 12345, 12345, 12345, 12345, 12345, 1234), }",
            192,
        ),
    ];
    for (dtype, shape, dict, total) in cases {
        // Magic (8 bytes), the text's length (2, little-endian), the text, spaces, '\n'.
        let mut expected = b"\x93NUMPY\x01\x00".to_vec();
        expected.extend_from_slice(&u16::try_from(total - 10).unwrap().to_le_bytes());
        expected.extend_from_slice(dict.as_bytes());
        expected.extend(std::iter::repeat_n(b' ', total - 10 - 1 - dict.len()));
        expected.push(b'\n');
        assert_eq!(npy::header(dtype, shape), expected, "{shape:?}");
    }
}
