//! The loader: a named background thread that turns batch numbers into decoded, preprocessed batches.
//!
//! The samples of a batch are decoded in parallel on rayon's pool (all cores). Finished batches wait in
//! a bounded channel. A sequential loader (the export's) cuts the plan into chunks of rows by bytes, not
//! by batches, so its memory is bounded by a byte budget whatever the batch size and the dataset's size. A file
//! that fails is a [`SampleFailure`] inside its batch, which still arrives with every good sample in
//! order. Cancelling is a flag checked between samples; dropping the [`Loader`] cancels it without
//! waiting (it is a [`crate::background::Job`]). A loader thread that panics is reported as
//! [`LoaderStopped::Died`], never as a cancel or as the end of the data.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

use image::ImageFormat;
use ndarray::{ArrayView4, ShapeError};
use rayon::prelude::*;

pub use crate::background::Notify;
use crate::background::{Job, Outbox, Received};
use crate::decode::{self, DecodedInto};
use crate::index::{Access, Column, DatasetIndex, StoredRows};
use crate::load::preprocess::{self, Element, Shape, Slot};
use crate::options::{Dtype, PreprocessOptions, Scale};
use crate::plan::BatchPlan;
use crate::source::annotations::{self, ClassMap};

/// Everything the loader needs to produce any batch.
#[derive(Clone, Debug)]
pub struct LoadSpec {
    /// The samples and class names.
    pub index: Arc<DatasetIndex>,
    /// Order and batch bounds.
    pub plan: Arc<BatchPlan>,
    /// Geometry and colour.
    pub preprocess: PreprocessOptions,
    /// The shape of every sample (resolved from the image size, or the dataset's native size).
    pub shape: Shape,
    /// uint8 or float32 elements.
    pub element: Element,
}

impl LoadSpec {
    /// Bytes one sample takes in a batch (every column's row for stored rows).
    pub fn row_bytes(&self) -> usize {
        match self.index.store.rows() {
            Some(rows) => rows.columns().iter().map(Column::row_bytes).sum(),
            None => self.shape.len() * self.element.dtype.size(),
        }
    }
}

/// A sample that could not be loaded, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SampleFailure {
    /// Index into [`DatasetIndex::samples`].
    pub sample: usize,
    /// Path relative to the dataset root.
    pub rel_path: PathBuf,
    /// What went wrong, for the user.
    pub reason: String,
}

/// What was known of a good sample before preprocessing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Original {
    /// Width before resizing.
    pub width: u32,
    /// Height before resizing.
    pub height: u32,
    /// The format its content was decoded as (`None` for stored rows, which are not decoded).
    pub format: Option<ImageFormat>,
    /// How often the decoder warned of corrupt data it recovered from ([`decode::Decoded::warnings`]).
    pub warnings: u32,
}

impl Original {
    /// What the user is told of a sample the decoder recovered from corrupt data, if it did.
    pub fn warning(&self) -> Option<String> {
        (self.warnings > 0).then(|| {
            format!(
                "libjpeg warned {} time{} of corrupt data and decoded its recovery (TensorFlow's may differ)",
                self.warnings,
                if self.warnings == 1 { "" } else { "s" }
            )
        })
    }
}

/// The elements of a batch, `(n, height, width, channels)` row-major.
#[derive(Clone, Debug, PartialEq)]
pub enum Pixels {
    /// uint8 elements.
    U8(Vec<u8>),
    /// float32 elements.
    F32(Vec<f32>),
    /// Stored rows ([`StoredRows`]): one buffer per column of the source, little-endian bytes in its
    /// stored dtype; row `i` of each is sample `i` of the batch.
    Columns(Vec<Vec<u8>>),
}

