//! Parquet files opened as a dataset (`source::open`) and exported: the Hugging Face `Image` struct
//! `{bytes, path}` decoded by batchscope's decoders, `ClassLabel` names from the `huggingface` schema
//! metadata, row groups read by projection (in any order, so a shuffle is allowed), shards by glob,
//! and hostile files (a corrupt page, a truncated file, a column of null images). Most files are
//! written here with the `parquet` crate; the last test has Hugging Face `datasets` write them and
//! PIL decode them, skipped with a printed reason when `datasets` is absent.

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use batchscope::index::DatasetIndex;
use batchscope::load::preprocess::Element;
use batchscope::load::spec::{self, SizeCheck};
use batchscope::options::{IndexOptions, LoadOptions, SourceKind};
use batchscope::source::{self, SourceError};
use common::{index_warnings, label_values, sample_labels};
use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType, Int64Type};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::reader::FileReader as _;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

/// One row: the image (`None`: a null struct; `Some(None)`: a struct whose bytes are null) and the
/// label (`None`: null).
type Row = (Option<Option<Vec<u8>>>, Option<i64>);

/// The `huggingface` metadata `datasets` writes for an `Image` and a `ClassLabel` feature.
fn hf_metadata(names: &[&str]) -> String {
    serde_json::json!({
        "info": {"features": {
            "image": {"_type": "Image"},
            "label": {"names": names, "_type": "ClassLabel"},
        }}
    })
    .to_string()
}

/// Writes `rows` as a Parquet file shaped as `datasets` writes it (`image: struct<bytes: binary,
/// path: string>`, `label: int64`), `group_rows` rows per row group.
fn write_parquet(
    path: &Path,
    rows: &[Row],
    group_rows: usize,
    compression: Compression,
    metadata: Option<String>,
) {
    let schema = Arc::new(
        parse_message_type(
            "message schema {
                optional group image { optional binary bytes; optional binary path (STRING); }
                optional int64 label;
            }",
        )
        .unwrap(),
    );
    let properties = WriterProperties::builder()
        .set_compression(compression)
        .set_key_value_metadata(metadata.map(|m| vec![KeyValue::new("huggingface".to_owned(), m)]))
        .build();
    common::parent(path);
    let file = std::fs::File::create(path).unwrap();
    let mut writer = SerializedFileWriter::new(file, schema, Arc::new(properties)).unwrap();
    for group in rows.chunks(group_rows) {
        let mut row_group = writer.next_row_group().unwrap();
        // image.bytes: definition level 0 (null struct), 1 (null bytes) or 2 (bytes).
        let mut bytes = Vec::new();
        let mut levels = Vec::new();
        for (image, _) in group {
            match image {
                None => levels.push(0),
                Some(None) => levels.push(1),
                Some(Some(b)) => {
                    levels.push(2);
                    bytes.push(ByteArray::from(b.clone()));
                }
            }
        }
        let mut column = row_group.next_column().unwrap().unwrap();
        column
            .typed::<ByteArrayType>()
            .write_batch(&bytes, Some(&levels), None)
            .unwrap();
        column.close().unwrap();
        // image.path: always null inside a present struct.
        let levels: Vec<i16> = group.iter().map(|(i, _)| i16::from(i.is_some())).collect();
        let mut column = row_group.next_column().unwrap().unwrap();
        column
            .typed::<ByteArrayType>()
            .write_batch(&[], Some(&levels), None)
            .unwrap();
        column.close().unwrap();
        let labels: Vec<i64> = group.iter().filter_map(|(_, l)| *l).collect();
        let levels: Vec<i16> = group.iter().map(|(_, l)| i16::from(l.is_some())).collect();
        let mut column = row_group.next_column().unwrap().unwrap();
        column
            .typed::<Int64Type>()
            .write_batch(&labels, Some(&levels), None)
            .unwrap();
        column.close().unwrap();
        row_group.close().unwrap();
    }
    writer.close().unwrap();
}

fn png(seed: u32) -> Vec<u8> {
    common::png_bytes(5, 4, seed)
}

fn pixels(seed: u32) -> Vec<u8> {
    common::pattern(5, 4, seed).into_raw()
}

fn open(path: &Path, options: &IndexOptions) -> Result<DatasetIndex, SourceError> {
    common::open_dataset(path, options)
}

