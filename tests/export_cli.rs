//! `batchscope export` end to end: files, shapes, dtypes, values, order, and numpy reading all of it.

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.
mod common;

use std::path::Path;

use batchscope::npy::{self, NpyDtype};
use common::{batchscope, batchscope_ok, gray, manifest, pattern, read_npy, save, write};

/// `a/0..3.png`, `b/0..2.png`: 4 wide, 3 high, a distinct pattern per file.
fn two_class_dataset(root: &Path) -> Vec<Vec<u8>> {
    let mut pixels = Vec::new();
    for (class, n) in [("a", 3u32), ("b", 2)] {
        for i in 0..n {
            let img = pattern(4, 3, i * 10 + u32::from(class == "b"));
            save(root, &format!("{class}/{i}.png"), &img);
            pixels.push(img.into_raw());
        }
    }
    pixels
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn export_writes_arrays_labels_names_manifest_in_one_order() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = dir.path().join("out");
    let pixels = two_class_dataset(&data);
    batchscope_ok(&["export", s(&data), "--out", s(&out), "--batch-size", "2"]);

    let images = read_npy(&out.join("images.npy"));
    assert_eq!(images.descr, "|u1");
    assert_eq!(images.shape, [5, 3, 4, 3]);
    assert_eq!(images.data, pixels.concat());
    assert_eq!(images.header, npy::header(NpyDtype::U8, &[5, 3, 4, 3]));

    let labels = read_npy(&out.join("labels.npy"));
    assert_eq!(
        (labels.descr.as_str(), labels.shape.as_slice()),
        ("<i4", &[5][..])
    );
    assert_eq!(labels.i32s(), [0, 0, 0, 1, 1]);

    assert_eq!(
        std::fs::read_to_string(out.join("class_names.json")).unwrap(),
        r#"["a","b"]"#
    );
    assert_eq!(
        manifest(&out),
        [
            ["0", "a/0.png", "0", "a"],
            ["1", "a/1.png", "0", "a"],
            ["2", "a/2.png", "0", "a"],
            ["3", "b/0.png", "1", "b"],
            ["4", "b/1.png", "1", "b"]
        ]
    );
    assert_eq!(
        std::fs::read_to_string(out.join("skipped.csv")).unwrap(),
        "path,reason\n"
    );
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    if common::has_python_module(
        "numpy",
        "export_writes_arrays_labels_names_manifest_in_one_order",
    ) {
        let code = r"
import sys, json, numpy as np
out = sys.argv[1]
x = np.load(out + '/images.npy'); y = np.load(out + '/labels.npy')
names = json.load(open(out + '/class_names.json'))
print(x.shape, x.dtype, int(x.astype(np.int64).sum()), x[3, 2, 1].tolist())
print(y.shape, y.dtype, y.tolist(), names)
";
        let got = common::run_python(code, &[s(&out)]);
        let sum: u64 = pixels.concat().iter().map(|&v| u64::from(v)).sum();
        let px = &pixels[3][(2 * 4 + 1) * 3..(2 * 4 + 1) * 3 + 3];
        assert_eq!(
            got,
            format!(
                "(5, 3, 4, 3) uint8 {sum} [{}, {}, {}]\n(5,) int32 [0, 0, 0, 1, 1] ['a', 'b']\n",
                px[0], px[1], px[2]
            )
        );
    }
}

#[test]
fn label_modes_have_keras_shapes_and_dtypes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    two_class_dataset(&data);
    let out = dir.path().join("cat");
    batchscope_ok(&[
        "export",
        s(&data),
        "--out",
        s(&out),
        "--label-mode",
        "categorical",
    ]);
    let labels = read_npy(&out.join("labels.npy"));
    assert_eq!(
        (labels.descr.as_str(), labels.shape.as_slice()),
        ("<f4", &[5, 2][..])
    );
    assert_eq!(labels.f32s(), [1., 0., 1., 0., 1., 0., 0., 1., 0., 1.]);

    let out = dir.path().join("bin");
    batchscope_ok(&[
        "export",
        s(&data),
        "--out",
        s(&out),
        "--label-mode",
        "binary",
    ]);
    let labels = read_npy(&out.join("labels.npy"));
    assert_eq!(
        (labels.descr.as_str(), labels.shape.as_slice()),
        ("<f4", &[5, 1][..])
    );
    assert_eq!(labels.f32s(), [0., 0., 0., 1., 1.]);

    let out = dir.path().join("none");
    batchscope_ok(&["export", s(&data), "--out", s(&out), "--label-mode", "none"]);
    assert!(!out.join("labels.npy").exists());
    assert!(out.join("images.npy").exists());

    // Binary needs exactly two classes: a usage error (exit 2) naming the classes.
    save(&data, "c/0.png", &pattern(4, 3, 99));
    let res = batchscope(&[
        "export",
        s(&data),
        "--out",
        s(&dir.path().join("bad")),
        "--label-mode",
        "binary",
    ]);
    assert_eq!(res.status.code(), Some(2));
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(err.contains("exactly 2 classes, found 3: a, b, c"), "{err}");

    if common::has_python_module("numpy", "label_modes_have_keras_shapes_and_dtypes") {
        let code = r"
import sys, numpy as np
for d in sys.argv[1:]:
    y = np.load(d + '/labels.npy'); print(y.shape, y.dtype, y.sum())
";
        let got = common::run_python(
            code,
            &[s(&dir.path().join("cat")), s(&dir.path().join("bin"))],
        );
        assert_eq!(got, "(5, 2) float32 5.0\n(5, 1) float32 2.0\n");
    }
}

