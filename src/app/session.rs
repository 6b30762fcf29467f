//! One open dataset in the viewer: background indexing and planning, then an on-demand loader with a
//! small cache of decoded batches around the one on screen. Nothing here decodes or walks the disk on
//! the UI thread: [`Session::poll`] only drains channels.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::display::{DisplayRange, Stats};
use crate::background::{Job, Received};
use crate::index::{DatasetIndex, WalkControl};
use crate::load::loader::{Batch, LoadSpec, Loader, LoaderStopped, Notify};
use crate::load::preprocess::Element;
use crate::load::probe::MixedSizes;
use crate::load::spec;
use crate::options::{IndexOptions, LoadOptions};
use crate::source;

/// How many batches on each side of the current one are prefetched and kept.
pub const PREFETCH_RADIUS: usize = 2;

/// A dataset whose batches can be loaded.
pub struct Ready {
    /// The samples.
    pub index: Arc<DatasetIndex>,
    /// The plan and the shape of samples.
    pub job: Arc<LoadSpec>,
    /// The options this was prepared with (the index options as the source was opened).
    pub options: LoadOptions,
    /// The index options of the settings that asked for it, to tell whether new settings re-index.
    requested_index: IndexOptions,
    /// Planned samples per class, in label order.
    pub plan_counts: Vec<usize>,
    /// For an annotated dataset, the planned objects per object class and the planned images with
    /// an object of each class (empty otherwise).
    pub plan_objects: [Vec<usize>; 2],
    /// Set when the images differ in size and no image size was set: the batches are shown (and
    /// exported) resized to Keras's default 256x256 instead, and this says which files differ.
    pub size_fallback: Option<MixedSizes>,
    loader: Loader,
    /// Loaded batches near the current one.
    pub batches: BTreeMap<usize, ViewBatch>,
}

impl Ready {
    /// Number of batches in the plan.
    pub fn batch_count(&self) -> usize {
        self.job.plan.batch_count()
    }
}

/// A loaded batch and, once drawn, its thumbnails on the GPU (freed with the batch).
pub struct ViewBatch {
    /// The engine's batch.
    pub batch: Batch,
    /// Thumbnails by row among the good samples, uploaded when their row of the grid is in view.
    pub textures: HashMap<usize, egui::TextureHandle>,
    /// The display range the textures of stored rows were drawn with (`None` for decoded images):
    /// another range clears them.
    pub drawn_with: Option<DisplayRange>,
    /// Statistics of the image column of stored rows, found the first time the batch is drawn.
    pub stats: Option<(Option<super::display::Denormalise>, Stats)>,
    /// Mask overlays by row, uploaded with their thumbnails (annotated datasets with masks).
    pub masks: HashMap<usize, egui::TextureHandle>,
}

impl ViewBatch {
    fn new(batch: Batch) -> Self {
        Self {
            batch,
            textures: HashMap::new(),
            drawn_with: None,
            stats: None,
            masks: HashMap::new(),
        }
    }
}

/// What a preparation job produces: the index, the index options it was opened with (which may differ
/// from the settings: see [`prepare_job`]), the job, and why the image size fell back (if it did).
type Prepared = Result<
    (
        Arc<DatasetIndex>,
        IndexOptions,
        LoadSpec,
        Option<MixedSizes>,
    ),
    OpenError,
>;

/// Background indexing and planning in progress. Dropping it cancels the job without waiting.
struct Preparing {
    files_found: Arc<AtomicUsize>,
    job: Job<Prepared>,
    options: LoadOptions,
    started: Instant,
}

/// What the session is doing, for drawing.
pub enum Status<'a> {
    /// Walking the folder or reading headers.
    Preparing {
        /// Image files found so far.
        files_found: usize,
        /// Time since it started.
        elapsed: Duration,
    },
    /// Batches can be shown.
    Ready(&'a Ready),
    /// The folder could not be opened or planned (`None`: nothing was tried).
    Failed(Option<&'a OpenError>),
}

/// What kind of failure an [`OpenError`] is, for choosing what to offer the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenErrorKind {
    /// The folder is missing, not a folder, or the class list does not match it.
    Folder,
    /// Anything else.
    Other,
}