fn names(index: &DatasetIndex) -> Vec<String> {
    index
        .samples
        .iter()
        .map(|s| s.rel_path.to_string_lossy().into_owned())
        .collect()
}

/// Five rows in two row groups (3 + 2): one image null, labels 2 0 1 1 0.
fn five_rows() -> Vec<Row> {
    vec![
        (Some(Some(png(0))), Some(2)),
        (Some(Some(png(1))), Some(0)),
        (None, Some(1)),
        (Some(Some(png(3))), Some(1)),
        (Some(Some(png(4))), Some(0)),
    ]
}

#[test]
fn image_structs_with_class_labels_export_their_pixels_labels_and_names() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("train.parquet");
    let metadata = hf_metadata(&["cat", "dog", "fish"]);
    write_parquet(&file, &five_rows(), 3, Compression::SNAPPY, Some(metadata));
    assert_eq!(source::detect(&file), SourceKind::Parquet);
    let index = open(&file, &IndexOptions::default()).unwrap();
    assert_eq!(
        names(&index),
        [
            "train.parquet#0/0",
            "train.parquet#0/1",
            "train.parquet#1/0",
            "train.parquet#1/1"
        ]
    );
    assert_eq!(index.class_names, ["cat", "dog", "fish"]);
    assert_eq!(sample_labels(&index), [Some(2), Some(0), Some(1), Some(0)]);
    let null = "row group 0, row 2: the image is null; it is left out";
    assert_eq!(index_warnings(&index), [(file.clone(), null.to_owned())]);
    assert_eq!(index.store.images().unwrap().describe(), "1 Parquet file");

    let out = dir.path().join("out");
    let report = common::export_source(&file, &out, IndexOptions::default()).unwrap();
    assert_eq!(report.exported, 4);
    let images = common::read_npy(&out.join("images.npy"));
    assert_eq!(
        (images.descr.as_str(), &images.shape[..]),
        ("|u1", &[4, 4, 5, 3][..])
    );
    assert_eq!(
        images.data,
        [pixels(0), pixels(1), pixels(3), pixels(4)].concat()
    );
    assert_eq!(label_values(&out.join("labels.npy")), [2, 0, 1, 0]);
    let names: Vec<String> =
        serde_json::from_slice(&std::fs::read(out.join("class_names.json")).unwrap()).unwrap();
    assert_eq!(names, ["cat", "dog", "fish"]);
    assert_eq!(
        common::skipped(&out),
        [vec![file.to_string_lossy().into_owned(), null.to_owned()]]
    );
}

#[test]
fn the_output_budgets_hold_for_parquet_as_for_every_source() {
    // --max-image-bytes refuses an output image over it before anything is read; --memory-budget
    // bounds the decoded images waiting for the writer: the arrays are the same at any budget.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("train.parquet");
    write_parquet(&file, &five_rows(), 2, Compression::SNAPPY, None);
    let s = |p: &Path| p.to_str().unwrap().to_owned();
    let refused = common::batchscope(&[
        "export",
        &s(&file),
        "--out",
        &s(&dir.path().join("small")),
        "--max-image-bytes",
        "59",
    ]);
    assert_eq!(refused.status.code(), Some(2));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains(
            "images of 4x5x3 uint8 take 60 bytes each, over the limit of 59 bytes per image"
        ),
        "{err}"
    );
    assert!(!dir.path().join("small").exists());
    let mut exported = Vec::new();
    for budget in ["1", "64"] {
        let out = dir.path().join(format!("budget-{budget}"));
        let run = common::batchscope(&[
            "export",
            &s(&file),
            "--out",
            &s(&out),
            "--memory-budget",
            budget,
        ]);
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        exported.push(std::fs::read(out.join("images.npy")).unwrap());
    }
    assert_eq!(exported[0], exported[1]);
    let images = common::read_npy(&dir.path().join("budget-1/images.npy"));
    assert_eq!(
        images.data,
        [pixels(0), pixels(1), pixels(3), pixels(4)].concat()
    );
}

