//! The export panel: what will be written (shapes, dtypes, bytes, free space), the equivalent command
//! line, and the export itself as one background job with progress, cancel and a final report. It calls
//! the same engine function as `batchscope export`, so the files are the same bytes.
//!
//! What will be written is planned in the logic step, when what it depends on changes: planning sizes
//! one manifest row per sample and the free space is a `statvfs`, so drawing only reads the result.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::background::{Job, Received};
use crate::export::{self, ExportError, ExportOptions, ExportPlan, ExportReport};
use crate::index::DatasetIndex;
use crate::load::loader::{LoadSpec, Notify};
use crate::load::preprocess::{Element, Shape};
use crate::load::spec::{self, SizeCheck};
use crate::options::{ArrayDtype, ArrayFormat, LabelMode, Layout, LoadOptions, Scale};
use crate::plan::BatchPlan;

/// The export choices remembered between runs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExportSettings {
    /// Output folder as typed.
    pub out_dir: String,
    /// Element type of `images.npy`.
    pub dtype: ArrayDtype,
    /// Value range of float images.
    pub scale: Scale,
    /// Label encoding.
    pub label_mode: LabelMode,
    /// Axis order of `images.npy`.
    pub layout: Layout,
    /// `.npy` files or one `.npz`.
    pub format: ArrayFormat,
    /// Deflate the `.npz` members.
    pub compress: bool,
    /// Order of a box's numbers in `boxes.npy` (datasets with objects).
    pub box_format: crate::source::annotations::BoxFormat,
    /// Units of a box's numbers in `boxes.npy` (datasets with objects).
    pub box_units: crate::source::annotations::BoxUnits,
}

impl ExportSettings {
    /// The element type and label mode an export of `store` uses: stored rows are written as stored
    /// (their dtype; labels as stored or left out), whatever was chosen for image folders.
    pub fn for_store(&self, store: &crate::index::Store) -> (Element, LabelMode) {
        if store.decodes_images() {
            (self.element(), self.label_mode)
        } else {
            {
                let mode = if self.label_mode == LabelMode::None {
                    LabelMode::None
                } else {
                    LabelMode::Int
                };
                (Element::default(), mode)
            }
        }
    }

    /// The element type these settings ask for.
    pub fn element(&self) -> Element {
        let scale = if self.dtype == ArrayDtype::Uint8 {
            Scale::To255
        } else {
            self.scale
        };
        Element {
            dtype: self.dtype.loader_dtype(),
            scale,
        }
    }

    /// The arrays' form an export of `store` uses: stored rows keep their dtype and layout, only the
    /// file format applies to them.
    pub fn arrays_for_store(&self, store: &crate::index::Store) -> export::ArrayOptions {
        let (format, compress) = (
            self.format,
            self.compress && self.format == ArrayFormat::Npz,
        );
        if store.decodes_images() {
            export::ArrayOptions {
                layout: self.layout,
                dtype: self.dtype,
                format,
                compress,
            }
        } else {
            export::ArrayOptions {
                format,
                compress,
                ..export::ArrayOptions::default()
            }
        }
    }
}

/// An export running as a background job. Dropping it cancels the export without waiting; the
/// export then removes its staging folder on its own.
pub struct Running {
    /// Where it writes.
    pub out: PathBuf,
    pub(super) done: Arc<AtomicUsize>,
    pub(super) total: Arc<AtomicUsize>,
    pub(super) skipped: Arc<AtomicUsize>,
    pub(super) started: Instant,
    job: Job<Result<ExportReport, String>>,
}

impl Running {
    /// Asks the export to stop; it keeps nothing.
    pub(super) fn cancel(&self) {
        self.job.cancel();
    }
}

/// A finished export and what to show about it.
pub struct Finished {
    /// What was written.
    pub report: ExportReport,
    /// Where.
    pub out: PathBuf,
}

/// Where the export panel is.
#[derive(Default)]
pub enum ExportState {
    /// Nothing started yet.
    #[default]
    Idle,
    /// Running.
    Running(Running),
    /// Completed.
    Finished(Box<Finished>),
    /// Failed: the message names the path and the reason.
    Failed(String),
    /// Cancelled by the user; nothing was kept.
    Cancelled,
}