/// One batch of the plan, as loaded.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    /// Batch number `k` in the plan.
    pub number: usize,
    /// The good samples (indices into [`DatasetIndex::samples`]) in plan order; row `i` of the pixels.
    pub samples: Vec<usize>,
    /// Size and format of each good sample before preprocessing.
    pub originals: Vec<Original>,
    /// Shape of one sample.
    pub shape: Shape,
    /// The good samples' elements.
    pub pixels: Pixels,
    /// The samples of this batch that failed, in plan order.
    pub failures: Vec<SampleFailure>,
    /// When the dataset has masks ([`crate::index::ObjectClasses::has_masks`]): each good sample's
    /// class map placed as its pixels were (`None` for a sample without a mask); else empty. A mask
    /// that cannot be read fails its sample.
    pub masks: Vec<Option<ClassMap>>,
}

impl Batch {
    /// The uint8 images as an `(n, h, w, c)` array, if the batch holds bytes.
    pub fn images_nhwc_u8(&self) -> Option<Result<ArrayView4<'_, u8>, ShapeError>> {
        match &self.pixels {
            Pixels::U8(v) => Some(ArrayView4::from_shape(self.dims(), v)),
            Pixels::F32(_) | Pixels::Columns(_) => None,
        }
    }

    /// The float32 images as an `(n, h, w, c)` array, if the batch holds floats.
    pub fn images_nhwc_f32(&self) -> Option<Result<ArrayView4<'_, f32>, ShapeError>> {
        match &self.pixels {
            Pixels::F32(v) => Some(ArrayView4::from_shape(self.dims(), v)),
            Pixels::U8(_) | Pixels::Columns(_) => None,
        }
    }

    fn dims(&self) -> (usize, usize, usize, usize) {
        (
            self.samples.len(),
            self.shape.height,
            self.shape.width,
            self.shape.channels,
        )
    }
}

/// The cancel flags a load checks between samples: it stops when either is set.
#[derive(Clone, Copy)]
pub struct Stop<'a> {
    own: &'a AtomicBool,
    linked: Option<&'a AtomicBool>,
}

impl<'a> Stop<'a> {
    /// Stops when `flag` is set.
    pub fn on(flag: &'a AtomicBool) -> Self {
        Self {
            own: flag,
            linked: None,
        }
    }

    /// Stops when `own` or `linked` is set.
    pub fn either(own: &'a AtomicBool, linked: &'a AtomicBool) -> Self {
        Self {
            own,
            linked: Some(linked),
        }
    }

    /// Whether to stop.
    pub fn is_set(&self) -> bool {
        self.own.load(Ordering::Relaxed) || self.linked.is_some_and(|f| f.load(Ordering::Relaxed))
    }
}

/// Loads batch `k` of `job` now, on the calling thread plus rayon's pool.
pub fn load_batch(job: &LoadSpec, k: usize, cancel: &AtomicBool) -> Batch {
    load_batch_into(job, k, Stop::on(cancel), None)
}

/// [`load_batch`], reusing the buffer of an earlier batch when one is given (no allocation, no page
/// faults: the export's hot path).
pub fn load_batch_into(job: &LoadSpec, k: usize, cancel: Stop<'_>, spare: Option<Pixels>) -> Batch {
    load_rows_into(job, k, job.plan.batch(k), cancel, spare)
}

