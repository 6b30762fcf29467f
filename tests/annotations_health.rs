//! Health, `list` and the viewer on an annotated dataset with one flaw of each kind planted (built
//! by hand on an image folder until the annotated sources land): the health JSON and summary name
//! exactly the planted samples and objects, `list` and the Gallery filter by object class and count
//! to the exact samples, and the Health view's object plots exist and fit their panel.
#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use batchscope::cli::{self, Cli, Command, Failure};
use batchscope::health::{self, ScanOptions, Thresholds};
use batchscope::index::DatasetIndex;
use batchscope::options::{LabelSource, LoadOptions};
use batchscope::source::annotations::Units;
use clap::Parser as _;
use common::annotations::{Annotated, annotate, annotated_folder, size};
use serde_json::{Value, json};

const CLASSES: [&str; 3] = ["person", "car", "dog"];

/// Six 64x48 images, in pixels: `a` holds a duplicate (object 1 of object 0) and an inverted box
/// (object 2), `b` a box past the right edge (object 0) and one 2 pixels wide (object 1), `c` no
/// object, `d` a stated size of 48x64 (swapped), `e` a zero-width box (object 0); `f` is clean.
fn planted() -> Vec<Annotated> {
    let image = |name, objects: Vec<(u32, [f64; 4])>| Annotated {
        name,
        size: size(48, 64),
        stated: Some(size(48, 64)),
        objects,
    };
    vec![
        image(
            "a.png",
            vec![
                (0, [4.0, 4.0, 40.0, 40.0]),
                (0, [4.0, 4.0, 40.0, 41.0]),
                (1, [30.0, 5.0, 20.0, 25.0]),
            ],
        ),
        image(
            "b.png",
            vec![(1, [50.0, 10.0, 70.0, 30.0]), (2, [10.0, 10.0, 12.0, 30.0])],
        ),
        image("c.png", vec![]),
        Annotated {
            stated: Some(size(64, 48)),
            ..image("d.png", vec![(0, [0.0, 0.0, 10.0, 10.0])])
        },
        image(
            "e.png",
            vec![(2, [5.0, 5.0, 5.0, 20.0]), (0, [1.0, 1.0, 30.0, 30.0])],
        ),
        image(
            "f.png",
            vec![(0, [2.0, 2.0, 60.0, 46.0]), (1, [0.0, 0.0, 64.0, 48.0])],
        ),
    ]
}

fn planted_index(root: &Path) -> Arc<DatasetIndex> {
    Arc::new(annotated_folder(root, &CLASSES, Units::Pixels, &planted()))
}

fn parse(args: &[&str]) -> Command {
    Cli::try_parse_from(std::iter::once("batchscope").chain(args.iter().copied()))
        .unwrap()
        .command
        .unwrap()
}

