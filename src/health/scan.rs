//! The health pass: streams every planned sample through the loader (decode and preprocess in
//! parallel on rayon, in chunks bounded in bytes, as the export does) and measures each loaded image
//! ([`measure`](super::measure)) on rayon too. Memory stays bounded by the loader's queue plus one
//! [`SampleHealth`] (about 150 bytes) per sample.
//!
//! - With a validation split and no subset, both subsets are planned (same options, same seed) and
//!   scanned in one pass; each entry records which plan holds it. Otherwise the pass covers the plan
//!   the options describe.
//! - Without an image size, the dataset's common size is used; a folder of mixed sizes is measured at
//!   Keras's default 256x256 instead (and a note says so), so that any folder can be checked.
//! - Resized images are loaded as float32 (the values a float32 export holds), native ones as uint8
//!   (the same values, exactly): the channel statistics are those of the exported array.
//! - Files measured before with the same size and mtime come from the [`HashCache`] and are not read.
//! - Progress is reported after each chunk; the cancel flag is checked by the loader between samples
//!   and here between chunks.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use super::cache::{HashCache, Stamp};
use super::hash;
use super::measure::{self, Row, SampleHealth};
use crate::decode;
use crate::index::{DatasetIndex, Store};
use crate::job::KERAS_DEFAULT_IMAGE_SIZE;
use crate::loader::{Batch, LoadJob, Loader, LoaderStopped, Pixels, SampleFailure};
use crate::options::{Dtype, LoadOptions, PlanOptions, PreprocessOptions, Scale, Subset};
use crate::plan::{self, BatchPlan, PlanError};
use crate::preprocess::{Element, Shape};
use crate::probe;

/// One planned sample of the pass.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// Index into `DatasetIndex::samples`.
    pub sample: usize,
    /// Which side of the split holds it (`None` without a split).
    pub subset: Option<Subset>,
    /// What was measured, `None` if it failed to load.
    pub health: Option<SampleHealth>,
    /// Equal for samples with identical pixels: the loaded pixels' hash, or the original decoded
    /// pixels' hash when resized images collide (resizing can map different images to equal pixels).
    pub exact_key: u64,
}

/// The result of a health pass: one entry per planned sample, in pass order (training first).
#[derive(Clone, Debug)]
pub struct Scan {
    /// The dataset.
    pub index: Arc<DatasetIndex>,
    /// Every planned sample.
    pub entries: Vec<Entry>,
    /// Samples that could not be loaded, with the reason.
    pub failures: Vec<SampleFailure>,
    /// The shape every sample was measured at.
    pub shape: Shape,
    /// Whether the pass covers both sides of a validation split.
    pub split: bool,
    /// Samples whose measures came from the cache.
    pub cached: usize,
    /// Things the user should know about how the pass was made (a fallback size, a cache not written).
    pub notes: Vec<String>,
    /// The colour modes the files store, from their headers, most common first.
    pub color_modes: Vec<(String, usize)>,
}

/// How to run the pass (what to load is the [`LoadOptions`]).
#[derive(Clone, Debug)]
pub struct ScanOptions {
    /// Folder of hash cache files; `None` disables the cache.
    pub cache_dir: Option<PathBuf>,
    /// The loader's queue budget in bytes.
    pub queue_bytes: usize,
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self {
            cache_dir: super::cache::default_dir(),
            queue_bytes: crate::loader::DEFAULT_QUEUE_BYTES,
        }
    }
}

/// How far a pass is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScanProgress {
    /// Samples measured or taken from the cache so far.
    pub done: usize,
    /// Planned samples.
    pub total: usize,
    /// Of `done`, those from the cache.
    pub cached: usize,
    /// Of `done`, those that failed to load.
    pub failed: usize,
}

/// Why a pass could not run.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The plan options are invalid.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// Stored arrays are not decoded images.
    #[error(
        "the health pass measures decoded images (folders, TFRecords); {0} holds stored arrays"
    )]
    StoredRows(String),
    /// The loader thread could not start.
    #[error("could not start the loader thread")]
    Spawn(#[source] std::io::Error),
    /// The loader thread died (a bug).
    #[error("the loader stopped: {0}")]
    Loader(String),
    /// Cancelled.
    #[error("cancelled")]
    Cancelled,
}

