//! Exporting detection and segmentation datasets: `boxes.npy`, `box_classes.npy`, `num_boxes.npy`,
//! `masks.npy`, `class_names.json`, `class_ids.json`, through resize, crop and pad; sharded exports
//! merged byte for byte; the box flags; `inspect`'s object counts; and, with Python, the geometry
//! against an independent numpy reference and the README's loading snippets.
#![allow(clippy::unwrap_used, clippy::float_cmp)] // Exact floats are what these tests assert.

mod common;

use std::path::Path;

use batchscope::export::{ArrayOptions, BoxOptions};
use batchscope::index::{DatasetIndex, ObjectClasses};
use batchscope::options::{ArrayDtype, ArrayFormat, AspectFit, Layout, PreprocessOptions};
use batchscope::plan::shard::ShardSpec;
use batchscope::size::Size;
use batchscope::source::annotations::{BoxFormat, BoxUnits, Units};
use common::annotated::{Form, annotated_folder, bbox, export_annotated, objects};

/// Three 40x20 (width x height) images: `a.png` with two objects, `b.png` with none, `c.png` with one, in
/// pixels; classes with source ids 1, 3 and 7 (not contiguous).
fn three_images(root: &Path) -> DatasetIndex {
    for (i, name) in ["a.png", "b.png", "c.png"].iter().enumerate() {
        common::save(root, name, &common::pattern(40, 20, i as u32));
    }
    annotated_folder(root, classes(), |rel| match rel {
        "a.png" => objects(
            Units::Pixels,
            &[
                (0, bbox(4.0, 2.0, 20.0, 10.0)),
                (2, bbox(10.0, 5.0, 30.0, 15.0)),
            ],
            None,
        ),
        "c.png" => objects(Units::Pixels, &[(1, bbox(0.0, 0.0, 40.0, 20.0))], None),
        _ => objects(Units::Pixels, &[], None),
    })
}

fn classes() -> ObjectClasses {
    ObjectClasses::from_ids([7, 1, 3], |id| {
        Some(
            match id {
                1 => "cat",
                3 => "dog",
                _ => "bird",
            }
            .to_owned(),
        )
    })
}

fn size(height: u32, width: u32) -> Size {
    Size { height, width }
}

fn resized(height: u32, width: u32, fit: AspectFit) -> PreprocessOptions {
    PreprocessOptions {
        image_size: Some(size(height, width)),
        fit,
        ..PreprocessOptions::default()
    }
}

fn boxes(format: BoxFormat, units: BoxUnits) -> BoxOptions {
    BoxOptions { format, units }
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn native_size_exports_the_sources_boxes_classes_and_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let (root, out) = (tmp.path().join("data"), tmp.path().join("out"));
    let report = export_annotated(three_images(&root), &out, &Form::default()).unwrap();
    assert_eq!((report.exported, report.boxes_dropped), (3, 0));

    let b = common::read_npy(&out.join("boxes.npy"));
    assert_eq!(
        (b.descr.as_str(), b.shape.as_slice()),
        ("<f4", &[3, 2, 4][..])
    );
    // yxyx, normalised to the 40x20 image; padded with 0.
    assert_eq!(
        b.f32s(),
        [
            [0.1, 0.1, 0.5, 0.5],
            [0.25, 0.25, 0.75, 0.75],
            [0.0; 4],
            [0.0; 4],
            [0.0, 0.0, 1.0, 1.0],
            [0.0; 4],
        ]
        .concat()
    );
    let c = common::read_npy(&out.join("box_classes.npy"));
    assert_eq!((c.descr.as_str(), c.shape.as_slice()), ("<i4", &[3, 2][..]));
    assert_eq!(c.i32s(), [0, 2, -1, -1, 1, -1]);
    let n = common::read_npy(&out.join("num_boxes.npy"));
    assert_eq!((n.descr.as_str(), n.shape.as_slice()), ("<i4", &[3][..]));
    assert_eq!(n.i32s(), [2, 0, 1]);

    assert_eq!(
        json(&out.join("class_names.json")),
        serde_json::json!(["cat", "dog", "bird"])
    );
    assert_eq!(
        json(&out.join("class_ids.json")),
        serde_json::json!([1, 3, 7])
    );
    // Image labels are off: no labels.npy, and no masks without masks.
    assert!(!out.join("labels.npy").exists());
    assert!(!out.join("masks.npy").exists());
    let manifest: Vec<String> = common::manifest(&out)
        .iter()
        .map(|r| r[1].clone())
        .collect();
    assert_eq!(manifest, ["a.png", "b.png", "c.png"]);
}

