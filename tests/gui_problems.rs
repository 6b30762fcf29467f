//! The Problems panel finds problems early (issue 22, item 6): what the headers and the ends of the
//! files show is listed right after open, before the batch holding the file is viewed; "Check every
//! file now" decodes every file in the background, with progress and Cancel, while the user browses,
//! and lists what only a decode finds.

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.

mod common;

use std::io::Cursor;
use std::path::Path;

use batchscope::app::BatchscopeApp;
use batchscope::app::file_checks::{DecodeCheck, HeaderCheck};
use common::gui::{current, harness, problems, step_until};
use egui_kittest::kittest::Queryable as _;

const SIDE: u32 = 16;

/// A JPEG of `SIDE`x`SIDE`, different for each seed.
fn jpeg(seed: u32) -> Vec<u8> {
    let img = common::pattern(SIDE, SIDE, seed);
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

/// A JPEG whose first Huffman table claims more codes than a table holds: its header (size) and end
/// marker are intact, so only a decode finds it bad.
fn bogus_huffman_jpeg(seed: u32) -> Vec<u8> {
    let mut bytes = jpeg(seed);
    let dht = bytes.windows(2).position(|w| w == [0xFF, 0xC4]).unwrap();
    for count in &mut bytes[dht + 5..dht + 21] {
        *count = 0xFF;
    }
    bytes
}

/// `n` good JPEGs, `a/000.jpg`..., in one class.
fn good_files(root: &Path, n: u32) {
    for i in 0..n {
        common::write(root, &format!("a/{i:03}.jpg"), &jpeg(i));
    }
}

fn header_check_done(app: &BatchscopeApp) -> bool {
    matches!(app.checks.headers, HeaderCheck::Done { .. })
}

/// Batches loaded so far (the one on screen and its prefetched neighbours).
fn loaded_batches(app: &BatchscopeApp) -> Vec<usize> {
    let ready = app.session.as_ref().unwrap().ready().unwrap();
    ready.batches.keys().copied().collect()
}

#[test]
fn a_truncated_and_an_empty_file_are_listed_right_after_open_before_their_batch_is_viewed() {
    let dir = tempfile::tempdir().unwrap();
    good_files(dir.path(), 40);
    let good = jpeg(99);
    // Sorted after the 40 good files: batch 10 of 4, far beyond what is prefetched.
    common::write(dir.path(), "a/cut.jpg", &good[..good.len() * 2 / 3]);
    common::write(dir.path(), "a/empty.png", b"");
    let mut h = harness(dir.path());
    step_until(&mut h, "the header check", header_check_done);
    assert_eq!(current(h.state()), Some(0));
    let listed = problems(h.state());
    let paths: Vec<&str> = listed.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, ["a/cut.jpg", "a/empty.png"], "{listed:?}");
    assert_eq!(listed[1].1, "empty file (0 bytes)");
    assert!(listed[0].1.starts_with("Jpeg decode failed"), "{listed:?}");
    assert!(
        loaded_batches(h.state()).iter().all(|&k| k < 10),
        "the bad files' batches were not loaded: {:?}",
        loaded_batches(h.state())
    );
    // The panel shows them, with the check's state in its header line.
    h.get_by_label("Problems (2)");
    h.get_by_label_contains("headers of 42 files checked");
    h.get_by_label_contains("a/cut.jpg");
    h.get_by_label("empty file (0 bytes)");
    // Shuffled, the same files are listed at once, without a second check.
    h.get_by_label("shuffle (numpy/Keras order)").click();
    step_until(&mut h, "the shuffled plan", |app| {
        app.session
            .as_ref()
            .and_then(|s| s.ready())
            .is_some_and(|r| r.options.plan.shuffle)
    });
    assert_eq!(problems(h.state()), listed);
    assert!(header_check_done(h.state()));
    h.get_by_label("shuffle (numpy/Keras order)").click();
    step_until(&mut h, "the sorted plan", |app| {
        app.session
            .as_ref()
            .and_then(|s| s.ready())
            .is_some_and(|r| !r.options.plan.shuffle)
    });
    // Viewing their batch later finds the same problems: each file is listed once, same reason.
    h.state_mut().session.as_mut().unwrap().go_to(10);
    step_until(&mut h, "batch 10", |app| current(app) == Some(10));
    let failures = &h
        .state()
        .session
        .as_ref()
        .unwrap()
        .current_batch()
        .unwrap()
        .failures;
    let failed: Vec<&Path> = failures.iter().map(|f| f.rel_path.as_path()).collect();
    assert_eq!(failed, [Path::new("a/cut.jpg"), Path::new("a/empty.png")]);
    assert_eq!(problems(h.state()), listed);
}

