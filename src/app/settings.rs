//! The viewer's persisted settings (one serde struct) and the loader-settings panel that edits them.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::options::{
    ArrayLayout, AspectFit, ColorMode, Interpolation, JpegDecoder, LabelSource, LoadOptions, Subset,
};
use crate::size::Size;
use crate::source::SourceOption;
use crate::validate::{Opt, Takes};

/// How many recent folders are remembered.
const MAX_RECENT: usize = 10;

/// How many datasets' settings are remembered.
const MAX_DATASETS: usize = 100;

/// Everything the viewer remembers between runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// The loader options of the open dataset (of the last one, between runs).
    pub load: LoadOptions,
    /// Thumbnail edge in points.
    pub thumb_size: f32,
    /// Most recent first.
    pub recent: Vec<PathBuf>,
    /// Export choices of the open dataset.
    pub export: super::export_panel::ExportSettings,
    /// The loader and export settings each dataset was last open with, most recent first: a dataset
    /// opens with its own settings, never with the previous dataset's.
    pub datasets: Vec<DatasetSettings>,
    /// What is drawn over annotated images (boxes, names, masks).
    pub overlay: super::objects::Overlay,
}

/// The settings one dataset was last open with.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DatasetSettings {
    /// The dataset, as an absolute path (see [`dataset_key`]).
    pub path: PathBuf,
    /// Its loader options.
    pub load: LoadOptions,
    /// Its export choices, the output folder included.
    pub export: super::export_panel::ExportSettings,
}

/// How a dataset is named in [`Settings::datasets`] (and keys its edits' sidecar): its canonical
/// path, so that `data/cats` and `./data/cats/` are one dataset.
pub use crate::query::edits::dataset_key;

impl Default for Settings {
    fn default() -> Self {
        Self {
            load: LoadOptions::default(),
            thumb_size: 96.0,
            recent: Vec::new(),
            export: super::export_panel::ExportSettings::default(),
            datasets: Vec::new(),
            overlay: super::objects::Overlay::default(),
        }
    }
}

impl Settings {
    /// Puts `path` first in the recent folders.
    pub fn remember(&mut self, path: PathBuf) {
        self.recent.retain(|p| p != &path);
        self.recent.insert(0, path);
        self.recent.truncate(MAX_RECENT);
    }

    /// Remembers the current loader and export settings as `dataset`'s.
    pub fn keep_for(&mut self, dataset: &Path) {
        let path = dataset_key(dataset);
        self.datasets.retain(|d| d.path != path);
        self.datasets.insert(
            0,
            DatasetSettings {
                path,
                load: self.load.clone(),
                export: self.export.clone(),
            },
        );
        self.datasets.truncate(MAX_DATASETS);
    }

    /// The settings `dataset` was last open with, if it was.
    pub fn saved_for(&self, dataset: &Path) -> Option<&DatasetSettings> {
        let path = dataset_key(dataset);
        self.datasets.iter().find(|d| d.path == path)
    }
}

/// One line naming the options that produce the batches, shown above the grid.
pub fn describe(options: &LoadOptions) -> String {
    crate::describe::describe(options)
}

/// Which settings apply to the open dataset, from what its kind takes: folder settings (classes,
/// links, formats) to image folders only, image settings (colour, size, interpolation) to decoded
/// images (folders and TFRecords), not to stored rows, which keep their dtype and shape. A setting
/// that does not apply is drawn disabled, keeps its value, and says why on hover: the reason is
/// [`crate::validate::why_not`]'s, the same check the command line makes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applies {
    /// What the open dataset takes; `None` before one is open (everything applies).
    pub takes: Option<Takes>,
    /// The size the open dataset is shown at when no image size is set and its images differ in
    /// size (Keras's default), so that "native" is not claimed.
    pub size_fallback: Option<crate::size::Size>,
    /// What the Classes field says under it on a dataset whose integer labels it names: how many
    /// classes the labels have, or why they cannot be named or the names set do not fit (then the
    /// dataset is shown without them). `None` before a dataset is open.
    pub class_names_note: Option<Result<usize, String>>,
}

impl Applies {
    /// Why `option` does not apply to the open dataset, in the viewer's words.
    pub fn why_not(&self, option: Opt) -> Option<String> {
        crate::validate::why_not(option, self.takes.as_ref()?).map(|i| i.for_viewer())
    }

    /// Whether the folder settings apply.
    fn folder(&self) -> bool {
        self.why_not(Opt::Source(SourceOption::FollowLinks))
            .is_none()
    }

    /// Whether the image settings apply.
    fn decoded(&self) -> bool {
        self.why_not(Opt::ColorMode).is_none()
    }
}