#[test]
fn shards_by_glob_read_in_any_order_and_take_a_shuffle() {
    let dir = tempfile::tempdir().unwrap();
    let rows = five_rows();
    for (k, part) in [&rows[..2], &rows[3..]].iter().enumerate() {
        let file = dir.path().join(format!("train-{k:05}-of-00002.parquet"));
        write_parquet(&file, part, 1, Compression::UNCOMPRESSED, None);
    }
    let glob = dir.path().join("train-*.parquet");
    assert_eq!(source::detect(&glob), SourceKind::Parquet);
    assert_eq!(source::detect(dir.path()), SourceKind::Parquet);
    let index = open(&glob, &IndexOptions::default()).unwrap();
    // No ClassLabel names: the int64 values are the classes.
    assert_eq!(index.class_names, ["0", "1", "2"]);
    assert_eq!(sample_labels(&index), [Some(2), Some(0), Some(1), Some(0)]);
    assert_eq!(index.label_values, Some(vec![0, 1, 2]));
    let images = index.store.images().unwrap();
    assert_eq!(images.describe(), "2 Parquet files");
    let got: Vec<Vec<u8>> = images
        .read(&[3, 0, 2, 0], u64::MAX)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(got, [png(4), png(0), png(3), png(0)]);
    let over = images.read(&[1], png(1).len() as u64 - 1);
    assert!(
        over[0].as_ref().unwrap_err().contains("over the limit of"),
        "{over:?}"
    );

    let mut options = LoadOptions::default();
    options.plan.shuffle = true;
    options.plan.seed = Some(2);
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

    // `--label-key none` and `--image-key` of a column that is not there.
    let unlabeled = IndexOptions {
        label_key: Some("none".to_owned()),
        ..IndexOptions::default()
    };
    assert!(!open(&glob, &unlabeled).unwrap().labeled);
    let wrong = IndexOptions {
        image_key: Some("picture".to_owned()),
        ..IndexOptions::default()
    };
    let err = open(&glob, &wrong).unwrap_err().to_string();
    assert!(
        err.starts_with(r#"no column "picture" (it has "image", "label"): "#),
        "{err}"
    );
}

#[test]
fn a_corrupt_page_a_truncated_file_and_null_images_are_reasons_not_crashes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("corrupt.parquet");
    write_parquet(&file, &five_rows(), 3, Compression::SNAPPY, None);
    // Overwrite the first page header of row group 0's image bytes with 0xFF.
    let reader =
        parquet::file::reader::SerializedFileReader::new(std::fs::File::open(&file).unwrap())
            .unwrap();
    let chunk = reader.metadata().row_group(0).column(0);
    let start = chunk
        .dictionary_page_offset()
        .unwrap_or_else(|| chunk.data_page_offset()) as usize;
    drop(reader);
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[start..start + 8].fill(0xFF);
    std::fs::write(&file, &bytes).unwrap();
    let index = open(&file, &IndexOptions::default()).unwrap();
    assert_eq!(
        names(&index),
        ["corrupt.parquet#1/0", "corrupt.parquet#1/1"]
    );
    let w = index_warnings(&index);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].1.starts_with("row group 0: ")
            && w[0].1.ends_with("; the rest of the row group is not read"),
        "{w:?}"
    );

    // A file cut in half has no footer: named as unreadable; alone, nothing is usable.
    let cut = dir.path().join("cut.parquet");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let err = open(&cut, &IndexOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("no usable row (1 problem; the first: unreadable: "),
        "{err}"
    );

    // A column of null images (null structs and null bytes).
    let nulls = dir.path().join("nulls.parquet");
    write_parquet(
        &nulls,
        &[(None, Some(0)), (Some(None), Some(1))],
        2,
        Compression::UNCOMPRESSED,
        None,
    );
    let err = open(&nulls, &IndexOptions::default())
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        format!(
            "no usable row (2 problems; the first: row group 0, row 0: the image is null; it is left out in {nulls:?}): {nulls:?}"
        )
    );
}

#[test]
fn a_label_outside_the_class_names_leaves_its_row_out() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.parquet");
    let rows = vec![
        (Some(Some(png(0))), Some(1)),
        (Some(Some(png(1))), Some(-1)),
        (Some(Some(png(2))), Some(5)),
        (Some(Some(png(3))), None),
    ];
    write_parquet(
        &file,
        &rows,
        4,
        Compression::SNAPPY,
        Some(hf_metadata(&["a", "b"])),
    );
    let index = open(&file, &IndexOptions::default()).unwrap();
    assert_eq!(names(&index), ["t.parquet#0/0"]);
    assert_eq!(sample_labels(&index), [Some(1)]);
    let reasons: Vec<String> = index_warnings(&index).into_iter().map(|(_, r)| r).collect();
    assert_eq!(
        reasons,
        [
            "row group 0, row 1: the label is -1 (no class); it is left out",
            "row group 0, row 2: the label 5 is not a class of the 2 ClassLabel names; it is left out",
            "row group 0, row 3: no label (null) while other rows have one; it is left out",
        ]
    );
}

