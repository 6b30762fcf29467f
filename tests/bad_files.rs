//! Bad files are skipped with their reason and never stop the export; the arrays hold every good
//! file in order and the `.npy` header is fixed up for the final count.

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.
mod common;

use std::path::Path;

use common::{batchscope, batchscope_ok, manifest, pattern, read_npy, save, write};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Good files interleaved with every kind of bad one; returns the good files' pixels in order.
fn messy_dataset(root: &Path) -> Vec<Vec<u8>> {
    let mut good = Vec::new();
    let mut png_bytes = Vec::new();
    pattern(4, 3, 7)
        .write_to(
            &mut std::io::Cursor::new(&mut png_bytes),
            image::ImageFormat::Png,
        )
        .unwrap();
    let mut jpg_bytes = Vec::new();
    pattern(4, 3, 8)
        .write_to(
            &mut std::io::Cursor::new(&mut jpg_bytes),
            image::ImageFormat::Jpeg,
        )
        .unwrap();

    for (i, name) in ["a/0.png", "a/2.png", "a/4.png", "b/1.png", "b/3.png"]
        .iter()
        .enumerate()
    {
        let img = pattern(4, 3, i as u32);
        save(root, name, &img);
        good.push(img.into_raw());
    }
    write(root, "a/1_empty.png", b"");
    write(root, "a/3_text.jpg", b"this is a text file, not a jpeg\n");
    write(root, "a/5_half.png", &png_bytes[..png_bytes.len() / 2]);
    write(
        root,
        "b/0_truncated.jpg",
        &jpg_bytes[..jpg_bytes.len() * 2 / 3],
    );
    write(root, "b/2_header_only.png", &png_bytes[..33]);
    good
}

#[test]
fn bad_files_are_skipped_listed_and_the_rest_exported_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = dir.path().join("out");
    let good = messy_dataset(&data);
    let stderr = batchscope_ok(&["export", s(&data), "--out", s(&out), "--batch-size", "3"]);
    assert!(stderr.contains("5 skipped"), "{stderr}");

    let images = read_npy(&out.join("images.npy"));
    assert_eq!(
        images.shape,
        [5, 3, 4, 3],
        "header rewritten for the 5 good files of 10"
    );
    assert_eq!(images.data, good.concat());
    assert_eq!(read_npy(&out.join("labels.npy")).i32s(), [0, 0, 0, 1, 1]);
    let paths: Vec<String> = manifest(&out).into_iter().map(|r| r[1].clone()).collect();
    assert_eq!(
        paths,
        ["a/0.png", "a/2.png", "a/4.png", "b/1.png", "b/3.png"]
    );

    let mut reader = csv::Reader::from_path(out.join("skipped.csv")).unwrap();
    assert_eq!(reader.headers().unwrap(), vec!["path", "reason"]);
    let rows: Vec<(String, String)> = reader
        .records()
        .map(|r| r.unwrap())
        .map(|r| (r[0].to_owned(), r[1].to_owned()))
        .collect();
    let expected: [(&str, &str); 5] = [
        ("a/1_empty.png", "empty file (0 bytes)"),
        ("a/3_text.jpg", "not an image in a supported format"),
        ("a/5_half.png", "Png decode failed: "),
        ("b/0_truncated.jpg", "Jpeg decode failed: "),
        ("b/2_header_only.png", "Png decode failed: "),
    ];
    assert_eq!(rows.len(), expected.len(), "{rows:?}");
    for ((path, reason), (want_path, want_reason)) in rows.iter().zip(expected) {
        assert_eq!(path, want_path);
        assert!(
            reason.starts_with(want_reason) && !reason.contains('\n'),
            "{path}: {reason}"
        );
    }

    if common::has_python_module(
        "numpy",
        "bad_files_are_skipped_listed_and_the_rest_exported_in_order",
    ) {
        let got = common::run_python(
            "import sys, numpy as np; x = np.load(sys.argv[1]); print(x.shape, x.dtype)",
            &[s(&out.join("images.npy"))],
        );
        assert_eq!(got, "(5, 3, 4, 3) uint8\n");
    }
}

#[test]
fn strict_mode_fails_on_the_first_bad_file_and_leaves_no_arrays() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = dir.path().join("out");
    messy_dataset(&data);
    let res = batchscope(&["export", s(&data), "--out", s(&out), "--strict"]);
    assert_eq!(res.status.code(), Some(1));
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(
        err.contains("strict") && err.contains("1_empty.png"),
        "{err}"
    );
    let left: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_dataset_of_only_bad_files_exports_zero_rows_and_lists_them() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = dir.path().join("out");
    write(&data, "a/x.png", b"");
    write(&data, "a/y.png", b"nope");
    batchscope_ok(&["export", s(&data), "--out", s(&out), "--image-size", "8x8"]);
    assert_eq!(read_npy(&out.join("images.npy")).shape, [0, 8, 8, 3]);
    assert_eq!(
        std::fs::read_to_string(out.join("skipped.csv"))
            .unwrap()
            .lines()
            .count(),
        3
    );
}

#[test]
fn an_empty_folder_is_an_error_that_says_what_was_expected() {
    let dir = tempfile::tempdir().unwrap();
    let res = batchscope(&["export", s(dir.path()), "--out", s(&dir.path().join("out"))]);
    assert_eq!(res.status.code(), Some(1));
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(
        err.contains("no images to export") && err.contains("<class>"),
        "{err}"
    );
}
