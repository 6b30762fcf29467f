//! The Gallery (issue 24, items 2 and 3), driven headless through `egui_kittest`: filter, sort and
//! group; select by click, Ctrl-click and Shift-click; relabel, tag and exclude by buttons and keys,
//! undo and redo; the edits' sidecar surviving a reopen; "Write corrections…"; and the same rows
//! as `batchscope list` for the same filter.

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

mod common;

use std::path::Path;

use batchscope::app::{BatchscopeApp, View};
use common::gui::{current, harness, step_until};
use egui::Modifiers;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use image::{Rgb, RgbImage};

/// cat/0..3, dog/0..2, fox/0..1: flat grey images, each of its own brightness (`LUMA`, in file
/// order), so that sorting by brightness has one answer.
const FILES: [(&str, u8); 9] = [
    ("cat/0.png", 120),
    ("cat/1.png", 30),
    ("cat/2.png", 220),
    ("cat/3.png", 90),
    ("dog/0.png", 60),
    ("dog/1.png", 250),
    ("dog/2.png", 10),
    ("fox/0.png", 180),
    ("fox/1.png", 140),
];

fn dataset(root: &Path) {
    for (path, v) in FILES {
        common::save(root, path, &RgbImage::from_pixel(6, 5, Rgb([v, v, v])));
    }
}

/// The Gallery on `root`, its edits kept under `data`, with the first sample set shown.
fn gallery(root: &Path, data: &Path) -> Harness<'static, BatchscopeApp> {
    let mut h = harness(root);
    h.state_mut().gallery.data_dir = Some(data.to_path_buf());
    step_until(&mut h, "the first batch", |app| current(app) == Some(0));
    h.get_by_label("Gallery").click();
    step_until(&mut h, "the gallery", |app| {
        app.view == View::Gallery && app.gallery.total == FILES.len()
    });
    h.run_steps(2);
    h
}

/// The paths shown, in order.
fn shown(app: &BatchscopeApp) -> Vec<String> {
    let index = &app.session.as_ref().unwrap().ready().unwrap().index;
    app.gallery
        .shown
        .iter()
        .map(|&s| index.samples[s].rel_path.to_string_lossy().into_owned())
        .collect()
}

/// Waits for the query to rerun after a change, until `done` holds.
fn settle(h: &mut Harness<'static, BatchscopeApp>, what: &str, done: impl Fn(&[String]) -> bool) {
    step_until(h, what, |app| done(&shown(app)));
    h.run_steps(2);
}