/// Why a folder could not be opened or planned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenError {
    /// What kind.
    pub kind: OpenErrorKind,
    /// For the user.
    pub message: String,
}

impl OpenError {
    fn other(message: String) -> Self {
        Self {
            kind: OpenErrorKind::Other,
            message,
        }
    }
}

/// A problem to list in the problems panel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The file or folder.
    pub path: PathBuf,
    /// Why.
    pub reason: String,
}

/// The open dataset.
pub struct Session {
    /// The dataset folder.
    pub root: PathBuf,
    preparing: Option<Preparing>,
    ready: Option<Ready>,
    failed: Option<OpenError>,
    /// Batch number on screen.
    pub current: usize,
    /// A second batch shown beside it, kept loaded while it is compared.
    pub compared: Option<usize>,
    /// Files skipped so far (deduplicated) and folder warnings.
    pub problems: Vec<Problem>,
    notify: Notify,
    /// When the folder was opened, until the first batch arrived.
    opened_at: Option<Instant>,
    /// Time from opening to the first batch being available.
    pub first_batch_after: Option<Duration>,
    /// The batch that was on screen before the settings changed, shown until its successor arrives.
    stale: Option<(ViewBatch, LoadOptions)>,
}

/// Adds `path` with `reason` to `problems` unless it is listed already (a file is listed once, with
/// its first reason); returns whether it was added.
pub fn add_problem(problems: &mut Vec<Problem>, path: &Path, reason: &str) -> bool {
    let listed = problems.iter().any(|p| p.path == path);
    if !listed {
        problems.push(Problem {
            path: path.to_path_buf(),
            reason: reason.to_owned(),
        });
    }
    !listed
}

impl Session {
    /// Starts indexing `root` with `options` in the background.
    pub fn open(root: &Path, options: &LoadOptions, notify: Notify) -> Self {
        let mut session = Self {
            root: root.to_path_buf(),
            preparing: None,
            ready: None,
            failed: None,
            current: 0,
            compared: None,
            problems: Vec::new(),
            notify,
            opened_at: Some(Instant::now()),
            first_batch_after: None,
            stale: None,
        };
        session.prepare(options, None);
        session
    }

    /// Re-plans with new options, re-indexing only if the index options changed. The batches on screen
    /// stay until the new ones arrive.
    pub fn reconfigure(&mut self, options: &LoadOptions) {
        let reuse = self
            .ready
            .as_ref()
            .filter(|r| r.requested_index == options.index)
            .map(|r| (Arc::clone(&r.index), r.options.index.clone()));
        if self.first_batch_after.is_none() {
            // Time to first batch counts from the settings that can produce one.
            self.opened_at = Some(Instant::now());
        }
        self.prepare(options, reuse);
    }

    /// The options the session is being prepared with, or was prepared with.
    pub fn options(&self) -> Option<&LoadOptions> {
        self.preparing
            .as_ref()
            .map(|p| &p.options)
            .or(self.ready.as_ref().map(|r| &r.options))
    }

    fn prepare(&mut self, options: &LoadOptions, reuse: Option<(Arc<DatasetIndex>, IndexOptions)>) {
        self.preparing = None; // cancels a previous preparation, which finishes on its own
        let files_found = Arc::new(AtomicUsize::new(0));
        let (root, opts, notify) = (self.root.clone(), options.clone(), Arc::clone(&self.notify));
        let found = Arc::clone(&files_found);
        let spawned = Job::spawn(
            "batchscope-index",
            1,
            Some(Arc::clone(&self.notify)),
            move |out| {
                let result = prepare_job(&root, &opts, reuse, &found, out.cancel_flag(), &notify);
                out.send(result);
            },
        );
        match spawned {
            Ok(job) => {
                self.preparing = Some(Preparing {
                    files_found,
                    job,
                    options: options.clone(),
                    started: Instant::now(),
                });
            }
            Err(err) => {
                self.failed = Some(OpenError::other(format!(
                    "cannot start the indexing thread: {err}"
                )));
            }
        }
    }

