//! Settings belong to a dataset (issue 22): a dataset opens with its own settings or the defaults,
//! never the previous dataset's; applying those is a button. The export panel's folder and result
//! belong to the dataset they were made for. And controls stay put under the cursor: ticking resize,
//! shuffle or split inserts no row above the next checkbox.

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.

mod common;
#[allow(dead_code)] // Shared with the fuzz seeds; this file writes one saved dataset.
#[path = "common/records.rs"]
mod records;

use std::path::{Path, PathBuf};

use batchscope::app::export_panel::ExportState;
use batchscope::app::{BatchscopeApp, Settings, SettingsNote};
use batchscope::options::{LoadOptions, Subset};
use common::gui::{current, harness_with, show_export, step_until};
use common::{pattern, save};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};

/// A folder of 10 PNGs 8 wide and 6 high: `a` 6, `b` 4.
fn folder(root: &Path) {
    for i in 0..10 {
        let class = if i < 6 { "a" } else { "b" };
        save(root, &format!("{class}/{i}.png"), &pattern(8, 6, i));
    }
}

/// A dataset saved by `tf.data` (`Dataset.save`), written in Rust: `n` uint8 elements of 4x4x3.
fn saved_dataset(root: &Path, n: u8) {
    let dims = [4, 4, 3];
    let file = records::saved_layout(root, &dims, u64::from(n));
    let snapshot: Vec<u8> = (0..n)
        .flat_map(|i| {
            let pixels: Vec<u8> = (0..48u8)
                .map(|p| p.wrapping_mul(5).wrapping_add(i))
                .collect();
            records::framed(&records::tensor(&dims, &pixels))
        })
        .collect();
    std::fs::write(file, snapshot).unwrap();
}

/// The samples the batches on screen hold, once the open dataset is ready.
fn planned(app: &BatchscopeApp) -> Option<usize> {
    let ready = app.session.as_ref()?.ready()?;
    Some(ready.job.plan.order.len())
}

fn root(app: &BatchscopeApp) -> PathBuf {
    app.session.as_ref().unwrap().root.clone()
}

/// Opens `path` as the user does (a path, then Open), and waits for its first batch.
fn open_and_wait(h: &mut Harness<'static, BatchscopeApp>, path: &Path) {
    h.state_mut().open(path);
    step_until(h, "the dataset", |app| {
        root(app) == path && current(app) == Some(0) && planned(app).is_some()
    });
}

/// The folder's settings: shuffle with a seed and a validation split, chosen as a user does.
fn split_and_shuffle(h: &mut Harness<'static, BatchscopeApp>) {
    h.get_by_label("shuffle (numpy/Keras order)").click();
    h.run_steps(2);
    h.get_by_label("split").click();
    step_until(h, "the split", |app| planned(app) == Some(8));
    let plan = &h.state().settings.load.plan;
    assert!(plan.shuffle);
    assert_eq!(plan.validation_split, Some(0.2));
    assert_eq!(plan.subset, Some(Subset::Training));
}

#[test]
fn a_saved_dataset_opened_after_a_split_shuffled_folder_starts_from_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let (photos, saved) = (dir.path().join("photos"), dir.path().join("saved"));
    folder(&photos);
    saved_dataset(&saved, 10);
    let mut h = harness_with(&photos, Settings::default());
    step_until(&mut h, "the folder", |app| current(app) == Some(0));
    assert_eq!(planned(h.state()), Some(10));
    split_and_shuffle(&mut h);

    open_and_wait(&mut h, &saved);
    // Every element, in stored order: not re-split, not re-shuffled.
    assert_eq!(h.state().settings.load, LoadOptions::default());
    let ready = h.state().session.as_ref().unwrap().ready().unwrap();
    assert_eq!(ready.job.plan.order, (0..10).collect::<Vec<_>>());
    assert_eq!(ready.options.plan.validation_split, None);
    // Stored rows have no file headers: the Problems line says nothing of checking them.
    assert!(h.query_by_label_contains("headers of").is_none());
    h.get_by_label_contains("Showing:");
    let split_shown = h
        .query_all_by_label_contains("split")
        .map(|n| format!("{n:?}"))
        .find(|n| n.contains("Showing:"));
    assert_eq!(split_shown, None);
    // What the folder used is offered, not applied.
    assert_eq!(h.state().settings_note, Some(SettingsNote::PreviousDataset));
    h.get_by_label("Opened with the defaults. The previous dataset used:");
    let previous = h.state().previous_settings().unwrap().load.clone();
    let changes = batchscope::describe::changes_from_default(&previous).join(", ");
    assert!(
        changes.contains("shuffle") && changes.contains("split"),
        "{changes}"
    );
    h.get_by_label(&changes);
    h.get_by_label("Apply previous dataset's settings");

    // Back to the folder: its own settings come back, and the batches are its training subset.
    open_and_wait(&mut h, &photos);
    assert_eq!(planned(h.state()), Some(8));
    let plan = &h.state().settings.load.plan;
    assert!(plan.shuffle && plan.validation_split == Some(0.2));
    assert_eq!(h.state().settings_note, Some(SettingsNote::Restored));
    h.get_by_label("Settings restored from last time:");

    // And the saved dataset, whose settings were the defaults, opens with the defaults again.
    open_and_wait(&mut h, &saved);
    assert_eq!(h.state().settings.load, LoadOptions::default());
    assert_eq!(planned(h.state()), Some(10));
}