#[test]
fn color_modes_set_the_channel_axis() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    two_class_dataset(&data);
    for (mode, c) in [("rgb", 3), ("grayscale", 1), ("rgba", 4)] {
        let out = dir.path().join(mode);
        batchscope_ok(&["export", s(&data), "--out", s(&out), "--color-mode", mode]);
        assert_eq!(
            read_npy(&out.join("images.npy")).shape,
            [5, 3, 4, c],
            "{mode}"
        );
    }
}

#[test]
fn float32_resize_matches_tensorflow_half_pixel_bilinear() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let px = [0u8, 100, 200, 255];
    save(
        &data,
        "c/x.png",
        &gray(2, 2, |x, y| px[(y * 2 + x) as usize]),
    );
    let out = dir.path().join("out");
    batchscope_ok(&[
        "export",
        s(&data),
        "--out",
        s(&out),
        "--color-mode",
        "grayscale",
        "--image-size",
        "4x4",
        "--dtype",
        "float32",
    ]);
    let images = read_npy(&out.join("images.npy"));
    assert_eq!(
        (images.descr.as_str(), images.shape.as_slice()),
        ("<f4", &[1, 4, 4, 1][..])
    );
    // Hand-computed: sources (i + 0.5) * 0.5 - 0.5 = -0.25, 0.25, 0.75, 1.25 along each axis; rows first
    // blended along x, then the two rows along y.
    let row0 = [0.0f32, 25.0, 75.0, 100.0];
    let row3 = [200.0f32, 213.75, 241.25, 255.0];
    let mix = |t: f32| {
        row0.iter()
            .zip(&row3)
            .map(|(a, b)| a + (b - a) * t)
            .collect::<Vec<f32>>()
    };
    let expected = [row0.to_vec(), mix(0.25), mix(0.75), row3.to_vec()].concat();
    assert_eq!(images.f32s(), expected);

    let out1 = dir.path().join("out1");
    batchscope_ok(&[
        "export",
        s(&data),
        "--out",
        s(&out1),
        "--color-mode",
        "grayscale",
        "--image-size",
        "4x4",
        "--dtype",
        "float32",
        "--scale",
        "1",
    ]);
    let scaled: Vec<f32> = expected.iter().map(|v| v / 255.0).collect();
    assert_eq!(read_npy(&out1.join("images.npy")).f32s(), scaled);

    // uint8 rounds the same values to nearest.
    let out8 = dir.path().join("out8");
    batchscope_ok(&[
        "export",
        s(&data),
        "--out",
        s(&out8),
        "--color-mode",
        "grayscale",
        "--image-size",
        "4x4",
    ]);
    let rounded: Vec<u8> = expected.iter().map(|v| (v + 0.5).floor() as u8).collect();
    assert_eq!(read_npy(&out8.join("images.npy")).data, rounded);
}

#[test]
fn non_empty_output_is_refused_without_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    two_class_dataset(&data);
    let out = dir.path().join("out");
    batchscope_ok(&["export", s(&data), "--out", s(&out)]);
    let res = batchscope(&["export", s(&data), "--out", s(&out)]);
    assert_eq!(res.status.code(), Some(1));
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(err.contains("not empty") && err.contains(s(&out)), "{err}");

    batchscope_ok(&["export", s(&data), "--out", s(&out), "--overwrite"]);
    assert_eq!(read_npy(&out.join("images.npy")).shape[0], 5);

    // A user's file makes the folder not batchscope's own: refused even with --overwrite, kept as is.
    write(&out, "keep.txt", b"mine");
    let res = batchscope(&["export", s(&data), "--out", s(&out), "--overwrite"]);
    assert_eq!(res.status.code(), Some(1));
    assert_eq!(std::fs::read(out.join("keep.txt")).unwrap(), b"mine");
    std::fs::remove_file(out.join("keep.txt")).unwrap();

    // Overwriting with labels off removes the stale labels.npy that would no longer match.
    batchscope_ok(&[
        "export",
        s(&data),
        "--out",
        s(&out),
        "--overwrite",
        "--label-mode",
        "none",
    ]);
    assert!(!out.join("labels.npy").exists());

    let file = write(dir.path(), "a_file", b"x");
    let res = batchscope(&["export", s(&data), "--out", s(&file)]);
    assert_eq!(res.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&res.stderr).contains("is a file"));
}