const WRITE_WITH_DATASETS: &str = r#"
import io, os, sys
import numpy as np
from datasets import ClassLabel, Dataset, Features, Image
from PIL import Image as PILImage
out = sys.argv[1]
arrays = np.random.RandomState(3).randint(0, 256, (6, 7, 9, 3), dtype=np.uint8)
features = Features({"image": Image(), "label": ClassLabel(names=["airplane", "bird", "cat"])})
ds = Dataset.from_dict(
    {"image": [PILImage.fromarray(a) for a in arrays], "label": [2, 0, 1, 1, 0, 2]},
    features=features,
)
ds.to_parquet(os.path.join(out, "train.parquet"))
for k in range(2):
    ds.shard(2, k, contiguous=True).to_parquet(os.path.join(out, f"train-{k:05d}-of-00002.parquet"))
# What PIL decodes of the bytes datasets stored.
stored = ds.cast_column("image", Image(decode=False))
decoded = [np.asarray(PILImage.open(io.BytesIO(r["image"]["bytes"])).convert("RGB")) for r in stored]
np.save(os.path.join(out, "pil.npy"), np.stack(decoded))
"#;

#[test]
fn files_written_by_hugging_face_datasets_export_what_pil_decodes() {
    let test = "files_written_by_hugging_face_datasets_export_what_pil_decodes";
    if !common::has_python_module("datasets", test) || !common::has_python_module("PIL", test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    common::run_python(WRITE_WITH_DATASETS, &[dir.path().to_str().unwrap()]);
    let pil = common::read_npy(&dir.path().join("pil.npy"));
    assert_eq!(pil.shape, [6, 7, 9, 3]);
    for (k, input) in [
        dir.path().join("train.parquet"),
        dir.path().join("train-{00000..00001}-of-00002.parquet"),
    ]
    .iter()
    .enumerate()
    {
        let index = open(input, &IndexOptions::default()).unwrap();
        assert_eq!(index.class_names, ["airplane", "bird", "cat"], "{input:?}");
        assert!(index.warnings.is_empty(), "{:?}", index.warnings);
        let out = dir.path().join(format!("out{k}"));
        common::export_source(input, &out, IndexOptions::default()).unwrap();
        let images = common::read_npy(&out.join("images.npy"));
        assert_eq!(images.shape, pil.shape, "{input:?}");
        assert_eq!(images.data, pil.data, "{input:?}: pixels differ from PIL's");
        assert_eq!(label_values(&out.join("labels.npy")), [2, 0, 1, 1, 0, 2]);
    }
}

/// Writes rows whose `Image` struct holds only a path (bytes null), labels 0, 1, 2, ...
fn write_paths(path: &Path, image_paths: &[&str]) {
    let schema = Arc::new(
        parse_message_type(
            "message schema {
                optional group image { optional binary bytes; optional binary path (STRING); }
                optional int64 label;
            }",
        )
        .unwrap(),
    );
    let file = std::fs::File::create(path).unwrap();
    let mut writer =
        SerializedFileWriter::new(file, schema, Arc::new(WriterProperties::builder().build()))
            .unwrap();
    let n = image_paths.len();
    let mut group = writer.next_row_group().unwrap();
    let mut column = group.next_column().unwrap().unwrap();
    column
        .typed::<ByteArrayType>()
        .write_batch(&[], Some(&vec![1; n]), None)
        .unwrap();
    column.close().unwrap();
    let paths: Vec<ByteArray> = image_paths.iter().map(|p| ByteArray::from(*p)).collect();
    let mut column = group.next_column().unwrap().unwrap();
    column
        .typed::<ByteArrayType>()
        .write_batch(&paths, Some(&vec![2; n]), None)
        .unwrap();
    column.close().unwrap();
    let labels: Vec<i64> = (0..3).cycle().take(n).collect();
    let mut column = group.next_column().unwrap().unwrap();
    column
        .typed::<Int64Type>()
        .write_batch(&labels, Some(&vec![1; n]), None)
        .unwrap();
    column.close().unwrap();
    group.close().unwrap();
    writer.close().unwrap();
}

