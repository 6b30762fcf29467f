//! The export panel: what will be written (shapes, dtypes, bytes, free space), the equivalent command
//! line, and the export itself as one background job with progress, cancel and a final report. It calls
//! the same engine function as `batchscope export`, so the files are the same bytes.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError, sync_channel};
use std::thread::JoinHandle;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::export::{self, ExportOptions, ExportReport};
use crate::index::DatasetIndex;
use crate::job::{self, SizeCheck};
use crate::loader::{LoadJob, Notify};
use crate::options::{Dtype, LabelMode, LoadOptions, Scale};
use crate::preprocess::Element;

/// The export choices remembered between runs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExportSettings {
    /// Output folder as typed.
    pub out_dir: String,
    /// Element type of `images.npy`.
    pub dtype: Dtype,
    /// Value range of float32 images.
    pub scale: Scale,
    /// Label encoding.
    pub label_mode: LabelMode,
}

impl ExportSettings {
    /// The element type these settings ask for.
    pub fn element(&self) -> Element {
        let scale = if self.dtype == Dtype::Float32 {
            self.scale
        } else {
            Scale::To255
        };
        Element {
            dtype: self.dtype,
            scale,
        }
    }
}

/// An export running on its thread.
pub struct Running {
    /// Where it writes.
    pub out: PathBuf,
    pub(super) done: Arc<AtomicUsize>,
    pub(super) total: Arc<AtomicUsize>,
    pub(super) skipped: Arc<AtomicUsize>,
    pub(super) cancel: Arc<AtomicBool>,
    pub(super) started: Instant,
    result: Receiver<Result<ExportReport, String>>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            // The export checks the flag between samples and removes its partial files.
            let _ = thread.join();
        }
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
    free_space: Option<(String, Option<u64>)>,
}

/// What the dataset on screen offers the export panel.
pub struct Source<'a> {
    /// The dataset folder.
    pub root: &'a Path,
    /// Its index (reused when the index options are unchanged).
    pub index: &'a Arc<DatasetIndex>,
    /// The viewer's job (plan and shape).
    pub job: &'a LoadJob,
    /// The loader options on screen.
    pub load: &'a LoadOptions,
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
        let result = match running.result.try_recv() {
            Ok(result) => result,
            Err(TryRecvError::Empty) => return,
            Err(TryRecvError::Disconnected) => Err("the export thread stopped unexpectedly".into()),
        };
        let out = running.out.clone();
        let cancelled = running.cancel.load(Ordering::Relaxed);
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
        let cancel = Arc::new(AtomicBool::new(false));
        let (tx, rx) = sync_channel(1);
        let index = Arc::clone(source.index);
        let load = source.load.clone();
        let element = settings.element();
        let options = ExportOptions {
            out: out.clone(),
            label_mode: settings.label_mode,
            overwrite,
            strict: false,
            prefetch: 4,
        };
        let (d, t, s, c) = (
            Arc::clone(&done),
            Arc::clone(&total),
            Arc::clone(&skipped),
            Arc::clone(&cancel),
        );
        let spawned = std::thread::Builder::new()
            .name("batchscope-export".into())
            .spawn(move || {
                let result = run_export(index, &load, element, &options, (&d, &t, &s), &c, &notify);
                let _ = tx.send(result);
                notify();
            });
        match spawned {
            Ok(thread) => {
                self.state = ExportState::Running(Running {
                    out,
                    done,
                    total,
                    skipped,
                    cancel,
                    started: Instant::now(),
                    result: rx,
                    thread: Some(thread),
                });
            }
            Err(err) => {
                self.state = ExportState::Failed(format!("cannot start the export thread: {err}"));
            }
        }
    }

    /// Asks the running export to stop; it removes its partial files.
    pub fn cancel(&self) {
        if let ExportState::Running(running) = &self.state {
            running.cancel.store(true, Ordering::Relaxed);
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

    pub(super) fn free_space(&mut self, out: &str) -> Option<u64> {
        if self.free_space.as_ref().is_none_or(|(path, _)| path != out) {
            // The nearest existing folder: the output folder may not exist yet.
            let mut dir = Path::new(out);
            while !dir.exists() {
                dir = dir.parent().unwrap_or(Path::new("/"));
            }
            self.free_space = Some((out.to_owned(), fs4::available_space(dir).ok()));
        }
        self.free_space.as_ref().and_then(|(_, free)| *free)
    }
}

/// Runs on the export thread: plan with every header checked, then the engine's export.
fn run_export(
    index: Arc<DatasetIndex>,
    load: &LoadOptions,
    element: Element,
    options: &ExportOptions,
    (done, total, skipped): (&AtomicUsize, &AtomicUsize, &AtomicUsize),
    cancel: &AtomicBool,
    notify: &Notify,
) -> Result<ExportReport, String> {
    let job = Arc::new(
        job::prepare(index, load, element, SizeCheck::AllFiles, cancel)
            .map_err(|e| e.to_string())?,
    );
    total.store(job.plan.len(), Ordering::Relaxed);
    let mut on_progress = |p: export::ExportProgress| {
        done.store(p.done, Ordering::Relaxed);
        skipped.store(p.skipped, Ordering::Relaxed);
        notify();
    };
    export::export(&job, options, &mut on_progress, cancel).map_err(|e| e.to_string())
}
