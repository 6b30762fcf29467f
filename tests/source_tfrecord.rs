//! The TFRecord source against files TensorFlow writes: tfds and TF-slim feature keys, GZIP and ZLIB
//! streams, a shard set with one shard deleted, a record with a flipped byte and a truncated file.
//! One Python run writes every fixture (TensorFlow starts slowly); each check then reads them.
//! Needs `tensorflow` importable by `python3` (or `$PYTHON`): skipped with a printed reason otherwise,
//! a failure under `BATCHSCOPE_REQUIRE_PYTHON=1`.

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.

mod common;

use std::path::{Path, PathBuf};

use batchscope::decode::decode_bytes;
use batchscope::options::ColorMode;
use batchscope::source::tfrecord::{
    self, Compression, FeatureKeys, Kind, ProblemReason, RecordIndex, RecordProblem, RecordReader,
};

/// The labels TensorFlow writes, one per image of `images.npy` (5 RGB images of 6x7).
const LABELS: [i64; 5] = [3, 1, 4, 1, 5];

const WRITE_FIXTURES: &str = r#"
import os, struct, sys
import numpy as np
import tensorflow as tf

out = sys.argv[1]
images = np.random.RandomState(11).randint(0, 256, (5, 6, 7, 3), dtype=np.uint8)
np.save(os.path.join(out, "images.npy"), images)
labels = [3, 1, 4, 1, 5]
pngs = [tf.io.encode_png(im).numpy() for im in images]

def b(v): return tf.train.Feature(bytes_list=tf.train.BytesList(value=[v]))
def i(v): return tf.train.Feature(int64_list=tf.train.Int64List(value=[v]))
def f(v): return tf.train.Feature(float_list=tf.train.FloatList(value=v))
def ex(d): return tf.train.Example(features=tf.train.Features(feature=d)).SerializeToString()

tfds = [ex({"image": b(p), "label": i(l), "id": b(b"img%d" % k)}) for k, (p, l) in enumerate(zip(pngs, labels))]
slim = [ex({"image/encoded": b(p), "image/format": b(b"png"), "image/class/label": i(l),
            "image/height": i(6), "image/width": i(7),
            "image/object/bbox/xmin": f([0.25, 0.5])}) for p, l in zip(pngs, labels)]
other = [ex({"name": b(b"cat"), "pixels_png": b(p)}) for p in pngs]

def write(name, records, compression=None):
    options = tf.io.TFRecordOptions(compression_type=compression) if compression else None
    with tf.io.TFRecordWriter(os.path.join(out, name), options) as w:
        for r in records:
            w.write(r)

write("tfds.tfrecord", tfds)
write("slim.tfrecord", slim)
write("other.tfrecord", other)
write("gzip.tfrecord", tfds, "GZIP")
write("zlib.tfrecord", tfds, "ZLIB")
os.mkdir(os.path.join(out, "shards"))
for s, part in enumerate([tfds[0:2], tfds[2:4], tfds[4:5]]):
    write("shards/train-%05d-of-00003" % s, part)
os.remove(os.path.join(out, "shards/train-00001-of-00003"))

# Record starts, found by reading the framing here (independently of the Rust reader).
data = open(os.path.join(out, "tfds.tfrecord"), "rb").read()
starts, at = [], 0
while at < len(data):
    starts.append(at)
    at += 12 + struct.unpack("<Q", data[at:at + 8])[0] + 4
flipped = bytearray(data)
flipped[starts[2] + 12 + 40] ^= 0x10  # a byte inside record 2's data
open(os.path.join(out, "flipped.tfrecord"), "wb").write(bytes(flipped))
open(os.path.join(out, "truncated.tfrecord"), "wb").write(data[:starts[3] + 30])
print(starts[3])
"#;

/// The fixtures' folder and the byte offset of record 3 in `tfds.tfrecord`, as Python found it.
struct Fixtures {
    dir: tempfile::TempDir,
    record_3_offset: u64,
}

