//! Parity with the real peer: TensorFlow's `image_dataset_from_directory` on generated folders.
//! PNG must match exactly; JPEG exactly with the default options and with `--jpeg exact` (libjpeg-turbo
//! as TensorFlow runs it) on every kind of JPEG (baseline and progressive; 4:4:4, 4:2:2, 4:2:0, 4:4:0
//! and 4:1:1; gray, CMYK and YCCK sources; restart markers; optimized Huffman tables), and within a few
//! levels on these small synthetic images with the opt-in `--jpeg fast` (zune-jpeg). Needs
//! `tensorflow` importable by `python3` (or `$PYTHON`): skipped with the printed reason otherwise
//! (counted in the line `cargo test` ends with), a failure under `BATCHSCOPE_REQUIRE_PYTHON=1` (as
//! `.ci/run` sets).

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.
#![allow(clippy::too_many_lines, clippy::type_complexity)] // One flat table of cases reads best.

mod common;

use std::path::Path;

use common::{batchscope_ok, gray, rgb, rgba, save};
use serde_json::json;

/// A photo-like image: smooth gradients, an edge, and deterministic noise (decode cost and JPEG
/// behaviour depend on content, flat colours hide differences).
fn photo(w: u32, h: u32, seed: u32) -> image::RgbImage {
    rgb(w, h, |x, y| {
        let noise = (x.wrapping_mul(7919) ^ y.wrapping_mul(104_729) ^ seed.wrapping_mul(31)) % 23;
        let r = (x * 255 / w.max(1) + noise) % 256;
        let g = (y * 255 / h.max(1) + seed * 13) % 256;
        let b = if x + y > u32::midpoint(w, h) {
            200 - noise
        } else {
            40 + noise
        };
        [r as u8, g as u8, b as u8]
    })
}

/// Three classes of PNGs in mixed sizes and modes (RGB, gray, RGBA).
fn png_dataset(root: &Path) {
    let sizes = [(17, 13), (20, 20), (9, 31), (40, 25), (33, 8)];
    for (c, class) in ["cats", "dogs", "zebra"].iter().enumerate() {
        for (i, &(w, h)) in sizes.iter().enumerate() {
            let seed = (c * 10 + i) as u32;
            let name = format!("{class}/{i}.png");
            match i % 3 {
                0 => save(root, &name, &photo(w, h, seed)),
                1 => save(
                    root,
                    &name,
                    &gray(w, h, |x, y| ((x * 9 + y * 5 + seed) % 256) as u8),
                ),
                _ => save(
                    root,
                    &name,
                    &rgba(w, h, |x, y| {
                        [(x * 11) as u8, (y * 7) as u8, seed as u8, (x + y) as u8]
                    }),
                ),
            };
        }
    }
}

fn jpeg_dataset(root: &Path) {
    for (c, class) in ["a", "b"].iter().enumerate() {
        for i in 0..4u32 {
            let img = photo(32, 24, c as u32 * 10 + i);
            save(root, &format!("{class}/{i}.jpg"), &img);
        }
    }
}