#[test]
fn path_only_images_are_read_from_the_dataset_folder() {
    let dir = tempfile::tempdir().unwrap();
    common::write(dir.path(), "imgs/a.png", &png(7));
    common::write(dir.path(), "imgs/b.png", &png(8));
    let file = dir.path().join("paths.parquet");
    write_paths(&file, &["imgs/a.png", "imgs/missing.png", "imgs/b.png"]);
    let index = open(&file, &IndexOptions::default()).unwrap();
    assert_eq!(names(&index), ["paths.parquet#0/0", "paths.parquet#0/2"]);
    let w = index_warnings(&index);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].1.starts_with(&format!(
            "row group 0, row 1: the image is only a path, {:?}, which cannot be read: ",
            dir.path().join("imgs/missing.png")
        )),
        "{w:?}"
    );
    let images = index.store.images().unwrap();
    assert_eq!(
        images
            .read(&[1, 0], u64::MAX)
            .into_iter()
            .map(Result::unwrap)
            .collect::<Vec<_>>(),
        [png(8), png(7)]
    );
    let out = dir.path().join("out");
    common::export_source(&file, &out, IndexOptions::default()).unwrap();
    let exported = common::read_npy(&out.join("images.npy"));
    assert_eq!(exported.data, [pixels(7), pixels(8)].concat());
    assert_eq!(label_values(&out.join("labels.npy")), [0, 2]);
}

/// Every codec the Hub's and pyarrow's writers use but brotli reads to the same arrays as snappy.
#[test]
fn zstd_lz4_and_gzip_pages_read_as_snappy_ones() {
    use parquet::basic::{GzipLevel, ZstdLevel};
    let dir = tempfile::tempdir().unwrap();
    let metadata = hf_metadata(&["cat", "dog", "fish"]);
    let export = |name: &str, compression: Compression| {
        let file = dir.path().join(format!("{name}.parquet"));
        write_parquet(&file, &five_rows(), 2, compression, Some(metadata.clone()));
        let out = dir.path().join(format!("out-{name}"));
        let report = common::export_source(&file, &out, IndexOptions::default()).unwrap();
        assert_eq!(report.exported, 4, "{name}");
        (
            common::read_npy(&out.join("images.npy")).data,
            label_values(&out.join("labels.npy")),
        )
    };
    let snappy = export("snappy", Compression::SNAPPY);
    assert_eq!(
        snappy.0,
        [pixels(0), pixels(1), pixels(3), pixels(4)].concat()
    );
    for (name, compression) in [
        ("zstd", Compression::ZSTD(ZstdLevel::default())),
        ("lz4_raw", Compression::LZ4_RAW),
        ("lz4", Compression::LZ4),
        ("gzip", Compression::GZIP(GzipLevel::default())),
    ] {
        assert_eq!(export(name, compression), snappy, "{name}");
    }
}

const WRITE_WITH_PYARROW_CODECS: &str = r#"
import io, os, sys
import numpy as np
import pyarrow as pa, pyarrow.parquet as pq
from PIL import Image
out = sys.argv[1]
arrays = np.random.RandomState(5).randint(0, 256, (4, 6, 5, 3), dtype=np.uint8)
def png(a):
    b = io.BytesIO(); Image.fromarray(a).save(b, format="PNG"); return b.getvalue()
image = pa.array([{"bytes": png(a), "path": None} for a in arrays],
                 type=pa.struct([("bytes", pa.binary()), ("path", pa.string())]))
table = pa.table({"image": image, "label": pa.array([1, 0, 1, 1], pa.int64())})
for codec in ["snappy", "zstd", "lz4", "gzip", "brotli", "none"]:
    pq.write_table(table, os.path.join(out, f"{codec}.parquet"), compression=codec, row_group_size=3)
np.save(os.path.join(out, "pixels.npy"), arrays)
"#;

