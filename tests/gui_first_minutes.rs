//! A newcomer's first minutes in the viewer (issue 14), driven headlessly through `egui_kittest`:
//! restored and carried-over settings are visible and reset in one click, an export's skipped files
//! reach the Problems panel, Recent lists only what opened, every word on screen is Keras's or
//! numpy's spelling, the inspector is docked and counts from 1, and the keys the help lists work.

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.

mod common;

use std::path::Path;

use batchscope::app::export_panel::ExportState;
use batchscope::app::{BatchscopeApp, Settings, SettingsNote, SideTab};
use batchscope::size::Size;
use common::gui::{current, harness, harness_with, show_export, step_until};
use common::{pattern, save, write};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _, by};

/// `a`: 3 images, `b`: 2, all PNG 6 high and 8 wide.
fn dataset(root: &Path) {
    for i in 0..3 {
        save(root, &format!("a/{i}.png"), &pattern(8, 6, i));
    }
    for i in 0..2 {
        save(root, &format!("b/{i}.png"), &pattern(8, 6, 10 + i));
    }
}

use common::gui::harness_from_saved as restored_harness;

fn ready(app: &BatchscopeApp) -> bool {
    app.session.as_ref().is_some_and(|s| s.ready().is_some())
}

fn failed(app: &BatchscopeApp) -> bool {
    app.session
        .as_ref()
        .is_some_and(|s| s.ready().is_none() && s.preparing_progress().is_none())
}

#[test]
fn settings_restored_from_the_last_run_are_named_and_reset_in_one_click() {
    let dir = tempfile::tempdir().unwrap();
    dataset(dir.path());
    let mut saved = Settings::default();
    saved.load.preprocess.image_size = Some(Size::square(256));
    saved.load.plan.batch_size = 4;
    saved.keep_for(dir.path());
    let mut h = restored_harness(dir.path(), Some(saved));
    step_until(&mut h, "the first batch", |app| current(app) == Some(0));
    assert_eq!(h.state().settings_note, Some(SettingsNote::Restored));
    h.get_by_label("Settings restored from last time:");
    h.get_by_label("resize 256x256, batch size 4");
    h.get_by_label_contains("Showing: rgb, 256x256 bilinear, batch 4");

    h.get_by_label("Reset").click();
    step_until(&mut h, "the default batches", |app| {
        app.session
            .as_ref()
            .and_then(|s| s.ready())
            .is_some_and(|r| r.options.preprocess.image_size.is_none())
            && current(app) == Some(0)
    });
    assert_eq!(
        h.state().settings.load,
        batchscope::options::LoadOptions::default()
    );
    assert!(
        h.query_by_label("Settings restored from last time:")
            .is_none()
    );
    h.get_by_label_contains("Showing: rgb, native size, batch 32");
    assert_eq!(
        h.state()
            .session
            .as_ref()
            .unwrap()
            .current_batch()
            .unwrap()
            .shape
            .height,
        6
    );
}

#[test]
fn a_first_run_and_default_settings_say_nothing_about_restoring() {
    let dir = tempfile::tempdir().unwrap();
    dataset(dir.path());
    for saved in [None, Some(Settings::default())] {
        let mut h = restored_harness(dir.path(), saved);
        step_until(&mut h, "the first batch", |app| current(app) == Some(0));
        assert_eq!(h.state().settings_note, None);
        assert!(h.query_by_label_contains("Settings restored").is_none());
    }
}

