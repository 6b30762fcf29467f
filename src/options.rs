//! The options that decide what a dataset's batches contain, shared by the command line, the GUI and the
//! engine. Each enum maps one-to-one onto a Keras argument of `image_dataset_from_directory` (or an
//! export choice), so that "the same options" means the same thing everywhere.

use serde::{Deserialize, Serialize};

/// Where labels come from (Keras's `labels=`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
pub enum LabelSource {
    /// `root/<class>/.../<image>`: one class per immediate subdirectory of the root.
    #[default]
    Inferred,
    /// Images only: every image under the root, no classes.
    None,
}

/// How labels are encoded in `labels.npy` (Keras's `label_mode=`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
pub enum LabelMode {
    /// int32 `(N,)`, the class index.
    #[default]
    Int,
    /// float32 one-hot `(N, C)`.
    Categorical,
    /// float32 `(N, 1)`, 0.0 or 1.0; exactly two classes required.
    Binary,
    /// No labels file.
    None,
}

/// Number and meaning of channels (Keras's `color_mode=`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
pub enum ColorMode {
    /// 3 channels.
    #[default]
    Rgb,
    /// 1 channel.
    Grayscale,
    /// 4 channels.
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

/// Resize kernel (Keras's `interpolation=`), all as `tf.image.resize(..., antialias=False)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
pub enum Interpolation {
    /// Half-pixel-centre bilinear, no antialiasing.
    #[default]
    Bilinear,
    /// Half-pixel-centre nearest neighbour.
    Nearest,
    /// Box average over the covered source area (`tf.image.resize` `area`).
    Area,
}

/// What to do when the source's aspect ratio differs from the target's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum AspectFit {
    /// Stretch to the target size (Keras's default).
    #[default]
    Stretch,
    /// `crop_to_aspect_ratio=True`: centre-crop to the target ratio, then resize.
    Crop,
    /// `pad_to_aspect_ratio=True`: resize to fit inside, then pad with zeros.
    Pad,
}

/// `subset=` of a validation split.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
pub enum Subset {
    /// The first `N - int(v*N)` samples of the (shuffled) order.
    Training,
    /// The last `int(v*N)` samples of the (shuffled) order.
    Validation,
}

/// Element type of `images.npy`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
pub enum Dtype {
    /// Exact pixels, 4x smaller; resized values are rounded to nearest.
    #[default]
    Uint8,
    /// Keras's dtype: resized values as TensorFlow computes them.
    Float32,
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
    /// `(height, width)`; `None` keeps the native size (all images must then share one size).
    pub image_size: Option<(u32, u32)>,
    /// Resize kernel.
    pub interpolation: Interpolation,
    /// Crop or pad to the target aspect ratio, or stretch.
    pub fit: AspectFit,
    /// The most bytes read from one file; a larger file is skipped with the limit in its reason.
    pub max_file_bytes: u64,
}

impl Default for PreprocessOptions {
    fn default() -> Self {
        Self {
            color_mode: ColorMode::default(),
            image_size: None,
            interpolation: Interpolation::default(),
            fit: AspectFit::default(),
            max_file_bytes: crate::decode::DEFAULT_MAX_FILE_BYTES,
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
