//! Headless UI tests: the real app state driven through `egui_kittest` (no window, no GPU).

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.

mod common;

use batchscope::options::JpegDecoder;
use batchscope::size::Size;
use common::gui::{current, harness, step_until};
use common::{pattern, save, write};
use egui_kittest::kittest::{NodeT as _, Queryable as _, by};
use std::path::Path;

/// `a`: 5 images, `b`: 3, `c`: 2 (one of them zero bytes), all 8x6 PNG.
fn dataset(root: &Path) {
    for (class, n) in [("a", 5u32), ("b", 3), ("c", 1)] {
        for i in 0..n {
            save(root, &format!("{class}/{i}.png"), &pattern(8, 6, i));
        }
    }
    write(root, "c/9_broken.png", b"");
}

#[test]
fn browse_batches_with_buttons_and_keys_and_check_histogram() {
    let dir = tempfile::tempdir().unwrap();
    dataset(dir.path());
    let mut h = harness(dir.path());
    step_until(&mut h, "the first batch", |app| current(app) == Some(0));
    h.get_by_label("Batch 1 / 3");
    // Batch 0 is a/0..a/3: four of class a.
    assert_eq!(h.state().batch_histogram(), [4, 0, 0]);

    h.get_by_label("Next ›").click();
    step_until(&mut h, "batch 2", |app| current(app) == Some(1));
    h.get_by_label("Batch 2 / 3");
    // a/4, b/0, b/1, b/2
    assert_eq!(h.state().batch_histogram(), [1, 3, 0]);

    h.key_press(egui::Key::ArrowRight);
    step_until(&mut h, "batch 3 by key", |app| current(app) == Some(2));
    h.get_by_label("Batch 3 / 3");
    h.get_by_label_contains("last batch, partial: 2 of 4");
    // c/0 loads, c/9_broken.png does not: one c in the histogram, the broken file in the problems panel.
    assert_eq!(h.state().batch_histogram(), [0, 0, 1]);
    h.get_by_label_contains("empty file (0 bytes)");
    h.get_by_label_contains("c/9_broken.png");

    h.key_press(egui::Key::Home);
    step_until(&mut h, "first batch by Home", |app| current(app) == Some(0));
    h.key_press(egui::Key::End);
    step_until(&mut h, "last batch by End", |app| current(app) == Some(2));
}

/// Issue 9: option values are shown as Keras and the command line spell them (`rgb`, `bilinear`),
/// not as Rust's enum variants (`Rgb`).
#[test]
fn settings_show_option_values_as_keras_spells_them() {
    let dir = tempfile::tempdir().unwrap();
    dataset(dir.path());
    let mut settings = batchscope::app::Settings::default();
    settings.load.preprocess.image_size = Some(Size {
        height: 6,
        width: 8,
    });
    let mut h = common::gui::harness_with(dir.path(), settings);
    step_until(&mut h, "the first batch", |app| current(app) == Some(0));
    common::gui::show_export(&mut h);
    // A combo box's label is its row's name; what it shows is its value.
    for (combo, shown) in [
        ("Color mode", "rgb"),
        ("JPEG decoder", "exact"),
        ("Interpolation", "bilinear"),
        ("Labels", "inferred"),
        ("Aspect ratio", "stretch"),
        ("dtype", "uint8"),
        ("labels", "int"),
    ] {
        let node = h.get(by().role(egui::accesskit::Role::ComboBox).label(combo));
        assert_eq!(
            node.accesskit_node().value().as_deref(),
            Some(shown),
            "{combo}"
        );
    }
    h.get_by_label_contains("Showing: rgb, 6x8 bilinear");
}

/// Issue 15: the JPEG decoder is a viewer setting too. Issue 22: exact (TensorFlow's pixels) is the
/// default, unnamed; choosing fast reloads the batches and names it.
#[test]
fn choosing_the_fast_jpeg_decoder_reloads_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    dataset(dir.path());
    let mut h = harness(dir.path());
    step_until(&mut h, "the first batch", |app| current(app) == Some(0));
    assert_eq!(h.state().settings.load.preprocess.jpeg, JpegDecoder::Exact);
    h.get_by_label_contains("Showing: rgb, native size");
    h.get(
        by().role(egui::accesskit::Role::ComboBox)
            .label("JPEG decoder"),
    )
    .click();
    h.run_steps(2);
    h.get_by_label_contains("fast (zune-jpeg").click();
    step_until(&mut h, "the reload with the fast decoder", |app| {
        app.session
            .as_ref()
            .and_then(|s| s.ready())
            .is_some_and(|r| r.options.preprocess.jpeg == JpegDecoder::Fast)
            && app.settings.load.preprocess.jpeg == JpegDecoder::Fast
            && current(app) == Some(0)
    });
    h.get_by_label_contains("Showing: rgb, fast JPEG, native size");
}

