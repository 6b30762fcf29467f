//! The command line's flags (clap) and their validation into [`LoadOptions`]: everything that can be
//! refused before a folder is read is refused here, as a [`UsageError`] (exit 2).

// The doc comments of the flags are their --help text, which clap prints as written: backticks showed
// literally (issue 14), so names are written bare in this file.
#![allow(clippy::doc_markdown)]

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::decode::DEFAULT_MAX_FILE_BYTES;
use crate::load::preprocess::{self, DEFAULT_MAX_IMAGE_BYTES, Element};
use crate::options::{
    ArrayDtype, ArrayFormat, ArrayLayout, AspectFit, ColorMode, Dtype, IndexOptions, Interpolation,
    JpegDecoder, LabelMode, LabelSource, Layout, LoadOptions, PlanOptions, PreprocessOptions,
    SourceKind, Subset,
};
use crate::size::Size;
use crate::validate::Given;

/// Browse image-folder datasets batch by batch and export them to .npy arrays, with the semantics of
/// Keras's image_dataset_from_directory.
#[derive(Debug, Parser)]
#[command(name = "batchscope", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// What to do; without a command the viewer opens.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Dataset to open in the viewer: a folder, saved tf.data dataset, TFRecords, .npy/.npz, IDX or
    /// CIFAR (default: the bundled sample dataset).
    pub dir: Option<PathBuf>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write the whole dataset to images.npy, labels.npy, class_names.json, manifest.csv, skipped.csv.
    Export(ExportArgs),
    /// Join the shards that export --shard I/N wrote into one folder into the files a single export
    /// writes (byte for byte), and remove the shards.
    Merge(MergeArgs),
    /// Summarise a dataset folder: classes, counts, batches, image sizes and formats (no decoding).
    Inspect(InspectArgs),
    /// Find duplicates, train/validation leaks and bad images, and measure per-channel mean/std, in one
    /// pass over the decoded images.
    Health(HealthArgs),
    /// One row per sample (index, path, label, class name, subset; with --health the measures and
    /// flags), filtered and sorted: which samples are dark, of a class, named so, or tagged.
    List(ListArgs),
}

/// Yes or no (--batched).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum YesNo {
    /// Yes.
    Yes,
    /// No.
    No,
}

