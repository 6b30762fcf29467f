//! The options that decide what a dataset's batches contain, shared by the command line, the GUI and the
//! engine. Each enum maps one-to-one onto a Keras argument of `image_dataset_from_directory` (or an
//! export choice), so that "the same options" means the same thing everywhere.
//!
//! Each value has one spelling, Keras's and numpy's (`rgb`, `uint8`, `inferred`, `bilinear`): the clap
//! value name, which is also its [`Display`](std::fmt::Display) and its serde name. The viewer, the
//! command line, `inspect` and the export summary all show that, never the Rust variant's name. (The
//! variant names are still read from settings saved before.)

use std::fmt;

use clap::ValueEnum as _;
use serde::{Deserialize, Serialize};

use crate::size::Size;

/// Where labels come from (Keras's `labels=`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum LabelSource {
    /// root/<class>/.../<image>: one class per immediate subdirectory of the root.
    #[default]
    #[serde(alias = "Inferred")]
    Inferred,
    /// Images only: every image under the root, no classes.
    #[serde(alias = "None")]
    None,
}

/// How labels are encoded in `labels.npy` (Keras's `label_mode=`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum LabelMode {
    /// int32 (N,), the class index.
    #[default]
    #[serde(alias = "Int")]
    Int,
    /// float32 one-hot (N, C).
    #[serde(alias = "Categorical")]
    Categorical,
    /// float32 (N, 1), 0.0 or 1.0; exactly two classes required.
    #[serde(alias = "Binary")]
    Binary,
    /// No labels file.
    #[serde(alias = "None")]
    None,
}

/// Number and meaning of channels (Keras's `color_mode=`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ColorMode {
    /// 3 channels.
    #[default]
    #[serde(alias = "Rgb")]
    Rgb,
    /// 1 channel.
    #[serde(alias = "Grayscale")]
    Grayscale,
    /// 4 channels.
    #[serde(alias = "Rgba")]
    Rgba,
}

impl ColorMode {
    /// Channels per pixel in this mode.
    pub fn channels(self) -> usize {
        match self {
            Self::Grayscale => 1,
            Self::Rgb => 3,
            Self::Rgba => 4,
        }
    }
}

/// Which JPEG decoder gives the pixels. Not a Keras argument: TensorFlow always decodes with
/// libjpeg-turbo's fast integer IDCT and fancy upsampling, which `exact` reproduces. (`--help` shows
/// the variants' docs as written: no markdown in them.)
#[allow(clippy::doc_markdown)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum JpegDecoder {
    /// zune-jpeg: faster to decode, but pixels off TensorFlow's by several levels on most photos.
    Fast,
    /// libjpeg-turbo's decoder with TensorFlow's settings: every pixel equal to tf.io.decode_image's.
    #[default]
    Exact,
}

/// Resize kernel (Keras's `interpolation=`), all as `tf.image.resize(..., antialias=False)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Interpolation {
    /// Half-pixel-centre bilinear, no antialiasing.
    #[default]
    #[serde(alias = "Bilinear")]
    Bilinear,
    /// Half-pixel-centre nearest neighbour.
    #[serde(alias = "Nearest")]
    Nearest,
    /// Box average over the covered source area (tf.image.resize area).
    #[serde(alias = "Area")]
    Area,
}

/// What to do when the source's aspect ratio differs from the target's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AspectFit {
    /// Stretch to the target size (Keras's default).
    #[default]
    #[serde(alias = "Stretch")]
    Stretch,
    /// `crop_to_aspect_ratio=True`: centre-crop to the target ratio, then resize.
    #[serde(alias = "Crop")]
    Crop,
    /// `pad_to_aspect_ratio=True`: resize to fit inside, then pad with zeros.
    #[serde(alias = "Pad")]
    Pad,
}

