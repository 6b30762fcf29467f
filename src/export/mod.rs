//! Export: streams every batch of a plan into `images.npy`, `labels.npy`, `class_names.json`,
//! `manifest.csv` and `skipped.csv`, in one pass, so row `i` of every file describes the same sample.
//!
//! Guarantees: memory is bounded by the loader's byte budget, not by N or the batch size; the `.npy` headers are
//! rewritten in place for the final N when files were skipped; all or nothing: everything is written
//! into a staging folder and swapped into place in one atomic step once complete and synced (see
//! [`staging`]), so a cancelled, failed or killed export leaves the earlier export whole; the free
//! space is checked before the first byte is written; an export that could read no image at all is a
//! failure, not an empty success.

mod arrays;
pub mod corrections;
pub mod exclude_list;
pub mod merge;
pub mod objects;
pub mod record;
mod shard_files;
mod staging;
mod writer;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::index::StoredRows;
use crate::load::loader::{LoadSpec, Loader, LoaderStopped, SampleFailure};
use crate::npy::NpyDtype;
use crate::options::{ArrayDtype, ArrayFormat, Dtype, LabelMode, Layout};
use crate::plan::BatchPlan;
use crate::plan::shard::ShardSpec;
pub use objects::BoxOptions;
use writer::Writer;

/// The files an export writes into its output folder.
pub const OUTPUT_FILES: [&str; 14] = [
    "images.npy",
    "arrays.npz",
    "labels.npy",
    "boxes.npy",
    "box_classes.npy",
    "num_boxes.npy",
    "masks.npy",
    "class_names.json",
    "class_ids.json",
    "manifest.csv",
    "skipped.csv",
    "excluded.csv",
    "warnings.csv",
    "corrections_applied.csv",
];

/// Export choices beyond the loader's.
#[derive(Clone, Debug)]
pub struct ExportOptions {
    /// Output folder (created if missing).
    pub out: PathBuf,
    /// Label encoding.
    pub label_mode: LabelMode,
    /// Replace batchscope's files in a non-empty output folder.
    pub overwrite: bool,
    /// Fail on the first file that cannot be loaded.
    pub strict: bool,
    /// Bytes of decoded rows allowed to wait for the writer (the loader's memory budget).
    pub queue_bytes: usize,
    /// Samples the user left out of the job's plan ([`exclude_list::apply`]): written to `excluded.csv`
    /// when there are any.
    pub excluded: Vec<exclude_list::Excluded>,
    /// Axis order, element type and file format of the arrays.
    pub arrays: ArrayOptions,
    /// Write only this shard of the plan, beside the other shards' files in the output folder.
    pub shard: Option<ShardSpec>,
    /// The corrections applied to the job ([`corrections::apply`]): the manifest gains
    /// `original_label`, and `corrections_applied.csv` is written.
    pub corrections: Option<Arc<corrections::CorrectionsApplied>>,
    /// The form of `boxes.npy` (used when the dataset annotates objects; see [`objects`]).
    pub boxes: BoxOptions,
}

/// The form of the exported arrays.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ArrayOptions {
    /// `nhwc` (Keras) or `nchw` (PyTorch).
    pub layout: Layout,
    /// Element type of the images; float16 is cast from the loader's float32 (so the job's element
    /// must be float32 for it).
    pub dtype: ArrayDtype,
    /// One `.npy` per array, or one `.npz` of them.
    pub format: ArrayFormat,
    /// Deflate the `.npz` members (stored otherwise, as `np.savez`).
    pub compress: bool,
}

/// How the files of one export are named: `images.npy`, or `images-00002-of-00004.npy` for a shard.
/// `class_names.json`, `excluded.csv` and `corrections_applied.csv` are shared by the shards and
/// keep their names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Names {
    /// The shard whose files these are.
    pub shard: Option<ShardSpec>,
}

impl Names {
    /// The name of file `stem` with extension `ext`.
    pub fn file(self, stem: &str, ext: &str) -> String {
        match self.shard {
            Some(spec) => spec.file_name(stem, ext),
            None => format!("{stem}.{ext}"),
        }
    }

    /// The name of array `name`'s `.npy` file.
    pub fn array(self, name: &str) -> String {
        self.file(name, "npy")
    }

