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
    // The default (exact) JPEG decoder, and the opt-in fast one.
    for jpeg in [None, Some("fast")] {
        bad_files_are_skipped_with(jpeg);
    }
}

fn bad_files_are_skipped_with(jpeg: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = dir.path().join("out");
    let good = messy_dataset(&data);
    let mut args = vec!["export", s(&data), "--out", s(&out), "--batch-size", "3"];
    if let Some(jpeg) = jpeg {
        args.extend(["--jpeg", jpeg]);
    }
    let stderr = batchscope_ok(&args);
    assert!(stderr.contains("5 skipped"), "{jpeg:?}: {stderr}");

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
            "{jpeg:?}: {path}: {reason}"
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
fn exact_jpeg_decoder_skips_the_same_bad_files_and_says_a_truncated_jpeg_ends_early() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = dir.path().join("out");
    let good = messy_dataset(&data);
    let stderr = batchscope_ok(&["export", s(&data), "--out", s(&out), "--jpeg", "exact"]);
    assert!(stderr.contains("5 skipped"), "{stderr}");
    assert_eq!(read_npy(&out.join("images.npy")).data, good.concat());
    let reasons: Vec<(String, String)> = csv::Reader::from_path(out.join("skipped.csv"))
        .unwrap()
        .records()
        .map(|r| r.unwrap())
        .map(|r| (r[0].to_owned(), r[1].to_owned()))
        .collect();
    let truncated = reasons.iter().find(|(path, _)| path == "b/0_truncated.jpg");
    assert_eq!(
        truncated.map(|(_, reason)| reason.as_str()),
        Some("Jpeg decode failed: truncated JPEG: the data ends before the image does"),
        "{reasons:?}"
    );
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
    // The output folder was created by this run and nothing was kept: it is gone again.
    assert!(!out.exists());
}

/// Issue 9/10: an export that could read no image fails (exit 1) with the count, instead of writing
/// `.npy` files of 0 rows as a success, and lists every file with its reason in `skipped.csv`. With no
/// image size set this used to fail with "`write_rows`: not a whole number of rows".
#[test]
fn a_dataset_of_only_bad_files_fails_with_the_count_and_lists_every_file() {
    for size in [Some("8x8"), None] {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let out = dir.path().join("out");
        write(&data, "a/x.png", b"");
        write(&data, "a/y.png", b"nope");
        let mut args = vec!["export", s(&data), "--out", s(&out)];
        if let Some(size) = size {
            args.extend(["--image-size", size]);
        }
        let res = batchscope(&args);
        let err = String::from_utf8_lossy(&res.stderr);
        assert_eq!(res.status.code(), Some(1), "{size:?}: {err}");
        assert!(
            err.contains(
                "no image could be read: all 2 files were skipped (reasons in skipped.csv)"
            ),
            "{size:?}: {err}"
        );
        assert!(err.contains("\"a/x.png\": empty file"), "{err}");
        let mut left: Vec<_> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, ["skipped.csv"], "{size:?}");
        let skipped = std::fs::read_to_string(out.join("skipped.csv")).unwrap();
        let lines: Vec<&str> = skipped.lines().collect();
        assert_eq!(lines[0], "path,reason");
        assert!(lines[1].starts_with("a/x.png,empty file"), "{skipped}");
        assert!(lines[2].starts_with("a/y.png,"), "{skipped}");
        assert_eq!(lines.len(), 3);
    }
}

/// A failed export never replaces a good one: with an earlier export in the folder, an all-bad run
/// keeps it untouched (and says so).
#[test]
fn an_all_bad_export_keeps_the_earlier_export() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good");
    let bad = dir.path().join("bad");
    let out = dir.path().join("out");
    save(&good, "a/0.png", &pattern(4, 4, 7));
    batchscope_ok(&["export", s(&good), "--out", s(&out)]);
    let before = std::fs::read(out.join("images.npy")).unwrap();
    write(&bad, "a/x.png", b"nope");
    let res = batchscope(&["export", s(&bad), "--out", s(&out), "--overwrite"]);
    assert_eq!(res.status.code(), Some(1));
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(err.contains("the earlier export was kept"), "{err}");
    assert_eq!(std::fs::read(out.join("images.npy")).unwrap(), before);
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