#[test]
fn changing_a_setting_replans_and_reloads() {
    let dir = tempfile::tempdir().unwrap();
    dataset(dir.path());
    let mut h = harness(dir.path());
    step_until(&mut h, "the first batch", |app| current(app) == Some(0));
    h.get_by_label("Batch 1 / 3");
    h.get_by_label("drop last partial batch").click();
    step_until(&mut h, "the re-planned batches", |app| {
        app.session
            .as_ref()
            .and_then(|s| s.ready())
            .is_some_and(|r| r.batch_count() == 2)
            && current(app) == Some(0)
    });
    h.get_by_label("Batch 1 / 2");
    assert!(h.state().settings.load.plan.drop_remainder);
    h.get_by_label_contains("(drop remainder)");
}

#[test]
fn empty_and_missing_folders_show_what_was_expected() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    step_until(&mut h, "indexing the empty folder", |app| {
        app.session.as_ref().is_some_and(|s| s.ready().is_some())
    });
    h.get_by_label("No images");
    h.get_by_label_contains("one subfolder per class");

    let mut h = harness(&dir.path().join("does-not-exist"));
    step_until(&mut h, "the failure", |app| {
        app.session
            .as_ref()
            .is_some_and(|s| s.ready().is_none() && s.preparing_progress().is_none())
    });
    h.get_by_label("Cannot open this dataset");
    h.get_by_label_contains("does-not-exist");
}

#[test]
fn clicking_a_thumbnail_opens_the_inspector_with_shape_and_stats() {
    let dir = tempfile::tempdir().unwrap();
    dataset(dir.path());
    let mut h = harness(dir.path());
    step_until(&mut h, "the first batch", |app| current(app) == Some(0));
    // Thumbnails are images in plan order: the second is a/1.png.
    let thumbnails: Vec<_> = h.get_all_by_role(egui::accesskit::Role::Image).collect();
    assert_eq!(thumbnails.len(), 4);
    thumbnails[1].click();
    // A new egui window sizes itself invisibly on its first frame.
    h.run_steps(4);
    assert_eq!(
        h.state().inspector.as_ref().map(|i| (i.batch, i.row)),
        Some((0, 1))
    );
    h.get_by_label("(6, 8, 3) uint8");
    h.get_by_label("a/1.png");
    // pattern(8, 6, 1): R = (31x + 17y + 101) % 251 over the 48 pixels.
    let reds: Vec<u32> = (0..6)
        .flat_map(|y| (0..8).map(move |x| (x * 31 + y * 17 + 101) % 251))
        .collect();
    let (min, max) = (reds.iter().min().unwrap(), reds.iter().max().unwrap());
    let mean = f64::from(reds.iter().sum::<u32>()) / 48.0;
    h.get_by_label(&format!("{min:>3} / {max:>3} / {mean:.2}"));
}

#[test]
fn mixed_sizes_open_straight_onto_a_grid_at_kerass_default_size_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    save(dir.path(), "a/small.png", &pattern(8, 6, 1));
    save(dir.path(), "a/wide.png", &pattern(16, 6, 2));
    let mut h = harness(dir.path());
    step_until(&mut h, "the first batch", |app| current(app) == Some(0));
    let batch = h.state().session.as_ref().unwrap().current_batch().unwrap();
    assert_eq!(
        (batch.shape.height, batch.shape.width, batch.samples.len()),
        (256, 256, 2)
    );
    // The note is on the grid, once (issue 22: it was drawn again in the export panel); the export
    // panel says what it means for the export, and the settings do not claim "native".
    common::gui::show_export(&mut h);
    let note = "(\"a/small.png\" is 6x8 HxW, \"a/wide.png\" is 6x16), so they are shown and exported resized to 256x256";
    assert_eq!(h.query_all_by_label_contains(note).count(), 1);
    h.get_by_label("Exported resized to 256x256 (the images differ in size).");
    h.get_by_label("sizes differ: shown at 256x256");
    // The line under the navigator says what the batch was made with, not the native setting.
    h.get_by_label_contains("Showing: rgb, 256x256 bilinear");
    let ready = h.state().session.as_ref().unwrap().ready().unwrap();
    assert_eq!(ready.options.preprocess.image_size, Some(Size::square(256)));
    // The user's own setting stays "native": the fallback belongs to this folder only.
    assert_eq!(h.state().settings.load.preprocess.image_size, None);
}

#[test]
fn typing_a_path_and_enter_opens_it_and_remembers_it() {
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other");
    save(&other, "only/x.png", &pattern(8, 6, 3));
    let mut h = harness(&dir.path().join("missing"));
    step_until(&mut h, "the first failure", |app| {
        app.session
            .as_ref()
            .is_some_and(|s| s.ready().is_none() && s.preparing_progress().is_none())
    });
    // The path field is the first text input, in the top bar.
    let field = h
        .get_all_by_role(egui::accesskit::Role::TextInput)
        .next()
        .unwrap();
    field.focus();
    h.step();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.step();
    h.get_all_by_role(egui::accesskit::Role::TextInput)
        .next()
        .unwrap()
        .type_text(other.to_str().unwrap());
    h.step();
    assert_eq!(h.state().path_field, other.to_string_lossy());
    // Only the key-down: `Harness::step` runs one frame per queued event, so the tree below is the
    // one of the frame that handled Enter.
    h.key_down(egui::Key::Enter);
    h.step();
    // Issue 9: that frame must still draw the Open button beside the field
    // (`enter && .. || button()` short-circuited it away, so the top bar flickered).
    assert!(
        h.query_by_label("Open").is_some(),
        "the Open button is missing in the frame that handled Enter"
    );
    h.key_up(egui::Key::Enter);
    step_until(&mut h, "the typed folder's batch", |app| {
        current(app) == Some(0)
    });
    assert_eq!(h.state().session.as_ref().unwrap().root, other);
    assert_eq!(h.state().settings.recent.first(), Some(&other));
    h.get_by_label("Batch 1 / 1");
}

