//! A Parquet file of arrays written as `Dataset.to_parquet` writes them, for the Parquet tests and
//! the fuzz seeds: an `Array2D` uint8 `(2, 2)` column `x` (a list of lists of INT32 stored as
//! `UINT_8`) and a `ClassLabel` column `label`, described by the `huggingface` schema metadata.

use std::sync::Arc;

use parquet::data_type::{Int32Type, Int64Type};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

/// One row: its inner lists (a list of another length than 2 makes the row ragged) and its label.
pub type ArrayRow<'a> = (&'a [&'a [i32]], i64);

/// The file's bytes: one row group per entry of `groups`, the `ClassLabel` named `names`.
pub fn parquet_of_arrays(groups: &[&[ArrayRow<'_>]], names: &[&str]) -> Vec<u8> {
    let x = serde_json::json!({"shape": [2, 2], "dtype": "uint8", "_type": "Array2D"});
    parquet_declaring(groups, names, &x)
}

/// [`parquet_of_arrays`], its metadata declaring `x` as the feature `x` (another shape or dtype).
#[allow(dead_code)] // Not every test binary that holds this module declares another feature.
pub fn parquet_declaring(
    groups: &[&[ArrayRow<'_>]],
    names: &[&str],
    x: &serde_json::Value,
) -> Vec<u8> {
    let schema = Arc::new(
        parse_message_type(
            "message schema {
                optional group x (LIST) {
                    repeated group list {
                        optional group element (LIST) {
                            repeated group list { optional int32 element (INTEGER(8,false)); }
                        }
                    }
                }
                optional int64 label;
            }",
        )
        .unwrap(),
    );
    let metadata = serde_json::json!({"info": {"features": {
        "x": x,
        "label": {"names": names, "_type": "ClassLabel"},
    }}});
    let properties = WriterProperties::builder()
        .set_key_value_metadata(Some(vec![KeyValue::new(
            "huggingface".to_owned(),
            metadata.to_string(),
        )]))
        .build();
    let mut writer = SerializedFileWriter::new(Vec::new(), schema, Arc::new(properties)).unwrap();
    for rows in groups {
        // Repetition 0 starts a row, 1 a new inner list, 2 the next value of an inner list; every
        // value is defined (level 5).
        let (mut values, mut repetition) = (Vec::new(), Vec::new());
        for (lists, _) in *rows {
            for (j, list) in lists.iter().enumerate() {
                for (k, &v) in list.iter().enumerate() {
                    values.push(v);
                    repetition.push(match (j, k) {
                        (0, 0) => 0,
                        (_, 0) => 1,
                        _ => 2,
                    });
                }
            }
        }
        let mut group = writer.next_row_group().unwrap();
        let mut column = group.next_column().unwrap().unwrap();
        column
            .typed::<Int32Type>()
            .write_batch(&values, Some(&vec![5; values.len()]), Some(&repetition))
            .unwrap();
        column.close().unwrap();
        let labels: Vec<i64> = rows.iter().map(|&(_, label)| label).collect();
        let mut column = group.next_column().unwrap().unwrap();
        column
            .typed::<Int64Type>()
            .write_batch(&labels, Some(&vec![1; labels.len()]), None)
            .unwrap();
        column.close().unwrap();
        group.close().unwrap();
    }
    writer.into_inner().unwrap()
}
