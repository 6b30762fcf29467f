//! Parquet files whose samples are arrays (`Dataset.to_parquet` of `Array2D`…`Array5D` and
//! numeric `Value` columns): read as stored rows, with the dtypes and shapes the `huggingface`
//! metadata declares, each row checked against them when the files are indexed, read back one row
//! group at a time (the last one decoded is kept).

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::Ordering;

use parquet::file::reader::FileReader as _;
use parquet::record::Field;

use super::rows::{self, Reader};
use crate::index::{Column, IndexWarning, RowsLayout, StoredRows, WalkControl};
use crate::npy::NpyDtype;
use crate::source::SourceError;

/// Appends `field` (one cell, as `column` declares it) to `out` as little-endian bytes.
pub fn cell_bytes(field: &Field, column: &Column, out: &mut Vec<u8>) -> Result<(), String> {
    nested(field, &column.row_shape, column, out)
}

fn nested(
    field: &Field,
    shape: &[usize],
    column: &Column,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let Some((&len, inner)) = shape.split_first() else {
        return leaf(field, column, out);
    };
    let Field::ListInternal(list) = field else {
        return Err(match field {
            Field::Null => format!("{:?} holds a null", column.name),
            _ => format!(
                "{:?} is not nested lists as its shape {:?} needs",
                column.name, column.row_shape
            ),
        });
    };
    let axis = column.row_shape.len() - shape.len();
    if list.len() != len {
        return Err(format!(
            "{:?} has a list of {} on axis {axis} where its shape {:?} says {len}",
            column.name,
            list.len(),
            column.row_shape
        ));
    }
    list.elements()
        .iter()
        .try_for_each(|item| nested(item, inner, column, out))
}

fn leaf(field: &Field, column: &Column, out: &mut Vec<u8>) -> Result<(), String> {
    use NpyDtype as D;
    match (field, column.dtype) {
        (Field::Bool(v), D::Bool) => out.push(u8::from(*v)),
        (Field::UByte(v), D::U8) => out.push(*v),
        (Field::Byte(v), D::I8) => out.extend_from_slice(&v.to_le_bytes()),
        (Field::UShort(v), D::U16) => out.extend_from_slice(&v.to_le_bytes()),
        (Field::Short(v), D::I16) => out.extend_from_slice(&v.to_le_bytes()),
        (Field::UInt(v), D::U32) => out.extend_from_slice(&v.to_le_bytes()),
        (Field::Int(v), D::I32) => out.extend_from_slice(&v.to_le_bytes()),
        (Field::ULong(v), D::U64) => out.extend_from_slice(&v.to_le_bytes()),
        (Field::Long(v), D::I64) => out.extend_from_slice(&v.to_le_bytes()),
        (Field::Float16(v), D::F16) => out.extend_from_slice(&v.to_bits().to_le_bytes()),
        (Field::Float(v), D::F32) => out.extend_from_slice(&v.to_le_bytes()),
        (Field::Double(v), D::F64) => out.extend_from_slice(&v.to_le_bytes()),
        (Field::Null, _) => return Err(format!("{:?} holds a null value", column.name)),
        (other, dtype) => {
            return Err(format!(
                "{:?} holds {other:?} where datasets declares {}",
                column.name,
                crate::npy::dtype_name(dtype)
            ));
        }
    }
    Ok(())
}

/// Where one row is: its file, row group and row in the group.
pub type RowAt = (usize, usize, usize);

/// One row group's rows, decoded: each column's bytes of each row (`Err`: why that row failed).
type Decoded = Vec<Result<Vec<Vec<u8>>, String>>;

/// The rows of one row group of `reader` projected to `columns`, each converted (or why not).
pub fn decode_group(
    reader: &Reader,
    path: &Path,
    group: usize,
    columns: &[Column],
) -> Result<Decoded, String> {
    let fields: Vec<_> = columns
        .iter()
        .map(|c| rows::field(reader, &c.name).ok_or_else(|| format!("no column {:?}", c.name)))
        .collect::<Result<_, _>>()?;
    let mut decoded = Vec::new();
    rows::each_row(reader, path, group, &fields, &mut |_, row| {
        let cells = row
            .get_column_iter()
            .zip(columns)
            .map(|((_, field), column)| {
                // Grown as values arrive: the declared shape is a claim, not a size to allocate.
                let mut bytes = Vec::new();
                cell_bytes(field, column, &mut bytes).map(|()| bytes)
            })
            .collect();
        decoded.push(cells);
        true
    })?;
    Ok(decoded)
}