/// One `w x h` photo-like JPEG per kind the exact decoder must match TensorFlow on, written by
/// jpeg-encoder into `root/a/` and `root/b/` (alternating); CMYK and YCCK ones only `with_cmyk`, since
/// TensorFlow refuses those in grayscale.
fn jpeg_kinds(root: &Path, w: u16, h: u16, with_cmyk: bool) {
    use jpeg_encoder::{ColorType, Encoder, SamplingFactor};
    let img = photo(u32::from(w), u32::from(h), 5);
    let rgb = img.as_raw();
    let luma: Vec<u8> = rgb.chunks(3).map(|p| p[0] / 2 + p[1] / 3).collect();
    let cmyk: Vec<u8> = rgb
        .chunks(3)
        .flat_map(|p| [p[0], p[1], p[2], 255 - p[0] / 3])
        .collect();
    // (name, quality, sampling, progressive, restart interval, pixels, colour type)
    let mut kinds: Vec<(&str, u8, SamplingFactor, bool, u16, &[u8], ColorType)> = vec![
        (
            "b444",
            95,
            SamplingFactor::R_4_4_4,
            false,
            0,
            rgb,
            ColorType::Rgb,
        ),
        (
            "b422",
            90,
            SamplingFactor::R_4_2_2,
            false,
            0,
            rgb,
            ColorType::Rgb,
        ),
        (
            "b420",
            85,
            SamplingFactor::R_4_2_0,
            false,
            0,
            rgb,
            ColorType::Rgb,
        ),
        (
            "b440",
            85,
            SamplingFactor::R_4_4_0,
            false,
            0,
            rgb,
            ColorType::Rgb,
        ),
        (
            "b420_restart",
            75,
            SamplingFactor::R_4_2_0,
            false,
            2,
            rgb,
            ColorType::Rgb,
        ),
        (
            "b420_optimized_huffman",
            80,
            SamplingFactor::R_4_2_0,
            false,
            0,
            rgb,
            ColorType::Rgb,
        ),
        (
            "b411",
            85,
            SamplingFactor::R_4_1_1,
            false,
            0,
            rgb,
            ColorType::Rgb,
        ),
        (
            "p444",
            90,
            SamplingFactor::R_4_4_4,
            true,
            0,
            rgb,
            ColorType::Rgb,
        ),
        (
            "p422",
            80,
            SamplingFactor::R_4_2_2,
            true,
            0,
            rgb,
            ColorType::Rgb,
        ),
        (
            "p420",
            70,
            SamplingFactor::R_4_2_0,
            true,
            0,
            rgb,
            ColorType::Rgb,
        ),
        (
            "gray_baseline",
            90,
            SamplingFactor::R_4_4_4,
            false,
            0,
            &luma,
            ColorType::Luma,
        ),
        (
            "gray_progressive",
            60,
            SamplingFactor::R_4_4_4,
            true,
            0,
            &luma,
            ColorType::Luma,
        ),
    ];
    if with_cmyk {
        kinds.push((
            "cmyk",
            90,
            SamplingFactor::R_4_4_4,
            false,
            0,
            &cmyk,
            ColorType::Cmyk,
        ));
        kinds.push((
            "ycck",
            90,
            SamplingFactor::R_4_2_0,
            false,
            0,
            &cmyk,
            ColorType::CmykAsYcck,
        ));
    }
    for (i, (name, quality, sampling, progressive, restart, pixels, color)) in
        kinds.into_iter().enumerate()
    {
        let path = root.join(["a", "b"][i % 2]).join(format!("{name}.jpg"));
        common::parent(&path);
        let mut encoder = Encoder::new_file(&path, quality).unwrap();
        encoder.set_sampling_factor(sampling);
        encoder.set_progressive(progressive);
        encoder.set_optimized_huffman_tables(name.ends_with("optimized_huffman"));
        if restart > 0 {
            encoder.set_restart_interval(restart);
        }
        encoder.encode(pixels, w, h, color).unwrap();
    }
}