    /// What to draw.
    pub fn status(&self) -> Status<'_> {
        if let Some(ready) = &self.ready {
            return Status::Ready(ready);
        }
        if let Some(p) = &self.preparing {
            return Status::Preparing {
                files_found: p.files_found.load(Ordering::Relaxed),
                elapsed: p.started.elapsed(),
            };
        }
        Status::Failed(self.failed.as_ref())
    }

    /// Whether new settings are being applied in the background while older batches are shown.
    pub fn is_replanning(&self) -> bool {
        self.preparing.is_some() && self.ready.is_some()
    }

    /// Files found so far by a running preparation.
    pub fn preparing_progress(&self) -> Option<(usize, Duration)> {
        self.preparing
            .as_ref()
            .map(|p| (p.files_found.load(Ordering::Relaxed), p.started.elapsed()))
    }

    /// The batch on screen, if loaded.
    pub fn current_batch(&self) -> Option<&Batch> {
        self.ready
            .as_ref()?
            .batches
            .get(&self.current)
            .map(|v| &v.batch)
    }

    /// The batch on screen for drawing: the current one, or while new settings load the previous one
    /// with the settings that produced it.
    pub fn shown_mut(&mut self) -> Option<(&mut ViewBatch, Option<&LoadOptions>)> {
        let current = self.current;
        if let Some(view) = self
            .ready
            .as_mut()
            .and_then(|r| r.batches.get_mut(&current))
        {
            return Some((view, None));
        }
        self.stale
            .as_mut()
            .map(|(view, options)| (view, Some(&*options)))
    }

    /// Takes the compared batch out of the cache to draw it beside the current one (put it back
    /// with [`Session::put_back`]); `None` when none is compared, it is the current one, or it is
    /// still loading.
    pub fn take_compared(&mut self) -> Option<ViewBatch> {
        let k = self.compared.filter(|&k| k != self.current)?;
        self.ready.as_mut()?.batches.remove(&k)
    }

    /// Puts a batch taken by [`Session::take_compared`] back.
    pub fn put_back(&mut self, view: ViewBatch) {
        if let Some(ready) = &mut self.ready {
            ready.batches.insert(view.batch.number, view);
        }
    }

    /// The ready dataset, if any.
    pub fn ready(&self) -> Option<&Ready> {
        self.ready.as_ref()
    }

    /// Test only (the `test-hooks` feature): gives the ready dataset the index `annotate` makes of
    /// it (objects set by hand on an image folder's samples), for the loader and every view, as if
    /// an annotated source had indexed it.
    #[cfg(feature = "test-hooks")]
    pub fn annotate_for_tests(&mut self, annotate: impl FnOnce(&mut DatasetIndex)) {
        let Some(ready) = &mut self.ready else { return };
        let mut index = (*ready.index).clone();
        annotate(&mut index);
        ready.index = Arc::new(index);
        ready.job = Arc::new(LoadSpec {
            index: Arc::clone(&ready.index),
            ..(*ready.job).clone()
        });
        let order = &ready.job.plan.order;
        ready.plan_objects =
            [false, true].map(|images| super::objects::counts(&ready.index, order, images));
    }

    /// Moves to batch `k` (clamped).
    pub fn go_to(&mut self, k: usize) {
        if let Some(ready) = &self.ready {
            self.current = k.min(ready.batch_count().saturating_sub(1));
        }
    }

    /// Drains finished work: a finished preparation, finished batches (within `budget`). Requests the
    /// current batch and its neighbours. Returns true if anything changed.
    pub fn poll(&mut self, budget: Duration) -> bool {
        let mut changed = self.poll_preparing();
        let started = Instant::now();
        let mut died = None;
        if let Some(ready) = &mut self.ready {
            while started.elapsed() < budget {
                let batch = match ready.loader.try_recv() {
                    Ok(Some(batch)) => batch,
                    Ok(None) | Err(LoaderStopped::Cancelled) => break,
                    Err(err @ LoaderStopped::Died(_)) => {
                        died = Some(err.to_string());
                        break;
                    }
                };
                for failure in &batch.failures {
                    add_problem(&mut self.problems, &failure.rel_path, &failure.reason);
                }
                // Shown, but decoded from corrupt data the decoder recovered from: said too.
                for (&sample, original) in batch.samples.iter().zip(&batch.originals) {
                    if let Some(reason) = original.warning() {
                        add_problem(
                            &mut self.problems,
                            &ready.index.samples[sample].rel_path,
                            &reason,
                        );
                    }
                }
                if batch.number == self.current {
                    self.stale = None;
                }
                ready.batches.insert(batch.number, ViewBatch::new(batch));
                changed = true;
            }
            if let Some(opened) = self.opened_at
                && ready.batches.contains_key(&self.current)
            {
                self.first_batch_after = Some(opened.elapsed());
                self.opened_at = None;
            }
            let current = self.current;
            let count = ready.batch_count();
            let wanted: Vec<usize> = std::iter::once(current)
                .chain(self.compared)
                .chain((1..=PREFETCH_RADIUS).flat_map(|d| [current + d, current.wrapping_sub(d)]))
                .filter(|&k| k < count)
                .collect();
            ready.batches.retain(|k, _| wanted.contains(k));
            // The batch on screen first, then its neighbours; batches no longer near it are dropped
            // from the loader's queue.
            let missing: Vec<usize> = wanted
                .into_iter()
                .filter(|k| !ready.batches.contains_key(k))
                .collect();
            ready.loader.want(&missing);
        }
        if let Some(message) = died {
            self.fail(OpenError::other(message));
            changed = true;
        }
        changed
    }

    fn poll_preparing(&mut self) -> bool {
        let Some(preparing) = &self.preparing else {
            return false;
        };
        let result = match preparing.job.try_recv() {
            Received::Item(result) => result,
            Received::Empty => return false,
            Received::Died(message) => Err(OpenError::other(format!(
                "the indexing thread stopped unexpectedly: {message}"
            ))),
            Received::Finished => Err(OpenError::other(
                "the indexing thread stopped without a result".to_owned(),
            )),
        };
        let mut options = preparing.options.clone();
        let old_current = self.current;
        self.preparing = None;
        match result {
            Ok((index, opened_with, job, size_fallback)) => {
                let requested_index = std::mem::replace(&mut options.index, opened_with);
                if size_fallback.is_some() {
                    options.preprocess.image_size = Some(spec::KERAS_DEFAULT_IMAGE_SIZE);
                }
                let job = Arc::new(job);
                match Loader::on_demand(Arc::clone(&job), Some(Arc::clone(&self.notify))) {
                    Ok(loader) => {
                        self.problems = index
                            .warnings
                            .iter()
                            .chain(&index.notes)
                            .map(|w| Problem {
                                path: w.path.clone(),
                                reason: w.reason.clone(),
                            })
                            .collect();
                        let plan_counts = index.class_counts_of(job.plan.order.iter().copied());
                        let plan_objects = [false, true]
                            .map(|images| super::objects::counts(&index, &job.plan.order, images));
                        self.current = self.current.min(job.plan.batch_count().saturating_sub(1));
                        if let Some(mut old) = self.ready.take()
                            && let Some(batch) = old.batches.remove(&old_current)
                        {
                            self.stale = Some((batch, old.options.clone()));
                        }
                        self.ready = Some(Ready {
                            index,
                            job,
                            options,
                            requested_index,
                            plan_counts,
                            plan_objects,
                            size_fallback,
                            loader,
                            batches: BTreeMap::new(),
                        });
                        self.failed = None;
                    }
                    Err(err) => self.fail(OpenError::other(format!(
                        "cannot start the loader thread: {err}"
                    ))),
                }
            }
            Err(message) => self.fail(message),
        }
        true
    }

    fn fail(&mut self, error: OpenError) {
        self.ready = None;
        self.failed = Some(error);
    }
}

