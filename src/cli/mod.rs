//! The command line: raw flags (clap, [`args`]) → validated [`LoadOptions`] → the engine. `main` calls
//! [`run`] and turns its result into an exit code: 0 done, 1 failed, 2 usage error, 130 interrupted
//! (SIGINT, SIGTERM or SIGHUP: the partial files are removed first).
//!
//! Output goes through [`out`] and [`say`], never `println!`: a closed stdout (`inspect | head -2`) ends
//! the command quietly, as Unix tools do, and a closed stderr never stops an export.

mod args;
mod list;
mod sample;

use std::io::{IsTerminal as _, Write as _};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context as _;

pub use args::{
    Cli, Command, ExportArgs, HealthArgs, InspectArgs, ListArgs, ListFormat, LoaderArgs, MergeArgs,
    UsageError, parse_bytes, parse_image_size, resolve_shard,
};
pub use list::list_text;
pub use sample::resolve as dataset_path;

use crate::export::{self, ExportError, ExportOptions, human_bytes};
use crate::index::{self, WalkControl};
use crate::inspect;
use crate::load::preprocess::Element;
use crate::load::spec::{self, PrepareError};
use crate::options::{ArrayFormat, Dtype, LabelMode, LabelSource, LoadOptions, Scale};
use crate::plan;
use crate::source;
use crate::validate::{self, Given, Invalid};

/// How a command ended, for the exit code.
#[derive(Debug)]
pub enum Failure {
    /// Bad usage: exit 2.
    Usage(String),
    /// Interrupted: exit 130.
    Interrupted(String),
    /// Anything else: exit 1.
    Failed(anyhow::Error),
    /// stdout was closed by its reader (`| head`): exit 0, silently.
    BrokenPipe,
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

/// Writes one line to stderr. A closed or failing stderr is ignored: it must not stop an export
/// whose files say what happened.
pub fn say(line: std::fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Writes `text` to stdout; a reader that went away (`| head`) is [`Failure::BrokenPipe`].
fn out(text: &str) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Err(Failure::BrokenPipe),
        Err(err) => Err(Failure::Failed(
            anyhow::Error::new(err).context("writing to stdout"),
        )),
    }
}

/// An error and its causes on one line, each cause once: a cause whose text the message already
/// holds (an OS error quoted in it) is not repeated.
fn one_line(err: &anyhow::Error) -> String {
    let mut line = err.to_string();
    for cause in err.chain().skip(1) {
        let cause = cause.to_string();
        if !line.contains(&cause) {
            line.push_str(": ");
            line.push_str(&cause);
        }
    }
    line
}

/// Maps a [`Failure`] to its exit code, printing it on stderr.
pub fn report(result: Result<(), Failure>) -> ExitCode {
    match result {
        Ok(()) | Err(Failure::BrokenPipe) => ExitCode::SUCCESS,
        Err(Failure::Usage(msg)) => {
            say(format_args!("batchscope: error: {msg}"));
            ExitCode::from(2)
        }
        Err(Failure::Interrupted(msg)) => {
            say(format_args!("batchscope: {msg}"));
            ExitCode::from(130)
        }
        Err(Failure::Failed(err)) => {
            say(format_args!("batchscope: error: {}", one_line(&err)));
            ExitCode::from(1)
        }
    }
}

/// Checks the options `given` against the kind of source at `dir` (every problem at once, before
/// anything is read), then opens it.
fn index_dir(
    dir: &Path,
    options: &LoadOptions,
    given: &Given,
    cancel: &AtomicBool,
) -> Result<Arc<index::DatasetIndex>, Failure> {
    let dir = &sample::resolve(dir);
    let kind = options.index.source.unwrap_or_else(|| source::detect(dir));
    if let Err(invalid) = validate::validate(given, &source::takes(kind)) {
        let messages: Vec<String> = invalid.iter().map(Invalid::for_command_line).collect();
        return Err(Failure::Usage(messages.join("\nbatchscope: error: ")));
    }
    let control = WalkControl {
        on_progress: &|_| {},
        cancel,
    };
    // The user's --max-file-bytes holds in the index pass too: no record longer is read into memory.
    let limits = source::Limits {
        max_record_bytes: options.preprocess.max_file_bytes,
    };
    match source::open_as(dir, kind, &options.index, limits, &control) {
        // A signal during the pass: what it read may be cut short (a record it was skipping is a
        // warning, not the dataset's truth), so nothing is reported as the dataset.
        Ok(_) if cancel.load(Ordering::Relaxed) => Err(Failure::Interrupted("interrupted".into())),
        Ok(index) => {
            // A kind that may hold images or arrays (a `datasets` folder) refuses the image
            // options once it turns out to hold arrays.
            if let Err(invalid) = validate::validate(given, &index.store.takes()) {
                let messages: Vec<String> = invalid.iter().map(Invalid::for_command_line).collect();
                return Err(Failure::Usage(messages.join("\nbatchscope: error: ")));
            }
            for w in index.warnings.iter().chain(&index.notes) {
                say(format_args!(
                    "batchscope: warning: {}: {:?}",
                    w.reason, w.path
                ));
            }
            Ok(Arc::new(index))
        }
        Err(err) if err.is_usage() => Err(Failure::Usage(err.to_string())),
        Err(err) if err.is_cancelled() => Err(Failure::Interrupted("interrupted".into())),
        Err(err) => Err(Failure::Failed(err.into())),
    }
}

