//! COCO, YOLO and Pascal VOC folders opened as datasets: detected by content, each image a sample
//! with the objects its annotation states (boxes to the bit, classes by the source's ids, crowd
//! flags, stated sizes, masks), and hostile annotations (missing images, orphan annotations,
//! unknown categories, NaN, bad lines, malformed JSON and XML, a JSON over the size limit) reported
//! by file and reason, dropped samples listed in `skipped.csv`. The fixtures are written here in
//! Rust; the last test has Python (`json`, `xml.etree`, plain text) write all three and state what
//! they hold.

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.
#![allow(clippy::float_cmp)] // Exactness is what these tests assert.

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use batchscope::index::{DatasetIndex, Objects};
use batchscope::options::{IndexOptions, SourceKind};
use batchscope::size::Size;
use batchscope::source::annotations::{self, MaskRef, Units};
use batchscope::source::{self, Limits};
use serde_json::json;

fn open(path: &Path) -> DatasetIndex {
    common::open_dataset(path, &IndexOptions::default()).unwrap()
}

fn open_split(path: &Path, split: &str) -> DatasetIndex {
    let options = IndexOptions {
        split: Some(split.to_owned()),
        ..IndexOptions::default()
    };
    common::open_dataset(path, &options).unwrap()
}

fn open_error(path: &Path, options: &IndexOptions, max_bytes: u64) -> String {
    let never = AtomicBool::new(false);
    let control = batchscope::index::WalkControl {
        on_progress: &|_| {},
        cancel: &never,
    };
    let limits = Limits {
        max_record_bytes: max_bytes,
    };
    source::open_within(path, options, limits, &control)
        .unwrap_err()
        .to_string()
}

fn names(index: &DatasetIndex) -> Vec<String> {
    index
        .samples
        .iter()
        .map(|s| s.rel_path.to_string_lossy().replace('\\', "/"))
        .collect()
}

fn objects(index: &DatasetIndex, i: usize) -> &Objects {
    index.samples[i].objects.as_deref().unwrap()
}

/// `(class, [xmin, ymin, xmax, ymax], crowd)` of each object of sample `i`.
fn boxes(index: &DatasetIndex, i: usize) -> Vec<(u32, [f64; 4], bool)> {
    objects(index, i)
        .objects
        .iter()
        .map(|o| {
            (
                o.class,
                [o.bbox.xmin, o.bbox.ymin, o.bbox.xmax, o.bbox.ymax],
                o.crowd,
            )
        })
        .collect()
}

fn warnings(index: &DatasetIndex) -> Vec<(String, String)> {
    common::index_warnings(index)
        .into_iter()
        .map(|(p, r)| (p.file_name().unwrap().to_string_lossy().into_owned(), r))
        .collect()
}

/// The index's notes (on samples kept as they are) as (file name, reason).
fn notes(index: &DatasetIndex) -> Vec<(String, String)> {
    index
        .notes
        .iter()
        .map(|n| {
            let name = n.path.file_name().unwrap().to_string_lossy().into_owned();
            (name, n.reason.clone())
        })
        .collect()
}

fn png(root: &Path, rel: &str, w: u32, h: u32) -> PathBuf {
    common::write(root, rel, &common::png_bytes(w, h, 7))
}

fn size(height: u32, width: u32) -> Size {
    Size { height, width }
}

/// COCO's own layout: `annotations/instances_val2017.json` and `val2017/`, three images (one
/// without annotations), non-contiguous category ids, a polygon and a crowd RLE in one image.
fn coco_folder(root: &Path) {
    for name in ["a.png", "b.png", "c.png"] {
        png(root, &format!("val2017/{name}"), 8, 6);
    }
    let coco = json!({
        "info": {"description": "test", "year": 2026},
        "licenses": [{"id": 1, "name": "x"}],
        "images": [
            {"id": 42, "file_name": "b.png", "width": 8, "height": 6, "license": 1},
            {"id": 7, "file_name": "a.png", "width": 8, "height": 6},
            {"id": 9, "file_name": "c.png", "width": 8, "height": 6},
        ],
        "annotations": [
            {"id": 1, "image_id": 42, "category_id": 90, "bbox": [1.5, 0.25, 3.0, 2.0],
             "area": 6.0, "iscrowd": 0,
             "segmentation": [[1.0, 1.0, 3.0, 1.0, 3.0, 3.0, 1.0, 3.0]]},
            {"id": 2, "image_id": 42, "category_id": 1, "bbox": [0, 0, 8, 6], "iscrowd": 1,
             "segmentation": {"size": [6, 8], "counts": [42, 3, 3]}},
            {"id": 3, "image_id": 7, "category_id": 18, "bbox": [-1, 2, 4, 5], "iscrowd": 0},
        ],
        "categories": [
            {"id": 1, "name": "person", "supercategory": "p"},
            {"id": 18, "name": "dog"},
            {"id": 90, "name": "toothbrush"},
        ],
    });
    common::write(
        root,
        "annotations/instances_val2017.json",
        coco.to_string().as_bytes(),
    );
}

#[test]
fn coco_objects_are_the_files_numbers_in_the_images_order() {
    let dir = tempfile::tempdir().unwrap();
    coco_folder(dir.path());
    let json = dir.path().join("annotations/instances_val2017.json");
    assert_eq!(source::detect(dir.path()), SourceKind::Coco);
    assert_eq!(source::detect(&json), SourceKind::Coco);
    for index in [open(dir.path()), open(&json)] {
        assert_eq!(index.root, dir.path().join("val2017"));
        assert_eq!(names(&index), ["b.png", "a.png", "c.png"]);
        assert!(!index.labeled && index.class_names.is_empty());
        assert_eq!(index.warnings, []);
        let classes = index.object_classes.as_ref().unwrap();
        assert_eq!(classes.ids, [1, 18, 90]);
        assert_eq!(classes.names, ["person", "dog", "toothbrush"]);
        assert!(classes.has_masks);
        assert_eq!(
            boxes(&index, 0),
            [
                (2, [1.5, 0.25, 4.5, 2.25], false),
                (0, [0.0, 0.0, 8.0, 6.0], true)
            ]
        );
        assert_eq!(boxes(&index, 1), [(1, [-1.0, 2.0, 3.0, 7.0], false)]);
        assert_eq!(boxes(&index, 2), []);
        assert_eq!(objects(&index, 0).units, Units::Pixels);
        assert_eq!(objects(&index, 0).stated_size, Some(size(6, 8)));
        assert_eq!(
            objects(&index, 0).mask,
            Some(MaskRef::PolygonsAndRle(
                vec![(0, vec![vec![1.0, 1.0, 3.0, 1.0, 3.0, 3.0, 1.0, 3.0]])],
                vec![(1, 6, 8, vec![42, 3, 3])],
            ))
        );
        assert_eq!(objects(&index, 1).mask, None);
    }
    // The mask: the polygon covers columns 1..3 of rows 1..3 (class toothbrush, 2 + 1); the crowd's
    // RLE (column-major: 42 background pixels, 7 columns of 6) the first three of column 7 (person,
    // 0 + 1).
    let index = open(dir.path());
    let map = annotations::class_map(&index, 0, size(6, 8), 1 << 20)
        .unwrap()
        .unwrap();
    let mut expected = vec![0u8; 48];
    for (y, x) in [(1, 1), (1, 2), (2, 1), (2, 2)] {
        expected[y * 8 + x] = 3;
    }
    for y in 0..3 {
        expected[y * 8 + 7] = 1;
    }
    assert_eq!(map.values, expected);
}