#[test]
fn box_format_and_units_after_a_stretch_resize() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("data");
    let index = three_images(&root);
    // 40x20 stretched to 20x10: every coordinate halves.
    let cases: [(BoxFormat, BoxUnits, [f32; 8]); 4] = [
        (
            BoxFormat::Xyxy,
            BoxUnits::Pixels,
            [2.0, 1.0, 10.0, 5.0, 5.0, 2.5, 15.0, 7.5],
        ),
        (
            BoxFormat::Xywh,
            BoxUnits::Pixels,
            [2.0, 1.0, 8.0, 4.0, 5.0, 2.5, 10.0, 5.0],
        ),
        (
            BoxFormat::Xywh,
            BoxUnits::Normalized,
            [0.1, 0.1, 0.4, 0.4, 0.25, 0.25, 0.5, 0.5],
        ),
        (
            BoxFormat::Yxyx,
            BoxUnits::Pixels,
            [1.0, 2.0, 5.0, 10.0, 2.5, 5.0, 7.5, 15.0],
        ),
    ];
    for (format, units, first_row) in cases {
        let out = tmp.path().join(format!("out-{format}-{units}"));
        let form = Form {
            preprocess: resized(10, 20, AspectFit::Stretch),
            boxes: boxes(format, units),
            ..Form::default()
        };
        export_annotated(index.clone(), &out, &form).unwrap();
        let b = common::read_npy(&out.join("boxes.npy")).f32s();
        assert_eq!(b[..8], first_row, "{format} {units}");
        // c.png's whole-image box.
        let whole = match (format, units) {
            (BoxFormat::Xywh | BoxFormat::Xyxy, BoxUnits::Pixels) => [0.0, 0.0, 20.0, 10.0],
            (BoxFormat::Yxyx, BoxUnits::Pixels) => [0.0, 0.0, 10.0, 20.0],
            (_, BoxUnits::Normalized) => [0.0, 0.0, 1.0, 1.0],
        };
        assert_eq!(b[16..20], whole, "{format} {units}");
    }
}

/// `a.png` with three objects: one wholly left of the centre crop, one half in it, one inside.
fn crop_fixture(root: &Path) -> DatasetIndex {
    common::save(root, "a.png", &common::pattern(40, 20, 1));
    common::save(root, "b.png", &common::pattern(40, 20, 2));
    annotated_folder(root, classes(), |rel| match rel {
        "a.png" => objects(
            Units::Pixels,
            &[
                (0, bbox(0.0, 0.0, 8.0, 20.0)),
                (1, bbox(5.0, 0.0, 15.0, 10.0)),
                (2, bbox(10.0, 5.0, 30.0, 15.0)),
            ],
            None,
        ),
        _ => objects(Units::Normalized, &[(2, bbox(0.0, 0.0, 0.25, 1.0))], None),
    })
}

#[test]
fn crop_clips_boxes_drops_those_cut_away_whole_and_counts_them() {
    let tmp = tempfile::tempdir().unwrap();
    let (root, out) = (tmp.path().join("data"), tmp.path().join("out"));
    // 40x20 centre-cropped to 20x20 (columns 10..30), scaled to 10x10.
    let form = Form {
        preprocess: resized(10, 10, AspectFit::Crop),
        boxes: boxes(BoxFormat::Yxyx, BoxUnits::Pixels),
        ..Form::default()
    };
    let report = export_annotated(crop_fixture(&root), &out, &form).unwrap();
    // a.png's first box and b.png's only box (columns 0..10) are outside the crop.
    assert_eq!(report.boxes_dropped, 2);
    let b = common::read_npy(&out.join("boxes.npy"));
    // M is counted before the crop drops boxes: 3.
    assert_eq!(b.shape, [2, 3, 4]);
    assert_eq!(
        b.f32s(),
        [
            [0.0, 0.0, 5.0, 2.5],
            [2.5, 0.0, 7.5, 10.0],
            [0.0; 4],
            [0.0; 4],
            [0.0; 4],
            [0.0; 4],
        ]
        .concat()
    );
    assert_eq!(
        common::read_npy(&out.join("box_classes.npy")).i32s(),
        [1, 2, -1, -1, -1, -1]
    );
    assert_eq!(common::read_npy(&out.join("num_boxes.npy")).i32s(), [2, 0]);
}