    /// The shard's record, `shard-00002-of-00004.json` (`None` for a whole export).
    pub fn record(self) -> Option<String> {
        self.shard.map(|spec| spec.file_name("shard", "json"))
    }
}

/// How far an export has got.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExportProgress {
    /// Samples processed (written or skipped).
    pub done: usize,
    /// Samples in the plan.
    pub total: usize,
    /// Samples skipped so far.
    pub skipped: usize,
}

/// What an export wrote.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportReport {
    /// Rows in the arrays.
    pub exported: usize,
    /// Files that could not be loaded, with reasons, in plan order.
    pub skipped: Vec<SampleFailure>,
    /// Files exported whose decoder warned of corrupt data it recovered from (`--jpeg exact`), in plan
    /// order: written to `warnings.csv` (a shard's `warnings-I-of-N.csv`) when there are any.
    pub warned: Vec<SampleFailure>,
    /// Files written, with their sizes in bytes.
    pub files: Vec<(PathBuf, u64)>,
    /// Boxes left out of `boxes.npy` because the crop (`--crop-to-aspect-ratio`) cut them away whole.
    pub boxes_dropped: usize,
    /// Wall time.
    pub elapsed: Duration,
}

/// Why an export did not complete. Nothing that looks like a finished export is left behind.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The label mode does not fit the dataset.
    #[error("{0}")]
    LabelMode(String),
    /// The plan holds no samples.
    #[error("no images to export in {path:?} ({layout})")]
    Empty {
        /// The dataset.
        path: PathBuf,
        /// The layout its kind of source expects ([`crate::index::EncodedImages::expected_layout`]).
        layout: &'static str,
    },
    /// Every image an annotated source names was left out while it was read (bad annotations,
    /// missing images): the problem is the samples, not the layout.
    #[error(
        "no images to export in {path:?}: every one was left out, with {problems} problem(s) listed; the first: {first:?}: {reason}"
    )]
    AllLeftOut {
        /// The dataset.
        path: PathBuf,
        /// How many problems the source listed.
        problems: usize,
        /// The file of the first problem.
        first: PathBuf,
        /// Its reason.
        reason: String,
    },
    /// A source other than a folder holds no sample (zero elements, zero rows, no good record).
    #[error("nothing to export: {what} holds no samples: {path:?}")]
    EmptySource {
        /// The source, described.
        what: String,
        /// Its path.
        path: PathBuf,
    },
    /// The output path is a file.
    #[error("the output path is a file, not a folder: {0:?}")]
    OutIsFile(PathBuf),
    /// The output path is a symbolic link (an export replaces the folder at its path).
    #[error(
        "the output path is a symbolic link; give the folder it points to, or a new folder: {0:?}"
    )]
    OutIsLink(PathBuf),
    /// The output folder holds something batchscope did not write (a user's file, a subfolder, an older
    /// version's `*.partial`): an export replaces the whole folder, so it is refused rather than risk it.
    #[error(
        "the output folder holds {file:?}, which batchscope did not write; an export replaces the whole folder, so give it a folder of its own (new, empty, or holding only an earlier export): {path:?}"
    )]
    OutHasOtherFiles {
        /// The first such entry.
        file: PathBuf,
        /// The output folder.
        path: PathBuf,
    },
    /// The output path does not end in a folder name (`.`, `..`, `/`, `a/b/..`).
    #[error("the output path must end in the output folder's name (not ., .. or /): {0:?}")]
    OutNotNamed(PathBuf),
    /// The output folder is a mount point: the staging folder beside it would be on another filesystem.
    #[error(
        "the output folder is a mount point (another filesystem than the folder holding it), so it cannot be replaced in one step; export into a folder inside it: {0:?}"
    )]
    OutIsMountPoint(PathBuf),
    /// The output folder is inside the dataset, where the next index would read it as data.
    #[error(
        "the output folder is inside the dataset folder {dataset:?}, where it would be read as a class next time; choose a folder outside it: {path:?}"
    )]
    OutInsideDataset {
        /// The dataset folder.
        dataset: PathBuf,
        /// The output folder.
        path: PathBuf,
    },
    /// Another export is writing to the same folder.
    #[error("another batchscope export is writing to this folder; wait for it to finish: {0:?}")]
    Busy(PathBuf),
    /// The output folder was deleted or replaced while the export ran.
    #[error(
        "the output folder was deleted or replaced while exporting; nothing was written: {0:?}"
    )]
    OutReplaced(PathBuf),
    /// Every planned file failed to load.
    #[error(
        "no image could be read: all {count} files were skipped{where_}",
        where_ = if *skipped_csv { " (reasons in skipped.csv)" } else { "; the earlier export was kept" }
    )]
    NothingExported {
        /// Files skipped.
        count: usize,
        /// Their reasons, in plan order.
        skipped: Vec<SampleFailure>,
        /// Whether `skipped.csv` was written to the output folder.
        skipped_csv: bool,
    },
    /// The loader thread panicked (a bug).
    #[error("the loader stopped unexpectedly: {0}")]
    LoaderDied(String),
    /// The output folder has files and overwriting was not asked for.
    #[error(
        "the output folder is not empty (use --overwrite to replace batchscope's files in it): {0:?}"
    )]
    OutNotEmpty(PathBuf),
    /// Not enough free space for the output.
    #[error(
        "not enough free disk space: the export needs {needed} bytes ({needed_h}) but only {available} bytes ({available_h}) are free at {path:?}"
    )]
    NoSpace {
        /// Bytes needed.
        needed: u64,
        /// Human-readable bytes needed.
        needed_h: String,
        /// Bytes available.
        available: u64,
        /// Human-readable bytes available.
        available_h: String,
        /// The output folder.
        path: PathBuf,
    },
    /// A file operation failed.
    #[error("{action} failed: {source}: {path:?}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// `strict` was set and a file could not be loaded.
    #[error("cannot load an image (strict mode): {reason}: {path:?}")]
    Strict {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The loader thread could not start.
    #[error("cannot start the loader thread: {0}")]
    Thread(io::Error),
    /// Cancelled by the user.
    #[error("export cancelled; no output was kept")]
    Cancelled,
}

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> ExportError + 'a {
    move |source| ExportError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// Formats a byte count for people (`3.9 GB`).
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    #[allow(clippy::cast_precision_loss)]
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// One `.npy` file an export will write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedArray {
    /// File name without `.npy` (`images`, `labels`, a dict key of a saved dataset).
    pub name: String,
    /// The array's shape, rows first.
    pub shape: Vec<usize>,
    /// Its numpy dtype.
    pub dtype: NpyDtype,
    /// The stored column it copies (stored sources), or `None` for images and labels made by the loader.
    pub column: Option<usize>,
}