#[test]
fn health_json_names_each_planted_flaw_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let index = planted_index(dir.path());
    let out = dir.path().join("health.json");
    let root = dir.path().to_str().unwrap();
    let Command::Health(args) = parse(&[
        "health",
        root,
        "--labels",
        "none",
        "--no-cache",
        "--json",
        out.to_str().unwrap(),
    ]) else {
        panic!("not health");
    };
    cli::health_of(index, &args, &Arc::new(AtomicBool::new(false))).unwrap();
    let report: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let keys: std::collections::BTreeSet<&str> = report
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "duplicates",
            "leaks",
            "flags",
            "channels",
            "classes",
            "imbalance_ratio",
            "objects"
        ]
        .into()
    );
    let mut objects = report["objects"].clone();
    // The tiny box's share of the image: 2 x 20 pixels of 64 x 48 (to the last bit or so: the
    // check divides each coordinate by the side first).
    let fraction = objects["findings"][3]
        .as_object_mut()
        .unwrap()
        .remove("area_fraction")
        .unwrap();
    assert!(
        (fraction.as_f64().unwrap() - 40.0 / 3072.0).abs() < 1e-15,
        "{fraction}"
    );
    assert_eq!(
        objects["findings"],
        json!([
            {"path": "a.png", "kind": "inverted_box", "object": 2, "class": "car",
             "box": [30.0, 5.0, 20.0, 25.0], "units": "pixels"},
            {"path": "e.png", "kind": "zero_area_box", "object": 0, "class": "dog",
             "box": [5.0, 5.0, 5.0, 20.0], "units": "pixels"},
            {"path": "b.png", "kind": "box_outside_image", "object": 0, "class": "car",
             "box": [50.0, 10.0, 70.0, 30.0], "units": "pixels"},
            {"path": "b.png", "kind": "tiny_box", "object": 1, "class": "dog",
             "box": [10.0, 10.0, 12.0, 30.0], "units": "pixels",
             "width_px": 2.0, "height_px": 20.0},
            {"path": "a.png", "kind": "duplicate_box", "object": 1, "class": "person",
             "box": [4.0, 4.0, 40.0, 41.0], "units": "pixels",
             "duplicate_of": 0, "iou": 1296.0 / 1332.0},
            {"path": "c.png", "kind": "no_objects"},
            {"path": "d.png", "kind": "size_mismatch",
             "stated_size": {"height": 64, "width": 48},
             "decoded_size": {"height": 48, "width": 64}},
        ])
    );
    assert_eq!(
        objects["counts"],
        json!({"non_finite_box": 0, "inverted_box": 1, "zero_area_box": 1,
               "box_outside_image": 1, "tiny_box": 1, "duplicate_box": 1, "no_objects": 1,
               "size_mismatch": 1})
    );
    assert_eq!(
        objects["classes"],
        json!({"person": {"objects": 5, "images": 4}, "car": {"objects": 3, "images": 3},
               "dog": {"objects": 2, "images": 2}})
    );
    assert_eq!(objects["imbalance_ratio"], json!(2.5));
    assert_eq!(
        (&objects["images"], &objects["objects"]),
        (&json!(6), &json!(10))
    );
}

#[test]
fn health_summary_counts_each_kind_and_lists_the_objects() {
    let dir = tempfile::tempdir().unwrap();
    let index = planted_index(dir.path());
    let mut options = LoadOptions::default();
    options.index.labels = LabelSource::None;
    let scan = health::scan(
        index,
        &options,
        &ScanOptions { cache_dir: None },
        &mut |_| {},
        &Arc::new(AtomicBool::new(false)),
    )
    .unwrap();
    let findings = health::analyze(&scan, &Thresholds::default());
    let text = health::report::text(&scan, &findings, 10, 10);
    for line in [
        "objects: 10 in 6 annotated images; non_finite_box 0 inverted_box 1 zero_area_box 1 box_outside_image 1 tiny_box 1 duplicate_box 1 no_objects 1 size_mismatch 1",
        "objects per class: person 5, car 3, dog 2",
        "object imbalance ratio (largest / smallest): 2.50",
        "  inverted_box: a.png object 2 (car) [30, 5, 20, 25] pixels",
        "  tiny_box: b.png object 1 (dog) [10, 10, 12, 30] pixels, 2.0 px wide, 20.0 px high, 1.3021% of the image",
        "  duplicate_box: a.png object 1 (person) [4, 4, 40, 41] pixels, IoU 0.973 with object 0",
        "  zero_area_box: e.png object 0 (dog) [5, 5, 5, 20] pixels",
        "  box_outside_image: b.png object 0 (car) [50, 10, 70, 30] pixels",
        "  no_objects: c.png",
        "  size_mismatch: d.png, stated 64x48, decoded 48x64 (height x width)",
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} not in\n{text}");
    }
}

/// `batchscope list ARGS` of `index` (its folder), or the usage error.
fn list(index: &Arc<DatasetIndex>, args: &[&str]) -> Result<String, String> {
    let root = index.root.to_str().unwrap().to_owned();
    let mut all = vec!["list", root.as_str(), "--labels", "none"];
    all.extend(args);
    let Command::List(args) = parse(&all) else {
        panic!("not list");
    };
    cli::list_text(index, &args, &Arc::new(AtomicBool::new(false))).map_err(|e| match e {
        Failure::Usage(message) => message,
        other => panic!("{other:?}"),
    })
}