#[test]
fn pad_scales_into_the_inner_window_and_offsets_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (root, out) = (tmp.path().join("data"), tmp.path().join("out"));
    // 40x20 padded into 20x20: inner 20x10 (WxH), 5 rows of padding above.
    let form = Form {
        preprocess: resized(20, 20, AspectFit::Pad),
        ..Form::default()
    };
    export_annotated(three_images(&root), &out, &form).unwrap();
    let b = common::read_npy(&out.join("boxes.npy")).f32s();
    assert_eq!(b[..8], [0.3, 0.1, 0.5, 0.5, 0.375, 0.25, 0.625, 0.75]);
    assert_eq!(b[16..20], [0.25, 0.0, 0.75, 1.0]);
}

/// Five images; only the last has three objects, so a shard without it still pads to 3.
fn five_images(root: &Path) -> DatasetIndex {
    for i in 0..5 {
        common::save(root, &format!("p{i}.png"), &common::pattern(40, 20, i));
    }
    annotated_folder(root, classes(), |rel| match rel {
        "p0.png" => objects(Units::Normalized, &[(1, bbox(0.1, 0.2, 0.3, 0.4))], None),
        // Left of a centre crop to 8x12 (columns 5..35 of 40): dropped there.
        "p3.png" => objects(Units::Normalized, &[(1, bbox(0.0, 0.0, 0.1, 1.0))], None),
        "p4.png" => objects(
            Units::Normalized,
            &[
                (0, bbox(0.0, 0.0, 0.5, 0.5)),
                (2, bbox(0.5, 0.5, 1.0, 1.0)),
                (2, bbox(0.25, 0.25, 0.75, 0.75)),
            ],
            None,
        ),
        _ => objects(Units::Normalized, &[], None),
    })
}

#[test]
fn sharded_and_merged_equals_the_single_export_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("data");
    let mut index = five_images(&root);
    // A note of the source's opens warnings.csv once, whether exported whole or sharded.
    index.notes.push(batchscope::index::IndexWarning {
        path: root.join("labels"),
        reason: "2 image(s) have no label file".to_owned(),
    });
    let (whole, sharded) = (tmp.path().join("whole"), tmp.path().join("sharded"));
    let form = Form {
        preprocess: resized(8, 12, AspectFit::Crop),
        boxes: boxes(BoxFormat::Xywh, BoxUnits::Pixels),
        ..Form::default()
    };
    let report = export_annotated(index.clone(), &whole, &form).unwrap();
    assert_eq!(report.boxes_dropped, 1);
    for i in 0..2 {
        let shard = Form {
            shard: Some(ShardSpec::new(i, 2).unwrap()),
            ..form.clone()
        };
        export_annotated(index.clone(), &sharded, &shard).unwrap();
    }
    // Shard 0 (p0..p2) has at most one object but pads to the plan's 3.
    let first =
        common::read_npy(&sharded.join(ShardSpec::new(0, 2).unwrap().file_name("boxes", "npy")));
    assert_eq!(first.shape, [3, 3, 4]);
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let merged = batchscope::export::merge::merge(
        &batchscope::export::merge::MergeOptions {
            out: sharded.clone(),
            keep_shards: false,
        },
        &cancel,
    )
    .unwrap();
    assert_eq!((merged.rows, merged.boxes_dropped), (5, 1));
    let (a, b) = (common::files(&whole), common::files(&sharded));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        [
            "box_classes.npy",
            "boxes.npy",
            "class_ids.json",
            "class_names.json",
            "images.npy",
            "manifest.csv",
            "num_boxes.npy",
            "skipped.csv",
            "warnings.csv"
        ]
    );
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    assert_eq!(
        a["warnings.csv"],
        format!(
            "path,reason\n{},2 image(s) have no label file\n",
            root.join("labels").display()
        )
        .as_bytes()
    );
    for (name, bytes) in &a {
        assert!(bytes == &b[name], "{name} differs after merge");
    }
    assert_eq!(
        common::read_npy(&whole.join("num_boxes.npy")).i32s(),
        [1, 0, 0, 0, 3]
    );
}