impl Fixtures {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// The images TensorFlow encoded, as `(height, width, channels)` pixel rows per image.
fn tf_images(dir: &Path) -> Vec<Vec<u8>> {
    let npy = common::read_npy(&dir.join("images.npy"));
    assert_eq!(
        (npy.descr.as_str(), npy.shape.as_slice()),
        ("|u1", &[5, 6, 7, 3][..])
    );
    npy.data.chunks(6 * 7 * 3).map(<[u8]>::to_vec).collect()
}

/// The labels and decoded pixels of every indexed record, read in index order.
fn labels_and_pixels(index: &RecordIndex, keys: &FeatureKeys) -> (Vec<i64>, Vec<Vec<u8>>) {
    let mut reader = RecordReader::new(index);
    let mut labels = Vec::new();
    let mut pixels = Vec::new();
    for k in 0..index.records.len() {
        let bytes = reader.read(k).unwrap();
        let example = tfrecord::parse_example(&bytes).unwrap();
        let got = tfrecord::image_and_label(&example, keys).unwrap();
        labels.push(got.label.unwrap());
        let decoded = decode_bytes(got.image, ColorMode::Rgb).unwrap();
        assert_eq!((decoded.width, decoded.height, decoded.channels), (7, 6, 3));
        pixels.push(decoded.pixels);
    }
    (labels, pixels)
}

fn plain_tfds_keys_index_and_decode(fx: &Fixtures, images: &[Vec<u8>]) {
    let index = tfrecord::index(&fx.path("tfds.tfrecord"), None).unwrap();
    assert_eq!(index.files[0].compression, Compression::None);
    assert_eq!(index.records.len(), 5);
    assert!(index.problems.is_empty(), "{:?}", index.problems);
    assert_eq!(index.records[3].offset, fx.record_3_offset + 12);
    let (labels, pixels) = labels_and_pixels(&index, &FeatureKeys::default());
    assert_eq!(labels, LABELS);
    assert_eq!(pixels, images);

    // Random access: record 3 alone, then back to record 1.
    let example = tfrecord::parse_example(&tfrecord::read_record(&index, 3).unwrap()).unwrap();
    let got = tfrecord::image_and_label(&example, &FeatureKeys::default()).unwrap();
    assert_eq!(
        (got.image_key, got.label_key, got.label),
        ("image", Some("label"), Some(1))
    );
    assert_eq!(
        decode_bytes(got.image, ColorMode::Rgb).unwrap().pixels,
        images[3]
    );
    let mut reader = RecordReader::new(&index);
    let late = reader.read(4).unwrap();
    let early = reader.read(1).unwrap();
    assert_eq!(late, tfrecord::read_record(&index, 4).unwrap());
    assert_eq!(early, tfrecord::read_record(&index, 1).unwrap());
    assert_ne!(late, early);
    assert!(matches!(
        tfrecord::read_record(&index, 5),
        Err(tfrecord::TfRecordError::OutOfRange { k: 5, count: 5 })
    ));
}

fn slim_keys_and_float_lists(fx: &Fixtures, images: &[Vec<u8>]) {
    let index = tfrecord::index(&fx.path("slim.tfrecord"), None).unwrap();
    let (labels, pixels) = labels_and_pixels(&index, &FeatureKeys::default());
    assert_eq!(labels, LABELS);
    assert_eq!(pixels, images);
    let example = tfrecord::parse_example(&tfrecord::read_record(&index, 0).unwrap()).unwrap();
    let got = tfrecord::image_and_label(&example, &FeatureKeys::default()).unwrap();
    assert_eq!(
        (got.image_key, got.label_key),
        ("image/encoded", Some("image/class/label"))
    );
    let features = &example.features.as_ref().unwrap().feature;
    match &features["image/object/bbox/xmin"].kind {
        Some(Kind::FloatList(list)) => assert_eq!(list.value, [0.25, 0.5]),
        other => panic!("xmin is {other:?}"),
    }
    match &features["image/height"].kind {
        Some(Kind::Int64List(list)) => assert_eq!(list.value, [6]),
        other => panic!("height is {other:?}"),
    }
}

fn unusual_keys_detected_or_overridden(fx: &Fixtures, images: &[Vec<u8>]) {
    let index = tfrecord::index(&fx.path("other.tfrecord"), None).unwrap();
    let example = tfrecord::parse_example(&tfrecord::read_record(&index, 2).unwrap()).unwrap();
    let got = tfrecord::image_and_label(&example, &FeatureKeys::default()).unwrap();
    assert_eq!((got.image_key, got.label), ("pixels_png", None));
    assert_eq!(
        decode_bytes(got.image, ColorMode::Rgb).unwrap().pixels,
        images[2]
    );
    let keys = FeatureKeys {
        image: Some("image".into()),
        label: None,
    };
    let err = tfrecord::image_and_label(&example, &keys).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no feature \"image\" in the record; it has \"name\" (bytes_list), \"pixels_png\" (bytes_list)"
    );
}