/// Issue 23, item 6: on JPEGs with one corrupt byte, which libjpeg decodes with a warning, `--jpeg
/// exact` gave pixels that differ from TensorFlow's (both recover, differently) without a word. Every
/// file libjpeg warned on is now listed in `warnings.csv`, said on the command line, and still
/// exported; clean files are not listed.
#[test]
fn corrupt_jpegs_libjpeg_recovers_from_are_listed_in_warnings_csv() {
    use batchscope::options::{ColorMode, Decoding, JpegDecoder};
    let dir = tempfile::tempdir().unwrap();
    let (data, out) = (dir.path().join("data"), dir.path().join("out"));
    let clean = common::jpeg_bytes(64, 48, 3);
    write(&data, "a/clean.jpg", &clean);
    let sos = clean.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
    let scan = sos + 2 + usize::from(u16::from_be_bytes([clean[sos + 2], clean[sos + 3]]));
    let exact = Decoding {
        color_mode: ColorMode::Rgb,
        jpeg: JpegDecoder::Exact,
    };
    // One flipped byte at 30 places: what libjpeg itself says of each file decides the expectation.
    let mut expected = Vec::new();
    for k in 0..30 {
        let mut bad = clean.clone();
        bad[scan + 1 + k * (clean.len() - scan - 4) / 30] ^= 0x5A;
        let name = format!("a/corrupt_{k:02}.jpg");
        write(&data, &name, &bad);
        if batchscope::decode::decode_bytes(&bad, exact).is_ok_and(|d| d.warnings > 0) {
            expected.push(name);
        }
    }
    assert!(expected.len() >= 5, "only {} files warned", expected.len());
    let stderr = batchscope_ok(&["export", s(&data), "--out", s(&out), "--jpeg", "exact"]);
    assert!(
        stderr.contains(&format!(
            "{} decoded with warnings (see warnings.csv)",
            expected.len()
        )),
        "{stderr}"
    );
    let listed: Vec<(String, String)> = csv::Reader::from_path(out.join("warnings.csv"))
        .unwrap()
        .records()
        .map(|r| r.unwrap())
        .map(|r| (r[0].to_owned(), r[1].to_owned()))
        .collect();
    let paths: Vec<&str> = listed.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, expected);
    assert!(
        listed
            .iter()
            .all(|(_, reason)| reason.starts_with("libjpeg warned ")
                && reason.contains("of corrupt data and decoded its recovery")),
        "{listed:?}"
    );
    // Listed and exported: every warned file has its row.
    let rows: Vec<String> = manifest(&out).into_iter().map(|r| r[1].clone()).collect();
    assert!(expected.iter().all(|p| rows.contains(p)), "{rows:?}");
    assert!(rows.contains(&"a/clean.jpg".to_owned()));

    // Sharded: each shard lists its own (`warnings-I-of-N.csv`), and merge joins them into the same
    // warnings.csv, byte for byte.
    let sharded = dir.path().join("sharded");
    let mut per_shard = 0;
    for i in 0..3 {
        let shard = format!("{i}/3");
        let stderr = batchscope_ok(&[
            "export",
            s(&data),
            "--out",
            s(&sharded),
            "--jpeg",
            "exact",
            "--shard",
            &shard,
        ]);
        let name = format!("warnings-{i:05}-of-00003.csv");
        if sharded.join(&name).exists() {
            per_shard += 1;
            assert!(stderr.contains(&format!("(see {name})")), "{stderr}");
        }
    }
    assert!(per_shard >= 2, "only {per_shard} shards warned");
    batchscope_ok(&["merge", s(&sharded)]);
    assert_eq!(
        std::fs::read(sharded.join("warnings.csv")).unwrap(),
        std::fs::read(out.join("warnings.csv")).unwrap()
    );
    assert!(!sharded.join("warnings-00000-of-00003.csv").exists());

    // A clean folder writes no warnings.csv.
    let (clean_only, clean_out) = (dir.path().join("clean"), dir.path().join("clean_out"));
    write(&clean_only, "a/clean.jpg", &clean);
    batchscope_ok(&[
        "export",
        s(&clean_only),
        "--out",
        s(&clean_out),
        "--jpeg",
        "exact",
    ]);
    assert!(!clean_out.join("warnings.csv").exists());
    assert!(clean_out.join("manifest.csv").exists());
    // Nor does it leave an earlier export's list behind when it replaces that export.
    batchscope_ok(&[
        "export",
        s(&clean_only),
        "--out",
        s(&out),
        "--jpeg",
        "exact",
        "--overwrite",
    ]);
    assert_eq!(manifest(&out).len(), 1);
    assert!(!out.join("warnings.csv").exists());
}