/// `stretch`, `crop`, `pad` (the flags are `--crop-to-aspect-ratio` and `--pad-to-aspect-ratio`).
impl fmt::Display for AspectFit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Stretch => "stretch",
            Self::Crop => "crop",
            Self::Pad => "pad",
        })
    }
}

/// `subset=` of a validation split.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Subset {
    /// The first N - int(v*N) samples of the (shuffled) order.
    #[serde(alias = "Training")]
    Training,
    /// The last int(v*N) samples of the (shuffled) order.
    #[serde(alias = "Validation")]
    Validation,
}

/// Element type of `images.npy`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Dtype {
    /// Exact pixels, 4x smaller; resized values are rounded to nearest.
    #[default]
    #[serde(alias = "Uint8")]
    Uint8,
    /// Keras's dtype: resized values as TensorFlow computes them.
    #[serde(alias = "Float32")]
    Float32,
}

impl Dtype {
    /// Bytes of one element.
    pub fn size(self) -> usize {
        match self {
            Self::Uint8 => 1,
            Self::Float32 => 4,
        }
    }
}

/// Element type of the exported `images.npy` (`--dtype`): the loader's [`Dtype`], plus float16, which is
/// the loader's float32 value rounded to nearest-even as numpy's `astype(np.float16)` does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ArrayDtype {
    /// Exact pixels; resized values are rounded to nearest.
    #[default]
    // The export panel's settings stored a `Dtype` here before float16 (Rust names before the rename).
    #[serde(alias = "Uint8")]
    Uint8,
    /// Half the size of float32: the float32 value rounded to nearest-even (numpy's cast).
    Float16,
    /// Keras's dtype: resized values as TensorFlow computes them.
    #[serde(alias = "Float32")]
    Float32,
}

impl ArrayDtype {
    /// What the loader produces for it (float16 is cast from float32 when written).
    pub fn loader_dtype(self) -> Dtype {
        match self {
            Self::Uint8 => Dtype::Uint8,
            Self::Float16 | Self::Float32 => Dtype::Float32,
        }
    }
}

impl From<Dtype> for ArrayDtype {
    fn from(dtype: Dtype) -> Self {
        match dtype {
            Dtype::Uint8 => Self::Uint8,
            Dtype::Float32 => Self::Float32,
        }
    }
}

/// Axis order of the exported images (`--layout`).
// The variants' docs are --help text, which clap prints as written: no backticks.
#[allow(clippy::doc_markdown)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// (N, H, W, C), Keras's and TensorFlow's.
    #[default]
    Nhwc,
    /// (N, C, H, W), PyTorch's.
    Nchw,
}

/// File format of the exported arrays (`--format`).
// The variants' docs are --help text, which clap prints as written: no backticks.
#[allow(clippy::doc_markdown)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ArrayFormat {
    /// One .npy file per array.
    #[default]
    Npy,
    /// One .npz archive (arrays.npz) holding the same .npy members, as np.savez writes.
    Npz,
}

/// Value range of float32 images.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scale {
    /// 0..=255, like Keras.
    #[default]
    To255,
    /// 0..=1 (divided by 255).
    To1,
}

