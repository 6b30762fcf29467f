//! TFRecords opened as a dataset (`source::open`) and exported through the library, against what
//! TensorFlow writes and decodes: tfds keys in two shards (PNG and JPEG), TF-slim keys in a GZIP file
//! with int64 labels past int32, a folder with a flipped byte and a missing shard, a record whose
//! image is garbage. `source_open_tfrecord.py` writes every fixture in one Python run per test binary;
//! the tests needing it are skipped with a printed reason when TensorFlow is absent (a failure under
//! `BATCHSCOPE_REQUIRE_PYTHON=1`). The last tests write records by hand and need no Python.

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use batchscope::decode::decode_bytes;
use batchscope::export::{self, ExportOptions, ExportReport};
use batchscope::index::{DatasetIndex, WalkControl};
use batchscope::load::preprocess::Element;
use batchscope::load::spec::{self, SizeCheck};
use batchscope::options::{ColorMode, Dtype, IndexOptions, LabelMode, LoadOptions, SourceKind};
use batchscope::size::Size;
use batchscope::source::{self, SourceError};
use prost::Message as _;

/// The fixture folder, written once per test binary; `None` (after saying why) without TensorFlow.
fn fixtures(test: &str) -> Option<&'static Path> {
    static DIR: OnceLock<Option<tempfile::TempDir>> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        if !common::python_module_importable("tensorflow") {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        common::run_python(
            include_str!("source_open_tfrecord.py"),
            &[dir.path().to_str().unwrap()],
        );
        Some(dir)
    });
    if dir.is_none() {
        common::skip_without_python("tensorflow", test);
    }
    dir.as_ref().map(tempfile::TempDir::path)
}

fn open(path: &Path, options: &IndexOptions) -> Result<DatasetIndex, SourceError> {
    common::open_dataset(path, options)
}

/// Exports `path` with `options` into a fresh folder; returns the folder (kept alive) and the report.
fn export_with(
    path: &Path,
    options: &LoadOptions,
    element: Element,
) -> (tempfile::TempDir, PathBuf, ExportReport) {
    let index = Arc::new(open(path, &options.index).unwrap());
    let never = AtomicBool::new(false);
    let job = spec::prepare(index, options, element, SizeCheck::AllFiles, &never).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let report = export::export(
        &Arc::new(job),
        &ExportOptions {
            out: out.clone(),
            label_mode: LabelMode::Int,
            overwrite: false,
            strict: false,
            queue_bytes: 1 << 20,
            excluded: Vec::new(),
            arrays: batchscope::export::ArrayOptions::default(),
            shard: None,
            corrections: None,
            boxes: batchscope::export::BoxOptions::default(),
        },
        &mut |_| {},
        &Arc::new(AtomicBool::new(false)),
    )
    .unwrap();
    (dir, out, report)
}

fn export_default(path: &Path) -> (tempfile::TempDir, PathBuf, ExportReport) {
    export_with(path, &LoadOptions::default(), Element::default())
}

fn i64s(bytes: &[u8]) -> Vec<i64> {
    bytes
        .chunks_exact(8)
        .map(|c| i64::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

/// `skipped.csv` as `(path, reason)` rows.
fn skipped_rows(out: &Path) -> Vec<(String, String)> {
    let mut reader = csv::Reader::from_path(out.join("skipped.csv")).unwrap();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_owned(), r[1].to_owned())
        })
        .collect()
}

/// Checks an export's images and labels against the arrays TensorFlow decoded (`<case>_*.npy`).
fn assert_matches_tf(fx: &Path, case: &str, out: &Path) {
    let ours = common::read_npy(&out.join("images.npy"));
    let theirs = common::read_npy(&fx.join(format!("{case}_images.npy")));
    assert_eq!((ours.descr.as_str(), &ours.shape), ("|u1", &theirs.shape));
    assert_eq!(
        ours.data, theirs.data,
        "{case}: pixels differ from TensorFlow's"
    );
    let ours = common::read_npy(&out.join("labels.npy"));
    let theirs = common::read_npy(&fx.join(format!("{case}_labels.npy")));
    assert_eq!((ours.descr.as_str(), &ours.shape), ("<i8", &theirs.shape));
    assert_eq!(i64s(&ours.data), i64s(&theirs.data), "{case}: labels");
}

