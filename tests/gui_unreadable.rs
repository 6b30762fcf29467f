//! The viewer on a folder where no image can be read (issue 9): every file is listed in the problems
//! panel with its reason, instead of tiles saying "not loaded" and an empty panel.

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.

mod common;

use batchscope::size::Size;
use common::gui::{harness, step_until};
use common::write;
use egui_kittest::kittest::Queryable as _;

#[test]
fn a_folder_of_only_unreadable_files_lists_every_file_as_a_problem() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a/empty.png", b"");
    write(dir.path(), "a/text.jpg", b"not an image at all");
    write(dir.path(), "b/cut.png", b"\x89PNG\r\n\x1a\n");
    // No image size is set, and no header is readable: the size is unknown.
    let mut h = harness(dir.path());
    step_until(&mut h, "the problems of the first batch", |app| {
        app.session.as_ref().is_some_and(|s| s.problems.len() == 3)
    });
    let problems = common::gui::problems(h.state());
    assert_eq!(problems[0].0, "a/empty.png");
    assert_eq!(problems[0].1, "empty file (0 bytes)");
    assert_eq!(problems[1].0, "a/text.jpg");
    assert!(problems[1].1.starts_with("not an image"), "{problems:?}");
    assert_eq!(problems[2].0, "b/cut.png");
    h.get_by_label_contains("a/text.jpg");
    h.get_by_label_contains("empty file (0 bytes)");
    // The export panel says the size is unknown instead of showing a shape of zeros.
    common::gui::show_export(&mut h);
    h.get_by_label_contains("Image size unknown: no image of the first batch could be read");
    let session = h.state().session.as_ref().unwrap();
    let batch = session.current_batch().unwrap();
    assert_eq!((batch.samples.len(), batch.failures.len()), (0, 3));
}

/// Settings whose batches could not be held (here 64 images of 8192x8192x3, 12.9 GB) are refused with
/// the sizes, instead of an allocation that aborts the process.
#[test]
fn a_batch_too_large_to_view_is_refused_with_the_sizes() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..70 {
        common::save(
            dir.path(),
            &format!("a/{i:02}.png"),
            &common::pattern(4, 4, i),
        );
    }
    let mut settings = batchscope::app::Settings::default();
    settings.load.plan.batch_size = 64;
    settings.load.preprocess.image_size = Some(Size::square(8192));
    let mut h = common::gui::harness_with(dir.path(), settings);
    step_until(&mut h, "the refusal", |app| {
        app.session
            .as_ref()
            .is_some_and(|s| s.ready().is_none() && s.preparing_progress().is_none())
    });
    h.get_by_label_contains(
        "a batch of 64 images of 8192x8192x3 takes 12.9 GB to view, over the viewer's limit of 536.9 MB",
    );
}

/// Issue 23, item 6: an image libjpeg decoded from corrupt data (with a warning) is shown, and the
/// Problems panel says so: its pixels are libjpeg's recovery, which TensorFlow's may not match.
#[test]
fn an_image_decoded_with_libjpeg_warnings_is_shown_and_named_in_problems() {
    use batchscope::options::{ColorMode, Decoding, JpegDecoder};
    let dir = tempfile::tempdir().unwrap();
    let clean = common::jpeg_bytes(64, 48, 3);
    let exact = Decoding {
        color_mode: ColorMode::Rgb,
        jpeg: JpegDecoder::Exact,
    };
    // The first flipped byte of the scan that libjpeg decodes with a warning.
    let sos = clean.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
    let warned = (sos + 20..clean.len() - 4)
        .map(|at| {
            let mut bad = clean.clone();
            bad[at] ^= 0x5A;
            bad
        })
        .find(|bad| batchscope::decode::decode_bytes(bad, exact).is_ok_and(|d| d.warnings > 0))
        .unwrap();
    write(dir.path(), "a/clean.jpg", &clean);
    write(dir.path(), "a/recovered.jpg", &warned);
    let mut settings = batchscope::app::Settings::default();
    settings.load.preprocess.jpeg = JpegDecoder::Exact;
    let mut h = common::gui::harness_with(dir.path(), settings);
    step_until(&mut h, "the warning", |app| {
        app.session.as_ref().is_some_and(|s| !s.problems.is_empty())
    });
    let problems = common::gui::problems(h.state());
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].0, "a/recovered.jpg");
    assert!(problems[0].1.starts_with("libjpeg warned "), "{problems:?}");
    // Shown, not failed: both images are in the batch.
    let batch = h.state().session.as_ref().unwrap().current_batch().unwrap();
    assert_eq!(batch.samples.len(), 2);
    assert!(batch.failures.is_empty());
}
