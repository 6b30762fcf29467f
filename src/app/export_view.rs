//! The export panel's drawing: the choices, what will be written, the equivalent command line, the
//! progress of a running export and the report of a finished one. The job itself, and what will be
//! written (planned in the logic step, read here), are in [`super::export_panel`]. Drawing touches no
//! file: the Export button asks the app, which looks into the output folder after drawing.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use egui::{Color32, RichText};

use super::export_panel::{ExportPanel, ExportSettings, ExportState, Finished, Source};
use crate::command_line;
use crate::export::human_bytes;
use crate::npy::{dtype_name, shape_repr};
use crate::options::{ArrayDtype, ArrayFormat, LabelMode, Layout, Scale};

/// What the user asked of the export panel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// The Export button: start the export, asking first if the output folder is not empty.
    Export,
    /// Start the export (`true`: into a non-empty folder, confirmed).
    Start(bool),
    /// Show the folder dialog for the output folder.
    ChooseFolder,
    /// Cancel the running export.
    Cancel,
}

/// Draws the panel; returns what the user asked for.
pub fn export_ui(
    ui: &mut egui::Ui,
    panel: &mut ExportPanel,
    settings: &mut ExportSettings,
    source: Option<&Source<'_>>,
) -> Option<Action> {
    let mut start = None;
    let stored = source.is_some_and(|s| !s.job.index.store.decodes_images());
    if output_choice_ui(ui, settings, stored) {
        start = Some(Action::ChooseFolder);
    }
    let Some(source) = source else {
        ui.weak("Open a dataset to export it.");
        return None;
    };
    let (element, label_mode) = settings.for_store(&source.job.index.store);
    // The whole note is above the grid; here only what it means for the export.
    if source.size_fallback.is_some() {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            format!(
                "Exported resized to {} (the images differ in size).",
                crate::load::spec::KERAS_DEFAULT_IMAGE_SIZE
            ),
        );
    }
    let arrays = settings.arrays_for_store(&source.job.index.store);
    let objects = source.job.index.object_classes.is_some();
    if objects {
        boxes_ui(ui, settings);
    }
    plan_ui(ui, panel);
    if let Some((path, n)) = &panel.exclusion_list {
        let name = path.file_name().map_or_else(
            || path.to_string_lossy().into_owned(),
            |n| n.to_string_lossy().into_owned(),
        );
        ui.checkbox(
            &mut panel.use_exclusions,
            format!("Leave out the {n} images of the health exclusion list {name}"),
        )
        .on_hover_text(format!(
            "{path:?}; the export lists them in excluded.csv (same as --exclude-list)"
        ));
    }
    let out = PathBuf::from(settings.out_dir.trim());
    // Until a folder is chosen, the command shows where it goes.
    let shown_out = if out.as_os_str().is_empty() {
        Path::new("OUT")
    } else {
        out.as_path()
    };
    let mut command = command_line::export_command_with(
        source.root,
        shown_out,
        source.load,
        (element, arrays),
        label_mode,
    );
    if let Some((path, _)) = panel
        .exclusion_list
        .as_ref()
        .filter(|_| panel.use_exclusions)
    {
        command.push_str(" --exclude-list ");
        command.push_str(&command_line::shell_quote(&path.to_string_lossy()));
    }
    if objects {
        command.push_str(&box_flags(settings));
    }
    // The button, the progress and the result come before the command line, which wraps as the
    // folder is typed: the button stays put.
    if panel.confirm_overwrite {
        ui.colored_label(
            Color32::from_rgb(240, 200, 120),
            format!("{out:?} is not empty. Replace the export in it?"),
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
        start = Some(Action::Export);
    }
    if let Some(notice) = &panel.notice {
        ui.colored_label(Color32::from_rgb(240, 200, 120), notice);
    }
    if let Some(action) = state_ui(ui, panel) {
        start = Some(action);
    }
    ui.horizontal(|ui| {
        ui.label("Same as:");
        if ui.small_button("Copy").clicked() {
            ui.ctx().copy_text(command.clone());
        }
    });
    ui.add(egui::Label::new(RichText::new(&command).monospace()).wrap());
    start
}

/// The width of the export's combo boxes: two of them and their labels fit on one row of the panel at
/// its narrowest (300 points, the scroll bar included), so that no row overflows it.
const COMBO_WIDTH: f32 = 72.0;

