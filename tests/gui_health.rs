//! The Health view driven headlessly: a generated folder with a planted exact duplicate, a cropped
//! near duplicate and a dark image shows them by label; the threshold slider regroups without a new
//! pass; clicking a duplicate's thumbnail opens the inspector on it in its batch; a seeded split shows
//! the leak; a clean folder says it is clean; saving an exclusion list writes `path<TAB>reason`.
#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.

mod common;

use std::path::Path;

use batchscope::app::export_panel::ExportState;
use batchscope::app::{BatchscopeApp, View};
use batchscope::health::DuplicateKind;
use batchscope::options::Subset;
use batchscope::size::Size;
use batchscope::synth::scene;
use common::gui::{current, harness_with, step_until};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _, by};
use image::{Rgb, RgbImage};

const SIDE: u32 = 64;

fn save_png(root: &Path, rel: &str, img: &RgbImage) {
    common::save(root, rel, img);
}

/// Ten distinct pictures in two classes (`cat/0..4`, `dog/5..9`).
fn distinct(root: &Path) {
    for i in 0..10u64 {
        let class = if i < 5 { "cat" } else { "dog" };
        save_png(
            root,
            &format!("{class}/{i}.png"),
            &scene(SIDE, SIDE, 100 + i),
        );
    }
}

/// `distinct` plus an exact copy of `cat/0.png`, a 5%-cropped copy of `dog/7.png` and a dark picture.
fn planted(root: &Path) {
    distinct(root);
    std::fs::copy(root.join("cat/0.png"), root.join("cat/0_copy.png")).unwrap();
    let original = scene(SIDE, SIDE, 107);
    let crop = image::imageops::crop_imm(&original, 2, 2, SIDE - 4, SIDE - 4).to_image();
    save_png(root, "dog/7_cropped.png", &crop);
    let dark = scene(SIDE, SIDE, 999);
    let dark = RgbImage::from_fn(SIDE, SIDE, |x, y| {
        Rgb(dark.get_pixel(x, y).0.map(|v| (f32::from(v) * 0.1) as u8))
    });
    save_png(root, "dog/dark.png", &dark);
}

/// Batches of 4 at 64x64 (the cropped copy is smaller than the rest).
fn settings() -> batchscope::app::Settings {
    let mut settings = batchscope::app::Settings::default();
    settings.load.plan.batch_size = 4;
    settings.load.preprocess.image_size = Some(Size::square(SIDE));
    settings
}

/// Opens the Health view, which runs the pass (one click), until its result is on screen.
fn run_health(h: &mut Harness<'static, BatchscopeApp>) {
    step_until(h, "the first batch", |app| current(app) == Some(0));
    h.get_by_label("Health").click();
    step_until(h, "the health result", |app| {
        app.view == View::Health && app.health.result.is_some() && !app.health.is_running()
    });
}

/// Shows a section of the findings by its tab.
fn show_section(h: &mut Harness<'static, BatchscopeApp>, tab: &str) {
    h.get_by_label_contains(tab).click();
    h.run_steps(2);
}

/// The slider (its value field has the same label).
fn threshold_slider<'h>(h: &'h Harness<'static, BatchscopeApp>) -> egui_kittest::Node<'h> {
    h.get(
        by().role(egui::accesskit::Role::Slider)
            .label("Near-duplicate threshold"),
    )
}

fn near_groups(app: &BatchscopeApp) -> usize {
    app.health.result.as_ref().map_or(0, |r| {
        r.findings
            .duplicates
            .iter()
            .filter(|g| g.kind == DuplicateKind::Near)
            .count()
    })
}