#[test]
fn the_gallery_filters_sorts_and_groups_every_planned_sample() {
    let dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    dataset(dir.path());
    let mut h = gallery(dir.path(), data.path());
    h.get_by_label("showing 9 of 9");
    assert_eq!(shown(h.state()), FILES.map(|(p, _)| p));
    // Every tile lies left of the side panel.
    let side = h
        .get_all_by_label("Labels")
        .map(|n| n.rect().left())
        .fold(0.0, f32::max);
    assert!(side > 640.0, "the side panel's Labels tab at {side}");
    for path in FILES.map(|(p, _)| p) {
        let tile = h.get_by_label(&format!("sample {path}")).rect();
        assert!(tile.right() < side, "{path}: {tile:?} beyond {side}");
    }

    // Class: two of three, OR within the kind.
    h.get_by_label("Class: all").click();
    h.run_steps(2);
    h.get_by_role_and_label(egui::accesskit::Role::CheckBox, "dog")
        .click();
    h.run_steps(2);
    h.get_by_role_and_label(egui::accesskit::Role::CheckBox, "fox")
        .click();
    settle(&mut h, "dog and fox", |s| s.len() == 5);
    assert_eq!(
        shown(h.state()),
        [
            "dog/0.png",
            "dog/1.png",
            "dog/2.png",
            "fox/0.png",
            "fox/1.png"
        ]
    );
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    h.get_by_label("showing 5 of 9");

    // AND with a path substring; then a glob.
    h.get_by_label("Class: 2 of 3");
    h.state_mut().gallery.path_text = "/1".into();
    h.state_mut().gallery.refresh();
    settle(&mut h, "dog and fox, /1", |s| s.len() == 2);
    assert_eq!(shown(h.state()), ["dog/1.png", "fox/1.png"]);
    h.state_mut().gallery.path_text = "*/[02].png".into();
    h.state_mut().gallery.refresh();
    settle(&mut h, "glob", |s| s.len() == 3);
    assert_eq!(shown(h.state()), ["dog/0.png", "dog/2.png", "fox/0.png"]);

    // Nothing passes: said, not an empty grid.
    h.state_mut().gallery.path_text = "no such file".into();
    h.state_mut().gallery.refresh();
    settle(&mut h, "nothing", <[String]>::is_empty);
    h.get_by_label("No sample passes these filters");
    h.get_by_label("showing 0 of 9");

    h.get_by_label("Clear filters").click();
    settle(&mut h, "everything again", |s| s.len() == 9);

    // Sort by path, descending; ties keep dataset order (class sort: within a class, file order).
    h.state_mut().gallery.query.sort = batchscope::query::SortKey::Path;
    h.state_mut().gallery.query.descending = true;
    h.state_mut().gallery.refresh();
    settle(&mut h, "path descending", |s| {
        s.first().map(String::as_str) == Some("fox/1.png")
    });
    let mut expected: Vec<&str> = FILES.iter().map(|(p, _)| *p).collect();
    expected.reverse();
    assert_eq!(shown(h.state()), expected);

    // Brightness needs the health pass: the key is there once it has run.
    h.get_by_label("Health").click();
    step_until(&mut h, "the health pass", |app| {
        app.health.result.is_some() && !app.health.is_running()
    });
    // The top bar's Gallery (the Health view has Gallery links of its own).
    h.get_all_by_label("Gallery").next().unwrap().click();
    h.state_mut().gallery.query.sort = batchscope::query::SortKey::Brightness;
    h.state_mut().gallery.query.descending = false;
    h.state_mut().gallery.refresh();
    settle(&mut h, "darkest first", |s| {
        s.first().map(String::as_str) == Some("dog/2.png")
    });
    let mut by_luma = FILES.to_vec();
    by_luma.sort_by_key(|&(_, v)| v);
    assert_eq!(
        shown(h.state()),
        by_luma.iter().map(|(p, _)| *p).collect::<Vec<_>>()
    );

    // Group by class: a row per class with its count, expandable; the sort holds within a class.
    h.get_by_label("group by class").click();
    h.run_steps(2);
    h.get_by_label("+ cat (4)");
    h.get_by_label("+ dog (3)");
    h.get_by_label("+ fox (2)");
    assert!(h.query_by_label("sample cat/1.png").is_none());
    h.get_by_label("+ dog (3)").click();
    h.run_steps(3);
    h.get_by_label("- dog (3)");
    for path in ["dog/0.png", "dog/1.png", "dog/2.png"] {
        h.get_by_label(&format!("sample {path}"));
    }
    assert!(h.query_by_label("sample cat/1.png").is_none());
}