/// Options of the index, the plan and preprocessing, as flags.
#[derive(Debug, Args)]
pub struct LoaderArgs {
    /// What kind of dataset the path is (default: detected from its content).
    #[arg(long, value_enum)]
    pub source: Option<SourceKind>,
    /// Saved tf.data dataset: whether each element is a batch (concatenated) or one sample (stacked);
    /// default: decided from the element spec.
    #[arg(long, value_enum)]
    pub batched: Option<YesNo>,
    /// TFRecord feature or .npz array holding the images (default: picked by name and shape).
    #[arg(long)]
    pub image_key: Option<String>,
    /// TFRecord feature or .npz array holding the labels, or none (default: picked by name and shape).
    #[arg(long)]
    pub label_key: Option<String>,
    /// MNIST IDX labels file, when its name does not follow MNIST's (…-labels-idx1-ubyte).
    #[arg(long)]
    pub labels_file: Option<PathBuf>,
    /// Axis order of stored image arrays (.npy, .npz, saved datasets): only how they are drawn and
    /// described; exported arrays keep their stored order (--layout is the export's output order).
    #[arg(long, value_enum, default_value = "auto")]
    pub array_layout: ArrayLayout,
    /// The split to open: of a Hugging Face DatasetDict folder or a YOLO folder's images/<split>
    /// (default: train, else the first), a COCO folder's instances_<split>.json, a Pascal VOC
    /// folder's ImageSets/Main/<split>.txt (default: every annotation).
    #[arg(long)]
    pub split: Option<String>,
    /// TFRecord detection boxes: four float features XMIN,YMIN,XMAX,YMAX (normalised), or one flat
    /// feature of [ymin, xmin, ymax, xmax] per object as tfds writes (default: the TF Object
    /// Detection API's image/object/bbox/xmin..., else tfds's objects/bbox).
    #[arg(long, value_delimiter = ',', value_name = "KEYS")]
    pub bbox_keys: Option<Vec<String>>,
    /// TFRecord int64 feature holding each object's class id (default: image/object/class/label,
    /// else objects/label).
    #[arg(long, value_name = "KEY")]
    pub object_class_key: Option<String>,
    /// TF Object Detection API label map (.pbtxt: item { id: 1 name: 'cat' }) naming the class ids
    /// (default: the only *label_map*.pbtxt beside the records, if there is exactly one).
    #[arg(long, value_name = "FILE")]
    pub label_map: Option<PathBuf>,
    /// Where labels come from: inferred (one class per subfolder) or none (images only).
    #[arg(long, value_enum, default_value = "inferred")]
    pub labels: LabelSource,
    /// Comma-separated class names (for a name holding a comma use --class-name). An image folder
    /// uses only these subfolders, in this order; any other source names its integer labels 0..K-1,
    /// one name per class (a different count is an error naming both).
    #[arg(long, value_delimiter = ',')]
    pub class_names: Option<Vec<String>>,
    /// One class name, taken verbatim (a subfolder, or the name of the next label); repeat it for
    /// several, in label order.
    #[arg(long = "class-name", value_name = "NAME")]
    pub class_name: Vec<String>,
    /// Follow symlinked folders (each real folder is indexed once; loops are not followed).
    #[arg(long)]
    pub follow_links: bool,
    /// Also take .webp, .tif and .tiff files (Keras does not).
    #[arg(long)]
    pub extra_formats: bool,
    /// Channels: rgb (3, the default), grayscale (1) or rgba (4).
    #[arg(long, value_enum)]
    pub color_mode: Option<ColorMode>,
    /// JPEG decoder: exact (libjpeg-turbo as TensorFlow runs it: every pixel equal to Keras's) or fast
    /// (zune-jpeg: faster to decode, but pixels off TensorFlow's by several levels on photos); default: exact.
    #[arg(long, value_enum)]
    pub jpeg: Option<JpegDecoder>,
    /// Resize every image to HEIGHTxWIDTH (e.g. 128x128, or 128 for a square); default: native size.
    #[arg(long, value_parser = parse_image_size)]
    pub image_size: Option<Size>,
    /// Resize kernel (TensorFlow's, without antialiasing; default bilinear); needs --image-size.
    #[arg(long, value_enum)]
    pub interpolation: Option<Interpolation>,
    /// Centre-crop to the target aspect ratio before resizing.
    #[arg(long)]
    pub crop_to_aspect_ratio: bool,
    /// Resize to fit inside the target and pad with zeros.
    #[arg(long)]
    pub pad_to_aspect_ratio: bool,
    /// Permute the files once, as numpy's RandomState(seed).shuffle does in Keras.
    #[arg(long)]
    pub shuffle: bool,
    /// Seed of the shuffle (0..=4294967295); only used with --shuffle.
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
    /// The most bytes read from one file (e.g. 1073741824, 512M, 2G; default: 1G); a larger file is
    /// skipped.
    #[arg(long, value_parser = parse_bytes)]
    pub max_file_bytes: Option<u64>,
    /// The most bytes one output image may take in memory (e.g. 2G); a larger output shape is refused
    /// before anything is allocated. The batch size does not count: exports hold chunks of rows, not
    /// batches.
    #[arg(long, value_parser = parse_bytes, default_value_t = DEFAULT_MAX_IMAGE_BYTES)]
    pub max_image_bytes: u64,
}