#[test]
fn coco_split_picks_the_json_among_several() {
    let dir = tempfile::tempdir().unwrap();
    coco_folder(dir.path());
    png(dir.path(), "train2017/t.png", 8, 6);
    let train = json!({
        "images": [{"id": 1, "file_name": "t.png", "width": 8, "height": 6}],
        "annotations": [],
        "categories": [{"id": 3, "name": "car"}],
    });
    common::write(
        dir.path(),
        "annotations/instances_train2017.json",
        train.to_string().as_bytes(),
    );
    let several = open_error(dir.path(), &IndexOptions::default(), 1 << 30);
    assert!(
        several.contains("several COCO JSONs (train2017, val2017): --split says which"),
        "{several}"
    );
    let index = open_split(dir.path(), "train2017");
    assert_eq!(index.root, dir.path().join("train2017"));
    assert_eq!(names(&index), ["t.png"]);
    assert_eq!(index.object_classes.unwrap().names, ["car"]);
    assert_eq!(names(&open_split(dir.path(), "val2017")).len(), 3);
}

/// A COCO file beside its images with every kind of bad annotation.
fn hostile_coco(root: &Path) -> PathBuf {
    for name in ["ok.png", "dup.png", "badbox.png", "nobox.png"] {
        png(root, name, 4, 4);
    }
    let coco = json!({
        "images": [
            {"id": 1, "file_name": "ok.png", "width": 4, "height": 4},
            {"id": 2, "file_name": "gone.png", "width": 4, "height": 4},
            {"id": 1, "file_name": "dup.png"},
            {"id": 3, "file_name": "badbox.png"},
            {"id": 4, "file_name": "nobox.png"},
            {"id": 5, "file_name": "../outside.png"},
        ],
        "annotations": [
            {"id": 10, "image_id": 1, "category_id": 7, "bbox": [0, 0, 2, 2]},
            {"id": 11, "image_id": 99, "category_id": 1, "bbox": [0, 0, 1, 1]},
            {"id": 12, "image_id": 3, "category_id": 1, "bbox": [0, 0, 1]},
            {"id": 13, "image_id": 4, "category_id": 1},
            {"id": 14, "image_id": 98, "category_id": 1, "bbox": [0, 0, 1, 1]},
        ],
        "categories": [{"id": 1, "name": "cat"}],
    });
    common::write(root, "data.json", coco.to_string().as_bytes())
}

#[test]
fn coco_bad_annotations_drop_their_images_by_name_and_reach_skipped_csv() {
    let dir = tempfile::tempdir().unwrap();
    let json = hostile_coco(&dir.path().join("set"));
    let index = open(&dir.path().join("set"));
    assert_eq!(names(&index), ["ok.png"]);
    assert_eq!(boxes(&index, 0), [(1, [0.0, 0.0, 2.0, 2.0], false)]);
    let classes = index.object_classes.clone().unwrap();
    assert_eq!(classes.ids, [1, 7]);
    assert_eq!(classes.names, ["cat", "class 7"]);
    // Kept, with a note: the export lists it in warnings.csv, not skipped.csv.
    let unknown = "annotations refer to 1 category id(s) that `categories` does not list (7): kept as classes named \"class <id>\"";
    assert_eq!(
        notes(&index),
        [("data.json".to_owned(), unknown.to_owned())]
    );
    let expected = [
        (
            "data.json",
            "image id 5: the image name \"../outside.png\" is not a path inside the image folder",
        ),
        (
            "data.json",
            "2 annotation(s) refer to image ids that `images` does not list, and are not read: annotation id 11 (image id 99), annotation id 14 (image id 98)",
        ),
        (
            "dup.png",
            "image id 1 is listed twice (first as \"ok.png\"); this one is left out",
        ),
        (
            "badbox.png",
            "annotation id 12's bbox is [0.0, 0.0, 1.0], not four finite numbers [x, y, w, h]",
        ),
        ("nobox.png", "annotation id 13 has no bbox"),
        ("gone.png", "listed in \"data.json\" but missing"),
    ];
    let got = warnings(&index);
    assert_eq!(
        got,
        expected
            .iter()
            .map(|(p, r)| ((*p).to_owned(), (*r).to_owned()))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        index.warnings[5].path,
        json.parent().unwrap().join("gone.png")
    );
    // The export lists every one of them in skipped.csv, and exports the one good image.
    let out = dir.path().join("out");
    let report = common::export_source(&json, &out, IndexOptions::default()).unwrap();
    let _ = report;
    let skipped = common::skipped(&out);
    let reasons: Vec<&str> = skipped.iter().map(|row| row[1].as_str()).collect();
    for (_, reason) in expected {
        assert!(
            reasons.iter().any(|r| r.contains(reason)),
            "{reason} not in {skipped:?}"
        );
    }
    assert!(!reasons.contains(&unknown), "{skipped:?}");
    let warned = std::fs::read_to_string(out.join("warnings.csv")).unwrap();
    assert_eq!(
        warned,
        format!(
            "path,reason\n{},\"{}\"\n",
            json.display(),
            unknown.replace('"', "\"\"")
        )
    );
    assert_eq!(
        common::read_npy(&out.join("images.npy")).shape,
        [1, 4, 4, 3]
    );
}