/// Everything that decides which files are samples and what their labels are.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct IndexOptions {
    /// Inferred from subdirectories, or none.
    pub labels: LabelSource,
    /// Restrict and reorder the classes (must be subdirectory names).
    pub class_names: Option<Vec<String>>,
    /// Follow symlinked directories below the root (loops are detected and skipped).
    pub follow_links: bool,
    /// Also take `.webp`, `.tif` and `.tiff` files (Keras does not).
    pub extra_formats: bool,
    /// What kind of dataset the path is; `None` detects it from the content.
    pub source: Option<SourceKind>,
    /// Whether a saved tf.data dataset's elements are batches; `None` decides from its spec.
    pub batched: Option<bool>,
    /// The TFRecord feature or `.npz` array holding the images; `None` picks it by name and shape.
    pub image_key: Option<String>,
    /// The TFRecord feature or `.npz` array holding the labels; `None` picks it by name and shape.
    pub label_key: Option<String>,
    /// The labels file of an MNIST IDX images file, when its name does not say.
    pub labels_file: Option<std::path::PathBuf>,
    /// How stored image arrays order their axes; detected by default.
    pub layout: ArrayLayout,
    /// The split of a Hugging Face `DatasetDict` folder to open; `train` (else the first) by default.
    pub split: Option<String>,
    /// The TFRecord features holding a detection record's boxes: four float lists in the order
    /// `xmin, ymin, xmax, ymax`, or one flat list of `[ymin, xmin, ymax, xmax]` per object (tfds's
    /// layout); `None` detects the TF Object Detection API's keys, then tfds's `objects/bbox`.
    pub bbox_keys: Option<Vec<String>>,
    /// The int64 TFRecord feature holding each object's class id; `None`: the OD API's
    /// `image/object/class/label`, or tfds's `objects/label`.
    pub object_class_key: Option<String>,
    /// A TF Object Detection API label map (`.pbtxt`) naming the class ids; `None` takes the only
    /// `*label_map*.pbtxt` beside the records, if there is exactly one.
    pub label_map: Option<std::path::PathBuf>,
}

impl IndexOptions {
    /// Whether labels are read: not `--labels none`, and no `--label-key none`.
    pub fn reads_labels(&self) -> bool {
        self.labels != LabelSource::None && self.label_key.as_deref() != Some("none")
    }

    /// The label feature, column or member asked for, when labels are read.
    pub fn label_key_read(&self) -> Option<&str> {
        self.label_key.as_deref().filter(|_| self.reads_labels())
    }
}

/// How a stored image array orders a sample's axes (`--array-layout`). Only the drawing and the shape
/// reported follow it: exported arrays keep their stored order.
// The variants' docs are --help text, which clap prints as written: no backticks.
#[allow(clippy::doc_markdown)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum ArrayLayout {
    /// Channels last (H, W, C), unless the last axis is not a channel count and the first is 1 or 3.
    #[default]
    Auto,
    /// Channels last: (N, H, W, C), as TensorFlow and numpy images.
    Nhwc,
    /// Channels first: (N, C, H, W), as PyTorch tensors.
    Nchw,
}

impl std::fmt::Display for ArrayLayout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Auto => "auto",
            Self::Nhwc => "NHWC",
            Self::Nchw => "NCHW",
        })
    }
}

/// The kinds of dataset batchscope opens (`--source`).
// The variants' docs are --help text, which clap prints as written: no backticks.
#[allow(clippy::doc_markdown)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// A folder of images, one subfolder per class.
    Folder,
    /// A folder written by tf.data.Dataset.save().
    Saved,
    /// TFRecord files of tf.train.Example (one file, a folder of shards, or a pattern).
    Tfrecord,
    /// A .npy file (the images), or a batchscope export folder.
    Npy,
    /// An .npz archive.
    Npz,
    /// MNIST IDX files (raw or .gz).
    Idx,
    /// CIFAR-10/100 binary batches.
    Cifar,
    /// WebDataset tar shards (.tar, .tar.gz; one file, a folder, a glob or a {000..099} pattern).
    Wds,
    /// Parquet files (one file, a folder, a glob or a {0..3} pattern), such as the Hugging Face Hub's.
    Parquet,
    /// A Hugging Face datasets folder written by save_to_disk (or a DatasetDict's, or an .arrow file).
    Hf,
    /// COCO detection/segmentation: an instances_*.json (or a folder holding annotations/) and its images.
    Coco,
    /// YOLO detection: images/ and labels/ (optionally images/<split>), names from data.yaml or classes.txt.
    Yolo,
    /// Pascal VOC: Annotations/*.xml and JPEGImages/ (ImageSets/Main/<split>.txt with --split).
    Voc,
    /// A segmentation folder: images and class-map masks of the same names (images/ + masks/, or
    /// VOC's JPEGImages/ + SegmentationClass/).
    Seg,
}