/// The export panel's state.
#[derive(Default)]
pub struct ExportPanel {
    /// The job.
    pub state: ExportState,
    /// A message for the user (e.g. a refused second export).
    pub notice: Option<String>,
    /// Waiting for the user to confirm writing into a non-empty folder.
    pub confirm_overwrite: bool,
    /// The exclusion list the Health view saved last, and how many images it names.
    pub exclusion_list: Option<(PathBuf, usize)>,
    /// Whether the export leaves out the images of [`ExportPanel::exclusion_list`].
    pub use_exclusions: bool,
    /// What an export of the dataset on screen would write, and what that was planned from.
    plan: Option<(PlanInputs, Result<ExportPlan, ExportError>)>,
    /// How many times [`ExportPanel::plan`] was computed.
    plans_computed: usize,
    /// The output folder as typed and the free space where it goes (`None`: unknown).
    free_space: Option<(String, Option<u64>)>,
}

/// What an export's plan depends on. The index and the batch plan are compared by identity: the
/// session makes a new one whenever one changes (and holding them here keeps the pointers unique).
struct PlanInputs {
    index: Arc<DatasetIndex>,
    batch_plan: Arc<BatchPlan>,
    shape: Shape,
    element: Element,
    label_mode: LabelMode,
    arrays: export::ArrayOptions,
}

impl PlanInputs {
    fn same(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.index, &other.index)
            && Arc::ptr_eq(&self.batch_plan, &other.batch_plan)
            && (self.shape, self.element, self.label_mode, self.arrays)
                == (other.shape, other.element, other.label_mode, other.arrays)
    }
}

/// What the dataset on screen offers the export panel.
pub struct Source<'a> {
    /// The dataset folder.
    pub root: &'a Path,
    /// Its index (reused when the index options are unchanged).
    pub index: &'a Arc<DatasetIndex>,
    /// The viewer's job (plan and shape).
    pub job: &'a LoadSpec,
    /// The loader options on screen.
    pub load: &'a LoadOptions,
    /// Why the images are resized to Keras's default size though no size was set.
    pub size_fallback: Option<&'a crate::load::probe::MixedSizes>,
}

impl ExportPanel {
    /// Whether an export is running.
    pub fn is_running(&self) -> bool {
        matches!(self.state, ExportState::Running(_))
    }

    /// Collects a finished export's result.
    pub fn poll(&mut self) {
        let ExportState::Running(running) = &self.state else {
            return;
        };
        let result = match running.job.try_recv() {
            Received::Item(result) => result,
            Received::Empty => return,
            Received::Died(message) => Err(format!("the export stopped unexpectedly: {message}")),
            Received::Finished => Err("the export stopped without a result".into()),
        };
        let out = running.out.clone();
        let cancelled = running.job.is_cancelled();
        // The disk's free space changed: read it again next frame.
        self.free_space = None;
        self.state = match result {
            Ok(report) => ExportState::Finished(Box::new(Finished { report, out })),
            Err(_) if cancelled => ExportState::Cancelled,
            Err(message) => ExportState::Failed(message),
        };
    }

    /// Starts exporting `source` with `settings`; refused (with a notice) while another export runs.
    pub fn start(
        &mut self,
        source: &Source<'_>,
        settings: &ExportSettings,
        overwrite: bool,
        notify: Notify,
    ) {
        if self.is_running() {
            self.notice =
                Some("An export is already running: wait for it or cancel it first.".into());
            return;
        }
        let out = PathBuf::from(settings.out_dir.trim());
        if out.as_os_str().is_empty() {
            self.notice = Some("Choose an output folder first.".into());
            return;
        }
        self.notice = None;
        self.confirm_overwrite = false;
        let (done, total, skipped) = (
            Arc::default(),
            Arc::new(AtomicUsize::new(source.job.plan.len())),
            Arc::default(),
        );
        let index = Arc::clone(source.index);
        let load = source.load.clone();
        let exclude_list = self
            .exclusion_list
            .as_ref()
            .filter(|_| self.use_exclusions)
            .map(|(path, _)| path.clone());
        let (element, label_mode) = settings.for_store(&source.index.store);
        let options = ExportOptions {
            out: out.clone(),
            label_mode,
            overwrite,
            strict: false,
            queue_bytes: crate::load::loader::DEFAULT_QUEUE_BYTES,
            excluded: Vec::new(),
            arrays: settings.arrays_for_store(&source.index.store),
            shard: None,
            corrections: None,
            boxes: export::BoxOptions {
                format: settings.box_format,
                units: settings.box_units,
            },
        };
        let (d, t, s) = (Arc::clone(&done), Arc::clone(&total), Arc::clone(&skipped));
        let wake = Arc::clone(&notify);
        let spawned = Job::spawn("batchscope-export", 1, Some(wake), move |job_out| {
            let cancel = job_out.cancel_flag();
            let result = run_export(
                index,
                (&load, element),
                &options,
                exclude_list.as_deref(),
                (&d, &t, &s),
                cancel,
                &notify,
            );
            job_out.send(result);
        });
        match spawned {
            Ok(job) => {
                self.state = ExportState::Running(Running {
                    out,
                    done,
                    total,
                    skipped,
                    started: Instant::now(),
                    job,
                });
            }
            Err(err) => {
                self.state = ExportState::Failed(format!("cannot start the export thread: {err}"));
            }
        }
    }