#[test]
fn the_previous_datasets_settings_apply_with_one_click_but_not_its_output_folder() {
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = (dir.path().join("first"), dir.path().join("second"));
    folder(&first);
    folder(&second);
    let mut settings = Settings::default();
    settings.export.out_dir = dir.path().join("out").to_string_lossy().into_owned();
    let mut h = harness_with(&first, settings);
    step_until(&mut h, "the first folder", |app| current(app) == Some(0));
    split_and_shuffle(&mut h);

    open_and_wait(&mut h, &second);
    assert_eq!(planned(h.state()), Some(10));
    assert_eq!(h.state().settings.export.out_dir, "");
    h.get_by_label("Apply previous dataset's settings").click();
    step_until(&mut h, "the applied split", |app| planned(app) == Some(8));
    assert!(h.state().settings.load.plan.shuffle);
    assert_eq!(h.state().settings_note, None);
    assert!(
        h.query_by_label("Apply previous dataset's settings")
            .is_none()
    );
    // The output folder stays the second folder's own (none yet).
    assert_eq!(h.state().settings.export.out_dir, "");
}

#[test]
fn the_export_panel_shows_each_datasets_own_folder_and_result() {
    let dir = tempfile::tempdir().unwrap();
    let (photos, saved) = (dir.path().join("photos"), dir.path().join("saved"));
    folder(&photos);
    saved_dataset(&saved, 10);
    let out = dir.path().join("photos_out");
    let mut settings = Settings::default();
    settings.export.out_dir = out.to_string_lossy().into_owned();
    let mut h = harness_with(&photos, settings);
    step_until(&mut h, "the folder", |app| current(app) == Some(0));
    show_export(&mut h);
    h.get_by_label("Export").click();
    step_until(&mut h, "the export", |app| {
        matches!(app.export.state, ExportState::Finished(_))
    });
    h.get_by_label_contains("Exported 10 images");

    open_and_wait(&mut h, &saved);
    h.run_steps(2);
    assert!(matches!(h.state().export.state, ExportState::Idle));
    assert_eq!(h.state().settings.export.out_dir, "");
    assert!(h.query_by_label_contains("Exported").is_none());
    assert!(
        h.query_by_label_contains(&out.to_string_lossy()).is_none(),
        "the folder's output folder is shown for the saved dataset"
    );
    // The command line says where it would go: nowhere chosen yet.
    h.get_by_label_contains("--out OUT");

    open_and_wait(&mut h, &photos);
    h.run_steps(2);
    assert_eq!(h.state().settings.export.out_dir, out.to_string_lossy());
    h.get_by_label_contains("Exported 10 images");
}

#[test]
fn a_dataset_opened_at_start_has_its_own_saved_settings_or_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let (known, new) = (dir.path().join("known"), dir.path().join("new"));
    folder(&known);
    folder(&new);
    // The last run ended on `known`, batched by 4.
    let mut saved = Settings::default();
    saved.load.plan.batch_size = 4;
    saved.keep_for(&known);
    for (path, batch_size, note) in [
        (&known, 4, Some(SettingsNote::Restored)),
        (&new, 32, Some(SettingsNote::PreviousDataset)),
    ] {
        let mut h = common::gui::harness_from_saved(path, Some(saved.clone()));
        step_until(&mut h, "the first batch", |app| current(app) == Some(0));
        assert_eq!(
            h.state().settings.load.plan.batch_size,
            batch_size,
            "{path:?}"
        );
        assert_eq!(h.state().settings_note, note, "{path:?}");
    }
}