/// Everything that decides the order of samples and the batch boundaries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlanOptions {
    /// Permute the files once, as numpy's `RandomState(seed).shuffle`.
    pub shuffle: bool,
    /// Seed of the permutation; a random one is drawn (and reported) when shuffling without one.
    pub seed: Option<u32>,
    /// Fraction of the files held out for validation, in (0, 1).
    pub validation_split: Option<f64>,
    /// Which side of the split to use.
    pub subset: Option<Subset>,
    /// Samples per batch.
    pub batch_size: usize,
    /// Drop the last batch when it is partial.
    pub drop_remainder: bool,
}

impl Default for PlanOptions {
    fn default() -> Self {
        Self {
            shuffle: false,
            seed: None,
            validation_split: None,
            subset: None,
            batch_size: 32,
            drop_remainder: false,
        }
    }
}

/// Everything that decides the pixels of a sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PreprocessOptions {
    /// Output channels.
    pub color_mode: ColorMode,
    /// The output size; `None` keeps the native size (all images must then share one size).
    pub image_size: Option<Size>,
    /// Resize kernel.
    pub interpolation: Interpolation,
    /// Crop or pad to the target aspect ratio, or stretch.
    pub fit: AspectFit,
    /// The most bytes read from one file; a larger file is skipped with the limit in its reason.
    pub max_file_bytes: u64,
    /// Which JPEG decoder.
    pub jpeg: JpegDecoder,
}

impl PreprocessOptions {
    /// What the decoder needs of these options.
    pub fn decoding(&self) -> Decoding {
        Decoding {
            color_mode: self.color_mode,
            jpeg: self.jpeg,
        }
    }
}

/// How to decode one image: its output channels and the JPEG decoder. A bare [`ColorMode`] converts
/// into it with the default (exact) JPEG decoder.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Decoding {
    /// Output channels.
    pub color_mode: ColorMode,
    /// Which JPEG decoder.
    pub jpeg: JpegDecoder,
}

impl From<ColorMode> for Decoding {
    fn from(color_mode: ColorMode) -> Self {
        Self {
            color_mode,
            jpeg: JpegDecoder::default(),
        }
    }
}

/// The default largest file read, in bytes (1 GiB); `--max-file-bytes` changes it.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 1 << 30;

impl Default for PreprocessOptions {
    fn default() -> Self {
        Self {
            color_mode: ColorMode::default(),
            image_size: None,
            interpolation: Interpolation::default(),
            fit: AspectFit::default(),
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            jpeg: JpegDecoder::default(),
        }
    }
}

/// The full set of loader options: index, plan and preprocessing.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LoadOptions {
    /// Which files, which labels.
    pub index: IndexOptions,
    /// Which order, which split, which batches.
    pub plan: PlanOptions,
    /// Which pixels.
    pub preprocess: PreprocessOptions,
}

/// Writes the clap value name of each variant (`rgb`, `uint8`, `float32`, `inferred`, `bilinear`).
macro_rules! display_as_value_name {
    ($($ty:ty),*) => {$(
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.to_possible_value() {
                    Some(value) => f.write_str(value.get_name()),
                    None => Err(fmt::Error),
                }
            }
        }
    )*};
}

display_as_value_name!(
    SourceKind,
    LabelSource,
    LabelMode,
    ColorMode,
    JpegDecoder,
    Interpolation,
    Subset,
    Dtype,
    ArrayDtype,
    Layout,
    ArrayFormat
);

#[cfg(test)]
mod tests {
    use super::*;