/// Draws the loader settings; returns true when an option changed. Settings that do not apply to
/// the open dataset (see [`Applies`]) are shown disabled, with a note saying why.
pub fn settings_ui(
    ui: &mut egui::Ui,
    options: &mut LoadOptions,
    class_names_text: &mut String,
    applies: &Applies,
) -> bool {
    let before = options.clone();
    ui.heading("Loader settings");
    if !applies.decoded() {
        ui.weak("Stored rows keep their dtype and shape: the folder and image settings do not apply to this dataset; Classes names its integer labels.");
    } else if !applies.folder() {
        ui.weak("Not a folder of class folders: the link and format settings do not apply; Classes names integer labels.");
    }
    egui::Grid::new("settings_grid")
        .num_columns(2)
        .spacing([8.0, 6.0])
        .min_col_width(72.0)
        .show(ui, |ui| {
            index_rows(ui, options, class_names_text, applies);
            // Every row from here on (a `Ui` stays disabled once told).
            if !applies.decoded() {
                ui.disable();
            }
            preprocess_rows(ui, options, applies.size_fallback);
        });
    egui::Grid::new("settings_plan_grid")
        .num_columns(2)
        .spacing([8.0, 6.0])
        .min_col_width(72.0)
        .show(ui, |ui| plan_rows(ui, options));
    if ui.button("Reset to defaults").clicked() {
        *options = LoadOptions::default();
        class_names_text.clear();
    }
    *options != before
}

fn index_rows(
    ui: &mut egui::Ui,
    options: &mut LoadOptions,
    class_names_text: &mut String,
    applies: &Applies,
) {
    let why_not = |option| applies.why_not(Opt::Source(option)).unwrap_or_default();
    combo_enabled(
        ui,
        applies.decoded(),
        "Labels",
        &mut options.index.labels,
        &[
            (LabelSource::Inferred, "one class per subfolder"),
            (LabelSource::None, "images only"),
        ],
    );

    // A folder's classes are its subfolders, picked and ordered by name; any other source's
    // integer labels 0..K-1 are named in order.
    let (hint, hover) = if applies.folder() {
        (
            "all (or a,b,c)",
            "Comma-separated subfolder names: restrict and reorder the classes. Enter to apply.",
        )
    } else {
        (
            "0,1,… (or a,b,c)",
            "Comma-separated names of the integer labels 0, 1, …, one per class. Enter to apply.",
        )
    };
    // Under the field on a dataset whose labels it names, one line that is always there (so that
    // no row below moves when names are applied): the classes to name, or in red why the names set
    // do not fit. Labels that are not integer classes disable the field unless names are set.
    let note = applies
        .class_names_note
        .as_ref()
        .filter(|_| !applies.folder());
    let names_set = options.index.class_names.is_some();
    let cannot_name = match note {
        Some(Err(reason)) if !names_set => Some(reason.clone()),
        _ => applies.why_not(Opt::Source(SourceOption::ClassNames)),
    };
    ui.label("Classes");
    let response = ui.vertical(|ui| {
        let response = ui
            .add_enabled(
                cannot_name.is_none(),
                egui::TextEdit::singleline(class_names_text)
                    .hint_text(hint)
                    .desired_width(140.0),
            )
            .on_hover_text(hover)
            .on_disabled_hover_text(cannot_name.unwrap_or_default());
        let line = match note {
            Some(Ok(0)) => Some(egui::RichText::new("no labelled sample").weak()),
            Some(Ok(classes)) => Some(
                egui::RichText::new(format!("labels 0..{}: {classes} names", classes - 1)).weak(),
            ),
            Some(Err(reason)) if names_set => {
                Some(egui::RichText::new(reason).color(ui.visuals().error_fg_color))
            }
            Some(Err(reason)) => Some(egui::RichText::new(reason).weak()),
            None => None,
        };
        if let Some(line) = line {
            note_ui(ui, line);
        }
        response
    });
    let response = response.inner;
    if response.lost_focus() {
        let names: Vec<String> = class_names_text
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        options.index.class_names = (!names.is_empty()).then_some(names);
    }
    ui.end_row();

    let folder = applies.folder();
    ui.add_enabled(folder, egui::Label::new("Links"));
    ui.add_enabled(
        applies
            .why_not(Opt::Source(SourceOption::FollowLinks))
            .is_none(),
        egui::Checkbox::new(&mut options.index.follow_links, "follow symlinked folders"),
    )
    .on_disabled_hover_text(why_not(SourceOption::FollowLinks));
    ui.end_row();

    ui.add_enabled(folder, egui::Label::new("Formats"));
    ui.add_enabled(
        applies
            .why_not(Opt::Source(SourceOption::ExtraFormats))
            .is_none(),
        egui::Checkbox::new(&mut options.index.extra_formats, "also .webp .tif .tiff"),
    )
    .on_disabled_hover_text(why_not(SourceOption::ExtraFormats));
    ui.end_row();

    layout_row(ui, options, applies);
}

