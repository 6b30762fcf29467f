//! The health pass: decodes and preprocesses every planned sample as the loader does, in parallel on
//! rayon, and measures each loaded image ([`measure`](super::measure)) on the thread that decoded it,
//! while its pixels are in cache ([`loader::visit_rows`]); no batch is kept. Memory stays bounded by
//! one image per thread plus one [`SampleHealth`] (about 150 bytes) per sample.
//!
//! - With a validation split and no subset, both subsets are planned (same options, same seed) and
//!   scanned in one pass; each entry records which plan holds it. Otherwise the pass covers the plan
//!   the options describe.
//! - Without an image size, the dataset's common size is used; a folder of mixed sizes is measured at
//!   Keras's default 256x256 instead (and a note says so), so that any folder can be checked.
//! - Resized images are measured as float32 (the values a float32 export holds), images already of
//!   the measured size as their decoded bytes (the same values, exactly): the channel statistics are
//!   those of the exported array.
//! - Files measured before with the same size and mtime come from the [`HashCache`] and are not read.
//! - Progress is reported after each chunk of [`CHUNK_SAMPLES`]; the cancel flag is checked between
//!   samples and between chunks.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use super::cache::{HashCache, Stamp};
use super::hash;
use super::measure::{self, Row, SampleHealth};
use crate::decode;
use crate::index::DatasetIndex;
use crate::load::loader::{self, LoadSpec, SampleFailure, Stop, Visited};
use crate::load::preprocess::{Element, Shape};
use crate::load::probe;
use crate::load::spec::KERAS_DEFAULT_IMAGE_SIZE;
use crate::options::{Dtype, LoadOptions, PlanOptions, PreprocessOptions, Scale, Subset};
use crate::plan::{self, BatchPlan, PlanError};
use crate::size::Size;

/// Samples measured between two progress reports and looks at the cancel flag (about 0.1 s of
/// work for photos on two cores).
const CHUNK_SAMPLES: usize = 128;

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
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self {
            cache_dir: super::cache::default_dir(),
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
    if !index.store.decodes_images() {
        return Err(ScanError::StoredRows(index.store.describe()));
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
        let job = pass_job(&index, preprocess, shape, element);
        for chunk in misses.chunks(CHUNK_SAMPLES) {
            if cancel.load(Ordering::Relaxed) {
                return Err(ScanError::Cancelled);
            }
            let ids: Vec<usize> = chunk.iter().map(|&i| entries[i].sample).collect();
            let measured =
                loader::visit_rows(&job, &ids, Stop::on(cancel), |v| measure_visited(&v, shape));
            if cancel.load(Ordering::Relaxed) {
                return Err(ScanError::Cancelled);
            }
            for (&at, result) in chunk.iter().zip(measured) {
                progress.done += 1;
                match result {
                    Ok(health) => {
                        if let (Some(cache), Some(stamp)) = (cache.as_mut(), stamps[at]) {
                            let rel_path = &index.samples[entries[at].sample].rel_path;
                            cache.insert(rel_path, stamp, health.clone());
                        }
                        entries[at].health = Some(health);
                    }
                    Err(failure) => {
                        progress.failed += 1;
                        failures.push(failure);
                    }
                }
            }
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
        confirm_exact(&index, &mut entries, shape, preprocess, cancel)?;
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

/// The loading the pass does: `visit_rows` takes its samples from the pass, not from a plan.
fn pass_job(
    index: &Arc<DatasetIndex>,
    preprocess: PreprocessOptions,
    shape: Shape,
    element: Element,
) -> LoadSpec {
    LoadSpec {
        index: Arc::clone(index),
        plan: Arc::new(BatchPlan {
            order: Vec::new(),
            batch_size: 1,
            seed: None,
            ends: None,
        }),
        preprocess,
        shape,
        element,
    }
}

/// Measures one loaded sample. An image the loader scales up has its sharpness measured on its
/// decoded pixels: upscaling smooths every picture, sharp or not.
fn measure_visited(v: &Visited<'_>, shape: Shape) -> SampleHealth {
    let mut health = measure::measure(
        v.row,
        shape,
        v.original,
        v.file_bytes.map(|bytes| hash::hash64(0, bytes)),
    );
    let d = v.decoded;
    if (d.height as usize) < shape.height || (d.width as usize) < shape.width {
        let native = Shape::of(d.size(), d.channels);
        health.sharpness = measure::sharpness(Row::U8(&d.pixels), native);
    }
    health
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
    let size = if let Some(size) = preprocess.image_size {
        size
    } else {
        let headers = probe::headers(index, order, cancel).ok_or(ScanError::Cancelled)?;
        match probe::common_size(index, order, &headers) {
            Ok(size) => size.unwrap_or(Size::square(0)),
            Err(mixed) => {
                notes.push(format!(
                    "{mixed}; measured at {KERAS_DEFAULT_IMAGE_SIZE} (Keras's default image size)"
                ));
                preprocess.image_size = Some(KERAS_DEFAULT_IMAGE_SIZE);
                KERAS_DEFAULT_IMAGE_SIZE
            }
        }
    };
    let shape = Shape::of(size, preprocess.color_mode.channels());
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
    if !index.store.samples_are_files() {
        return None;
    }
    let key = format!(
        "{} {}x{}x{} {} {} {} resized={} jpeg={}",
        preprocess.color_mode,
        shape.height,
        shape.width,
        shape.channels,
        preprocess.interpolation,
        preprocess.fit,
        element.dtype,
        preprocess.image_size.is_some(),
        preprocess.jpeg,
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
    shape: Shape,
    preprocess: PreprocessOptions,
    cancel: &AtomicBool,
) -> Result<(), ScanError> {
    // Images already of the measured size were hashed as their decoded pixels: their keys are exact.
    let mut by_key: HashMap<u64, Vec<usize>> = HashMap::new();
    for (i, e) in entries.iter().enumerate() {
        if let Some(h) = &e.health
            && (h.height as usize, h.width as usize) != (shape.height, shape.width)
        {
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
                index.store.images().and_then(|images| {
                    images
                        .read_one(sample, &index.path(sample), preprocess.max_file_bytes)
                        .ok()
                        .and_then(|b| decode::decode_bytes(&b, preprocess.decoding()).ok())
                })
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