#[test]
fn coco_images_naming_one_file_twice_keep_the_first_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let set = dir.path().join("set");
    for name in ["a.png", "b.png"] {
        png(&set, name, 4, 4);
    }
    let coco = json!({
        "images": [
            {"id": 7, "file_name": "a.png"},
            {"id": 8, "file_name": "b.png"},
            {"id": 9, "file_name": "./a.png"},
            {"id": 10, "file_name": "b.png"},
        ],
        "annotations": [
            {"id": 1, "image_id": 7, "category_id": 1, "bbox": [0, 0, 1, 1]},
            {"id": 2, "image_id": 9, "category_id": 1, "bbox": [0, 0, 2, 2]},
            {"id": 3, "image_id": 10, "category_id": 1, "bbox": [0, 0, 3, 3]},
        ],
        "categories": [{"id": 1, "name": "x"}],
    });
    let json = common::write(&set, "data.json", coco.to_string().as_bytes());
    let index = open(&json);
    assert_eq!(names(&index), ["a.png", "b.png"]);
    assert_eq!(boxes(&index, 0), [(0, [0.0, 0.0, 1.0, 1.0], false)]);
    assert_eq!(boxes(&index, 1), []);
    assert_eq!(
        common::index_warnings(&index),
        [
            (
                json.clone(),
                "image id 9 names \"./a.png\", as image id 7 does; this one and its annotations are left out"
                    .to_owned()
            ),
            (
                json.clone(),
                "image id 10 names \"b.png\", as image id 8 does; this one and its annotations are left out"
                    .to_owned()
            ),
        ]
    );
    // The export lists them in skipped.csv under the JSON's path.
    let out = dir.path().join("out");
    common::export_source(&json, &out, IndexOptions::default()).unwrap();
    let skipped = common::skipped(&out);
    assert_eq!(skipped.len(), 2);
    assert_eq!(skipped[0][0], json.to_string_lossy());
    assert!(skipped[1][1].starts_with("image id 10 names \"b.png\""));
    assert_eq!(common::manifest(&out).len(), 2);
}

#[test]
fn coco_malformed_json_is_refused_with_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let broken = common::write(
        dir.path(),
        "broken/instances_x.json",
        b"{\"images\": [\n  {\"id\": 1, \"file_name\": \"a.png\"},\n  {\"id\": 2,, }\n]}",
    );
    let message = open_error(&broken, &IndexOptions::default(), 1 << 30);
    assert!(
        message.starts_with("not a COCO JSON: line 3 column 12: key must be a string")
            && message.ends_with("instances_x.json\""),
        "{message}"
    );
}

#[test]
fn coco_nan_as_python_writes_it_drops_its_image_with_a_warning() {
    // Python's json.dump writes NaN and Infinity, which are not JSON; pycocotools reads them.
    let dir = tempfile::tempdir().unwrap();
    for name in ["a.png", "b.png", "c.png", "d.png"] {
        png(dir.path(), name, 4, 4);
    }
    // d.png: each number is finite, but beyond where a resize keeps it a float32.
    let text = r#"{"images": [{"id": 1, "file_name": "a.png", "width": NaN, "height": 4},
        {"id": 2, "file_name": "b.png"}, {"id": 3, "file_name": "c.png"},
        {"id": 4, "file_name": "d.png"}],
    "annotations": [
        {"id": 5, "image_id": 1, "category_id": 1, "bbox": [1, 2, 1.5, 1], "name": "NaN -Infinity"},
        {"id": 6, "image_id": 2, "category_id": 1, "bbox": [NaN, 0, 1, 1]},
        {"id": 7, "image_id": 3, "category_id": 1, "bbox": [0, 0, 1, 1],
         "segmentation": [[0, 0, -Infinity, 1, 1, 1]]},
        {"id": 8, "image_id": 4, "category_id": 1, "bbox": [1e308, 5, 1e308, 10]}],
    "categories": [{"id": 1, "name": "x"}]}"#;
    common::write(dir.path(), "instances_x.json", text.as_bytes());
    let index = open(dir.path());
    assert_eq!(names(&index), ["a.png"]);
    assert_eq!(boxes(&index, 0), [(0, [1.0, 2.0, 2.5, 3.0], false)]);
    assert_eq!(objects(&index, 0).stated_size, None);
    assert_eq!(
        warnings(&index),
        [
            (
                "b.png".to_owned(),
                "annotation id 6's bbox is [NaN, 0.0, 1.0, 1.0], not four finite numbers [x, y, w, h]"
                    .to_owned()
            ),
            (
                "c.png".to_owned(),
                "annotation id 7's segmentation holds NaN or infinity".to_owned()
            ),
            (
                "d.png".to_owned(),
                "annotation id 8's bbox [1e308, 5.0, 1e308, 10.0] cannot be placed: xmin is 1e308, beyond ±4.294967296e9, farther than any image reaches"
                    .to_owned()
            ),
        ]
    );
}

/// One value of the wrong JSON type leaves out its annotation's image, not the whole file; ids
/// written as floats (`1.0`, as Python writes a float id) are the whole numbers they are.
#[test]
fn coco_values_of_the_wrong_type_drop_their_image_and_float_ids_are_whole() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["a.png", "b.png", "c.png"] {
        png(dir.path(), name, 4, 4);
    }
    let text = r#"{"images": [{"id": 1.0, "file_name": "a.png"}, {"id": 2, "file_name": "b.png"},
        {"id": 3, "file_name": "c.png"}],
    "annotations": [
        {"id": 5.0, "image_id": 1.0, "category_id": 7.0, "bbox": [1, 2, 1.5, 1]},
        {"id": 6, "image_id": 2, "category_id": 7, "bbox": ["10", 0, 1, {"x": 1}]},
        {"id": 7, "image_id": 3, "category_id": 7, "bbox": [0, 0, 1, 1], "iscrowd": "1"}],
    "categories": [{"id": 7.0, "name": "x"}]}"#;
    common::write(dir.path(), "instances_x.json", text.as_bytes());
    let index = open(dir.path());
    assert_eq!(names(&index), ["a.png"]);
    assert_eq!(boxes(&index, 0), [(0, [1.0, 2.0, 2.5, 3.0], false)]);
    assert_eq!(index.object_classes.as_ref().unwrap().ids, [7]);
    assert_eq!(
        warnings(&index),
        [
            (
                "b.png".to_owned(),
                "annotation id 6's bbox is [\"10\", 0.0, 1.0, {\"x\":1}], not four finite numbers [x, y, w, h]"
                    .to_owned()
            ),
            (
                "c.png".to_owned(),
                "annotation id 7's iscrowd is \"1\", not 0, 1 or a boolean".to_owned()
            ),
        ]
    );
    // An id that is not whole is refused with its line and column.
    let text =
        r#"{"images": [{"id": 1.5, "file_name": "a.png"}], "annotations": [], "categories": []}"#;
    common::write(dir.path(), "instances_x.json", text.as_bytes());
    let err = common::open_dataset(dir.path(), &IndexOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("the id 1.5 is not a whole number") && err.contains("line 1"),
        "{err}"
    );
}

/// When every image is left out for its annotations, the export says so and names the first
/// problem, rather than blaming the folder's layout.
#[test]
fn coco_with_every_image_left_out_says_why_not_where() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["a.png", "b.png"] {
        png(dir.path(), name, 4, 4);
    }
    let text = r#"{"images": [{"id": 1, "file_name": "a.png"}, {"id": 2, "file_name": "b.png"}],
    "annotations": [
        {"id": 5, "image_id": 1, "category_id": 1, "bbox": [NaN, 0, 1, 1]},
        {"id": 6, "image_id": 2, "category_id": 1, "bbox": [0, 0, 1]}],
    "categories": [{"id": 1, "name": "x"}]}"#;
    common::write(dir.path(), "instances_x.json", text.as_bytes());
    let out = dir.path().join("out");
    let run = common::batchscope(&[
        "export",
        dir.path().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("every one was left out, with 2 problem(s) listed; the first: ")
            && stderr.contains("a.png\": annotation id 5's bbox is [NaN, 0.0, 1.0, 1.0]"),
        "{stderr}"
    );
    assert!(!stderr.contains("expected an instances_"), "{stderr}");
    assert!(!out.exists());
}

