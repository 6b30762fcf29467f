//! The loader: a named background thread that turns batch numbers into decoded, preprocessed batches.
//!
//! The samples of a batch are decoded in parallel on rayon's pool (all cores). Finished batches wait in
//! a bounded channel, so memory is bounded by the prefetch depth whatever the dataset's size. A file
//! that fails is a [`SampleFailure`] inside its batch, which still arrives with every good sample in
//! order. Cancelling is a flag checked between samples; dropping the [`Loader`] cancels and joins it.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use image::ImageFormat;
use ndarray::{ArrayView4, ShapeError};
use rayon::prelude::*;

use crate::decode::{self, DecodedInto};
use crate::index::DatasetIndex;
use crate::options::{Dtype, PreprocessOptions};
use crate::plan::BatchPlan;
use crate::preprocess::{self, Element, Shape, Slot};

/// Everything the loader needs to produce any batch.
#[derive(Clone, Debug)]
pub struct LoadJob {
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
    /// The format its content was decoded as.
    pub format: ImageFormat,
}

/// The elements of a batch, `(n, height, width, channels)` row-major.
#[derive(Clone, Debug, PartialEq)]
pub enum Pixels {
    /// uint8 elements.
    U8(Vec<u8>),
    /// float32 elements.
    F32(Vec<f32>),
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
}

