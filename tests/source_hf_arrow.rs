//! Hugging Face `datasets` folders written by `save_to_disk` opened as a dataset and exported: Arrow
//! IPC streams listed by `state.json`, the `Image` struct decoded by batchscope's decoders,
//! `ClassLabel` names from `dataset_info.json`, a `DatasetDict` opening its `train` split, batches
//! read again in any order, and hostile files (a truncated stream, a column of null images). Most
//! folders are written here with `arrow-ipc`; the last test has `datasets` write them and PIL decode
//! them, skipped with a printed reason when `datasets` is absent.

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use arrow_array::{ArrayRef, BinaryArray, Int64Array, RecordBatch, StringArray, StructArray};
use arrow_ipc::writer::StreamWriter;
use arrow_schema::{DataType, Field, Fields, Schema};
use batchscope::index::DatasetIndex;
use batchscope::load::preprocess::Element;
use batchscope::load::spec::{self, SizeCheck};
use batchscope::options::{IndexOptions, LoadOptions, SourceKind};
use batchscope::source::{self, SourceError};
use common::{index_warnings, label_values};

/// One row: the image bytes (`None`: bytes and path null) and the label (`None`: null).
type Row = (Option<Vec<u8>>, Option<i64>);

/// Writes `rows` as one Arrow IPC stream shaped as `datasets` writes it (`image: struct<bytes:
/// binary, path: string>`, `label: int64`), `batch_rows` rows per record batch.
fn write_stream(path: &Path, rows: &[Row], batch_rows: usize) {
    write_stream_with_paths(path, rows, &vec![None; rows.len()], batch_rows);
}

/// [`write_stream`] with the `path` field of each row's image.
fn write_stream_with_paths(path: &Path, rows: &[Row], paths: &[Option<&str>], batch_rows: usize) {
    let image_fields = Fields::from(vec![
        Field::new("bytes", DataType::Binary, true),
        Field::new("path", DataType::Utf8, true),
    ]);
    let schema = Arc::new(Schema::new(vec![
        Field::new("image", DataType::Struct(image_fields.clone()), true),
        Field::new("label", DataType::Int64, true),
    ]));
    common::parent(path);
    let file = std::fs::File::create(path).unwrap();
    let mut writer = StreamWriter::try_new(file, &schema).unwrap();
    for (chunk, chunk_paths) in rows.chunks(batch_rows).zip(paths.chunks(batch_rows)) {
        let bytes = BinaryArray::from(chunk.iter().map(|(b, _)| b.as_deref()).collect::<Vec<_>>());
        let paths = StringArray::from(chunk_paths.to_vec());
        let image = StructArray::new(
            image_fields.clone(),
            vec![Arc::new(bytes) as ArrayRef, Arc::new(paths) as ArrayRef],
            None,
        );
        let labels = Int64Array::from(chunk.iter().map(|(_, l)| *l).collect::<Vec<_>>());
        let batch =
            RecordBatch::try_new(Arc::clone(&schema), vec![Arc::new(image), Arc::new(labels)])
                .unwrap();
        writer.write(&batch).unwrap();
    }
    writer.finish().unwrap();
}

/// A `save_to_disk` folder: `files` streams of `rows` split evenly, `state.json`, and
/// `dataset_info.json` with `ClassLabel` `names`.
fn write_saved(dir: &Path, rows: &[Row], files: usize, batch_rows: usize, names: &[&str]) {
    let per_file = rows.len().div_ceil(files);
    let mut data_files = Vec::new();
    for (k, part) in rows.chunks(per_file).enumerate() {
        let name = format!("data-{k:05}-of-{files:05}.arrow");
        write_stream(&dir.join(&name), part, batch_rows);
        data_files.push(serde_json::json!({"filename": name}));
    }
    let state = serde_json::json!({"_data_files": data_files, "_split": null});
    std::fs::write(dir.join("state.json"), state.to_string()).unwrap();
    let info = serde_json::json!({"features": {
        "image": {"_type": "Image"},
        "label": {"names": names, "_type": "ClassLabel"},
    }});
    std::fs::write(dir.join("dataset_info.json"), info.to_string()).unwrap();
}