/// Runs the health pass over `index` with `options`. `on_progress` is called after each chunk.
pub fn scan(
    index: Arc<DatasetIndex>,
    options: &LoadOptions,
    scan_options: &ScanOptions,
    on_progress: &mut dyn FnMut(ScanProgress),
    cancel: &Arc<AtomicBool>,
) -> Result<Scan, ScanError> {
    if let Store::Rows(rows) = &index.store {
        return Err(ScanError::StoredRows(rows.describe()));
    }
    let (plans, split) = subset_plans(&index, &options.plan)?;
    let mut entries: Vec<Entry> = plans
        .iter()
        .flat_map(|(subset, plan)| {
            plan.order.iter().map(|&sample| Entry {
                sample,
                subset: *subset,
                health: None,
                exact_key: 0,
            })
        })
        .collect();
    let order: Vec<usize> = entries.iter().map(|e| e.sample).collect();
    let mut notes = Vec::new();
    let (preprocess, shape) = geometry(&index, &order, options, &mut notes, cancel)?;
    let resized = preprocess.image_size.is_some();
    let element = Element {
        dtype: if resized {
            Dtype::Float32
        } else {
            Dtype::Uint8
        },
        scale: Scale::To255,
    };
    // Stamps are taken before anything is read: a file that changes during the pass is measured
    // again next time.
    let mut cache = open_cache(scan_options, &index, &preprocess, shape, element);
    let (stamps, misses) = from_cache(cache.as_ref(), &index, &mut entries, cancel)?;
    let cached = entries.len() - misses.len();
    let mut progress = ScanProgress {
        done: cached,
        total: entries.len(),
        cached,
        failed: 0,
    };
    on_progress(progress);
    let mut failures = Vec::new();
    if !misses.is_empty() {
        let job = Arc::new(LoadJob {
            index: Arc::clone(&index),
            plan: Arc::new(BatchPlan {
                order: misses.iter().map(|&i| entries[i].sample).collect(),
                batch_size: options.plan.batch_size.max(1),
                seed: None,
                ends: None,
            }),
            preprocess,
            shape,
            element,
        });
        let position: HashMap<usize, usize> =
            misses.iter().map(|&i| (entries[i].sample, i)).collect();
        let loader = Loader::sequential(
            Arc::clone(&job),
            scan_options.queue_bytes,
            Arc::clone(cancel),
            None,
        )
        .map_err(ScanError::Spawn)?;
        while let Some(batch) = next_batch(&loader, cancel)? {
            let measured = measure_batch(&job, &batch);
            progress.done += batch.samples.len() + batch.failures.len();
            progress.failed += batch.failures.len();
            for (&sample, health) in batch.samples.iter().zip(measured) {
                let Some(&at) = position.get(&sample) else {
                    continue;
                };
                if let (Some(cache), Some(stamp)) = (cache.as_mut(), stamps[at]) {
                    cache.insert(&index.samples[sample].rel_path, stamp, health.clone());
                }
                entries[at].health = Some(health);
            }
            failures.extend(batch.failures);
            loader.recycle(batch.pixels);
            on_progress(progress);
        }
        if let Some(cache) = cache.as_mut() {
            save_cache(cache, &mut notes);
        }
    }
    for entry in &mut entries {
        entry.exact_key = entry.health.as_ref().map_or(0, |h| h.pixel_hash);
    }
    if resized {
        confirm_exact(&index, &mut entries, preprocess, cancel)?;
    }
    let samples: Vec<usize> = entries.iter().map(|e| e.sample).collect();
    let color_modes =
        super::colors::color_modes(&index, &samples, cancel).ok_or(ScanError::Cancelled)?;
    Ok(Scan {
        index,
        entries,
        failures,
        shape,
        split,
        cached,
        notes,
        color_modes,
    })
}