/// Rows of `n` pixels each: PNG rows must be equal, JPEG rows within `jpeg_levels`.
fn assert_rows_close(ours: &[f32], theirs: &[f32], is_png: &[bool], jpeg_levels: f32) {
    let n = ours.len() / is_png.len();
    assert_eq!(ours.len(), theirs.len());
    for (row, &png) in is_png.iter().enumerate() {
        let range = row * n..(row + 1) * n;
        let worst = ours[range.clone()]
            .iter()
            .zip(&theirs[range])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        let allowed = if png { 0.0 } else { jpeg_levels };
        assert!(
            worst <= allowed,
            "row {row} (png: {png}) differs by {worst} > {allowed}"
        );
    }
}

#[test]
fn tfds_shards_export_what_tensorflow_decodes_in_record_order() {
    let Some(fx) = fixtures("tfds_shards_export_what_tensorflow_decodes_in_record_order") else {
        return;
    };
    let tfds = fx.join("tfds");
    let index = open(&tfds, &IndexOptions::default()).unwrap();
    assert!(index.warnings.is_empty(), "{:?}", index.warnings);
    let names: Vec<_> = index.samples.iter().map(|s| s.rel_path.clone()).collect();
    let want: Vec<PathBuf> = (0..6)
        .map(|k| PathBuf::from(format!("train-0000{}-of-00002#{}", k / 3, k % 3)))
        .collect();
    assert_eq!(names, want);
    assert_eq!(index.label_values, Some((0..=9).collect()));
    assert!(
        index
            .store
            .images()
            .is_some_and(|e| e.describe() == "2 TFRecord files, none")
    );

    let (_dir, out, report) = export_default(&tfds);
    assert_eq!((report.exported, report.skipped.len()), (6, 0));
    let is_png = common::read_npy(&fx.join("tfds_is_png.npy")).data;
    let is_png: Vec<bool> = is_png.iter().map(|&b| b == 1).collect();
    assert_eq!(is_png, [true, false, true, true, false, true]);
    let ours = common::read_npy(&out.join("images.npy"));
    let theirs = common::read_npy(&fx.join("tfds_images.npy"));
    assert_eq!(ours.shape, [6, 16, 24, 3]);
    assert_eq!(ours.shape, theirs.shape);
    // Every row is exactly what decoding the record's bytes as a file gives.
    let row_bytes = 16 * 24 * 3;
    for (k, row) in ours.data.chunks(row_bytes).enumerate() {
        let bytes = std::fs::read(fx.join(format!("tfds_{k}.img"))).unwrap();
        assert_eq!(
            row,
            decode_bytes(&bytes, ColorMode::Rgb).unwrap().pixels,
            "row {k}"
        );
    }
    // The default JPEG decoder is libjpeg-turbo as TensorFlow runs it: JPEG rows are exact too.
    let as_f32 = |d: &[u8]| d.iter().map(|&v| f32::from(v)).collect::<Vec<_>>();
    assert_rows_close(&as_f32(&ours.data), &as_f32(&theirs.data), &is_png, 0.0);
    let labels = common::read_npy(&out.join("labels.npy"));
    assert_eq!(labels.descr, "<i8");
    assert_eq!(i64s(&labels.data), [3, 1, 4, 1, 5, 9]);
    let manifest = common::manifest(&out);
    let rows: Vec<(&str, &str)> = manifest
        .iter()
        .map(|r| (r[1].as_str(), r[2].as_str()))
        .collect();
    assert_eq!(rows[0], ("train-00000-of-00002#0", "3"));
    assert_eq!(rows[5], ("train-00001-of-00002#2", "9"));
}