/// Issue 14: a resize chosen for a folder of mixed sizes stayed on for the next folder (8x8 images
/// shown and exported at 256x256) without a word. Issue 22: it no longer carries over at all; the
/// next folder opens with the defaults, and the previous folder's settings are one click away.
#[test]
fn settings_chosen_for_one_folder_are_offered_not_applied_when_the_next_one_opens() {
    let dir = tempfile::tempdir().unwrap();
    let mixed = dir.path().join("mixed");
    save(&mixed, "a/small.png", &pattern(8, 6, 1));
    save(&mixed, "a/wide.png", &pattern(16, 6, 2));
    let small = dir.path().join("small");
    dataset(&small);
    let mut h = restored_harness(&mixed, None);
    step_until(&mut h, "the mixed folder", |app| current(app) == Some(0));
    // The fallback to 256x256 belongs to the folder: nothing carried, nothing to say.
    assert_eq!(h.state().settings.load.preprocess.image_size, None);
    assert!(h.query_by_label_contains("previous dataset").is_none());
    // The user turns "resize" on for this folder, then opens another one.
    h.get_by_label("resize").click();
    step_until(&mut h, "the resize", |app| {
        app.settings.load.preprocess.image_size == Some(Size::square(256))
    });
    h.state_mut().open(&small);
    step_until(&mut h, "the next folder", |app| {
        current(app) == Some(0) && app.session.as_ref().unwrap().root == small
    });
    assert_eq!(h.state().settings.load.preprocess.image_size, None);
    assert_eq!(h.state().settings_note, Some(SettingsNote::PreviousDataset));
    h.get_by_label("Opened with the defaults. The previous dataset used:");
    h.get_by_label("resize 256x256");
    show_export(&mut h);
    h.get_by_label("images (5, 6, 8, 3) uint8");
    h.get_by_label("Apply previous dataset's settings").click();
    step_until(&mut h, "the resize applied", |app| {
        app.session
            .as_ref()
            .and_then(|s| s.ready())
            .is_some_and(|r| r.options.preprocess.image_size == Some(Size::square(256)))
    });
    h.run_steps(2);
    h.get_by_label("images (5, 256, 256, 3) uint8");
}

/// Issue 14: an export said "3 files skipped" while the panel still said "Problems (1)".
#[test]
fn files_an_export_skips_reach_the_problems_panel() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for i in 0..9 {
        save(&data, &format!("a/{i}.png"), &pattern(8, 6, i));
    }
    // The last of ten batches of one: the viewer loads the first three only. Its header and end are
    // intact (the check at open sees nothing wrong); its pixel data is corrupt.
    let mut broken = std::fs::read(save(&data, "a/9_broken.png", &pattern(8, 6, 9))).unwrap();
    let idat = broken.windows(4).position(|w| w == b"IDAT").unwrap();
    for byte in &mut broken[idat + 4..idat + 12] {
        *byte ^= 0x5A;
    }
    assert!(image::load_from_memory(&broken).is_err());
    write(&data, "a/9_broken.png", &broken);
    let mut settings = Settings::default();
    settings.load.plan.batch_size = 1;
    settings.export.out_dir = dir.path().join("out").to_string_lossy().into_owned();
    let mut h = harness_with(&data, settings);
    step_until(&mut h, "the first batch and the header check", |app| {
        current(app) == Some(0)
            && matches!(
                app.checks.headers,
                batchscope::app::file_checks::HeaderCheck::Done { .. }
            )
    });
    h.get_by_label("Problems");
    show_export(&mut h);
    h.get_by_label("Export").click();
    step_until(&mut h, "the export", |app| {
        matches!(app.export.state, ExportState::Finished(_))
    });
    h.get_by_label_contains("1 files skipped");
    h.get_by_label("Problems (1)");
    h.get_by_label("a/9_broken.png");
    // Once, however often it is exported.
    h.get_by_label("Export").click();
    h.run_steps(2);
    if h.query_by_label("Replace").is_some() {
        h.get_by_label("Replace").click();
    }
    step_until(&mut h, "the second export", |app| {
        matches!(app.export.state, ExportState::Finished(_))
    });
    h.get_by_label("Problems (1)");
}