/// Loads the samples `ids` (a run of the plan's order) as one [`Batch`] numbered `number`.
fn load_rows_into(
    job: &LoadSpec,
    number: usize,
    ids: &[usize],
    cancel: Stop<'_>,
    spare: Option<Pixels>,
) -> Batch {
    if let Some(rows) = job.index.store.rows() {
        return load_stored(job, rows, number, ids, cancel);
    }
    // Records are read in one ordered pass (a compressed file cannot be sought in), then decoded in
    // parallel; a folder's files are read by the decoding threads themselves.
    let encoded = read_encoded(job, ids, cancel);
    let encoded = encoded.as_deref();
    let (pixels, results) = match (job.element.dtype, spare) {
        (Dtype::Uint8, spare) => {
            let buf = if let Some(Pixels::U8(buf)) = spare {
                buf
            } else {
                Vec::new()
            };
            let (buf, results) = fill(job, ids, encoded, cancel, buf, 0u8, |sample, out| {
                load_u8(job, sample, out, cancel)
            });
            (Pixels::U8(buf), results)
        }
        (Dtype::Float32, spare) => {
            let scale = job.element.scale;
            let buf = if let Some(Pixels::F32(buf)) = spare {
                buf
            } else {
                Vec::new()
            };
            let (buf, results) = fill(job, ids, encoded, cancel, buf, 0f32, |sample, out| {
                load_any(job, sample, Slot::F32(out, scale), cancel)
            });
            (Pixels::F32(buf), results)
        }
    };
    let mut batch = Batch {
        number,
        samples: Vec::with_capacity(ids.len()),
        originals: Vec::with_capacity(ids.len()),
        shape: job.shape,
        pixels,
        failures: Vec::new(),
        masks: Vec::new(),
    };
    let has_masks = job
        .index
        .object_classes
        .as_ref()
        .is_some_and(|c| c.has_masks);
    let masks = with_masks(job, ids, results, has_masks);
    let len = job.shape.len();
    let mut kept = Vec::with_capacity(ids.len());
    for (row, (&sample, result)) in ids.iter().zip(masks).enumerate() {
        match result {
            Ok((original, mask)) => {
                kept.push(row);
                batch.samples.push(sample);
                batch.originals.push(original);
                if has_masks {
                    batch.masks.push(mask);
                }
            }
            Err(reason) => batch.failures.push(SampleFailure {
                sample,
                rel_path: job.index.samples[sample].rel_path.clone(),
                reason,
            }),
        }
    }
    if kept.len() != ids.len() {
        match &mut batch.pixels {
            Pixels::U8(v) => compact(v, &kept, len),
            Pixels::F32(v) => compact(v, &kept, len),
            Pixels::Columns(_) => {}
        }
    }
    batch
}

/// Each loaded sample's class map, placed as its pixels were, when the dataset `has_masks` (`None`
/// for a sample without a mask, and for every sample of a dataset without masks). A mask that
/// cannot be read fails its sample, naming the mask.
fn with_masks(
    job: &LoadSpec,
    ids: &[usize],
    results: Vec<Result<Original, String>>,
    has_masks: bool,
) -> Vec<Result<(Original, Option<ClassMap>), String>> {
    if !has_masks {
        return results
            .into_iter()
            .map(|r| r.map(|original| (original, None)))
            .collect();
    }
    results
        .into_par_iter()
        .zip(ids.par_iter())
        .map(|(result, &sample)| {
            let original = result?;
            let size = crate::size::Size {
                height: original.height,
                width: original.width,
            };
            let map =
                annotations::class_map(&job.index, sample, size, job.preprocess.max_file_bytes)
                    .map_err(|e| format!("its mask: {e}"))?;
            let placement = annotations::Placement::of(size, &job.preprocess);
            let placed = map.map(|m| annotations::resample_class_map(&m, &placement));
            Ok((original, placed))
        })
        .collect()
}

/// One loaded image row, `height x width x channels` values on the 0..255 scale.
#[derive(Clone, Copy, Debug)]
pub enum Row<'a> {
    /// uint8 values (an image already of the loaded size: preprocessing is the identity).
    U8(&'a [u8]),
    /// float32 values (a resized image, as a float32 batch holds it).
    F32(&'a [f32]),
}

/// A loaded sample as [`visit_rows`] hands it over.
#[derive(Clone, Copy, Debug)]
pub struct Visited<'a> {
    /// Index into [`DatasetIndex::samples`].
    pub sample: usize,
    /// Its loaded values.
    pub row: Row<'a>,
    /// Size and format before preprocessing.
    pub original: Original,
    /// The file's bytes, for samples read from files.
    pub file_bytes: Option<&'a [u8]>,
    /// The decoded image before preprocessing.
    pub decoded: &'a decode::Decoded,
}

