//! The Health view's state and its background work: the health pass runs as one [`Job`] (progress in
//! atomics, cancel through the job's flag) while the previous findings stay on screen; a finished pass
//! is kept as a [`Scan`], so moving the near-duplicate threshold only re-runs [`health::analyze`] (no
//! pixel is read again). Thumbnails of the images the view lists are loaded by a second, sequential
//! loader at a small size. Saving an exclusion list happens here, in the logic step, never in drawing.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::background::{Job, Received};
use crate::health::exclusion_list::{self, ExcludeKind};
use crate::health::{self, Findings, Scan, ScanOptions, ScanProgress, Thresholds};
use crate::index::DatasetIndex;
use crate::load::loader::{Notify, SampleFailure};
use crate::options::LoadOptions;

use super::thumbnails::{THUMB_BYTES, Thumbnails};

/// Bytes of thumbnails kept on the GPU beyond those in view (a thousand): past this, those out of
/// view are freed.
const KEPT_THUMB_BYTES: usize = 1000 * THUMB_BYTES;

/// Which part of the findings the Health view shows below its summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Section {
    /// Leaks and duplicate groups.
    #[default]
    Groups,
    /// Flagged images, kind by kind.
    Flags,
    /// The annotation checks' findings.
    Objects,
    /// Mean and std, and the plots.
    Statistics,
    /// Training against validation (a pass over both sides of a split).
    Compare,
    /// What to leave out of the export.
    Exclude,
}

/// A health pass in progress.
pub struct Running {
    /// Samples done, of `total`.
    pub done: Arc<AtomicUsize>,
    /// Planned samples (0 until the pass knows).
    pub total: Arc<AtomicUsize>,
    /// When it started.
    pub started: Instant,
    job: Job<Result<Scan, String>>,
}

/// A finished pass and what it found at the current thresholds.
pub struct Measured {
    /// The measures (kept to regroup without reading pixels).
    pub scan: Arc<Scan>,
    /// The findings at `thresholds`.
    pub findings: Findings,
    /// How long the pass took.
    pub elapsed: Duration,
    /// Which pass this is (1 for the first of the session), so a new result opens scrolled to its top.
    pub number: u64,
    /// The statistics' plots, made from `scan` once.
    pub plots: super::health_stats::StatsPlots,
    /// The objects' plots, for a dataset that annotates objects.
    pub objects: Option<super::health_objects::ObjectPlots>,
    /// Training against validation, when the pass covers both sides of a split.
    pub compare: Option<super::split_compare::SplitPlots>,
    /// What the view lists and counts of `findings`, made whenever they change.
    pub listing: super::health_groups::Listing,
}

/// The Health view's state.
#[derive(Default)]
pub struct HealthPanel {
    /// The pass running now, if any.
    pub running: Option<Running>,
    /// The last finished pass (kept on screen while a new one runs).
    pub result: Option<Measured>,
    /// Why the last pass failed or was refused (stored arrays, a bad plan), or that it was cancelled.
    pub message: Option<String>,
    /// Near-duplicate threshold in differing hash bits (0..=64).
    pub near_distance: u32,
    /// What is marked for exclusion, in the order marked (an image's reason is its first).
    pub marked: Vec<ExcludeKind>,
    /// Where the exclusion list is saved.
    pub list_path: String,
    /// How many images `marked` selects, counted when either changes.
    marked_count: usize,
    /// The exclusion list last saved (the export panel offers it).
    pub saved_list: Option<(PathBuf, usize)>,
    /// A note about the last save.
    pub save_notice: Option<String>,
    /// Thumbnails of the images the view lists.
    pub thumbs: Thumbnails,
    /// The part of the findings on screen.
    pub section: Section,
    /// The channel mean and std of the last pass that measured them, kept when another dataset
    /// opens: the viewer de-normalises a dataset's normalised arrays with the image folder's.
    pub last_measured: Option<crate::health::ChannelStats>,
    /// The scroll offset of the list on screen, in points, as last drawn.
    pub list_offset: f32,
    /// The samples whose tiles were drawn last frame: their thumbnails are loaded next.
    pub visible: Vec<usize>,
    /// Whether the pass was started for this dataset without a click (the Health view was opened).
    auto_started: bool,
    /// Files the last pass could not load, until the Problems panel takes them.
    failures: Vec<SampleFailure>,
}