#[test]
fn tfds_resized_to_8x8_equals_tf_image_resize_bilinear() {
    let Some(fx) = fixtures("tfds_resized_to_8x8_equals_tf_image_resize_bilinear") else {
        return;
    };
    let theirs = f32s(&common::read_npy(&fx.join("tfds_resized.npy")).data);
    let is_png: Vec<bool> = common::read_npy(&fx.join("tfds_is_png.npy"))
        .data
        .iter()
        .map(|&b| b == 1)
        .collect();
    let mut options = LoadOptions::default();
    options.preprocess.image_size = Some(Size::square(8));
    // float32: TensorFlow's values themselves.
    let element = Element {
        dtype: Dtype::Float32,
        ..Element::default()
    };
    let (_dir, out, _) = export_with(&fx.join("tfds"), &options, element);
    let ours = common::read_npy(&out.join("images.npy"));
    assert_eq!(
        (ours.descr.as_str(), &ours.shape[..]),
        ("<f4", &[6, 8, 8, 3][..])
    );
    assert_rows_close(&f32s(&ours.data), &theirs, &is_png, 0.0);
    // uint8: the same values rounded to nearest, halves up (as the folder path rounds).
    let (_dir, out, _) = export_with(&fx.join("tfds"), &options, Element::default());
    let ours: Vec<f32> = common::read_npy(&out.join("images.npy"))
        .data
        .iter()
        .map(|&v| f32::from(v))
        .collect();
    let rounded: Vec<f32> = theirs.iter().map(|v| (v + 0.5).floor()).collect();
    assert_rows_close(&ours, &rounded, &is_png, 0.0);
}

#[test]
fn slim_gzip_keeps_int64_label_values_and_reads_any_order_in_one_pass() {
    let Some(fx) = fixtures("slim_gzip_keeps_int64_label_values_and_reads_any_order_in_one_pass")
    else {
        return;
    };
    let slim = fx.join("slim.tfrecord");
    let index = open(&slim, &IndexOptions::default()).unwrap();
    assert_eq!(index.class_names, ["-2", "7", "5000000000"]);
    assert_eq!(index.label_values, Some(vec![-2, 7, 5_000_000_000]));
    let labels: Vec<_> = index.samples.iter().map(|s| s.label).collect();
    assert_eq!(labels, [2, 0, 1, 0, 2].map(Some));
    assert_eq!(index.samples[4].rel_path, Path::new("slim.tfrecord#4"));
    let Some(images) = index.store.images() else {
        panic!("{:?}", index.store)
    };
    assert_eq!(images.describe(), "1 TFRecord file, gzip");
    assert_eq!(
        images.header(3, Path::new("")).unwrap(),
        (
            image::ImageFormat::Png,
            Size {
                height: 16,
                width: 24
            }
        )
    );
    let png = |k: usize| std::fs::read(fx.join(format!("slim_{k}.png"))).unwrap();
    let got = images.read(&[4, 0, 3, 0], u64::MAX);
    let got: Vec<Vec<u8>> = got.into_iter().map(Result::unwrap).collect();
    assert_eq!(got, [png(4), png(0), png(3), png(0)]);
    // At the limit is read; one byte over it is refused, naming the limit.
    let size = png(2).len() as u64;
    assert_eq!(images.read(&[2], size)[0].as_ref().unwrap(), &png(2));
    let got = images.read(&[2], size - 1);
    let err = got[0].as_ref().unwrap_err();
    assert!(
        err.contains(&format!(
            "is {size} bytes, over the limit of {} bytes",
            size - 1
        )),
        "{err}"
    );

    let (_dir, out, report) = export_default(&slim);
    assert_eq!(report.exported, 5);
    assert_matches_tf(fx, "slim", &out);
    let manifest = common::manifest(&out);
    assert_eq!(
        manifest[0][1..],
        ["slim.tfrecord#0", "5000000000", "5000000000"]
    );
    assert_eq!(manifest[1][2], "-2");

    // Shuffling would read a compressed file backwards once a row: refused, saying what to do.
    let mut options = LoadOptions::default();
    options.plan.shuffle = true;
    options.plan.seed = Some(5);
    let index = Arc::new(open(&slim, &options.index).unwrap());
    let never = AtomicBool::new(false);
    let err = spec::prepare(
        index,
        &options,
        Element::default(),
        SizeCheck::AllFiles,
        &never,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with(
            "--shuffle needs rows read at random, but 1 TFRecord file, gzip is compressed"
        ),
        "{err}"
    );
}

