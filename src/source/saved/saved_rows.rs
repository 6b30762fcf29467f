//! A saved tf.data dataset as stored rows: one pass at open indexes where each element starts in its
//! snapshot file (and how many rows it holds, and its labels), so any row range can be read later
//! without reading the rest. A batched dataset's rows are its batches' rows (`np.concatenate`), an
//! unbatched one's are its elements (`np.stack`); which one is [`super::batching()`]'s decision, and
//! when that is a guess it is the index's first warning.
//!
//! Output names follow the element's structure: one tensor is `images`; an `(x, y)` pair is `images`
//! and `labels`; a dict is one array per key (`/` becomes `_`; keys that would share a name, such as
//! `a/b` or a nested `a`/`b` beside `a_b`, are refused, naming both); any other tuple is
//! `component_<i>`.
//!
//! The index pass is [`super::scan`]; bad records become index warnings naming the file, the element
//! and the reason, and the good elements are kept.

use std::io::{BufReader, Read, Seek as _, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use super::records::{self, Compression};
use super::scan::{Counting, ElementRef, Layout, Scan, read_element, scan};
use super::spec::Component;
use super::tensor::Tensor;
use super::{SavedDataset, SavedError};
use crate::index::{
    Column, DatasetIndex, IndexWarning, RowsLayout, Store, StoredRows, WalkControl,
};
use crate::npy::shape_repr;
use crate::options::{ArrayLayout, IndexOptions};
use crate::source::SourceError;
use crate::source::open_stored::{Classes, classes_of, index_of, is_image_shape};

/// The open stream of the last read, kept so reading on in the same file does not start it again.
struct Cursor {
    file: usize,
    position: u64,
    stream: Box<dyn Read + Send>,
}

/// A saved dataset's rows.
pub struct SavedRows {
    layout: RowsLayout,
    components: Vec<Component>,
    files: Vec<(PathBuf, Compression)>,
    elements: Vec<ElementRef>,
    /// `starts[e]` is the first row of element `e`; one more entry holds the row count.
    starts: Vec<usize>,
    /// Rows per stored batch, for the viewer (batched datasets only).
    batch_rows: Option<Vec<usize>>,
    /// The longest record read (the limit the index pass kept to).
    max_record_bytes: u64,
    cursor: Mutex<Option<Cursor>>,
}

/// The output names of an element's components (see the module docs).
fn output_names(components: &[Component]) -> Vec<String> {
    let paths: Vec<&str> = components.iter().map(|c| c.path.as_str()).collect();
    let top_is_dict = paths.iter().all(|p| {
        !p.is_empty()
            && !p
                .split('/')
                .next()
                .is_some_and(|first| first.chars().all(|c| c.is_ascii_digit()))
    });
    match paths.as_slice() {
        [""] => vec!["images".to_owned()],
        ["0", "1"] => vec!["images".to_owned(), "labels".to_owned()],
        _ if top_is_dict => paths.iter().map(|p| p.replace('/', "_")).collect(),
        _ => (0..paths.len()).map(|i| format!("component_{i}")).collect(),
    }
}

/// Refuses components whose output names collide (a dict key `a/b`, or a nested `{'a': {'b': ..}}`,
/// beside a key `a_b`): both would be written to one file, and one array would be lost.
fn check_unique(names: &[String], components: &[Component]) -> Result<(), String> {
    let mut seen: std::collections::HashMap<&str, &Component> = std::collections::HashMap::new();
    for (name, component) in names.iter().zip(components) {
        if let Some(first) = seen.insert(name, component) {
            return Err(format!(
                "components {:?} and {:?} would both be written as {name}.npy (a dict key's / becomes _), so one would overwrite the other; rename one of the keys before tf.data.Dataset.save",
                first.display_name(),
                component.display_name()
            ));
        }
    }
    Ok(())
}

/// The column the user named (by output name or component path), else the first of `names` present.
fn pick(
    columns: &[Column],
    components: &[Component],
    wanted: Option<&str>,
    names: &[&str],
) -> Option<usize> {
    if let Some(wanted) = wanted {
        return columns
            .iter()
            .zip(components)
            .position(|(c, comp)| c.name == wanted || comp.path == wanted);
    }
    names
        .iter()
        .find_map(|n| columns.iter().position(|c| c.name == *n))
}

/// The output arrays: one per component, named, with its dtype and the shape of one row.
fn columns_of(
    names: &[String],
    components: &[Component],
    row_shapes: &[Option<Vec<usize>>],
) -> Vec<Column> {
    names
        .iter()
        .zip(components)
        .zip(row_shapes)
        .map(|((name, c), shape)| Column {
            name: name.clone(),
            dtype: c.dtype,
            row_shape: shape.clone().unwrap_or_default(),
        })
        .collect()
}

/// Opens the saved dataset at `root` (reading every record once, in the background thread that
/// calls this: `control` reports elements read and is checked for cancel between elements). A record
/// longer than `max_record_bytes` loses its element, with the limit in the warning.
pub fn open_saved(
    root: &Path,
    options: &IndexOptions,
    max_record_bytes: u64,
    control: &WalkControl<'_>,
) -> Result<DatasetIndex, SourceError> {
    let root = if root.file_name().is_some_and(|n| n == "snapshot.metadata") {
        root.parent().unwrap_or(root)
    } else {
        root
    };
    let dataset = SavedDataset::open(root)?;
    let batching = dataset.batching(options.batched);
    let batched = batching.batched;
    let components = dataset.components().to_vec();
    let names = output_names(&components);
    check_unique(&names, &components).map_err(|reason| SourceError::Unusable {
        reason,
        path: root.to_path_buf(),
    })?;
    let files = with_compression(dataset.files())?;
    // Row shapes from the spec where it knows them; the first element fills in unknown dims.
    let mut row_shapes = spec_row_shapes(&components, batched);
    check_keys(&names, &components, options, root)?;
    // Which component is the label is known from the names before any data is read.
    let label = match options.label_key.as_deref() {
        Some("none") => None,
        key => label_column(&names, &components, key),
    };
    let layout = Layout {
        components: &components,
        names: &names,
        batched,
        label,
        max_record_bytes,
    };
    let Scan {
        elements,
        starts,
        batch_rows,
        mut warnings,
        label_bytes,
    } = scan(&files, &layout, &mut row_shapes, control)?;
    if (elements.len() as u64) < dataset.num_elements() && warnings.is_empty() {
        warnings.push(IndexWarning {
            path: root.to_path_buf(),
            reason: format!(
                "found {} elements but snapshot.metadata says {}",
                elements.len(),
                dataset.num_elements()
            ),
        });
    }
    // A guessed reading is said first: it concerns every array.
    if let Some(doubt) = batching.doubt() {
        warnings.insert(
            0,
            IndexWarning {
                path: root.to_path_buf(),
                reason: doubt.to_string(),
            },
        );
    }
    let columns = columns_of(&names, &components, &row_shapes);
    let image = image_column(
        &columns,
        &components,
        options.image_key.as_deref(),
        options.layout,
    )
    .map_err(|reason| SourceError::Unusable {
        reason,
        path: root.to_path_buf(),
    })?;
    let classes: Option<Classes> = label.and_then(|l| classes_of(&columns[l], &label_bytes, None));
    let n = starts[starts.len() - 1];
    let what = describe(root, &files, elements.len(), batched.then_some(n));
    let element_starts = starts.clone();
    let rows = SavedRows {
        layout: RowsLayout {
            what,
            columns,
            image,
            label,
            array_layout: options.layout,
        },
        components,
        files,
        elements,
        starts,
        batch_rows: batched.then_some(batch_rows),
        max_record_bytes,
        cursor: Mutex::new(None),
    };
    let rel = |row: usize| {
        let e = element_starts.partition_point(|&s| s <= row) - 1;
        if batched {
            PathBuf::from(format!("element {e}[{}]", row - element_starts[e]))
        } else {
            PathBuf::from(format!("element {e}"))
        }
    };
    let mut index = index_of(root, n, rel, classes, Store::of_rows(Arc::new(rows)));
    index.warnings = warnings;
    Ok(index)
}

/// Each snapshot file with its compression, detected from its first bytes.
fn with_compression(files: &[PathBuf]) -> Result<Vec<(PathBuf, Compression)>, SavedError> {
    files
        .iter()
        .map(|path| {
            records::detect(path)
                .map(|compression| (path.clone(), compression))
                .map_err(|source| SavedError::Io {
                    source,
                    path: path.clone(),
                })
        })
        .collect()
}

/// `the saved tf.data dataset "train" (4 batches, 64 rows, GZIP)`; `rows` for batched datasets.
fn describe(
    root: &Path,
    files: &[(PathBuf, Compression)],
    elements: usize,
    rows: Option<usize>,
) -> String {
    let mut compressions: Vec<String> = files.iter().map(|(_, c)| c.to_string()).collect();
    compressions.dedup();
    let count = match rows {
        Some(n) => format!("{elements} batches, {n} rows"),
        None => format!("{elements} elements, unbatched"),
    };
    // With no snapshot file there is no compression to name.
    let compression = if compressions.is_empty() {
        "no snapshot files".to_owned()
    } else {
        compressions.join("/")
    };
    format!(
        "the saved tf.data dataset {:?} ({count}, {compression})",
        root.file_name().unwrap_or_default(),
    )
}

/// Refuses a `--image-key`/`--label-key` that names no component (a misspelt key is an error, not
/// the default pick), listing the components.
fn check_keys(
    names: &[String],
    components: &[Component],
    options: &IndexOptions,
    root: &Path,
) -> Result<(), SourceError> {
    for key in [&options.image_key, &options.label_key]
        .into_iter()
        .flatten()
    {
        let known = names
            .iter()
            .zip(components)
            .any(|(name, c)| name == key || c.path == *key);
        if !known && key != "none" {
            let listing: Vec<String> = names
                .iter()
                .zip(components)
                .map(|(name, c)| format!("{name} ({}, {})", c.display_name(), c.dtype))
                .collect();
            return Err(SourceError::Unusable {
                reason: format!(
                    "no component named {key:?}; the components are: {}",
                    listing.join(", ")
                ),
                path: root.to_path_buf(),
            });
        }
    }
    Ok(())
}

/// The column the viewer draws: the one named (by `--image-key`, else `images`/`image`/`x`) if it
/// has an image's shape, else the first that has one; a key naming a column that is not an image is
/// an error.
fn image_column(
    columns: &[Column],
    components: &[Component],
    key: Option<&str>,
    layout: ArrayLayout,
) -> Result<Option<usize>, String> {
    match (
        pick(columns, components, key, &["images", "image", "x"]),
        key,
    ) {
        (Some(i), _) if is_image_shape(&columns[i].row_shape, layout) => Ok(Some(i)),
        (Some(i), Some(key)) => Err(format!(
            "component {key:?} is not an image: its rows are {} (an image is (H, W), (H, W, C) with 1, 3 or 4 channels, or (C, H, W) with 1 or 3)",
            shape_repr(&columns[i].row_shape)
        )),
        _ => Ok(columns
            .iter()
            .position(|c| is_image_shape(&c.row_shape, layout))),
    }
}

/// Each component's row shape as far as the spec knows it (`None` dims left to the data).
fn spec_row_shapes(components: &[Component], batched: bool) -> Vec<Option<Vec<usize>>> {
    components
        .iter()
        .map(|c| {
            let dims = if batched {
                c.shape.get(1..).unwrap_or(&[])
            } else {
                &c.shape[..]
            };
            dims.iter().map(|d| d.map(|d| d as usize)).collect()
        })
        .collect()
}

/// The component holding labels: the one named by `--label-key`, else `labels`/`label`/`y`.
fn label_column(names: &[String], components: &[Component], key: Option<&str>) -> Option<usize> {
    let columns: Vec<Column> = names
        .iter()
        .zip(components)
        .map(|(name, c)| Column {
            name: name.clone(),
            dtype: c.dtype,
            row_shape: Vec::new(),
        })
        .collect();
    pick(&columns, components, key, &["labels", "label", "y"])
}

impl SavedRows {
    /// Reads element `e`'s tensors, reusing the open stream when it is at or before the element.
    fn read_element_at(&self, e: usize) -> Result<Vec<Tensor>, String> {
        let at = self.elements[e];
        let (path, compression) = &self.files[at.file];
        let mut cursor = self.cursor.lock().unwrap_or_else(PoisonError::into_inner);
        let reuse = cursor
            .as_ref()
            .is_some_and(|c| c.file == at.file && c.position <= at.offset);
        if !reuse {
            let stream: Box<dyn Read + Send> = if *compression == Compression::None {
                let mut file =
                    crate::decode::open_file(path).map_err(|e| format!("{e}: {path:?}"))?;
                file.seek(SeekFrom::Start(at.offset))
                    .map_err(|e| format!("{e}: {path:?}"))?;
                Box::new(BufReader::with_capacity(1 << 20, file))
            } else {
                records::open(path, *compression).map_err(|e| format!("{e}: {path:?}"))?
            };
            let position = if *compression == Compression::None {
                at.offset
            } else {
                0
            };
            *cursor = Some(Cursor {
                file: at.file,
                position,
                stream,
            });
        }
        let Some(open) = cursor.as_mut() else {
            return Err("no open stream".to_owned());
        };
        let skip = at.offset - open.position;
        let skipped = crate::decode::skip_bytes(&mut open.stream, skip)
            .map_err(|e| format!("{e}: {path:?}"))?;
        let mut counting = Counting {
            inner: &mut open.stream,
            count: 0,
        };
        let result = if skipped < skip {
            Err("the file is shorter than when it was indexed".to_owned())
        } else {
            match read_element(&mut counting, &self.components, self.max_record_bytes) {
                Ok(Some(element)) => Ok(element),
                Ok(None) => Err("the file is shorter than when it was indexed".to_owned()),
                Err(e) => Err(e.reason),
            }
        };
        let read = counting.count;
        match result {
            Ok(element) => {
                open.position = at.offset + read;
                Ok(element)
            }
            Err(reason) => {
                *cursor = None;
                Err(format!("element {e}: {reason}: {path:?}"))
            }
        }
    }
}

impl StoredRows for SavedRows {
    fn layout(&self) -> &RowsLayout {
        &self.layout
    }

    fn batch_rows(&self) -> Option<&[usize]> {
        self.batch_rows.as_deref()
    }

    fn read_rows(&self, rows: Range<usize>, out: &mut [Vec<u8>]) -> Result<(), String> {
        if rows.is_empty() {
            return Ok(());
        }
        let first = self.starts.partition_point(|&s| s <= rows.start) - 1;
        let mut e = first;
        while e < self.elements.len() && self.starts[e] < rows.end {
            let element = self.read_element_at(e)?;
            let (start, end) = (self.starts[e], self.starts[e + 1]);
            let (from, to) = (rows.start.max(start) - start, rows.end.min(end) - start);
            for ((tensor, column), buf) in
                element.iter().zip(&self.layout.columns).zip(out.iter_mut())
            {
                let row_bytes = column.row_bytes();
                // The file may have changed since it was indexed: never trust its shape blindly.
                if tensor.data.len() != (end - start) * row_bytes {
                    let (path, _) = &self.files[self.elements[e].file];
                    return Err(format!(
                        "element {e}: component {:?} holds {} bytes, its {} rows need {} (the file changed since it was opened?): {path:?}",
                        column.name,
                        tensor.data.len(),
                        end - start,
                        (end - start) * row_bytes
                    ));
                }
                buf.extend_from_slice(&tensor.data[from * row_bytes..to * row_bytes]);
            }
            e += 1;
        }
        Ok(())
    }

    fn is_random_access(&self) -> bool {
        self.files.iter().all(|(_, c)| *c == Compression::None)
    }
}
