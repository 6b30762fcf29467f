//! Golden output: the exact words `inspect` and the export summary print for small generated folders,
//! so that a change of wording is a deliberate change of these tests (issue 14: a newcomer misread
//! "batches 1 of 64", sizes without saying which number is the height, a JSON dump of the options and
//! Rust's enum names). Also: the export's size estimate equals the bytes written, and `--help` shows no
//! markdown.

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use common::{batchscope, batchscope_ok, pattern, save};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Three images 3 high and 4 wide in `a`, two in `b`: five samples.
fn small_folder(root: &Path) {
    for i in 0..3 {
        save(root, &format!("a/{i}.png"), &pattern(4, 3, i));
    }
    for i in 0..2 {
        save(root, &format!("b/{i}.png"), &pattern(4, 3, 10 + i));
    }
}

fn stdout_of(args: &[&str]) -> String {
    let out = batchscope(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn inspect_prints_batches_sizes_and_options_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    small_folder(&data);
    let text = stdout_of(&["inspect", s(&data), "--batch-size", "2"]);
    let expected = format!(
        "\
dataset    {}
source     image folder
samples    5
batches    3 (batch size 2; the last holds 1)
classes    2
     0  a  3
     1  b  2
sizes HxW  3x4 (5)
formats    PNG (5)
options    labels inferred, rgb, native size, batch 2, sorted
",
        data.display()
    );
    assert_eq!(text, expected);

    // One batch that is not full: "1 of 32" read as one batch of 32.
    let text = stdout_of(&["inspect", s(&data), "--color-mode", "grayscale"]);
    assert!(
        text.contains("\nbatches    1 (batch size 32; it holds 5)\n"),
        "{text}"
    );
    assert!(
        text.contains("\noptions    labels inferred, grayscale, native size, batch 32, sorted\n"),
        "{text}"
    );
}

#[test]
fn inspect_warns_that_a_native_export_of_mixed_sizes_fails() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    small_folder(&data);
    // 2 high, 5 wide.
    save(&data, "b/wide.png", &pattern(5, 2, 99));
    let text = stdout_of(&["inspect", s(&data)]);
    assert!(text.contains("\nsizes HxW  3x4 (5), 2x5 (1)\n"), "{text}");
    assert!(
        text.contains("\nwarning    the images differ in size, so an export at native size fails: choose one with --image-size HxW (Keras's default is 256x256)\n"),
        "{text}"
    );
    // With a size chosen, nothing to warn about.
    let text = stdout_of(&["inspect", s(&data), "--image-size", "8x8"]);
    assert!(!text.contains("warning"), "{text}");
    assert!(
        text.contains("\noptions    labels inferred, rgb, 8x8 bilinear, batch 32, sorted\n"),
        "{text}"
    );
}

/// Issue 22: a real photo folder printed one 37,882-character `sizes` line, sorted as strings
/// (`72x120` after `581x419`). Past five sizes the text gives the most common ones, equal counts in
/// numeric order, and the ranges; `--json` keeps every size.
#[test]
fn inspect_on_a_folder_of_300_sizes_printed_every_size_on_one_line_sorted_as_strings() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for h in 1..=20u32 {
        for w in 1..=15u32 {
            save(
                &data,
                &format!("c/{h}x{w}.png"),
                &pattern(w, h, h * 100 + w),
            );
        }
    }
    let extra = [((20, 15), 4), ((9, 12), 2), ((10, 3), 1), ((2, 12), 1)];
    for ((h, w), copies) in extra {
        for k in 0..copies {
            save(&data, &format!("c/{h}x{w}_{k}.png"), &pattern(w, h, k));
        }
    }
    let text = stdout_of(&["inspect", s(&data)]);
    let line = text.lines().find(|l| l.starts_with("sizes HxW")).unwrap();
    assert_eq!(
        line,
        "sizes HxW  300 sizes; most common 20x15 (5), 9x12 (3), 2x12 (2), 10x3 (2), 1x1 (1); heights 1..20, widths 1..15 (--json lists every size)"
    );
    let json: serde_json::Value =
        serde_json::from_str(&stdout_of(&["inspect", s(&data), "--json"])).unwrap();
    let sizes = json["sizes"].as_object().unwrap();
    assert_eq!(sizes.len(), 300);
    assert_eq!(
        (sizes["10x3"].as_u64(), sizes["1x1"].as_u64()),
        (Some(2), Some(1))
    );
}

/// The export summary with the elapsed time and the output folder replaced by fixed words.
fn normalized_summary(stderr: &str, out: &Path) -> String {
    let out = format!("{:?}", out.display().to_string());
    stderr
        .lines()
        .map(|line| {
            let line = line.replace(&out, "OUT");
            match (line.find(" in "), line.find(" s to ")) {
                (Some(a), Some(b)) if a < b => format!("{} in T{}", &line[..a], &line[b..]),
                _ => line,
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_export_summary_names_each_file_with_its_numpy_shape_and_dtype() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    small_folder(&data);
    let out = dir.path().join("out");
    let stderr = batchscope_ok(&["export", s(&data), "--out", s(&out)]);
    assert_eq!(
        normalized_summary(&stderr, &out),
        "\
batchscope: exported 5 images in T s to OUT
  class_names.json        9 B
  images.npy            308 B  (5, 3, 4, 3) uint8
  labels.npy            148 B  (5,) int32
  manifest.csv           98 B
  skipped.csv            12 B"
    );

    let out = dir.path().join("float");
    let stderr = batchscope_ok(&[
        "export",
        s(&data),
        "--out",
        s(&out),
        "--dtype",
        "float32",
        "--label-mode",
        "categorical",
    ]);
    let summary = normalized_summary(&stderr, &out);
    assert!(
        summary.contains("\n  images.npy            848 B  (5, 3, 4, 3) float32\n"),
        "{summary}"
    );
    assert!(
        summary.contains("\n  labels.npy            168 B  (5, 2) float32\n"),
        "{summary}"
    );
}

/// Issue 14: the panel said 445.3 KB before an export that wrote 387 KB. The estimate is now the
/// bytes written: a class name that needs CSV quoting and row numbers of two digits included.
#[test]
fn the_export_estimate_is_the_bytes_written() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for i in 0..12 {
        save(&data, &format!("cats, \"big\"/{i}.png"), &pattern(4, 3, i));
    }
    save(&data, "dogs/x.png", &pattern(4, 3, 50));
    let cancel = Arc::new(AtomicBool::new(false));
    let control = batchscope::index::WalkControl {
        on_progress: &|_| {},
        cancel: &cancel,
    };
    let options = batchscope::options::LoadOptions::default();
    let index = batchscope::source::open(&data, &options.index, &control).unwrap();
    let job = batchscope::load::spec::prepare(
        Arc::new(index),
        &options,
        batchscope::load::preprocess::Element::default(),
        batchscope::load::spec::SizeCheck::AllFiles,
        &cancel,
    )
    .unwrap();
    let plan = batchscope::export::plan_export(&job, batchscope::options::LabelMode::Int).unwrap();
    let out = dir.path().join("out");
    let report = common::export_source(&data, &out, options.index).unwrap();
    let written: u64 = report.files.iter().map(|(_, len)| len).sum();
    assert_eq!(plan.total_bytes, written, "{:?}", report.files);
}

#[test]
fn help_shows_no_markdown_backticks() {
    for command in [&[][..], &["inspect"], &["export"], &["health"]] {
        let args: Vec<&str> = command.iter().copied().chain(["--help"]).collect();
        let help = stdout_of(&args);
        assert!(!help.contains('`'), "{args:?}:\n{help}");
    }
}
