//! The command line: raw flags (clap) → validated [`LoadOptions`] → the engine. `main` calls [`run`]
//! and turns its result into an exit code: 0 done, 1 failed, 2 usage error, 130 interrupted.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};

use crate::export::{self, ExportError, ExportOptions, human_bytes};
use crate::index;
use crate::inspect;
use crate::job::{self, JobError};
use crate::options::{
    AspectFit, ColorMode, Dtype, IndexOptions, Interpolation, LabelMode, LabelSource, LoadOptions,
    PlanOptions, PreprocessOptions, Scale, Subset,
};
use crate::plan;
use crate::preprocess::Element;

/// Browse image-folder datasets batch by batch and export them to .npy arrays, with the semantics of
/// Keras's `image_dataset_from_directory`.
#[derive(Debug, Parser)]
#[command(name = "batchscope", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// What to do; without a command the viewer opens.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Dataset folder to open in the viewer (default: the bundled sample dataset).
    pub dir: Option<PathBuf>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write the whole dataset to images.npy, labels.npy, `class_names.json`, manifest.csv, skipped.csv.
    Export(ExportArgs),
    /// Summarise a dataset folder: classes, counts, batches, image sizes and formats (no decoding).
    Inspect(InspectArgs),
}

/// Options of the index, the plan and preprocessing, as flags.
#[derive(Debug, Args)]
pub struct LoaderArgs {
    /// Where labels come from: `inferred` (one class per subfolder) or `none` (images only).
    #[arg(long, value_enum, default_value = "inferred")]
    pub labels: LabelSource,
    /// Use only these classes, in this order (comma-separated subfolder names).
    #[arg(long, value_delimiter = ',')]
    pub class_names: Option<Vec<String>>,
    /// Follow symlinked folders (loops are detected and not followed).
    #[arg(long)]
    pub follow_links: bool,
    /// Also take .webp, .tif and .tiff files (Keras does not).
    #[arg(long)]
    pub extra_formats: bool,
    /// Channels: rgb (3), grayscale (1) or rgba (4).
    #[arg(long, value_enum, default_value = "rgb")]
    pub color_mode: ColorMode,
    /// Resize every image to `HEIGHTxWIDTH` (e.g. 128x128, or 128 for a square); default: native size.
    #[arg(long, value_parser = parse_image_size)]
    pub image_size: Option<(u32, u32)>,
    /// Resize kernel (TensorFlow's, without antialiasing).
    #[arg(long, value_enum, default_value = "bilinear")]
    pub interpolation: Interpolation,
    /// Centre-crop to the target aspect ratio before resizing.
    #[arg(long)]
    pub crop_to_aspect_ratio: bool,
    /// Resize to fit inside the target and pad with zeros.
    #[arg(long)]
    pub pad_to_aspect_ratio: bool,
    /// Permute the files once, as numpy's RandomState(seed).shuffle does in Keras.
    #[arg(long)]
    pub shuffle: bool,
    /// Seed of the shuffle (0..=4294967295).
    #[arg(long)]
    pub seed: Option<u32>,
    /// Fraction of files held out for validation, e.g. 0.2.
    #[arg(long)]
    pub validation_split: Option<f64>,
    /// Which side of the split to use.
    #[arg(long, value_enum)]
    pub subset: Option<Subset>,
    /// Samples per batch.
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    /// Drop the last batch if it is partial.
    #[arg(long)]
    pub drop_remainder: bool,
}

/// `batchscope export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The dataset folder.
    pub dir: PathBuf,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
    /// Loader options.
    #[command(flatten)]
    pub loader: LoaderArgs,
    /// Element type of images.npy.
    #[arg(long, value_enum, default_value = "uint8")]
    pub dtype: Dtype,
    /// Value range of float32 images: 255 (0..255, like Keras) or 1 (0..1).
    #[arg(long, default_value = "255", value_parser = ["255", "1"])]
    pub scale: String,
    /// Label encoding: int, categorical, binary or none (default: int, or none with --labels none).
    #[arg(long, value_enum)]
    pub label_mode: Option<LabelMode>,
    /// Replace batchscope's files in a non-empty output folder.
    #[arg(long)]
    pub overwrite: bool,
    /// Fail (exit 1, no output) if any file cannot be loaded, instead of skipping it.
    #[arg(long)]
    pub strict: bool,
    /// MiB of decoded images allowed to wait for the writer (the loader's queue); memory stays within
    /// about this plus 32 MiB whatever the batch size.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=65536))]
    pub memory_budget: u32,
}