/// Loads `ids` in parallel as a batch would, but hands each loaded row to `visit` on the thread that
/// decoded it, while it is in cache, and keeps only what `visit` returns. The values are those a
/// float32 batch (0..255) holds; an image already of the loaded size is handed over as its decoded
/// bytes (the same values, exactly), without a float copy. Results are in `ids` order.
pub fn visit_rows<R: Send>(
    job: &LoadSpec,
    ids: &[usize],
    cancel: Stop<'_>,
    visit: impl Fn(Visited<'_>) -> R + Sync,
) -> Vec<Result<R, SampleFailure>> {
    let encoded = read_encoded(job, ids, cancel);
    let encoded = encoded.as_deref();
    ids.par_iter()
        .enumerate()
        .map_init(Vec::new, |scratch, (row, &sample)| {
            let fail = |reason: String| SampleFailure {
                sample,
                rel_path: job.index.samples[sample].rel_path.clone(),
                reason,
            };
            if cancel.is_set() {
                return Err(fail("cancelled".to_owned()));
            }
            let input = input(sample, encoded, row);
            if job.shape.is_empty() {
                return Err(fail(unknown_size_reason(job, input)));
            }
            visit_one(job, sample, input, scratch, cancel, &visit).map_err(fail)
        })
        .collect()
}

/// [`visit_rows`] for one sample, with a float buffer of the thread's own for resized rows.
fn visit_one<R>(
    job: &LoadSpec,
    sample: usize,
    input: Input<'_>,
    scratch: &mut Vec<f32>,
    cancel: Stop<'_>,
    visit: &impl Fn(Visited<'_>) -> R,
) -> Result<R, String> {
    let mode = job.preprocess.decoding();
    let (file, decoded) = match input {
        Input::Own(sample) => {
            let bytes = read_own(job, sample)?;
            let decoded = decode::decode_bytes(&bytes, mode).map_err(|e| e.to_string())?;
            let whole_file = job.index.store.samples_are_files();
            (whole_file.then_some(bytes), decoded)
        }
        Input::Bytes(bytes) => {
            let bytes = bytes.as_ref().map_err(Clone::clone)?;
            (
                None,
                decode::decode_bytes(bytes, mode).map_err(|e| e.to_string())?,
            )
        }
    };
    let shape = job.shape;
    let native = (
        decoded.height as usize,
        decoded.width as usize,
        decoded.channels,
    ) == (shape.height, shape.width, shape.channels);
    let row = if native {
        Row::U8(&decoded.pixels)
    } else {
        scratch.resize(shape.len(), 0.0);
        preprocess::preprocess_into(
            &decoded,
            &job.preprocess,
            shape,
            Slot::F32(scratch, Scale::To255),
            &|| cancel.is_set(),
        )
        .map_err(|e| e.to_string())?;
        Row::F32(scratch)
    };
    Ok(visit(Visited {
        sample,
        row,
        original: Original {
            width: decoded.width,
            height: decoded.height,
            format: Some(decoded.format),
            warnings: decoded.warnings,
        },
        file_bytes: file.as_deref(),
        decoded: &decoded,
    }))
}

/// Copies the stored rows `ids` of every column into one batch. Runs of consecutive rows are read
/// together; a run that cannot be read fails each of its samples with the reason.
fn load_stored(
    job: &LoadSpec,
    rows: &dyn StoredRows,
    number: usize,
    ids: &[usize],
    cancel: Stop<'_>,
) -> Batch {
    let columns = rows.columns();
    let mut out: Vec<Vec<u8>> = columns
        .iter()
        .map(|c| Vec::with_capacity(c.row_bytes() * ids.len()))
        .collect();
    let mut batch = Batch {
        number,
        samples: Vec::with_capacity(ids.len()),
        originals: Vec::with_capacity(ids.len()),
        shape: job.shape,
        pixels: Pixels::Columns(Vec::new()),
        failures: Vec::new(),
        masks: Vec::new(),
    };
    let original = Original {
        width: job.shape.width as u32,
        height: job.shape.height as u32,
        format: None,
        warnings: 0,
    };
    let mut start = 0;
    while start < ids.len() {
        let mut end = start + 1;
        while end < ids.len() && ids[end] == ids[end - 1] + 1 {
            end += 1;
        }
        let run = &ids[start..end];
        let lens: Vec<usize> = out.iter().map(Vec::len).collect();
        let read = if cancel.is_set() {
            Err("cancelled".to_owned())
        } else {
            rows.read_rows(run[0]..run[run.len() - 1] + 1, &mut out)
        };
        match read {
            Ok(()) => {
                batch.samples.extend_from_slice(run);
                batch.originals.extend(run.iter().map(|_| original));
            }
            Err(reason) => {
                for (buf, len) in out.iter_mut().zip(lens) {
                    buf.truncate(len);
                }
                batch
                    .failures
                    .extend(run.iter().map(|&sample| SampleFailure {
                        sample,
                        rel_path: job.index.samples[sample].rel_path.clone(),
                        reason: reason.clone(),
                    }));
            }
        }
        start = end;
    }
    batch.pixels = Pixels::Columns(out);
    batch
}

/// The encoded images of `ids` from a source read all together ([`Access::Together`]), in one
/// ordered pass (a compressed file cannot be sought in); `None` for a source whose samples the
/// decoding threads read one by one, or once cancelled.
fn read_encoded(
    job: &LoadSpec,
    ids: &[usize],
    cancel: Stop<'_>,
) -> Option<Vec<Result<Vec<u8>, String>>> {
    let images = job.index.store.images()?;
    (images.access() == Access::Together && !cancel.is_set())
        .then(|| images.read(ids, job.preprocess.max_file_bytes))
}

/// Sample `sample`'s encoded bytes, read by its source on this thread (a folder's file, through the
/// hardened reader, at most the file size limit).
fn read_own(job: &LoadSpec, sample: usize) -> Result<Vec<u8>, String> {
    let images = job
        .index
        .store
        .images()
        .ok_or_else(|| "a stored row is not an encoded image".to_owned())?;
    images.read_one(
        sample,
        &job.index.path(sample),
        job.preprocess.max_file_bytes,
    )
}

/// Decodes `ids` in parallel into one buffer of `ids.len()` slots, `load_one(sample, slot)` each.
fn fill<T: Copy + Send + Sync>(
    job: &LoadSpec,
    ids: &[usize],
    encoded: Option<&[Result<Vec<u8>, String>]>,
    cancel: Stop<'_>,
    mut buf: Vec<T>,
    zero: T,
    load_one: impl Fn(Input<'_>, &mut [T]) -> Result<Original, String> + Sync,
) -> (Vec<T>, Vec<Result<Original, String>>) {
    let len = job.shape.len();
    if len == 0 {
        // No planned file had a readable header, so there is no size to decode into: every sample
        // fails, each with the reason its own decode gives.
        let results = ids
            .par_iter()
            .enumerate()
            .map(|(row, &sample)| Err(unknown_size_reason(job, input(sample, encoded, row))))
            .collect();
        return (Vec::new(), results);
    }
    // A reused buffer of the right length keeps its old values: every slot that loads is overwritten
    // whole, and slots that fail are compacted away.
    if buf.len() != ids.len() * len {
        buf.clear();
        buf.resize(ids.len() * len, zero);
    }
    let results = buf
        .par_chunks_mut(len.max(1))
        .zip(ids.par_iter().enumerate())
        .map(|(out, (row, &sample))| {
            if cancel.is_set() {
                return Err("cancelled".to_owned());
            }
            load_one(input(sample, encoded, row), out)
        })
        .collect();
    (buf, results)
}

/// Where one sample's encoded image comes from: read now by the decoding thread, or bytes already
/// read from a record.
#[derive(Clone, Copy)]
enum Input<'a> {
    /// Sample `i`, read by the decoding thread ([`Access::PerSample`]).
    Own(usize),
    /// Sample's record bytes, or why they could not be read.
    Bytes(&'a Result<Vec<u8>, String>),
}

fn input(sample: usize, encoded: Option<&[Result<Vec<u8>, String>]>, row: usize) -> Input<'_> {
    match encoded.and_then(|e| e.get(row)) {
        Some(bytes) => Input::Bytes(bytes),
        None => Input::Own(sample),
    }
}

/// Why `sample` cannot be loaded when the dataset's image size is unknown (no header was readable).
fn unknown_size_reason(job: &LoadSpec, input: Input<'_>) -> String {
    let decoded = match input {
        Input::Own(sample) => read_own(job, sample).and_then(|bytes| {
            decode::decode_bytes(&bytes, job.preprocess.decoding()).map_err(|e| e.to_string())
        }),
        Input::Bytes(Err(reason)) => Err(reason.clone()),
        Input::Bytes(Ok(bytes)) => {
            decode::decode_bytes(bytes, job.preprocess.decoding()).map_err(|e| e.to_string())
        }
    };
    match decoded {
        Err(reason) => reason,
        Ok(_) => "no image size is set and no planned file has a readable size header".to_owned(),
    }
}

/// Loads one sample into a byte slot; a JPEG already of the batch's size is decoded straight into it.
fn load_u8(
    job: &LoadSpec,
    input: Input<'_>,
    out: &mut [u8],
    cancel: Stop<'_>,
) -> Result<Original, String> {
    let want = job.shape.size();
    let mode = job.preprocess.decoding();
    let decoded = match input {
        Input::Own(sample) => decode::decode_bytes_into(&read_own(job, sample)?, mode, want, out),
        Input::Bytes(bytes) => {
            decode::decode_bytes_into(bytes.as_ref().map_err(Clone::clone)?, mode, want, out)
        }
    };
    match decoded.map_err(|e| e.to_string())? {
        // Same size in and out: every geometry option is the identity, so the pixels are final.
        DecodedInto::Written(size, warnings) => Ok(Original {
            width: size.width,
            height: size.height,
            format: Some(ImageFormat::Jpeg),
            warnings,
        }),
        DecodedInto::Decoded(decoded) => finish(job, &decoded, Slot::U8(out), cancel),
    }
}

/// Loads one sample into `slot` through the general path: decode, then preprocess.
fn load_any(
    job: &LoadSpec,
    input: Input<'_>,
    slot: Slot<'_>,
    cancel: Stop<'_>,
) -> Result<Original, String> {
    let mode = job.preprocess.decoding();
    let decoded = match input {
        Input::Own(sample) => decode::decode_bytes(&read_own(job, sample)?, mode),
        Input::Bytes(bytes) => decode::decode_bytes(bytes.as_ref().map_err(Clone::clone)?, mode),
    }
    .map_err(|e| e.to_string())?;
    finish(job, &decoded, slot, cancel)
}

/// Preprocesses a decoded sample into its slot; a cancel stops a long resize within a few rows.
fn finish(
    job: &LoadSpec,
    decoded: &decode::Decoded,
    slot: Slot<'_>,
    cancel: Stop<'_>,
) -> Result<Original, String> {
    preprocess::preprocess_into(decoded, &job.preprocess, job.shape, slot, &|| {
        cancel.is_set()
    })
    .map_err(|e| e.to_string())?;
    Ok(Original {
        width: decoded.width,
        height: decoded.height,
        format: Some(decoded.format),
        warnings: decoded.warnings,
    })
}

/// Moves the kept rows to the front, in order, and drops the rest.
fn compact<T: Copy>(buf: &mut Vec<T>, kept: &[usize], len: usize) {
    for (to, &from) in kept.iter().enumerate() {
        if to != from {
            buf.copy_within(from * len..(from + 1) * len, to * len);
        }
    }
    buf.truncate(kept.len() * len);
}

/// The most decoded bytes a sequential loader puts in one chunk of rows (one parallel decode pass).
pub const CHUNK_BYTES: usize = 32 << 20;

/// At most this many finished chunks wait for the consumer, whatever the byte budget allows.
const MAX_QUEUED_CHUNKS: usize = 8;

/// At most this many batches of small images make one chunk.
const GROUP_BATCHES: usize = 4;

/// The default memory budget of a sequential loader's queue of finished chunks.
pub const DEFAULT_QUEUE_BYTES: usize = 64 << 20;

/// How a sequential loader cuts the plan: rows per chunk and chunks the queue holds, so that decoded
/// rows in flight stay within `queue_bytes` plus two chunks (the one being decoded and the one being
/// consumed), whatever the batch size and the number of samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunking {
    /// Rows decoded together and sent as one [`Batch`].
    pub rows: usize,
    /// Finished chunks that may wait for the consumer.
    pub queued: usize,
}

impl Chunking {
    /// The chunking of `job` for a queue of `queue_bytes`.
    pub fn of(job: &LoadSpec, queue_bytes: usize) -> Self {
        let row_bytes = job.row_bytes().max(1);
        // Small images: four batches per pass (progress and cancel stay fine-grained, and the cores
        // wait for the slowest image once per four batches); large ones: as many rows as fit the bytes.
        let rows = (CHUNK_BYTES / row_bytes)
            .min(GROUP_BATCHES * job.plan.batch_size)
            .clamp(1, job.plan.len().max(1));
        // The channel's slots are allocated up front: a handful of chunks is enough to keep the
        // writer busy, and tiny (or unknown, 0x0) images must not turn the byte budget into millions.
        let queued = (queue_bytes / (rows * row_bytes)).clamp(1, MAX_QUEUED_CHUNKS);
        Self { rows, queued }
    }
}

/// What an on-demand loader should load next, shared by the worker and [`Loader::want`].
#[derive(Default)]
struct Wanted {
    state: Mutex<WantState>,
    changed: Condvar,
}

#[derive(Default)]
struct WantState {
    /// Batches to load, most wanted first.
    queue: Vec<usize>,
    /// Batches being loaded or waiting in the channel: not asked for again.
    pending: Vec<usize>,
}

/// A running loader: a [`Job`] whose results are batches.
pub struct Loader {
    job: Job<Batch>,
    /// The consumer's cancel flag, which also stops the loader (a sequential loader's).
    linked: Option<Arc<AtomicBool>>,
    wanted: Option<Arc<Wanted>>,
    spares: Arc<Mutex<Vec<Pixels>>>,
    spare_limit: usize,
}

/// Why a loader stopped before its last batch.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LoaderStopped {
    /// It was cancelled.
    #[error("cancelled")]
    Cancelled,
    /// Its thread panicked (a bug): the panic's message.
    #[error("the loader thread died: {0}")]
    Died(String),
}

