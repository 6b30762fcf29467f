//! Reading the rows of one Parquet row group, projected to the columns batchscope needs, with every
//! failure of the reader (a corrupt page, a bad footer, a panic of the decoder on hostile bytes) a
//! value naming the file and the row group.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use parquet::basic::Compression;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::{Field, Row};
use parquet::schema::types::{Type, TypePtr};

use crate::decode;

/// A Parquet file open for reading (its footer parsed).
pub type Reader = SerializedFileReader<std::fs::File>;

/// Opens `path` through the hardened open and parses its footer; a file whose pages use a codec
/// batchscope does not read (brotli, LZO) is refused here, by name, before any page is read.
pub fn open(path: &Path) -> Result<Reader, String> {
    let file = decode::open_file(path).map_err(|e| e.to_string())?;
    let reader = guarded(|| SerializedFileReader::new(file).map_err(|e| e.to_string()))?;
    let unread = reader
        .metadata()
        .row_groups()
        .iter()
        .flat_map(parquet::file::metadata::RowGroupMetaData::columns)
        .map(parquet::file::metadata::ColumnChunkMetaData::compression)
        .find(|codec| matches!(codec, Compression::BROTLI(_) | Compression::LZO));
    if let Some(codec) = unread {
        let name = match codec {
            Compression::BROTLI(_) => "BROTLI",
            _ => "LZO",
        };
        return Err(format!(
            "its pages are {name} compressed, which batchscope does not read (it reads uncompressed, snappy, gzip, zstd and lz4 pages); write it with another codec, e.g. pyarrow.parquet.write_table(table, path, compression=\"zstd\")"
        ));
    }
    Ok(reader)
}

/// Runs `work`, turning a panic of the Parquet decoder (a bug it has on some hostile input) into an
/// error, so that a bad file is a reason, not a crash.
fn guarded<T>(work: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("no message");
        Err(format!("the Parquet decoder failed: {what}"))
    })
}

/// The top-level field named `name` of the file's schema.
pub fn field(reader: &Reader, name: &str) -> Option<TypePtr> {
    reader
        .metadata()
        .file_metadata()
        .schema()
        .get_fields()
        .iter()
        .find(|f| f.name() == name)
        .cloned()
}

/// Calls `on_row` with each row of row group `group` projected to `columns` (top-level fields, in
/// that order), until it returns `false`. `Err` says why the rest of the row group cannot be read
/// (the rows before it were given).
pub fn each_row(
    reader: &Reader,
    path: &Path,
    group: usize,
    columns: &[TypePtr],
    on_row: &mut dyn FnMut(usize, &Row) -> bool,
) -> Result<(), String> {
    if let Some(meta) = reader.metadata().row_groups().get(group) {
        super::pages::check(path, group, meta)?;
    }
    guarded(|| {
        let projection = Type::group_type_builder("schema")
            .with_fields(columns.to_vec())
            .build()
            .map_err(|e| e.to_string())?;
        check_byte_ranges(reader, group)?;
        let row_group = reader.get_row_group(group).map_err(|e| e.to_string())?;
        let rows = row_group
            .get_row_iter(Some(projection))
            .map_err(|e| e.to_string())?;
        for (k, row) in rows.enumerate() {
            let row = row.map_err(|e| format!("row {k}: {e}"))?;
            if !on_row(k, &row) {
                break;
            }
        }
        Ok(())
    })
}

/// Refuses a row group whose column chunks claim a negative start or length, which the Parquet
/// crate asserts against (a panic) rather than returning an error.
fn check_byte_ranges(reader: &Reader, group: usize) -> Result<(), String> {
    let Some(meta) = reader.metadata().row_groups().get(group) else {
        return Err(format!("row group {group} is not in the footer"));
    };
    for (c, column) in meta.columns().iter().enumerate() {
        let start = column
            .dictionary_page_offset()
            .unwrap_or_else(|| column.data_page_offset());
        let len = column.compressed_size();
        if start < 0 || len < 0 || start.checked_add(len).is_none() {
            return Err(format!(
                "column chunk {c} claims bytes {start}..+{len}, not a range of the file"
            ));
        }
    }
    Ok(())
}

/// An image cell: its bytes, a path to the image file (the `Image` feature without bytes), or null.
#[derive(Debug, PartialEq, Eq)]
pub enum ImageCell<'a> {
    /// The encoded image.
    Bytes(&'a [u8]),
    /// Only a path.
    Path(&'a str),
    /// Null, or a struct whose fields are both null.
    Null,
}

/// The image in a cell: a binary value, or the `Image` feature's struct `{bytes, path}`.
pub fn image_cell(field: &Field) -> Result<ImageCell<'_>, String> {
    match field {
        Field::Bytes(bytes) => Ok(ImageCell::Bytes(bytes.data())),
        Field::Null => Ok(ImageCell::Null),
        Field::Group(row) => {
            let mut path = None;
            for (name, value) in row.get_column_iter() {
                match (name.as_str(), value) {
                    ("bytes", Field::Bytes(bytes)) => return Ok(ImageCell::Bytes(bytes.data())),
                    ("path", Field::Str(p)) => path = Some(p.as_str()),
                    _ => {}
                }
            }
            Ok(path.map_or(ImageCell::Null, ImageCell::Path))
        }
        other => Err(format!(
            "the image cell is {}, not binary or an Image struct",
            kind_of(other)
        )),
    }
}

/// An integer label cell (`None` for null).
pub fn label_cell(field: &Field) -> Result<Option<i64>, String> {
    Ok(Some(match field {
        Field::Null => return Ok(None),
        Field::Byte(v) => i64::from(*v),
        Field::Short(v) => i64::from(*v),
        Field::Int(v) => i64::from(*v),
        Field::Long(v) => *v,
        Field::UByte(v) => i64::from(*v),
        Field::UShort(v) => i64::from(*v),
        Field::UInt(v) => i64::from(*v),
        Field::ULong(v) => i64::try_from(*v).map_err(|_| format!("the label {v} is past int64"))?,
        other => {
            return Err(format!(
                "the label cell is {}, not an integer",
                kind_of(other)
            ));
        }
    }))
}

/// What a cell is, for messages.
fn kind_of(field: &Field) -> &'static str {
    match field {
        Field::Bool(_) => "a boolean",
        Field::Float16(_) | Field::Float(_) | Field::Double(_) | Field::Decimal(_) => "a float",
        Field::Str(_) => "text",
        Field::Group(_) => "a struct",
        Field::ListInternal(_) => "a list",
        Field::MapInternal(_) => "a map",
        _ => "another type",
    }
}
