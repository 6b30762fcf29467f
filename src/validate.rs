//! One validation of the options a user gave, for the command line and the viewer alike.
//!
//! Options arrive as given or not ([`Given`]: `None` or `false` when the user did not set them, never
//! a value compared with a default, so an explicitly typed default is still an option given). What
//! the source takes comes from its kind's registration ([`Takes`]). [`validate`] returns every
//! problem at once, each naming its [`Opt`]; the command line spells an option as its flag, the
//! viewer as its label, and neither words the rules again.

use crate::options::{
    ArrayDtype, ColorMode, Interpolation, JpegDecoder, LabelSource, Layout, PlanOptions,
};
use crate::plan;
use crate::size::Size;

/// An option that only some kinds of source take (each kind says which in its registration).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceOption {
    /// Class names: an image folder's explicit class list (its subfolders, restricted and
    /// reordered), or the names of any other source's integer labels `0..K-1`.
    ClassNames,
    /// Following symlinked folders (a folder walk).
    FollowLinks,
    /// `.webp`, `.tif`, `.tiff` besides Keras's extensions (a folder walk).
    ExtraFormats,
    /// Whether the stored elements are batches (a saved dataset).
    Batched,
    /// Which feature or array holds the images.
    ImageKey,
    /// Which feature or array holds the labels.
    LabelKey,
    /// A separate labels file (IDX).
    LabelsFile,
    /// The axis order of stored image arrays.
    Layout,
    /// The split of a `DatasetDict`, COCO, YOLO or Pascal VOC folder.
    Split,
    /// Which features hold a detection record's boxes (four lists, or one flat list).
    BboxKeys,
    /// Which feature holds a detection record's object classes.
    ObjectClassKey,
    /// A label map (`.pbtxt`) naming a detection dataset's class ids.
    LabelMap,
}

impl SourceOption {
    /// Every source-specific option, in the order they are checked.
    pub const ALL: &[Self] = &[
        Self::ClassNames,
        Self::FollowLinks,
        Self::ExtraFormats,
        Self::Batched,
        Self::ImageKey,
        Self::LabelKey,
        Self::LabelsFile,
        Self::Layout,
        Self::Split,
        Self::BboxKeys,
        Self::ObjectClassKey,
        Self::LabelMap,
    ];

    /// The command line's spelling.
    pub fn flag(self) -> &'static str {
        match self {
            Self::ClassNames => "--class-names",
            Self::FollowLinks => "--follow-links",
            Self::ExtraFormats => "--extra-formats",
            Self::Batched => "--batched",
            Self::ImageKey => "--image-key",
            Self::LabelKey => "--label-key",
            Self::LabelsFile => "--labels-file",
            Self::Layout => "--array-layout",
            Self::Split => "--split",
            Self::BboxKeys => "--bbox-keys",
            Self::ObjectClassKey => "--object-class-key",
            Self::LabelMap => "--label-map",
        }
    }

    /// The viewer's label for it.
    pub fn label(self) -> &'static str {
        match self {
            Self::ClassNames => "class names",
            Self::FollowLinks => "follow symlinked folders",
            Self::ExtraFormats => "also .webp, .tif, .tiff",
            Self::Batched => "stored as batches",
            Self::ImageKey => "image key",
            Self::LabelKey => "label key",
            Self::LabelsFile => "labels file",
            Self::Layout => "array layout",
            Self::Split => "split",
            Self::BboxKeys => "box keys",
            Self::ObjectClassKey => "object class key",
            Self::LabelMap => "label map",
        }
    }
}

/// An option a user can give: the one name both front ends spell their own way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opt {
    /// An option only some kinds of source take.
    Source(SourceOption),
    /// `--color-mode`.
    ColorMode,
    /// `--jpeg`.
    Jpeg,
    /// `--image-size`.
    ImageSize,
    /// `--interpolation`.
    Interpolation,
    /// `--crop-to-aspect-ratio`.
    CropToAspectRatio,
    /// `--pad-to-aspect-ratio`.
    PadToAspectRatio,
    /// `--max-file-bytes`.
    MaxFileBytes,
    /// `--dtype` (export).
    Dtype,
    /// `--layout` (export).
    Layout,
    /// `--labels`.
    Labels,
    /// The plan's options (shuffle, seed, split, subset, batch size): their own checks word them.
    Plan,
}