/// The shapes and sizes an export of `job` will write, for showing before it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportPlan {
    /// The arrays, in writing order (`images` first when there is one).
    pub arrays: Vec<PlannedArray>,
    /// Bytes of the arrays plus an estimate for the CSV files.
    pub total_bytes: u64,
}

impl ExportPlan {
    /// The array named `name`, if written.
    pub fn array(&self, name: &str) -> Option<&PlannedArray> {
        self.arrays.iter().find(|a| a.name == name)
    }

    /// Whether the image size is still unknown (no header of the planned files was readable).
    pub fn size_unknown(&self) -> bool {
        self.array("images")
            .is_some_and(|a| a.column.is_none() && a.shape[1..].contains(&0))
    }
}

/// Checks the label mode against the dataset and computes what will be written (NHWC arrays of the
/// job's element type).
pub fn plan_export(job: &LoadSpec, label_mode: LabelMode) -> Result<ExportPlan, ExportError> {
    let arrays = ArrayOptions {
        dtype: job.element.dtype.into(),
        ..ArrayOptions::default()
    };
    plan_export_with(job, label_mode, arrays)
}

/// [`plan_export`] with the arrays' layout and dtype.
pub fn plan_export_with(
    job: &LoadSpec,
    label_mode: LabelMode,
    form: ArrayOptions,
) -> Result<ExportPlan, ExportError> {
    plan_padded(job, label_mode, form, objects::max_objects(job))
}

