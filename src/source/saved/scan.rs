//! The index pass over a saved dataset's snapshot files: every element read once, to find where it
//! starts, how many rows it holds and its labels. A record that fails its data CRC (or is not a tensor)
//! loses only its element; a broken length or a truncated file stops that file; elements whose shapes
//! `np.stack`/`np.concatenate` could not join refuse the dataset, naming the element.

use std::io::{self, Read};
use std::path::PathBuf;

use super::SavedError;
use super::records::{self, Compression};
use super::spec::Component;
use super::tensor::{self, Tensor};
use crate::index::{IndexWarning, WalkControl};
use crate::source::SourceError;

/// Where one element is: its file, and the offset of its first record in the file's decompressed bytes.
#[derive(Clone, Copy, Debug)]
pub(super) struct ElementRef {
    pub(super) file: usize,
    pub(super) offset: u64,
}

/// Counts the bytes read through it.
pub(super) struct Counting<R> {
    pub(super) inner: R,
    pub(super) count: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

/// What an element holds, as far as the index pass needs it.
pub(super) struct Layout<'a> {
    pub(super) components: &'a [Component],
    pub(super) names: &'a [String],
    pub(super) batched: bool,
    pub(super) label: Option<usize>,
    /// The longest record (and decoded tensor) read; a longer one loses its element.
    pub(super) max_record_bytes: u64,
}

/// The result of the index pass.
pub(super) struct Scan {
    pub(super) elements: Vec<ElementRef>,
    pub(super) starts: Vec<usize>,
    pub(super) batch_rows: Vec<usize>,
    pub(super) warnings: Vec<IndexWarning>,
    pub(super) label_bytes: Vec<u8>,
}

/// Reads every element of `files` once: where it starts, how many rows it holds, its labels. A bad
/// element stops its file (the elements before it are kept) and becomes a warning.
pub(super) fn scan(
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
            let element = match read_element(&mut input, layout.components, layout.max_record_bytes)
            {
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

/// Why an element could not be read, and whether the stream is still at a record boundary (the
/// next element can be read).
pub(super) struct ElementError {
    pub(super) reason: String,
    pub(super) realigned: bool,
}

/// Reads one element's records; `Ok(None)` at a clean end of the file. A record whose data fails
/// its CRC, is longer than `max_record_bytes`, or is not a tensor of its component (or one of more
/// than `max_record_bytes`), still leaves the stream at the next record: the element's other records
/// are read too, so the next element starts where it should.
pub(super) fn read_element(
    input: &mut dyn Read,
    components: &[Component],
    max_record_bytes: u64,
) -> Result<Option<Vec<Tensor>>, ElementError> {
    let mut element = Vec::with_capacity(components.len());
    let mut bad: Option<String> = None;
    for (k, component) in components.iter().enumerate() {
        let record = match records::next_record(input, max_record_bytes) {
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
            Err(e @ records::RecordError::TooLarge { .. }) => {
                bad.get_or_insert_with(|| format!("component {:?}: {e}", component.display_name()));
                continue;
            }
            Err(e) => {
                return Err(ElementError {
                    reason: e.to_string(),
                    realigned: false,
                });
            }
        };
        match tensor::decode_tensor(&record, component, max_record_bytes) {
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