#[test]
fn masks_follow_the_pixels_an_absent_mask_is_zeros_with_a_warning_and_an_unreadable_one_skips_its_image()
 {
    let tmp = tempfile::tempdir().unwrap();
    let (root, masks) = (tmp.path().join("images"), tmp.path().join("masks"));
    for name in ["a.png", "b.png", "c.png", "d.png"] {
        common::save(&root, name, &common::pattern(4, 2, 3));
    }
    common::save(
        &masks,
        "a.png",
        &image::GrayImage::from_raw(4, 2, vec![1, 2, 3, 4, 5, 6, 7, 8]).unwrap(),
    );
    let index = annotated_folder(&root, classes(), |rel| match rel {
        "a.png" => objects(Units::Normalized, &[], Some("../masks/a.png")),
        // Its mask file is missing: the image is skipped (zeros would teach its objects are
        // background).
        "b.png" => objects(Units::Normalized, &[], Some("../masks/b.png")),
        // An object but no mask: the zeros are not its mask, so they are warned of.
        "c.png" => objects(Units::Normalized, &[(0, bbox(0.0, 0.0, 1.0, 1.0))], None),
        // No object and no mask (a COCO image without annotations): background, silently.
        _ => objects(Units::Normalized, &[], None),
    });
    assert!(index.object_classes.as_ref().unwrap().has_masks);

    let native = tmp.path().join("native");
    let report = export_annotated(index.clone(), &native, &Form::default()).unwrap();
    assert_eq!(report.exported, 3);
    assert_eq!(report.skipped.len(), 1);
    assert_eq!(report.skipped[0].rel_path, std::path::Path::new("b.png"));
    assert!(
        report.skipped[0].reason.starts_with("its mask: ")
            && report.skipped[0].reason.contains("masks/b.png"),
        "{:?}",
        report.skipped[0]
    );
    let skipped = std::fs::read_to_string(native.join("skipped.csv")).unwrap();
    assert!(skipped.contains("b.png,its mask: "), "{skipped}");
    let m = common::read_npy(&native.join("masks.npy"));
    assert_eq!(
        (m.descr.as_str(), m.shape.as_slice()),
        ("|u1", &[3, 2, 4][..])
    );
    assert_eq!(m.data, [[1, 2, 3, 4, 5, 6, 7, 8], [0; 8], [0; 8]].concat());
    let warned: Vec<(String, String)> = report
        .warned
        .iter()
        .map(|w| (w.rel_path.display().to_string(), w.reason.clone()))
        .collect();
    assert_eq!(
        warned,
        [(
            "c.png".to_owned(),
            "the image has objects but no mask; its row of masks.npy is zeros".to_owned()
        )]
    );
    let csv = std::fs::read_to_string(native.join("warnings.csv")).unwrap();
    assert_eq!(
        csv,
        "path,reason\nc.png,the image has objects but no mask; its row of masks.npy is zeros\n"
    );

    // Stretched to 1x2 by nearest neighbour: row 1, columns 1 and 3.
    let small = tmp.path().join("small");
    let form = Form {
        preprocess: resized(1, 2, AspectFit::Stretch),
        ..Form::default()
    };
    export_annotated(index, &small, &form).unwrap();
    let m = common::read_npy(&small.join("masks.npy"));
    assert_eq!(m.shape, [3, 1, 2]);
    assert_eq!(m.data, [6, 8, 0, 0, 0, 0]);
}