#[test]
fn coco_polygons_far_outside_or_too_long_to_walk_skip_their_image_not_the_export() {
    // These once aborted the export allocating the outline walk: 1e9 asked for 2 GiB, 1e300
    // overflowed, and a long zigzag (each edge 21 steps at 5x) grew without bound.
    let dir = tempfile::tempdir().unwrap();
    let set = dir.path().join("set");
    for name in ["ok.png", "far.png", "huge.png", "zigzag.png"] {
        png(&set, name, 4, 4);
    }
    let zigzag: Vec<f64> = (0..=50_000)
        .flat_map(|i| if i % 2 == 0 { [0.0, 0.0] } else { [4.0, 3.0] })
        .collect();
    // `images` first, as COCO writes it (detection looks for it in the first 64 KiB).
    let images = json!([
        {"id": 1, "file_name": "ok.png", "width": 4, "height": 4},
        {"id": 2, "file_name": "far.png", "width": 4, "height": 4},
        {"id": 3, "file_name": "huge.png", "width": 4, "height": 4},
        {"id": 4, "file_name": "zigzag.png", "width": 4, "height": 4},
    ]);
    let rest = json!({
        "annotations": [
            // Partly outside, within the image's own size beyond its edges: painted.
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 4, 4],
             "segmentation": [[-4.0, -4.0, 2.0, -4.0, 2.0, 8.0, -4.0, 8.0]]},
            {"id": 2, "image_id": 2, "category_id": 1, "bbox": [0, 0, 4, 4],
             "segmentation": [[0, 0, 1e9, 0, 0, 10]]},
            {"id": 3, "image_id": 3, "category_id": 1, "bbox": [0, 0, 4, 4],
             "segmentation": [[0, 0, 1, 1, 1, 0], [-1e300, 0, 1e300, 0, 0, 10]]},
            {"id": 4, "image_id": 4, "category_id": 1, "bbox": [0, 0, 4, 4],
             "segmentation": [zigzag]},
        ],
        "categories": [{"id": 1, "name": "x"}],
    });
    let coco = format!("{{\"images\": {images}, {}", &rest.to_string()[1..]);
    let json = common::write(&set, "data.json", coco.as_bytes());
    let out = dir.path().join("out");
    let report = common::export_source(&json, &out, IndexOptions::default()).unwrap();
    assert_eq!(report.skipped.len(), 3);
    let in_json = ", in the COCO file \"data.json\"";
    assert_eq!(
        common::skipped(&out),
        [
            vec![
                "far.png".to_owned(),
                format!(
                    "its mask: object 0's polygon 0 has a vertex (1000000000.0, 0.0) more than the image's own size outside the 4x4 image{in_json}"
                ),
            ],
            vec![
                "huge.png".to_owned(),
                format!(
                    "its mask: object 0's polygon 1 has a vertex (-1e300, 0.0) more than the image's own size outside the 4x4 image{in_json}"
                ),
            ],
            vec![
                "zigzag.png".to_owned(),
                format!(
                    "its mask: object 0's polygon 0 has an outline of 1050001 steps at 5x, over the 1048576 left of the walk the 4x4 image allows (32 per pixel, at least 1048576){in_json}"
                ),
            ],
        ]
    );
    // The one good image: its polygon covers columns 0 and 1 of every row (class 0, painted 1).
    let masks = common::read_npy(&out.join("masks.npy"));
    assert_eq!(masks.shape, [1, 4, 4]);
    assert_eq!(masks.data, [1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0]);
}

#[test]
fn coco_json_over_the_limit_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    coco_folder(dir.path());
    let json = dir.path().join("annotations/instances_val2017.json");
    let len = std::fs::metadata(&json).unwrap().len();
    let message = open_error(dir.path(), &IndexOptions::default(), 100);
    assert!(
        message.starts_with(&format!(
            "the COCO JSON is {len} bytes (0.0 GiB), over the 100-byte limit; --max-file-bytes {len} reads it"
        )) && message.ends_with("instances_val2017.json\""),
        "{message}"
    );
    // The command line says it in one line and fails; the flag raises the limit.
    let d = dir.path().to_str().unwrap();
    let refused = common::batchscope(&["inspect", d, "--max-file-bytes", "100"]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("--max-file-bytes"), "{stderr}");
    common::batchscope_ok(&["inspect", d, "--max-file-bytes", &len.to_string()]);
}

/// A YOLO folder with splits: `data.yaml` names as a map, and one label file of each kind.
fn yolo_folder(root: &Path) {
    std::fs::write(
        root.join("data.yaml"),
        "path: .\ntrain: images/train\nval: images/val\nnc: 3\nnames:\n  0: person\n  1: bicycle\n  2: car\n",
    )
    .unwrap();
    for name in ["a", "b", "c", "d", "e", "f", "sub/g"] {
        png(root, &format!("images/train/{name}.png"), 10, 5);
    }
    png(root, "images/val/v.png", 10, 5);
    let label = |name: &str, text: &str| {
        common::write(root, &format!("labels/train/{name}.txt"), text.as_bytes());
    };
    label("a", "0 0.5 0.5 0.25 0.5\n2 0.1 0.2 0.3 0.4\n");
    label("b", "");
    // c has no label file.
    label("d", "1 0.5 0.5 0.2 0.2\n1 0.5 nan 0.2 0.2\n");
    label("e", "\n3 0.5 0.5 0.2 0.2\n");
    label("f", "1 0.1 0.2 0.5 0.1 0.3 0.9\n");
    label("sub/g", "2 -0.1 0.5 0.4 1.2\n");
    common::write(root, "labels/val/v.txt", b"1 0.5 0.5 1 1\n");
}