#[test]
fn selecting_relabelling_tagging_excluding_and_undo_write_a_sidecar_and_corrections() {
    let dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    dataset(dir.path());
    let mut h = gallery(dir.path(), data.path());

    // Click: one; Ctrl-click: add; Shift-click: the range from the last clicked.
    h.get_by_label("sample cat/1.png").click();
    h.run_steps(2);
    assert_eq!(selected(h.state()), ["cat/1.png"]);
    h.get_by_label("sample cat/3.png")
        .click_modifiers(Modifiers::COMMAND);
    h.run_steps(2);
    assert_eq!(selected(h.state()), ["cat/1.png", "cat/3.png"]);
    h.get_by_label("sample dog/1.png")
        .click_modifiers(Modifiers::SHIFT);
    h.run_steps(2);
    assert_eq!(selected(h.state()), ["cat/3.png", "dog/0.png", "dog/1.png"]);
    h.get_by_label("3 selected");
    // A plain click opened the inspector on its sample.
    assert!(h.state().inspector.is_some());

    // Key 2 sets the second class (dog); cat/3 becomes a dog, the dogs stay as they are.
    h.key_press(egui::Key::Num2);
    h.run_steps(2);
    assert_eq!(
        edit(h.state(), "cat/3.png"),
        Some((Some("dog".into()), false, vec![]))
    );
    assert_eq!(edit(h.state(), "dog/0.png"), None);
    // X excludes, a tag from the field.
    h.key_press(egui::Key::X);
    h.run_steps(2);
    assert_eq!(edit(h.state(), "dog/1.png"), Some((None, true, vec![])));
    h.state_mut().gallery.tag_text = "check".into();
    h.get_by_label("Add tag").click();
    h.run_steps(2);
    assert_eq!(
        edit(h.state(), "cat/3.png"),
        Some((Some("dog".into()), true, vec!["check".into()]))
    );

    // Undo takes the tag away, Ctrl+Z the exclusion; redo puts the exclusion back.
    h.get_by_label("Undo").click();
    h.run_steps(2);
    assert_eq!(
        edit(h.state(), "cat/3.png"),
        Some((Some("dog".into()), true, vec![]))
    );
    h.key_press_modifiers(Modifiers::COMMAND, egui::Key::Z);
    h.run_steps(2);
    assert_eq!(
        edit(h.state(), "cat/3.png"),
        Some((Some("dog".into()), false, vec![]))
    );
    assert_eq!(edit(h.state(), "dog/1.png"), None);
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, egui::Key::Z);
    h.run_steps(2);
    assert_eq!(edit(h.state(), "dog/1.png"), Some((None, true, vec![])));

    // The tag filter offers the tags in use; tag again, then filter on it.
    h.state_mut().gallery.tag_text = "check".into();
    h.get_by_label("Add tag").click();
    h.run_steps(2);
    h.state_mut().gallery.query.tags = vec!["check".into()];
    h.state_mut().gallery.refresh();
    settle(&mut h, "tagged", |s| s.len() == 3);
    assert_eq!(shown(h.state()), ["cat/3.png", "dog/0.png", "dog/1.png"]);

    // Write corrections…: the exact file.
    let out = dir.path().parent().unwrap().join("written-corrections.csv");
    h.state_mut().gallery.corrections_path = out.display().to_string();
    h.get_by_label("Write corrections…").click();
    h.run_steps(2);
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "path,old_class,new_class,exclude,tags\n\
         cat/3.png,cat,dog,1,check\n\
         dog/0.png,dog,,1,check\n\
         dog/1.png,dog,,1,check\n"
    );
    let _ = std::fs::remove_file(&out);

    // The sidecar holds them: a new viewer on the same dataset has them back.
    drop(h);
    let h = gallery(dir.path(), data.path());
    assert_eq!(
        edit(h.state(), "cat/3.png"),
        Some((Some("dog".into()), true, vec!["check".into()]))
    );
    assert_eq!(h.state().gallery.edits.len(), 3);
    // Nothing was written inside the dataset.
    let mut files: Vec<String> = walk(dir.path());
    files.sort();
    assert_eq!(files, FILES.map(|(p, _)| p));
}