#[test]
fn the_viewer_lists_every_kind_of_bad_file_and_keeps_running() {
    let dir = tempfile::tempdir().unwrap();
    save(dir.path(), "a/0_good.png", &pattern(8, 6, 1));
    write(dir.path(), "a/1_empty.png", b"");
    write(dir.path(), "a/2_text.jpg", b"plain text");
    write(
        dir.path(),
        "a/3_bomb.png",
        &common::png_claiming(100_000, 100_000),
    );
    // With a native size the bomb's header would count as a second size; resizing skips that check.
    let mut settings = batchscope::app::Settings::default();
    settings.load.plan.batch_size = 4;
    settings.load.preprocess.image_size = Some(Size {
        height: 6,
        width: 8,
    });
    let mut h = common::gui::harness_with(dir.path(), settings);
    step_until(&mut h, "the first batch", |app| current(app) == Some(0));
    h.get_by_label("Problems (3)");
    h.get_by_label_contains("empty file (0 bytes)");
    h.get_by_label_contains("not an image in a supported format");
    h.get_by_label_contains("over the 512 MiB limit (decompression bomb?)");
    assert_eq!(
        h.state()
            .session
            .as_ref()
            .unwrap()
            .current_batch()
            .unwrap()
            .samples
            .len(),
        1
    );
    // Still responsive: a settings change re-plans.
    h.get_by_label("drop last partial batch").click();
    // The re-planned batch itself, not only the re-plan: until it has loaded, the old batch stays on
    // screen labelled with the old settings (issue 9: waiting for the plan alone failed under load).
    step_until(&mut h, "the re-planned batch", |app| {
        app.session
            .as_ref()
            .and_then(|s| s.ready())
            .is_some_and(|r| r.options.plan.drop_remainder)
            && current(app) == Some(0)
    });
    // Four files fill one batch of four: it stays, with its one good image.
    h.get_by_label("Batch 1 / 1");
    h.get_by_label_contains("(drop remainder)");
}

/// Issue 9: the batch size goes up to 4096, and the grid laid out every tile of the batch every frame
/// (and looked each one up with a linear search). Only the rows in view are laid out now, and
/// scrolling brings the others in.
#[test]
fn a_4096_batch_lays_out_only_the_visible_thumbnails() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..4095u32 {
        save(dir.path(), &format!("a/{i:04}.png"), &pattern(2, 2, i));
    }
    // The last sample of the batch is the only one of class 1, captioned "1 z".
    save(dir.path(), "z/last.png", &pattern(2, 2, 0));
    let mut settings = batchscope::app::Settings::default();
    settings.load.plan.batch_size = 4096;
    let mut h = common::gui::harness_with(dir.path(), settings);
    step_until(&mut h, "the 4096 batch", |app| {
        app.session
            .as_ref()
            .and_then(|s| s.current_batch())
            .is_some_and(|b| b.samples.len() == 4096)
    });
    h.run_steps(3);
    h.get_by_label("Batch 1 / 1");
    let tiles = h.get_all_by_role(egui::accesskit::Role::Image).count();
    // 96-point thumbnails in the grid of a 1280x800 window: a few dozen are in view.
    assert!(
        (1..=200).contains(&tiles),
        "{tiles} thumbnails laid out for a 4096 batch"
    );
    assert!(
        h.query_by_label("1 z").is_none(),
        "the last tile is laid out"
    );

    // Scroll the grid to its end: the last sample is laid out there, still only a screenful.
    h.get_all_by_role(egui::accesskit::Role::Image)
        .next()
        .unwrap()
        .hover();
    h.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Page,
        delta: egui::vec2(0.0, -1000.0),
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Unknown,
        modifiers: egui::Modifiers::NONE,
    });
    h.run_steps(30);
    h.get_by_label("1 z");
    let tiles = h.get_all_by_role(egui::accesskit::Role::Image).count();
    assert!(
        (1..=200).contains(&tiles),
        "{tiles} thumbnails laid out at the end"
    );
}

/// Issue 22: the status line said "1 classes".
#[test]
fn the_status_line_says_1_class_not_1_classes() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..3 {
        save(dir.path(), &format!("only/{i}.png"), &pattern(4, 4, i));
    }
    let mut h = harness(dir.path());
    step_until(&mut h, "the first batch", |app| current(app) == Some(0));
    h.get_by_label_contains("3 samples, 1 class");
    assert!(h.query_by_label_contains("1 classes").is_none());
}