#[test]
fn list_filters_by_object_class_and_count_to_the_exact_samples() {
    let dir = tempfile::tempdir().unwrap();
    let index = planted_index(dir.path());
    let csv = |args: &[&str]| {
        let mut all = vec!["--format", "csv"];
        all.extend(args);
        list(&index, &all).unwrap()
    };
    assert_eq!(
        csv(&["--object-class", "dog"]),
        "index,path,label,class_name,subset,num_objects\n1,b.png,,,,2\n4,e.png,,,,2\n"
    );
    let paths = |args: &[&str]| -> Vec<String> {
        csv(args)
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(1).unwrap().to_owned())
            .collect()
    };
    assert_eq!(paths(&["--objects", "0"]), ["c.png"]);
    assert_eq!(
        paths(&["--object-class", "car", "--objects", "3.."]),
        ["a.png"]
    );
    assert_eq!(
        paths(&[
            "--object-class",
            "person",
            "--object-class",
            "dog",
            "--objects",
            "..1"
        ]),
        ["d.png"]
    );
    assert_eq!(
        paths(&["--objects", "1..2", "--sort", "num_objects", "--desc"]),
        ["b.png", "e.png", "f.png", "d.png"]
    );
    let json: Value = serde_json::from_str(
        &list(&index, &["--format", "json", "--object-class", "car"]).unwrap(),
    )
    .unwrap();
    assert_eq!(
        json.as_array()
            .unwrap()
            .iter()
            .map(|row| (row["path"].clone(), row["num_objects"].clone()))
            .collect::<Vec<_>>(),
        [
            (json!("a.png"), json!(3)),
            (json!("b.png"), json!(2)),
            (json!("f.png"), json!(2))
        ]
    );
    assert_eq!(
        list(&index, &["--object-class", "cow"]).unwrap_err(),
        r#"--object-class "cow" is not an object class of this dataset; its object classes are "person", "car", "dog""#
    );
    // A folder without annotations refuses the object filters, saying why.
    let plain = dir.path().join("plain");
    std::fs::create_dir(&plain).unwrap();
    common::pattern(8, 8, 1).save(plain.join("x.png")).unwrap();
    let plain = Arc::new(
        common::open_dataset(
            &plain,
            &batchscope::options::IndexOptions {
                labels: LabelSource::None,
                ..Default::default()
            },
        )
        .unwrap(),
    );
    assert_eq!(
        list(&plain, &["--objects", "1"]).unwrap_err(),
        "filtering on the object count needs a dataset that annotates objects (boxes or masks), and this one does not"
    );
    assert!(
        list(&plain, &["--object-class", "car"])
            .unwrap_err()
            .starts_with(r#"--object-class "car" needs a dataset that annotates objects"#)
    );
}

mod viewer {
    use batchscope::app::health_panel::Section;
    use batchscope::app::{BatchscopeApp, Settings, View};
    use common::gui::{harness_with, step_until};
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable as _;

    use super::*;