fn warn_about(args: &LoaderArgs) {
    for warning in args.warnings() {
        say(format_args!("batchscope: warning: {warning}"));
    }
}

/// `batchscope inspect`.
pub fn inspect(args: &InspectArgs, cancel: &AtomicBool) -> Result<(), Failure> {
    let options = args.loader.to_options();
    warn_about(&args.loader);
    let index = index_dir(&args.dir, &options, &args.loader.given(false), cancel)?;
    let plan = plan::plan(&index, &options.plan).map_err(|e| Failure::Usage(e.to_string()))?;
    let summary = inspect::summarize(&index, &plan, &options, cancel)
        .ok_or_else(|| Failure::Interrupted("interrupted".into()))?;
    if args.json {
        let json =
            serde_json::to_string_pretty(&summary).context("encoding the summary as JSON")?;
        out(&format!("{json}\n"))
    } else {
        out(&summary.to_text())
    }
}

/// The element the loader makes, the form of the arrays and the shard an export's flags ask for.
fn output_form(
    args: &ExportArgs,
) -> Result<
    (
        Element,
        export::ArrayOptions,
        Option<crate::plan::shard::ShardSpec>,
    ),
    Failure,
> {
    let scale = if args.scale == "1" {
        Scale::To1
    } else {
        Scale::To255
    };
    let dtype = args.dtype.unwrap_or_default().loader_dtype();
    if scale == Scale::To1 && dtype == Dtype::Uint8 {
        return Err(Failure::Usage(
            "--scale 1 needs --dtype float32 or float16 (uint8 cannot hold 0..1)".into(),
        ));
    }
    if args.compress && args.format != ArrayFormat::Npz {
        return Err(Failure::Usage(
            "--compress deflates the members of arrays.npz; it needs --format npz".into(),
        ));
    }
    let shard = match &args.shard {
        Some(given) => Some(resolve_shard(given, args.num_shards, &|name| {
            std::env::var(name).ok()
        })?),
        None => None,
    };
    if shard.is_some() && args.overwrite {
        return Err(Failure::Usage(
            "--overwrite does not apply to --shard: a shard always replaces its own earlier files, and only those".into(),
        ));
    }
    let arrays = export::ArrayOptions {
        layout: args.layout.unwrap_or_default(),
        dtype: args.dtype.unwrap_or_default(),
        format: args.format,
        compress: args.compress,
    };
    Ok((Element { dtype, scale }, arrays, shard))
}