/// `batchscope inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The dataset folder.
    pub dir: PathBuf,
    /// Loader options.
    #[command(flatten)]
    pub loader: LoaderArgs,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Parses `HxW`, `H,W` or `N` (square).
pub fn parse_image_size(s: &str) -> Result<(u32, u32), String> {
    let parts: Vec<&str> = s.split(['x', 'X', ',']).map(str::trim).collect();
    let num = |p: &str| {
        p.parse::<u32>()
            .ok()
            .filter(|&v| v > 0)
            .ok_or_else(|| format!("{s:?} is not an image size: expected HEIGHTxWIDTH with positive integers, e.g. 128x128"))
    };
    match parts.as_slice() {
        [n] => num(n).map(|n| (n, n)),
        [h, w] => Ok((num(h)?, num(w)?)),
        _ => Err(format!(
            "{s:?} is not an image size: expected HEIGHTxWIDTH, e.g. 128x128"
        )),
    }
}

/// A mistake in how the command was called (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

impl LoaderArgs {
    /// Validates the flags into loader options.
    pub fn to_options(&self) -> Result<LoadOptions, UsageError> {
        let fit = match (self.crop_to_aspect_ratio, self.pad_to_aspect_ratio) {
            (true, true) => {
                return Err(UsageError(
                    "--crop-to-aspect-ratio and --pad-to-aspect-ratio cannot be used together"
                        .into(),
                ));
            }
            (true, false) => AspectFit::Crop,
            (false, true) => AspectFit::Pad,
            (false, false) => AspectFit::Stretch,
        };
        if fit != AspectFit::Stretch && self.image_size.is_none() {
            return Err(UsageError(
                "cropping or padding to an aspect ratio needs --image-size".into(),
            ));
        }
        if self.class_names.is_some() && self.labels == LabelSource::None {
            return Err(UsageError(
                "--class-names needs labels inferred from subfolders, not --labels none".into(),
            ));
        }
        let options = LoadOptions {
            index: IndexOptions {
                labels: self.labels,
                class_names: self.class_names.clone(),
                follow_links: self.follow_links,
                extra_formats: self.extra_formats,
            },
            plan: PlanOptions {
                shuffle: self.shuffle,
                seed: self.seed,
                validation_split: self.validation_split,
                subset: self.subset,
                batch_size: self.batch_size,
                drop_remainder: self.drop_remainder,
            },
            preprocess: PreprocessOptions {
                color_mode: self.color_mode,
                image_size: self.image_size,
                interpolation: self.interpolation,
                fit,
            },
        };
        plan::validate(&options.plan).map_err(|e| UsageError(e.to_string()))?;
        Ok(options)
    }
}

/// How a command ended, for the exit code.
#[derive(Debug)]
pub enum Failure {
    /// Bad usage: exit 2.
    Usage(String),
    /// Interrupted: exit 130.
    Interrupted(String),
    /// Anything else: exit 1.
    Failed(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(err: anyhow::Error) -> Self {
        Self::Failed(err)
    }
}

impl From<UsageError> for Failure {
    fn from(err: UsageError) -> Self {
        Self::Usage(err.0)
    }
}

/// Maps a [`Failure`] to its exit code, printing it on stderr.
pub fn report(result: Result<(), Failure>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(msg)) => {
            eprintln!("batchscope: error: {msg}");
            ExitCode::from(2)
        }
        Err(Failure::Interrupted(msg)) => {
            eprintln!("batchscope: {msg}");
            ExitCode::from(130)
        }
        Err(Failure::Failed(err)) => {
            eprintln!("batchscope: error: {err:#}");
            ExitCode::from(1)
        }
    }
}

fn index_dir(
    dir: &std::path::Path,
    options: &LoadOptions,
) -> Result<Arc<index::DatasetIndex>, Failure> {
    match index::scan(dir, &options.index) {
        Ok(index) => {
            for w in &index.warnings {
                eprintln!("batchscope: warning: {}: {:?}", w.reason, w.path);
            }
            Ok(Arc::new(index))
        }
        Err(
            err @ (index::IndexError::UnknownClass { .. } | index::IndexError::DuplicateClass(_)),
        ) => Err(Failure::Usage(err.to_string())),
        Err(err) => Err(Failure::Failed(err.into())),
    }
}