/// One image with 40,000 boxes pads every row to 40,000: the annotation rows are built a slice of
/// rows at a time (at most 8 MiB), and every row still lands at its place in each array.
#[test]
fn rows_padded_to_many_boxes_are_written_in_slices_each_in_its_place() {
    const MANY: usize = 40_000;
    let tmp = tempfile::tempdir().unwrap();
    let (root, out) = (tmp.path().join("data"), tmp.path().join("out"));
    let names: Vec<String> = (0..12).map(|i| format!("{i:02}.png")).collect();
    for name in &names {
        common::save(&root, name, &common::pattern(4, 2, 3));
    }
    // Image i has i + 1 boxes (the last MANY), each of class i % 3 at x = i.
    let count = |i: usize| if i == 11 { MANY } else { i + 1 };
    let index = annotated_folder(&root, classes(), |rel| {
        let i: usize = rel[..2].parse().unwrap();
        let x = i as f64;
        let boxes = vec![((i % 3) as u32, bbox(x, 0.0, x + 1.0, 2.0)); count(i)];
        objects(Units::Pixels, &boxes, None)
    });
    let report = export_annotated(index, &out, &Form::default()).unwrap();
    assert_eq!(report.exported, 12);
    let num = common::read_npy(&out.join("num_boxes.npy")).i32s();
    let counts: Vec<i32> = (0..12).map(|i| i32::try_from(count(i)).unwrap()).collect();
    assert_eq!(num, counts);
    let b = common::read_npy(&out.join("boxes.npy"));
    assert_eq!(b.shape, [12, MANY, 4]);
    let c = common::read_npy(&out.join("box_classes.npy"));
    assert_eq!(c.shape, [12, MANY]);
    let (boxes, classes) = (b.f32s(), c.i32s());
    for i in 0..12 {
        let row = &boxes[i * MANY * 4..(i + 1) * MANY * 4];
        let x = i as f32 / 4.0;
        // [ymin, xmin, ymax, xmax], normalised to 4x2.
        assert_eq!(row[..4], [0.0, x, 1.0, x + 0.25], "row {i}");
        assert_eq!(
            row[count(i) * 4 - 4..count(i) * 4],
            [0.0, x, 1.0, x + 0.25],
            "row {i}"
        );
        assert!(row[count(i) * 4..].iter().all(|&v| v == 0.0), "row {i}");
        let row = &classes[i * MANY..(i + 1) * MANY];
        assert!(
            row[..count(i)]
                .iter()
                .all(|&k| k == i32::try_from(i % 3).unwrap()),
            "row {i}"
        );
        assert!(row[count(i)..].iter().all(|&k| k == -1), "row {i}");
    }
}

#[test]
fn a_dataset_without_any_box_exports_rows_of_zero_boxes() {
    let tmp = tempfile::tempdir().unwrap();
    let (root, out) = (tmp.path().join("data"), tmp.path().join("out"));
    for name in ["a.png", "b.png"] {
        common::save(&root, name, &common::pattern(4, 2, 3));
    }
    let index = annotated_folder(&root, classes(), |_| objects(Units::Pixels, &[], None));
    export_annotated(index, &out, &Form::default()).unwrap();
    // M is 0: the arrays are there, with rows of no box.
    let b = common::read_npy(&out.join("boxes.npy"));
    assert_eq!((b.shape.as_slice(), b.data.len()), (&[2, 0, 4][..], 0));
    assert_eq!(common::read_npy(&out.join("box_classes.npy")).shape, [2, 0]);
    assert_eq!(common::read_npy(&out.join("num_boxes.npy")).i32s(), [0, 0]);
}

#[test]
fn npz_float16_and_nchw_carry_the_same_annotation_arrays() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("data");
    let index = three_images(&root);
    let (npy, npz) = (tmp.path().join("npy"), tmp.path().join("npz"));
    export_annotated(index.clone(), &npy, &Form::default()).unwrap();
    let form = Form {
        arrays: ArrayOptions {
            layout: Layout::Nchw,
            dtype: ArrayDtype::Float16,
            format: ArrayFormat::Npz,
            compress: true,
        },
        ..Form::default()
    };
    export_annotated(index, &npz, &form).unwrap();
    let mut zip =
        zip::ZipArchive::new(std::fs::File::open(npz.join("arrays.npz")).unwrap()).unwrap();
    let mut names: Vec<String> = (0..zip.len())
        .map(|i| zip.by_index(i).unwrap().name().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "box_classes.npy",
            "boxes.npy",
            "images.npy",
            "num_boxes.npy"
        ]
    );
    for name in ["boxes", "box_classes", "num_boxes"] {
        let mut member = Vec::new();
        std::io::Read::read_to_end(
            &mut zip.by_name(&format!("{name}.npy")).unwrap(),
            &mut member,
        )
        .unwrap();
        assert!(
            member == std::fs::read(npy.join(format!("{name}.npy"))).unwrap(),
            "{name}"
        );
    }
    assert_eq!(
        json(&npz.join("class_ids.json")),
        serde_json::json!([1, 3, 7])
    );
}