/// [`plan_export_with`], the annotation arrays padded to `max_objects` (a shard's are padded to the
/// whole plan's largest count).
fn plan_padded(
    job: &LoadSpec,
    label_mode: LabelMode,
    form: ArrayOptions,
    max_objects: usize,
) -> Result<ExportPlan, ExportError> {
    let index = &job.index;
    let classes = index.class_names.len();
    let n = job.plan.len();
    if let Some(rows) = index.store.rows() {
        return plan_stored(job, rows, label_mode);
    }
    match label_mode {
        LabelMode::None => {}
        _ if !index.labeled => {
            return Err(ExportError::LabelMode(
                "labels are off (--labels none), so the label mode must be none".into(),
            ));
        }
        LabelMode::Binary if classes != 2 => {
            return Err(ExportError::LabelMode(format!(
                "label mode binary needs exactly 2 classes, found {classes}: {}",
                index.class_names.join(", ")
            )));
        }
        _ => {}
    }
    let s = job.shape;
    let mut arrays = vec![PlannedArray {
        name: "images".to_owned(),
        shape: match form.layout {
            Layout::Nhwc => vec![n, s.height, s.width, s.channels],
            Layout::Nchw => vec![n, s.channels, s.height, s.width],
        },
        dtype: match (job.element.dtype, form.dtype) {
            (Dtype::Uint8, _) => NpyDtype::U8,
            (Dtype::Float32, ArrayDtype::Float16) => NpyDtype::F16,
            (Dtype::Float32, _) => NpyDtype::F32,
        },
        column: None,
    }];
    // Stored label values (TFRecord's int64) are kept as they are; class indices are Keras's int32.
    let int_dtype = if index.label_values.is_some() {
        NpyDtype::I64
    } else {
        NpyDtype::I32
    };
    let labels = match label_mode {
        LabelMode::Int => Some((vec![n], int_dtype)),
        LabelMode::Categorical => Some((vec![n, classes], NpyDtype::F32)),
        LabelMode::Binary => Some((vec![n, 1], NpyDtype::F32)),
        LabelMode::None => None,
    };
    if let Some((shape, dtype)) = labels {
        arrays.push(PlannedArray {
            name: "labels".to_owned(),
            shape,
            dtype,
            column: None,
        });
    }
    arrays.extend(objects::planned_arrays(job, n, max_objects));
    Ok(with_total_bytes(job, arrays))
}

/// The plan of a stored source: every column as stored (the label column left out with label mode
/// `none`); any other label mode is refused, since stored labels are kept as they are.
fn plan_stored(
    job: &LoadSpec,
    rows: &dyn StoredRows,
    label_mode: LabelMode,
) -> Result<ExportPlan, ExportError> {
    if matches!(label_mode, LabelMode::Categorical | LabelMode::Binary) {
        return Err(ExportError::LabelMode(format!(
            "label mode {label_mode} re-encodes labels, but {} keeps its arrays as stored; use label mode int (as stored) or none",
            rows.describe()
        )));
    }
    let n = job.plan.len();
    let arrays = rows
        .columns()
        .iter()
        .enumerate()
        .filter(|(i, _)| !(label_mode == LabelMode::None && rows.label_column() == Some(*i)))
        .map(|(i, column)| PlannedArray {
            name: column.name.clone(),
            shape: std::iter::once(n)
                .chain(column.row_shape.iter().copied())
                .collect(),
            dtype: column.dtype,
            column: Some(i),
        })
        .collect();
    Ok(with_total_bytes(job, arrays))
}

/// The plan of `arrays`, with the bytes they and the other files will take: exact when no file is
/// skipped (an estimate 15% high read as a bug), and an upper bound otherwise, since a skipped sample
/// only removes an array row and a manifest line (its `skipped.csv` line is shorter than both).
fn with_total_bytes(job: &LoadSpec, arrays: Vec<PlannedArray>) -> ExportPlan {
    let arrays_bytes: u64 = arrays
        .iter()
        .map(|a| {
            let data = a.shape.iter().product::<usize>() * a.dtype.size();
            (crate::npy::header(a.dtype, &a.shape).len() + data) as u64
        })
        .sum();
    let index = &job.index;
    let class_fields: Vec<u64> = index
        .class_names
        .iter()
        .map(|name| csv_field_len(name.as_bytes()))
        .collect();
    // index,path,label,class_name: the row number, the path, the label value and the class name.
    let manifest: u64 = b"index,path,label,class_name\n".len() as u64
        + (0..job.plan.order.len())
            .zip(&job.plan.order)
            .filter_map(|(row, &i)| index.samples.get(i).map(|s| (row, s)))
            .map(|(row, sample)| {
                let (label, class) = sample.label.map_or((0, 0), |l| {
                    let value = index.label_value(l).to_string().len() as u64;
                    (value, class_fields.get(l as usize).copied().unwrap_or(0))
                });
                decimal_len(row)
                    + csv_field_len(&manifest_path_bytes(&sample.rel_path))
                    + label
                    + class
                    + 4
            })
            .sum::<u64>();
    let class_names_json = serde_json::to_vec(&exported_class_names(index))
        .map_or(0, |v| v.len() as u64)
        + index
            .object_classes
            .as_ref()
            .and_then(|c| serde_json::to_vec(&c.ids).ok())
            .map_or(0, |v| v.len() as u64);
    let skipped: u64 = b"path,reason\n".len() as u64
        + index
            .warnings
            .iter()
            .map(|w| {
                csv_field_len(w.path.as_os_str().as_encoded_bytes())
                    + csv_field_len(w.reason.as_bytes())
                    + 2
            })
            .sum::<u64>();
    ExportPlan {
        arrays,
        total_bytes: arrays_bytes + manifest + class_names_json + skipped,
    }
}