impl HealthPanel {
    /// A panel with the default threshold.
    pub fn new() -> Self {
        Self {
            near_distance: health::DEFAULT_NEAR_DISTANCE,
            thumbs: Thumbnails::new("health", KEPT_THUMB_BYTES),
            ..Self::default()
        }
    }

    /// Whether a pass is running.
    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// Progress of the running pass: `(done, total, images per second)`.
    pub fn progress(&self) -> Option<(usize, usize, f64)> {
        let r = self.running.as_ref()?;
        let done = r.done.load(Ordering::Relaxed);
        let secs = r.started.elapsed().as_secs_f64();
        let rate = if secs > 0.0 { done as f64 / secs } else { 0.0 };
        Some((done, r.total.load(Ordering::Relaxed), rate))
    }

    /// Starts a pass over `index` with the viewer's `options`. With a validation split the pass covers
    /// both subsets (the subset is dropped), so that leaks across the split are found. A running pass
    /// is replaced (it is cancelled and finishes on its own).
    pub fn start(&mut self, index: Arc<DatasetIndex>, options: &LoadOptions, notify: Notify) {
        let mut options = options.clone();
        if options.plan.validation_split.is_some() {
            options.plan.subset = None;
        }
        let (done, total) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (d, t) = (Arc::clone(&done), Arc::clone(&total));
        let wake = Arc::clone(&notify);
        let spawned = Job::spawn("batchscope-health", 1, Some(wake), move |out| {
            let mut on_progress = |p: ScanProgress| {
                d.store(p.done, Ordering::Relaxed);
                t.store(p.total, Ordering::Relaxed);
                notify();
            };
            let result = health::scan(
                index,
                &options,
                &ScanOptions::default(),
                &mut on_progress,
                out.cancel_flag(),
            )
            .map_err(|e| e.to_string());
            out.send(result);
        });
        self.message = None;
        match spawned {
            Ok(job) => {
                self.running = Some(Running {
                    done,
                    total,
                    started: Instant::now(),
                    job,
                });
            }
            Err(err) => self.message = Some(format!("cannot start the health thread: {err}")),
        }
    }

    /// Runs the pass once per dataset without a click, when the Health view is on screen and the
    /// dataset `ready` is (a pass from the cache finishes at once). A cancelled or failed pass is not
    /// started again by itself.
    pub fn run_on_first_view(&mut self, ready: Option<&super::session::Ready>, notify: &Notify) {
        let Some(ready) = ready else { return };
        if self.auto_started || self.result.is_some() || self.is_running() {
            return;
        }
        self.auto_started = true;
        if ready.index.store.decodes_images() {
            self.start(Arc::clone(&ready.index), &ready.options, Arc::clone(notify));
        }
    }

    /// The files the last finished pass could not load, once (for the Problems panel).
    pub fn take_failures(&mut self) -> Vec<SampleFailure> {
        std::mem::take(&mut self.failures)
    }

    /// Cancels the running pass; the previous findings stay.
    pub fn cancel(&mut self) {
        if let Some(running) = self.running.take() {
            running.job.cancel();
            self.message = Some("Health pass cancelled.".into());
        }
    }

    /// The last measured channel mean and std as a de-normalisation, if a pass measured them.
    pub fn measured_denormalise(&self) -> Option<super::display::Denormalise> {
        super::display::Denormalise::measured(self.last_measured.as_ref()?)
    }

    /// Forgets everything (another dataset was opened).
    pub fn clear(&mut self) {
        let near_distance = self.near_distance;
        let last_measured = self.last_measured.take();
        *self = Self::new();
        self.near_distance = near_distance;
        self.last_measured = last_measured;
    }

    /// Collects a finished pass and decoded thumbnails, and loads the thumbnails of the tiles in view
    /// (logic step only).
    pub fn poll(&mut self, notify: &Notify) {
        self.poll_pass();
        if let Some(result) = &self.result {
            self.thumbs.poll(&result.scan.index);
        }
        self.load_visible(notify);
    }

