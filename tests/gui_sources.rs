//! The viewer on sources that are not image folders (issue 11), driven headless through
//! `egui_kittest`: datasets saved by TensorFlow (float32 images batched with a partial last batch, an
//! unbatched uint8 one) and an `.npz` whose rows are not images. One Python process writes the
//! fixtures for the whole file; skipped with a printed reason without TensorFlow, a failure under
//! `BATCHSCOPE_REQUIRE_PYTHON=1`.

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;

use batchscope::app::BatchscopeApp;
use batchscope::app::display::{DisplayRange, RangeSetting, StoredImage};
use common::gui::{current, harness_with, step_until};
use egui_kittest::kittest::Queryable as _;

/// The fixtures folder, written once for every test of this file (`None`: TensorFlow is missing).
fn fixtures(test: &str) -> Option<PathBuf> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        if !common::python_module_importable("tensorflow") {
            return None;
        }
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("gui_sources-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        common::run_python(
            include_str!("gui_sources/write_fixtures.py"),
            &[dir.to_str().unwrap()],
        );
        Some(dir)
    });
    if dir.is_none() {
        common::skip_without_python("tensorflow", test);
    }
    dir.clone()
}

/// Pixel `(i, y, x, c)` of the fixtures, as uint8.
fn pixel(i: usize, y: usize, x: usize, c: usize) -> u8 {
    (((i * 7 + y * 8 + x) * 3 + c) % 256) as u8
}

/// Sizes of every batch of the plan.
fn batch_sizes(app: &BatchscopeApp) -> Vec<usize> {
    let ready = app.session.as_ref().unwrap().ready().unwrap();
    (0..ready.batch_count())
        .map(|k| ready.job.plan.batch_range(k).len())
        .collect()
}

#[test]
fn a_saved_float_dataset_shows_its_stored_batches_through_a_unit_display_range() {
    let Some(dir) = fixtures("a_saved_float_dataset_shows_its_stored_batches") else {
        return;
    };
    // Batch size 32 in the settings: the stored batches of 4 are shown, with their true sizes.
    let mut h = harness_with(
        &dir.join("saved_float"),
        batchscope::app::Settings::default(),
    );
    step_until(&mut h, "the first batch", |app| current(app) == Some(0));
    assert_eq!(batch_sizes(h.state()), [4, 4, 2]);
    h.get_by_label("Batch 1 / 3");
    h.get_by_label("4 samples");
    h.get_by_label_contains("Display range: 0..1 (auto, float32 in [0,1])");
    h.get_by_label_contains("images (8, 8, 3) float32, labels () int64");
    // Labels i % 3; their values name the classes.
    assert_eq!(
        h.state()
            .session
            .as_ref()
            .unwrap()
            .ready()
            .unwrap()
            .index
            .class_names,
        ["0", "1", "2"]
    );
    assert_eq!(h.state().batch_histogram(), [2, 1, 1]);

    // What the grid draws: the stored float through 0..1, which gives back the bytes they came from.
    {
        let app = h.state_mut();
        let index = std::sync::Arc::clone(&app.session.as_ref().unwrap().ready().unwrap().index);
        let (view, _) = app.session.as_mut().unwrap().shown_mut().unwrap();
        assert_eq!(view.textures.len(), 4, "every visible thumbnail uploaded");
        let range = view.drawn_with.unwrap();
        assert_eq!(range, DisplayRange::new(0.0, 1.0));
        let image = StoredImage::of(&index, &view.batch).unwrap();
        let drawn = image.color_image(1, range).unwrap();
        assert_eq!(drawn.size, [8, 8]);
        let (x, y) = (5, 2);
        let got = drawn.pixels[y * 8 + x];
        assert_eq!(
            [got.r(), got.g(), got.b(), got.a()],
            [pixel(1, y, x, 0), pixel(1, y, x, 1), pixel(1, y, x, 2), 255]
        );
    }

    h.get_by_label("Next ›").click();
    step_until(&mut h, "batch 2", |app| current(app) == Some(1));
    h.get_by_label("Batch 2 / 3");
    assert_eq!(h.state().batch_histogram(), [1, 2, 1]);

    h.key_press(egui::Key::ArrowRight);
    step_until(&mut h, "batch 3 by key", |app| current(app) == Some(2));
    h.get_by_label("Batch 3 / 3");
    h.get_by_label_contains("2 samples (last batch, partial: 2 of 4)");
    assert_eq!(h.state().batch_histogram(), [1, 0, 1]);

    // A range set by hand redraws the thumbnails and says what auto would be.
    h.state_mut().display_range = RangeSetting {
        auto: false,
        manual: DisplayRange::new(0.0, 0.5),
        ..RangeSetting::default()
    };
    h.run_steps(2);
    h.get_by_label_contains("Display range: 0..0.5 (set; auto would be 0..1, float32 in [0,1])");
    let (view, _) = h.state_mut().session.as_mut().unwrap().shown_mut().unwrap();
    assert_eq!(view.drawn_with.map(|r| r.high), Some(0.5));

    h.key_press(egui::Key::Home);
    step_until(&mut h, "first batch by Home", |app| current(app) == Some(0));
}