#[test]
fn native_size_needs_one_size_and_names_two_files_that_differ() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    save(&data, "a/small.png", &pattern(4, 3, 1));
    save(&data, "a/wide.png", &pattern(8, 3, 2));
    let res = batchscope(&["export", s(&data), "--out", s(&dir.path().join("out"))]);
    assert_eq!(res.status.code(), Some(1));
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(
        err.contains("\"a/small.png\" is 3x4 but \"a/wide.png\" is 3x8"),
        "{err}"
    );
    batchscope_ok(&[
        "export",
        s(&data),
        "--out",
        s(&dir.path().join("out")),
        "--image-size",
        "3x4",
    ]);
}

#[test]
fn usage_errors_exit_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    two_class_dataset(&data);
    let out = dir.path().join("out");
    for (args, needle) in [
        (vec!["--image-size", "12xq"], "not an image size"),
        (
            vec![
                "--image-size",
                "8",
                "--crop-to-aspect-ratio",
                "--pad-to-aspect-ratio",
            ],
            "cannot be used together",
        ),
        (
            vec![
                "--shuffle",
                "--validation-split",
                "0.2",
                "--subset",
                "training",
            ],
            "needs --seed",
        ),
        (vec!["--validation-split", "0.2"], "go together"),
        (
            vec!["--interpolation", "area"],
            "--interpolation needs --image-size",
        ),
        (vec!["--color-mode", "cmyk"], "invalid value"),
        (
            vec!["--class-names", "a,zebra"],
            "\"zebra\" is not a subdirectory",
        ),
    ] {
        let mut full = vec!["export", s(&data), "--out", s(&out)];
        full.extend(&args);
        let res = batchscope(&full);
        let err = String::from_utf8_lossy(&res.stderr);
        assert_eq!(res.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

#[test]
fn inspect_reports_classes_batches_sizes_and_formats() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    two_class_dataset(&data);
    common::save_as(
        &data,
        "b/z.jpg",
        &pattern(4, 3, 5),
        image::ImageFormat::Jpeg,
    );
    let out = batchscope(&["inspect", s(&data), "--batch-size", "4", "--json"]);
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["samples"], 6);
    assert_eq!(json["batches"], 2);
    assert_eq!(json["last_batch"], 2);
    assert_eq!(json["classes"][1]["name"], "b");
    assert_eq!(json["classes"][1]["count"], 3);
    assert_eq!(json["sizes"]["3x4"], 6);
    assert_eq!(json["formats"]["PNG"], 5);
    assert_eq!(json["formats"]["JPEG"], 1);
    assert_eq!(json["options"]["plan"]["batch_size"], 4);
    // Issue 9: options are spelled as the flags and Keras spell them, not as Rust's enum variants.
    assert_eq!(json["options"]["index"]["labels"], "inferred");
    assert_eq!(json["options"]["preprocess"]["color_mode"], "rgb");
    assert_eq!(json["options"]["preprocess"]["interpolation"], "bilinear");

    let text = batchscope(&["inspect", s(&data), "--color-mode", "grayscale"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("batches    1 (batch size 32; it holds 6)"),
        "{text}"
    );
    assert!(text.contains("grayscale, native size"), "{text}");
}

/// Issue 9: the closing line of an export named the dtype as Rust's `Uint8`/`Float32`.
#[test]
fn the_export_summary_names_the_dtype_as_numpy_does() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    two_class_dataset(&data);
    for dtype in ["uint8", "float32"] {
        let out = dir.path().join(dtype);
        let err = batchscope_ok(&["export", s(&data), "--out", s(&out), "--dtype", dtype]);
        assert!(err.contains(&format!("  (5, 3, 4, 3) {dtype}\n")), "{err}");
    }
}

/// Issue 9: `int(0.2 * 3) == 0` files are held out. We give all three to training and none to
/// validation (whose export then has nothing to write). Keras slices `samples[:-0]` for training (no
/// files: "No images found") and `samples[-0:]` for validation (all of them), the reverse; the README
/// says so.
#[test]
fn a_split_that_holds_out_no_files_gives_all_to_training_and_none_to_validation() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for i in 0..3u32 {
        save(&data, &format!("c/{i}.png"), &pattern(2, 2, i));
    }
    let split = |subset: &str, out: &Path| {
        batchscope(&[
            "export",
            s(&data),
            "--out",
            s(out),
            "--shuffle",
            "--seed",
            "1",
            "--validation-split",
            "0.2",
            "--subset",
            subset,
        ])
    };
    let train = dir.path().join("train");
    let res = split("training", &train);
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    assert_eq!(read_npy(&train.join("images.npy")).shape, [3, 2, 2, 3]);

    let val = dir.path().join("val");
    let res = split("validation", &val);
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(2), "{err}");
    assert!(
        err.contains("the validation subset is empty: --validation-split 0.2 of 3 files holds out int(0.2 * 3) = 0"),
        "{err}"
    );
    assert!(!val.exists());
}
