//! Seeds of the webdataset, Parquet and Arrow reader targets, written at test time with the `tar`,
//! `parquet` and `arrow` crates (no committed binaries): each a small file of PNG and JPEG images
//! with labels, as webdataset, `Dataset.to_parquet` and `save_to_disk` lay them out.

use std::io::Write as _;
use std::sync::Arc;

use arrow_array::{ArrayRef, BinaryArray, Int64Array, RecordBatch, StringArray, StructArray};
use arrow_schema::{DataType, Field, Fields, Schema};
use image::ImageFormat;
use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType, Int64Type};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

use super::seeds::{encode, gray, rgb};

fn png() -> Vec<u8> {
    encode(&rgb(3, 2), ImageFormat::Png)
}

fn jpeg() -> Vec<u8> {
    encode(&gray(5, 3), ImageFormat::Jpeg)
}

fn tar_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, data) in members {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        builder.append_data(&mut header, name, *data).unwrap();
    }
    builder.into_inner().unwrap()
}

/// Seeds of the `webdataset` target: shards of samples with `.cls`, `.txt` and `.json` labels, a
/// sample without an image, a long name, and the same as `.tar.gz`.
pub fn webdatasets() -> Vec<Vec<u8>> {
    let (png, jpeg) = (png(), jpeg());
    let long = format!("{}/x.png", "d".repeat(120));
    let plain = tar_of(&[
        ("a.png", &png),
        ("a.cls", b"3"),
        ("b.jpg", &jpeg),
        ("b.cls", b"1"),
        ("c.txt", b"no image"),
    ]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&plain).unwrap();
    vec![
        plain.clone(),
        tar_of(&[
            ("k.webp.x", b"?"),
            ("k.png", &png),
            ("k.json", br#"{"label": 4}"#),
        ]),
        tar_of(&[(long.as_str(), &png), ("d/x.txt", b"dog")]),
        gz.finish().unwrap(),
    ]
}

/// Seeds of the `parquet` target: the `Image` struct and an int64 label in two row groups, Snappy and
/// uncompressed, with the `huggingface` metadata naming the classes.
pub fn parquets() -> Vec<Vec<u8>> {
    let images = [png(), jpeg(), png()];
    [Compression::SNAPPY, Compression::UNCOMPRESSED]
        .into_iter()
        .map(|compression| {
            let schema = Arc::new(
                parse_message_type(
                    "message schema {
                        optional group image { optional binary bytes; optional binary path (STRING); }
                        optional int64 label;
                    }",
                )
                .unwrap(),
            );
            let hf = r#"{"info": {"features": {"image": {"_type": "Image"}, "label": {"names": ["a", "b"], "_type": "ClassLabel"}}}}"#;
            let properties = WriterProperties::builder()
                .set_compression(compression)
                .set_key_value_metadata(Some(vec![KeyValue::new(
                    "huggingface".to_owned(),
                    hf.to_owned(),
                )]))
                .build();
            let mut writer =
                SerializedFileWriter::new(Vec::new(), schema, Arc::new(properties)).unwrap();
            for rows in [&images[..2], &images[2..]] {
                let mut group = writer.next_row_group().unwrap();
                let bytes: Vec<ByteArray> = rows.iter().map(|b| ByteArray::from(b.clone())).collect();
                let mut column = group.next_column().unwrap().unwrap();
                column
                    .typed::<ByteArrayType>()
                    .write_batch(&bytes, Some(&vec![2; rows.len()]), None)
                    .unwrap();
                column.close().unwrap();
                let mut column = group.next_column().unwrap().unwrap();
                column
                    .typed::<ByteArrayType>()
                    .write_batch(&[], Some(&vec![1; rows.len()]), None)
                    .unwrap();
                column.close().unwrap();
                let labels: Vec<i64> = (0..2).take(rows.len()).collect();
                let mut column = group.next_column().unwrap().unwrap();
                column
                    .typed::<Int64Type>()
                    .write_batch(&labels, Some(&vec![1; rows.len()]), None)
                    .unwrap();
                column.close().unwrap();
                group.close().unwrap();
            }
            writer.into_inner().unwrap()
        })
        .chain(std::iter::once(parquet_of_arrays()))
        .collect()
}