#[test]
fn clicking_a_stored_row_inspects_its_dtype_shape_and_stats() {
    let Some(dir) = fixtures("clicking_a_stored_row_inspects_its_dtype_shape_and_stats") else {
        return;
    };
    let mut h = common::gui::harness(&dir.join("saved_float"));
    step_until(&mut h, "the first batch", |app| current(app) == Some(0));
    let thumbnails: Vec<_> = h.get_all_by_role(egui::accesskit::Role::Image).collect();
    assert_eq!(thumbnails.len(), 4);
    thumbnails[2].click();
    h.run_steps(4);
    assert_eq!(
        h.state().inspector.as_ref().map(|i| (i.batch, i.row)),
        Some((0, 2))
    );
    h.get_by_label("(8, 8, 3) float32");
    h.get_by_label("() int64");
    // Red of row 2: ((14 + 8y + x) * 3) % 256 / 255 over the 64 pixels.
    let reds: Vec<f64> = (0..8)
        .flat_map(|y| (0..8).map(move |x| f64::from(f32::from(pixel(2, y, x, 0)) / 255.0)))
        .collect();
    let min = reds.iter().copied().fold(f64::INFINITY, f64::min);
    let max = reds.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let text = format!(
        "{} / {} / ",
        batchscope::app::display::number(min),
        batchscope::app::display::number(max)
    );
    h.get_by_label_contains(&text);
    // The value under the cursor is the stored one.
    h.get_by_label("inspected image").hover();
    h.run_steps(4);
    // At the centre of the 8x8 image: pixel (4, 4) of row 2, as stored.
    let values: Vec<String> = (0..3)
        .map(|c| batchscope::app::display::number(f64::from(f32::from(pixel(2, 4, 4, c)) / 255.0)))
        .collect();
    let tooltip = format!("x 4, y 4: [{}] float32", values.join(", "));
    assert!(h.query_all_by_label(&tooltip).next().is_some(), "{tooltip}");
}