/// batchscope export.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The dataset: an image folder, a saved tf.data dataset, TFRecord files (a file, a folder of
    /// shards or a pattern), a .npy/.npz file, a batchscope export, MNIST IDX or CIFAR batches.
    pub dir: PathBuf,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
    /// Loader options.
    #[command(flatten)]
    pub loader: LoaderArgs,
    /// Element type of images.npy (default uint8; float16: the float32 value rounded to nearest-even,
    /// as numpy's cast).
    #[arg(long, value_enum)]
    pub dtype: Option<ArrayDtype>,
    /// Value range of float images: 255 (0..255, like Keras) or 1 (0..1).
    #[arg(long, default_value = "255", value_parser = ["255", "1"])]
    pub scale: String,
    /// Axis order of images.npy: nhwc (Keras, TensorFlow; the default) or nchw (PyTorch).
    #[arg(long, value_enum)]
    pub layout: Option<Layout>,
    /// One .npy per array, or one arrays.npz holding them (as np.savez writes).
    #[arg(long, value_enum, default_value = "npy")]
    pub format: ArrayFormat,
    /// Deflate the members of arrays.npz (as np.savez_compressed); needs --format npz.
    #[arg(long)]
    pub compress: bool,
    /// Write only shard I of N (0-based): a contiguous, balanced slice of the final order, as
    /// images-0000I-of-0000N.npy etc. beside the other shards; batchscope merge joins them. auto
    /// takes I and N from SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT (a SLURM job array) or from
    /// JOB_COMPLETION_INDEX and --num-shards (a Kubernetes Indexed Job).
    #[arg(long, value_name = "I/N|auto")]
    pub shard: Option<String>,
    /// The shard count for --shard auto where the scheduler does not say it (Kubernetes: the Job's
    /// completions).
    #[arg(long, value_name = "N", requires = "shard")]
    pub num_shards: Option<usize>,
    /// Label encoding: int, categorical, binary or none (default: int, or none with --labels none).
    #[arg(long, value_enum)]
    pub label_mode: Option<LabelMode>,
    /// Order of each box's numbers in boxes.npy (a dataset with objects): yxyx (the default,
    /// TensorFlow's), xyxy (torchvision's) or xywh (COCO's).
    #[arg(long, value_enum)]
    pub box_format: Option<crate::source::annotations::BoxFormat>,
    /// Units of the numbers in boxes.npy (a dataset with objects): normalized to the exported
    /// image (the default) or its pixels.
    #[arg(long, value_enum)]
    pub box_units: Option<crate::source::annotations::BoxUnits>,
    /// Replace batchscope's files in a non-empty output folder.
    #[arg(long)]
    pub overwrite: bool,
    /// Leave out the samples this file lists (one path per line, relative to the dataset root with
    /// /, as in manifest.csv; optionally a tab and a reason), after the split is made; they are
    /// listed in excluded.csv.
    #[arg(long, value_name = "FILE")]
    pub exclude_list: Option<PathBuf>,
    /// Apply a corrections.csv (columns path and new_class required; exclude and tags optional):
    /// each listed sample takes its new class (an empty one keeps its label) or, with exclude 1, is
    /// left out. labels.npy holds the new labels, manifest.csv adds original_label, and
    /// corrections_applied.csv lists what was applied. The dataset is not touched.
    #[arg(long, value_name = "FILE")]
    pub corrections: Option<PathBuf>,
    /// Export only the samples this file lists, in dataset (plan) order: one path per line, or a
    /// CSV with a path column (as batchscope list --format csv writes).
    #[arg(long, value_name = "FILE")]
    pub only: Option<PathBuf>,
    /// Fail (exit 1, no output) if any file cannot be loaded, instead of skipping it.
    #[arg(long)]
    pub strict: bool,
    /// MiB of decoded images allowed to wait for the writer (the loader's queue); memory stays within
    /// about this plus 32 MiB whatever the batch size.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=65536))]
    pub memory_budget: u32,
}

/// batchscope merge.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The folder the shards were exported into (--out of export --shard).
    pub out: PathBuf,
    /// Keep the shard files beside the merged files (by default they are removed once merged).
    #[arg(long)]
    pub keep_shards: bool,
}

/// batchscope inspect.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The dataset (any kind export opens).
    pub dir: PathBuf,
    /// Loader options.
    #[command(flatten)]
    pub loader: LoaderArgs,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// batchscope health.
