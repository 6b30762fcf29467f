//! A saved tf.data dataset as stored rows: one pass at open indexes where each element starts in its
//! snapshot file (and how many rows it holds, and its labels), so any row range can be read later
//! without reading the rest. A batched dataset's rows are its batches' rows (`np.concatenate`), an
//! unbatched one's are its elements (`np.stack`).
//!
//! Output names follow the element's structure: one tensor is `images`; an `(x, y)` pair is `images`
//! and `labels`; a dict is one array per key (`/` becomes `_`); any other tuple is `component_<i>`.
//!
//! A bad record stops its file's scan (a compressed stream cannot be resynchronised): the elements
//! before it are kept and the problem is an index warning, naming the file, the element and the reason.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek as _, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use super::records::{self, Compression};
use super::spec::Component;
use super::tensor::{self, Tensor};
use super::{SavedDataset, SavedError};
use crate::index::{Column, DatasetIndex, IndexWarning, Store, StoredRows, WalkControl};
use crate::npy::shape_repr;
use crate::options::IndexOptions;
use crate::source::SourceError;
use crate::source::stored::{Classes, classes_of, index_of, is_image_shape};

/// Where one element is: its file, and the offset of its first record in the file's decompressed bytes.
#[derive(Clone, Copy, Debug)]
struct ElementRef {
    file: usize,
    offset: u64,
}

/// The open stream of the last read, kept so reading on in the same file does not start it again.
struct Cursor {
    file: usize,
    position: u64,
    stream: Box<dyn Read + Send>,
}

/// A saved dataset's rows.
pub struct SavedRows {
    what: String,
    components: Vec<Component>,
    files: Vec<(PathBuf, Compression)>,
    columns: Vec<Column>,
    elements: Vec<ElementRef>,
    /// `starts[e]` is the first row of element `e`; one more entry holds the row count.
    starts: Vec<usize>,
    /// Rows per stored batch, for the viewer (batched datasets only).
    batch_rows: Option<Vec<usize>>,
    image: Option<usize>,
    label: Option<usize>,
    cursor: Mutex<Option<Cursor>>,
}