#[test]
fn yolo_lines_become_normalised_boxes_and_bad_lines_drop_their_image() {
    let dir = tempfile::tempdir().unwrap();
    yolo_folder(dir.path());
    assert_eq!(source::detect(dir.path()), SourceKind::Yolo);
    let index = open(dir.path());
    assert_eq!(index.root, dir.path().join("images/train"));
    assert_eq!(
        names(&index),
        ["a.png", "b.png", "c.png", "f.png", "sub/g.png"]
    );
    let classes = index.object_classes.clone().unwrap();
    assert_eq!(classes.names, ["person", "bicycle", "car"]);
    assert_eq!(classes.ids, [0, 1, 2]);
    assert_eq!(
        boxes(&index, 0),
        [
            (0, [0.5 - 0.125, 0.5 - 0.25, 0.5 + 0.125, 0.5 + 0.25], false),
            (2, [0.1 - 0.15, 0.2 - 0.2, 0.1 + 0.15, 0.2 + 0.2], false),
        ]
    );
    assert_eq!(objects(&index, 0).units, Units::Normalized);
    assert_eq!(objects(&index, 0).stated_size, None);
    assert_eq!(boxes(&index, 1), []);
    assert_eq!(boxes(&index, 2), []);
    assert_eq!(boxes(&index, 3), [(1, [0.1, 0.1, 0.5, 0.9], false)]);
    assert_eq!(
        boxes(&index, 4),
        [(2, [-0.1 - 0.2, 0.5 - 0.6, -0.1 + 0.2, 0.5 + 0.6], false)]
    );
    let root_name = dir
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert_eq!(
        warnings(&index),
        [
            (
                root_name,
                "read split \"train\" of train, val (--split picks another)".to_owned()
            ),
            (
                "d.txt".to_owned(),
                "line 2: holds NaN; its image is left out".to_owned()
            ),
            (
                "e.txt".to_owned(),
                "line 2: class 3 is not below the 3 classes named; its image is left out"
                    .to_owned()
            ),
        ]
    );
    // Kept as they are: notes, not warnings of something left out.
    assert_eq!(
        notes(&index),
        [
            (
                "train".to_owned(),
                "1 image(s) have no label file, and are read as images without objects: c.png"
                    .to_owned()
            ),
            (
                "train".to_owned(),
                "1 segmentation line(s) read as their polygons' bounding boxes (their masks are not drawn)"
                    .to_owned()
            ),
        ]
    );
    let val = open_split(dir.path(), "val");
    assert_eq!(names(&val), ["v.png"]);
    assert_eq!(boxes(&val, 0), [(1, [0.0, 0.0, 1.0, 1.0], false)]);
    assert_eq!(val.warnings, []);
    let message = open_error(
        dir.path(),
        &IndexOptions {
            split: Some("test".into()),
            ..IndexOptions::default()
        },
        1 << 30,
    );
    assert!(
        message.starts_with("no split \"test\" in images/ (the splits are: train, val)"),
        "{message}"
    );
}

#[test]
fn yolo_without_names_counts_classes_to_the_largest_index() {
    let dir = tempfile::tempdir().unwrap();
    png(dir.path(), "images/x.png", 4, 4);
    common::write(dir.path(), "labels/x.txt", b"4 0.5 0.5 0.5 0.5\n");
    let index = open(dir.path());
    let classes = index.object_classes.clone().unwrap();
    assert_eq!(classes.ids, [0, 1, 2, 3, 4]);
    assert_eq!(classes.names[4], "class 4");
    // classes.txt in labels/ names them (labelImg writes it there).
    common::write(dir.path(), "labels/classes.txt", b"a\nb\nc\nd\ne\nf\n");
    let named = open(dir.path());
    assert_eq!(
        named.object_classes.clone().unwrap().names,
        ["a", "b", "c", "d", "e", "f"]
    );
    assert_eq!(boxes(&named, 0), [(4, [0.25, 0.25, 0.75, 0.75], false)]);
}

fn voc_xml(file: &str, objects: &[(&str, [&str; 4])]) -> String {
    use std::fmt::Write as _;
    let mut text = format!(
        "<annotation><folder>VOC2012</folder><filename>{file}</filename><size><width>12</width><height>9</height><depth>3</depth></size>"
    );
    for (name, [x0, y0, x1, y1]) in objects {
        write!(
            text,
            "<object><name>{name}</name><pose>Left</pose><difficult>0</difficult><bndbox><xmin>{x0}</xmin><ymin>{y0}</ymin><xmax>{x1}</xmax><ymax>{y1}</ymax></bndbox></object>"
        )
        .unwrap();
    }
    text + "</annotation>"
}

/// A corner that is a finite number but past float32's range once resized drops its image.
#[test]
fn voc_corner_beyond_any_image_drops_its_image() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for (id, xmax) in [("2007_000001", "11"), ("2007_000002", "1e300")] {
        png(root, &format!("JPEGImages/{id}.png"), 12, 9);
        let text = voc_xml(&format!("{id}.png"), &[("cat", ["1", "1", xmax, "3"])]);
        common::write(root, &format!("Annotations/{id}.xml"), text.as_bytes());
    }
    let index = open(root);
    assert_eq!(names(&index), ["2007_000001.png"]);
    assert_eq!(boxes(&index, 0), [(7, [1.0, 1.0, 11.0, 3.0], false)]);
    assert_eq!(
        warnings(&index),
        [(
            "2007_000002.xml".to_owned(),
            "object 0 (cat): xmax is 1e300, beyond ±4.294967296e9, farther than any image reaches; its image is left out".to_owned()
        )]
    );
}

#[test]
fn voc_objects_classes_splits_and_bad_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for id in ["2007_000001", "2007_000002", "2007_000003", "2007_000004"] {
        png(root, &format!("JPEGImages/{id}.png"), 12, 9);
    }
    let xml = |id: &str, text: String| {
        common::write(root, &format!("Annotations/{id}.xml"), text.as_bytes());
    };
    xml(
        "2007_000001",
        voc_xml(
            "2007_000001.png",
            &[
                ("dog", ["1", "2", "11", "8"]),
                ("person", ["-3", "0.5", "4", "9"]),
            ],
        ),
    );
    xml("2007_000002", voc_xml("2007_000002.png", &[]));
    xml(
        "2007_000003",
        "<annotation>\n<filename>2007_000003.png</filename>\n<object><name>cat</annotation>"
            .to_owned(),
    );
    xml(
        "2007_000004",
        voc_xml("2007_000004.png", &[("cat", ["1", "NaN", "2", "3"])]),
    );
    xml(
        "2007_000005",
        voc_xml("2007_000005.png", &[("cat", ["1", "1", "2", "3"])]),
    );
    common::write(
        root,
        "ImageSets/Main/val.txt",
        b"2007_000002\n2007_000001\n",
    );
    common::write(root, "ImageSets/Main/dog_val.txt", b"2007_000001  1\n");
    assert_eq!(source::detect(root), SourceKind::Voc);
    let index = open(root);
    assert_eq!(index.root, root.join("JPEGImages"));
    assert_eq!(names(&index), ["2007_000001.png", "2007_000002.png"]);
    let classes = index.object_classes.clone().unwrap();
    assert_eq!(classes.names.len(), 20);
    assert_eq!(classes.ids, (0..20).collect::<Vec<i64>>());
    assert_eq!(
        boxes(&index, 0),
        [
            (11, [1.0, 2.0, 11.0, 8.0], false),
            (14, [-3.0, 0.5, 4.0, 9.0], false)
        ]
    );
    assert_eq!(objects(&index, 0).units, Units::Pixels);
    assert_eq!(objects(&index, 0).stated_size, Some(size(9, 12)));
    assert_eq!(boxes(&index, 1), []);
    let got = warnings(&index);
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[0].0, "2007_000003.xml");
    assert!(
        got[0].1.starts_with("malformed XML at line 3 column")
            && got[0].1.ends_with("; its image is left out"),
        "{got:?}"
    );
    assert_eq!(
        got[1],
        (
            "2007_000004.xml".to_owned(),
            "object 0 (cat): <ymin> is \"NaN\", not a number; its image is left out".to_owned()
        )
    );
    assert_eq!(
        got[2],
        (
            "2007_000005.png".to_owned(),
            "named by 2007_000005.xml but missing".to_owned()
        )
    );
    let val = open_split(root, "val");
    assert_eq!(names(&val), ["2007_000002.png", "2007_000001.png"]);
    let message = open_error(
        root,
        &IndexOptions {
            split: Some("train".into()),
            ..IndexOptions::default()
        },
        1 << 30,
    );
    assert!(
        message.starts_with("no split \"train\" (the splits in ImageSets/Main are: val)"),
        "{message}"
    );
    // A name outside VOC's twenty: the names seen, sorted.
    xml(
        "2007_000002",
        voc_xml("2007_000002.png", &[("Zebra", ["0", "0", "1", "1"])]),
    );
    let other = open_split(root, "val");
    assert_eq!(
        other.object_classes.unwrap().names,
        ["Zebra", "dog", "person"]
    );
}