#[test]
fn health_view_shows_planted_problems_regroups_and_clicks_into_the_inspector() {
    let dir = tempfile::tempdir().unwrap();
    planted(dir.path());
    let mut h = harness_with(dir.path(), settings());
    run_health(&mut h);
    assert!(
        h.state().health.message.is_none(),
        "{:?}",
        h.state().health.message
    );
    h.get_by_label_contains("0 leak groups · 1 exact and 1 near duplicate groups");
    h.get_by_label("exact");
    h.get_by_label("near");
    show_section(&mut h, "Flagged images (1)");
    h.get_by_label("dark (1)");
    h.get_by_label("thumbnail dog/dark.png");
    show_section(&mut h, "Duplicates and leaks (2)");
    for path in [
        "cat/0.png",
        "cat/0_copy.png",
        "dog/7.png",
        "dog/7_cropped.png",
    ] {
        assert!(
            h.query_by_label(&format!("thumbnail {path}")).is_some(),
            "{path} listed"
        );
    }
    // The cropped copy differs in a few hash bits: threshold 0 keeps only identical hashes.
    let score = h
        .state()
        .health
        .result
        .as_ref()
        .unwrap()
        .findings
        .duplicates
        .iter()
        .find(|g| g.kind == DuplicateKind::Near)
        .unwrap()
        .score;
    assert!(score < 1.0, "the crop kept the same hash: plant another");
    threshold_slider(&h).set_value_accesskit(0.0);
    step_until(&mut h, "regrouped at threshold 0", |app| {
        app.health.near_distance == 0 && near_groups(app) == 0
    });
    assert!(h.query_by_label("near").is_none());
    assert!(h.query_by_label("thumbnail dog/7_cropped.png").is_none());
    h.get_by_label("exact");

    // Back at the default threshold, click the cropped copy's thumbnail: it is not in the first
    // batch, so the viewer has to find its batch and go there.
    threshold_slider(&h).set_value_accesskit(10.0);
    step_until(&mut h, "regrouped at threshold 10", |app| {
        near_groups(app) == 1
    });
    h.get_by_label("thumbnail dog/7_cropped.png").click();
    step_until(&mut h, "the inspector on the cropped copy", |app| {
        app.inspector.is_some()
    });
    let app = h.state();
    let session = app.session.as_ref().unwrap();
    let plan = &session.ready().unwrap().job.plan;
    let sample = session
        .ready()
        .unwrap()
        .index
        .samples
        .iter()
        .position(|s| s.rel_path == Path::new("dog/7_cropped.png"))
        .unwrap();
    let position = plan.order.iter().position(|&s| s == sample).unwrap();
    let batch = position / 4;
    assert_eq!(current(app), Some(batch));
    let inspector = app.inspector.as_ref().unwrap();
    assert_eq!(inspector.batch, batch);
    assert_eq!(
        session.current_batch().unwrap().samples[inspector.row],
        sample
    );
    // The inspector window names the path.
    assert!(
        h.query_all_by_label("dog/7_cropped.png").count() >= 2,
        "the inspector shows the path"
    );
}

#[test]
fn health_view_exclusion_list_feeds_the_export() {
    let dir = tempfile::tempdir().unwrap();
    planted(dir.path());
    let mut h = harness_with(dir.path(), settings());
    run_health(&mut h);
    show_section(&mut h, "Exclude from the export");
    // Leave out all but the first of the exact group, save the list, and export without it.
    h.get_by_label("All but the first of each exact duplicate group (1)")
        .click_accesskit();
    step_until(&mut h, "the exact group marked", |app| {
        !app.health.marked.is_empty()
    });
    // Outside the dataset folder, which the export refuses to write into.
    let elsewhere = tempfile::tempdir().unwrap();
    let list = elsewhere.path().join("drop.txt");
    let out = elsewhere.path().join("out");
    h.state_mut().health.list_path = list.to_string_lossy().into_owned();
    h.state_mut().settings.export.out_dir = out.to_string_lossy().into_owned();
    h.get_by_label("Save exclusion list").click_accesskit();
    step_until(&mut h, "the list saved", |app| {
        app.health.saved_list.is_some()
    });
    assert_eq!(
        std::fs::read_to_string(&list).unwrap(),
        "cat/0_copy.png\texact duplicate of cat/0.png (1.000)\n"
    );
    // "Save as…" asks for the file in a save dialog; with no dialog backend (no XDG portal or
    // zenity, as here and in CI) the app says so and points to the path field.
    h.get_by_label("Save as…").click_accesskit();
    step_until(&mut h, "no dialog reported", |app| {
        app.notice
            .as_deref()
            .is_some_and(|n| n.contains("No file dialog is available here"))
    });
    h.get_by_label_contains("Leave out the 1 images of the health exclusion list drop.txt")
        .click_accesskit();
    step_until(&mut h, "the list used", |app| app.export.use_exclusions);
    h.get_by_label_contains("--exclude-list");
    h.state_mut().request_export(false);
    step_until(&mut h, "the export", |app| {
        !matches!(
            app.export.state,
            ExportState::Running(_) | ExportState::Idle
        )
    });
    let ExportState::Finished(done) = &h.state().export.state else {
        match &h.state().export.state {
            ExportState::Failed(message) => panic!("export failed: {message}"),
            _ => panic!("export did not finish"),
        }
    };
    assert_eq!(done.report.exported, 12, "13 planned, one left out");
    let excluded = std::fs::read_to_string(out.join("excluded.csv")).unwrap();
    assert!(excluded.contains("cat/0_copy.png"), "{excluded}");
}