/// What `class_names.json` holds: the object classes of a detection or segmentation dataset (the
/// classes `box_classes.npy` indexes), else the image classes.
pub fn exported_class_names(index: &crate::index::DatasetIndex) -> &[String] {
    index
        .object_classes
        .as_ref()
        .map_or(&index.class_names, |c| &c.names)
}

/// Digits of `n` in decimal.
fn decimal_len(n: usize) -> u64 {
    u64::from(n.checked_ilog10().unwrap_or(0) + 1)
}

/// Bytes the csv crate writes for `field` (quoted, with doubled quotes, when it holds a delimiter, a
/// quote or a line break).
fn csv_field_len(field: &[u8]) -> u64 {
    let quotes: u64 = field.iter().map(|&b| u64::from(b == b'"')).sum();
    if quotes > 0 || field.iter().any(|&b| matches!(b, b',' | b'\n' | b'\r')) {
        field.len() as u64 + quotes + 2
    } else {
        field.len() as u64
    }
}

/// Refuses an output folder inside the dataset folder (it would be indexed as data next time).
fn check_out_outside(out: &Path, dataset: &Path) -> Result<(), ExportError> {
    // The nearest existing ancestor decides: the output folder itself may not exist yet.
    let mut existing = out;
    while fs::symlink_metadata(existing).is_err() {
        match existing.parent() {
            Some(p) if !p.as_os_str().is_empty() => existing = p,
            _ => return Ok(()),
        }
    }
    let (Ok(dir), Ok(dataset_dir)) = (fs::canonicalize(existing), fs::canonicalize(dataset)) else {
        return Ok(());
    };
    if dir.starts_with(&dataset_dir) {
        return Err(ExportError::OutInsideDataset {
            dataset: dataset.to_path_buf(),
            path: out.to_path_buf(),
        });
    }
    Ok(())
}

/// The error for a plan with no samples, in the words of its source.
fn nothing_to_export(job: &LoadSpec) -> ExportError {
    let path = job.index.root.clone();
    // An annotated source leaves out an image for its annotations; a folder's warnings (an
    // unreadable subfolder) say nothing of why it holds no image.
    if job.index.samples.is_empty()
        && job.index.object_classes.is_some()
        && let Some(first) = job.index.warnings.first()
    {
        return ExportError::AllLeftOut {
            path,
            problems: job.index.warnings.len(),
            first: first.path.clone(),
            reason: first.reason.clone(),
        };
    }
    let store = &job.index.store;
    match store
        .images()
        .and_then(crate::index::EncodedImages::expected_layout)
    {
        Some(layout) => ExportError::Empty { path, layout },
        None => ExportError::EmptySource {
            what: store.describe(),
            path,
        },
    }
}

/// Where an export's files go: a staging folder swapped with the output folder, or a shard's staging
/// folder whose files are moved in beside the other shards'.
enum Target {
    Folder(staging::Staging),
    Shard(shard_files::ShardStaging),
}

impl Target {
    fn dir(&self) -> &Path {
        match self {
            Self::Folder(s) => s.dir(),
            Self::Shard(s) => s.dir(),
        }
    }
}