impl Opt {
    /// The command line's spelling.
    pub fn flag(self) -> &'static str {
        match self {
            Self::Source(option) => option.flag(),
            Self::ColorMode => "--color-mode",
            Self::Jpeg => "--jpeg",
            Self::ImageSize => "--image-size",
            Self::Interpolation => "--interpolation",
            Self::CropToAspectRatio => "--crop-to-aspect-ratio",
            Self::PadToAspectRatio => "--pad-to-aspect-ratio",
            Self::MaxFileBytes => "--max-file-bytes",
            Self::Dtype => "--dtype",
            Self::Layout => "--layout",
            Self::Labels => "--labels",
            Self::Plan => "the order and split options",
        }
    }

    /// The viewer's label for it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Source(option) => option.label(),
            Self::ColorMode => "colour mode",
            Self::Jpeg => "JPEG decoder",
            Self::ImageSize => "image size",
            Self::Interpolation => "interpolation",
            Self::CropToAspectRatio => "crop to aspect ratio",
            Self::PadToAspectRatio => "pad to aspect ratio",
            Self::MaxFileBytes => "max file size",
            Self::Dtype => "dtype",
            Self::Layout => "layout",
            Self::Labels => "labels",
            Self::Plan => "order and split",
        }
    }
}

/// What a kind of source takes, from its registration (known before it is opened).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Takes {
    /// Its samples are decoded images, so the image options apply.
    pub decodes_images: bool,
    /// `--max-file-bytes` limits what it reads (an image file, a record), even where it keeps
    /// stored rows (a saved dataset's records are read whole).
    pub record_limit: bool,
    /// The source-specific options it takes.
    pub accepts: &'static [SourceOption],
    /// What it is, for messages (`a saved tf.data dataset`).
    pub what: &'static str,
}

/// The options a user gave: `None` or `false` for each one not given.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Given {
    /// The source-specific options given, in the order they are checked.
    pub source_options: Vec<SourceOption>,
    /// `--labels`.
    pub labels: Option<LabelSource>,
    /// `--color-mode`.
    pub color_mode: Option<ColorMode>,
    /// `--jpeg`.
    pub jpeg: Option<JpegDecoder>,
    /// `--image-size`.
    pub image_size: Option<Size>,
    /// `--interpolation`.
    pub interpolation: Option<Interpolation>,
    /// `--crop-to-aspect-ratio`.
    pub crop_to_aspect_ratio: bool,
    /// `--pad-to-aspect-ratio`.
    pub pad_to_aspect_ratio: bool,
    /// `--max-file-bytes`.
    pub max_file_bytes: Option<u64>,
    /// `--dtype`.
    pub dtype: Option<ArrayDtype>,
    /// `--layout`.
    pub layout: Option<Layout>,
    /// The plan's options (checked whole; `None` when the caller checks no plan here).
    pub plan: Option<PlanOptions>,
}

/// Why an option cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// This kind of source does not take it.
    NotForSource(&'static str),
    /// It applies to decoded images, and the source keeps stored rows.
    StoredRows(&'static str),
    /// It needs another option given.
    Needs(Opt),
    /// It cannot be given with another one.
    Conflicts(Opt),
    /// It needs labels (inferred from subfolders, or a stored source's label array), and they are off.
    NeedsInferredLabels,
    /// Class names given for labels `0..classes-1` in another number (known once the source is open).
    ClassCount {
        /// How many names were given.
        names: usize,
        /// How many classes the labels have.
        classes: usize,
    },
    /// Class names given for a source whose labels are not integer classes: what they are instead.
    NotIntegerLabels(String),
    /// Its value is wrong (the plan's own check says why, in words that name no flag).
    Value(String),
}

/// One option that cannot be used, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    /// The option.
    pub option: Opt,
    /// Why.
    pub reason: Reason,
}

impl Invalid {
    /// Whether the option is merely not for this source (the viewer keeps such a value for the
    /// next source that takes it, and shows it disabled with the reason).
    pub fn is_not_applicable(&self) -> bool {
        matches!(self.reason, Reason::NotForSource(_) | Reason::StoredRows(_))
    }

    /// The message, with options spelled by `spell` ([`Opt::flag`] or [`Opt::label`]).
    pub fn message(&self, spell: fn(Opt) -> &'static str) -> String {
        let option = spell(self.option);
        match &self.reason {
            Reason::NotForSource(what) => format!("{option} does not apply to {what}"),
            Reason::StoredRows(what) => format!(
                "{option} applies to decoded images (folders, TFRecords); {what} keep their stored dtypes and shapes"
            ),
            Reason::Needs(other) => match self.option {
                Opt::Interpolation => format!(
                    "{option} needs {}: without it images keep their native size (Keras would resize them to 256x256)",
                    spell(*other)
                ),
                Opt::CropToAspectRatio | Opt::PadToAspectRatio => format!(
                    "cropping or padding to an aspect ratio needs {}",
                    spell(*other)
                ),
                _ => format!("{option} needs {}", spell(*other)),
            },
            Reason::Conflicts(other) => {
                format!("{option} and {} cannot be used together", spell(*other))
            }
            Reason::NeedsInferredLabels => format!(
                "{option} needs labels (a folder's subfolders, a source's label array), not {} none",
                spell(Opt::Labels)
            ),
            Reason::ClassCount { names, classes } => {
                let given = plural(*names, "name");
                match classes {
                    0 => format!("{option} gives {given} but the dataset has no labelled sample"),
                    _ => format!(
                        "{option} gives {given} but the labels run 0..{} ({})",
                        classes - 1,
                        plural(*classes, "class")
                    ),
                }
            }
            Reason::NotIntegerLabels(what) => {
                format!("{option} names integer labels 0..K-1, and {what}")
            }
            Reason::Value(why) => why.clone(),
        }
    }