#[test]
fn recent_lists_only_datasets_that_opened() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good");
    dataset(&good);
    let missing = dir.path().join("missing");
    // A folder that opened last time and is gone now.
    let settings = Settings {
        recent: vec![missing.clone()],
        ..Settings::default()
    };
    let mut h = harness_with(&missing, settings);
    step_until(&mut h, "the failure", failed);
    h.run_steps(2);
    assert!(
        h.state().settings.recent.is_empty(),
        "{:?}",
        h.state().settings.recent
    );

    h.state_mut().open(&good);
    step_until(&mut h, "the good folder", ready);
    assert_eq!(h.state().settings.recent, std::slice::from_ref(&good));

    h.state_mut().open(&dir.path().join("also-missing"));
    step_until(&mut h, "the second failure", failed);
    h.run_steps(2);
    assert_eq!(h.state().settings.recent, std::slice::from_ref(&good));
    h.get_by_label("Recent").click();
    h.run_steps(2);
    h.get_by_label(good.to_str().unwrap());
    // The failed path may stay in the path field and the error note, never in the menu.
    assert!(
        h.query_all_by_label_contains("missing")
            .all(|n| n.accesskit_node().role() != egui::accesskit::Role::Button)
    );
}

/// Every text on screen, as accesskit sees it: labels and values.
fn texts(h: &Harness<'static, BatchscopeApp>) -> Vec<String> {
    h.query_all(by())
        .flat_map(|n| {
            let node = n.accesskit_node();
            [node.label(), node.value()]
        })
        .flatten()
        .collect()
}

/// Rust's spellings of the option values, as `{:?}` would print them.
const RUST_NAMES: &[&str] = &[
    "Uint8",
    "Float32",
    "Rgb",
    "Rgba",
    "Grayscale",
    "Inferred",
    "Bilinear",
    "Nearest",
    "Area",
    "Categorical",
    "Binary",
    "Stretch",
    "Crop",
    "Pad",
    "To255",
    "To1",
    "Some(",
    "Int",
];

fn assert_readable(h: &Harness<'static, BatchscopeApp>, state: &str) {
    let texts = texts(h);
    assert!(texts.len() > 20, "{state}: too few texts: {texts:?}");
    for text in &texts {
        for word in text.split(|c: char| !c.is_alphanumeric() && c != '(') {
            assert!(
                !RUST_NAMES.contains(&word) && !word.starts_with("Some("),
                "{state}: {word:?} in {text:?}"
            );
        }
        assert!(
            !text.contains('{') && !text.contains("\":"),
            "{state}: JSON in {text:?}"
        );
    }
}

#[test]
fn every_label_uses_keras_and_numpy_spellings() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    dataset(&data);
    let mut settings = Settings::default();
    settings.load.plan.batch_size = 4;
    settings.load.preprocess.image_size = Some(Size {
        height: 6,
        width: 8,
    });
    settings.load.preprocess.color_mode = batchscope::options::ColorMode::Rgba;
    settings.export.dtype = batchscope::options::ArrayDtype::Float32;
    settings.export.label_mode = batchscope::options::LabelMode::Categorical;
    settings.export.out_dir = dir.path().join("out").to_string_lossy().into_owned();
    settings.keep_for(&data);
    let mut h = restored_harness(&data, Some(settings));
    step_until(&mut h, "the first batch", |app| current(app) == Some(0));
    h.get_by_label_contains("color mode rgba");
    assert_readable(&h, "the batches");

    show_export(&mut h);
    h.get_by_label("images (5, 6, 8, 4) float32");
    assert_readable(&h, "the export panel");
    h.get_by_label("Export").click();
    step_until(&mut h, "the export", |app| {
        !matches!(
            app.export.state,
            ExportState::Running(_) | ExportState::Idle
        )
    });
    if let ExportState::Failed(message) = &h.state().export.state {
        panic!("{message}");
    }
    assert_readable(&h, "the finished export");

    let thumbnails: Vec<_> = h.get_all_by_role(egui::accesskit::Role::Image).collect();
    thumbnails[0].click();
    h.run_steps(3);
    h.get_by_label("(6, 8, 4) uint8");
    assert_readable(&h, "the inspector");
}