/// A Parquet file of arrays as `Dataset.to_parquet` writes an `Array2D` uint8 `(2, 2)` column (a
/// list of lists) and a `ClassLabel`, in two row groups.
fn parquet_of_arrays() -> Vec<u8> {
    let first: [crate::common::parquet_arrays::ArrayRow<'_>; 2] =
        [(&[&[0, 1], &[2, 3]], 0), (&[&[4, 5], &[6, 7]], 1)];
    let second: [crate::common::parquet_arrays::ArrayRow<'_>; 1] = [(&[&[8, 9], &[10, 11]], 0)];
    crate::common::parquet_arrays::parquet_of_arrays(&[&first, &second], &["a", "b"])
}

/// Seeds of the `arrow` target: an Arrow IPC stream of the `Image` struct and an int64 label in two
/// batches, one image null.
pub fn arrows() -> Vec<Vec<u8>> {
    let image_fields = Fields::from(vec![
        Field::new("bytes", DataType::Binary, true),
        Field::new("path", DataType::Utf8, true),
    ]);
    let schema = Arc::new(Schema::new(vec![
        Field::new("image", DataType::Struct(image_fields.clone()), true),
        Field::new("label", DataType::Int64, true),
    ]));
    let (png, jpeg) = (png(), jpeg());
    let batches: [Vec<Option<&[u8]>>; 2] = [vec![Some(&png), Some(&jpeg)], vec![None, Some(&png)]];
    let mut writer = arrow_ipc::writer::StreamWriter::try_new(Vec::new(), &schema).unwrap();
    for rows in batches {
        let n = rows.len();
        let bytes = BinaryArray::from(rows);
        let paths = StringArray::from(vec![None::<&str>; n]);
        let image = StructArray::new(
            image_fields.clone(),
            vec![Arc::new(bytes) as ArrayRef, Arc::new(paths) as ArrayRef],
            None,
        );
        let labels = Int64Array::from((0..2).take(n).collect::<Vec<i64>>());
        let batch =
            RecordBatch::try_new(Arc::clone(&schema), vec![Arc::new(image), Arc::new(labels)])
                .unwrap();
        writer.write(&batch).unwrap();
    }
    writer.finish().unwrap();
    vec![writer.into_inner().unwrap(), arrow_of_arrays()]
}

/// An Arrow stream of arrays as `save_to_disk` writes them: an `Array2D` uint8 `(2, 3)` column (a
/// list of lists), a float32 `Value` and a `ClassLabel`, described by the schema's `huggingface`
/// metadata; two batches.
fn arrow_of_arrays() -> Vec<u8> {
    use arrow_array::builder::{Float32Builder, ListBuilder, UInt8Builder};
    let hf = r#"{"info": {"features": {"x": {"shape": [2, 3], "dtype": "uint8", "_type": "Array2D"}, "f": {"dtype": "float32", "_type": "Value"}, "label": {"names": ["a", "b"], "_type": "ClassLabel"}}}}"#;
    let batch_of = |rows: &[[u8; 6]]| {
        let mut x = ListBuilder::new(ListBuilder::new(UInt8Builder::new()));
        for row in rows {
            for line in row.chunks(3) {
                x.values().values().append_slice(line);
                x.values().append(true);
            }
            x.append(true);
        }
        let mut f = Float32Builder::new();
        f.append_slice(&vec![0.5; rows.len()]);
        let labels = Int64Array::from(
            [0, 1]
                .into_iter()
                .cycle()
                .take(rows.len())
                .collect::<Vec<i64>>(),
        );
        vec![
            Arc::new(x.finish()) as ArrayRef,
            Arc::new(f.finish()) as ArrayRef,
            Arc::new(labels) as ArrayRef,
        ]
    };
    let first = batch_of(&[[1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12]]);
    let mut metadata = std::collections::HashMap::new();
    metadata.insert("huggingface".to_owned(), hf.to_owned());
    let schema = Arc::new(Schema::new_with_metadata(
        vec![
            Field::new("x", first[0].data_type().clone(), true),
            Field::new("f", DataType::Float32, true),
            Field::new("label", DataType::Int64, true),
        ],
        metadata,
    ));
    let mut writer = arrow_ipc::writer::StreamWriter::try_new(Vec::new(), &schema).unwrap();
    for columns in [first, batch_of(&[[13, 14, 15, 16, 17, 18]])] {
        let batch = RecordBatch::try_new(Arc::clone(&schema), columns).unwrap();
        writer.write(&batch).unwrap();
    }
    writer.finish().unwrap();
    writer.into_inner().unwrap()
}