    /// Asks the running export to stop; it keeps nothing.
    pub fn cancel(&self) {
        if let ExportState::Running(running) = &self.state {
            running.cancel();
        }
    }

    /// Images done and total of a running export.
    pub fn progress(&self) -> Option<(usize, usize)> {
        match &self.state {
            ExportState::Running(r) => Some((
                r.done.load(Ordering::Relaxed),
                r.total.load(Ordering::Relaxed),
            )),
            _ => None,
        }
    }

    /// Brings what the panel shows before an export up to date with `source` and `settings` (logic
    /// step only; drawing reads [`ExportPanel::plan`] and [`ExportPanel::free_space`]). The plan is
    /// computed again only when its inputs changed, the free space only when the output folder did or
    /// an export ended. Returns whether anything changed.
    pub fn refresh_preview(
        &mut self,
        source: Option<&Source<'_>>,
        settings: &ExportSettings,
    ) -> bool {
        let mut changed = false;
        let out = settings.out_dir.as_str();
        if self.free_space.as_ref().is_none_or(|(path, _)| path != out) {
            // The nearest existing folder: the output folder may not exist yet.
            let dir = nearest_existing(Path::new(out));
            self.free_space = Some((out.to_owned(), fs4::available_space(dir).ok()));
            changed = true;
        }
        let Some(source) = source else {
            changed |= self.plan.take().is_some();
            return changed;
        };
        let (element, label_mode) = settings.for_store(&source.job.index.store);
        let inputs = PlanInputs {
            index: Arc::clone(&source.job.index),
            batch_plan: Arc::clone(&source.job.plan),
            shape: source.job.shape,
            element,
            label_mode,
            arrays: settings.arrays_for_store(&source.job.index.store),
        };
        if self.plan.as_ref().is_some_and(|(old, _)| old.same(&inputs)) {
            return changed;
        }
        let job = LoadSpec {
            element,
            ..source.job.clone()
        };
        let plan = export::plan_export_with(&job, label_mode, inputs.arrays);
        self.plans_computed += 1;
        self.plan = Some((inputs, plan));
        true
    }

    /// What an export of the dataset on screen would write, or why it cannot be planned (`None`
    /// until [`ExportPanel::refresh_preview`] has seen a dataset).
    pub fn plan(&self) -> Option<&Result<ExportPlan, ExportError>> {
        self.plan.as_ref().map(|(_, plan)| plan)
    }

    /// How many times the plan was computed: once per change of what it depends on, not per frame.
    pub fn plans_computed(&self) -> usize {
        self.plans_computed
    }

    /// Bytes free where the output folder goes, as last read (`None`: unknown).
    pub fn free_space(&self) -> Option<u64> {
        self.free_space.as_ref().and_then(|(_, free)| *free)
    }
}

/// The nearest folder at or above `path` that exists; a relative path's chain ends at `.`.
pub fn nearest_existing(path: &Path) -> &Path {
    let mut dir = path;
    while !dir.exists() {
        dir = match dir.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            Some(_) => return Path::new("."),
            None => return Path::new("/"),
        };
    }
    dir
}

/// Runs on the export thread: plan with every header checked, then the engine's export.
fn run_export(
    index: Arc<DatasetIndex>,
    (load, element): (&LoadOptions, Element),
    options: &ExportOptions,
    exclude_list: Option<&Path>,
    (done, total, skipped): (&AtomicUsize, &AtomicUsize, &AtomicUsize),
    cancel: &Arc<AtomicBool>,
    notify: &Notify,
) -> Result<ExportReport, String> {
    let mut job = spec::prepare(index, load, element, SizeCheck::AllFiles, cancel)
        .map_err(|e| e.to_string())?;
    let mut options = options.clone();
    if let Some(path) = exclude_list {
        let list = export::exclude_list::ExcludeList::read(path)
            .map_err(|e| format!("cannot read the exclusion list: {e}: {path:?}"))?;
        let applied = export::exclude_list::apply(&job, &list);
        job = applied.job;
        options.excluded = applied.excluded;
    }
    let job = Arc::new(job);
    total.store(job.plan.len(), Ordering::Relaxed);
    let mut on_progress = |p: export::ExportProgress| {
        done.store(p.done, Ordering::Relaxed);
        skipped.store(p.skipped, Ordering::Relaxed);
        notify();
    };
    export::export(&job, &options, &mut on_progress, cancel).map_err(|e| e.to_string())
}
