//! The export panel: what will be written (shapes, dtypes, bytes, free space), the equivalent command
//! line, and the export itself as one background job with progress, cancel and a final report. It calls
//! the same engine function as `batchscope export`, so the files are the same bytes.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError, sync_channel};
use std::thread::JoinHandle;
use std::time::Instant;

use egui::{Color32, RichText};
use serde::{Deserialize, Serialize};

use crate::command_line;
use crate::export::{self, ExportOptions, ExportReport, human_bytes};
use crate::index::DatasetIndex;
use crate::job::{self, SizeCheck};
use crate::loader::{LoadJob, Notify};
use crate::npy::{dtype_name, shape_repr};
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
    done: Arc<AtomicUsize>,
    total: Arc<AtomicUsize>,
    skipped: Arc<AtomicUsize>,
    cancel: Arc<AtomicBool>,
    started: Instant,
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

    fn free_space(&mut self, out: &str) -> Option<u64> {
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

/// What the user asked of the export panel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Start the export (`true`: into a non-empty folder, confirmed).
    Start(bool),
    /// Show the folder dialog for the output folder.
    ChooseFolder,
}

/// Draws the panel; returns what the user asked for.
pub fn export_ui(
    ui: &mut egui::Ui,
    panel: &mut ExportPanel,
    settings: &mut ExportSettings,
    source: Option<&Source<'_>>,
) -> Option<Action> {
    let mut start = None;
    if output_choice_ui(ui, settings) {
        start = Some(Action::ChooseFolder);
    }
    let Some(source) = source else {
        ui.weak("Open a dataset to export it.");
        return None;
    };
    let element = settings.element();
    let job = LoadJob {
        element,
        ..source.job.clone()
    };
    match export::plan_export(&job, settings.label_mode) {
        Ok(plan) => {
            ui.label(format!(
                "images {} {}",
                shape_repr(&plan.images_shape),
                dtype_name(plan.images_dtype)
            ));
            match &plan.labels {
                Some((shape, d)) => {
                    ui.label(format!("labels {} {}", shape_repr(shape), dtype_name(*d)))
                }
                None => ui.label("no labels file"),
            };
            let free = panel.free_space(&settings.out_dir);
            let free_text = free.map_or("unknown".to_owned(), human_bytes);
            let short = free.is_some_and(|f| f < plan.total_bytes);
            let text = format!(
                "about {} to write; {free_text} free",
                human_bytes(plan.total_bytes)
            );
            if short {
                ui.colored_label(Color32::from_rgb(255, 140, 140), text + " (not enough)");
            } else {
                ui.label(text);
            }
        }
        Err(err) => {
            ui.colored_label(Color32::from_rgb(255, 140, 140), err.to_string());
        }
    }
    let out = PathBuf::from(settings.out_dir.trim());
    // Until a folder is chosen, the command shows where it goes.
    let shown_out = if out.as_os_str().is_empty() {
        Path::new("OUT")
    } else {
        out.as_path()
    };
    let command = command_line::export_command(
        source.root,
        shown_out,
        source.load,
        element,
        settings.label_mode,
    );
    ui.horizontal(|ui| {
        ui.label("Same as:");
        if ui.small_button("Copy").clicked() {
            ui.ctx().copy_text(command.clone());
        }
    });
    ui.add(egui::Label::new(RichText::new(&command).monospace().small()).wrap());

    if panel.confirm_overwrite {
        ui.colored_label(
            Color32::from_rgb(240, 200, 120),
            format!("{out:?} is not empty. Replace batchscope's files in it?"),
        );
        ui.horizontal(|ui| {
            if ui.button("Replace").clicked() {
                start = Some(Action::Start(true));
            }
            if ui.button("Keep it").clicked() {
                panel.confirm_overwrite = false;
            }
        });
    } else if ui
        .add_enabled(!panel.is_running(), egui::Button::new("Export"))
        .clicked()
    {
        let non_empty = std::fs::read_dir(&out).is_ok_and(|mut d| d.next().is_some());
        if non_empty {
            panel.confirm_overwrite = true;
        } else {
            start = Some(Action::Start(false));
        }
    }
    if let Some(notice) = &panel.notice {
        ui.colored_label(Color32::from_rgb(240, 200, 120), notice);
    }
    state_ui(ui, panel);
    start
}