/// Returns true when the user asked for the folder dialog.
fn output_choice_ui(ui: &mut egui::Ui, settings: &mut ExportSettings, stored: bool) -> bool {
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
    if stored {
        ui.weak(
            "Stored rows are written as stored: their dtypes and shapes, labels as stored or none.",
        );
    }
    ui.horizontal(|ui| {
        if stored {
            return;
        }
        let label = ui.label("dtype");
        egui::ComboBox::from_id_salt("export_dtype")
            .width(COMBO_WIDTH)
            .selected_text(settings.dtype.to_string())
            .show_ui(ui, |ui| {
                for dtype in [ArrayDtype::Uint8, ArrayDtype::Float16, ArrayDtype::Float32] {
                    ui.selectable_value(&mut settings.dtype, dtype, dtype.to_string());
                }
            })
            .response
            .labelled_by(label.id);
        if settings.dtype != ArrayDtype::Uint8 {
            let label = ui.label("scale");
            egui::ComboBox::from_id_salt("export_scale")
                .width(COMBO_WIDTH)
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
        if !stored {
            layout_ui(ui, settings);
        }
        format_ui(ui, settings);
    });
    ui.horizontal(|ui| {
        let label = ui.label("labels");
        egui::ComboBox::from_id_salt("export_label_mode")
            .selected_text(settings.label_mode.to_string())
            .show_ui(ui, |ui| {
                let modes: &[LabelMode] = if stored {
                    &[LabelMode::Int, LabelMode::None]
                } else {
                    &[
                        LabelMode::Int,
                        LabelMode::Categorical,
                        LabelMode::Binary,
                        LabelMode::None,
                    ]
                };
                for &mode in modes {
                    ui.selectable_value(&mut settings.label_mode, mode, mode.to_string());
                }
            })
            .response
            .labelled_by(label.id);
    });
    choose
}

/// The axis order of the images (decoded images only).
fn layout_ui(ui: &mut egui::Ui, settings: &mut ExportSettings) {
    let label = ui.label("layout");
    egui::ComboBox::from_id_salt("export_layout")
        .width(COMBO_WIDTH)
        .selected_text(settings.layout.to_string())
        .show_ui(ui, |ui| {
            for layout in [Layout::Nhwc, Layout::Nchw] {
                ui.selectable_value(&mut settings.layout, layout, layout.to_string());
            }
        })
        .response
        .labelled_by(label.id)
        .on_hover_text("nhwc: Keras and TensorFlow; nchw: PyTorch");
}

/// The form of `boxes.npy` (datasets with objects only).
fn boxes_ui(ui: &mut egui::Ui, settings: &mut ExportSettings) {
    use crate::source::annotations::{BoxFormat, BoxUnits};
    ui.horizontal(|ui| {
        let label = ui.label("boxes");
        egui::ComboBox::from_id_salt("export_box_format")
            .width(COMBO_WIDTH)
            .selected_text(settings.box_format.to_string())
            .show_ui(ui, |ui| {
                for format in [BoxFormat::Yxyx, BoxFormat::Xyxy, BoxFormat::Xywh] {
                    ui.selectable_value(&mut settings.box_format, format, format.to_string());
                }
            })
            .response
            .labelled_by(label.id)
            .on_hover_text(
                "yxyx: TensorFlow's [ymin, xmin, ymax, xmax]; xyxy: torchvision's; xywh: COCO's",
            );
        let label = ui.label("units");
        egui::ComboBox::from_id_salt("export_box_units")
            .width(COMBO_WIDTH)
            .selected_text(settings.box_units.to_string())
            .show_ui(ui, |ui| {
                for units in [BoxUnits::Normalized, BoxUnits::Pixels] {
                    ui.selectable_value(&mut settings.box_units, units, units.to_string());
                }
            })
            .response
            .labelled_by(label.id)
            .on_hover_text("normalized: 0..1 of the exported image; pixels: its pixels");
    });
}

/// The command line's box flags for `settings` (none for the defaults).
fn box_flags(settings: &ExportSettings) -> String {
    use std::fmt::Write as _;
    let mut flags = String::new();
    if settings.box_format != crate::source::annotations::BoxFormat::default() {
        let _ = write!(flags, " --box-format {}", settings.box_format);
    }
    if settings.box_units != crate::source::annotations::BoxUnits::default() {
        let _ = write!(flags, " --box-units {}", settings.box_units);
    }
    flags
}

/// The file format of the arrays.
fn format_ui(ui: &mut egui::Ui, settings: &mut ExportSettings) {
    let label = ui.label("format");
    egui::ComboBox::from_id_salt("export_format")
        .width(COMBO_WIDTH)
        .selected_text(settings.format.to_string())
        .show_ui(ui, |ui| {
            for format in [ArrayFormat::Npy, ArrayFormat::Npz] {
                ui.selectable_value(&mut settings.format, format, format.to_string());
            }
        })
        .response
        .labelled_by(label.id)
        .on_hover_text("npz: one arrays.npz holding the .npy files, as np.savez writes");
    if settings.format == ArrayFormat::Npz {
        ui.checkbox(&mut settings.compress, "compress");
    }
}

/// What the export will write: shapes, dtypes, bytes and the free space (or why it cannot be planned),
/// as the logic step last planned it.
fn plan_ui(ui: &mut egui::Ui, panel: &ExportPanel) {
    match panel.plan() {
        None => {}
        Some(Ok(plan)) if plan.size_unknown() => {
            // The viewer reads the first batch's headers only; the export reads them all.
            ui.colored_label(
                Color32::from_rgb(240, 200, 120),
                "Image size unknown: no image of the first batch could be read (see Problems). The export reads every file and says what it finds.",
            );
        }
        Some(Ok(plan)) => {
            for array in &plan.arrays {
                ui.label(format!(
                    "{} {} {}",
                    array.name,
                    shape_repr(&array.shape),
                    dtype_name(array.dtype)
                ));
            }
            if plan.array("labels").is_none() && plan.arrays.len() == 1 {
                ui.label("no labels file");
            }
            let free = panel.free_space();
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
        Some(Err(err)) => {
            ui.colored_label(Color32::from_rgb(255, 140, 140), err.to_string());
        }
    }
}

fn state_ui(ui: &mut egui::Ui, panel: &mut ExportPanel) -> Option<Action> {
    let mut action = None;
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
                action = Some(Action::Cancel);
            }
        }
        ExportState::Cancelled => {
            ui.colored_label(
                Color32::from_rgb(240, 200, 120),
                "Export cancelled; nothing was written.",
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
    action
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
    ui.add(egui::Label::new(RichText::new(snippet).monospace()).wrap());
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    use egui::accesskit::Role;
    use egui_kittest::Harness;
    use egui_kittest::kittest::{NodeT as _, Queryable as _, by};

    use super::*;
    use crate::index::DatasetIndex;
    use crate::options::{LabelSource, LoadOptions};
    use crate::source::annotations::{BoxFormat, BoxUnits, ObjectClasses};

    /// A folder of two images indexed with labels off, annotated (no objects yet) when `objects`.
    fn index(dir: &Path, objects: bool) -> DatasetIndex {
        for name in ["a.png", "b.png"] {
            image::RgbImage::new(4, 3).save(dir.join(name)).unwrap();
        }
        let cancel = AtomicBool::new(false);
        let control = crate::index::WalkControl {
            on_progress: &|_| {},
            cancel: &cancel,
        };
        let options = crate::options::IndexOptions {
            labels: LabelSource::None,
            ..Default::default()
        };
        let mut index = crate::source::open(dir, &options, &control).unwrap();
        if objects {
            index.object_classes = Some(ObjectClasses::from_ids([1, 5], |_| None));
        }
        index
    }

    /// The panel drawn for `index` in a harness whose state is the panel and the settings.
    fn panel_of(
        dir: &Path,
        index: DatasetIndex,
        load: &LoadOptions,
    ) -> Harness<'static, (ExportPanel, ExportSettings)> {
        let index = Arc::new(index);
        let cancel = AtomicBool::new(false);
        let job = crate::load::spec::prepare(
            Arc::clone(&index),
            load,
            crate::load::preprocess::Element::default(),
            crate::load::spec::SizeCheck::AllFiles,
            &cancel,
        )
        .unwrap();
        let (root, load) = (dir.to_path_buf(), load.clone());
        Harness::new_ui_state(
            move |ui, (panel, settings): &mut (ExportPanel, ExportSettings)| {
                let source = Source {
                    root: &root,
                    index: &index,
                    job: &job,
                    load: &load,
                    size_fallback: None,
                };
                export_ui(ui, panel, settings, Some(&source));
            },
            (ExportPanel::default(), ExportSettings::default()),
        )
    }

    #[test]
    fn a_dataset_with_objects_offers_the_box_form_and_the_command_says_it() {
        let dir = tempfile::tempdir().unwrap();
        let load = LoadOptions::default();
        let mut h = panel_of(dir.path(), index(dir.path(), true), &load);
        h.run();
        for (combo, shown) in [("boxes", "yxyx"), ("units", "normalized")] {
            let node = h.get(by().role(Role::ComboBox).label(combo));
            assert_eq!(node.accesskit_node().value().as_deref(), Some(shown));
        }
        assert!(h.query_by_label_contains("--box-format").is_none());
        h.get(by().role(Role::ComboBox).label("boxes")).click();
        h.run();
        h.get_by_label("xywh").click();
        h.run();
        h.get(by().role(Role::ComboBox).label("units")).click();
        h.run();
        h.get_by_label("pixels").click();
        h.run();
        assert_eq!(h.state().1.box_format, BoxFormat::Xywh);
        assert_eq!(h.state().1.box_units, BoxUnits::Pixels);
        h.get_by_label_contains("--box-format xywh --box-units pixels");
    }

    #[test]
    fn a_dataset_without_objects_has_no_box_options() {
        let dir = tempfile::tempdir().unwrap();
        let load = LoadOptions::default();
        let mut h = panel_of(dir.path(), index(dir.path(), false), &load);
        h.run();
        h.get(by().role(Role::ComboBox).label("dtype"));
        assert!(h.query(by().role(Role::ComboBox).label("boxes")).is_none());
        assert!(h.query_by_label_contains("--box-format").is_none());
    }
}