/// The row group decoded last: its file and number, and its rows.
type LastGroup = Option<((usize, usize), std::sync::Arc<Decoded>)>;

/// What the pass over the files found: where each kept row is, its name and label, and the rows
/// left out.
#[derive(Default)]
pub struct Scan {
    /// Each kept row.
    pub at: Vec<RowAt>,
    /// Its sample name.
    pub names: Vec<PathBuf>,
    /// Its label value (from column `label`).
    pub labels: Vec<Option<i64>>,
    /// The rows, row groups and files left out, and why.
    pub warnings: Vec<IndexWarning>,
}

/// Decodes every row group of `files` once, projected to `columns`, keeping the rows that fit them.
pub fn scan(
    files: &[PathBuf],
    columns: &[Column],
    label: Option<usize>,
    control: &WalkControl<'_>,
) -> Result<Scan, SourceError> {
    let mut out = Scan::default();
    for (f, file) in files.iter().enumerate() {
        let warn = |reason: String| IndexWarning {
            path: file.clone(),
            reason,
        };
        let reader = match rows::open(file) {
            Ok(reader) => reader,
            Err(reason) => {
                out.warnings.push(warn(format!("unreadable: {reason}")));
                continue;
            }
        };
        for group in 0..reader.num_row_groups() {
            if control.cancel.load(Ordering::Relaxed) {
                return Err(SourceError::Cancelled);
            }
            let decoded = match decode_group(&reader, file, group, columns) {
                Ok(decoded) => decoded,
                Err(reason) => {
                    out.warnings.push(warn(format!(
                        "row group {group}: {reason}; the rest of the row group is not read"
                    )));
                    continue;
                }
            };
            for (row, cells) in decoded.into_iter().enumerate() {
                match cells {
                    Ok(cells) => {
                        out.at.push((f, group, row));
                        out.names.push(name(file, group, row));
                        out.labels
                            .push(label.and_then(|l| {
                                crate::npy::element_i64(columns[l].dtype, &cells[l])
                            }));
                    }
                    Err(reason) => out.warnings.push(warn(format!(
                        "row group {group}, row {row}: {reason}; it is left out"
                    ))),
                }
            }
            (control.on_progress)(out.at.len());
        }
    }
    Ok(out)
}

/// The stored rows of Parquet files.
pub struct ParquetRows {
    layout: RowsLayout,
    files: Vec<PathBuf>,
    rows: Vec<RowAt>,
    last: Mutex<LastGroup>,
}

impl ParquetRows {
    /// The rows `rows` of `files`, as `layout` says.
    pub fn new(layout: RowsLayout, files: Vec<PathBuf>, rows: Vec<RowAt>) -> Self {
        Self {
            layout,
            files,
            rows,
            last: Mutex::new(None),
        }
    }

    fn group(&self, file: usize, group: usize) -> Result<std::sync::Arc<Decoded>, String> {
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((at, kept)) = last.as_ref()
            && *at == (file, group)
        {
            return Ok(std::sync::Arc::clone(kept));
        }
        let path = &self.files[file];
        let decoded = rows::open(path)
            .and_then(|reader| decode_group(&reader, path, group, &self.layout.columns))
            .map(std::sync::Arc::new)
            .map_err(|e| format!("{}: row group {group}: {e}", path.display()))?;
        *last = Some(((file, group), std::sync::Arc::clone(&decoded)));
        Ok(decoded)
    }
}

impl StoredRows for ParquetRows {
    fn layout(&self) -> &RowsLayout {
        &self.layout
    }

    fn read_rows(&self, rows: Range<usize>, out: &mut [Vec<u8>]) -> Result<(), String> {
        for r in rows {
            let &(file, group, row) = self
                .rows
                .get(r)
                .ok_or_else(|| format!("row {r} is past the {} rows", self.rows.len()))?;
            let decoded = self.group(file, group)?;
            let cells = decoded
                .get(row)
                .ok_or_else(|| {
                    format!(
                        "{}: row group {group} has no row {row} (the file changed since it was opened)",
                        self.files[file].display()
                    )
                })?
                .as_ref()
                .map_err(|e| {
                    format!(
                        "{}: row group {group}, row {row}: {e}",
                        self.files[file].display()
                    )
                })?;
            for (buffer, cell) in out.iter_mut().zip(cells) {
                buffer.extend_from_slice(cell);
            }
        }
        Ok(())
    }

    fn is_random_access(&self) -> bool {
        true
    }
}

/// The sample name of row `row` of row group `group` of `file`.
pub fn name(file: &Path, group: usize, row: usize) -> PathBuf {
    super::super::member_name(file, format_args!("{group}/{row}"))
}