#[test]
fn check_every_file_now_shows_progress_cancels_and_finds_a_decode_only_problem() {
    let dir = tempfile::tempdir().unwrap();
    good_files(dir.path(), 80);
    common::write(dir.path(), "a/zz_bogus.jpg", &bogus_huffman_jpeg(7));
    let mut h = harness(dir.path());
    step_until(&mut h, "the header check", header_check_done);
    // The headers and the file's end are intact: nothing to see before decoding.
    assert_eq!(problems(h.state()), []);
    h.get_by_label_contains("headers of 81 files checked");

    // The pass sends chunks of 64 files: hold it at the 71st, in its second chunk.
    let held = dir.path().join("a/070.jpg");
    batchscope::decode::hold_file_for_tests(&held);
    let _release = common::ReleaseOnDrop(held.clone());
    h.get_by_label("Check every file now").click();
    step_until(&mut h, "the first chunk decoded, the second held", |app| {
        app.checks.decode_progress() == Some((64, 81))
            && common::with_suffix(&held, ".held").exists()
    });
    h.get_by_label_contains("decoded 64 / 81 files");
    // The user keeps browsing meanwhile.
    h.key_press(egui::Key::ArrowRight);
    step_until(&mut h, "the next batch while the check runs", |app| {
        current(app) == Some(1)
    });
    assert!(matches!(
        h.state().checks.decode,
        DecodeCheck::Running { .. }
    ));
    h.get_by_label("Cancel check").click();
    step_until(&mut h, "the cancel", |app| {
        matches!(app.checks.decode, DecodeCheck::Stopped { .. })
    });
    h.get_by_label_contains("check cancelled after 64 of 81 files (0 failed)");
    assert_eq!(problems(h.state()), []);

    // Released, and asked again: the pass decodes every file and lists the bad one.
    common::release(&held);
    h.get_by_label("Check every file now").click();
    step_until(&mut h, "the whole check", |app| {
        matches!(app.checks.decode, DecodeCheck::Done { .. })
    });
    let listed = problems(h.state());
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].0, "a/zz_bogus.jpg");
    assert!(
        listed[0].1.starts_with("Jpeg decode failed: "),
        "{listed:?}"
    );
    h.get_by_label_contains("every file decoded: 81 in");
    h.get_by_label_contains("1 failed");
    h.get_by_label("Problems (1)");
    h.get_by_label_contains("a/zz_bogus.jpg");
}

#[test]
fn files_the_health_pass_cannot_load_reach_the_problems_panel() {
    let dir = tempfile::tempdir().unwrap();
    good_files(dir.path(), 30);
    common::write(dir.path(), "a/zz_bogus.jpg", &bogus_huffman_jpeg(3));
    let mut h = harness(dir.path());
    step_until(&mut h, "the header check", header_check_done);
    assert_eq!(problems(h.state()), []);
    h.get_by_label("Health").click();
    step_until(&mut h, "the health pass", |app| {
        app.health.result.is_some() && !app.health.is_running()
    });
    let listed = problems(h.state());
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].0, "a/zz_bogus.jpg");
    assert!(
        listed[0].1.starts_with("Jpeg decode failed: "),
        "{listed:?}"
    );
    h.get_by_label("Problems (1)");
}