/// `batchscope inspect`.
pub fn inspect(args: &InspectArgs) -> Result<(), Failure> {
    let options = args.loader.to_options()?;
    let index = index_dir(&args.dir, &options)?;
    let plan = plan::plan(&index, &options.plan).map_err(|e| Failure::Usage(e.to_string()))?;
    let summary = inspect::summarize(&index, &plan, &options);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&summary).context("encoding the summary as JSON")?
        );
    } else {
        print!("{}", summary.to_text());
    }
    Ok(())
}

/// `batchscope export`.
pub fn export(args: &ExportArgs, cancel: &Arc<AtomicBool>) -> Result<(), Failure> {
    let options = args.loader.to_options()?;
    let label_mode = match (args.label_mode, options.index.labels) {
        (Some(mode), _) => mode,
        (None, LabelSource::Inferred) => LabelMode::Int,
        (None, LabelSource::None) => LabelMode::None,
    };
    let scale = if args.scale == "1" {
        Scale::To1
    } else {
        Scale::To255
    };
    if scale == Scale::To1 && args.dtype == Dtype::Uint8 {
        return Err(Failure::Usage(
            "--scale 1 needs --dtype float32 (uint8 cannot hold 0..1)".into(),
        ));
    }
    let index = index_dir(&args.dir, &options)?;
    let element = Element {
        dtype: args.dtype,
        scale,
    };
    let job = match job::prepare(index, &options, element, job::SizeCheck::AllFiles, cancel) {
        Ok(job) => Arc::new(job),
        Err(JobError::Plan(e)) => return Err(Failure::Usage(e.to_string())),
        Err(JobError::Cancelled) => return Err(Failure::Interrupted("interrupted".into())),
        Err(e) => return Err(Failure::Failed(e.into())),
    };
    if let Some(seed) = job.plan.seed
        && options.plan.seed.is_none()
    {
        {
            eprintln!(
                "batchscope: shuffled with seed {seed} (pass --seed {seed} to repeat this order)"
            );
        }
    }
    let export_options = ExportOptions {
        out: args.out.clone(),
        label_mode,
        overwrite: args.overwrite,
        strict: args.strict,
        queue_bytes: (args.memory_budget as usize) << 20,
    };
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(job.plan.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} images  {per_sec}  eta {eta}  {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let mut on_progress = |p: export::ExportProgress| {
        if let Some(bar) = &bar {
            bar.set_position(p.done as u64);
            if p.skipped > 0 {
                bar.set_message(format!("{} skipped", p.skipped));
            }
        }
    };
    let result = export::export(&job, &export_options, &mut on_progress, cancel);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let report = match result {
        Ok(report) => report,
        Err(ExportError::Cancelled) => {
            return Err(Failure::Interrupted(
                "export interrupted; no output was kept".into(),
            ));
        }
        Err(err @ ExportError::LabelMode(_)) => return Err(Failure::Usage(err.to_string())),
        Err(err) => {
            if let ExportError::NothingExported { skipped, .. } = &err {
                print_skipped(skipped);
            }
            return Err(Failure::Failed(err.into()));
        }
    };
    print_report(&report, &job, args);
    Ok(())
}

fn print_skipped(skipped: &[crate::loader::SampleFailure]) {
    for failure in skipped {
        eprintln!(
            "batchscope: skipped {:?}: {}",
            failure.rel_path, failure.reason
        );
    }
}

fn print_report(report: &export::ExportReport, job: &crate::loader::LoadJob, args: &ExportArgs) {
    print_skipped(&report.skipped);
    let shape = &job.shape;
    eprintln!(
        "batchscope: exported {} images ({}x{}x{}, {}) in {:.1} s to {:?}{}",
        report.exported,
        shape.height,
        shape.width,
        shape.channels,
        args.dtype,
        report.elapsed.as_secs_f64(),
        args.out,
        if report.skipped.is_empty() {
            String::new()
        } else {
            format!("; {} skipped (see skipped.csv)", report.skipped.len())
        },
    );
    for (path, len) in &report.files {
        eprintln!("  {:>10}  {}", human_bytes(*len), path.display());
    }
}

/// Parses the arguments and runs the command-line part (`None` means: open the viewer).
pub fn run(cli: &Cli) -> Option<Result<(), Failure>> {
    let command = cli.command.as_ref()?;
    Some(match command {
        Command::Inspect(args) => inspect(args),
        Command::Export(args) => {
            let cancel = Arc::new(AtomicBool::new(false));
            let flag = Arc::clone(&cancel);
            // Without a handler Ctrl-C would kill the process mid-write; with it, the export stops and
            // removes its partial files. Failing to install one only loses that nicety.
            let _ = ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed));
            export(args, &cancel)
        }
    })
}