impl Loader {
    /// Loads every sample of the plan in order, as chunks of rows cut by [`Chunking::of`] (not by the
    /// plan's batches): decoded rows in flight stay within `queue_bytes` plus two chunks. Setting the
    /// consumer's `cancel` flag stops the loader within one sample; dropping the loader does not set it.
    pub fn sequential(
        job: Arc<LoadSpec>,
        queue_bytes: usize,
        cancel: Arc<AtomicBool>,
        notify: Option<Notify>,
    ) -> std::io::Result<Self> {
        let chunking = Chunking::of(&job, queue_bytes);
        let spares: Arc<Mutex<Vec<Pixels>>> = Arc::default();
        let reuse = Arc::clone(&spares);
        let linked = Arc::clone(&cancel);
        let work = move |out: &Outbox<Batch>| {
            let stop = Stop::either(out.cancel_flag(), &linked);
            for (number, ids) in job.plan.order.chunks(chunking.rows).enumerate() {
                if stop.is_set() {
                    return;
                }
                let spare = reuse.lock().ok().and_then(|mut s| s.pop());
                let chunk = load_rows_into(&job, number, ids, stop, spare);
                if stop.is_set() || !out.send(chunk) {
                    return;
                }
            }
        };
        let job = Job::spawn("batchscope-loader", chunking.queued, notify, work)?;
        Ok(Self {
            job,
            linked: Some(cancel),
            wanted: None,
            spares,
            spare_limit: chunking.queued,
        })
    }