#[test]
fn box_flags_are_refused_on_a_dataset_without_objects() {
    let tmp = tempfile::tempdir().unwrap();
    let (root, out) = (tmp.path().join("plain"), tmp.path().join("out"));
    common::save(&root, "a.png", &common::pattern(4, 4, 0));
    let output = common::batchscope(&[
        "export",
        root.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--labels",
        "none",
        "--box-units",
        "pixels",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--box-units pixels applies to a dataset with objects (boxes), but image folder has none")
            && stderr.contains(root.to_str().unwrap()),
        "{stderr}"
    );
    assert!(!out.exists());
}

#[test]
fn inspect_counts_objects_per_class_images_without_and_the_largest_count() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("data");
    let index = five_images(&root);
    let options = batchscope::options::LoadOptions::default();
    let plan = batchscope::plan::plan(&index, &options.plan).unwrap();
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let summary = batchscope::inspect::summarize(&index, &plan, &options, &cancel).unwrap();
    let value = serde_json::to_value(&summary).unwrap();
    assert_eq!(
        value["objects"],
        serde_json::json!({
            "total": 5,
            "images_without_objects": 2,
            "max_per_image": 3,
            "masks": false,
            "classes": [
                {"index": 0, "id": 1, "name": "cat", "objects": 1, "images": 1},
                {"index": 1, "id": 3, "name": "dog", "objects": 2, "images": 2},
                {"index": 2, "id": 7, "name": "bird", "objects": 2, "images": 1},
            ],
        })
    );
    let text = summary.to_text();
    assert!(
        text.contains(
            "objects    5 (at most 3 in one image; 2 images without objects; masks no)\nobject classes 3\n     0  cat   id 1      1 object in 1 image\n     1  dog   id 3      2 objects in 2 images\n     2  bird  id 7      2 objects in 1 image\n"
        ),
        "{text}"
    );
}

/// The parity set's annotations.json as an annotated index of its `images` folder.
fn parity_index(dir: &Path) -> DatasetIndex {
    let ann = json(&dir.join("annotations.json"));
    let files = ann["files"].as_array().unwrap().clone();
    annotated_folder(
        &dir.join("images"),
        ObjectClasses::from_ids([1, 2, 5], |_| None),
        move |rel| {
            let f = files.iter().find(|f| f["name"] == rel).unwrap();
            let units = if f["units"] == "pixels" {
                Units::Pixels
            } else {
                Units::Normalized
            };
            let boxes: Vec<(u32, batchscope::source::annotations::BoxXyxy)> = f["boxes"]
                .as_array()
                .unwrap()
                .iter()
                .zip(f["classes"].as_array().unwrap())
                .map(|(b, c)| {
                    let v: Vec<f64> = b
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|x| x.as_f64().unwrap())
                        .collect();
                    (c.as_u64().unwrap() as u32, bbox(v[0], v[1], v[2], v[3]))
                })
                .collect();
            objects(units, &boxes, f["mask"].as_str())
        },
    )
}