fn gzip_and_zlib_detected_and_overridden(fx: &Fixtures, images: &[Vec<u8>]) {
    for (name, compression) in [
        ("gzip.tfrecord", Compression::Gzip),
        ("zlib.tfrecord", Compression::Zlib),
    ] {
        for asked in [None, Some(compression)] {
            let index = tfrecord::index(&fx.path(name), asked).unwrap();
            assert_eq!(index.files[0].compression, compression, "{name}");
            assert!(index.problems.is_empty(), "{name}: {:?}", index.problems);
            let (labels, pixels) = labels_and_pixels(&index, &FeatureKeys::default());
            assert_eq!(labels, LABELS, "{name}");
            assert_eq!(pixels, images, "{name}");
        }
        // Going back in a compressed file starts its stream again.
        let index = tfrecord::index(&fx.path(name), None).unwrap();
        let mut reader = RecordReader::new(&index);
        let fourth = reader.read(4).unwrap();
        reader.read(0).unwrap();
        assert_eq!(reader.read(4).unwrap(), fourth, "{name}");
    }
    // A compressed file read as plain: its first "length" fails its CRC, nothing is indexed.
    let index = tfrecord::index(&fx.path("gzip.tfrecord"), Some(Compression::None)).unwrap();
    assert!(index.records.is_empty());
    assert_eq!(index.problems.len(), 1);
    assert_eq!(index.problems[0].reason, ProblemReason::BadLengthCrc);
}

fn missing_shard_reported_other_shards_kept(fx: &Fixtures) {
    let shards = fx.path("shards");
    for input in [shards.clone(), shards.join("train-*")] {
        let index = tfrecord::index(&input, None).unwrap();
        let names: Vec<_> = index
            .files
            .iter()
            .map(|f| f.path.file_name().unwrap().to_str().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["train-00000-of-00003", "train-00002-of-00003"]);
        assert_eq!(
            index.problems,
            [RecordProblem {
                path: shards.join("train-00001-of-00003"),
                record: None,
                offset: None,
                reason: ProblemReason::MissingShard { index: 1, count: 3 },
            }]
        );
        assert_eq!(
            index.problems[0].to_string(),
            format!(
                "shard 1 of a set of 3 is missing in {:?}",
                shards.join("train-00001-of-00003")
            )
        );
        let (labels, _) = labels_and_pixels(&index, &FeatureKeys::default());
        assert_eq!(labels, [3, 1, 5]);
        let files: Vec<_> = index.records.iter().map(|r| r.file).collect();
        assert_eq!(files, [0, 0, 1]);
    }
}

fn flipped_byte_reported_others_kept(fx: &Fixtures, images: &[Vec<u8>]) {
    let path = fx.path("flipped.tfrecord");
    let index = tfrecord::index(&path, None).unwrap();
    assert_eq!(
        index.problems,
        [RecordProblem {
            path: path.clone(),
            record: Some(2),
            // Record 2's header follows record 1's data and footer.
            offset: Some(index.records[1].offset + index.records[1].len + 4),
            reason: ProblemReason::BadDataCrc,
        }]
    );
    assert_eq!(
        index.problems[0].to_string(),
        format!("record 2: the record's data fails its CRC in {path:?}")
    );
    let in_file: Vec<_> = index.records.iter().map(|r| r.record_in_file).collect();
    assert_eq!(in_file, [0, 1, 3, 4]);
    let (labels, pixels) = labels_and_pixels(&index, &FeatureKeys::default());
    assert_eq!(labels, [3, 1, 1, 5]);
    assert_eq!(
        pixels,
        [&images[0], &images[1], &images[3], &images[4]].map(Vec::clone)
    );
}

fn truncated_tail_reported_good_records_kept(fx: &Fixtures) {
    let path = fx.path("truncated.tfrecord");
    let index = tfrecord::index(&path, None).unwrap();
    let (labels, _) = labels_and_pixels(&index, &FeatureKeys::default());
    assert_eq!(labels, [3, 1, 4]);
    assert_eq!(index.problems.len(), 1);
    let problem = &index.problems[0];
    assert_eq!(
        (problem.record, problem.offset),
        (Some(3), Some(fx.record_3_offset))
    );
    assert!(
        matches!(
            problem.reason,
            ProblemReason::Truncated { found_bytes: 30, expected_bytes } if expected_bytes > 30
        ),
        "{problem:?}"
    );
}