#[test]
fn the_gallery_and_list_give_the_same_rows_for_the_same_filter() {
    let dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    dataset(dir.path());
    let mut h = gallery(dir.path(), data.path());
    h.state_mut().gallery.query.classes = vec![0, 2];
    h.state_mut().gallery.query.sort = batchscope::query::SortKey::Path;
    h.state_mut().gallery.query.descending = true;
    h.state_mut().gallery.path_text = "*[13].png".into();
    h.state_mut().gallery.refresh();
    settle(&mut h, "the filter", |s| s.len() == 3);
    let out = common::batchscope(&[
        "list",
        dir.path().to_str().unwrap(),
        "--class",
        "cat",
        "--class",
        "fox",
        "--path",
        "*[13].png",
        "--sort",
        "path",
        "--desc",
        "--format",
        "csv",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().to_owned())
        .collect();
    assert_eq!(listed, shown(h.state()));
    assert_eq!(listed, ["fox/1.png", "cat/3.png", "cat/1.png"]);
}

/// The selected samples' paths, in dataset order.
fn selected(app: &BatchscopeApp) -> Vec<String> {
    let index = &app.session.as_ref().unwrap().ready().unwrap().index;
    app.gallery
        .selected
        .iter()
        .map(|&s| index.samples[s].rel_path.to_string_lossy().into_owned())
        .collect()
}

/// A sample's edit: new class, excluded, tags.
fn edit(app: &BatchscopeApp, path: &str) -> Option<(Option<String>, bool, Vec<String>)> {
    app.gallery.edits.get(path).map(|e| {
        (
            e.new_class.clone(),
            e.exclude,
            e.tags.iter().cloned().collect(),
        )
    })
}

/// Every file under `root`, relative, with `/`.
fn walk(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let rel = path.strip_prefix(root).unwrap();
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out
}

#[test]
fn a_health_finding_opens_the_gallery_filtered_to_its_images() {
    let dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    dataset(dir.path());
    // Two exact copies: a duplicate group the Health view links to the Gallery.
    common::save(
        dir.path(),
        "fox/2.png",
        &RgbImage::from_pixel(6, 5, Rgb([140, 140, 140])),
    );
    let mut h = harness(dir.path());
    h.state_mut().gallery.data_dir = Some(data.path().to_path_buf());
    step_until(&mut h, "the first batch", |app| current(app) == Some(0));
    h.get_by_label("Health").click();
    step_until(&mut h, "the health pass", |app| {
        app.health.result.is_some() && !app.health.is_running()
    });
    h.run_steps(2);
    // Flat images are near copies of each other too: the exact pair is the first group.
    let groups = &h
        .state()
        .health
        .result
        .as_ref()
        .unwrap()
        .findings
        .duplicates;
    assert_eq!(groups[0].samples, [8, 9], "{groups:?}");
    // Links: the top bar's Gallery, the Duplicates header's, then one per group.
    let links: Vec<_> = h.get_all_by_label("Gallery").collect();
    assert_eq!(links.len(), 2 + groups.len());
    links[2].click();
    step_until(&mut h, "the gallery of the duplicates", |app| {
        app.view == View::Gallery && app.gallery.shown.len() == 2
    });
    assert_eq!(shown(h.state()), ["fox/1.png", "fox/2.png"]);
    h.run_steps(2);
    h.get_by_label("Health: duplicate group 1");
    h.get_by_label("showing 2 of 10");
}

/// Issue 24: the Gallery on a million samples — filter-and-sort time, frame time while scrolling,
/// thumbnail memory — measured by hand, not asserted (tests do not time things). Run it with
/// `cargo test --test gui_gallery -- --ignored --nocapture million` (a debug build: an upper bound).
#[test]
#[ignore = "a measurement, run by hand"]
fn million_samples_filtered_sorted_scrolled_and_grouped() {
    const N: usize = 1_000_000;
    const CLASSES: usize = 1000;
    const FRAMES: u32 = 300;
    let dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let path = dir.path().join("million.npz");
    write_npz(&path, N, CLASSES);
    let mut h = harness(&path);
    h.state_mut().gallery.data_dir = Some(data.path().to_path_buf());
    step_until(&mut h, "the first batch", |app| current(app) == Some(0));
    h.get_by_label("Gallery").click();
    step_until(&mut h, "the gallery", |app| app.gallery.total == N);
    h.run_steps(3);
    let first = h.state().gallery.query_ms;
    let table = h.state().gallery.table_ms;

    // Filter and sort: ten classes, a path glob, sorted by path descending.
    let mut times = Vec::new();
    for round in 0..5u32 {
        let g = &mut h.state_mut().gallery;
        g.query.classes = (round..round + 10).collect();
        g.path_text = "*#*7".into();
        g.query.sort = batchscope::query::SortKey::Path;
        g.query.descending = true;
        g.refresh();
        h.step();
        times.push(h.state().gallery.query_ms);
    }
    let shown = h.state().gallery.shown.len();
    println!(
        "gallery, {N} samples: table built in {table:.1} ms, all shown in {first:.1} ms; 10 classes AND path glob, sorted by path descending ({shown} shown): {} ms",
        times
            .iter()
            .map(|t| format!("{t:.1}"))
            .collect::<Vec<_>>()
            .join(", ")
    );

    // Scrolling the whole set: a wheel event a frame over the grid.
    let g = &mut h.state_mut().gallery;
    g.query = batchscope::query::Query::default();
    g.path_text.clear();
    g.refresh();
    h.run_steps(5);
    let thread_cpu_ms = || {
        let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
        t.tv_sec as f64 * 1e3 + t.tv_nsec as f64 / 1e6
    };
    let scroll = |h: &mut Harness<'static, BatchscopeApp>| {
        h.event(egui::Event::PointerMoved(egui::pos2(640.0, 500.0)));
        h.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta: egui::vec2(0.0, -400.0),
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Unknown,
            modifiers: Modifiers::NONE,
        });
    };
    let measure = |h: &mut Harness<'static, BatchscopeApp>, what: &str| {
        let (mut wall, mut cpu): (Vec<f64>, Vec<f64>) = (0..FRAMES)
            .map(|_| {
                scroll(h);
                let (started, cpu_started) = (std::time::Instant::now(), thread_cpu_ms());
                h.step();
                (
                    started.elapsed().as_secs_f64() * 1e3,
                    thread_cpu_ms() - cpu_started,
                )
            })
            .unzip();
        for (kind, ms) in [("wall", &mut wall), ("UI thread CPU", &mut cpu)] {
            ms.sort_by(f64::total_cmp);
            println!(
                "gallery, {N} samples, {what}, {FRAMES} frames scrolling, {kind}: mean {:.2} ms, median {:.2} ms, p95 {:.2} ms, max {:.2} ms per frame",
                ms.iter().sum::<f64>() / f64::from(FRAMES),
                ms[ms.len() / 2],
                ms[ms.len() * 95 / 100],
                ms[ms.len() - 1]
            );
        }
        let (held, bytes) = h.state().gallery.thumbs.held();
        println!(
            "gallery thumbnails held: {held} ({:.1} MiB; budget {:.1} MiB beyond those in view)",
            bytes as f64 / 1_048_576.0,
            batchscope::app::gallery::THUMB_BUDGET_BYTES as f64 / 1_048_576.0
        );
    };
    // The same frames in the Batches view, for what the rest of the window costs.
    h.get_all_by_label("Batches").next().unwrap().click();
    h.run_steps(3);
    measure(&mut h, "Batches view (for comparison)");
    h.get_all_by_label("Gallery").next().unwrap().click();
    h.run_steps(3);
    measure(&mut h, "one grid");
    // Group by class, every class expanded.
    let g = &mut h.state_mut().gallery;
    g.group_by_class = true;
    g.expanded = (0..CLASSES as u32).collect();
    h.run_steps(3);
    measure(&mut h, "grouped by class, 1,000 classes expanded");
}

/// An `.npz` of `(n, 8, 8, 3)` uint8 images and `(n,)` int64 labels of `classes` classes, stored.
fn write_npz(path: &Path, n: usize, classes: usize) {
    use std::io::Write as _;
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let stored = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(true);
    zip.start_file("x.npy", stored).unwrap();
    zip.write_all(&batchscope::npy::header(
        batchscope::npy::NpyDtype::U8,
        &[n, 8, 8, 3],
    ))
    .unwrap();
    let row: Vec<u8> = (0..192u32).map(|i| (i * 7 % 256) as u8).collect();
    for i in 0..n {
        let mut r = row.clone();
        r[0] = (i % 251) as u8;
        zip.write_all(&r).unwrap();
    }
    zip.start_file("y.npy", stored).unwrap();
    zip.write_all(&batchscope::npy::header(
        batchscope::npy::NpyDtype::I64,
        &[n],
    ))
    .unwrap();
    for i in 0..n {
        zip.write_all(&((i * 7919 % classes) as u64).to_le_bytes())
            .unwrap();
    }
    zip.finish().unwrap();
}