impl Batch {
    /// The uint8 images as an `(n, h, w, c)` array, if the batch holds bytes.
    pub fn images_nhwc_u8(&self) -> Option<Result<ArrayView4<'_, u8>, ShapeError>> {
        match &self.pixels {
            Pixels::U8(v) => Some(ArrayView4::from_shape(self.dims(), v)),
            Pixels::F32(_) => None,
        }
    }

    /// The float32 images as an `(n, h, w, c)` array, if the batch holds floats.
    pub fn images_nhwc_f32(&self) -> Option<Result<ArrayView4<'_, f32>, ShapeError>> {
        match &self.pixels {
            Pixels::F32(v) => Some(ArrayView4::from_shape(self.dims(), v)),
            Pixels::U8(_) => None,
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

/// Loads batch `k` of `job` now, on the calling thread plus rayon's pool.
pub fn load_batch(job: &LoadJob, k: usize, cancel: &AtomicBool) -> Batch {
    load_batch_into(job, k, cancel, None)
}

/// [`load_batch`], reusing the buffer of an earlier batch when one is given (no allocation, no page
/// faults: the export's hot path).
pub fn load_batch_into(
    job: &LoadJob,
    k: usize,
    cancel: &AtomicBool,
    spare: Option<Pixels>,
) -> Batch {
    let ids = job.plan.batch(k);
    let (pixels, results) = match (job.element.dtype, spare) {
        (Dtype::Uint8, spare) => {
            let buf = if let Some(Pixels::U8(buf)) = spare {
                buf
            } else {
                Vec::new()
            };
            let (buf, results) = fill(job, ids, cancel, buf, 0u8, |sample, out| {
                load_u8(job, sample, out)
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
            let (buf, results) = fill(job, ids, cancel, buf, 0f32, |sample, out| {
                load_any(job, sample, Slot::F32(out, scale))
            });
            (Pixels::F32(buf), results)
        }
    };
    let mut batch = Batch {
        number: k,
        samples: Vec::with_capacity(ids.len()),
        originals: Vec::with_capacity(ids.len()),
        shape: job.shape,
        pixels,
        failures: Vec::new(),
    };
    let len = job.shape.len();
    let mut kept = Vec::with_capacity(ids.len());
    for (row, (&sample, result)) in ids.iter().zip(results).enumerate() {
        match result {
            Ok(original) => {
                kept.push(row);
                batch.samples.push(sample);
                batch.originals.push(original);
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
        }
    }
    batch
}

/// Decodes `ids` in parallel into one buffer of `ids.len()` slots, `load_one(sample, slot)` each.
fn fill<T: Copy + Send + Sync>(
    job: &LoadJob,
    ids: &[usize],
    cancel: &AtomicBool,
    mut buf: Vec<T>,
    zero: T,
    load_one: impl Fn(usize, &mut [T]) -> Result<Original, String> + Sync,
) -> (Vec<T>, Vec<Result<Original, String>>) {
    let len = job.shape.len();
    // A reused buffer of the right length keeps its old values: every slot that loads is overwritten
    // whole, and slots that fail are compacted away.
    if buf.len() != ids.len() * len {
        buf.clear();
        buf.resize(ids.len() * len, zero);
    }
    let results = buf
        .par_chunks_mut(len.max(1))
        .zip(ids.par_iter())
        .map(|(out, &sample)| {
            if cancel.load(Ordering::Relaxed) {
                return Err("cancelled".to_owned());
            }
            load_one(sample, out)
        })
        .collect();
    (buf, results)
}

/// Loads one sample into a byte slot; a JPEG already of the batch's size is decoded straight into it.
fn load_u8(job: &LoadJob, sample: usize, out: &mut [u8]) -> Result<Original, String> {
    let want = (job.shape.width as u32, job.shape.height as u32);
    match decode::decode_file_into(
        &job.index.path(sample),
        job.preprocess.color_mode,
        job.preprocess.max_file_bytes,
        want,
        out,
    )
    .map_err(|e| e.to_string())?
    {
        // Same size in and out: every geometry option is the identity, so the pixels are final.
        DecodedInto::Written(width, height) => Ok(Original {
            width,
            height,
            format: ImageFormat::Jpeg,
        }),
        DecodedInto::Decoded(decoded) => finish(job, &decoded, Slot::U8(out)),
    }
}

/// Loads one sample into `slot` through the general path: decode, then preprocess.
fn load_any(job: &LoadJob, sample: usize, slot: Slot<'_>) -> Result<Original, String> {
    let (mode, max_bytes) = (job.preprocess.color_mode, job.preprocess.max_file_bytes);
    let decoded = decode::decode_file_capped(&job.index.path(sample), mode, max_bytes)
        .map_err(|e| e.to_string())?;
    finish(job, &decoded, slot)
}

fn finish(job: &LoadJob, decoded: &decode::Decoded, slot: Slot<'_>) -> Result<Original, String> {
    preprocess::preprocess_into(decoded, &job.preprocess, job.shape, slot)
        .map_err(|e| e.to_string())?;
    Ok(Original {
        width: decoded.width,
        height: decoded.height,
        format: decoded.format,
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

/// Batches a sequential loader decodes together (see [`Loader::sequential`]).
const GROUP: usize = 4;

/// Called (from the loader thread) after each batch is ready, e.g. to wake the UI.
pub type Notify = Arc<dyn Fn() + Send + Sync>;

/// A running loader thread.
pub struct Loader {
    requests: Option<SyncSender<usize>>,
    batches: Option<Receiver<Batch>>,
    cancel: Arc<AtomicBool>,
    worker: Option<JoinHandle<()>>,
    spares: Arc<Mutex<Vec<Pixels>>>,
}

impl Loader {
    /// Loads every batch of the plan in order, at most `prefetch` finished batches (plus the group being
    /// decoded) ahead of the consumer.
    pub fn sequential(
        job: Arc<LoadJob>,
        prefetch: usize,
        notify: Option<Notify>,
    ) -> std::io::Result<Self> {
        let cancel = Arc::new(AtomicBool::new(false));
        let (tx, rx) = sync_channel(prefetch.max(1));
        let flag = Arc::clone(&cancel);
        let spares: Arc<Mutex<Vec<Pixels>>> = Arc::default();
        let reuse = Arc::clone(&spares);
        let worker = std::thread::Builder::new()
            .name("batchscope-loader".into())
            .spawn(move || {
                // Batches are decoded GROUP at a time in one parallel pass, so the cores wait for the
                // slowest image once per group rather than once per batch; they are still sent in order.
                let count = job.plan.batch_count();
                'groups: for first in (0..count).step_by(GROUP) {
                    if flag.load(Ordering::Relaxed) {
                        break;
                    }
                    let group: Vec<Batch> = (first..(first + GROUP).min(count))
                        .into_par_iter()
                        .map(|k| {
                            let spare = reuse.lock().ok().and_then(|mut s| s.pop());
                            load_batch_into(&job, k, &flag, spare)
                        })
                        .collect();
                    for batch in group {
                        if flag.load(Ordering::Relaxed) || tx.send(batch).is_err() {
                            break 'groups;
                        }
                        if let Some(notify) = &notify {
                            notify();
                        }
                    }
                }
            })?;
        Ok(Self {
            requests: None,
            batches: Some(rx),
            cancel,
            worker: Some(worker),
            spares,
        })
    }

    /// Loads the batches asked for with [`Loader::request`], in the order asked.
    pub fn on_demand(job: Arc<LoadJob>, notify: Option<Notify>) -> std::io::Result<Self> {
        let cancel = Arc::new(AtomicBool::new(false));
        let (req_tx, req_rx) = sync_channel::<usize>(64);
        let (tx, rx) = sync_channel(8);
        let flag = Arc::clone(&cancel);
        let worker = std::thread::Builder::new()
            .name("batchscope-viewer-loader".into())
            .spawn(move || {
                while let Ok(k) = req_rx.recv() {
                    if flag.load(Ordering::Relaxed) {
                        break;
                    }
                    if k >= job.plan.batch_count() {
                        continue;
                    }
                    let batch = load_batch(&job, k, &flag);
                    if flag.load(Ordering::Relaxed) || tx.send(batch).is_err() {
                        break;
                    }
                    if let Some(notify) = &notify {
                        notify();
                    }
                }
            })?;
        Ok(Self {
            requests: Some(req_tx),
            batches: Some(rx),
            cancel,
            worker: Some(worker),
            spares: Arc::default(),
        })
    }

    /// Asks an on-demand loader for batch `k`; `false` if the request queue is full or closed.
    pub fn request(&self, k: usize) -> bool {
        self.requests
            .as_ref()
            .is_some_and(|tx| tx.try_send(k).is_ok())
    }

    /// The next finished batch, waiting for it; `None` when the loader has finished or stopped.
    pub fn recv(&self) -> Option<Batch> {
        self.batches.as_ref()?.recv().ok()
    }

    /// A finished batch if one is waiting.
    pub fn try_recv(&self) -> Option<Batch> {
        self.batches.as_ref()?.try_recv().ok()
    }

    /// Hands a consumed batch's buffer back for reuse by a sequential loader (kept up to the number of
    /// batches in flight; extra buffers are dropped).
    pub fn recycle(&self, pixels: Pixels) {
        if let Ok(mut spares) = self.spares.lock()
            && spares.len() < GROUP
        {
            spares.push(pixels);
        }
    }

    /// Asks the worker to stop after the sample it is decoding.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// The flag [`Loader::cancel`] sets, for sharing with other parts of a job.
    pub fn cancel_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.cancel)
    }
}

impl Drop for Loader {
    fn drop(&mut self) {
        self.cancel();
        self.requests.take();
        self.batches.take();
        if let Some(worker) = self.worker.take() {
            // A panicking worker has already reported through the panic hook; nothing more to do here.
            let _ = worker.join();
        }
    }
}