#[test]
fn an_unbatched_uint8_dataset_is_drawn_as_stored() {
    let Some(dir) = fixtures("an_unbatched_uint8_dataset_is_drawn_as_stored") else {
        return;
    };
    let mut h = common::gui::harness(&dir.join("saved_uint8"));
    step_until(&mut h, "the first batch", |app| current(app) == Some(0));
    // Unbatched: cut by the batch size of the settings (4).
    assert_eq!(batch_sizes(h.state()), [4, 4, 2]);
    h.get_by_label_contains("Display range: 0..255 (auto, uint8)");
    // Labels (i % 3) % 2: 0, 1, 0, 0 for rows 0..4.
    assert_eq!(h.state().batch_histogram(), [3, 1]);
    let app = h.state_mut();
    let index = std::sync::Arc::clone(&app.session.as_ref().unwrap().ready().unwrap().index);
    let (view, _) = app.session.as_mut().unwrap().shown_mut().unwrap();
    let range = view.drawn_with.unwrap();
    let drawn = StoredImage::of(&index, &view.batch)
        .unwrap()
        .color_image(3, range)
        .unwrap();
    let got = drawn.pixels[7 * 8 + 6];
    assert_eq!(
        [got.r(), got.g(), got.b()],
        [pixel(3, 7, 6, 0), pixel(3, 7, 6, 1), pixel(3, 7, 6, 2)]
    );
}

#[test]
fn rows_that_are_not_images_show_their_values_in_the_inspector() {
    let Some(dir) = fixtures("rows_that_are_not_images_show_their_values_in_the_inspector") else {
        return;
    };
    let mut h = common::gui::harness(&dir.join("values.npz"));
    step_until(&mut h, "the first batch", |app| current(app) == Some(0));
    assert_eq!(batch_sizes(h.state()), [4, 2]);
    h.get_by_label_contains("rows are shown as values");
    assert!(
        h.query_all_by_role(egui::accesskit::Role::Image)
            .next()
            .is_none()
    );
    // x = arange(60) / 4 as (6, 10): row 1 starts at 2.5.
    h.get_by_label_contains("[2.5, 2.75, 3, 3.25, 3.5, 3.75, 4, 4.25, … (10 values)]")
        .click();
    h.run_steps(4);
    assert_eq!(h.state().inspector.as_ref().map(|i| i.row), Some(1));
    h.get_by_label("(10,) float64");
    h.get_by_label("2.5, 2.75, 3, 3.25, 3.5, 3.75, 4, 4.25, 4.5, 4.75");
    common::gui::show_export(&mut h);
    h.get_by_label_contains("--image-key x");
}

#[test]
fn one_hot_labels_count_per_class_in_the_histograms() {
    let Some(dir) = fixtures("one_hot_labels_count_per_class_in_the_histograms") else {
        return;
    };
    let mut h = common::gui::harness(&dir.join("onehot.npz"));
    step_until(&mut h, "the first batch", |app| current(app) == Some(0));
    // Classes 2, 0, 2, 1 | 2, 0.
    assert_eq!(h.state().batch_histogram(), [1, 1, 2]);
    let ready = h.state().session.as_ref().unwrap().ready().unwrap();
    assert_eq!(ready.plan_counts, [2, 1, 3]);
    h.get_by_label_contains("Display range: 0..255 (auto, uint8)");
    h.key_press(egui::Key::End);
    step_until(&mut h, "the last batch", |app| current(app) == Some(1));
    assert_eq!(h.state().batch_histogram(), [1, 0, 1]);
}