/// Opens `root` with the settings' index options, as [`source::open_for_viewing`] adjusts them.
fn open_source(
    root: &Path,
    requested: &IndexOptions,
    max_file_bytes: u64,
    control: &WalkControl<'_>,
) -> Result<(DatasetIndex, IndexOptions), OpenError> {
    let limits = source::Limits {
        max_record_bytes: max_file_bytes,
    };
    source::open_for_viewing(root, requested, limits, control).map_err(|e| OpenError {
        kind: if e.is_folder_walk() {
            OpenErrorKind::Folder
        } else {
            OpenErrorKind::Other
        },
        message: e.to_string(),
    })
}

fn prepare_job(
    root: &Path,
    options: &LoadOptions,
    reuse: Option<(Arc<DatasetIndex>, IndexOptions)>,
    found: &Arc<AtomicUsize>,
    cancel: &AtomicBool,
    notify: &Notify,
) -> Prepared {
    let (index, opened_with) = if let Some(reused) = reuse {
        reused
    } else {
        let on_progress = |n: usize| {
            found.store(n, Ordering::Relaxed);
            notify();
        };
        let control = WalkControl {
            on_progress: &on_progress,
            cancel,
        };
        let (index, opened_with) = open_source(
            root,
            &options.index,
            options.preprocess.max_file_bytes,
            &control,
        )?;
        (Arc::new(index), opened_with)
    };
    found.store(index.samples.len(), Ordering::Relaxed);
    // The viewer checks the first batch's sizes up front and reports later odd sizes per file, so a
    // huge folder shows its first batch without reading every header first.
    let check = spec::SizeCheck::First(options.plan.batch_size);
    let element = Element::default();
    let other = |e: spec::PrepareError| OpenError::other(e.to_string());
    let (job, fallback) = match spec::prepare(Arc::clone(&index), options, element, check, cancel) {
        Ok(job) => (job, None),
        // Mixed sizes without an image size: show them at Keras's default size, and say so.
        Err(spec::PrepareError::MixedSizes(mixed)) if options.preprocess.image_size.is_none() => {
            let mut resized = options.clone();
            resized.preprocess.image_size = Some(spec::KERAS_DEFAULT_IMAGE_SIZE);
            let job = spec::prepare(Arc::clone(&index), &resized, element, check, cancel)
                .map_err(other)?;
            (job, Some(mixed))
        }
        Err(e) => return Err(other(e)),
    };
    check_batch_fits(&job)?;
    Ok((index, opened_with, job, fallback))
}