#[test]
fn a_flipped_byte_and_a_missing_shard_are_reported_and_the_rest_exported() {
    let Some(fx) =
        fixtures("a_flipped_byte_and_a_missing_shard_are_reported_and_the_rest_exported")
    else {
        return;
    };
    let broken = fx.join("broken");
    let index = open(&broken, &IndexOptions::default()).unwrap();
    let warnings: Vec<(PathBuf, &str)> = index
        .warnings
        .iter()
        .map(|w| (w.path.clone(), w.reason.as_str()))
        .collect();
    assert_eq!(
        warnings,
        [
            (
                broken.join("train-00001-of-00003"),
                "shard 1 of a set of 3 is missing"
            ),
            (
                broken.join("train-00000-of-00003"),
                "record 1: the record's data fails its CRC"
            ),
        ]
    );
    let (_dir, out, report) = export_default(&broken);
    assert_eq!((report.exported, report.skipped.len()), (5, 0));
    assert_matches_tf(fx, "broken", &out);
    let manifest = common::manifest(&out);
    let paths: Vec<&str> = manifest.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(
        paths,
        [
            "train-00000-of-00003#0",
            "train-00000-of-00003#2",
            "train-00002-of-00003#0",
            "train-00002-of-00003#1",
            "train-00002-of-00003#2"
        ]
    );
    let skipped = skipped_rows(&out);
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert!(skipped[0].0.ends_with("broken/train-00001-of-00003"));
    assert_eq!(skipped[0].1, "shard 1 of a set of 3 is missing");
    assert!(skipped[1].0.ends_with("broken/train-00000-of-00003"));
    assert_eq!(skipped[1].1, "record 1: the record's data fails its CRC");
}

#[test]
fn a_garbage_image_is_a_skipped_sample_and_an_imageless_record_a_warning() {
    let Some(fx) =
        fixtures("a_garbage_image_is_a_skipped_sample_and_an_imageless_record_a_warning")
    else {
        return;
    };
    let garbage = fx.join("garbage.tfrecord");
    let index = open(&garbage, &IndexOptions::default()).unwrap();
    assert_eq!(index.samples.len(), 3);
    assert!(index.samples[1].rel_path == Path::new("garbage.tfrecord#1"));
    let (_dir, out, report) = export_default(&garbage);
    assert_eq!(report.exported, 2);
    assert_matches_tf(fx, "garbage", &out);
    let skipped = skipped_rows(&out);
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert!(skipped[0].0.ends_with("garbage.tfrecord"), "{skipped:?}");
    assert!(
        skipped[0]
            .1
            .starts_with("record 3: no encoded-image feature")
            && skipped[0].1.ends_with("; it is left out"),
        "{}",
        skipped[0].1
    );
    assert_eq!(skipped[1].0, "garbage.tfrecord#1");
    assert!(
        skipped[1].1.contains("not an image in a supported format"),
        "{}",
        skipped[1].1
    );
}

#[test]
fn detect_picks_tfrecord_for_a_folder_a_file_and_a_pattern() {
    let Some(fx) = fixtures("detect_picks_tfrecord_for_a_folder_a_file_and_a_pattern") else {
        return;
    };
    let pattern = fx.join("tfds/train-*");
    for path in [
        fx.join("tfds"),
        fx.join("tfds/train-00001-of-00002"),
        fx.join("slim.tfrecord"),
        pattern.clone(),
    ] {
        assert_eq!(source::detect(&path), SourceKind::Tfrecord, "{path:?}");
    }
    let by_pattern = open(&pattern, &IndexOptions::default()).unwrap();
    let by_folder = open(&fx.join("tfds"), &IndexOptions::default()).unwrap();
    assert_eq!(by_pattern.samples, by_folder.samples);
    // One shard alone: its sibling is missing, and the warning says so.
    let one = open(
        &fx.join("tfds/train-00001-of-00002"),
        &IndexOptions::default(),
    )
    .unwrap();
    assert_eq!(one.samples.len(), 3);
    assert_eq!(one.warnings.len(), 1);
    assert_eq!(one.warnings[0].reason, "shard 0 of a set of 2 is missing");
}

// Records written here, without TensorFlow (the framing is checked against TensorFlow's bytes in
// the unit tests of `framing`).

use batchscope::source::tfrecord::{
    BytesList, Example, Feature, Features, FloatList, Int64List, Kind,
};