/// The display range changes only the drawing: an export with a hand-set range writes the stored
/// float32 values, not what was drawn.
#[test]
fn the_display_range_never_changes_exported_values() {
    let Some(dir) = fixtures("the_display_range_never_changes_exported_values") else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let out = out.path().join("export");
    let mut settings = batchscope::app::Settings::default();
    settings.export.out_dir = out.to_string_lossy().into_owned();
    // Choices made for image folders do not apply to stored rows: the export and the command it
    // shows write them as stored.
    settings.export.dtype = batchscope::options::ArrayDtype::Float32;
    settings.export.label_mode = batchscope::options::LabelMode::Categorical;
    let mut h = harness_with(&dir.join("saved_float"), settings);
    step_until(&mut h, "the first batch", |app| current(app) == Some(0));
    common::gui::show_export(&mut h);
    h.get_by_label_contains("Stored rows are written as stored");
    let command = format!(
        "batchscope export {} --out {}",
        dir.join("saved_float").display(),
        out.display()
    );
    h.get_by_label(&command);
    h.state_mut().display_range = RangeSetting {
        auto: false,
        manual: DisplayRange::new(0.25, 0.5),
        ..RangeSetting::default()
    };
    h.run_steps(2);
    h.get_by_label_contains("Display range: 0.25..0.5 (set;");
    h.state_mut().request_export(false);
    step_until(&mut h, "the export", |app| {
        !matches!(
            app.export.state,
            batchscope::app::export_panel::ExportState::Running(_)
                | batchscope::app::export_panel::ExportState::Idle
        )
    });
    let images = common::read_npy(&out.join("images.npy"));
    assert_eq!(
        (images.descr.as_str(), &images.shape[..]),
        ("<f4", &[10, 8, 8, 3][..])
    );
    let expected = (0..10).flat_map(|i| {
        (0..8).flat_map(move |y| {
            (0..8).flat_map(move |x| (0..3).map(move |c| f32::from(pixel(i, y, x, c)) / 255.0))
        })
    });
    for (k, (got, want)) in images.f32s().into_iter().zip(expected).enumerate() {
        assert!((got - want).abs() <= 1e-7, "element {k}: {got} != {want}");
    }
    let labels = common::read_npy(&out.join("labels.npy"));
    assert_eq!(
        (labels.descr.as_str(), &labels.shape[..]),
        ("<i8", &[10][..])
    );
}

#[test]
fn a_tfrecord_folder_is_browsed_like_images_with_its_bad_record_listed() {
    let Some(dir) = fixtures("a_tfrecord_folder_is_browsed_like_images") else {
        return;
    };
    let mut settings = batchscope::app::Settings::default();
    settings.load.plan.batch_size = 4;
    let mut h = harness_with(&dir.join("tfrecords"), settings);
    step_until(&mut h, "the first batch", |app| current(app) == Some(0));
    // Nine good records (the tenth fails its CRC), in record order, labels i % 3 as their values.
    let session = h.state().session.as_ref().unwrap();
    let ready = session.ready().unwrap();
    let paths: Vec<String> = ready
        .index
        .samples
        .iter()
        .map(|s| s.rel_path.to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        paths[..6],
        [
            "train-00000-of-00002#0",
            "train-00000-of-00002#1",
            "train-00000-of-00002#2",
            "train-00000-of-00002#3",
            "train-00000-of-00002#4",
            "train-00001-of-00002#0",
        ]
    );
    assert_eq!(paths[6], "train-00001-of-00002#2");
    assert_eq!(ready.index.class_names, ["0", "1", "2"]);
    assert_eq!(batch_sizes(h.state()), [4, 4, 1]);
    // The bad record is a problem naming its file, record and reason.
    assert!(
        session
            .problems
            .iter()
            .any(|p| p.path.ends_with("train-00001-of-00002")
                && p.reason.contains("record 1")
                && p.reason.contains("CRC")),
        "{:?}",
        session.problems
    );
    // Decoded like image files: the grid shows the PNG's pixels, uint8 RGB, 8x8.
    let batch = session.current_batch().unwrap();
    let pixels = batch.images_nhwc_u8().unwrap().unwrap();
    assert_eq!(pixels.shape(), [4, 8, 8, 3]);
    assert_eq!(pixels[[3, 2, 5, 1]], pixel(3, 2, 5, 1));
    assert_eq!(h.state().batch_histogram(), [2, 1, 1]);
    h.get_by_label("Batch 1 / 3");

    h.get_by_label("Next ›").click();
    step_until(&mut h, "batch 2", |app| current(app) == Some(1));
    // Samples 4, 5, 7, 8: labels 1, 2, 1, 2.
    assert_eq!(h.state().batch_histogram(), [0, 2, 2]);
    h.key_press(egui::Key::End);
    step_until(&mut h, "the last batch", |app| current(app) == Some(2));
    assert_eq!(h.state().batch_histogram(), [1, 0, 0]);
}