    /// Every variant's display, clap and serde names, and what Keras/numpy call it; settings saved
    /// before the rename (Rust's variant names) still load.
    fn check<T>(spellings: &[(T, &str)])
    where
        T: clap::ValueEnum
            + fmt::Display
            + Serialize
            + for<'de> Deserialize<'de>
            + PartialEq
            + fmt::Debug,
    {
        check_new(spellings);
        for (value, _) in spellings {
            let old = serde_json::to_string(&format!("{value:?}")).unwrap_or_default();
            assert_eq!(serde_json::from_str::<T>(&old).ok().as_ref(), Some(value));
        }
    }

    /// [`check`] for options added after the rename, which no saved settings spell the old way.
    fn check_new<T>(spellings: &[(T, &str)])
    where
        T: clap::ValueEnum
            + fmt::Display
            + Serialize
            + for<'de> Deserialize<'de>
            + PartialEq
            + fmt::Debug,
    {
        assert_eq!(T::value_variants().len(), spellings.len());
        for (value, name) in spellings {
            assert_eq!(value.to_string(), *name);
            assert_eq!(T::from_str(name, false).as_ref(), Ok(value));
            assert_eq!(
                serde_json::to_string(value).unwrap_or_default(),
                format!("{name:?}")
            );
        }
    }

    #[test]
    fn every_value_is_spelled_as_keras_and_numpy_spell_it_everywhere() {
        check(&[
            (LabelSource::Inferred, "inferred"),
            (LabelSource::None, "none"),
        ]);
        check(&[
            (LabelMode::Int, "int"),
            (LabelMode::Categorical, "categorical"),
            (LabelMode::Binary, "binary"),
            (LabelMode::None, "none"),
        ]);
        check(&[
            (ColorMode::Rgb, "rgb"),
            (ColorMode::Grayscale, "grayscale"),
            (ColorMode::Rgba, "rgba"),
        ]);
        check(&[
            (Interpolation::Bilinear, "bilinear"),
            (Interpolation::Nearest, "nearest"),
            (Interpolation::Area, "area"),
        ]);
        check(&[
            (Subset::Training, "training"),
            (Subset::Validation, "validation"),
        ]);
        check(&[(Dtype::Uint8, "uint8"), (Dtype::Float32, "float32")]);
        check_new(&[
            (ArrayDtype::Uint8, "uint8"),
            (ArrayDtype::Float16, "float16"),
            (ArrayDtype::Float32, "float32"),
        ]);
        check_new(&[(Layout::Nhwc, "nhwc"), (Layout::Nchw, "nchw")]);
        check_new(&[(ArrayFormat::Npy, "npy"), (ArrayFormat::Npz, "npz")]);
    }

    #[test]
    fn aspect_fit_has_one_spelling_too() {
        for (fit, name) in [
            (AspectFit::Stretch, "stretch"),
            (AspectFit::Crop, "crop"),
            (AspectFit::Pad, "pad"),
        ] {
            assert_eq!(fit.to_string(), name);
            assert_eq!(
                serde_json::to_string(&fit).unwrap_or_default(),
                format!("{name:?}")
            );
            let old = format!("{fit:?}");
            assert_eq!(
                serde_json::from_str::<AspectFit>(&format!("{old:?}")).ok(),
                Some(fit)
            );
        }
    }

    #[test]
    fn jpeg_decoder_is_spelled_fast_and_exact_everywhere() {
        for (jpeg, name) in [(JpegDecoder::Fast, "fast"), (JpegDecoder::Exact, "exact")] {
            assert_eq!(jpeg.to_string(), name);
            assert_eq!(JpegDecoder::from_str(name, false), Ok(jpeg));
            assert_eq!(
                serde_json::to_string(&jpeg).unwrap_or_default(),
                format!("{name:?}")
            );
        }
        // TensorFlow's pixels unless asked otherwise (issue 22): the default is the exact decoder.
        assert_eq!(PreprocessOptions::default().jpeg, JpegDecoder::Exact);
        assert_eq!(Decoding::from(ColorMode::Rgb).jpeg, JpegDecoder::Exact);
    }
}