/// The most bytes one batch on screen may take: the viewer holds whole batches (the one on screen and
/// its prefetched neighbours), unlike the export, which holds chunks of rows.
pub const MAX_VIEWER_BATCH_BYTES: u64 = 512 << 20;

/// Refuses settings whose batches could not be held in memory, before anything is allocated.
fn check_batch_fits(job: &LoadSpec) -> Result<(), OpenError> {
    let shape = job.shape;
    let batch = largest_batch(&job.plan);
    let bytes = (job.row_bytes() as u64).checked_mul(batch as u64);
    match bytes {
        Some(bytes) if bytes <= MAX_VIEWER_BATCH_BYTES => Ok(()),
        _ => Err(OpenError::other(format!(
            "a batch of {batch} {} takes {} to view, over the viewer's limit of {}; lower the batch size or the image size (the export has no such limit: it writes rows as they come)",
            if job.index.store.decodes_images() {
                format!(
                    "images of {}x{}x{}",
                    shape.height, shape.width, shape.channels
                )
            } else {
                format!("rows of {} bytes", job.row_bytes())
            },
            bytes.map_or_else(
                || "more than 2^64 bytes".to_owned(),
                crate::export::human_bytes
            ),
            crate::export::human_bytes(MAX_VIEWER_BATCH_BYTES),
        ))),
    }
}

/// Samples in the plan's largest batch: a stored dataset's own batches may differ in size, and only
/// the last of `batch_size` ones is smaller.
pub fn largest_batch(plan: &crate::plan::BatchPlan) -> usize {
    match &plan.ends {
        Some(_) => (0..plan.batch_count())
            .map(|k| plan.batch_range(k).len())
            .max()
            .unwrap_or(0),
        None => plan.batch_size.min(plan.len()),
    }
}