/// `job` with only `spec`'s slice of its plan (batch bounds of the slice no longer matter: the
/// exporter reads rows in order).
fn shard_job(job: &LoadSpec, spec: ShardSpec) -> LoadSpec {
    let range = spec.range(job.plan.len());
    LoadSpec {
        plan: Arc::new(BatchPlan {
            order: job.plan.order[range].to_vec(),
            batch_size: job.plan.batch_size,
            seed: job.plan.seed,
            ends: None,
        }),
        ..job.clone()
    }
}

/// Exports every batch of `job` (with [`ExportOptions::shard`], its shard's slice only). `on_progress`
/// is called after each batch; setting `cancel` stops the export (and its loader, within a sample) and
/// keeps nothing of it.
pub fn export(
    job: &Arc<LoadSpec>,
    options: &ExportOptions,
    on_progress: &mut dyn FnMut(ExportProgress),
    cancel: &Arc<AtomicBool>,
) -> Result<ExportReport, ExportError> {
    let started = Instant::now();
    let whole_plan = plan_export_with(job, options.label_mode, options.arrays)?;
    if job.plan.is_empty() {
        return Err(nothing_to_export(job));
    }
    let out = &staging::normalise_out(&options.out)?;
    check_out_outside(out, &job.index.root)?;
    let names = Names {
        shard: options.shard,
    };
    // The whole plan's fingerprint, before the job is cut to the shard's slice.
    let (description, fingerprint) = match options.shard {
        Some(_) => {
            let description = record::describe(job, options, &whole_plan);
            let fingerprint = record::fingerprint(job, &description);
            (description, fingerprint)
        }
        None => (String::new(), String::new()),
    };
    let plan_samples = job.plan.len();
    // Every shard pads to the whole plan's largest object count.
    let max_objects = objects::max_objects(job);
    let (job, target) = match options.shard {
        Some(spec) => (
            Arc::new(shard_job(job, spec)),
            Target::Shard(shard_files::ShardStaging::begin(out, spec)?),
        ),
        None => (
            Arc::clone(job),
            Target::Folder(staging::Staging::begin(out, options.overwrite)?),
        ),
    };
    let mut export_plan = plan_padded(&job, options.label_mode, options.arrays, max_objects)?;
    if let Some(applied) = &options.corrections {
        export_plan.total_bytes += corrections::extra_bytes(&job, applied);
    }
    check_space(out, export_plan.total_bytes)?;

    let mut writer = Writer::create(
        target.dir(),
        names,
        &job,
        &export_plan,
        options,
        max_objects,
    )?;
    let (skipped, warned) = write_all(&job, options, &mut writer, on_progress, cancel)?;
    let exported = writer.rows;
    let boxes_dropped = writer.boxes_dropped;
    let target = match target {
        Target::Folder(staging) if exported == 0 => {
            // Nothing to train on is a failure. The reasons go to skipped.csv, unless that would
            // replace an earlier export: a failed run never destroys a good one.
            let skipped_csv = !staging.had_export();
            if skipped_csv {
                writer.abandon()?;
                writer::write_skipped(&staging.path("skipped.csv"), &job.index.warnings, &skipped)?;
                staging.commit()?;
            }
            return Err(ExportError::NothingExported {
                count: skipped.len(),
                skipped,
                skipped_csv,
            });
        }
        // A shard may hold no row (more shards than samples, or every file of its slice bad):
        // merge decides whether the whole export is empty.
        target => target,
    };
    writer.finish(&skipped, &job.index)?;
    write_lists(target.dir(), options)?;
    // The source's notes on the dataset open the file, in the first shard's only: merge joins the
    // shards' files in order, so they are listed once, as in an export of the whole.
    let notes = match options.shard {
        Some(spec) if spec.index > 0 => &[][..],
        _ => &job.index.notes[..],
    };
    if !warned.is_empty() || !notes.is_empty() {
        // A shard's has the shard's name; merge joins them into one `warnings.csv`.
        let path = target.dir().join(names.file("warnings", "csv"));
        writer::write_warned(&path, notes, &warned)?;
    }
    let files = match target {
        Target::Folder(staging) => staging.commit()?,
        Target::Shard(staging) => {
            let name = names.record().unwrap_or_default();
            let record = record::ShardRecord {
                fingerprint,
                options: description,
                plan_samples,
                boxes_dropped,
                ..record::ShardRecord::of(&job, options, &export_plan, exported)
            };
            record::write(staging.dir(), &name, record)?;
            staging.commit(&name)?
        }
    };
    Ok(ExportReport {
        exported,
        skipped,
        warned,
        files,
        boxes_dropped,
        elapsed: started.elapsed(),
    })
}

