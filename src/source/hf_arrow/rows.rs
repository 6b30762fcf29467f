//! A `datasets` folder whose samples are arrays, not images: its fixed-shape `Array2D`…`Array5D`
//! columns and numeric `Value` columns, read as stored rows (dtype and shape as `datasets` declares
//! them, exported as stored), its `ClassLabel` column as the labels.
//!
//! `datasets` stores an `ArrayND` column as nested Arrow lists (`list<list<list<uint8>>>` for an
//! `Array3D` of uint8); every row is checked against the declared shape when the folder is indexed,
//! and a row that does not fit (a ragged list, a null) is left out with a warning naming its file,
//! batch and row. Columns of other types (strings, dynamic shapes) are not exported, and a note
//! says which.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use arrow_array::cast::AsArray as _;
use arrow_array::{Array, ArrayRef, RecordBatch};

use super::store::StreamFile;
use super::stream;
use crate::index::{Column, RowsLayout, StoredRows};
use crate::npy::NpyDtype;

/// Appends row `row` of `array` (as `column` declares it) to `out` as little-endian bytes.
pub fn copy_row(
    array: &ArrayRef,
    row: usize,
    column: &Column,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    if row >= array.len() {
        return Err(format!(
            "row {row} is past the batch's {} rows",
            array.len()
        ));
    }
    if array.is_null(row) {
        return Err(format!("{:?} is null", column.name));
    }
    // Down the nested lists: at each level, the range of lists the row covers becomes the range
    // of their items, each list as long as the declared axis.
    let (mut values, mut start, mut end) = (array.clone(), row, row + 1);
    for (axis, &len) in column.row_shape.iter().enumerate() {
        let (offsets, items): (Vec<usize>, ArrayRef) =
            if let Some(list) = values.as_list_opt::<i32>() {
                (
                    list.value_offsets()[start..=end]
                        .iter()
                        .map(|&o| usize::try_from(o).unwrap_or(0))
                        .collect(),
                    list.values().clone(),
                )
            } else if let Some(list) = values.as_list_opt::<i64>() {
                (
                    list.value_offsets()[start..=end]
                        .iter()
                        .map(|&o| usize::try_from(o).unwrap_or(0))
                        .collect(),
                    list.values().clone(),
                )
            } else if let Some(list) = values.as_fixed_size_list_opt() {
                let n = usize::try_from(list.value_length()).unwrap_or(0);
                (
                    (start..=end).map(|i| i * n).collect(),
                    list.values().clone(),
                )
            } else {
                return Err(format!(
                    "{:?} is {} where its shape {:?} needs nested lists",
                    column.name,
                    array.data_type(),
                    column.row_shape
                ));
            };
        if (start..end).any(|i| values.is_null(i)) {
            return Err(format!("{:?} holds a null on axis {axis}", column.name));
        }
        if let Some(w) = offsets.windows(2).find(|w| w[1] - w[0] != len) {
            return Err(format!(
                "{:?} has a list of {} on axis {axis} where its shape {:?} says {len}",
                column.name,
                w[1].saturating_sub(w[0]),
                column.row_shape
            ));
        }
        (values, start, end) = (items, offsets[0], offsets[offsets.len() - 1]);
    }
    if values.null_count() > 0 && (start..end).any(|i| values.is_null(i)) {
        return Err(format!("{:?} holds a null value", column.name));
    }
    primitive_bytes(&values, start..end, column, out)
}

/// Appends `range` of the primitive `values` to `out`, as `column.dtype` little-endian bytes.
fn primitive_bytes(
    values: &ArrayRef,
    range: Range<usize>,
    column: &Column,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    use arrow_array::types::{
        Float16Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type,
        UInt8Type, UInt16Type, UInt32Type, UInt64Type,
    };
    macro_rules! copy {
        ($t:ty, $dtype:path) => {
            if let Some(a) = values.as_primitive_opt::<$t>()
                && column.dtype == $dtype
            {
                for v in &a.values()[range] {
                    out.extend_from_slice(&v.to_le_bytes());
                }
                return Ok(());
            }
        };
    }
    copy!(UInt8Type, NpyDtype::U8);
    copy!(Int8Type, NpyDtype::I8);
    copy!(UInt16Type, NpyDtype::U16);
    copy!(Int16Type, NpyDtype::I16);
    copy!(UInt32Type, NpyDtype::U32);
    copy!(Int32Type, NpyDtype::I32);
    copy!(UInt64Type, NpyDtype::U64);
    copy!(Int64Type, NpyDtype::I64);
    copy!(Float16Type, NpyDtype::F16);
    copy!(Float32Type, NpyDtype::F32);
    copy!(Float64Type, NpyDtype::F64);
    if let Some(a) = values.as_boolean_opt()
        && column.dtype == NpyDtype::Bool
    {
        out.extend(range.map(|i| u8::from(a.value(i))));
        return Ok(());
    }
    Err(format!(
        "{:?} holds {} where datasets declares {}",
        column.name,
        values.data_type(),
        crate::npy::dtype_name(column.dtype)
    ))
}