/// `batchscope export`.
pub fn export(args: &ExportArgs, cancel: &Arc<AtomicBool>) -> Result<(), Failure> {
    let options = args.loader.to_options();
    let (element, arrays, shard) = output_form(args)?;
    // One image must fit before anything else is done.
    args.loader.check_image_size(element)?;
    check_out_path(&args.out)?;
    warn_about(&args.loader);
    let given = Given {
        dtype: args.dtype,
        layout: args.layout,
        ..args.loader.given(false)
    };
    let index = index_dir(&args.dir, &options, &given, cancel)?;
    let boxes = box_options(args, &index)?;
    let decoded = index.store.decodes_images();
    let label_mode = match (args.label_mode, decoded, options.index.labels) {
        (Some(mode), _, _) => mode,
        // Decoded images without labels (records that carry none) have nothing to encode; stored
        // arrays are exported as stored (label array included unless --labels none), which label
        // mode int means for them.
        (None, true, _) if !index.labeled => LabelMode::None,
        (None, _, LabelSource::Inferred) => LabelMode::Int,
        (None, _, LabelSource::None) => LabelMode::None,
    };
    // Corrections change the index itself (as a fixed folder would), before it is planned.
    let (index, pending) = match &args.corrections {
        Some(path) => {
            let (corrected, pending) = corrected_index(&index, path)?;
            (corrected, Some(pending))
        }
        None => (index, None),
    };
    let job = match spec::prepare(index, &options, element, spec::SizeCheck::AllFiles, cancel) {
        Ok(job) => Arc::new(job),
        Err(PrepareError::Plan(e)) => return Err(Failure::Usage(e.to_string())),
        Err(PrepareError::Cancelled) => return Err(Failure::Interrupted("interrupted".into())),
        Err(e) => return Err(Failure::Failed(e.into())),
    };
    if job.plan.is_empty()
        && let Some(why) = plan::empty_reason(job.index.samples.len(), &options.plan)
    {
        return Err(Failure::Usage(why));
    }
    // A native size is known only now.
    args.loader.check_shape(job.shape.size(), element)?;
    let (job, excluded, corrections) = apply_lists(job, args, pending)?;
    if let Some(seed) = job.plan.seed
        && options.plan.seed.is_none()
    {
        say(format_args!(
            "batchscope: shuffled with seed {seed} (pass --seed {seed} to repeat this order)"
        ));
    }
    let export_options = ExportOptions {
        out: args.out.clone(),
        label_mode,
        overwrite: args.overwrite,
        strict: args.strict,
        queue_bytes: (args.memory_budget as usize) << 20,
        excluded,
        arrays,
        shard,
        corrections,
        boxes,
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

/// The form of `boxes.npy` the flags ask for; the box flags are refused on a dataset without objects.
fn box_options(
    args: &ExportArgs,
    index: &index::DatasetIndex,
) -> Result<export::BoxOptions, Failure> {
    if index.object_classes.is_none() {
        let given = [
            args.box_format.map(|f| format!("--box-format {f}")),
            args.box_units.map(|u| format!("--box-units {u}")),
        ];
        if let Some(flag) = given.into_iter().flatten().next() {
            return Err(Failure::Usage(format!(
                "{flag} applies to a dataset with objects (boxes), but {} has none: {:?}",
                index.store.describe(),
                args.dir
            )));
        }
    }
    Ok(export::BoxOptions {
        format: args.box_format.unwrap_or_default(),
        units: args.box_units.unwrap_or_default(),
    })
}

/// `batchscope merge`.
pub fn merge(args: &MergeArgs, cancel: &AtomicBool) -> Result<(), Failure> {
    let options = export::merge::MergeOptions {
        out: args.out.clone(),
        keep_shards: args.keep_shards,
    };
    let report = match export::merge::merge(&options, cancel) {
        Ok(report) => report,
        Err(err @ export::merge::MergeError::Cancelled) => {
            return Err(Failure::Interrupted(err.to_string()));
        }
        Err(err) => return Err(Failure::Failed(err.into())),
    };
    let secs = report.elapsed.as_secs_f64();
    say(format_args!(
        "batchscope: merged {} shards into {} rows ({} of arrays, {}/s){} in {secs:.1} s in {:?}",
        report.shards,
        report.rows,
        human_bytes(report.array_bytes),
        human_bytes((report.array_bytes as f64 / secs.max(1e-9)) as u64),
        if report.skipped > 0 {
            format!("; {} skipped (see skipped.csv)", report.skipped)
        } else {
            String::new()
        },
        args.out,
    ));
    if report.boxes_dropped > 0 {
        say(format_args!(
            "batchscope: the shards left {} box{} wholly cropped away out of boxes.npy",
            report.boxes_dropped,
            if report.boxes_dropped == 1 { "" } else { "es" },
        ));
    }
    for (path, len) in &report.files {
        say(format_args!(
            "  {:>10}  {}",
            human_bytes(*len),
            path.display()
        ));
    }
    Ok(())
}

/// `batchscope health`.
pub fn health(args: &HealthArgs, cancel: &Arc<AtomicBool>) -> Result<(), Failure> {
    let options = args.loader.to_options();
    warn_about(&args.loader);
    let index = index_dir(&args.dir, &options, &args.loader.given(true), cancel)?;
    health_of(index, args, cancel)
}

/// `batchscope health` on `index` (indexed from `args.dir` by [`health`], or built by a caller
/// that has one, such as a test of an annotated index).
pub fn health_of(
    index: Arc<index::DatasetIndex>,
    args: &HealthArgs,
    cancel: &Arc<AtomicBool>,
) -> Result<(), Failure> {
    let options = args.loader.to_options();
    let scan = health_pass(index, &options, !args.no_cache, cancel)?;
    print_skipped(&scan.failures);
    let thresholds = crate::health::Thresholds {
        near_distance: args.near_threshold,
        ..crate::health::Thresholds::default()
    };
    let findings = crate::health::analyze(&scan, &thresholds);
    if let Some(path) = &args.exclude_out {
        let selected = crate::health::exclusion_list::select(&scan, &findings, &args.exclude);
        std::fs::write(
            path,
            crate::health::exclusion_list::list_bytes(&scan, &selected),
        )
        .with_context(|| format!("writing the exclude list {path:?}"))?;
        say(format_args!(
            "batchscope: listed {} images to exclude in {path:?}",
            selected.len()
        ));
    }
    let summary = crate::health::report::text(&scan, &findings, args.near_threshold, args.top);
    match &args.json {
        Some(path) => {
            let json = serde_json::to_string_pretty(&crate::health::report::json(&scan, &findings))
                .context("encoding the findings as JSON")?;
            if path.as_os_str() == "-" {
                say(format_args!("{}", summary.trim_end()));
                out(&format!("{json}\n"))
            } else {
                std::fs::write(path, format!("{json}\n"))
                    .with_context(|| format!("writing the JSON report {path:?}"))?;
                out(&summary)
            }
        }
        None => out(&summary),
    }
}

/// The health pass over `index` under `options` (both subsets of a split without a subset), with
/// a progress bar on a terminal; `cache` reuses and updates the hash cache.
fn health_pass(
    index: Arc<index::DatasetIndex>,
    options: &LoadOptions,
    cache: bool,
    cancel: &Arc<AtomicBool>,
) -> Result<crate::health::Scan, Failure> {
    if !index.store.decodes_images() {
        return Err(Failure::Usage(
            crate::health::ScanError::StoredRows(index.store.describe()).to_string(),
        ));
    }
    let mut sides = options.plan.clone();
    if sides.subset.is_none() && sides.validation_split.is_some() {
        sides.subset = Some(crate::options::Subset::Training);
    }
    if let Some(why) = plan::empty_reason(index.samples.len(), &sides) {
        return Err(Failure::Usage(why));
    }
    let scan_options = crate::health::ScanOptions {
        cache_dir: if cache {
            crate::health::cache::default_dir()
        } else {
            None
        },
    };
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} images  {per_sec}  eta {eta}  {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let mut on_progress = |p: crate::health::ScanProgress| {
        if let Some(bar) = &bar {
            bar.set_length(p.total as u64);
            bar.set_position(p.done as u64);
            if p.cached > 0 {
                bar.set_message(format!("{} from the cache", p.cached));
            }
        }
    };
    let result = crate::health::scan(index, options, &scan_options, &mut on_progress, cancel);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    match result {
        Ok(scan) => Ok(scan),
        Err(crate::health::ScanError::Cancelled) => Err(Failure::Interrupted("interrupted".into())),
        Err(
            err @ (crate::health::ScanError::Plan(_) | crate::health::ScanError::StoredRows(_)),
        ) => Err(Failure::Usage(err.to_string())),
    }
}

/// Leaves the samples the exclude list at `path` names out of `job`'s plan, saying how many.
fn exclude_listed(
    job: &crate::load::loader::LoadSpec,
    path: &Path,
) -> Result<
    (
        Arc<crate::load::loader::LoadSpec>,
        Vec<export::exclude_list::Excluded>,
    ),
    Failure,
> {
    let applied = export::exclude_list::apply_file(job, path)
        .with_context(|| format!("reading the exclude list {path:?}"))?;
    if let Some(first) = applied.unmatched.first() {
        say(format_args!(
            "batchscope: warning: {} of {} lines of the exclude list name no planned sample (first: {first:?}): {path:?}",
            applied.unmatched_count, applied.lines,
        ));
    }
    if applied.excluded.is_empty() {
        // No excluded.csv is written for an empty exclusion: do not point to one.
        say(format_args!(
            "batchscope: the exclude list names no planned sample, so no image is left out: {path:?}"
        ));
    } else {
        say(format_args!(
            "batchscope: leaving out {} images listed in {path:?} (see excluded.csv)",
            applied.excluded.len()
        ));
    }
    Ok((Arc::new(applied.job), applied.excluded))
}

/// What [`apply_lists`] gives: the job, the samples the exclude list left out, the corrections.
type Listed = (
    Arc<crate::load::loader::LoadSpec>,
    Vec<export::exclude_list::Excluded>,
    Option<Arc<export::corrections::CorrectionsApplied>>,
);

/// The job with the user's lists applied, in this order: the exclude list, the corrections' pending
/// part (their index part is already in `job`), `--only`.
fn apply_lists(
    job: Arc<crate::load::loader::LoadSpec>,
    args: &ExportArgs,
    pending: Option<export::corrections::Pending>,
) -> Result<Listed, Failure> {
    let (job, excluded) = match &args.exclude_list {
        Some(path) => exclude_listed(&job, path)?,
        None => (job, Vec::new()),
    };
    let (job, corrections) = match (pending, &args.corrections) {
        (Some(pending), Some(path)) => {
            let (job, applied) = pending.finish(&job);
            say_corrected(&applied, path);
            (Arc::new(job), Some(Arc::new(applied)))
        }
        _ => (job, None),
    };
    let job = match &args.only {
        Some(path) => only_listed(&job, path)?,
        None => job,
    };
    Ok((job, excluded, corrections))
}

/// `index` with the corrections file at `path` applied (see [`export::corrections::apply`]).
fn corrected_index(
    index: &index::DatasetIndex,
    path: &Path,
) -> Result<(Arc<index::DatasetIndex>, export::corrections::Pending), Failure> {
    let corrections =
        crate::query::Corrections::read(path).map_err(|e| Failure::Failed(e.into()))?;
    let (corrected, pending) =
        export::corrections::apply(index, &corrections).map_err(|e| Failure::Failed(e.into()))?;
    Ok((Arc::new(corrected), pending))
}

/// Says what the corrections from `path` changed.
fn say_corrected(applied: &export::corrections::CorrectionsApplied, path: &Path) {
    let relabelled = applied
        .rows
        .iter()
        .filter(|r| r.applied && !r.exclude && r.old_class != r.new_class)
        .count();
    let left_out = applied.rows.iter().filter(|r| r.exclude).count();
    let outside = applied.rows.iter().filter(|r| !r.applied).count();
    say(format_args!(
        "batchscope: corrections: {relabelled} relabelled, {left_out} left out{} (see corrections_applied.csv): {path:?}",
        if outside > 0 {
            format!(", {outside} not in this export's samples")
        } else {
            String::new()
        }
    ));
}

/// Keeps only the samples the list at `path` names in `job`'s plan; a path that names no planned
/// sample is an error that names it.
fn only_listed(
    job: &crate::load::loader::LoadSpec,
    path: &Path,
) -> Result<Arc<crate::load::loader::LoadSpec>, Failure> {
    let bytes = std::fs::read(path).with_context(|| format!("reading the --only list {path:?}"))?;
    let kept = export::exclude_list::keep_only(job, &bytes)
        .map_err(|why| Failure::Failed(anyhow::anyhow!("the --only list: {why}: {path:?}")))?;
    if let Some(first) = kept.unmatched.first() {
        return Err(Failure::Failed(anyhow::anyhow!(
            "{} of {} paths of the --only list name no sample of this export (first: {first:?}; paths are relative to the dataset root, with /, as in manifest.csv): {path:?}",
            kept.unmatched_count,
            kept.lines
        )));
    }
    say(format_args!(
        "batchscope: exporting only the {} samples listed in {path:?}",
        kept.job.plan.len()
    ));
    Ok(Arc::new(kept.job))
}

/// An `--out` that is a symlink to nothing cannot become a folder; say so rather than "File exists".
fn check_out_path(out: &Path) -> Result<(), Failure> {
    let is_link = std::fs::symlink_metadata(out).is_ok_and(|m| m.file_type().is_symlink());
    if is_link && std::fs::metadata(out).is_err() {
        let target = std::fs::read_link(out).unwrap_or_default();
        return Err(Failure::Failed(anyhow::anyhow!(
            "the output path is a symlink to {target:?}, which does not exist; create that folder or choose another --out: {out:?}"
        )));
    }
    Ok(())
}

fn print_skipped(skipped: &[crate::load::loader::SampleFailure]) {
    for failure in skipped {
        say(format_args!(
            "batchscope: skipped {:?}: {}",
            failure.rel_path, failure.reason
        ));
    }
}

fn print_report(
    report: &export::ExportReport,
    job: &crate::load::loader::LoadSpec,
    args: &ExportArgs,
) {
    print_skipped(&report.skipped);
    for warned in &report.warned {
        say(format_args!(
            "batchscope: warning: {:?}: {}",
            warned.rel_path, warned.reason
        ));
    }
    let what = if job.index.store.decodes_images() {
        format!("{} images", report.exported)
    } else {
        format!(
            "{} samples of {}",
            report.exported,
            job.index.store.describe()
        )
    };
    let shard = args
        .shard
        .as_ref()
        .map(|_| " (one shard: `batchscope merge` joins them)")
        .unwrap_or_default();
    // `warnings.csv`, or a shard's `warnings-I-of-N.csv`.
    let warnings_csv = report
        .files
        .iter()
        .filter_map(|(path, _)| path.file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .find(|name| name.starts_with("warnings"))
        .unwrap_or_else(|| "warnings.csv".to_owned());
    say(format_args!(
        "batchscope: exported {what}{shard} in {:.1} s to {:?}{}",
        report.elapsed.as_secs_f64(),
        args.out,
        match (report.skipped.len(), report.warned.len()) {
            (0, 0) => String::new(),
            (s, 0) => format!("; {s} skipped (see skipped.csv)"),
            (0, w) => format!("; {w} decoded with warnings (see {warnings_csv})"),
            (s, w) => format!(
                "; {s} skipped (see skipped.csv), {w} decoded with warnings (see {warnings_csv})"
            ),
        },
    ));
    if report.boxes_dropped > 0 {
        say(format_args!(
            "batchscope: {} box{} wholly cropped away by --crop-to-aspect-ratio {} left out of boxes.npy (num_boxes.npy counts the boxes kept)",
            report.boxes_dropped,
            if report.boxes_dropped == 1 { "" } else { "es" },
            if report.boxes_dropped == 1 {
                "was"
            } else {
                "were"
            },
        ));
    }
    // The folder is on the line above: each file by its name, with the shape and dtype numpy will load.
    let names: Vec<String> = report
        .files
        .iter()
        .map(|(path, _)| {
            path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            )
        })
        .collect();
    let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
    for (name, (path, len)) in names.iter().zip(&report.files) {
        let array = std::fs::File::open(path)
            .ok()
            .filter(|_| path.extension().is_some_and(|e| e == "npy"))
            .and_then(|mut f| crate::npy::read_header(&mut f).ok())
            .map(|h| {
                format!(
                    "  {} {}",
                    crate::npy::shape_repr(&h.shape),
                    crate::npy::dtype_name(h.dtype)
                )
            })
            .unwrap_or_default();
        say(format_args!(
            "  {name:<width$}  {:>9}{array}",
            human_bytes(*len)
        ));
    }
}

/// Parses the arguments and runs the command-line part (`None` means: open the viewer).
pub fn run(cli: &Cli) -> Option<Result<(), Failure>> {
    let command = cli.command.as_ref()?;
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&cancel);
    // SIGINT, SIGTERM and SIGHUP (the `termination` feature) set the flag that indexing, header reading
    // and the export check, and abandon the JPEG decodes and stream skips under way; the export then
    // removes its partial files. Without a handler a signal would kill the process mid-write. Failing to install one only loses that nicety.
    let _ = ctrlc::set_handler(move || {
        flag.store(true, Ordering::Relaxed);
        // A JPEG being decoded stops at its next scan or band of rows, not at its end.
        crate::decode::abandon_all();
        #[cfg(feature = "test-hooks")]
        crate::test_hooks::release_held_files();
    });
    Some(match command {
        Command::Inspect(args) => inspect(args, &cancel),
        Command::Export(args) => export(args, &cancel),
        Command::Merge(args) => merge(args, &cancel),
        Command::Health(args) => health(args, &cancel),
        Command::List(args) => list::list(args, &cancel),
    })
}