/// How stored arrays order a sample's axes: only what is drawn follows it.
fn layout_row(ui: &mut egui::Ui, options: &mut LoadOptions, applies: &Applies) {
    combo_enabled(
        ui,
        applies.why_not(Opt::Source(SourceOption::Layout)).is_none(),
        "Array layout",
        &mut options.index.layout,
        &[
            (
                ArrayLayout::Auto,
                "channels first when only the first axis is 1 or 3",
            ),
            (ArrayLayout::Nhwc, "channels last"),
            (ArrayLayout::Nchw, "channels first, as PyTorch"),
        ],
    );
}

/// `text` in at most two lines of the Classes cell, which always takes two lines (so that the rows
/// below do not move as the note changes); longer text ends in `…` and shows whole on hover.
fn note_ui(ui: &mut egui::Ui, text: egui::RichText) {
    let mut job = egui::WidgetText::from(text).into_layout_job(
        ui.style(),
        egui::FontSelection::Default,
        egui::Align::Min,
    );
    let job = std::sync::Arc::make_mut(&mut job);
    job.wrap.max_rows = 2;
    job.wrap.overflow_character = Some('…');
    // The height of any two rows of this font, as the galley of a two-row note is.
    let font = egui::FontSelection::Default.resolve(ui.style());
    let two_rows = ui
        .fonts_mut(|f| f.layout_no_wrap("x\nx".to_owned(), font, egui::Color32::WHITE))
        .size()
        .y;
    ui.scope(|ui| {
        ui.set_max_width(170.0);
        ui.set_min_height(two_rows);
        ui.add(egui::Label::new(job.clone()).wrap());
    });
}

fn preprocess_rows(
    ui: &mut egui::Ui,
    options: &mut LoadOptions,
    fallback: Option<crate::size::Size>,
) {
    combo(
        ui,
        "Color mode",
        &mut options.preprocess.color_mode,
        &[
            (ColorMode::Rgb, "3 channels"),
            (ColorMode::Grayscale, "1 channel"),
            (ColorMode::Rgba, "4 channels"),
        ],
    );

    combo(
        ui,
        "JPEG decoder",
        &mut options.preprocess.jpeg,
        &[
            (JpegDecoder::Exact, "TensorFlow's pixels exactly"),
            (
                JpegDecoder::Fast,
                "zune-jpeg, faster; pixels off TensorFlow's by several levels",
            ),
        ],
    );

    image_size_rows(ui, options, fallback);
}

/// The image size (resize, its height and width, a one-line note) and the interpolation and aspect
/// rows that apply to a resize. Every row is drawn whether resize is on or not (disabled when off),
/// so that ticking it moves nothing under the cursor; the note is one line whatever it says.
fn image_size_rows(
    ui: &mut egui::Ui,
    options: &mut LoadOptions,
    fallback: Option<crate::size::Size>,
) {
    let size_label = ui.label("Image size");
    ui.vertical(|ui| {
        let mut resize = options.preprocess.image_size.is_some();
        if ui.checkbox(&mut resize, "resize").changed() {
            options.preprocess.image_size = resize.then_some(Size::square(256));
        }
        let mut shown = options
            .preprocess
            .image_size
            .or(fallback)
            .unwrap_or(Size::square(256));
        ui.add_enabled_ui(resize, |ui| {
            ui.horizontal(|ui| {
                ui.add(
                    egui::DragValue::new(&mut shown.height)
                        .range(1..=8192)
                        .prefix("H "),
                )
                .labelled_by(size_label.id);
                ui.add(
                    egui::DragValue::new(&mut shown.width)
                        .range(1..=8192)
                        .prefix("W "),
                )
                .labelled_by(size_label.id);
            });
        });
        if let Some(size) = &mut options.preprocess.image_size {
            *size = shown;
        }
        // Short enough for the narrowest panel; the whole sentence on hover.
        let (note, whole) = match (options.preprocess.image_size, fallback) {
            (Some(size), _) => (
                egui::RichText::new(format!("resized to {size}")).weak(),
                format!("Every image is resized to {size}"),
            ),
            (None, Some(size)) => (
                egui::RichText::new(format!("sizes differ: shown at {size}"))
                    .color(ui.visuals().warn_fg_color),
                format!(
                    "native: the images differ in size, so they are shown at {size} (Keras's default)"
                ),
            ),
            (None, None) => (
                egui::RichText::new("native size").weak(),
                "native: needs every image the same size".to_owned(),
            ),
        };
        ui.add(egui::Label::new(note).truncate())
            .on_hover_text(whole);
    });
    ui.end_row();

    let resizing = options.preprocess.image_size.is_some();
    let why_off = "Applies when resize is on";
    let label = ui.add_enabled(resizing, egui::Label::new("Interpolation"));
    ui.add_enabled_ui(resizing, |ui| {
        choice(
            ui,
            "Interpolation",
            &mut options.preprocess.interpolation,
            &[
                (Interpolation::Bilinear, ""),
                (Interpolation::Nearest, ""),
                (Interpolation::Area, "box average"),
            ],
        )
        .labelled_by(label.id)
        .on_disabled_hover_text(why_off);
    });
    ui.end_row();

    let label = ui.add_enabled(resizing, egui::Label::new("Aspect ratio"));
    ui.add_enabled_ui(resizing, |ui| {
        choice(
            ui,
            "Aspect ratio",
            &mut options.preprocess.fit,
            &[
                (AspectFit::Stretch, "Keras's default"),
                (AspectFit::Crop, "crop_to_aspect_ratio"),
                (AspectFit::Pad, "pad_to_aspect_ratio"),
            ],
        )
        .labelled_by(label.id)
        .on_disabled_hover_text(why_off);
    });
    ui.end_row();
}