/// Refuses an export of `needed` bytes into `out` when the disk has less room.
fn check_space(out: &Path, needed: u64) -> Result<(), ExportError> {
    let available = fs4::available_space(out).map_err(io_err("reading the free space of", out))?;
    if available < needed {
        return Err(ExportError::NoSpace {
            needed,
            needed_h: human_bytes(needed),
            available,
            available_h: human_bytes(available),
            path: out.to_path_buf(),
        });
    }
    Ok(())
}

/// Writes what the user's lists did, shared by the shards: `excluded.csv` when the exclude list
/// left samples out, `corrections_applied.csv` when corrections were applied.
fn write_lists(dir: &Path, options: &ExportOptions) -> Result<(), ExportError> {
    if !options.excluded.is_empty() {
        writer::write_excluded(&dir.join("excluded.csv"), &options.excluded)?;
    }
    if let Some(applied) = &options.corrections {
        corrections::write_applied(&dir.join("corrections_applied.csv"), applied)?;
    }
    Ok(())
}

/// Streams every chunk of rows the loader makes for `job` into `writer`; returns the samples that
/// failed and those exported with a decoder's warning, in plan order.
fn write_all(
    job: &Arc<LoadSpec>,
    options: &ExportOptions,
    writer: &mut Writer,
    on_progress: &mut dyn FnMut(ExportProgress),
    cancel: &Arc<AtomicBool>,
) -> Result<(Vec<SampleFailure>, Vec<SampleFailure>), ExportError> {
    let loader = Loader::sequential(
        Arc::clone(job),
        options.queue_bytes,
        Arc::clone(cancel),
        None,
    )
    .map_err(ExportError::Thread)?;
    let mut progress = ExportProgress {
        total: job.plan.len(),
        ..ExportProgress::default()
    };
    let mut skipped = Vec::new();
    let mut warned = Vec::new();
    loop {
        let batch = match loader.recv() {
            Ok(Some(batch)) => batch,
            Ok(None) => break,
            Err(LoaderStopped::Cancelled) => return Err(ExportError::Cancelled),
            Err(LoaderStopped::Died(message)) => return Err(ExportError::LoaderDied(message)),
        };
        if cancel.load(Ordering::Relaxed) {
            return Err(ExportError::Cancelled);
        }
        if options.strict
            && let Some(failure) = batch.failures.first()
        {
            return Err(ExportError::Strict {
                path: job.index.root.join(&failure.rel_path),
                reason: failure.reason.clone(),
            });
        }
        let masks_zeroed = writer.write_batch(&batch, job, &|| cancel.load(Ordering::Relaxed))?;
        warned.extend(masks_zeroed);
        progress.done += batch.samples.len() + batch.failures.len();
        progress.skipped += batch.failures.len();
        skipped.extend(batch.failures);
        for (&sample, original) in batch.samples.iter().zip(&batch.originals) {
            if let Some(reason) = original.warning() {
                warned.push(SampleFailure {
                    sample,
                    rel_path: job.index.samples[sample].rel_path.clone(),
                    reason,
                });
            }
        }
        loader.recycle(batch.pixels);
        on_progress(progress);
        if batch.number == 0 {
            #[cfg(feature = "test-hooks")]
            crate::test_hooks::point("after-first-rows");
        }
    }
    drop(loader);
    if cancel.load(Ordering::Relaxed) {
        return Err(ExportError::Cancelled);
    }
    if progress.done < progress.total {
        return Err(ExportError::LoaderDied(format!(
            "it stopped after {} of {} images",
            progress.done, progress.total
        )));
    }
    Ok((skipped, warned))
}

/// The path as written in the CSV files: relative to the dataset root, `/`-separated, with the file
/// name's bytes exactly as on disk (names that are not UTF-8 stay byte-exact).
pub fn manifest_path_bytes(rel: &Path) -> Vec<u8> {
    let parts: Vec<&[u8]> = rel.iter().map(std::ffi::OsStr::as_encoded_bytes).collect();
    parts.join(&b'/')
}