#[test]
fn files_pyarrow_writes_with_each_codec_read_alike_and_brotli_is_refused_by_name() {
    let test = "files_pyarrow_writes_with_each_codec_read_alike_and_brotli_is_refused_by_name";
    if !common::has_python_module("pyarrow", test) || !common::has_python_module("PIL", test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    common::run_python(WRITE_WITH_PYARROW_CODECS, &[dir.path().to_str().unwrap()]);
    let pixels = common::read_npy(&dir.path().join("pixels.npy"));
    for codec in ["snappy", "zstd", "lz4", "gzip", "none"] {
        let file = dir.path().join(format!("{codec}.parquet"));
        let out = dir.path().join(format!("out-{codec}"));
        let report = common::export_source(&file, &out, IndexOptions::default()).unwrap();
        assert_eq!(report.exported, 4, "{codec}");
        assert_eq!(
            common::read_npy(&out.join("images.npy")).data,
            pixels.data,
            "{codec}"
        );
        assert_eq!(
            label_values(&out.join("labels.npy")),
            [1, 0, 1, 1],
            "{codec}"
        );
    }
    let brotli = dir.path().join("brotli.parquet");
    let err = open(&brotli, &IndexOptions::default())
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        format!(
            "no usable row (1 problem; the first: unreadable: its pages are BROTLI compressed, which batchscope does not read (it reads uncompressed, snappy, gzip, zstd and lz4 pages); write it with another codec, e.g. pyarrow.parquet.write_table(table, path, compression=\"zstd\") in {brotli:?}): {brotli:?}"
        )
    );
}

/// A Parquet file of arrays as `Dataset.to_parquet` writes an `Array2D` uint8 `(2, 2)` column (a
/// list of lists of INT32 stored as `UINT_8`) with a `ClassLabel`; row 1 is ragged.
#[test]
fn array_columns_read_as_stored_rows_and_a_ragged_row_is_left_out_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("arrays.parquet");
    let rows: [common::parquet_arrays::ArrayRow<'_>; 3] = [
        (&[&[1, 2], &[3, 4]], 1),
        (&[&[5], &[6, 7, 8]], 0),
        (&[&[9, 10], &[11, 12]], 0),
    ];
    let bytes = common::parquet_arrays::parquet_of_arrays(&[&rows], &["cat", "dog"]);
    std::fs::write(&file, bytes).unwrap();

    let index = open(&file, &IndexOptions::default()).unwrap();
    assert!(!index.store.decodes_images());
    assert_eq!(index.class_names, ["cat", "dog"]);
    assert_eq!(names(&index), ["arrays.parquet#0/0", "arrays.parquet#0/2"]);
    assert_eq!(
        index_warnings(&index),
        [(
            file.clone(),
            "row group 0, row 1: \"x\" has a list of 1 on axis 1 where its shape [2, 2] says 2; it is left out"
                .to_owned()
        )]
    );
    let out = dir.path().join("out");
    let report = common::export_source(&file, &out, IndexOptions::default()).unwrap();
    assert_eq!(report.exported, 2);
    let x = common::read_npy(&out.join("x.npy"));
    assert_eq!((x.descr.as_str(), &x.shape[..]), ("|u1", &[2, 2, 2][..]));
    assert_eq!(x.data, [1, 2, 3, 4, 9, 10, 11, 12]);
    assert_eq!(label_values(&out.join("label.npy")), [1, 0]);
}

/// A file with no image column whose array column is declared with a shape that cannot be read
/// says which column and why, not only that it has no image column.
#[test]
fn an_array_column_of_no_fixed_shape_too_large_or_of_an_odd_dtype_is_named_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let rows: [common::parquet_arrays::ArrayRow<'_>; 1] = [(&[&[1, 2], &[3, 4]], 1)];
    let feature = |shape: serde_json::Value, dtype: &str| serde_json::json!({"shape": shape, "dtype": dtype, "_type": "Array2D"});
    for (x, why) in [
        (
            feature(serde_json::json!([null, 2]), "uint8"),
            "\"x\": its shape [null,2] is not a list of fixed sizes",
        ),
        (
            feature(serde_json::json!([2.0, 2.0]), "uint8"),
            "\"x\": its shape [2.0,2.0] is not a list of fixed sizes",
        ),
        (
            feature(serde_json::json!([1_000_000, 1_000_000]), "uint8"),
            "\"x\": its shape [1000000, 1000000] of uint8 is over 2147483648 bytes a row",
        ),
        (
            feature(serde_json::json!([2, 2]), "complex64"),
            "\"x\": an Array2D of dtype \"complex64\", which is not a numeric type numpy and batchscope share",
        ),
    ] {
        let file = dir.path().join("arrays.parquet");
        let bytes = common::parquet_arrays::parquet_declaring(&[&rows], &["cat", "dog"], &x);
        std::fs::write(&file, bytes).unwrap();
        let err = open(&file, &IndexOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&format!(
                "no image column, and no array column that can be read (the column {why})"
            )) && err.contains("arrays.parquet"),
            "{err}"
        );
    }
}