fn png(seed: u32) -> Vec<u8> {
    common::png_bytes(5, 4, seed)
}

fn pixels(seed: u32) -> Vec<u8> {
    common::pattern(5, 4, seed).into_raw()
}

fn open(path: &Path) -> Result<DatasetIndex, SourceError> {
    common::open_dataset(path, &IndexOptions::default())
}

fn names(index: &DatasetIndex) -> Vec<String> {
    index
        .samples
        .iter()
        .map(|s| s.rel_path.to_string_lossy().into_owned())
        .collect()
}

/// Six rows, one image null, labels 1 0 2 2 0 1.
fn six_rows() -> Vec<Row> {
    vec![
        (Some(png(0)), Some(1)),
        (Some(png(1)), Some(0)),
        (None, Some(2)),
        (Some(png(3)), Some(2)),
        (Some(png(4)), Some(0)),
        (Some(png(5)), Some(1)),
    ]
}

#[test]
fn a_saved_folder_exports_its_pixels_labels_and_class_names() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("saved");
    write_saved(&saved, &six_rows(), 2, 2, &["ant", "bee", "cow"]);
    assert_eq!(source::detect(&saved), SourceKind::Hf);
    let index = open(&saved).unwrap();
    assert_eq!(
        names(&index),
        [
            "data-00000-of-00002.arrow#0/0",
            "data-00000-of-00002.arrow#0/1",
            "data-00001-of-00002.arrow#0/0",
            "data-00001-of-00002.arrow#0/1",
            "data-00001-of-00002.arrow#1/0",
        ]
    );
    assert_eq!(index.class_names, ["ant", "bee", "cow"]);
    let labels: Vec<Option<u32>> = index.samples.iter().map(|s| s.label).collect();
    assert_eq!(labels, [Some(1), Some(0), Some(2), Some(0), Some(1)]);
    let null = "batch 1, row 0: the image is null; it is left out";
    assert_eq!(
        index_warnings(&index),
        [(saved.join("data-00000-of-00002.arrow"), null.to_owned())]
    );

    // Batches read again on their own, in any order.
    let images = index.store.images().unwrap();
    let got: Vec<Vec<u8>> = images
        .read(&[4, 0, 3, 0], u64::MAX)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(got, [png(5), png(0), png(4), png(0)]);
    let mut options = LoadOptions::default();
    options.plan.shuffle = true;
    options.plan.seed = Some(1);
    let never = AtomicBool::new(false);
    let index = Arc::new(index);
    spec::prepare(
        index,
        &options,
        Element::default(),
        SizeCheck::AllFiles,
        &never,
    )
    .unwrap();

    let out = dir.path().join("out");
    let report = common::export_source(&saved, &out, IndexOptions::default()).unwrap();
    assert_eq!(report.exported, 5);
    let images = common::read_npy(&out.join("images.npy"));
    assert_eq!(images.shape, [5, 4, 5, 3]);
    assert_eq!(
        images.data,
        [pixels(0), pixels(1), pixels(3), pixels(4), pixels(5)].concat()
    );
    assert_eq!(label_values(&out.join("labels.npy")), [1, 0, 2, 0, 1]);
    let names: Vec<String> =
        serde_json::from_slice(&std::fs::read(out.join("class_names.json")).unwrap()).unwrap();
    assert_eq!(names, ["ant", "bee", "cow"]);
}