fn truncated_gzip_keeps_what_decompresses(fx: &Fixtures) {
    let whole = std::fs::read(fx.path("gzip.tfrecord")).unwrap();
    let cut = fx.path("cut.tfrecord.gz");
    std::fs::write(&cut, &whole[..whole.len() * 2 / 3]).unwrap();
    let index = tfrecord::index(&cut, None).unwrap();
    assert_eq!(index.files[0].compression, Compression::Gzip);
    let (labels, _) = labels_and_pixels(&index, &FeatureKeys::default());
    assert!(
        labels.len() < 5 && LABELS.starts_with(&labels),
        "{labels:?}"
    );
    assert_eq!(index.problems.len(), 1, "{:?}", index.problems);
    assert_eq!(index.problems[0].record, Some(labels.len() as u64));
    // flate2 says "incomplete deflate stream"; a cut inside the last record would be a truncation.
    assert!(
        matches!(
            index.problems[0].reason,
            ProblemReason::Unreadable(_) | ProblemReason::Truncated { .. }
        ),
        "{}",
        index.problems[0]
    );
}

fn inputs_naming_nothing_or_several_sets_are_errors(fx: &Fixtures) {
    let err = tfrecord::index(&fx.path("nothing-*"), None).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "no TFRecord files (shards named NAME-0000i-of-0000N, or *.tfrecord, *.tfrecords, \
             *.tfrec) at {:?}",
            fx.path("nothing-*")
        )
    );
    let two = fx.path("two-sets");
    for name in [
        "test-00000-of-00001",
        "train-00000-of-00002",
        "train-00001-of-00002",
    ] {
        common::write(&two, name, b"");
    }
    let err = tfrecord::index(&two, None).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "the folder holds several shard sets (test-*-of-00001, train-*-of-00002); pass one as a \
             pattern, such as {:?}",
            two.join("test-*-of-00001")
        )
    );
    // An empty file is a valid file of no records.
    let index = tfrecord::index(&two.join("train-*"), None).unwrap();
    assert_eq!((index.files.len(), index.records.len()), (2, 0));
    assert!(index.problems.is_empty());
}

#[test]
fn tfrecords_written_by_tensorflow_index_and_read_back() {
    if !common::has_python_module(
        "tensorflow",
        "tfrecords_written_by_tensorflow_index_and_read_back",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let stdout = common::run_python(WRITE_FIXTURES, &[dir.path().to_str().unwrap()]);
    let fx = Fixtures {
        record_3_offset: stdout.trim().parse().unwrap(),
        dir,
    };
    let images = tf_images(fx.dir.path());
    plain_tfds_keys_index_and_decode(&fx, &images);
    slim_keys_and_float_lists(&fx, &images);
    unusual_keys_detected_or_overridden(&fx, &images);
    gzip_and_zlib_detected_and_overridden(&fx, &images);
    missing_shard_reported_other_shards_kept(&fx);
    flipped_byte_reported_others_kept(&fx, &images);
    truncated_tail_reported_good_records_kept(&fx);
    truncated_gzip_keeps_what_decompresses(&fx);
    inputs_naming_nothing_or_several_sets_are_errors(&fx);
    health_pass_measures_the_records(&fx, &images);
}

/// The health pass reads records as the loader does: every image measured from its record's bytes
/// (no file bytes to hash), with channel sums equal to TensorFlow's pixels.
fn health_pass_measures_the_records(fx: &Fixtures, images: &[Vec<u8>]) {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    use batchscope::health::{self, ScanOptions};
    use batchscope::options::LoadOptions;

    let options = LoadOptions::default();
    let cancel = Arc::new(AtomicBool::new(false));
    let control = batchscope::index::WalkControl {
        on_progress: &|_| {},
        cancel: &cancel,
    };
    let index = Arc::new(
        batchscope::source::open(&fx.path("tfds.tfrecord"), &options.index, &control).unwrap(),
    );
    let scan = health::scan(
        index,
        &options,
        &ScanOptions { cache_dir: None },
        &mut |_| {},
        &cancel,
    )
    .unwrap();
    assert!(scan.failures.is_empty(), "{:?}", scan.failures);
    assert_eq!(scan.entries.len(), 5);
    let mut red = 0u64;
    for entry in &scan.entries {
        let h = entry.health.as_ref().unwrap();
        assert_eq!((h.width, h.height, h.file_hash), (7, 6, None));
        red += h.channel_sum[0] as u64;
    }
    let expected: u64 = images
        .iter()
        .flat_map(|im| im.iter().step_by(3))
        .map(|&v| u64::from(v))
        .sum();
    assert_eq!(red, expected);
}