#[test]
fn the_inspector_is_docked_counts_from_one_and_reads_pixels_in_its_status_line() {
    let dir = tempfile::tempdir().unwrap();
    dataset(dir.path());
    let mut settings = Settings::default();
    settings.load.plan.batch_size = 2;
    let mut h = harness_with(dir.path(), settings);
    step_until(&mut h, "the first batch", |app| current(app) == Some(0));
    h.key_press(egui::Key::ArrowRight);
    step_until(&mut h, "batch 2", |app| current(app) == Some(1));
    let thumbnails: Vec<_> = h.get_all_by_role(egui::accesskit::Role::Image).collect();
    thumbnails[1].click();
    h.run_steps(3);
    assert_eq!(h.state().side, SideTab::Inspector);
    // Batch 2, its second image (a/3 does not exist: a/2 is first, b/0 second).
    h.get_by_label("batch 2, image 2 of 2");
    h.get_by_label("b/0.png");
    // Fitted: the whole 8x6 image is in the panel, several points per pixel.
    let image = h.get_by_label("inspected image");
    let rect = image.rect();
    assert!(rect.width() > 100.0, "{rect:?}");
    assert!(
        (rect.width() / rect.height() - 8.0 / 6.0).abs() < 0.01,
        "{rect:?}"
    );
    h.get_by_label_contains("Hover the image for pixel values");
    // Inside pixel (4, 3) of the 8x6 image, not on its edge.
    let at = rect.min + egui::vec2(4.5, 3.5) * (rect.width() / 8.0);
    h.event(egui::Event::PointerMoved(at));
    h.run_steps(3);
    // pattern(8, 6, 10) at x 4, y 3.
    let [r, g, b] = pattern(8, 6, 10).get_pixel(4, 3).0;
    h.get_by_label(&format!("x 4, y 3: [{r}, {g}, {b}]"));
    // Esc closes it and gives the panel back to the histograms.
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    assert!(h.state().inspector.is_none());
    assert_eq!(h.state().side, SideTab::Labels);
}

#[test]
fn the_keys_the_help_lists_work() {
    let dir = tempfile::tempdir().unwrap();
    dataset(dir.path());
    let mut settings = Settings::default();
    settings.load.plan.batch_size = 2;
    let mut h = harness_with(dir.path(), settings);
    step_until(&mut h, "the first batch", |app| current(app) == Some(0));
    h.key_press(egui::Key::F1);
    h.run_steps(2);
    assert!(h.state().show_help);
    h.get_by_label("Keyboard");
    h.get_by_label("highlight the next class");
    h.get_by_label("Close").click();
    h.run_steps(2);
    assert!(!h.state().show_help);

    h.key_press(egui::Key::C);
    h.run_steps(1);
    assert_eq!(h.state().highlight, Some(0));
    h.key_press(egui::Key::C);
    h.run_steps(1);
    assert_eq!(h.state().highlight, Some(1));
    h.key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::C);
    h.run_steps(1);
    assert_eq!(h.state().highlight, Some(0));
    h.key_press(egui::Key::I);
    h.run_steps(2);
    assert_eq!(
        h.state().inspector.as_ref().map(|i| (i.batch, i.row)),
        Some((0, 0))
    );
    h.key_press(egui::Key::PageDown);
    step_until(&mut h, "batch 2 by Page Down", |app| {
        current(app) == Some(1)
    });
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::E);
    h.run_steps(2);
    assert_eq!(h.state().side, SideTab::Export);
}

/// Issue 14: the "no folder dialog" banner never went away.
#[test]
fn the_no_dialog_notice_goes_once_a_path_is_opened_or_dismissed() {
    let dir = tempfile::tempdir().unwrap();
    dataset(dir.path());
    let mut h = harness_with(dir.path(), Settings::default());
    step_until(&mut h, "the first batch", |app| current(app) == Some(0));
    h.state_mut().notice = Some("No file dialog is available here.".into());
    h.run_steps(2);
    h.get_by_label("Dismiss").click();
    h.run_steps(2);
    assert_eq!(h.state().notice, None);
    h.state_mut().notice = Some("No file dialog is available here.".into());
    h.state_mut().open(dir.path());
    h.run_steps(2);
    assert_eq!(h.state().notice, None);
    assert!(h.query_by_label("Dismiss").is_none());
}

