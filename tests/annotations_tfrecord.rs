//! Detection and segmentation annotations from TFRecords and segmentation folders (issue 25): the
//! TF Object Detection API's keys and tfds's layout, label maps, record masks, key overrides,
//! hostile records, records over 16 MiB, and `images/` + `masks/` folders.
//!
//! The Rust-built fixtures (tf.train.Example encoded with prost, framed by `common/records.rs`)
//! need no Python; one parity test has TensorFlow write OD API records (JPEG and PNG, 0–5 objects,
//! texts, per-object and class-map masks) and compares every value with what Python wrote. It is
//! skipped with a printed reason without `tensorflow`, and fails under `BATCHSCOPE_REQUIRE_PYTHON=1`.
#![allow(clippy::unwrap_used, clippy::float_cmp)] // Exact floats are what is asserted.

mod common;
#[path = "common/records.rs"]
#[allow(dead_code)]
mod records;

use std::path::{Path, PathBuf};

use batchscope::index::DatasetIndex;
use batchscope::options::{IndexOptions, SourceKind};
use batchscope::size::Size;
use batchscope::source::annotations::{self, MaskRef, Units};
use batchscope::source::tfrecord::{
    BytesList, Example, Feature, Features, FloatList, Int64List, Kind,
};
use prost::Message as _;

fn floats(v: &[f32]) -> Feature {
    Feature {
        kind: Some(Kind::FloatList(FloatList { value: v.to_vec() })),
    }
}

fn ints(v: &[i64]) -> Feature {
    Feature {
        kind: Some(Kind::Int64List(Int64List { value: v.to_vec() })),
    }
}

fn bytes(v: &[&[u8]]) -> Feature {
    Feature {
        kind: Some(Kind::BytesList(BytesList {
            value: v.iter().map(|b| b.to_vec()).collect(),
        })),
    }
}

/// An OD API Example: a PNG of `h`x`w`, boxes `[xmin, ymin, xmax, ymax]`, class ids, texts.
fn od_example(
    h: u32,
    w: u32,
    boxes: &[[f32; 4]],
    ids: &[i64],
    texts: &[&str],
) -> Vec<(String, Feature)> {
    let column = |c: usize| floats(&boxes.iter().map(|b| b[c]).collect::<Vec<_>>());
    let texts: Vec<&[u8]> = texts.iter().map(|t| t.as_bytes()).collect();
    vec![
        (
            "image/encoded".into(),
            bytes(&[&common::png_bytes(w, h, 1)]),
        ),
        ("image/format".into(), bytes(&[b"png"])),
        ("image/height".into(), ints(&[i64::from(h)])),
        ("image/width".into(), ints(&[i64::from(w)])),
        ("image/object/bbox/xmin".into(), column(0)),
        ("image/object/bbox/ymin".into(), column(1)),
        ("image/object/bbox/xmax".into(), column(2)),
        ("image/object/bbox/ymax".into(), column(3)),
        ("image/object/class/label".into(), ints(ids)),
        ("image/object/class/text".into(), bytes(&texts)),
    ]
}

fn encode(features: Vec<(String, Feature)>) -> Vec<u8> {
    Example {
        features: Some(Features {
            feature: features.into_iter().collect(),
        }),
    }
    .encode_to_vec()
}

/// Writes `examples` as one TFRecord file.
fn write_records(path: &Path, examples: Vec<Vec<(String, Feature)>>) -> PathBuf {
    common::parent(path);
    let mut data = Vec::new();
    for example in examples {
        data.extend(records::framed(&encode(example)));
    }
    std::fs::write(path, data).unwrap();
    path.to_path_buf()
}

fn set(mut features: Vec<(String, Feature)>, key: &str, value: Feature) -> Vec<(String, Feature)> {
    features.retain(|(k, _)| k != key);
    features.push((key.to_owned(), value));
    features
}