/// Where one row is: its file, batch and row in the batch.
pub type RowAt = (usize, usize, usize);

/// The stored rows of Arrow stream files: each sample a row of every kept column, read back by
/// record batch (the last batch read is kept, so consecutive rows read it once).
pub struct ArrowRows {
    layout: RowsLayout,
    files: Vec<StreamFile>,
    projection: Vec<usize>,
    rows: Vec<RowAt>,
    last: Mutex<Option<((usize, usize), RecordBatch)>>,
}

impl ArrowRows {
    /// The rows `rows` of `files`, projected to `projection` (the fields of `layout`'s columns).
    pub fn new(
        layout: RowsLayout,
        files: Vec<StreamFile>,
        projection: Vec<usize>,
        rows: Vec<RowAt>,
    ) -> Self {
        Self {
            layout,
            files,
            projection,
            rows,
            last: Mutex::new(None),
        }
    }

    fn batch(&self, file: usize, batch: usize) -> Result<RecordBatch, String> {
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((at, kept)) = last.as_ref()
            && *at == (file, batch)
        {
            return Ok(kept.clone());
        }
        let f = &self.files[file];
        let read = stream::read_batch_at(
            &f.path,
            f.schema_bytes,
            f.batch_offsets[batch],
            self.projection.clone(),
        )
        .map_err(|e| format!("{}: batch {batch}: {e}", f.path.display()))?;
        *last = Some(((file, batch), read.clone()));
        Ok(read)
    }
}

impl StoredRows for ArrowRows {
    fn layout(&self) -> &RowsLayout {
        &self.layout
    }

    fn read_rows(&self, rows: Range<usize>, out: &mut [Vec<u8>]) -> Result<(), String> {
        for r in rows {
            let &(file, b, row) = self
                .rows
                .get(r)
                .ok_or_else(|| format!("row {r} is past the {} rows", self.rows.len()))?;
            let batch = self.batch(file, b)?;
            for (c, column) in self.layout.columns.iter().enumerate() {
                copy_row(batch.column(c), row, column, &mut out[c]).map_err(|e| {
                    format!(
                        "{}: batch {b}, row {row}: {e}",
                        self.files[file].path.display()
                    )
                })?;
            }
        }
        Ok(())
    }

    fn is_random_access(&self) -> bool {
        true
    }
}

/// The rows of one scanned stream that fit their columns, and warnings for those that do not.
pub fn check_batch(
    batch: &RecordBatch,
    columns: &[Column],
    mut keep: impl FnMut(usize, Option<i64>),
    mut leave_out: impl FnMut(usize, String),
    label: Option<usize>,
) {
    let mut scratch = Vec::new();
    'rows: for row in 0..batch.num_rows() {
        for (c, column) in columns.iter().enumerate() {
            scratch.clear();
            if let Err(reason) = copy_row(batch.column(c), row, column, &mut scratch) {
                leave_out(row, reason);
                continue 'rows;
            }
        }
        let value = label.and_then(|l| {
            let bytes = {
                scratch.clear();
                copy_row(batch.column(l), row, &columns[l], &mut scratch).ok()?;
                scratch.clone()
            };
            crate::npy::element_i64(columns[l].dtype, &bytes)
        });
        keep(row, value);
    }
}

/// `what` for messages: `a datasets folder of 2 Arrow files (arrays)`.
pub fn describe(files: usize) -> String {
    format!(
        "a datasets folder of {files} Arrow file{} (arrays)",
        if files == 1 { "" } else { "s" }
    )
}

/// The sample name of row `row` of batch `batch` of `file`.
pub fn name(file: &Path, batch: usize, row: usize) -> PathBuf {
    super::super::member_name(file, format_args!("{batch}/{row}"))
}