#[test]
fn voc_split_ids_outside_the_dataset_or_repeated_are_left_out_by_list_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("voc");
    for id in ["2007_000001", "2007_000002"] {
        png(&root, &format!("JPEGImages/{id}.png"), 12, 9);
        common::write(
            &root,
            &format!("Annotations/{id}.xml"),
            voc_xml(&format!("{id}.png"), &[("dog", ["1", "2", "3", "4"])]).as_bytes(),
        );
    }
    // A second XML naming 2007_000001's image.
    common::write(
        &root,
        "Annotations/2007_000003.xml",
        voc_xml("./2007_000001.png", &[("cat", ["0", "0", "5", "5"])]).as_bytes(),
    );
    // An annotation and image outside the dataset, which an id could once reach (`<id>.xml`, and
    // `<id>.jpg` as the image it names is missing).
    common::write(
        dir.path(),
        "secret.xml",
        voc_xml("missing.png", &[]).as_bytes(),
    );
    common::write(dir.path(), "secret.jpg", &common::png_bytes(4, 4, 1));
    let absolute = dir.path().join("secret");
    // A BOM (as Windows editors write) is no part of the first id.
    let list = format!(
        "\u{feff}2007_000001\n{}\n../../secret -1\n\n2007_000001  1\n2007_000003\n2007_000002\n",
        absolute.display()
    );
    let list_path = common::write(&root, "ImageSets/Main/val.txt", list.as_bytes());
    let index = open_split(&root, "val");
    assert_eq!(names(&index), ["2007_000001.png", "2007_000002.png"]);
    assert_eq!(boxes(&index, 0), [(11, [1.0, 2.0, 3.0, 4.0], false)]);
    assert_eq!(
        common::index_warnings(&index),
        [
            (
                list_path.clone(),
                format!(
                    "2 id(s) are not names inside the dataset folder, and are left out: line 2 {:?}, line 3 \"../../secret\"",
                    absolute.display().to_string()
                )
            ),
            (
                list_path.clone(),
                "1 id(s) are listed again, and read once: line 5 \"2007_000001\" (first on line 1)"
                    .to_owned()
            ),
            (
                root.join("Annotations/2007_000003.xml"),
                "names the image \"./2007_000001.png\", as 2007_000001.xml does; this annotation is left out"
                    .to_owned()
            ),
        ]
    );
    // Without a split every XML is read once: the repeat of an image is still left out.
    assert_eq!(names(&open(&root)), ["2007_000001.png", "2007_000002.png"]);
}