    /// Loads the batches asked for with [`Loader::want`], the most wanted first.
    pub fn on_demand(job: Arc<LoadSpec>, notify: Option<Notify>) -> std::io::Result<Self> {
        let wanted: Arc<Wanted> = Arc::default();
        let queue = Arc::clone(&wanted);
        let work = move |out: &Outbox<Batch>| {
            while !out.is_cancelled() {
                let next = {
                    let mut s = queue.state.lock().unwrap_or_else(PoisonError::into_inner);
                    if s.queue.is_empty() {
                        // Woken by want() and by cancel; the timeout is only a backstop.
                        s = queue
                            .changed
                            .wait_timeout(s, Duration::from_millis(100))
                            .unwrap_or_else(PoisonError::into_inner)
                            .0;
                    }
                    if s.queue.is_empty() {
                        continue;
                    }
                    let next = s.queue.remove(0);
                    s.pending.push(next);
                    next
                };
                if next >= job.plan.batch_count() {
                    continue;
                }
                if !out.send(load_batch(&job, next, out.cancel_flag())) {
                    return;
                }
            }
        };
        let job = Job::spawn("batchscope-viewer-loader", 8, notify, work)?;
        Ok(Self {
            job,
            linked: None,
            wanted: Some(wanted),
            spares: Arc::default(),
            spare_limit: 0,
        })
    }