#[derive(Debug, Args)]
pub struct HealthArgs {
    /// The dataset: an image folder or TFRecord files (stored arrays are not decoded images).
    pub dir: PathBuf,
    /// Loader options. With --validation-split and no --subset, both subsets are checked and
    /// duplicates across them are reported as leaks.
    #[command(flatten)]
    pub loader: LoaderArgs,
    /// Also write the findings as JSON to this file (- for stdout, instead of the summary).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Near duplicates: perceptual hashes at most this many bits apart (of 64).
    #[arg(long, value_name = "BITS", default_value_t = crate::health::DEFAULT_NEAR_DISTANCE,
          value_parser = clap::value_parser!(u32).range(0..=64))]
    pub near_threshold: u32,
    /// Groups, leaks and flags listed in the summary (all of them are in the JSON).
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Measure every image again instead of reusing the hash cache (which is then not written).
    #[arg(long)]
    pub no_cache: bool,
    /// What to list in --exclude-out (comma-separated): exact and near (every member of a duplicate
    /// group but the first), leaks (every leak's validation copy), or a flag (dark, light, blurry,
    /// low_information, grayscale, odd_aspect_ratio, odd_size).
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "KINDS",
        requires = "exclude_out"
    )]
    pub exclude: Vec<crate::health::exclusion_list::ExcludeKind>,
    /// Write the images --exclude selects to this file, one path per line (with a tab and the
    /// reason), for batchscope export --exclude-list.
    #[arg(long, value_name = "FILE", requires = "exclude")]
    pub exclude_out: Option<PathBuf>,
}

/// How `list` prints its rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    /// Aligned columns for reading.
    #[default]
    Table,
    /// CSV with a header row (paths as manifest.csv writes them).
    Csv,
    /// A JSON array of objects.
    Json,
}

/// batchscope list.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// The dataset (any kind export opens; --health needs decoded images: a folder or TFRecords).
    pub dir: PathBuf,
    /// Loader options. With --validation-split and no --subset, both subsets are listed (the
    /// subset column says which).
    #[command(flatten)]
    pub loader: LoaderArgs,
    /// Output format: table, csv or json.
    #[arg(long, value_enum, default_value = "table")]
    pub format: ListFormat,
    /// Add the health measures and flags (runs the health pass, or reuses its cache). Implied by
    /// --flag and by a --sort on a measure.
    #[arg(long)]
    pub health: bool,
    /// Keep samples of this class (repeat for several: any of them).
    #[arg(long = "class", value_name = "NAME")]
    pub class: Vec<String>,
    /// Keep samples with this health finding: a flag (dark, light, blurry, low_information,
    /// grayscale, odd_aspect_ratio, odd_size), duplicate or leak (repeat for several: any of them).
    #[arg(long = "flag", value_name = "KIND", value_parser = crate::query::filter::parse_health_filter)]
    pub flag: Vec<crate::query::HealthFilter>,
    /// Keep images with an object of this class, in an annotated dataset (repeat for several: any
    /// of them).
    #[arg(long = "object-class", value_name = "NAME")]
    pub object_class: Vec<String>,
    /// Keep images with this many objects: MIN..MAX, MIN.., ..MAX or N, both ends included
    /// (`--objects 0` lists the images without objects).
    #[arg(long = "objects", value_name = "MIN..MAX", value_parser = crate::query::parse_count_range)]
    pub objects: Option<crate::query::CountRange>,
    /// Keep samples with this tag in the --corrections file (repeat for several: any of them).
    #[arg(long = "tag", value_name = "NAME", requires = "corrections")]
    pub tag: Vec<String>,
    /// Keep samples whose path (relative, with /) holds this text, or matches it as a glob when it
    /// holds *, ? or [ (* also matches /).
    #[arg(long, value_name = "GLOB")]
    pub path: Option<String>,
    /// Sort key: index (dataset order), path, class, brightness, sharpness, information, width,
    /// height, aspect_ratio, duplicate_group_size or num_objects. Ties keep dataset order.
    #[arg(long, value_enum, default_value = "index")]
    pub sort: crate::query::SortKey,
    /// Sort descending.
    #[arg(long)]
    pub desc: bool,
    /// Print at most N rows.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// A corrections.csv whose tags --tag filters on (and which the tags column shows).
    #[arg(long, value_name = "FILE")]
    pub corrections: Option<PathBuf>,
    /// Measure every image again instead of reusing the hash cache (which is then not written).
    #[arg(long)]
    pub no_cache: bool,
}