fn plan_rows(ui: &mut egui::Ui, options: &mut LoadOptions) {
    let label = ui.label("Batch size");
    ui.add(egui::DragValue::new(&mut options.plan.batch_size).range(1..=4096))
        .labelled_by(label.id);
    ui.end_row();

    ui.label("");
    ui.checkbox(&mut options.plan.drop_remainder, "drop last partial batch");
    ui.end_row();

    // As with resize: the seed, split fraction and subset are always drawn (disabled when off).
    ui.label("Order");
    ui.vertical(|ui| {
        ui.checkbox(&mut options.plan.shuffle, "shuffle (numpy/Keras order)");
        let shuffle = options.plan.shuffle;
        let mut seed = options.plan.seed.unwrap_or(0);
        ui.add_enabled_ui(shuffle, |ui| {
            ui.horizontal(|ui| {
                let label = ui.label("seed");
                let changed = ui
                    .add(egui::DragValue::new(&mut seed))
                    .labelled_by(label.id)
                    .on_disabled_hover_text("Applies when shuffle is on")
                    .changed();
                if shuffle && (changed || options.plan.seed.is_none()) {
                    options.plan.seed = Some(seed);
                }
            });
        });
    });
    ui.end_row();

    let split_label = ui.label("Validation");
    ui.vertical(|ui| {
        let mut split = options.plan.validation_split.is_some();
        if ui.checkbox(&mut split, "split").changed() {
            options.plan.validation_split = split.then_some(0.2);
            options.plan.subset = split.then_some(Subset::Training);
        }
        let mut fraction = options.plan.validation_split.unwrap_or(0.2);
        let mut subset = options.plan.subset.unwrap_or(Subset::Training);
        ui.add_enabled_ui(split, |ui| {
            ui.add(egui::Slider::new(&mut fraction, 0.01..=0.99).fixed_decimals(2))
                .labelled_by(split_label.id)
                .on_disabled_hover_text("Applies when split is on");
            ui.horizontal(|ui| {
                ui.radio_value(&mut subset, Subset::Training, "training");
                ui.radio_value(&mut subset, Subset::Validation, "validation");
            });
        });
        if split {
            options.plan.validation_split = Some(fraction);
            options.plan.subset = Some(subset);
        }
    });
    ui.end_row();
}

/// A labelled row with a combo box choosing one of `choices`, each shown by its one spelling
/// ([`Display`](std::fmt::Display): Keras's and the command line's), with a hint in the list when
/// the hint is not empty.
fn combo<T: PartialEq + Copy + std::fmt::Display>(
    ui: &mut egui::Ui,
    label: &str,
    value: &mut T,
    choices: &[(T, &str)],
) {
    combo_enabled(ui, true, label, value, choices);
}

/// [`combo`], drawn disabled unless `enabled`.
fn combo_enabled<T: PartialEq + Copy + std::fmt::Display>(
    ui: &mut egui::Ui,
    enabled: bool,
    label: &str,
    value: &mut T,
    choices: &[(T, &str)],
) {
    let label_response = ui.add_enabled(enabled, egui::Label::new(label));
    ui.add_enabled_ui(enabled, |ui| {
        choice(ui, label, value, choices).labelled_by(label_response.id);
    });
    ui.end_row();
}