/// The preprocessing and the shape the pass measures at: the options' image size, else the
/// dataset's common native size, else (mixed sizes) Keras's default size, with a note saying so.
fn geometry(
    index: &DatasetIndex,
    order: &[usize],
    options: &LoadOptions,
    notes: &mut Vec<String>,
    cancel: &AtomicBool,
) -> Result<(PreprocessOptions, Shape), ScanError> {
    let mut preprocess = options.preprocess;
    let (height, width) = if let Some(size) = preprocess.image_size {
        size
    } else {
        let headers = probe::headers(index, order, cancel).ok_or(ScanError::Cancelled)?;
        match probe::common_size(index, order, &headers) {
            Ok(size) => size.unwrap_or((0, 0)),
            Err(mixed) => {
                notes.push(format!(
                    "{mixed}; measured at {}x{} (Keras's default image size)",
                    KERAS_DEFAULT_IMAGE_SIZE.0, KERAS_DEFAULT_IMAGE_SIZE.1
                ));
                preprocess.image_size = Some(KERAS_DEFAULT_IMAGE_SIZE);
                KERAS_DEFAULT_IMAGE_SIZE
            }
        }
    };
    let shape = Shape {
        height: height as usize,
        width: width as usize,
        channels: preprocess.color_mode.channels(),
    };
    Ok((preprocess, shape))
}

/// The hash cache for this dataset and these pixel options (files only, and only when enabled).
fn open_cache(
    scan_options: &ScanOptions,
    index: &DatasetIndex,
    preprocess: &PreprocessOptions,
    shape: Shape,
    element: Element,
) -> Option<HashCache> {
    let dir = scan_options.cache_dir.as_ref()?;
    if !matches!(index.store, Store::Files) {
        return None;
    }
    let key = format!(
        "{} {}x{}x{} {} {} {} resized={}",
        preprocess.color_mode,
        shape.height,
        shape.width,
        shape.channels,
        preprocess.interpolation,
        preprocess.fit,
        element.dtype,
        preprocess.image_size.is_some(),
    );
    Some(HashCache::open(dir, &index.root, &key))
}

/// Fills the entries the cache knows (by their stamps, taken now); returns every entry's stamp and the
/// positions of the entries left to measure.
fn from_cache(
    cache: Option<&HashCache>,
    index: &DatasetIndex,
    entries: &mut [Entry],
    cancel: &AtomicBool,
) -> Result<(Vec<Option<Stamp>>, Vec<usize>), ScanError> {
    let Some(cache) = cache else {
        return Ok((vec![None; entries.len()], (0..entries.len()).collect()));
    };
    let stamps: Vec<Option<Stamp>> = entries
        .par_iter()
        .map(|e| {
            if cancel.load(Ordering::Relaxed) {
                None
            } else {
                Stamp::of(&index.path(e.sample))
            }
        })
        .collect();
    if cancel.load(Ordering::Relaxed) {
        return Err(ScanError::Cancelled);
    }
    let mut misses = Vec::new();
    for (i, (entry, stamp)) in entries.iter_mut().zip(&stamps).enumerate() {
        match stamp.and_then(|st| cache.get(&index.samples[entry.sample].rel_path, st)) {
            Some(h) => entry.health = Some(h.clone()),
            None => misses.push(i),
        }
    }
    Ok((stamps, misses))
}

/// Writes the cache; a failure is a note (the pass itself is complete).
fn save_cache(cache: &mut HashCache, notes: &mut Vec<String>) {
    if let Err(err) = cache.save() {
        notes.push(format!(
            "the hash cache could not be written ({err}): {:?}",
            cache.path().unwrap_or(std::path::Path::new(""))
        ));
    }
}

/// The loader's next chunk; `Ok(None)` at the end.
fn next_batch(loader: &Loader, cancel: &AtomicBool) -> Result<Option<Batch>, ScanError> {
    let batch = match loader.recv() {
        Ok(batch) => batch,
        Err(LoaderStopped::Cancelled) => return Err(ScanError::Cancelled),
        Err(LoaderStopped::Died(why)) => return Err(ScanError::Loader(why)),
    };
    if cancel.load(Ordering::Relaxed) {
        return Err(ScanError::Cancelled);
    }
    Ok(batch)
}