/// Parses HxW, H,W or N (square).
pub fn parse_image_size(s: &str) -> Result<Size, String> {
    let parts: Vec<&str> = s.split(['x', 'X', ',']).map(str::trim).collect();
    let num = |p: &str| {
        p.parse::<u32>()
            .ok()
            .filter(|&v| v > 0)
            .ok_or_else(|| format!("{s:?} is not an image size: expected HEIGHTxWIDTH with positive integers, e.g. 128x128"))
    };
    match parts.as_slice() {
        [n] => num(n).map(Size::square),
        [h, w] => Ok(Size {
            height: num(h)?,
            width: num(w)?,
        }),
        _ => Err(format!(
            "{s:?} is not an image size: expected HEIGHTxWIDTH, e.g. 128x128"
        )),
    }
}

/// Parses a byte count: a positive integer, optionally followed by K, M or G (powers of 1024).
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (digits, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => t.split_at(i),
        None => (t, ""),
    };
    let unit: u64 = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        "T" | "TB" | "TIB" => 1 << 40,
        _ => {
            return Err(format!(
                "{s:?} is not a byte count: expected e.g. 1073741824, 512M or 2G"
            ));
        }
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
        .filter(|&n| n > 0)
        .ok_or_else(|| {
            format!("{s:?} is not a byte count: expected a positive number, e.g. 512M or 2G")
        })
}