    fn poll_pass(&mut self) {
        let Some(running) = &self.running else { return };
        let result = match running.job.try_recv() {
            Received::Item(result) => result,
            Received::Empty => return,
            Received::Died(message) => {
                Err(format!("the health pass stopped unexpectedly: {message}"))
            }
            Received::Finished => Err("the health pass stopped without a result".into()),
        };
        let elapsed = running.started.elapsed();
        self.running = None;
        match result {
            Ok(scan) => {
                self.failures.clone_from(&scan.failures);
                let scan = Arc::new(scan);
                let findings = health::analyze(&scan, &self.thresholds());
                let number = self.result.as_ref().map_or(1, |r| r.number + 1);
                self.thumbs.clear();
                self.visible.clear();
                let compare = super::split_compare::SplitPlots::of(&scan);
                self.section = first_section(&findings, self.section, compare.is_some());
                if !findings.channels.mean.is_empty() {
                    self.last_measured = Some(findings.channels.clone());
                }
                self.result = Some(Measured {
                    plots: super::health_stats::StatsPlots::of(&scan),
                    objects: super::health_objects::ObjectPlots::of(
                        &scan,
                        findings.objects.as_ref(),
                    ),
                    compare,
                    listing: super::health_groups::Listing::of(&findings),
                    scan,
                    findings,
                    elapsed,
                    number,
                });
                self.marked_count = self.selected().len();
            }
            Err(message) => self.message = Some(message),
        }
    }

    fn thresholds(&self) -> Thresholds {
        Thresholds {
            near_distance: self.near_distance.min(64),
            ..Thresholds::default()
        }
    }

    /// Regroups at the current threshold: no pixel is read.
    pub fn reanalyze(&mut self) {
        let thresholds = self.thresholds();
        if let Some(result) = &mut self.result {
            health::regroup(&result.scan, &mut result.findings, thresholds.near_distance);
            result.listing = super::health_groups::Listing::of(&result.findings);
            self.section = first_section(&result.findings, self.section, result.compare.is_some());
            self.marked_count = self.selected().len();
        }
    }

    /// Loads the thumbnails of the tiles in view that have none yet.
    fn load_visible(&mut self, notify: &Notify) {
        let Some(result) = &self.result else { return };
        self.thumbs
            .request(&result.scan.index, &self.visible, notify);
    }

    /// Uploads decoded thumbnails to the GPU, a budget of them per frame.
    pub fn upload_thumbnails(&mut self, ctx: &egui::Context) {
        self.thumbs.upload(ctx);
    }

    /// Marks or unmarks `kind` for exclusion.
    pub fn mark(&mut self, kind: ExcludeKind, on: bool) {
        self.marked.retain(|&k| k != kind);
        if on {
            self.marked.push(kind);
        }
        self.marked_count = self.selected().len();
    }

    /// How many images are marked for exclusion (counted when the marks or the findings change).
    pub fn marked_count(&self) -> usize {
        self.marked_count
    }

    /// The images marked for exclusion, with their reasons.
    pub fn selected(&self) -> Vec<(usize, String)> {
        let Some(result) = &self.result else {
            return Vec::new();
        };
        exclusion_list::select(&result.scan, &result.findings, &self.marked)
    }

    /// Writes the marked images to `path` in the format `batchscope export --exclude-list` reads.
    pub fn save_list(&mut self, path: &Path) {
        let Some(result) = &self.result else { return };
        let selected = self.selected();
        let bytes = exclusion_list::list_bytes(&result.scan, &selected);
        match std::fs::write(path, bytes) {
            Ok(()) => {
                self.saved_list = Some((path.to_path_buf(), selected.len()));
                self.save_notice = Some(format!(
                    "Saved {} paths to {path:?}; the export panel can leave them out.",
                    selected.len()
                ));
            }
            Err(err) => {
                self.save_notice =
                    Some(format!("Cannot write the exclusion list: {err}: {path:?}"));
            }
        }
    }
}

/// The section to show of `findings`: `current` if it has something, else the first that does.
fn first_section(findings: &Findings, current: Section, compare: bool) -> Section {
    let groups = !findings.leaks.is_empty() || !findings.duplicates.is_empty();
    let flags = !findings.flags.is_empty();
    let objects = findings
        .objects
        .as_ref()
        .is_some_and(|o| !o.findings.is_empty());
    match current {
        Section::Groups if groups => current,
        Section::Flags if flags => current,
        Section::Objects if objects => current,
        Section::Statistics => current,
        Section::Compare if compare => current,
        Section::Exclude if groups || flags => current,
        _ if groups => Section::Groups,
        _ if flags => Section::Flags,
        _ if objects => Section::Objects,
        _ => Section::Statistics,
    }
}

/// A default place for the exclusion list: beside the dataset, named after it.
pub fn default_list_path(root: &Path) -> String {
    let name = root
        .file_name()
        .map_or_else(|| "dataset".into(), |n| n.to_string_lossy().into_owned());
    root.with_file_name(format!("{name}-excluded.txt"))
        .to_string_lossy()
        .into_owned()
}