/// Issue 22: on a stored source with a long "Source" line, the inspector's grid was wider than its
/// panel: the tab bar, the field names and the left of the image went behind the grid.
#[test]
fn the_inspector_on_a_source_with_a_long_source_line_keeps_every_field_inside_its_panel() {
    let dir = tempfile::tempdir().unwrap();
    let name = format!("{}.npy", "a_rather_long_array_file_name_".repeat(6));
    let npy = dir.path().join(&name);
    let mut bytes = batchscope::npy::header(batchscope::npy::NpyDtype::U8, &[3, 8, 8, 3]);
    bytes.extend((0..3 * 8 * 8 * 3).map(|i| (i % 251) as u8));
    std::fs::write(&npy, bytes).unwrap();
    let mut h = harness_with(&npy, Settings::default());
    step_until(&mut h, "the first batch", |app| current(app) == Some(0));
    let thumbnails: Vec<_> = h.get_all_by_role(egui::accesskit::Role::Image).collect();
    thumbnails[0].click();
    h.run_steps(3);
    assert_eq!(h.state().side, SideTab::Inspector);
    // The panel's tab bar starts at its left edge (its "Inspector" tab, and the heading below it).
    let panel_left = h
        .query_all_by_label("Inspector")
        .map(|n| n.rect().min.x)
        .fold(f32::INFINITY, f32::min);
    let window_right = 1280.0;
    for field in ["Path", "Source", "images"] {
        let rect = h.get_by_label(field).rect();
        assert!(
            rect.min.x >= panel_left - 1.0 && rect.max.x <= window_right,
            "{field} at {rect:?}, panel from x = {panel_left}"
        );
    }
    // The source line and the path (both hold the file name) end inside the window.
    for value in h.query_all_by_label_contains(&name[..40]) {
        let rect = value.rect();
        if rect.min.x >= panel_left - 1.0 {
            assert!(rect.max.x <= window_right, "a value ends at {rect:?}");
        }
    }
    assert!(h.get_by_label("inspected image").rect().min.x >= panel_left - 1.0);
}

/// 1280x800 at scale 2 is a 640x400-point window: the top bar was one row, and the views (Health,
/// Gallery), the theme and the help went past its right edge. They wrap to a second row there, and
/// stay on the first row of a wide window.
#[test]
fn a_640_point_window_keeps_every_top_bar_control_on_screen() {
    let dir = tempfile::tempdir().unwrap();
    dataset(dir.path());
    let mut h = harness(dir.path());
    step_until(&mut h, "the first batch", |app| current(app) == Some(0));
    let controls = [
        "Open folder…",
        "Sample",
        "Batches",
        "Health",
        "Gallery",
        "Theme",
        "?",
    ];
    let rows = |h: &Harness<'static, BatchscopeApp>, width: f32| {
        controls.map(|label| {
            let rect = h.get_by_label(label).rect();
            assert!(
                rect.min.x >= 0.0 && rect.max.x <= width,
                "{label} at {rect:?} in a window {width} points wide"
            );
            rect.center().y
        })
    };
    let wide = rows(&h, 1280.0);
    assert!(wide.iter().all(|&y| (y - wide[0]).abs() < 1.0), "{wide:?}");
    h.set_size(egui::Vec2::new(640.0, 400.0));
    h.run_steps(3);
    let narrow = rows(&h, 640.0);
    // Open and Sample on the first row; the views, Theme and ? below them, all on one second row.
    assert!((narrow[1] - narrow[0]).abs() < 1.0, "{narrow:?}");
    assert!(narrow[2] > narrow[0] + 10.0, "{narrow:?}");
    assert!(
        narrow[2..].iter().all(|&y| (y - narrow[2]).abs() < 1.0),
        "{narrow:?}"
    );
}