/// Returns true when the user asked for the folder dialog.
fn output_choice_ui(ui: &mut egui::Ui, settings: &mut ExportSettings) -> bool {
    let mut choose = false;
    let label = ui.horizontal(|ui| {
        let label = ui.label("Output folder");
        choose = ui.small_button("Choose…").clicked();
        label
    });
    let label = label.inner;
    ui.add(
        egui::TextEdit::singleline(&mut settings.out_dir)
            .hint_text("/path/to/arrays")
            .desired_width(f32::INFINITY),
    )
    .labelled_by(label.id);
    ui.horizontal(|ui| {
        let label = ui.label("dtype");
        egui::ComboBox::from_id_salt("export_dtype")
            .selected_text(if settings.dtype == Dtype::Uint8 {
                "uint8"
            } else {
                "float32"
            })
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut settings.dtype, Dtype::Uint8, "uint8");
                ui.selectable_value(&mut settings.dtype, Dtype::Float32, "float32");
            })
            .response
            .labelled_by(label.id);
        if settings.dtype == Dtype::Float32 {
            let label = ui.label("scale");
            egui::ComboBox::from_id_salt("export_scale")
                .selected_text(if settings.scale == Scale::To255 {
                    "0–255"
                } else {
                    "0–1"
                })
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut settings.scale, Scale::To255, "0–255");
                    ui.selectable_value(&mut settings.scale, Scale::To1, "0–1");
                })
                .response
                .labelled_by(label.id);
        }
    });
    ui.horizontal(|ui| {
        let label = ui.label("labels");
        egui::ComboBox::from_id_salt("export_label_mode")
            .selected_text(format!("{:?}", settings.label_mode).to_lowercase())
            .show_ui(ui, |ui| {
                for mode in [
                    LabelMode::Int,
                    LabelMode::Categorical,
                    LabelMode::Binary,
                    LabelMode::None,
                ] {
                    ui.selectable_value(
                        &mut settings.label_mode,
                        mode,
                        format!("{mode:?}").to_lowercase(),
                    );
                }
            })
            .response
            .labelled_by(label.id);
    });
    choose
}

fn state_ui(ui: &mut egui::Ui, panel: &mut ExportPanel) {
    match &panel.state {
        ExportState::Idle => {}
        ExportState::Running(running) => {
            let (done, total) = (
                running.done.load(Ordering::Relaxed),
                running.total.load(Ordering::Relaxed),
            );
            let elapsed = running.started.elapsed().as_secs_f32();
            let rate = if elapsed > 0.0 {
                done as f32 / elapsed
            } else {
                0.0
            };
            let left = if rate > 0.0 {
                (total.saturating_sub(done)) as f32 / rate
            } else {
                f32::NAN
            };
            let fraction = if total == 0 {
                0.0
            } else {
                done as f32 / total as f32
            };
            ui.add(egui::ProgressBar::new(fraction).text(format!("{done} / {total} images")));
            let skipped = running.skipped.load(Ordering::Relaxed);
            let left = if left.is_finite() {
                format!("{left:.0} s left")
            } else {
                "checking image sizes…".into()
            };
            ui.label(format!(
                "{rate:.0} images/s, {left}{}",
                if skipped > 0 {
                    format!(", {skipped} skipped")
                } else {
                    String::new()
                }
            ));
            if ui.button("Cancel export").clicked() {
                running.cancel.store(true, Ordering::Relaxed);
            }
        }
        ExportState::Cancelled => {
            ui.colored_label(
                Color32::from_rgb(240, 200, 120),
                "Export cancelled; its partial files were removed.",
            );
        }
        ExportState::Failed(message) => {
            ui.colored_label(
                Color32::from_rgb(255, 140, 140),
                format!("Export failed: {message}"),
            );
        }
        ExportState::Finished(finished) => finished_ui(ui, finished),
    }
}

fn finished_ui(ui: &mut egui::Ui, finished: &Finished) {
    let report = &finished.report;
    ui.label(
        RichText::new(format!(
            "Exported {} images in {:.1} s",
            report.exported,
            report.elapsed.as_secs_f64()
        ))
        .strong(),
    );
    for (path, len) in &report.files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        ui.monospace(format!("{:>9}  {name}", human_bytes(*len)));
    }
    if !report.skipped.is_empty() {
        ui.colored_label(
            Color32::from_rgb(255, 140, 140),
            format!("{} files skipped (see skipped.csv):", report.skipped.len()),
        );
        for failure in report.skipped.iter().take(20) {
            ui.label(format!(
                "{}: {}",
                failure.rel_path.to_string_lossy(),
                failure.reason
            ));
        }
    }
    if ui.button("Open folder").clicked() {
        open_in_file_manager(&finished.out);
    }
    let snippet = python_snippet(
        &finished.out,
        report.files.iter().any(|(p, _)| p.ends_with("labels.npy")),
    );
    ui.horizontal(|ui| {
        ui.label("Load it in Python:");
        if ui.small_button("Copy").clicked() {
            ui.ctx().copy_text(snippet.clone());
        }
    });
    ui.add(egui::Label::new(RichText::new(snippet).monospace().small()).wrap());
}

/// Python that loads an export folder.
pub fn python_snippet(out: &Path, has_labels: bool) -> String {
    let dir = serde_json::to_string(&out.to_string_lossy()).unwrap_or_else(|_| "\"out\"".into());
    let mut s = format!(
        "import json, os, numpy as np\nout = {dir}\nx = np.load(os.path.join(out, \"images.npy\"))\n"
    );
    if has_labels {
        s.push_str("y = np.load(os.path.join(out, \"labels.npy\"))\n");
    }
    s.push_str("class_names = json.load(open(os.path.join(out, \"class_names.json\")))\n");
    s
}

fn open_in_file_manager(path: &Path) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    // Best effort: without a file manager there is nothing else to do; the path is on screen.
    let _ = std::process::Command::new(opener).arg(path).spawn();
}
