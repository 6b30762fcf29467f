//! Reading the Arrow IPC streams `datasets` writes (`data-00000-of-00001.arrow`): record batches
//! projected to the image and label columns, the byte offset where each batch starts (so a batch
//! can be read again on its own, after the schema), and the cells of the `Image` struct and of an
//! integer label.

use std::io::{self, BufReader, Cursor, Read, Seek as _, SeekFrom};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use arrow_array::cast::AsArray as _;
use arrow_array::types::{
    Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_ipc::reader::StreamReader;
use arrow_schema::DataType;

use crate::decode;

/// A reader that counts the bytes the Arrow reader took, and fails once cancel is set.
pub struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
    cancel: Option<Arc<AtomicBool>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
            || decode::abandoned()
        {
            return Err(io::Error::other("not read: cancelled"));
        }
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A stream open from its start: the reader, and the count of bytes it has taken.
pub struct Opened {
    /// The batches.
    pub reader: StreamReader<Counting<BufReader<std::fs::File>>>,
    /// Bytes taken so far (after `try_new`: the schema's end).
    pub count: Arc<AtomicU64>,
}

/// Opens the stream at `path` from its start, projected to `projection` (`None`: every column).
pub fn open(
    path: &Path,
    projection: Option<Vec<usize>>,
    cancel: Option<Arc<AtomicBool>>,
) -> Result<Opened, String> {
    let file = decode::open_file(path).map_err(|e| e.to_string())?;
    let count = Arc::new(AtomicU64::new(0));
    let counting = Counting {
        inner: BufReader::new(file),
        count: Arc::clone(&count),
        cancel,
    };
    let reader = StreamReader::try_new(counting, projection).map_err(|e| e.to_string())?;
    Ok(Opened { reader, count })
}

/// Reads the one batch that starts at byte `offset` of the stream at `path`, whose schema message
/// takes its first `schema_bytes` bytes, projected to `projection`.
pub fn read_batch_at(
    path: &Path,
    schema_bytes: u64,
    offset: u64,
    projection: Vec<usize>,
) -> Result<RecordBatch, String> {
    let mut file = decode::open_file(path).map_err(|e| e.to_string())?;
    let mut schema = Vec::new();
    (&mut file)
        .take(schema_bytes)
        .read_to_end(&mut schema)
        .map_err(|e| e.to_string())?;
    file.seek(SeekFrom::Start(offset))
        .map_err(|e| e.to_string())?;
    let input = Cursor::new(schema).chain(BufReader::new(file));
    let mut reader = StreamReader::try_new(input, Some(projection)).map_err(|e| e.to_string())?;
    match reader.next() {
        Some(batch) => batch.map_err(|e| e.to_string()),
        None => Err(format!(
            "no batch at byte {offset} (the file changed since it was opened)"
        )),
    }
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

/// Whether `column` can hold images: binary, or a struct with a binary `bytes` field.
pub fn is_image_type(data_type: &DataType) -> bool {
    match data_type {
        DataType::Binary | DataType::LargeBinary => true,
        DataType::Struct(fields) => fields.iter().any(|f| f.name() == "bytes"),
        _ => false,
    }
}

fn binary_at(array: &ArrayRef, row: usize) -> Option<&[u8]> {
    if array.is_null(row) {
        return None;
    }
    array
        .as_binary_opt::<i32>()
        .map(|a| a.value(row))
        .or_else(|| array.as_binary_opt::<i64>().map(|a| a.value(row)))
}

/// The image in `row` of `column`: a binary value, or the `Image` feature's struct `{bytes, path}`.
pub fn image_cell(column: &ArrayRef, row: usize) -> Result<ImageCell<'_>, String> {
    if row >= column.len() {
        return Err(format!(
            "row {row} is past the batch's {} rows",
            column.len()
        ));
    }
    if column.is_null(row) {
        return Ok(ImageCell::Null);
    }
    if let Some(bytes) = binary_at(column, row) {
        return Ok(ImageCell::Bytes(bytes));
    }
    let Some(image) = column.as_struct_opt() else {
        return Err(format!(
            "the image column is {}, not binary or an Image struct",
            column.data_type()
        ));
    };
    if let Some(bytes) = image
        .column_by_name("bytes")
        .and_then(|b| binary_at(b, row))
    {
        return Ok(ImageCell::Bytes(bytes));
    }
    let path = image.column_by_name("path").and_then(|p| {
        let p = p.as_string_opt::<i32>()?;
        (!p.is_null(row)).then(|| p.value(row))
    });
    Ok(path.map_or(ImageCell::Null, ImageCell::Path))
}

/// The integer label in `row` of `column` (`None` for null).
pub fn label_cell(column: &ArrayRef, row: usize) -> Result<Option<i64>, String> {
    if row >= column.len() {
        return Err(format!(
            "row {row} is past the batch's {} rows",
            column.len()
        ));
    }
    if column.is_null(row) {
        return Ok(None);
    }
    macro_rules! value {
        ($($t:ty),*) => {$(
            if let Some(a) = column.as_primitive_opt::<$t>() {
                return i64::try_from(a.value(row))
                    .map(Some)
                    .map_err(|_| format!("the label {} is past int64", a.value(row)));
            }
        )*};
    }
    value!(
        Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type, UInt64Type
    );
    Err(format!(
        "the label column is {}, not integers",
        column.data_type()
    ))
}