/// Issue 22: ticking "resize" inserted rows above "drop last partial batch", and the user's next
/// click landed on it.
#[test]
fn ticking_resize_shuffle_or_split_moves_no_control_below_it() {
    let dir = tempfile::tempdir().unwrap();
    folder(dir.path());
    let mut h = harness_with(dir.path(), Settings::default());
    step_until(&mut h, "the folder", |app| current(app) == Some(0));
    let below = |h: &Harness<'static, BatchscopeApp>| {
        [
            "drop last partial batch",
            "shuffle (numpy/Keras order)",
            "split",
            "Reset to defaults",
        ]
        .map(|label| h.get_by_label(label).rect())
    };
    let before = below(&h);
    h.get_by_label("resize").click();
    step_until(&mut h, "the resize", |app| {
        app.session
            .as_ref()
            .and_then(|s| s.ready())
            .is_some_and(|r| r.options.preprocess.image_size.is_some())
    });
    assert_eq!(below(&h), before);
    h.get_by_label("shuffle (numpy/Keras order)").click();
    h.run_steps(3);
    assert!(h.state().settings.load.plan.shuffle);
    assert_eq!(below(&h), before);
    h.get_by_label("split").click();
    h.run_steps(3);
    assert_eq!(h.state().settings.load.plan.validation_split, Some(0.2));
    assert_eq!(below(&h), before);
}

/// Issue 22, item 3, on a saved dataset: its "Source" line names the snapshot layout and the long
/// folder; every field's label lies inside the inspector's panel.
#[test]
fn the_inspector_on_a_saved_dataset_with_a_long_source_line_keeps_every_label_inside_its_panel() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir
        .path()
        .join("a_dataset_saved_by_tf_data_with_a_rather_long_name_".repeat(3));
    saved_dataset(&saved, 3);
    let mut h = harness_with(&saved, Settings::default());
    step_until(&mut h, "the first batch", |app| current(app) == Some(0));
    let thumbnails: Vec<_> = h.get_all_by_role(egui::accesskit::Role::Image).collect();
    thumbnails[0].click();
    h.run_steps(3);
    let panel_left = h
        .query_all_by_label("Inspector")
        .map(|n| n.rect().min.x)
        .fold(f32::INFINITY, f32::min);
    assert!(
        panel_left > 600.0,
        "the inspector starts at x = {panel_left}"
    );
    for field in ["Path", "Label", "Source", "Position"] {
        let rect = h.get_by_label(field).rect();
        assert!(
            rect.min.x >= panel_left - 1.0 && rect.max.x <= 1280.0,
            "{field} at {rect:?}, panel from x = {panel_left}"
        );
    }
    assert!(h.get_by_label("inspected image").rect().min.x >= panel_left - 1.0);
}

/// Issue 22: the Export button moved down as the command line above it wrapped while the user typed
/// the output folder.
#[test]
fn the_export_button_stays_put_while_the_command_line_wraps() {
    let dir = tempfile::tempdir().unwrap();
    folder(dir.path());
    let mut h = harness_with(dir.path(), Settings::default());
    step_until(&mut h, "the folder", |app| current(app) == Some(0));
    show_export(&mut h);
    let before = h.get_by_label("Export").rect();
    let lines_before = h.get_by_label_contains("--out OUT").rect().height();
    h.state_mut().settings.export.out_dir = dir
        .path()
        .join("a_long_output_folder_name_".repeat(12))
        .to_string_lossy()
        .into_owned();
    h.run_steps(3);
    let command = h.get_by_label_contains("a_long_output_folder_name_").rect();
    assert!(
        command.height() > 2.0 * lines_before,
        "the command line did not wrap: {command:?}"
    );
    assert_eq!(h.get_by_label("Export").rect(), before);
    // And no row of the panel reaches past the window (the layout and format row did).
    let overflowing: Vec<String> = h
        .query_all(egui_kittest::kittest::by())
        .filter_map(|n| {
            let node = n.accesskit_node();
            let r = node.bounding_box()?;
            let text_run = node.role() == egui::accesskit::Role::TextRun;
            (r.x0 >= f64::from(before.min.x) - 1.0 && r.x1 > 1280.0 && !text_run)
                .then(|| format!("{:?} {:?}", node.role(), node.label()))
        })
        .collect();
    assert!(overflowing.is_empty(), "{overflowing:?}");
}