/// Measures every loaded row of `batch` in parallel; files are also hashed whole.
fn measure_batch(job: &LoadJob, batch: &Batch) -> Vec<SampleHealth> {
    let (shape, len) = (job.shape, job.shape.len());
    let files = matches!(job.index.store, Store::Files);
    batch
        .samples
        .par_iter()
        .zip(&batch.originals)
        .enumerate()
        .map(|(row, (&sample, original))| {
            let pixels = match &batch.pixels {
                Pixels::U8(v) => Row::U8(&v[row * len..(row + 1) * len]),
                Pixels::F32(v) => Row::F32(&v[row * len..(row + 1) * len]),
                Pixels::Columns(_) => Row::U8(&[]),
            };
            let file_hash = files
                .then(|| {
                    decode::read_image_file(&job.index.path(sample), job.preprocess.max_file_bytes)
                        .ok()
                        .map(|(bytes, _)| hash::hash64(0, &bytes))
                })
                .flatten();
            measure::measure(
                pixels,
                (shape.height, shape.width, shape.channels),
                (original.width, original.height, original.format),
                file_hash,
            )
        })
        .collect()
}

/// The plans of a pass, each with the subset it holds (`None` without a split).
type SubsetPlans = Vec<(Option<Subset>, BatchPlan)>;

/// The plans the pass covers: both subsets of a split given without a subset, else the options' own.
fn subset_plans(
    index: &DatasetIndex,
    options: &PlanOptions,
) -> Result<(SubsetPlans, bool), PlanError> {
    if options.validation_split.is_some() && options.subset.is_none() {
        let side = |subset| {
            let options = PlanOptions {
                subset: Some(subset),
                ..options.clone()
            };
            plan::plan(index, &options).map(|p| (Some(subset), p))
        };
        return Ok((
            vec![side(Subset::Training)?, side(Subset::Validation)?],
            true,
        ));
    }
    Ok((vec![(options.subset, plan::plan(index, options)?)], false))
}

/// Resized samples whose loaded pixels hash equal but whose files differ are decoded again at their
/// native size, and keep an equal `exact_key` only if their original pixels are equal too.
fn confirm_exact(
    index: &DatasetIndex,
    entries: &mut [Entry],
    preprocess: PreprocessOptions,
    cancel: &AtomicBool,
) -> Result<(), ScanError> {
    let mut by_key: HashMap<u64, Vec<usize>> = HashMap::new();
    for (i, e) in entries.iter().enumerate() {
        if e.health.is_some() {
            by_key.entry(e.exact_key).or_default().push(i);
        }
    }
    let suspects: Vec<usize> = by_key
        .into_values()
        .filter(|members| {
            let first = entries[members[0]]
                .health
                .as_ref()
                .and_then(|h| h.file_hash);
            members.len() > 1
                && members.iter().any(|&i| {
                    entries[i].health.as_ref().and_then(|h| h.file_hash) != first || first.is_none()
                })
        })
        .flatten()
        .collect();
    let keys: Vec<(usize, u64)> = suspects
        .par_iter()
        .map(|&i| {
            let sample = entries[i].sample;
            let decoded = if cancel.load(Ordering::Relaxed) {
                None
            } else {
                match &index.store {
                    Store::Files => decode::decode_file_capped(
                        &index.path(sample),
                        preprocess.decoding(),
                        preprocess.max_file_bytes,
                    )
                    .ok(),
                    Store::Encoded(images) => images
                        .read(&[sample], preprocess.max_file_bytes)
                        .pop()
                        .and_then(Result::ok)
                        .and_then(|b| decode::decode_bytes(&b, preprocess.decoding()).ok()),
                    Store::Rows(_) => None,
                }
            };
            // A sample that cannot be decoded again keeps a key of its own: not claimed as a copy.
            let key = decoded.map_or(hash::mix(i as u64 ^ 0x5eed), |d| {
                let seed = hash::mix(
                    u64::from(d.width) << 40 ^ u64::from(d.height) << 16 ^ d.channels as u64,
                );
                hash::hash64(seed, &d.pixels)
            });
            (i, key)
        })
        .collect();
    if cancel.load(Ordering::Relaxed) {
        return Err(ScanError::Cancelled);
    }
    for (i, key) in keys {
        entries[i].exact_key = key;
    }
    Ok(())
}