    /// The command line's message.
    pub fn for_command_line(&self) -> String {
        self.message(Opt::flag)
    }

    /// The viewer's message.
    pub fn for_viewer(&self) -> String {
        self.message(Opt::label)
    }
}

/// `n` and `noun`, plural unless `n` is 1 (`1 name`, `3 names`, `1 class`, `5 classes`).
fn plural(n: usize, noun: &str) -> String {
    match (n, noun.ends_with('s')) {
        (1, _) => format!("1 {noun}"),
        (_, true) => format!("{n} {noun}es"),
        (_, false) => format!("{n} {noun}s"),
    }
}

/// Why `option`, given alone, does not apply to a source that `takes` so (`None` when it applies):
/// the same check as [`validate`], for a front end that shows the option disabled with the reason.
pub fn why_not(option: Opt, takes: &Takes) -> Option<Invalid> {
    let mut given = Given::default();
    match option {
        Opt::Source(option) => given.source_options.push(option),
        Opt::ColorMode => given.color_mode = Some(ColorMode::default()),
        Opt::Jpeg => given.jpeg = Some(JpegDecoder::default()),
        Opt::ImageSize => given.image_size = Some(Size::square(1)),
        Opt::Interpolation => {
            given.interpolation = Some(Interpolation::default());
            given.image_size = Some(Size::square(1));
        }
        Opt::CropToAspectRatio => {
            given.crop_to_aspect_ratio = true;
            given.image_size = Some(Size::square(1));
        }
        Opt::PadToAspectRatio => {
            given.pad_to_aspect_ratio = true;
            given.image_size = Some(Size::square(1));
        }
        Opt::MaxFileBytes => given.max_file_bytes = Some(0),
        Opt::Dtype => given.dtype = Some(ArrayDtype::default()),
        Opt::Layout => given.layout = Some(Layout::default()),
        Opt::Labels | Opt::Plan => return None,
    }
    validate(&given, takes)
        .err()?
        .into_iter()
        .find(|invalid| invalid.option == option && invalid.is_not_applicable())
}