/// The shard `--shard` names: `I/N`, or with `auto` the scheduler's environment (`env`):
/// `SLURM_ARRAY_TASK_ID` less `SLURM_ARRAY_TASK_MIN` (an array may start at 1) of
/// `SLURM_ARRAY_TASK_COUNT`, else `JOB_COMPLETION_INDEX` of `--num-shards`.
pub fn resolve_shard(
    given: &str,
    num_shards: Option<usize>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<crate::plan::shard::ShardSpec, UsageError> {
    use crate::plan::shard::ShardSpec;
    let number = |name: &str| -> Result<Option<usize>, UsageError> {
        env(name)
            .map(|v| {
                v.trim().parse::<usize>().map_err(|_| {
                    UsageError(format!("--shard auto: {name}={v:?} is not a shard number"))
                })
            })
            .transpose()
    };
    let spec = if given == "auto" {
        if let (Some(id), Some(count)) = (
            number("SLURM_ARRAY_TASK_ID")?,
            number("SLURM_ARRAY_TASK_COUNT")?,
        ) {
            let min = number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            if let Some(n) = num_shards
                && n != count
            {
                return Err(UsageError(format!(
                    "--num-shards {n} disagrees with SLURM_ARRAY_TASK_COUNT={count}"
                )));
            }
            ShardSpec::new(id.saturating_sub(min), count)
        } else if let Some(index) = number("JOB_COMPLETION_INDEX")? {
            let count = num_shards.ok_or_else(|| {
                UsageError(
                    "--shard auto with JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) needs --num-shards N (the Job's completions)".into(),
                )
            })?;
            ShardSpec::new(index, count)
        } else {
            return Err(UsageError(
                "--shard auto found neither SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT (a SLURM job array) nor JOB_COMPLETION_INDEX (a Kubernetes Indexed Job); give --shard I/N".into(),
            ));
        }
    } else {
        if num_shards.is_some() {
            return Err(UsageError(
                "--num-shards goes with --shard auto; --shard I/N says N itself".into(),
            ));
        }
        ShardSpec::parse(given)
    };
    spec.map_err(|e| UsageError(e.to_string()))
}

/// A mistake in how the command was called (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

impl LoaderArgs {
    /// The loader options the flags ask for (defaults where a flag is not given). They are checked
    /// with [`crate::validate::validate`] against the source, once its kind is known
    /// ([`LoaderArgs::given`]).
    pub fn to_options(&self) -> LoadOptions {
        let fit = match (self.crop_to_aspect_ratio, self.pad_to_aspect_ratio) {
            (true, _) => AspectFit::Crop,
            (false, true) => AspectFit::Pad,
            (false, false) => AspectFit::Stretch,
        };
        let class_names = match (&self.class_names, self.class_name.is_empty()) {
            (None, true) => None,
            (names, _) => Some(
                names
                    .iter()
                    .flatten()
                    .chain(&self.class_name)
                    .cloned()
                    .collect(),
            ),
        };
        LoadOptions {
            index: IndexOptions {
                labels: self.labels,
                class_names,
                follow_links: self.follow_links,
                extra_formats: self.extra_formats,
                source: self.source,
                batched: self.batched.map(|b| b == YesNo::Yes),
                image_key: self.image_key.clone(),
                label_key: self.label_key.clone(),
                labels_file: self.labels_file.clone(),
                layout: self.array_layout,
                split: self.split.clone(),
                bbox_keys: self.bbox_keys.clone(),
                object_class_key: self.object_class_key.clone(),
                label_map: self.label_map.clone(),
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
                color_mode: self.color_mode.unwrap_or_default(),
                image_size: self.image_size,
                interpolation: self.interpolation.unwrap_or_default(),
                fit,
                max_file_bytes: self.max_file_bytes.unwrap_or(DEFAULT_MAX_FILE_BYTES),
                jpeg: self.jpeg.unwrap_or_default(),
            },
        }
    }

    /// The options these flags give, as given or not, for [`crate::validate::validate`]. With
    /// `both_subsets`, a validation split without a subset is accepted (the health pass then covers
    /// both subsets): the split is checked as either subset would be.
    pub fn given(&self, both_subsets: bool) -> Given {
        let options = self.to_options();
        let mut plan = options.plan.clone();
        if both_subsets && plan.validation_split.is_some() && plan.subset.is_none() {
            plan.subset = Some(Subset::Training);
        }
        Given {
            source_options: crate::source::given_options(&options.index),
            labels: Some(self.labels),
            color_mode: self.color_mode,
            jpeg: self.jpeg,
            image_size: self.image_size,
            interpolation: self.interpolation,
            crop_to_aspect_ratio: self.crop_to_aspect_ratio,
            pad_to_aspect_ratio: self.pad_to_aspect_ratio,
            max_file_bytes: self.max_file_bytes,
            plan: Some(plan),
            ..Given::default()
        }
    }

    /// Refuses an --image-size of which one image would not fit --max-image-bytes (or would
    /// overflow), before the folder is read. A native size is checked with [LoaderArgs::check_shape]
    /// once the headers are read.
    pub fn check_image_size(&self, element: Element) -> Result<(), UsageError> {
        match self.image_size {
            Some(size) => self.check_shape(size, element),
            None => Ok(()),
        }
    }

    /// Refuses an output of `size` of which one image would not fit --max-image-bytes.
    pub fn check_shape(&self, size: Size, element: Element) -> Result<(), UsageError> {
        let channels = self.color_mode.unwrap_or_default().channels();
        preprocess::check_output_size(size, channels, element.dtype, self.max_image_bytes)
            .map_err(|e| UsageError(e.to_string()))?;
        if self.image_size.is_some() && element.dtype == Dtype::Uint8 {
            // Resizing computes each image in float32 before rounding it to bytes.
            preprocess::check_output_size(size, channels, Dtype::Float32, self.max_image_bytes)
                .map_err(|e| {
                    UsageError(format!(
                        "resizing works on a float32 copy of each image, and {e}"
                    ))
                })?;
        }
        Ok(())
    }

    /// Flags that are accepted but have no effect, as warning lines.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.seed.is_some() && !self.shuffle {
            out.push(
                "--seed has no effect without --shuffle (shuffling is off by default, unlike Keras); add --shuffle to shuffle with this seed"
                    .to_owned(),
            );
        }
        out
    }
}