#[test]
fn health_view_shows_a_leak_across_a_seeded_split_and_saves_an_exclusion_list() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("data");
    planted(&root);
    let index =
        batchscope::index::scan(&root, &batchscope::options::IndexOptions::default()).unwrap();
    let [a, b] = ["cat/0.png", "cat/0_copy.png"].map(|p| {
        index
            .samples
            .iter()
            .position(|s| s.rel_path == Path::new(p))
            .unwrap()
    });
    // A seed that puts the exact pair on both sides of the split.
    let seed = (1..200u32)
        .find(|&seed| {
            let plan = batchscope::options::PlanOptions {
                shuffle: true,
                seed: Some(seed),
                validation_split: Some(0.3),
                subset: Some(Subset::Validation),
                ..Default::default()
            };
            let validation = batchscope::plan::plan(&index, &plan).unwrap().order;
            validation.contains(&a) != validation.contains(&b)
        })
        .unwrap();
    let mut settings = settings();
    settings.load.plan.shuffle = true;
    settings.load.plan.seed = Some(seed);
    settings.load.plan.validation_split = Some(0.3);
    settings.load.plan.subset = Some(Subset::Training);
    let mut h = harness_with(&root, settings);
    run_health(&mut h);
    h.get_by_label_contains("Leaks: 1 group with copies in both training and validation");
    assert!(h.query_all_by_label("validation").count() >= 1);
    assert_eq!(
        h.state()
            .health
            .result
            .as_ref()
            .unwrap()
            .findings
            .leaks
            .len(),
        1
    );

    show_section(&mut h, "Exclude from the export");
    h.get_by_label("Leaks' validation copies (1 leaks)")
        .click_accesskit();
    step_until(&mut h, "the leak marked", |app| {
        !app.health.marked.is_empty()
    });
    h.get_by_label_contains("1 images marked");
    let list = dir.path().join("excluded.txt");
    h.state_mut().health.list_path = list.to_string_lossy().into_owned();
    h.get_by_label("Save exclusion list").click_accesskit();
    step_until(&mut h, "the list saved", |app| {
        app.health.saved_list.is_some()
    });
    let text = std::fs::read_to_string(&list).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "{text}");
    let (path, reason) = lines[0].split_once('\t').unwrap();
    assert!(["cat/0.png", "cat/0_copy.png"].contains(&path), "{path}");
    assert!(reason.starts_with("leak: copy of training "), "{reason}");
    // The export panel offers the list.
    h.get_by_label_contains("Leave out the 1 images of the health exclusion list excluded.txt");
}

#[test]
fn health_view_says_a_clean_folder_is_clean() {
    let dir = tempfile::tempdir().unwrap();
    distinct(dir.path());
    let mut h = harness_with(dir.path(), settings());
    run_health(&mut h);
    h.get_by_label("Clean: no duplicates, no leaks, no flags.");
    // Nothing to list: the statistics are on screen.
    assert!(h.query_by_label("Save exclusion list").is_none());
    h.get_by_label_contains("mean (0–255)");
    h.get_by_label_contains("keras.layers.Normalization(mean=[");
    h.get_by_label_contains("transforms.Normalize(mean=[");
}