#[test]
fn geometry_equals_an_independent_numpy_reference_for_every_fit_format_and_units() {
    const TEST: &str =
        "geometry_equals_an_independent_numpy_reference_for_every_fit_format_and_units";
    if !common::has_python_module("numpy", TEST) || !common::has_python_module("PIL", TEST) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    common::run_python(
        include_str!("annotations/write_geometry_set.py"),
        &[dir.to_str().unwrap()],
    );
    let index = parity_index(dir);
    // (name, output HxW, fit): the 47x30 (WxH) images at native size, stretched, centre-cropped
    // to a wider and to a taller ratio, and padded (into 12x11 the inner width is 10 in float32, as
    // TensorFlow computes it, where float64 would give 11).
    let geometries = [
        ("native", None, AspectFit::Stretch),
        ("stretch", Some((16, 20)), AspectFit::Stretch),
        ("crop-wide", Some((16, 40)), AspectFit::Crop),
        ("crop-tall", Some((20, 12)), AspectFit::Crop),
        ("pad-tall", Some((12, 11)), AspectFit::Pad),
        ("pad-wide", Some((12, 40)), AspectFit::Pad),
    ];
    let mut cases = Vec::new();
    for (name, output, fit) in geometries {
        for format in [BoxFormat::Yxyx, BoxFormat::Xyxy, BoxFormat::Xywh] {
            for units in [BoxUnits::Normalized, BoxUnits::Pixels] {
                let folder = format!("{name}-{format}-{units}");
                let form = Form {
                    preprocess: PreprocessOptions {
                        image_size: output.map(|(h, w)| size(h, w)),
                        fit,
                        ..PreprocessOptions::default()
                    },
                    boxes: boxes(format, units),
                    ..Form::default()
                };
                export_annotated(index.clone(), &dir.join(&folder), &form).unwrap();
                let fit = match fit {
                    AspectFit::Stretch => "stretch",
                    AspectFit::Crop => "crop",
                    AspectFit::Pad => "pad",
                };
                cases.push(serde_json::json!([
                    folder,
                    output.map(|o| o.0),
                    output.map(|o| o.1),
                    fit,
                    format.to_string(),
                    units.to_string()
                ]));
            }
        }
    }
    let checked = common::run_python(
        include_str!("annotations/geometry_reference.py"),
        &[
            dir.to_str().unwrap(),
            &serde_json::Value::from(cases).to_string(),
        ],
    );
    assert_eq!(checked.trim(), "checked 36 exports");
}