/// Counts the bytes read through it.
struct Counting<R> {
    inner: R,
    count: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
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

/// Opens the saved dataset at `root` (reading every record once, in the background thread that
/// calls this: `control` reports elements read and is checked for cancel between elements).
pub fn open_saved(
    root: &Path,
    options: &IndexOptions,
    control: &WalkControl<'_>,
) -> Result<DatasetIndex, SourceError> {
    let root = if root.file_name().is_some_and(|n| n == "snapshot.metadata") {
        root.parent().unwrap_or(root)
    } else {
        root
    };
    let dataset = SavedDataset::open(root)?;
    let batched = dataset.is_batched(options.batched);
    let components = dataset.components().to_vec();
    let names = output_names(&components);
    let files = dataset
        .files()
        .iter()
        .map(|path| {
            records::detect(path)
                .map(|compression| (path.clone(), compression))
                .map_err(|source| SavedError::Io {
                    source,
                    path: path.clone(),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    // Row shapes from the spec where it knows them; the first element fills in unknown dims.
    let mut row_shapes = spec_row_shapes(&components, batched);
    // Named components must exist: a misspelt key is an error, not the default pick.
    for key in [&options.image_key, &options.label_key]
        .into_iter()
        .flatten()
    {
        let known = names
            .iter()
            .zip(&components)
            .any(|(name, c)| name == key || c.path == *key);
        if !known && key != "none" {
            let listing: Vec<String> = names
                .iter()
                .zip(&components)
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
    let columns: Vec<Column> = names
        .iter()
        .zip(&components)
        .zip(&row_shapes)
        .map(|((name, c), shape)| Column {
            name: name.clone(),
            dtype: c.dtype,
            row_shape: shape.clone().unwrap_or_default(),
        })
        .collect();
    let image = image_column(&columns, &components, options.image_key.as_deref());
    if let (Some(key), None) = (&options.image_key, image) {
        return Err(SourceError::Unusable {
            reason: format!(
                "component {key:?} is not an image: its rows are {} (an image is (H, W) or (H, W, C) with 1, 3 or 4 channels)",
                pick(&columns, &components, Some(key), &[])
                    .map_or_else(String::new, |i| shape_repr(&columns[i].row_shape))
            ),
            path: root.to_path_buf(),
        });
    }
    let classes: Option<Classes> = label.and_then(|l| classes_of(&columns[l], &label_bytes, None));
    let n = starts[starts.len() - 1];
    let mut compressions: Vec<String> = files.iter().map(|(_, c)| c.to_string()).collect();
    compressions.dedup();
    let count = if batched {
        format!("{} batches, {n} rows", elements.len())
    } else {
        format!("{} elements, unbatched", elements.len())
    };
    let what = format!(
        "the saved tf.data dataset {:?} ({count}, {})",
        root.file_name().unwrap_or_default(),
        compressions.join("/")
    );
    let element_starts = starts.clone();
    let rows = SavedRows {
        what,
        components,
        files,
        columns,
        elements,
        starts,
        batch_rows: batched.then_some(batch_rows),
        image,
        label,
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
    let mut index = index_of(root, n, rel, classes, Store::Rows(Arc::new(rows)));
    index.warnings = warnings;
    Ok(index)
}

/// What an element holds, as far as the index pass needs it.
struct Layout<'a> {
    components: &'a [Component],
    names: &'a [String],
    batched: bool,
    label: Option<usize>,
}

/// The result of the index pass.
struct Scan {
    elements: Vec<ElementRef>,
    starts: Vec<usize>,
    batch_rows: Vec<usize>,
    warnings: Vec<IndexWarning>,
    label_bytes: Vec<u8>,
}

/// Reads every element of `files` once: where it starts, how many rows it holds, its labels. A bad
/// element stops its file (the elements before it are kept) and becomes a warning.
fn scan(
    files: &[(PathBuf, Compression)],
    layout: &Layout<'_>,
    row_shapes: &mut [Option<Vec<usize>>],
    control: &WalkControl<'_>,
) -> Result<Scan, SourceError> {
    let mut elements = Vec::new();
    let mut starts = vec![0usize];
    let mut batch_rows = Vec::new();
    let mut warnings = Vec::new();
    let mut label_bytes: Vec<u8> = Vec::new();
    // Elements read so far, good or bad, in reading order: what messages call "element k".
    let mut seen = 0usize;
    for (file, (path, compression)) in files.iter().enumerate() {
        let stream = records::open(path, *compression).map_err(|source| SavedError::Io {
            source,
            path: path.clone(),
        })?;
        let mut input = Counting {
            inner: stream,
            count: 0,
        };
        loop {
            if control.cancel.load(std::sync::atomic::Ordering::Relaxed) {
                return Err(SourceError::Cancelled);
            }
            let offset = input.count;
            let position = seen;
            seen += 1;
            let element = match read_element(&mut input, layout.components) {
                Ok(Some(element)) => element,
                Ok(None) => break,
                // A record that fails its data CRC (or is not a tensor) was read whole: the stream
                // is at the next record, so only this element is lost.
                Err(ElementError {
                    reason,
                    realigned: true,
                }) => {
                    warnings.push(IndexWarning {
                        path: path.clone(),
                        reason: format!("element {position}: {reason}; it is left out"),
                    });
                    continue;
                }
                Err(ElementError { reason, .. }) => {
                    warnings.push(IndexWarning {
                        path: path.clone(),
                        reason: format!(
                            "element {position}: {reason}; the elements after it in this file are not read"
                        ),
                    });
                    break;
                }
            };
            let rows = if layout.batched {
                element
                    .first()
                    .and_then(|t| t.shape.first())
                    .map_or(0, |&d| d as usize)
            } else {
                1
            };
            // Elements that np.stack / np.concatenate could not join make no array at all.
            check_rows(&element, row_shapes, layout, rows).map_err(|reason| {
                SourceError::Unusable {
                    reason: format!("element {position}: {reason}"),
                    path: path.clone(),
                }
            })?;
            if let Some(l) = layout.label {
                label_bytes.extend_from_slice(&element[l].data);
            }
            elements.push(ElementRef { file, offset });
            starts.push(starts[starts.len() - 1] + rows);
            batch_rows.push(rows);
            if elements.len() % 256 == 0 {
                (control.on_progress)(elements.len());
            }
        }
    }
    Ok(Scan {
        elements,
        starts,
        batch_rows,
        warnings,
        label_bytes,
    })
}

/// The column the viewer draws: the one named (by `--image-key`, else `images`/`image`/`x`) if it
/// has an image's shape, else the first that has one (none when a named one does not).
fn image_column(columns: &[Column], components: &[Component], key: Option<&str>) -> Option<usize> {
    match pick(columns, components, key, &["images", "image", "x"]) {
        Some(i) if is_image_shape(&columns[i].row_shape) => Some(i),
        Some(_) if key.is_some() => None,
        _ => columns.iter().position(|c| is_image_shape(&c.row_shape)),
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

/// Why an element could not be read, and whether the stream is still at a record boundary (the
/// next element can be read).
struct ElementError {
    reason: String,
    realigned: bool,
}

/// Reads one element's records; `Ok(None)` at a clean end of the file. A record whose data fails
/// its CRC, or is not a tensor of its component, still leaves the stream at the next record: the
/// element's other records are read too, so the next element starts where it should.
fn read_element(
    input: &mut dyn Read,
    components: &[Component],
) -> Result<Option<Vec<Tensor>>, ElementError> {
    let mut element = Vec::with_capacity(components.len());
    let mut bad: Option<String> = None;
    for (k, component) in components.iter().enumerate() {
        let record = match records::next_record(input) {
            Ok(Some(record)) => record,
            Ok(None) if k == 0 => return Ok(None),
            Ok(None) => {
                return Err(ElementError {
                    reason: format!(
                        "the file ends inside the element ({k} of {} components)",
                        components.len()
                    ),
                    realigned: false,
                });
            }
            Err(records::RecordError::Checksum { what: "data", .. }) => {
                bad.get_or_insert_with(|| {
                    format!(
                        "component {:?}: the record's data fails its CRC",
                        component.display_name()
                    )
                });
                continue;
            }
            Err(e) => {
                return Err(ElementError {
                    reason: e.to_string(),
                    realigned: false,
                });
            }
        };
        match tensor::decode_tensor(&record, component) {
            Ok(tensor) => element.push(tensor),
            Err(problem) => {
                bad.get_or_insert_with(|| {
                    format!("component {:?}: {problem}", component.display_name())
                });
            }
        }
    }
    match bad {
        Some(reason) => Err(ElementError {
            reason,
            realigned: true,
        }),
        None => Ok(Some(element)),
    }
}

/// Checks that every component of `element` holds `rows` rows of its column's row shape (fixing the
/// shape from the first element where the spec left dims unknown).
fn check_rows(
    element: &[Tensor],
    row_shapes: &mut [Option<Vec<usize>>],
    layout: &Layout<'_>,
    rows: usize,
) -> Result<(), String> {
    let join = if layout.batched {
        "np.concatenate"
    } else {
        "np.stack"
    };
    for ((tensor, shape), name) in element.iter().zip(row_shapes.iter_mut()).zip(layout.names) {
        let dims: Vec<usize> = tensor.shape.iter().map(|&d| d as usize).collect();
        let (lead, row) = if layout.batched {
            (
                dims.first().copied().unwrap_or(0),
                dims.get(1..).unwrap_or(&[]).to_vec(),
            )
        } else {
            (1, dims)
        };
        if lead != rows {
            return Err(format!(
                "component {name:?} has {lead} rows where the first component has {rows}"
            ));
        }
        match shape {
            Some(known) if *known != row => {
                return Err(format!(
                    "component {name:?} has rows of shape {row:?} but earlier elements {known:?}, so {join} cannot join them into one array (nor can batchscope); save the dataset with one shape (e.g. resized, or padded_batch to a fixed size)"
                ));
            }
            Some(_) => {}
            None => *shape = Some(row),
        }
    }
    Ok(())
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
                let mut file = File::open(path).map_err(|e| format!("{e}: {path:?}"))?;
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
        let skipped = io::copy(&mut (&mut open.stream).take(skip), &mut io::sink())
            .map_err(|e| format!("{e}: {path:?}"))?;
        let mut counting = Counting {
            inner: &mut open.stream,
            count: 0,
        };
        let result = if skipped < skip {
            Err("the file is shorter than when it was indexed".to_owned())
        } else {
            match read_element(&mut counting, &self.components) {
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
    fn columns(&self) -> &[Column] {
        &self.columns
    }

    fn image_column(&self) -> Option<usize> {
        self.image
    }

    fn label_column(&self) -> Option<usize> {
        self.label
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
            for ((tensor, column), buf) in element.iter().zip(&self.columns).zip(out.iter_mut()) {
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

    fn describe(&self) -> String {
        self.what.clone()
    }

    fn is_random_access(&self) -> bool {
        self.files.iter().all(|(_, c)| *c == Compression::None)
    }
}