/// The combo box of [`combo`], without its label and row.
fn choice<T: PartialEq + Copy + std::fmt::Display>(
    ui: &mut egui::Ui,
    label: &str,
    value: &mut T,
    choices: &[(T, &str)],
) -> egui::Response {
    egui::ComboBox::from_id_salt(label)
        .selected_text(value.to_string())
        .show_ui(ui, |ui| {
            for (choice, hint) in choices {
                let text = if hint.is_empty() {
                    choice.to_string()
                } else {
                    format!("{choice} ({hint})")
                };
                ui.selectable_value(value, *choice, text);
            }
        })
        .response
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// The viewer's storage, in memory: eframe keeps settings as RON text under a key.
    #[derive(Default)]
    struct Memory(HashMap<String, String>);

    impl eframe::Storage for Memory {
        fn get_string(&self, key: &str) -> Option<String> {
            self.0.get(key).cloned()
        }

        fn set_string(&mut self, key: &str, value: String) {
            self.0.insert(key.to_owned(), value);
        }

        fn remove_string(&mut self, key: &str) {
            self.0.remove(key);
        }

        fn flush(&mut self) {}
    }

    fn resized_to_96x128() -> Settings {
        let mut settings = Settings::default();
        settings.load.preprocess.image_size = Some(Size {
            height: 96,
            width: 128,
        });
        settings
    }

    #[test]
    fn a_dataset_keeps_its_own_settings_under_any_spelling_of_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let (cats, dogs) = (dir.path().join("cats"), dir.path().join("dogs"));
        std::fs::create_dir_all(&cats).unwrap();
        std::fs::create_dir_all(&dogs).unwrap();
        let mut settings = resized_to_96x128();
        settings.export.out_dir = "cats_out".into();
        settings.keep_for(&cats);
        settings.load = LoadOptions::default();
        settings.keep_for(&dogs);
        // `cats/`, `dogs/../cats`: one dataset.
        let spelled = dogs.join("..").join("cats").join("");
        let kept = settings.saved_for(&spelled).unwrap();
        assert_eq!(kept.load, resized_to_96x128().load);
        assert_eq!(kept.export.out_dir, "cats_out");
        assert_eq!(
            settings.saved_for(&dogs).unwrap().load,
            LoadOptions::default()
        );
        assert_eq!(settings.saved_for(&dir.path().join("birds")), None);
        // Most recent first, each once.
        settings.keep_for(&cats);
        let order: Vec<_> = settings.datasets.iter().map(|d| d.path.clone()).collect();
        assert_eq!(order, [dataset_key(&cats), dataset_key(&dogs)]);
        // And they survive the viewer's storage.
        let mut storage = Memory::default();
        eframe::set_value(&mut storage, eframe::APP_KEY, &settings);
        let loaded: Option<Settings> = eframe::get_value(&storage, eframe::APP_KEY);
        assert_eq!(loaded.as_ref(), Some(&settings));
    }

    #[test]
    fn settings_saved_with_an_image_size_tuple_still_load() {
        // As saved before `Size` existed: `image_size` was the tuple `(height, width)`.
        let json = r#"{"load":{"preprocess":{"image_size":[96,128]}}}"#;
        let loaded: Settings = serde_json::from_str(json).unwrap();
        assert_eq!(loaded, resized_to_96x128());

        let mut storage = Memory::default();
        let ron = "(load:(preprocess:(image_size:Some((96,128)))))";
        eframe::Storage::set_string(&mut storage, eframe::APP_KEY, ron.to_owned());
        let loaded: Option<Settings> = eframe::get_value(&storage, eframe::APP_KEY);
        assert_eq!(loaded, Some(resized_to_96x128()));
    }

    #[test]
    fn an_image_size_is_saved_as_the_tuple_it_was() {
        let json = serde_json::to_string(&resized_to_96x128()).unwrap();
        assert!(json.contains(r#""image_size":[96,128]"#), "{json}");

        let mut storage = Memory::default();
        eframe::set_value(&mut storage, eframe::APP_KEY, &resized_to_96x128());
        let ron = eframe::Storage::get_string(&storage, eframe::APP_KEY).unwrap();
        assert!(ron.contains("image_size:Some((96,128))"), "{ron}");
        let loaded: Option<Settings> = eframe::get_value(&storage, eframe::APP_KEY);
        assert_eq!(loaded, Some(resized_to_96x128()));
    }
}