#[test]
fn a_dataset_dict_opens_its_train_split_and_names_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let dict = dir.path().join("dict");
    let rows = six_rows();
    write_saved(
        &dict.join("train"),
        &rows[..2],
        1,
        8,
        &["ant", "bee", "cow"],
    );
    write_saved(&dict.join("test"), &rows[3..], 1, 8, &["ant", "bee", "cow"]);
    std::fs::write(
        dict.join("dataset_dict.json"),
        r#"{"splits": ["test", "train"]}"#,
    )
    .unwrap();
    assert_eq!(source::detect(&dict), SourceKind::Hf);
    let index = open(&dict).unwrap();
    assert_eq!(index.samples.len(), 2);
    assert_eq!(
        index_warnings(&index),
        [(
            dict.join("test"),
            r#"the split "test" is not opened (the split "train" is); open it with --split test"#
                .to_owned()
        )]
    );
    let test = open(&dict.join("test")).unwrap();
    assert_eq!(test.samples.len(), 3);
    assert!(test.warnings.is_empty());

    // --split picks another split of the DatasetDict; a split it does not have is an error naming
    // the ones it has.
    let split = |name: &str| IndexOptions {
        split: Some(name.to_owned()),
        ..IndexOptions::default()
    };
    let test = common::open_dataset(&dict, &split("test")).unwrap();
    assert_eq!(test.samples.len(), 3);
    assert_eq!(
        index_warnings(&test),
        [(
            dict.join("train"),
            r#"the split "train" is not opened (the split "test" is); open it with --split train"#
                .to_owned()
        )]
    );
    let err = common::open_dataset(&dict, &split("validation"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(r#"no split "validation" in dataset_dict.json; it has "test", "train""#),
        "{err}"
    );
    // On the command line, and refused for a source that has no splits.
    let out = common::batchscope(&["inspect", dict.to_str().unwrap(), "--split", "test"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("samples    3"));
    let folder = dir.path().join("folder");
    common::save(&folder, "a/0.png", &common::pattern(2, 2, 0));
    let out = common::batchscope(&["inspect", folder.to_str().unwrap(), "--split", "test"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--split"));
}

#[test]
fn a_truncated_stream_keeps_its_whole_batches_and_null_images_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("saved");
    write_saved(&saved, &six_rows(), 1, 2, &["ant", "bee", "cow"]);
    let file = saved.join("data-00000-of-00001.arrow");
    let bytes = std::fs::read(&file).unwrap();
    // Cut inside the last batch: the two before it are read.
    std::fs::write(&file, &bytes[..bytes.len() - 40]).unwrap();
    let index = open(&saved).unwrap();
    assert_eq!(index.samples.len(), 3);
    let w = index_warnings(&index);
    assert_eq!(w.len(), 2, "{w:?}");
    assert_eq!(w[0].1, "batch 1, row 0: the image is null; it is left out");
    assert!(
        w[1].1.starts_with("batch 2: ") && w[1].1.ends_with("; the rest of the file is not read"),
        "{w:?}"
    );

    let nulls = dir.path().join("nulls");
    write_saved(
        &nulls,
        &[(None, Some(0)), (None, Some(1))],
        1,
        2,
        &["a", "b"],
    );
    let err = open(&nulls).unwrap_err().to_string();
    assert!(
        err.starts_with(
            "no usable row (2 problems; the first: batch 0, row 0: the image is null; it is left out in "
        ),
        "{err}"
    );
}

const WRITE_WITH_DATASETS: &str = r#"
import io, os, sys
import numpy as np
from datasets import ClassLabel, Dataset, DatasetDict, Features, Image
from PIL import Image as PILImage
out = sys.argv[1]
arrays = np.random.RandomState(5).randint(0, 256, (7, 6, 8, 3), dtype=np.uint8)
features = Features({"image": Image(), "label": ClassLabel(names=["plane", "ship", "frog"])})
ds = Dataset.from_dict(
    {"image": [PILImage.fromarray(a) for a in arrays], "label": [0, 2, 1, 1, 2, 0, 2]},
    features=features,
)
ds.save_to_disk(os.path.join(out, "saved"), num_shards=2)
DatasetDict({"train": ds.select(range(4)), "test": ds.select(range(4, 7))}).save_to_disk(os.path.join(out, "dict"))
stored = ds.cast_column("image", Image(decode=False))
decoded = [np.asarray(PILImage.open(io.BytesIO(r["image"]["bytes"])).convert("RGB")) for r in stored]
np.save(os.path.join(out, "pil.npy"), np.stack(decoded))
"#;

#[test]
fn folders_written_by_hugging_face_datasets_export_what_pil_decodes() {
    let test = "folders_written_by_hugging_face_datasets_export_what_pil_decodes";
    if !common::has_python_module("datasets", test) || !common::has_python_module("PIL", test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    common::run_python(WRITE_WITH_DATASETS, &[dir.path().to_str().unwrap()]);
    let pil = common::read_npy(&dir.path().join("pil.npy"));
    let saved = dir.path().join("saved");
    let index = open(&saved).unwrap();
    assert_eq!(index.class_names, ["plane", "ship", "frog"]);
    assert!(index.warnings.is_empty(), "{:?}", index.warnings);
    let out = dir.path().join("out");
    common::export_source(&saved, &out, IndexOptions::default()).unwrap();
    let images = common::read_npy(&out.join("images.npy"));
    assert_eq!(images.shape, pil.shape);
    assert_eq!(images.data, pil.data, "pixels differ from PIL's");
    assert_eq!(label_values(&out.join("labels.npy")), [0, 2, 1, 1, 2, 0, 2]);

    let dict = dir.path().join("dict");
    let index = open(&dict).unwrap();
    assert_eq!(index.samples.len(), 4);
    assert_eq!(index.warnings.len(), 1, "{:?}", index.warnings);
    let test_split = open(&dict.join("test")).unwrap();
    let labels: Vec<Option<u32>> = test_split.samples.iter().map(|s| s.label).collect();
    assert_eq!(labels, [Some(2), Some(0), Some(2)]);
}

#[test]
fn path_only_images_are_read_from_the_dataset_folder() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("saved");
    write_saved(&saved, &[(None, Some(0))], 1, 8, &["a", "b"]);
    // Replace the stream with one whose images are paths under the dataset's folder.
    common::write(&saved, "imgs/x.png", &png(6));
    write_stream_with_paths(
        &saved.join("data-00000-of-00001.arrow"),
        &[(None, Some(1)), (None, Some(0))],
        &[Some("imgs/x.png"), Some("imgs/gone.png")],
        8,
    );
    let index = open(&saved).unwrap();
    assert_eq!(names(&index), ["data-00000-of-00001.arrow#0/0"]);
    let w = index_warnings(&index);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].1
            .starts_with("batch 0, row 1: the image is only a path, "),
        "{w:?}"
    );
    let images = index.store.images().unwrap();
    assert_eq!(images.read(&[0], u64::MAX)[0].as_ref().unwrap(), &png(6));
    let over = images.read(&[0], 10);
    assert!(
        over[0].as_ref().unwrap_err().contains("over the limit"),
        "{over:?}"
    );
}

/// A `save_to_disk` folder of arrays: an `Array2D` uint8 `(2, 3)` column stored as `datasets`
/// stores it (a list of lists), a `Value` float32, a `ClassLabel`, a string column; row 2's array is
/// ragged.
fn write_arrays(dir: &Path) {
    use arrow_array::builder::{Float32Builder, ListBuilder, UInt8Builder};
    let mut arrays = ListBuilder::new(ListBuilder::new(UInt8Builder::new()));
    let rows: [&[&[u8]]; 4] = [
        &[&[1, 2, 3], &[4, 5, 6]],
        &[&[7, 8, 9], &[10, 11, 12]],
        &[&[13, 14], &[15, 16, 17, 18]],
        &[&[19, 20, 21], &[22, 23, 24]],
    ];
    for row in rows {
        for line in row {
            arrays.values().values().append_slice(line);
            arrays.values().append(true);
        }
        arrays.append(true);
    }
    let arrays: ArrayRef = Arc::new(arrays.finish());
    let mut floats = Float32Builder::new();
    floats.append_slice(&[0.5, -1.25, 2.0, 3.75]);
    let floats: ArrayRef = Arc::new(floats.finish());
    let labels: ArrayRef = Arc::new(Int64Array::from(vec![1, 0, 1, 2]));
    let notes: ArrayRef = Arc::new(StringArray::from(vec!["a", "b", "c", "d"]));
    let schema = Arc::new(Schema::new(vec![
        Field::new("x", arrays.data_type().clone(), true),
        Field::new("f", DataType::Float32, true),
        Field::new("label", DataType::Int64, true),
        Field::new("note", DataType::Utf8, true),
    ]));
    let batch =
        RecordBatch::try_new(Arc::clone(&schema), vec![arrays, floats, labels, notes]).unwrap();
    let file = std::fs::File::create(dir.join("data-00000-of-00001.arrow")).unwrap();
    let mut writer = StreamWriter::try_new(file, &schema).unwrap();
    writer.write(&batch).unwrap();
    writer.finish().unwrap();
    let state = serde_json::json!({"_data_files": [{"filename": "data-00000-of-00001.arrow"}]});
    std::fs::write(dir.join("state.json"), state.to_string()).unwrap();
    let info = serde_json::json!({"features": {
        "x": {"shape": [2, 3], "dtype": "uint8", "_type": "Array2D"},
        "f": {"dtype": "float32", "_type": "Value"},
        "label": {"names": ["cat", "dog", "fox"], "_type": "ClassLabel"},
        "note": {"dtype": "string", "_type": "Value"},
    }});
    std::fs::write(dir.join("dataset_info.json"), info.to_string()).unwrap();
}

#[test]
fn array_columns_export_as_stored_and_a_ragged_row_is_left_out_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("arrays");
    std::fs::create_dir(&saved).unwrap();
    write_arrays(&saved);
    let index = open(&saved).unwrap();
    assert!(!index.store.decodes_images());
    assert_eq!(index.class_names, ["cat", "dog", "fox"]);
    let data = saved.join("data-00000-of-00001.arrow");
    assert_eq!(
        index_warnings(&index),
        [
            (
                data.clone(),
                "the column \"note\": Utf8 is not a numeric array; it is not exported".to_owned()
            ),
            (
                data.clone(),
                "batch 0, row 2: \"x\" has a list of 2 on axis 1 where its shape [2, 3] says 3; it is left out"
                    .to_owned()
            ),
        ]
    );
    assert_eq!(
        names(&index),
        [
            "data-00000-of-00001.arrow#0/0",
            "data-00000-of-00001.arrow#0/1",
            "data-00000-of-00001.arrow#0/3"
        ]
    );
    let out = dir.path().join("out");
    let report = common::export_source(&saved, &out, IndexOptions::default()).unwrap();
    assert_eq!(report.exported, 3);
    let x = common::read_npy(&out.join("x.npy"));
    assert_eq!((x.descr.as_str(), &x.shape[..]), ("|u1", &[3, 2, 3][..]));
    assert_eq!(
        x.data,
        [
            1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 19, 20, 21, 22, 23, 24
        ]
    );
    let f = common::read_npy(&out.join("f.npy"));
    assert_eq!((f.descr.as_str(), &f.shape[..]), ("<f4", &[3][..]));
    let floats: Vec<f32> = f
        .data
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    assert_eq!(floats, [0.5, -1.25, 3.75]);
    assert_eq!(label_values(&out.join("label.npy")), [1, 0, 2]);
    assert!(!out.join("note.npy").exists());

    // The image options are refused for arrays, as for every stored source.
    let refused = common::batchscope(&[
        "export",
        saved.to_str().unwrap(),
        "--out",
        dir.path().join("out2").to_str().unwrap(),
        "--image-size",
        "8",
    ]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--image-size"), "{stderr}");
}

const WRITE_ARRAYS_WITH_DATASETS: &str = r#"
import os, sys
import numpy as np
import datasets
out = sys.argv[1]
rng = np.random.RandomState(9)
features = datasets.Features({
    "image": datasets.Array3D(shape=(4, 5, 3), dtype="uint8"),
    "depth": datasets.Array2D(shape=(4, 5), dtype="float32"),
    "weight": datasets.Value("int16"),
    "label": datasets.ClassLabel(names=["a", "b", "c"]),
})
n = 7
columns = {
    "image": rng.randint(0, 256, (n, 4, 5, 3)).astype(np.uint8),
    "depth": rng.randn(n, 4, 5).astype(np.float32),
    "weight": rng.randint(-300, 300, n).astype(np.int16),
    "label": rng.randint(0, 3, n),
}
ds = datasets.Dataset.from_dict({k: list(v) for k, v in columns.items()}, features=features)
ds.save_to_disk(os.path.join(out, "saved"), num_shards=2)
ds.to_parquet(os.path.join(out, "arrays.parquet"))
# datasets' numpy format gives int64 for an Array3D of uint8: the values, cast (exactly, checked)
# to the dtype the features declare, are the reference.
numpy = ds.with_format("numpy")
declared = {"image": np.uint8, "depth": np.float32, "weight": np.int16, "label": np.int64}
for name in columns:
    values = np.stack(list(numpy[name])) if name in ("image", "depth") else np.asarray(numpy[name])
    ref = values.astype(declared[name])
    assert (ref == values).all() and (ref == columns[name]).all(), name
    np.save(os.path.join(out, f"ref-{name}.npy"), ref)
"#;

#[test]
fn array_folders_written_by_datasets_export_what_datasets_reads() {
    let test = "array_folders_written_by_datasets_export_what_datasets_reads";
    if !common::has_python_module("datasets", test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    common::run_python(WRITE_ARRAYS_WITH_DATASETS, &[dir.path().to_str().unwrap()]);
    let saved = dir.path().join("saved");
    let index = open(&saved).unwrap();
    assert!(index.warnings.is_empty(), "{:?}", index.warnings);
    assert_eq!(index.class_names, ["a", "b", "c"]);
    let out = dir.path().join("out");
    let report = common::export_source(&saved, &out, IndexOptions::default()).unwrap();
    assert_eq!(report.exported, 7);
    // The same rows written by `to_parquet`.
    let parquet = dir.path().join("arrays.parquet");
    let out_parquet = dir.path().join("out-parquet");
    let report = common::export_source(&parquet, &out_parquet, IndexOptions::default()).unwrap();
    assert_eq!(report.exported, 7);
    for out in [&out, &out_parquet] {
        for (name, descr) in [
            ("image", "|u1"),
            ("depth", "<f4"),
            ("weight", "<i2"),
            ("label", "<i8"),
        ] {
            let ours = common::read_npy(&out.join(format!("{name}.npy")));
            let theirs = common::read_npy(&dir.path().join(format!("ref-{name}.npy")));
            assert_eq!(ours.descr, descr, "{name} in {out:?}");
            assert_eq!(ours.shape, theirs.shape, "{name} in {out:?}");
            assert_eq!(ours.data, theirs.data, "{name} in {out:?}");
        }
    }
}

/// `state.json` and `dataset_dict.json` name entries of their folder: a name that climbs out (or
/// is absolute) is refused, as is a data file that is not there, each named; nothing outside the
/// folder is read.
#[test]
fn a_state_or_split_naming_a_path_outside_the_folder_a_missing_file_or_one_twice_is_refused_by_name()
 {
    let dir = tempfile::tempdir().unwrap();
    let rows = six_rows();
    // A real stream outside the dataset folder, which must not be read.
    write_stream(&dir.path().join("outside.arrow"), &rows[..2], 8);
    let saved = dir.path().join("saved");
    write_saved(&saved, &rows[..2], 1, 8, &["ant", "bee", "cow"]);
    let outside = dir.path().join("outside.arrow");
    for (name, why) in [
        ("../outside.arrow".to_owned(), "not a name of an entry of"),
        (
            outside.to_string_lossy().into_owned(),
            "not a name of an entry of",
        ),
        ("data-gone.arrow".to_owned(), "which is not a file"),
    ] {
        let state = serde_json::json!({"_data_files": [{"filename": name}], "_split": null});
        std::fs::write(saved.join("state.json"), state.to_string()).unwrap();
        let err = open(&saved).unwrap_err().to_string();
        assert!(
            err.contains("state.json") && err.contains(&format!("names {name:?}, {why}")),
            "{err}"
        );
    }
    let twice = serde_json::json!({"_data_files": [
        {"filename": "data-00000-of-00001.arrow"}, {"filename": "data-00000-of-00001.arrow"}
    ], "_split": null});
    std::fs::write(saved.join("state.json"), twice.to_string()).unwrap();
    let err = open(&saved).unwrap_err().to_string();
    assert!(
        err.contains("names \"data-00000-of-00001.arrow\" twice"),
        "{err}"
    );
    let dict = dir.path().join("dict");
    write_saved(
        &dict.join("train"),
        &rows[..2],
        1,
        8,
        &["ant", "bee", "cow"],
    );
    std::fs::write(
        dict.join("dataset_dict.json"),
        r#"{"splits": ["../saved"]}"#,
    )
    .unwrap();
    let err = open(&dict).unwrap_err().to_string();
    assert!(
        err.contains("dataset_dict.json names the split \"../saved\", not a name of an entry of"),
        "{err}"
    );
}