    /// The app on the planted folder, its dataset annotated as a detection source would.
    fn opened(root: &Path) -> Harness<'static, BatchscopeApp> {
        annotated_folder(root, &CLASSES, Units::Pixels, &planted());
        let mut settings = Settings::default();
        settings.load.plan.batch_size = 4;
        settings.load.index.labels = LabelSource::None;
        let mut h = harness_with(root, settings);
        step_until(&mut h, "the dataset", |app| {
            app.session.as_ref().is_some_and(|s| s.ready().is_some())
        });
        h.state_mut()
            .session
            .as_mut()
            .unwrap()
            .annotate_for_tests(|index| annotate(index, &CLASSES, Units::Pixels, &planted()));
        h
    }

    #[test]
    fn health_view_lists_the_findings_and_plots_boxes_per_class_within_its_panel() {
        let dir = tempfile::tempdir().unwrap();
        let mut h = opened(dir.path());
        h.state_mut().view = View::Health;
        step_until(&mut h, "the health pass", |app| app.health.result.is_some());
        // The findings come first when there are no duplicates or flags.
        assert_eq!(h.state().health.section, Section::Objects);
        h.get_by_label("inverted_box 1 · zero_area_box 1 · box_outside_image 1 · tiny_box 1 · duplicate_box 1 · no_objects 1 · size_mismatch 1");
        h.get_by_label("10 objects in 6 annotated images · 7 annotation findings");
        assert!(h.state().inspector.is_none());
        let line =
            h.get_by_label("box_outside_image: b.png object 0 (car) [50, 10, 70, 30] pixels");
        assert!(
            h.ctx.content_rect().contains_rect(line.rect()),
            "{:?}",
            line.rect()
        );
        line.click();
        h.run_steps(3);
        assert!(h.state().inspector.is_some());

        h.get_by_label("Statistics").click();
        h.run_steps(3);
        let panel = h.ctx.content_rect();
        // Each, scrolled into view, is wholly in the window (150 points tall with its axes; the
        // plot area is a little less).
        let mut plots = Vec::new();
        for label in ["objects per class plot", "box size plot", "box aspect plot"] {
            h.get_by_label(label).scroll_to_me();
            h.run_steps(3);
            let rect = h.get_by_label(label).rect();
            assert!(
                rect.width() > 300.0 && rect.height() > 120.0 && panel.contains_rect(rect),
                "{label}: {rect:?} in {panel:?}"
            );
            plots.push(rect);
        }
        let (size, aspect) = (
            h.get_by_label("box size plot").rect(),
            h.get_by_label("box aspect plot").rect(),
        );
        // Size and aspect side by side, below the objects per class.
        assert!(
            (size.top() - aspect.top()).abs() < 1.0,
            "{size:?} {aspect:?}"
        );
        assert!(size.right() <= aspect.left(), "{size:?} {aspect:?}");
        assert!(plots[0].width() > size.width() * 1.5, "{plots:?}");
        // Every box with an area (the inverted and the zero-width ones have none); then only dog's.
        h.get_by_label("8 boxes");
        h.get_by_role_and_label(egui::accesskit::Role::ComboBox, "Boxes of")
            .click();
        h.run_steps(2);
        h.get_by_label("dog").click();
        h.run_steps(3);
        h.get_by_label("1 box");
        let selected = h
            .state()
            .health
            .result
            .as_ref()
            .unwrap()
            .objects
            .as_ref()
            .unwrap()
            .selected;
        assert_eq!(selected, Some(2));

        // The link to the images without objects opens the Gallery on them.
        h.get_by_label("Annotation findings (7)").click();
        h.run_steps(2);
        h.get_by_label("Show the 1 without objects in the Gallery")
            .click();
        step_until(&mut h, "the Gallery on c.png", |app| {
            app.view == View::Gallery && app.gallery.shown == [2]
        });
        assert_eq!(h.state().gallery.objects_text, "0");
    }

    #[test]
    fn gallery_filters_by_object_class_and_count() {
        let dir = tempfile::tempdir().unwrap();
        let mut h = opened(dir.path());
        h.state_mut().view = View::Gallery;
        step_until(&mut h, "the Gallery's table", |app| {
            app.gallery
                .table()
                .is_some_and(batchscope::query::Table::has_objects)
        });
        assert_eq!(h.state().gallery.shown, [0, 1, 2, 3, 4, 5]);
        h.get_by_label("Objects: any").click();
        h.run_steps(2);
        h.get_by_label("dog").click();
        step_until(&mut h, "the dog filter", |app| app.gallery.shown == [1, 4]);
        h.get_by_label("car").click();
        step_until(&mut h, "dog or car", |app| {
            app.gallery.shown == [0, 1, 4, 5]
        });
        // AND the count: 3 or more objects leaves a.png alone.
        h.state_mut().gallery.objects_text = "3..".to_owned();
        h.state_mut().gallery.refresh();
        step_until(&mut h, "dog or car, 3 objects or more", |app| {
            app.gallery.shown == [0]
        });
        h.state_mut().gallery.objects_text = "2..1".to_owned();
        h.state_mut().gallery.refresh();
        step_until(&mut h, "an empty range refused", |app| {
            app.gallery.error.is_some()
        });
        assert_eq!(
            h.state().gallery.error.as_deref(),
            Some(r#""2..1" is an empty object count range: its maximum is below its minimum"#)
        );
    }
}