#[test]
fn annotation_sources_refuse_folder_options_and_name_them() {
    let dir = tempfile::tempdir().unwrap();
    coco_folder(dir.path());
    let d = dir.path().to_str().unwrap();
    let out = common::batchscope(&["inspect", d, "--follow-links"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--follow-links") && stderr.contains("COCO files"),
        "{stderr}"
    );
}

/// What Python states each sample holds: its name, stated size and objects.
#[derive(serde::Deserialize)]
struct Stated {
    name: String,
    size: Option<[u32; 2]>,
    objects: Vec<(u32, [f64; 4], bool)>,
}

#[derive(serde::Deserialize)]
struct StatedSet {
    names: Vec<String>,
    ids: Vec<i64>,
    samples: Vec<Stated>,
}

const PYTHON_WRITES: &str = r#"
import json, os, random, sys
import xml.etree.ElementTree as ET
from PIL import Image

root = sys.argv[1]
rng = random.Random(25)
def image(path, w, h):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.new("RGB", (w, h), (rng.randrange(256), 0, 0)).save(path)

stated = {}
# COCO: non-contiguous ids, images listed out of name order, some without annotations.
cats = [(3, "cat"), (17, "dog"), (44, "bottle"), (90, "toothbrush")]
images, annotations, samples = [], [], []
for i in range(12):
    name = f"img_{(i * 7) % 12:03d}.jpg"
    w, h = 20 + i, 16 + (i % 3)
    image(os.path.join(root, "coco", "val2017", name), w, h)
    images.append({"id": 1000 + i, "file_name": name, "width": w, "height": h})
    objects = []
    for k in range(rng.randrange(0, 4)):
        cid = rng.choice(cats)[0]
        x, y = rng.uniform(-2, w), rng.uniform(0, h)
        bw, bh = rng.uniform(0, w / 2), rng.uniform(0, h / 2)
        crowd = rng.random() < 0.2
        annotations.append({"id": len(annotations) + 1, "image_id": 1000 + i, "category_id": cid,
                            "bbox": [x, y, bw, bh], "iscrowd": int(crowd), "area": bw * bh})
        index = sorted(c for c, _ in cats).index(cid)
        objects.append((index, [x, y, x + bw, y + bh], crowd))
    samples.append({"name": name, "size": [h, w], "objects": objects})
os.makedirs(os.path.join(root, "coco", "annotations"))
with open(os.path.join(root, "coco", "annotations", "instances_val2017.json"), "w") as f:
    json.dump({"info": {}, "images": images, "annotations": annotations,
               "categories": [{"id": c, "name": n} for c, n in cats]}, f)
stated["coco"] = {"names": [n for _, n in cats], "ids": [c for c, _ in cats], "samples": samples}

# YOLO: data.yaml names as a list, one label file per image, an empty one.
names = ["person", "bicycle", "car", "dog, big"]
os.makedirs(os.path.join(root, "yolo", "labels"))
with open(os.path.join(root, "yolo", "data.yaml"), "w") as f:
    f.write("nc: 4\nnames: ['person', 'bicycle', 'car', 'dog, big']\n")
samples = []
for i in range(9):
    name = f"{i:02d}.png"
    image(os.path.join(root, "yolo", "images", name), 16, 12)
    lines, objects = [], []
    for k in range(rng.randrange(0, 4)):
        c = rng.randrange(4)
        cx, cy, w, h = (rng.random() for _ in range(4))
        lines.append(f"{c} {cx!r} {cy!r} {w!r} {h!r}")
        objects.append((c, [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], False))
    with open(os.path.join(root, "yolo", "labels", f"{i:02d}.txt"), "w") as f:
        f.write("\n".join(lines))
    samples.append({"name": name, "size": None, "objects": objects})
stated["yolo"] = {"names": names, "ids": [0, 1, 2, 3], "samples": samples}

# VOC: a subset of VOC's names, written with xml.etree.
voc = ["aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
       "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa",
       "train", "tvmonitor"]
os.makedirs(os.path.join(root, "voc", "Annotations"))
samples = []
for i in range(7):
    stem = f"2008_{i:06d}"
    w, h = 30 + i, 20
    image(os.path.join(root, "voc", "JPEGImages", stem + ".jpg"), w, h)
    a = ET.Element("annotation")
    ET.SubElement(a, "filename").text = stem + ".jpg"
    s = ET.SubElement(a, "size")
    ET.SubElement(s, "width").text = str(w)
    ET.SubElement(s, "height").text = str(h)
    ET.SubElement(s, "depth").text = "3"
    objects = []
    for k in range(rng.randrange(0, 4)):
        n = rng.choice(["dog", "person", "car", "sofa"])
        o = ET.SubElement(a, "object")
        ET.SubElement(o, "name").text = n
        ET.SubElement(o, "difficult").text = str(rng.randrange(2))
        b = ET.SubElement(o, "bndbox")
        corners = [rng.randrange(1, w), rng.randrange(1, h)]
        corners += [corners[0] + rng.randrange(0, 10), corners[1] + rng.randrange(0, 10)]
        for tag, v in zip(["xmin", "ymin", "xmax", "ymax"], corners):
            ET.SubElement(b, tag).text = str(v)
        objects.append((voc.index(n), [float(v) for v in corners], False))
    ET.ElementTree(a).write(os.path.join(root, "voc", "Annotations", stem + ".xml"))
    samples.append({"name": stem + ".jpg", "size": [h, w], "objects": objects})
stated["voc"] = {"names": voc, "ids": list(range(20)), "samples": samples}
print(json.dumps(stated))
"#;

#[test]
fn python_written_coco_yolo_and_voc_open_as_python_states_them() {
    if !common::has_python_module(
        "PIL",
        "python_written_coco_yolo_and_voc_open_as_python_states_them",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let stdout = common::run_python(PYTHON_WRITES, &[dir.path().to_str().unwrap()]);
    let stated: std::collections::BTreeMap<String, StatedSet> =
        serde_json::from_str(&stdout).unwrap();
    for (kind, source_kind) in [
        ("coco", SourceKind::Coco),
        ("yolo", SourceKind::Yolo),
        ("voc", SourceKind::Voc),
    ] {
        let path = dir.path().join(kind);
        assert_eq!(source::detect(&path), source_kind, "{kind}");
        let index = open(&path);
        let set = &stated[kind];
        assert_eq!(index.warnings, [], "{kind}");
        let classes = index.object_classes.clone().unwrap();
        assert_eq!(classes.names, set.names, "{kind}");
        assert_eq!(classes.ids, set.ids, "{kind}");
        assert_eq!(
            names(&index),
            set.samples
                .iter()
                .map(|s| s.name.clone())
                .collect::<Vec<_>>(),
            "{kind}"
        );
        for (i, sample) in set.samples.iter().enumerate() {
            assert_eq!(boxes(&index, i), sample.objects, "{kind} {}", sample.name);
            assert_eq!(
                objects(&index, i).stated_size,
                sample.size.map(|[h, w]| size(h, w)),
                "{kind} {}",
                sample.name
            );
        }
        let total: usize = set.samples.iter().map(|s| s.objects.len()).sum();
        assert!(total > 5, "{kind}: the fixture holds {total} objects");
        let counts = annotations::objects_per_class(
            index.samples.iter().filter_map(|s| s.objects.as_deref()),
            classes.names.len(),
        );
        assert_eq!(counts.iter().sum::<usize>(), total, "{kind}");
    }
}

#[test]
fn coco_opening_stops_when_cancelled_and_never_opens_a_pipe() {
    let dir = tempfile::tempdir().unwrap();
    coco_folder(dir.path());
    let cancelled = AtomicBool::new(true);
    let control = batchscope::index::WalkControl {
        on_progress: &|_| {},
        cancel: &cancelled,
    };
    let error = source::open(dir.path(), &IndexOptions::default(), &control).unwrap_err();
    assert!(error.is_cancelled(), "{error}");
    // An image listed by the JSON that is a named pipe is reported, not opened (which would block).
    std::fs::remove_file(dir.path().join("val2017/a.png")).unwrap();
    common::mkfifo(&dir.path().join("val2017/a.png"));
    let index = open(dir.path());
    assert_eq!(names(&index), ["b.png", "c.png"]);
    assert_eq!(
        warnings(&index),
        [(
            "a.png".to_owned(),
            "listed in \"instances_val2017.json\" but not a regular file".to_owned()
        )]
    );
}

#[test]
fn a_folder_of_many_json_sidecars_is_looked_into_only_for_instances_files() {
    let dir = tempfile::tempdir().unwrap();
    let coco = json!({"images": [], "annotations": [], "categories": []}).to_string();
    for i in 0..17 {
        png(dir.path(), &format!("{i}.png"), 4, 4);
        common::write(dir.path(), &format!("{i}.json"), coco.as_bytes());
    }
    // Seventeen JSONs that would each read as COCO: detection does not open them.
    assert_eq!(source::detect(dir.path()), SourceKind::Folder);
    common::write(dir.path(), "instances_all.json", coco.as_bytes());
    assert_eq!(source::detect(dir.path()), SourceKind::Coco);
    std::fs::remove_file(dir.path().join("instances_all.json")).unwrap();
    std::fs::remove_file(dir.path().join("16.json")).unwrap();
    // Sixteen are few enough to look into.
    assert_eq!(source::detect(dir.path()), SourceKind::Coco);
}

#[test]
fn yolo_with_an_empty_labels_folder_reads_images_without_objects_and_says_so_once() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..5 {
        png(dir.path(), &format!("images/{i}.png"), 4, 4);
    }
    std::fs::create_dir(dir.path().join("labels")).unwrap();
    let index = open(dir.path());
    assert_eq!(index.samples.len(), 5);
    assert!((0..5).all(|i| boxes(&index, i).is_empty()));
    assert_eq!(
        index.object_classes.clone().unwrap().names,
        Vec::<String>::new()
    );
    assert_eq!(warnings(&index), []);
    assert_eq!(
        notes(&index),
        [(
            "labels".to_owned(),
            "5 image(s) have no label file, and are read as images without objects: 0.png, 1.png, 2.png, ..."
                .to_owned()
        )]
    );
}

#[test]
fn yolo_class_indices_past_the_class_limit_are_refused_not_allocated() {
    // Each of these once sized a "class <i>" name per class up to the index (7.2 GB to 2.4 TB),
    // and the process aborted on the allocation.
    let dir = tempfile::tempdir().unwrap();
    for name in ["a", "b", "c"] {
        png(dir.path(), &format!("images/{name}.png"), 4, 4);
    }
    common::write(dir.path(), "labels/a.txt", b"300000000 0.5 0.5 0.5 0.25\n");
    common::write(
        dir.path(),
        "labels/b.txt",
        b"0 0.5 0.5 0.5 0.25\n4000000000 0.5 0.5 0.5 0.25\n",
    );
    common::write(dir.path(), "labels/c.txt", b"1 0.5 0.5 0.5 0.25\n");
    let index = open(dir.path());
    assert_eq!(names(&index), ["c.png"]);
    assert_eq!(
        index.object_classes.clone().unwrap().names,
        ["class 0", "class 1"]
    );
    let limit = "is not below 1000000, the most classes a YOLO folder may have";
    assert_eq!(
        warnings(&index),
        [
            (
                "a.txt".to_owned(),
                format!("line 1: class 300000000 {limit}; its image is left out")
            ),
            (
                "b.txt".to_owned(),
                format!("line 2: class 4000000000 {limit}; its image is left out")
            ),
        ]
    );
    // A data.yaml stating that many classes refuses the folder, naming the file and line.
    let yaml = dir.path().join("data.yaml");
    let refused = |text: &str| {
        std::fs::write(&yaml, text).unwrap();
        open_error(dir.path(), &IndexOptions::default(), 1 << 30)
    };
    assert_eq!(
        refused("names: [a, b]\nnc: 3000000000\n"),
        format!(
            "line 2: nc 3000000000 is over 1000000, the most classes a YOLO folder may have; the class names cannot be read: {yaml:?}"
        )
    );
    assert_eq!(
        refused("names:\n  0: cat\n  99999999999: bird\n"),
        format!("line 3: class 99999999999 {limit}; the class names cannot be read: {yaml:?}")
    );
    // The command line says so and fails, rather than aborting.
    let output = common::batchscope(&["inspect", dir.path().to_str().unwrap()]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("line 3: class 99999999999") && stderr.contains("data.yaml"),
        "{stderr}"
    );
}

#[test]
fn yolo_data_yaml_comments_bom_and_lists_over_lines_name_the_classes_as_yaml_does() {
    let dir = tempfile::tempdir().unwrap();
    png(dir.path(), "images/a.png", 4, 4);
    png(dir.path(), "images/b.png", 4, 4);
    common::write(dir.path(), "labels/a.txt", b"0 0.5 0.5 0.5 0.25\n");
    common::write(dir.path(), "labels/b.txt", b"1 0.5 0.5 0.5 0.25\n");
    let yaml = dir.path().join("data.yaml");
    let named = |text: &str| {
        std::fs::write(&yaml, text).unwrap();
        let index = open(dir.path());
        assert_eq!(names(&index), ["a.png", "b.png"], "{text}");
        assert_eq!(index.warnings, [], "{text}");
        index.object_classes.unwrap().names
    };
    assert_eq!(named("names: [cat, dog] # two classes\n"), ["cat", "dog"]);
    assert_eq!(named("names:\n  - cat # feline\n  - dog\n"), ["cat", "dog"]);
    assert_eq!(named("names: [cat,\n  dog]\n"), ["cat", "dog"]);
    assert_eq!(
        named("\u{feff}nc: 2  # two\nnames: [cat,  # feline\n  'a # b', ]\n"),
        ["cat", "a # b"]
    );
    assert_eq!(named("names:\n  0: \"x, y\"\n  1: dog\n"), ["x, y", "dog"]);
    // What is not a names list is refused with the file and line, never read as a wrong list.
    let refused = |text: &str| {
        std::fs::write(&yaml, text).unwrap();
        open_error(dir.path(), &IndexOptions::default(), 1 << 30)
    };
    assert_eq!(
        refused("nc: 2\nnames: [cat, dog\n"),
        format!("line 2: the [ of names is never closed; the class names cannot be read: {yaml:?}")
    );
    assert_eq!(
        refused("names: [cat, dog\nnc: 2\n"),
        format!(
            "line 1: the [ of names is not closed before line 2; the class names cannot be read: {yaml:?}"
        )
    );
    assert_eq!(
        refused("names:\n  - 'cat\n  - dog\n"),
        format!("line 2: a quoted name is never closed; the class names cannot be read: {yaml:?}")
    );
}

#[test]
fn yolo_label_file_without_an_image_is_a_warning_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    png(root, "images/train/a.png", 4, 4);
    png(root, "images/train/b.jpeg.png", 4, 4);
    common::write(root, "labels/train/a.txt", b"0 0.5 0.5 0.5 0.25\n");
    common::write(root, "labels/train/b.jpeg.txt", b"0 0.5 0.5 0.5 0.25\n");
    common::write(root, "labels/train/classes.txt", b"cat\n");
    common::write(root, "labels/train/gone.txt", b"0 0.5 0.5 0.5 0.25\n");
    common::write(root, "labels/train/sub/renamed.txt", b"0 0.1 0.1 0.1 0.1\n");
    common::write(root, "labels/train.cache", b"not a label file");
    let index = open(root);
    assert_eq!(names(&index), ["a.png", "b.jpeg.png"]);
    let reason =
        "a label file without an image of the same name in images/train/; its objects are not read";
    assert_eq!(
        common::index_warnings(&index),
        [
            (root.join("labels/train/gone.txt"), reason.to_owned()),
            (root.join("labels/train/sub/renamed.txt"), reason.to_owned()),
        ]
    );
    // The export lists them in skipped.csv with the rest of the index's warnings.
    let out = root.join("out");
    common::export_source(root, &out, IndexOptions::default()).unwrap();
    let skipped = common::skipped(&out);
    let rows: Vec<(&str, &str)> = skipped
        .iter()
        .map(|row| (row[0].as_str(), row[1].as_str()))
        .collect();
    assert!(
        rows.iter()
            .any(|(path, r)| path.ends_with("gone.txt") && *r == reason),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .any(|(path, r)| path.ends_with("renamed.txt") && *r == reason),
        "{rows:?}"
    );
}