    /// Tells an on-demand loader which batches to load next, most wanted first. Replaces the earlier
    /// list: batches no longer wanted are not loaded (the one being decoded finishes).
    pub fn want(&self, batches: &[usize]) {
        if let Some(wanted) = &self.wanted {
            let mut s = wanted.state.lock().unwrap_or_else(PoisonError::into_inner);
            let queue: Vec<usize> = batches
                .iter()
                .copied()
                .filter(|k| !s.pending.contains(k))
                .collect();
            if s.queue != queue {
                s.queue = queue;
                wanted.changed.notify_one();
            }
        }
    }

    /// The next batch, waiting for it; `Ok(None)` once every batch has been sent.
    pub fn recv(&self) -> Result<Option<Batch>, LoaderStopped> {
        self.received(self.job.recv())
    }

    /// A finished batch if one is waiting (`Ok(None)` if none is, or the loader has finished).
    pub fn try_recv(&self) -> Result<Option<Batch>, LoaderStopped> {
        match self.job.try_recv() {
            Received::Empty => Ok(None),
            other => self.received(other),
        }
    }

    fn received(&self, received: Received<Batch>) -> Result<Option<Batch>, LoaderStopped> {
        match received {
            Received::Item(batch) => {
                if let Some(wanted) = &self.wanted {
                    let mut s = wanted.state.lock().unwrap_or_else(PoisonError::into_inner);
                    s.pending.retain(|&k| k != batch.number);
                }
                Ok(Some(batch))
            }
            Received::Died(message) => Err(LoaderStopped::Died(message)),
            Received::Finished if self.is_cancelled() => Err(LoaderStopped::Cancelled),
            Received::Finished | Received::Empty => Ok(None),
        }
    }

    /// Hands a consumed chunk's buffer back for reuse by a sequential loader (kept up to the number of
    /// chunks the queue holds, so recycling never raises the memory bound; extra buffers are dropped).
    pub fn recycle(&self, pixels: Pixels) {
        if let Ok(mut spares) = self.spares.lock()
            && spares.len() < self.spare_limit
        {
            spares.push(pixels);
        }
    }

    /// Whether the loader or its consumer was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.job.is_cancelled()
            || self
                .linked
                .as_ref()
                .is_some_and(|f| f.load(Ordering::Relaxed))
    }

    /// Asks the worker to stop after the sample it is decoding.
    pub fn cancel(&self) {
        self.job.cancel();
        if let Some(wanted) = &self.wanted {
            wanted.changed.notify_all();
        }
    }
}

impl Drop for Loader {
    /// Cancels the worker and wakes it if it waits for requests; never joins it.
    fn drop(&mut self) {
        self.cancel();
    }
}