#[test]
fn health_view_explains_that_stored_arrays_are_not_measured() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("images.npy");
    let mut bytes = batchscope::npy::header(batchscope::npy::NpyDtype::U8, &[4, 8, 8, 3]);
    bytes.extend(std::iter::repeat_n(7u8, 4 * 8 * 8 * 3));
    std::fs::write(&path, bytes).unwrap();
    let mut h = harness_with(&path, settings());
    step_until(&mut h, "the first batch", |app| current(app) == Some(0));
    h.get_by_label("Health").click();
    step_until(&mut h, "the Health view", |app| app.view == View::Health);
    h.get_by_label("Not available for stored arrays");
    assert!(h.query_by_label("Run health pass").is_none());
}

#[test]
fn health_view_without_a_dataset_says_to_open_one() {
    let mut app = BatchscopeApp::new(settings(), std::sync::Arc::new(|| {}));
    app.view = View::Health;
    let mut h = Harness::new_ui_state(
        |ui, app: &mut BatchscopeApp| {
            app.logic_step(ui.ctx());
            app.ui_inner(ui);
        },
        app,
    );
    h.run();
    h.get_by_label("No dataset open");
}

#[test]
fn health_pass_shows_progress_and_cancels_while_held_at_a_file() {
    let dir = tempfile::tempdir().unwrap();
    planted(dir.path());
    // The 13th file in plan order: batches of 4 put it in batch 3, beyond what the viewer prefetches
    // around batch 0, so only the health pass opens it and is held there.
    let held = dir.path().join("dog/dark.png");
    batchscope::decode::hold_file_for_tests(&held);
    let mut h = harness_with(dir.path(), settings());
    // Declared after the harness, so dropped before it: the hold ends even if the test fails.
    let _release = common::ReleaseOnDrop(held.clone());
    step_until(&mut h, "the first batch", |app| current(app) == Some(0));
    // One click: opening the view starts the pass.
    h.get_by_label("Health").click();
    step_until(&mut h, "the pass held", |app| {
        app.health
            .progress()
            .is_some_and(|(_, total, _)| total == 13)
            && common::with_suffix(&held, ".held").exists()
    });
    assert!(h.state().health.is_running());
    h.get_by_label_contains("/ 13 images,");
    h.get_by_label_contains("images/s");
    assert!(
        h.get_by_label("Run health pass")
            .accesskit_node()
            .is_disabled()
    );
    h.get_by_label("Cancel").click();
    step_until(&mut h, "the cancel", |app| !app.health.is_running());
    h.get_by_label("Health pass cancelled.");
    h.get_by_label("Health pass not run yet");
    assert!(h.state().health.result.is_none());
}