/// Runs a README snippet (`tests/annotations/readme_*.py`) in `dir`, where the export is `out/`.
fn run_snippet(code: &str, dir: &Path) -> String {
    let output = std::process::Command::new(common::python())
        .arg("-c")
        .arg(code)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// `three_images` with a mask beside each image, exported at native size into `dir/out`.
fn readme_export(dir: &Path, form: &Form) {
    let (root, masks) = (dir.join("images"), dir.join("masks"));
    let mut index = three_images(&root);
    for name in ["a.png", "b.png", "c.png"] {
        common::save(&masks, name, &common::gray(40, 20, |x, _| (x / 10) as u8));
    }
    for sample in &mut index.samples {
        let mut objects = (**sample.objects.as_ref().unwrap()).clone();
        objects.mask = Some(batchscope::source::annotations::MaskRef::File(
            Path::new("../masks").join(&sample.rel_path),
        ));
        sample.objects = Some(std::sync::Arc::new(objects));
    }
    index.object_classes.as_mut().unwrap().has_masks = true;
    export_annotated(index, &dir.join("out"), form).unwrap();
}

#[test]
fn readme_numpy_and_tensorflow_snippets_load_a_real_export() {
    const TEST: &str = "readme_numpy_and_tensorflow_snippets_load_a_real_export";
    if !common::has_python_module("numpy", TEST) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    readme_export(tmp.path(), &Form::default());
    let printed = run_snippet(include_str!("annotations/readme_numpy.py"), tmp.path());
    assert_eq!(
        printed,
        "0 cat 1 [0.10000000149011612, 0.10000000149011612, 0.5, 0.5]\n\
         0 bird 7 [0.25, 0.25, 0.75, 0.75]\n\
         2 dog 3 [0.0, 0.0, 1.0, 1.0]\n"
    );
    if !common::has_python_module("tensorflow", TEST) {
        return;
    }
    let printed = run_snippet(include_str!("annotations/readme_tf.py"), tmp.path());
    assert_eq!(
        printed,
        "(20, 40, 3) (2, 4) [0, 2]\n(20, 40, 3) (0, 4) []\n(20, 40, 3) (1, 4) [1]\n"
    );
}

#[test]
#[ignore = "needs torch, which CI cannot install from PyPI without GBs of CUDA wheels; run by hand with --ignored"]
fn readme_pytorch_snippet_splits_boxes_by_num_boxes() {
    if !common::has_python_module("torch", "readme_pytorch_snippet_splits_boxes_by_num_boxes") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let form = Form {
        boxes: boxes(BoxFormat::Xyxy, BoxUnits::Pixels),
        ..Form::default()
    };
    readme_export(tmp.path(), &form);
    let printed = run_snippet(include_str!("annotations/readme_torch.py"), tmp.path());
    assert_eq!(printed, "(2, 4) [0, 2]\n(0, 4) []\n(1, 4) [1]\n");
}

/// Python writes one detection set as COCO, YOLO, Pascal VOC and (with TensorFlow) a TF Object
/// Detection API TFRecord; each is exported by the command line at native size, centre-cropped and
/// padded, in two box forms, and every `boxes.npy`, `box_classes.npy` and `num_boxes.npy` equals
/// the numpy reference computed from the numbers Python wrote in that format.
#[test]
fn every_format_python_writes_exports_the_boxes_numpy_computes_from_it() {
    const TEST: &str = "every_format_python_writes_exports_the_boxes_numpy_computes_from_it";
    if !common::has_python_module("numpy", TEST) || !common::has_python_module("PIL", TEST) {
        return;
    }
    let tf = common::has_python_module("tensorflow", TEST);
    let tmp = tempfile::tempdir().unwrap();
    common::run_python(
        include_str!("annotations/write_formats.py"),
        &[tmp.path().to_str().unwrap()],
    );
    let mut formats = vec!["coco", "yolo", "voc"];
    if tf {
        formats.push("tfrecord");
    }
    let mut checked_formats = Vec::new();
    for format in formats.clone() {
        let root = tmp.path().join(format);
        // The exports and the reference's statement beside them, outside the dataset folder.
        let exports = tmp.path().join("exports").join(format);
        std::fs::create_dir_all(&exports).unwrap();
        std::fs::copy(
            root.join("annotations.json"),
            exports.join("annotations.json"),
        )
        .unwrap();
        let mut cases = Vec::new();
        for (name, size, fit) in [
            ("native", None, None),
            ("crop-wide", Some((16, 40)), Some("--crop-to-aspect-ratio")),
            ("pad-tall", Some((12, 11)), Some("--pad-to-aspect-ratio")),
        ] {
            for (box_format, box_units) in [("yxyx", "normalized"), ("xywh", "pixels")] {
                let folder = format!("{name}-{box_format}-{box_units}");
                let out = exports.join(&folder);
                let mut args = vec![
                    "export".to_owned(),
                    root.to_str().unwrap().to_owned(),
                    "--out".to_owned(),
                    out.to_str().unwrap().to_owned(),
                    "--box-format".to_owned(),
                    box_format.to_owned(),
                    "--box-units".to_owned(),
                    box_units.to_owned(),
                ];
                if let Some((h, w)) = size {
                    args.push("--image-size".to_owned());
                    args.push(format!("{h}x{w}"));
                }
                args.extend(fit.map(str::to_owned));
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                common::batchscope_ok(&args);
                assert!(!out.join("labels.npy").exists(), "{format}/{folder}");
                let names: Vec<String> =
                    serde_json::from_slice(&std::fs::read(out.join("class_names.json")).unwrap())
                        .unwrap();
                assert_eq!(names, ["cat", "dog", "fox"], "{format}/{folder}");
                let fit = match fit {
                    Some("--crop-to-aspect-ratio") => "crop",
                    Some(_) => "pad",
                    None => "stretch",
                };
                cases.push(serde_json::json!([
                    folder,
                    size.map(|s| s.0),
                    size.map(|s| s.1),
                    fit,
                    box_format,
                    box_units
                ]));
            }
        }
        let checked = common::run_python(
            include_str!("annotations/geometry_reference.py"),
            &[
                exports.to_str().unwrap(),
                &serde_json::Value::from(cases).to_string(),
            ],
        );
        assert_eq!(checked.trim(), "checked 6 exports", "{format}");
        checked_formats.push(format);
    }
    assert_eq!(checked_formats, formats);
}