#[test]
fn exports_match_tensorflow_image_dataset_from_directory() {
    if !common::has_python_module(
        "tensorflow",
        "exports_match_tensorflow_image_dataset_from_directory",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("png");
    let jpeg = dir.path().join("jpeg");
    let dots = dir.path().join("dots");
    let kinds = dir.path().join("jpeg_kinds");
    let kinds_gray = dir.path().join("jpeg_kinds_gray");
    png_dataset(&png);
    jpeg_dataset(&jpeg);
    // Odd sizes, so that MCUs are cut at the right and bottom edges.
    jpeg_kinds(&kinds, 37, 29, true);
    jpeg_kinds(&kinds_gray, 37, 29, false);
    // Names Keras's `endswith` takes although `Path::extension` sees no extension (issue 9).
    for (i, rel) in [
        "c/.png",
        "c/.JPG",
        "c/.hidden.png",
        "c/x.png",
        "c/.h/.gif",
        "c/png",
    ]
    .iter()
    .enumerate()
    {
        common::save_as(&dots, rel, &photo(4, 4, i as u32), image::ImageFormat::Png);
    }

    // (name, data, our extra args, keras kwargs, tolerance, compare)
    let no_shuffle = json!({"shuffle": false, "batch_size": 4});
    let with = |extra: serde_json::Value| {
        let mut v = no_shuffle.clone();
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        v
    };
    let cases: Vec<(&str, &Path, Vec<&str>, serde_json::Value, f64, &str)> = vec![
        (
            "png_bilinear_rgb",
            &png,
            vec!["--image-size", "16x20"],
            with(json!({"image_size": [16, 20]})),
            0.0,
            "images",
        ),
        (
            "png_bilinear_upscale",
            &png,
            vec!["--image-size", "45x50"],
            with(json!({"image_size": [45, 50]})),
            0.0,
            "images",
        ),
        (
            "png_nearest",
            &png,
            vec!["--image-size", "16x20", "--interpolation", "nearest"],
            with(json!({"image_size": [16, 20], "interpolation": "nearest"})),
            0.0,
            "images",
        ),
        (
            "png_area",
            &png,
            vec!["--image-size", "7x6", "--interpolation", "area"],
            with(json!({"image_size": [7, 6], "interpolation": "area"})),
            0.0,
            "images",
        ),
        (
            "png_area_odd_upscale",
            &png,
            vec!["--image-size", "13x50", "--interpolation", "area"],
            with(json!({"image_size": [13, 50], "interpolation": "area"})),
            0.0,
            "images",
        ),
        (
            "png_grayscale",
            &png,
            vec!["--image-size", "16x20", "--color-mode", "grayscale"],
            with(json!({"image_size": [16, 20], "color_mode": "grayscale"})),
            0.0,
            "images",
        ),
        (
            "png_rgba",
            &png,
            vec!["--image-size", "16x20", "--color-mode", "rgba"],
            with(json!({"image_size": [16, 20], "color_mode": "rgba"})),
            0.0,
            "images",
        ),
        (
            "png_crop",
            &png,
            vec!["--image-size", "16x20", "--crop-to-aspect-ratio"],
            with(json!({"image_size": [16, 20], "crop_to_aspect_ratio": true})),
            0.0,
            "images",
        ),
        (
            "png_pad",
            &png,
            vec!["--image-size", "16x20", "--pad-to-aspect-ratio"],
            with(json!({"image_size": [16, 20], "pad_to_aspect_ratio": true})),
            0.0,
            "images",
        ),
        (
            "png_categorical",
            &png,
            vec!["--image-size", "8x8", "--label-mode", "categorical"],
            with(json!({"image_size": [8, 8], "label_mode": "categorical"})),
            0.0,
            "images",
        ),
        // The default options give TensorFlow's pixels (issue 22): no --jpeg flag, no tolerance.
        (
            "jpeg_default_native_rgb",
            &jpeg,
            vec![],
            with(json!({"image_size": [24, 32]})),
            0.0,
            "images",
        ),
        (
            "jpeg_default_kinds_native",
            &kinds,
            vec![],
            with(json!({"image_size": [29, 37]})),
            0.0,
            "images",
        ),
        (
            "jpeg_default_kinds_bilinear",
            &kinds,
            vec!["--image-size", "16x20"],
            with(json!({"image_size": [16, 20]})),
            0.0,
            "images",
        ),
        (
            "jpeg_default_kinds_grayscale",
            &kinds_gray,
            vec!["--color-mode", "grayscale"],
            with(json!({"image_size": [29, 37], "color_mode": "grayscale"})),
            0.0,
            "images",
        ),
        // The opt-in fast decoder: within a few levels on these small synthetic images (more on
        // photos: BENCHMARKS.md).
        (
            "jpeg_fast_native_rgb",
            &jpeg,
            vec!["--jpeg", "fast"],
            with(json!({"image_size": [24, 32]})),
            5.0,
            "images",
        ),
        (
            "jpeg_fast_grayscale",
            &jpeg,
            vec!["--jpeg", "fast", "--color-mode", "grayscale"],
            with(json!({"image_size": [24, 32], "color_mode": "grayscale"})),
            5.0,
            "images",
        ),
        (
            "jpeg_exact_image_crate",
            &jpeg,
            vec!["--jpeg", "exact"],
            with(json!({"image_size": [24, 32]})),
            0.0,
            "images",
        ),
        (
            "jpeg_exact_rgb_native",
            &kinds,
            vec!["--jpeg", "exact"],
            with(json!({"image_size": [29, 37]})),
            0.0,
            "images",
        ),
        (
            "jpeg_exact_rgb_bilinear",
            &kinds,
            vec!["--jpeg", "exact", "--image-size", "16x20"],
            with(json!({"image_size": [16, 20]})),
            0.0,
            "images",
        ),
        (
            "jpeg_exact_rgb_bilinear_up",
            &kinds,
            vec!["--jpeg", "exact", "--image-size", "45x50"],
            with(json!({"image_size": [45, 50]})),
            0.0,
            "images",
        ),
        (
            "jpeg_exact_rgb_area",
            &kinds,
            vec![
                "--jpeg",
                "exact",
                "--image-size",
                "11x9",
                "--interpolation",
                "area",
            ],
            with(json!({"image_size": [11, 9], "interpolation": "area"})),
            0.0,
            "images",
        ),
        (
            "jpeg_exact_rgb_crop",
            &kinds,
            vec![
                "--jpeg",
                "exact",
                "--image-size",
                "16x20",
                "--crop-to-aspect-ratio",
            ],
            with(json!({"image_size": [16, 20], "crop_to_aspect_ratio": true})),
            0.0,
            "images",
        ),
        (
            "jpeg_exact_rgb_pad",
            &kinds,
            vec![
                "--jpeg",
                "exact",
                "--image-size",
                "16x20",
                "--pad-to-aspect-ratio",
            ],
            with(json!({"image_size": [16, 20], "pad_to_aspect_ratio": true})),
            0.0,
            "images",
        ),
        (
            "jpeg_exact_gray_native",
            &kinds_gray,
            vec!["--jpeg", "exact", "--color-mode", "grayscale"],
            with(json!({"image_size": [29, 37], "color_mode": "grayscale"})),
            0.0,
            "images",
        ),
        (
            "jpeg_exact_gray_bilinear",
            &kinds_gray,
            vec![
                "--jpeg",
                "exact",
                "--color-mode",
                "grayscale",
                "--image-size",
                "16x20",
            ],
            with(json!({"image_size": [16, 20], "color_mode": "grayscale"})),
            0.0,
            "images",
        ),
        (
            "jpeg_exact_gray_bilinear_up",
            &kinds_gray,
            vec![
                "--jpeg",
                "exact",
                "--color-mode",
                "grayscale",
                "--image-size",
                "45x50",
            ],
            with(json!({"image_size": [45, 50], "color_mode": "grayscale"})),
            0.0,
            "images",
        ),
        (
            "jpeg_exact_gray_area",
            &kinds_gray,
            vec![
                "--jpeg",
                "exact",
                "--color-mode",
                "grayscale",
                "--image-size",
                "11x9",
                "--interpolation",
                "area",
            ],
            with(
                json!({"image_size": [11, 9], "interpolation": "area", "color_mode": "grayscale"}),
            ),
            0.0,
            "images",
        ),
        (
            "jpeg_exact_gray_crop",
            &kinds_gray,
            vec![
                "--jpeg",
                "exact",
                "--color-mode",
                "grayscale",
                "--image-size",
                "16x20",
                "--crop-to-aspect-ratio",
            ],
            with(
                json!({"image_size": [16, 20], "crop_to_aspect_ratio": true, "color_mode": "grayscale"}),
            ),
            0.0,
            "images",
        ),
        (
            "jpeg_exact_gray_pad",
            &kinds_gray,
            vec![
                "--jpeg",
                "exact",
                "--color-mode",
                "grayscale",
                "--image-size",
                "16x20",
                "--pad-to-aspect-ratio",
            ],
            with(
                json!({"image_size": [16, 20], "pad_to_aspect_ratio": true, "color_mode": "grayscale"}),
            ),
            0.0,
            "images",
        ),
        (
            "dot_named_files",
            &dots,
            vec![],
            with(json!({"image_size": [4, 4]})),
            0.0,
            "files",
        ),
        (
            "split_validation",
            &png,
            vec![
                "--image-size",
                "8x8",
                "--shuffle",
                "--seed",
                "42",
                "--validation-split",
                "0.3",
                "--subset",
                "validation",
            ],
            json!({"image_size": [8, 8], "shuffle": true, "seed": 42, "validation_split": 0.3, "subset": "validation"}),
            0.0,
            "files",
        ),
        (
            "split_training",
            &png,
            vec![
                "--image-size",
                "8x8",
                "--shuffle",
                "--seed",
                "7",
                "--validation-split",
                "0.2",
                "--subset",
                "training",
            ],
            json!({"image_size": [8, 8], "shuffle": true, "seed": 7, "validation_split": 0.2, "subset": "training"}),
            0.0,
            "files",
        ),
    ];
    let mut spec = Vec::new();
    for (name, data, extra, keras, tolerance, compare) in cases {
        let out = dir.path().join(format!("out_{name}"));
        let mut args = vec![
            "export",
            data.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--dtype",
            "float32",
        ];
        args.extend(extra);
        batchscope_ok(&args);
        spec.push(json!({"name": name, "data": data, "out": out, "keras": keras, "tolerance": tolerance, "compare": compare}));
    }
    let spec_path = dir.path().join("cases.json");
    std::fs::write(&spec_path, serde_json::to_vec(&spec).unwrap()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/parity/tf_parity.py");
    let out = std::process::Command::new(common::python())
        .arg(&script)
        .arg(&spec_path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    // Shown with --nocapture; kept in the closing notes and the README.
    println!("{stdout}");
    assert!(
        out.status.success(),
        "TensorFlow parity failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