fn record(data: &[u8]) -> Vec<u8> {
    use batchscope::source::tfrecord::masked_crc;
    let len = (data.len() as u64).to_le_bytes();
    let mut out = len.to_vec();
    out.extend(masked_crc(&len).to_le_bytes());
    out.extend(data);
    out.extend(masked_crc(data).to_le_bytes());
    out
}

fn example(features: Vec<(&str, Kind)>) -> Vec<u8> {
    Example {
        features: Some(Features {
            feature: features
                .into_iter()
                .map(|(k, kind)| (k.to_owned(), Feature { kind: Some(kind) }))
                .collect(),
        }),
    }
    .encode_to_vec()
}

fn png(seed: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    common::pattern(4, 3, seed)
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .unwrap();
    bytes
}

/// `n` records with tfds keys: image `png(k)`, label `k % 3`.
fn write_records(path: &Path, n: u32) {
    let mut bytes = Vec::new();
    for k in 0..n {
        bytes.extend(record(&example(vec![
            (
                "image",
                Kind::BytesList(BytesList {
                    value: vec![png(k)],
                }),
            ),
            (
                "label",
                Kind::Int64List(Int64List {
                    value: vec![i64::from(k % 3)],
                }),
            ),
        ])));
    }
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn opening_reports_progress_and_stops_when_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.tfrecord");
    write_records(&path, 600);
    let seen = AtomicUsize::new(0);
    let cancel = AtomicBool::new(false);
    let on_progress = |n: usize| {
        seen.store(n, Ordering::Relaxed);
        if n >= 256 {
            cancel.store(true, Ordering::Relaxed);
        }
    };
    let control = WalkControl {
        on_progress: &on_progress,
        cancel: &cancel,
    };
    let err = source::open(&path, &IndexOptions::default(), &control).unwrap_err();
    assert!(matches!(err, SourceError::Cancelled), "{err}");
    assert_eq!(seen.load(Ordering::Relaxed), 256);

    cancel.store(false, Ordering::Relaxed);
    let never = AtomicBool::new(false);
    let control = WalkControl {
        on_progress: &|n| seen.store(n, Ordering::Relaxed),
        cancel: &never,
    };
    let index = source::open(&path, &IndexOptions::default(), &control).unwrap();
    assert_eq!(
        (index.samples.len(), seen.load(Ordering::Relaxed)),
        (600, 600)
    );
    assert_eq!(index.class_names, ["0", "1", "2"]);
}

#[test]
fn labels_off_and_a_file_without_images_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.tfrecord");
    write_records(&path, 3);
    for options in [
        IndexOptions {
            label_key: Some("none".into()),
            ..IndexOptions::default()
        },
        IndexOptions {
            labels: batchscope::options::LabelSource::None,
            ..IndexOptions::default()
        },
    ] {
        let index = open(&path, &options).unwrap();
        assert!(!index.labeled);
        assert_eq!(index.label_values, None);
        assert!(index.samples.iter().all(|s| s.label.is_none()));
    }

    let empty = dir.path().join("captions.tfrecord");
    let caption = example(vec![(
        "caption",
        Kind::BytesList(BytesList {
            value: vec![b"a cat".to_vec()],
        }),
    )]);
    std::fs::write(&empty, [record(&caption), record(&caption)].concat()).unwrap();
    let err = open(&empty, &IndexOptions::default()).unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with(
            "no usable record (2 problems; the first: record 0: no encoded-image feature"
        ) && message.ends_with(&format!("{empty:?}")),
        "{message}"
    );

    // A good image with a float label: the message names the label, not the image.
    let float_labels = dir.path().join("float-labels.tfrecord");
    let scored = example(vec![
        (
            "image",
            Kind::BytesList(BytesList {
                value: vec![png(1)],
            }),
        ),
        ("label", Kind::FloatList(FloatList { value: vec![0.5] })),
    ]);
    std::fs::write(&float_labels, record(&scored)).unwrap();
    let message = open(&float_labels, &IndexOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with(
            "no usable record (1 problem; the first: record 0: feature \"label\" is float_list, expected int64_list"
        ) && message.ends_with(&format!("{float_labels:?}")),
        "{message}"
    );
}