fn gray_png(w: u32, h: u32, values: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    image::GrayImage::from_raw(w, h, values.to_vec())
        .unwrap()
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

fn open(path: &Path) -> DatasetIndex {
    common::open_dataset(path, &IndexOptions::default()).unwrap()
}

/// `(xmin, ymin, xmax, ymax)`, class index per object of sample `i`.
fn objects_of(index: &DatasetIndex, i: usize) -> Vec<([f64; 4], u32)> {
    index.samples[i]
        .objects
        .as_ref()
        .unwrap()
        .objects
        .iter()
        .map(|o| {
            (
                [o.bbox.xmin, o.bbox.ymin, o.bbox.xmax, o.bbox.ymax],
                o.class,
            )
        })
        .collect()
}

fn wide(b: [f32; 4]) -> [f64; 4] {
    b.map(f64::from)
}

#[test]
fn od_api_records_give_each_sample_its_objects_and_the_classes_in_id_order() {
    let dir = tempfile::tempdir().unwrap();
    let b0 = [0.125, 0.25, 0.5, 0.75];
    let b1 = [0.1, 0.2, 0.3, 0.4];
    let b2 = [-0.05, 0.6, 1.2, 0.7]; // negative and past the edge: kept as stated
    let file = write_records(
        &dir.path().join("train.tfrecord"),
        vec![
            od_example(8, 10, &[b0, b1], &[90, 1], &["toothbrush", "person"]),
            od_example(6, 4, &[], &[], &[]),
            od_example(8, 10, &[b2], &[18], &["dog"]),
            // A record with an image-level label too: off, as detection datasets have none.
            set(
                od_example(5, 5, &[b1], &[1], &["human"]),
                "image/class/label",
                ints(&[7]),
            ),
        ],
    );
    assert_eq!(batchscope::source::detect(&file), SourceKind::Tfrecord);
    let index = open(&file);
    assert_eq!(index.samples.len(), 4);
    assert!(index.warnings.is_empty(), "{:?}", index.warnings);
    let classes = index.object_classes.clone().unwrap();
    assert_eq!(classes.ids, vec![1, 18, 90]);
    // Names: the first text seen of each id ("person" before "human").
    assert_eq!(classes.names, vec!["person", "dog", "toothbrush"]);
    assert!(!classes.has_masks);
    assert_eq!(objects_of(&index, 0), vec![(wide(b0), 2), (wide(b1), 0)]);
    assert_eq!(objects_of(&index, 1), vec![]);
    assert_eq!(objects_of(&index, 2), vec![(wide(b2), 1)]);
    assert_eq!(objects_of(&index, 3), vec![(wide(b1), 0)]);
    let first = index.samples[0].objects.as_ref().unwrap();
    assert_eq!(first.units, Units::Normalized);
    assert_eq!(
        first.stated_size,
        Some(Size {
            height: 8,
            width: 10
        })
    );
    assert_eq!(first.mask, None);
    assert_eq!(index.samples[2].rel_path, PathBuf::from("train.tfrecord#2"));
    // Image-level labels are off unless asked for.
    assert!(!index.labeled);
    assert!(index.samples.iter().all(|s| s.label.is_none()));
    assert_eq!(
        index.store.describe(),
        "1 TFRecord file, none; TF Object Detection API objects, names from image/object/class/text"
    );
    let all: Vec<_> = index
        .samples
        .iter()
        .map(|s| s.objects.as_deref().unwrap())
        .collect();
    assert_eq!(
        annotations::objects_per_class(all.iter().copied(), 3),
        vec![2, 1, 1]
    );
    // Asked for by --label-key, the image-level label is read beside the objects.
    let labeled = common::open_dataset(
        &file,
        &IndexOptions {
            label_key: Some("image/class/label".into()),
            ..IndexOptions::default()
        },
    );
    let warnings = labeled.unwrap().warnings;
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    assert!(
        warnings[0]
            .reason
            .starts_with("record 0: no feature \"image/class/label\" in the record"),
        "{warnings:?}"
    );
}

#[test]
fn a_label_map_beside_the_records_names_every_class_and_leaves_out_unknown_ids() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_records(
        &dir.path().join("val.tfrecord"),
        vec![
            od_example(4, 4, &[[0.0, 0.0, 0.5, 0.5]], &[3], &["ignored"]),
            od_example(4, 4, &[[0.0, 0.0, 1.0, 1.0]], &[7], &["stray"]),
            od_example(4, 4, &[[0.5, 0.5, 1.0, 1.0]], &[1], &[]),
        ],
    );
    std::fs::write(
        dir.path().join("pets_label_map.pbtxt"),
        "item {\n  id: 1\n  name: 'cat'\n}\nitem {\n  id: 3\n  name: 'dog'\n  display_name: 'Dog'\n}\nitem { id: 2 name: \"cow\" }\n",
    )
    .unwrap();
    let index = open(&file);
    let classes = index.object_classes.clone().unwrap();
    assert_eq!(classes.ids, vec![1, 2, 3]);
    assert_eq!(classes.names, vec!["cat", "cow", "Dog"]);
    assert_eq!(index.samples.len(), 2);
    assert_eq!(objects_of(&index, 0), vec![(wide([0.0, 0.0, 0.5, 0.5]), 2)]);
    assert_eq!(objects_of(&index, 1), vec![(wide([0.5, 0.5, 1.0, 1.0]), 0)]);
    assert_eq!(
        common::index_warnings(&index),
        vec![(
            file.clone(),
            format!(
                "record 1: class id 7 is not named in {:?}; it is left out",
                dir.path().join("pets_label_map.pbtxt")
            )
        )]
    );
    assert!(
        index
            .store
            .describe()
            .ends_with("names from \"pets_label_map.pbtxt\""),
        "{}",
        index.store.describe()
    );
    // The dropped record reaches skipped.csv on export.
    let out = dir.path().join("out");
    common::export_source(&file, &out, IndexOptions::default()).unwrap();
    let skipped = common::skipped(&out);
    assert!(
        skipped
            .iter()
            .any(|row| row.join(",").contains("class id 7 is not named")),
        "{skipped:?}"
    );
    // Two label maps: neither is taken, and the description says why; --label-map picks one.
    std::fs::write(
        dir.path().join("label_map.pbtxt"),
        "item { id: 7 name: 'stray' }",
    )
    .unwrap();
    let unnamed = open(&file);
    assert_eq!(unnamed.samples.len(), 3);
    assert!(
        unnamed
            .store
            .describe()
            .contains("several label maps beside the records"),
        "{}",
        unnamed.store.describe()
    );
    // ... and so does a note (the records are kept), where the export and the viewer list them.
    assert_eq!(common::index_warnings(&unnamed), []);
    let [note] = &unnamed.notes[..] else {
        panic!("{:?}", unnamed.notes)
    };
    let several = note
        .reason
        .contains("several label maps beside the records");
    assert!(note.path == dir.path() && several, "{note:?}");
    let picked = common::open_dataset(
        &file,
        &IndexOptions {
            label_map: Some(dir.path().join("label_map.pbtxt")),
            ..IndexOptions::default()
        },
    )
    .unwrap();
    assert_eq!(picked.object_classes.unwrap().names, vec!["stray"]);
    assert_eq!(picked.samples.len(), 1);
    // A label map that does not parse is an error naming it and the line.
    std::fs::write(dir.path().join("bad.pbtxt"), "item { id: 1 name: 'a }").unwrap();
    let bad = common::open_dataset(
        &file,
        &IndexOptions {
            label_map: Some(dir.path().join("bad.pbtxt")),
            ..IndexOptions::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(
        bad.contains("bad.pbtxt") && bad.contains("line 1: a string is not closed"),
        "{bad}"
    );
}

#[test]
fn tfds_records_are_flat_yxyx_lists_named_by_labels_txt() {
    let dir = tempfile::tempdir().unwrap();
    let example = |bbox: &[f32], labels: &[i64]| {
        vec![
            ("image".to_owned(), bytes(&[&common::png_bytes(6, 4, 2)])),
            ("objects/bbox".to_owned(), floats(bbox)),
            ("objects/label".to_owned(), ints(labels)),
        ]
    };
    let file = write_records(
        &dir.path().join("voc-train.tfrecord-00000-of-00001"),
        vec![
            example(&[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], &[2, 0]),
            example(&[], &[]),
        ],
    );
    std::fs::write(
        dir.path().join("objects-label.labels.txt"),
        "aeroplane\nbicycle\nbird\nboat\n",
    )
    .unwrap();
    let index = open(dir.path());
    let classes = index.object_classes.clone().unwrap();
    assert_eq!(classes.names, vec!["aeroplane", "bicycle", "bird", "boat"]);
    assert_eq!(classes.ids, vec![0, 1, 2, 3]);
    assert_eq!(
        objects_of(&index, 0),
        vec![
            (wide([0.2, 0.1, 0.4, 0.3]), 2),
            (wide([0.6, 0.5, 0.8, 0.7]), 0)
        ]
    );
    assert_eq!(objects_of(&index, 1), vec![]);
    assert!(
        index.samples[0]
            .objects
            .as_ref()
            .unwrap()
            .stated_size
            .is_none()
    );
    assert!(index.warnings.is_empty(), "{:?}", index.warnings);
    assert!(file.exists());
}

#[test]
fn key_overrides_read_other_features_and_other_sources_refuse_them() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_records(
        &dir.path().join("custom.tfrecord"),
        vec![vec![
            ("jpg".to_owned(), bytes(&[&common::png_bytes(4, 4, 3)])),
            ("x0".to_owned(), floats(&[0.1])),
            ("y0".to_owned(), floats(&[0.2])),
            ("x1".to_owned(), floats(&[0.3])),
            ("y1".to_owned(), floats(&[0.4])),
            ("cls".to_owned(), ints(&[5])),
        ]],
    );
    // Detected: no known box keys, so no objects.
    assert!(open(&file).object_classes.is_none());
    let keys = |v: &[&str]| Some(v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
    let index = common::open_dataset(
        &file,
        &IndexOptions {
            bbox_keys: keys(&["x0", "y0", "x1", "y1"]),
            object_class_key: Some("cls".into()),
            ..IndexOptions::default()
        },
    )
    .unwrap();
    assert_eq!(objects_of(&index, 0), vec![(wide([0.1, 0.2, 0.3, 0.4]), 0)]);
    assert_eq!(index.object_classes.unwrap().names, vec!["class 5"]);
    let missing = common::open_dataset(
        &file,
        &IndexOptions {
            bbox_keys: keys(&["xmin", "ymin", "xmax", "ymax"]),
            ..IndexOptions::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(
        missing
            .contains("--bbox-keys was given, but no record holds boxes (xmin, ymin, xmax, ymax)"),
        "{missing}"
    );
    let three = common::open_dataset(
        &file,
        &IndexOptions {
            bbox_keys: keys(&["a", "b", "c"]),
            ..IndexOptions::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(three.contains("--bbox-keys takes four features"), "{three}");
    // Another kind of source refuses the flags by name, on the command line too.
    let folder = dir.path().join("folder");
    common::save(&folder, "cat/a.png", &common::pattern(4, 4, 1));
    let refused = common::batchscope(&[
        "inspect",
        folder.to_str().unwrap(),
        "--bbox-keys",
        "a,b,c,d",
        "--label-map",
        "x.pbtxt",
    ]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        stderr.contains("--bbox-keys does not apply to image folders")
            && stderr.contains("--label-map does not apply to image folders"),
        "{stderr}"
    );
}

#[test]
fn hostile_records_are_left_out_naming_the_record_and_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let good = || od_example(4, 6, &[[0.1, 0.1, 0.2, 0.2]], &[1], &["a"]);
    let two = || {
        od_example(
            4,
            6,
            &[[0.1, 0.1, 0.2, 0.2], [0.3, 0.3, 0.4, 0.4]],
            &[1, 1],
            &["a", "a"],
        )
    };
    let mask = gray_png(6, 4, &[1; 24]);
    let file = write_records(
        &dir.path().join("bad.tfrecord"),
        vec![
            good(),
            set(good(), "image/object/bbox/ymin", floats(&[f32::NAN])),
            set(good(), "image/object/bbox/xmax", floats(&[f32::INFINITY])),
            set(two(), "image/object/class/label", ints(&[1])),
            set(two(), "image/object/bbox/ymax", floats(&[0.4])),
            set(two(), "image/object/mask", bytes(&[&mask])),
            set(
                good(),
                "image/object/mask",
                bytes(&[&gray_png(5, 4, &[1; 20])]),
            ),
            set(
                good(),
                "image/object/mask",
                bytes(&[b"\x89PNG\r\n\x1a\n not really"]),
            ),
            set(good(), "image/object/bbox/xmin", floats(&[-0.5])),
            // Finite as stored, but past float32's range once resized.
            set(good(), "image/object/bbox/xmax", floats(&[3e38])),
        ],
    );
    let index = open(&file);
    // Kept: the good record and the one with a negative coordinate (as stated; health flags it).
    let kept: Vec<_> = index.samples.iter().map(|s| s.rel_path.clone()).collect();
    assert_eq!(
        kept,
        vec![
            PathBuf::from("bad.tfrecord#0"),
            PathBuf::from("bad.tfrecord#8")
        ]
    );
    assert_eq!(objects_of(&index, 1)[0].0[0], f64::from(-0.5f32));
    let reasons: Vec<String> = index.warnings.iter().map(|w| w.reason.clone()).collect();
    assert_eq!(reasons.len(), 8, "{reasons:?}");
    assert_eq!(
        reasons[..6],
        [
            "record 1: box 0: ymin is NaN, not a finite number; it is left out",
            "record 2: box 0: xmax is inf, not a finite number; it is left out",
            "record 3: 2 boxes but 1 class id in \"image/object/class/label\"; it is left out",
            "record 4: the box lists differ in length (xmin 2, ymin 2, xmax 2, ymax 1); it is left out",
            "record 5: 2 boxes but 1 mask in \"image/object/mask\"; it is left out",
            "record 6: mask 0 (\"image/object/mask\") is 4x5 but its image is 4x6; it is left out",
        ]
    );
    assert!(
        reasons[6].starts_with("record 7: mask 0 (\"image/object/mask\") cannot be read"),
        "{reasons:?}"
    );
    assert_eq!(
        reasons[7],
        "record 9: box 0: xmax is 3.0000000054977558e38, beyond ±4.294967296e9, farther than any image reaches; it is left out"
    );
    assert!(index.warnings.iter().all(|w| w.path == file));
    let out = dir.path().join("out");
    common::export_source(&file, &out, IndexOptions::default()).unwrap();
    let skipped = common::skipped(&out)
        .iter()
        .map(|r| r.join(" "))
        .collect::<Vec<_>>()
        .join("\n");
    for record in (1..=7).chain([9]) {
        assert!(skipped.contains(&format!("record {record}: ")), "{skipped}");
    }
    assert!(skipped.contains("bad.tfrecord"), "{skipped}");
}

#[test]
fn record_masks_are_read_through_the_store_as_class_maps() {
    let dir = tempfile::tempdir().unwrap();
    let size = Size {
        height: 2,
        width: 3,
    };
    let per_object = set(
        od_example(
            2,
            3,
            &[[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 0.5, 0.5]],
            &[4, 2],
            &["b", "a"],
        ),
        "image/object/mask",
        bytes(&[
            &gray_png(3, 2, &[1, 1, 1, 0, 0, 0]),
            &gray_png(3, 2, &[0, 9, 0, 9, 0, 0]),
        ]),
    );
    let class_map = set(
        od_example(2, 3, &[], &[], &[]),
        "image/segmentation/class/encoded",
        bytes(&[&gray_png(3, 2, &[0, 7, 7, 255, 1, 0])]),
    );
    let file = write_records(
        &dir.path().join("masks.tfrecord"),
        vec![per_object, class_map, od_example(2, 3, &[], &[], &[])],
    );
    let index = open(&file);
    assert!(index.object_classes.as_ref().unwrap().has_masks);
    assert_eq!(
        index.samples[0].objects.as_ref().unwrap().mask,
        Some(MaskRef::Record { stored: false })
    );
    assert_eq!(
        index.samples[1].objects.as_ref().unwrap().mask,
        Some(MaskRef::Record { stored: true })
    );
    // Ids 2 and 4 are classes 0 and 1: painted 1 and 2, the later object over the earlier.
    let painted = annotations::class_map(&index, 0, size, 1 << 20)
        .unwrap()
        .unwrap();
    assert_eq!(painted.values, vec![2, 1, 2, 1, 0, 0]);
    let stored = annotations::class_map(&index, 1, size, 1 << 20)
        .unwrap()
        .unwrap();
    assert_eq!(stored.values, vec![0, 7, 7, 255, 1, 0]);
    assert_eq!(annotations::class_map(&index, 2, size, 1 << 20), Ok(None));
    let over = annotations::class_map(&index, 0, size, 10).unwrap_err();
    assert!(over.contains("over the limit of 10 bytes"), "{over}");
}

#[test]
fn objects_of_a_record_over_16_mib_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let padding = vec![7u8; 17 << 20];
    let large = set(
        od_example(
            4,
            6,
            &[[0.1, 0.2, 0.3, 0.4], [0.5, 0.5, 0.75, 1.0]],
            &[3, 1],
            &["x", "y"],
        ),
        "padding",
        bytes(&[&padding]),
    );
    let file = write_records(
        &dir.path().join("large.tfrecord"),
        vec![
            large,
            od_example(4, 6, &[[0.0, 0.0, 1.0, 1.0]], &[3], &["three"]),
        ],
    );
    let index = open(&file);
    assert_eq!(index.samples.len(), 2, "{:?}", index.warnings);
    assert_eq!(
        objects_of(&index, 0),
        vec![
            (wide([0.1, 0.2, 0.3, 0.4]), 1),
            (wide([0.5, 0.5, 0.75, 1.0]), 0)
        ]
    );
    // A large record's texts are not kept whole: the names come from the other record.
    assert_eq!(
        index.object_classes.unwrap().names,
        vec!["class 1", "three"]
    );
}

fn palette_png(w: u32, h: u32, indices: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, w, h);
        encoder.set_color(png::ColorType::Indexed);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_palette(
            (0..=255u8)
                .flat_map(|i| [i, 128, 255 - i])
                .collect::<Vec<_>>(),
        );
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(indices).unwrap();
    }
    out
}

#[test]
fn segmentation_folders_pair_images_with_masks_read_as_stored() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("seg");
    common::save(&root, "images/a.png", &common::pattern(3, 2, 1));
    common::write(&root, "images/b.jpg", &common::jpeg_bytes(3, 2, 2));
    common::save(&root, "images/lonely.png", &common::pattern(3, 2, 3));
    common::write(&root, "masks/a.png", &gray_png(3, 2, &[0, 1, 2, 2, 1, 0]));
    common::write(
        &root,
        "masks/b.png",
        &palette_png(3, 2, &[15, 255, 0, 0, 3, 3]),
    );
    common::write(
        &root,
        "class_names.json",
        br#"["background", "road", "car"]"#,
    );
    assert_eq!(batchscope::source::detect(&root), SourceKind::Seg);
    let index = open(&root);
    let names: Vec<_> = index.samples.iter().map(|s| s.rel_path.clone()).collect();
    assert_eq!(
        names,
        vec![PathBuf::from("images/a.png"), PathBuf::from("images/b.jpg")]
    );
    let classes = index.object_classes.clone().unwrap();
    assert_eq!(classes.names, vec!["background", "road", "car"]);
    let size = Size {
        height: 2,
        width: 3,
    };
    assert_eq!(
        annotations::class_map(&index, 0, size, 1 << 20)
            .unwrap()
            .unwrap()
            .values,
        vec![0, 1, 2, 2, 1, 0]
    );
    // The palette PNG's indices, not its colours.
    assert_eq!(
        annotations::class_map(&index, 1, size, 1 << 20)
            .unwrap()
            .unwrap()
            .values,
        vec![15, 255, 0, 0, 3, 3]
    );
    let wrong = annotations::class_map(&index, 1, Size::square(2), 1 << 20).unwrap_err();
    assert!(
        wrong.contains("b.png") && wrong.contains("mask is 2x3 but its image is 2x2"),
        "{wrong}"
    );
    assert_eq!(
        common::index_warnings(&index),
        vec![(
            root.join("images/lonely.png"),
            "no mask of the same name in masks/; it is left out".to_owned()
        )]
    );
    let out = dir.path().join("out");
    common::export_source(&root, &out, IndexOptions::default()).unwrap();
    let skipped = common::skipped(&out);
    assert!(
        skipped.iter().any(|r| r.join(" ").contains("lonely.png")),
        "{skipped:?}"
    );
    // Told outright, a folder that is not one says what it expected.
    let not = common::open_dataset(
        dir.path(),
        &IndexOptions {
            source: Some(SourceKind::Seg),
            ..IndexOptions::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(not.contains("expected images/ and masks/"), "{not}");
}

const WRITE_OD_RECORDS: &str = r#"
import json, os, sys
import numpy as np
import tensorflow as tf

out = sys.argv[1]
rng = np.random.RandomState(25)
names = {1: "person", 3: "car", 18: "dog", 90: "toothbrush"}
def b(v): return tf.train.Feature(bytes_list=tf.train.BytesList(value=v))
def i(v): return tf.train.Feature(int64_list=tf.train.Int64List(value=v))
def f(v): return tf.train.Feature(float_list=tf.train.FloatList(value=v))

plans = []
for k in range(9):
    n = k % 6
    plans.append((n, [int(c) for c in rng.choice(sorted(names), n)]))
seen = sorted({c for _, cls in plans for c in cls})
truth = {"classes": seen, "names": [names[c] for c in seen], "records": []}
with tf.io.TFRecordWriter(os.path.join(out, "od.tfrecord")) as w:
    for k, (n, cls) in enumerate(plans):
        h, wd = 12 + k, 17 - k
        img = rng.randint(0, 256, (h, wd, 3), dtype=np.uint8)
        jpeg = k % 2 == 0
        enc = (tf.io.encode_jpeg(img) if jpeg else tf.io.encode_png(img)).numpy()
        boxes = rng.uniform(-0.1, 1.1, (n, 4)).astype(np.float32)
        crowd = [int(c) for c in rng.randint(0, 2, n)]
        feature = {
            "image/encoded": b([enc]), "image/format": b([b"jpeg" if jpeg else b"png"]),
            "image/height": i([h]), "image/width": i([wd]),
            "image/object/bbox/xmin": f(boxes[:, 0]), "image/object/bbox/ymin": f(boxes[:, 1]),
            "image/object/bbox/xmax": f(boxes[:, 2]), "image/object/bbox/ymax": f(boxes[:, 3]),
            "image/object/class/label": i(cls),
            "image/object/class/text": b([names[c].encode() for c in cls]),
            "image/object/is_crowd": i(crowd),
        }
        mask = None
        if k in (3, 5):
            per = (rng.randint(0, 3, (n, h, wd)) == 0).astype(np.uint8) * 255
            feature["image/object/mask"] = b([tf.io.encode_png(m[:, :, None]).numpy() for m in per])
            painted = np.zeros((h, wd), np.uint8)
            for j in range(n):
                painted[per[j] != 0] = seen.index(cls[j]) + 1
            mask = painted.flatten().tolist()
        if k == 4:
            cm = rng.randint(0, 6, (h, wd)).astype(np.uint8)
            feature["image/segmentation/class/encoded"] = b([tf.io.encode_png(cm[:, :, None]).numpy()])
            mask = cm.flatten().tolist()
        ex = tf.train.Example(features=tf.train.Features(feature=feature))
        w.write(ex.SerializeToString())
        truth["records"].append({
            # The stored float32 values, as their bits (exact whatever parses the JSON).
            "boxes": boxes.view(np.uint32).tolist(),
            "classes": [seen.index(c) for c in cls],
            "crowd": [c == 1 for c in crowd],
            "size": [h, wd], "mask": mask,
        })
json.dump(truth, open(os.path.join(out, "truth.json"), "w"))
"#;

#[test]
fn od_api_records_written_by_tensorflow_index_as_python_wrote_them() {
    if !common::has_python_module(
        "tensorflow",
        "od_api_records_written_by_tensorflow_index_as_python_wrote_them",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    common::run_python(WRITE_OD_RECORDS, &[dir.path().to_str().unwrap()]);
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("truth.json")).unwrap()).unwrap();
    let index = open(&dir.path().join("od.tfrecord"));
    assert!(index.warnings.is_empty(), "{:?}", index.warnings);
    let classes = index.object_classes.clone().unwrap();
    let ids: Vec<i64> = serde_json::from_value(truth["classes"].clone()).unwrap();
    let names: Vec<String> = serde_json::from_value(truth["names"].clone()).unwrap();
    assert_eq!((classes.ids.clone(), classes.names.clone()), (ids, names));
    assert!(classes.has_masks);
    let records = truth["records"].as_array().unwrap();
    assert_eq!(index.samples.len(), records.len());
    let mut total = 0;
    for (i, record) in records.iter().enumerate() {
        let bits: Vec<[u32; 4]> = serde_json::from_value(record["boxes"].clone()).unwrap();
        let expected_classes: Vec<u32> = serde_json::from_value(record["classes"].clone()).unwrap();
        let expected: Vec<([f64; 4], u32)> = bits
            .into_iter()
            .map(|b| wide(b.map(f32::from_bits)))
            .zip(expected_classes)
            .collect();
        assert_eq!(objects_of(&index, i), expected, "record {i}");
        total += expected.len();
        let [h, w]: [u32; 2] = serde_json::from_value(record["size"].clone()).unwrap();
        let size = Size {
            height: h,
            width: w,
        };
        let objects = index.samples[i].objects.as_ref().unwrap();
        assert_eq!(objects.stated_size, Some(size), "record {i}");
        let crowd: Vec<bool> = serde_json::from_value(record["crowd"].clone()).unwrap();
        let read: Vec<bool> = objects.objects.iter().map(|o| o.crowd).collect();
        assert_eq!(read, crowd, "record {i}");
        let mask: Option<Vec<u8>> = serde_json::from_value(record["mask"].clone()).unwrap();
        let read = annotations::class_map(&index, i, size, 1 << 20).unwrap();
        assert_eq!(read.map(|m| m.values), mask, "record {i}");
    }
    // 0 to 5 objects by record number modulo 6.
    assert_eq!(total, 18);
    let all: Vec<_> = index
        .samples
        .iter()
        .map(|s| s.objects.as_deref().unwrap())
        .collect();
    let counts = annotations::objects_per_class(all.iter().copied(), classes.ids.len());
    let mut expected_counts = vec![0; classes.ids.len()];
    for record in records {
        for c in record["classes"].as_array().unwrap() {
            expected_counts[c.as_u64().unwrap() as usize] += 1;
        }
    }
    assert_eq!(counts, expected_counts);
}