/// Issue 22, item 7: the lists were capped at 60 ("… and 90 more"), a click on an image reflowed them,
/// and the view needed a second click to run the pass.
#[test]
fn health_lists_show_every_flagged_image_keep_their_place_on_a_click_and_reopen_from_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..150u64 {
        let picture = scene(SIDE, SIDE, 1000 + i);
        let dark = RgbImage::from_fn(SIDE, SIDE, |x, y| {
            Rgb(picture
                .get_pixel(x, y)
                .0
                .map(|v| (f32::from(v) * 0.1) as u8))
        });
        save_png(dir.path(), &format!("a/{i:03}.png"), &dark);
    }
    let mut h = harness_with(dir.path(), settings());
    run_health(&mut h);
    assert!(h.state().health.message.is_none());
    show_section(&mut h, "Flagged images (");
    h.get_by_label("dark (150)");
    assert!(h.query_by_label_contains("more (batchscope").is_none());
    let dark_paths: Vec<String> = {
        let result = h.state().health.result.as_ref().unwrap();
        result
            .findings
            .flags
            .iter()
            .filter(|f| f.kind == batchscope::health::FlagKind::Dark)
            .map(|f| batchscope::health::report::rel_path(&result.scan, f.sample))
            .collect()
    };
    assert_eq!(dark_paths.len(), 150);
    let last = format!("thumbnail {}", dark_paths[149]);
    // Only the rows in view are drawn: the last image is not, until the list is scrolled to it.
    assert!(h.query_by_label(&last).is_none());
    let mut scrolls = 0;
    while h.query_by_label(&last).is_none() {
        assert!(scrolls < 400, "the last flagged image never came into view");
        h.query_all_by_label_contains("thumbnail ")
            .next()
            .unwrap()
            .scroll_down();
        h.step();
        scrolls += 1;
    }
    // The list draws a row beyond its view: bring the last one fully in.
    h.get_by_label(&last).scroll_to_me();
    h.run_steps(10);
    let offset = h.state().health.list_offset;
    assert!(offset > 0.0, "scrolled");
    let rect = h.get_by_label(&last).rect();
    // A click opens the inspector on the image, beside the list: the list stays where it was.
    h.get_by_label(&last).click();
    step_until(&mut h, "the inspector on the last dark image", |app| {
        app.inspector.is_some()
    });
    // Unchanged: the very same value.
    assert_eq!(h.state().health.list_offset.to_bits(), offset.to_bits());
    assert_eq!(h.get_by_label(&last).rect(), rect);
    let app = h.state();
    let session = app.session.as_ref().unwrap();
    let row = app.inspector.as_ref().unwrap().row;
    let sample = session.current_batch().unwrap().samples[row];
    assert_eq!(
        session.ready().unwrap().index.samples[sample].rel_path,
        Path::new(&dark_paths[149])
    );

    // Opened again, the view runs the pass by itself, and every measure comes from the cache.
    let root = dir.path().to_path_buf();
    h.state_mut().open(&root);
    step_until(&mut h, "the second pass", |app| {
        app.health.result.is_some() && !app.health.is_running()
    });
    assert_eq!(h.state().view, View::Health);
    assert_eq!(h.state().health.result.as_ref().unwrap().scan.cached, 150);
    h.get_by_label_contains("(150 from the cache)");
}

#[test]
fn a_split_pass_compares_training_against_validation_in_shares() {
    // 8 images of two classes, 25% validation: Keras's split (no shuffle) takes the last 2 files.
    let dir = tempfile::tempdir().unwrap();
    for (i, class) in ["cat", "cat", "cat", "cat", "dog", "dog", "dog", "dog"]
        .iter()
        .enumerate()
    {
        let v = (i * 30) as u8;
        let img = RgbImage::from_fn(6 + i as u32, 6, |_, _| Rgb([v, v, v]));
        save_png(dir.path(), &format!("{class}/{i}.png"), &img);
    }
    let mut s = settings();
    s.load.plan.validation_split = Some(0.25);
    s.load.plan.seed = Some(1);
    let mut h = harness_with(dir.path(), s);
    run_health(&mut h);
    show_section(&mut h, "Training vs validation");
    h.get_by_label_contains("Training against validation: 6 and 2 samples.");
    h.get_by_label("Share of each side per class (%)");
    h.get_by_label("Brightness (mean luma, 0–255): share per bin (%)");
    let app = h.state();
    let compare = app
        .health
        .result
        .as_ref()
        .unwrap()
        .compare
        .as_ref()
        .unwrap();
    assert_eq!(compare.totals, [6, 2]);
    // Training: the 4 cats and dogs 4, 5; validation: dogs 6, 7.
    assert_eq!(
        compare.classes,
        [("cat".to_owned(), [4, 0]), ("dog".to_owned(), [2, 2])]
    );
    // Each side's original sizes, as measured: widths 6..=11, height 6.
    assert_eq!(
        compare.sizes,
        [
            (6..12).map(|w| (w, 6)).collect::<Vec<_>>(),
            vec![(12, 6), (13, 6)],
        ]
    );
}