/// Checks `given` against what the source `takes`: every problem, or nothing.
pub fn validate(given: &Given, takes: &Takes) -> Result<(), Vec<Invalid>> {
    let mut invalid = Vec::new();
    let mut refuse = |option, reason| invalid.push(Invalid { option, reason });
    for &option in &given.source_options {
        if !takes.accepts.contains(&option) {
            refuse(Opt::Source(option), Reason::NotForSource(takes.what));
        }
    }
    if given.source_options.contains(&SourceOption::ClassNames)
        && given.labels == Some(LabelSource::None)
    {
        refuse(
            Opt::Source(SourceOption::ClassNames),
            Reason::NeedsInferredLabels,
        );
    }
    if given.crop_to_aspect_ratio && given.pad_to_aspect_ratio {
        refuse(
            Opt::CropToAspectRatio,
            Reason::Conflicts(Opt::PadToAspectRatio),
        );
    }
    if given.image_size.is_none() {
        if given.crop_to_aspect_ratio || given.pad_to_aspect_ratio {
            let option = if given.crop_to_aspect_ratio {
                Opt::CropToAspectRatio
            } else {
                Opt::PadToAspectRatio
            };
            refuse(option, Reason::Needs(Opt::ImageSize));
        }
        if given.interpolation.is_some() {
            refuse(Opt::Interpolation, Reason::Needs(Opt::ImageSize));
        }
    }
    if !takes.decodes_images {
        let image_options = [
            (Opt::ImageSize, given.image_size.is_some()),
            (Opt::ColorMode, given.color_mode.is_some()),
            (Opt::Jpeg, given.jpeg.is_some()),
            (Opt::Interpolation, given.interpolation.is_some()),
            (Opt::CropToAspectRatio, given.crop_to_aspect_ratio),
            (Opt::PadToAspectRatio, given.pad_to_aspect_ratio),
            (Opt::Dtype, given.dtype.is_some()),
            (Opt::Layout, given.layout.is_some()),
            (
                Opt::MaxFileBytes,
                given.max_file_bytes.is_some() && !takes.record_limit,
            ),
        ];
        for (option, is_given) in image_options {
            if is_given {
                refuse(option, Reason::StoredRows(takes.what));
            }
        }
    }
    if let Some(plan) = &given.plan
        && let Err(e) = plan::validate(plan)
    {
        refuse(Opt::Plan, Reason::Value(e.to_string()));
    }
    if invalid.is_empty() {
        Ok(())
    } else {
        Err(invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROWS: Takes = Takes {
        decodes_images: false,
        record_limit: false,
        accepts: &[SourceOption::ImageKey],
        what: ".npz archives",
    };
    const FOLDER: Takes = Takes {
        decodes_images: true,
        record_limit: true,
        accepts: &[SourceOption::ClassNames, SourceOption::FollowLinks],
        what: "image folders",
    };

    fn messages(given: &Given, takes: &Takes) -> Vec<String> {
        validate(given, takes)
            .err()
            .unwrap_or_default()
            .iter()
            .map(Invalid::for_command_line)
            .collect()
    }

    #[test]
    fn an_explicitly_typed_default_is_an_option_given() {
        // `--dtype uint8 --color-mode rgb` on stored rows: the values are the defaults, and still
        // refused, each naming itself (check_stored compared with defaults and let them through).
        let given = Given {
            dtype: Some(ArrayDtype::Uint8),
            color_mode: Some(ColorMode::Rgb),
            ..Given::default()
        };
        assert_eq!(
            messages(&given, &ROWS),
            [
                "--color-mode applies to decoded images (folders, TFRecords); .npz archives keep their stored dtypes and shapes",
                "--dtype applies to decoded images (folders, TFRecords); .npz archives keep their stored dtypes and shapes",
            ]
        );
        assert_eq!(messages(&given, &FOLDER), Vec::<String>::new());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let given = Given {
            source_options: vec![SourceOption::FollowLinks, SourceOption::ImageKey],
            interpolation: Some(Interpolation::Area),
            crop_to_aspect_ratio: true,
            pad_to_aspect_ratio: true,
            ..Given::default()
        };
        assert_eq!(
            messages(&given, &FOLDER),
            [
                "--image-key does not apply to image folders",
                "--crop-to-aspect-ratio and --pad-to-aspect-ratio cannot be used together",
                "cropping or padding to an aspect ratio needs --image-size",
                "--interpolation needs --image-size: without it images keep their native size (Keras would resize them to 256x256)",
            ]
        );
    }

    #[test]
    fn the_viewer_spells_the_same_problem_with_its_labels() {
        let invalid = why_not(Opt::Source(SourceOption::FollowLinks), &ROWS).unwrap();
        assert_eq!(
            invalid.for_viewer(),
            "follow symlinked folders does not apply to .npz archives"
        );
        assert_eq!(
            invalid.for_command_line(),
            "--follow-links does not apply to .npz archives"
        );
        assert!(invalid.is_not_applicable());
        assert_eq!(
            why_not(Opt::Source(SourceOption::FollowLinks), &FOLDER),
            None
        );
        assert_eq!(why_not(Opt::ImageSize, &FOLDER), None);
        assert_eq!(
            why_not(Opt::ImageSize, &ROWS).map(|i| i.for_viewer()),
            Some(
                "image size applies to decoded images (folders, TFRecords); .npz archives keep their stored dtypes and shapes"
                    .to_owned()
            )
        );
    }

    #[test]
    fn max_file_bytes_applies_where_records_are_read_under_it() {
        let given = Given {
            max_file_bytes: Some(1 << 20),
            ..Given::default()
        };
        assert_eq!(messages(&given, &ROWS).len(), 1);
        let saved = Takes {
            record_limit: true,
            ..ROWS
        };
        assert_eq!(messages(&given, &saved), Vec::<String>::new());
    }

    #[test]
    fn class_names_need_inferred_labels_and_the_plan_is_checked_whole() {
        let given = Given {
            source_options: vec![SourceOption::ClassNames],
            labels: Some(LabelSource::None),
            plan: Some(PlanOptions {
                batch_size: 0,
                ..PlanOptions::default()
            }),
            ..Given::default()
        };
        assert_eq!(
            messages(&given, &FOLDER),
            [
                "--class-names needs labels (a folder's subfolders, a source's label array), not --labels none",
                "--batch-size must be at least 1",
            ]
        );
    }
}
