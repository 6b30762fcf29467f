//! The Health view's drawing: why it cannot run (no dataset, stored arrays), the pass's progress and
//! Cancel, a summary, the near-duplicate threshold, then one section of the findings at a time, each
//! with the view's full height: the lists of leaks and duplicates or of flagged images (in
//! [`super::health_groups`]), of annotation findings (in [`super::health_annotations`]), statistics and plots (in [`super::health_stats`]), or what to mark for
//! exclusion. It draws
//! [`HealthPanel`]'s state and returns [`Action`]s; the app applies them after drawing.

use egui::{Color32, RichText};

use super::health_groups;
use super::health_panel::{HealthPanel, Measured, Section};
use crate::health::exclusion_list::ExcludeKind;
use crate::index::Store;

/// What the user asked of the Health view.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Run the health pass (again).
    Run,
    /// Cancel the running pass.
    Cancel,
    /// The near-duplicate threshold moved: regroup.
    Regroup,
    /// Open the inspector on this sample and show its batch.
    Inspect(usize),
    /// Mark (`true`) or unmark a kind of image for exclusion.
    Mark(ExcludeKind, bool),
    /// Write the exclusion list to the panel's path.
    SaveList,
    /// Choose where to write the exclusion list (a save dialog), then write it.
    SaveListAs,
    /// Show the images of this finding in the Gallery.
    ShowInGallery(crate::query::HealthFilter),
    /// Show the annotated images without objects in the Gallery.
    ShowWithoutObjects,
}

/// What the view knows about the dataset on screen.
pub enum Dataset<'a> {
    /// None is open.
    None,
    /// Being indexed or planned.
    Opening,
    /// It could not be opened (the batches view says why).
    Failed,
    /// Ready; its samples are stored like this.
    Ready(&'a Store),
}

/// The colour of leaks.
pub(super) const LEAK: Color32 = Color32::from_rgb(255, 120, 120);
const WARN: Color32 = Color32::from_rgb(240, 200, 120);
const GOOD: Color32 = Color32::from_rgb(140, 220, 140);

/// Draws the view; returns what the user asked for.
pub fn health_ui(ui: &mut egui::Ui, panel: &mut HealthPanel, dataset: &Dataset<'_>) -> Vec<Action> {
    let mut actions = Vec::new();
    ui.heading("Dataset health");
    if !dataset_ui(ui, dataset) {
        return actions;
    }
    run_bar_ui(ui, panel, &mut actions);
    let Some(result) = &panel.result else {
        if panel.is_running() {
            ui.weak("Measuring every planned image once: hashes, brightness, sharpness, sizes and channel sums.");
        } else {
            empty_state(
                ui,
                "Health pass not run yet",
                "Run it to find exact and near duplicates, training/validation leaks, dark, light, blurry, flat, grayscale and oddly sized images, and the mean/std to normalise with.",
            );
        }
        return actions;
    };
    summary_ui(ui, result);
    threshold_ui(ui, panel, &mut actions);
    let marked_count = panel.marked_count();
    let HealthPanel {
        result: Some(result),
        thumbs: textures,
        marked,
        list_path,
        save_notice,
        section,
        list_offset,
        visible,
        ..
    } = panel
    else {
        return actions;
    };
    let findings = &result.findings;
    let clean = findings.duplicates.is_empty()
        && findings.leaks.is_empty()
        && findings.flags.is_empty()
        && findings
            .objects
            .as_ref()
            .is_none_or(|o| o.findings.is_empty());
    if clean {
        ui.add_space(8.0);
        ui.label(
            RichText::new("Clean: no duplicates, no leaks, no flags.")
                .heading()
                .color(GOOD),
        );
    }
    sections_ui(ui, section, result);
    ui.separator();
    match *section {
        Section::Groups => {
            let id = ("health_groups", result.number);
            let drawn = health_groups::groups_ui(ui, textures, result, id, &mut actions);
            (*list_offset, *visible) = (drawn.offset, drawn.visible);
        }
        Section::Flags => {
            let id = ("health_flags", result.number);
            let drawn = health_groups::flags_ui(ui, textures, result, id, &mut actions);
            (*list_offset, *visible) = (drawn.offset, drawn.visible);
        }
        Section::Objects => {
            visible.clear();
            super::health_annotations::findings_ui(ui, result, &mut actions);
        }
        Section::Statistics => {
            visible.clear();
            statistics_ui(ui, result);
        }
        Section::Compare => {
            visible.clear();
            egui::ScrollArea::vertical()
                .id_salt(("health_compare", result.number))
                .auto_shrink([false, false])
                .show(ui, |ui| match &result.compare {
                    Some(plots) => super::split_compare::compare_ui(ui, plots),
                    None => {
                        ui.weak("This pass covers one side: set a validation split to compare the sides.");
                    }
                });
        }
        Section::Exclude => {
            visible.clear();
            egui::ScrollArea::vertical()
                .id_salt(("health_exclude", result.number))
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    let mut list = ListFile {
                        path: list_path,
                        notice: save_notice.as_deref(),
                    };
                    exclude_ui(ui, result, marked, marked_count, &mut list, &mut actions);
                });
        }
    }
    actions
}

/// The statistics and plots, the objects' too for an annotated dataset, in a scroll area.
fn statistics_ui(ui: &mut egui::Ui, result: &mut Measured) {
    egui::ScrollArea::vertical()
        .id_salt(("health_stats", result.number))
        .auto_shrink([false, false])
        .show(ui, |ui| {
            super::health_stats::stats_ui(ui, result);
            if let (Some(plots), Some(found)) = (&mut result.objects, &result.findings.objects) {
                super::health_objects::objects_ui(ui, plots, found);
            }
        });
}

/// The tabs of the findings: leaks and duplicates, flagged images, statistics, exclusion (those with
/// something to show).
fn sections_ui(ui: &mut egui::Ui, section: &mut Section, result: &Measured) {
    let f = &result.findings;
    let groups = f.leaks.len() + f.duplicates.len();
    let mut tabs = Vec::new();
    if groups > 0 {
        tabs.push((Section::Groups, format!("Duplicates and leaks ({groups})")));
    }
    if !f.flags.is_empty() {
        tabs.push((
            Section::Flags,
            format!("Flagged images ({})", f.flags.len()),
        ));
    }
    if let Some(found) = f.objects.as_ref().filter(|o| !o.findings.is_empty()) {
        tabs.push((
            Section::Objects,
            format!("Annotation findings ({})", found.findings.len()),
        ));
    }
    tabs.push((Section::Statistics, "Statistics".to_owned()));
    if result.compare.is_some() {
        tabs.push((Section::Compare, "Training vs validation".to_owned()));
    }
    if groups > 0 || !f.flags.is_empty() {
        tabs.push((Section::Exclude, "Exclude from the export".to_owned()));
    }
    ui.horizontal(|ui| {
        for (tab, name) in tabs {
            if ui.selectable_label(*section == tab, name).clicked() {
                *section = tab;
            }
        }
    });
}

/// Draws why the pass cannot run on `dataset` (none open, opening, failed, stored arrays); true when
/// it can.
fn dataset_ui(ui: &mut egui::Ui, dataset: &Dataset<'_>) -> bool {
    let store = match dataset {
        Dataset::Ready(store) => *store,
        Dataset::Opening => {
            empty_state(
                ui,
                "Opening the dataset",
                "The health pass can run once the batches view shows the first batch.",
            );
            return false;
        }
        Dataset::Failed => {
            empty_state(
                ui,
                "The dataset could not be opened",
                "The Batches view says why.",
            );
            return false;
        }
        Dataset::None => {
            empty_state(
                ui,
                "No dataset open",
                "Open a dataset, then run the health pass to find duplicates, leaks and bad images.",
            );
            return false;
        }
    };
    if !store.decodes_images() {
        empty_state(
            ui,
            "Not available for stored arrays",
            &format!(
                "The health pass measures decoded images (folders, TFRecords); {} holds stored arrays.",
                store.describe()
            ),
        );
        return false;
    }
    true
}

fn run_bar_ui(ui: &mut egui::Ui, panel: &HealthPanel, actions: &mut Vec<Action>) {
    ui.horizontal(|ui| {
        let label = if panel.result.is_some() {
            "Run again"
        } else {
            "Run health pass"
        };
        if ui
            .add_enabled(!panel.is_running(), egui::Button::new(label))
            .on_hover_text("Measure every planned image once with the loader settings on screen (both sides of a validation split)")
            .clicked()
        {
            actions.push(Action::Run);
        }
        if let Some((done, total, rate)) = panel.progress() {
            let fraction = if total == 0 {
                0.0
            } else {
                done as f32 / total as f32
            };
            ui.add(
                egui::ProgressBar::new(fraction)
                    .desired_width(280.0)
                    .text(format!("{done} / {total} images, {rate:.0} images/s")),
            );
            if ui.button("Cancel").clicked() {
                actions.push(Action::Cancel);
            }
        }
    });
    if panel.is_running() && panel.result.is_some() {
        ui.weak("Showing the previous result until this pass finishes.");
    }
    if let Some(message) = &panel.message {
        ui.colored_label(WARN, message);
    }
}

fn summary_ui(ui: &mut egui::Ui, result: &Measured) {
    let scan = &result.scan;
    let f = &result.findings;
    let loaded = result.plots.measured;
    let exact = result.listing.exact_groups;
    ui.label(format!(
        "{loaded} images measured at {}x{}x{} in {:.1} s ({} from the cache){}{}",
        scan.shape.height,
        scan.shape.width,
        scan.shape.channels,
        result.elapsed.as_secs_f64(),
        scan.cached,
        if scan.failures.is_empty() {
            String::new()
        } else {
            format!(", {} failed to load", scan.failures.len())
        },
        if scan.split {
            ", training and validation"
        } else {
            ""
        },
    ));
    ui.label(format!(
        "{} · {exact} exact and {} near duplicate {} · {}",
        count(f.leaks.len(), "leak group"),
        f.duplicates.len() - exact,
        if f.duplicates.len() == 1 {
            "group"
        } else {
            "groups"
        },
        count(f.flags.len(), "flagged image")
    ));
    if let Some(found) = &f.objects {
        ui.label(format!(
            "{} in {} annotated images · {}",
            count(found.objects, "object"),
            found.images,
            count(found.findings.len(), "annotation finding")
        ));
    }
    for note in &scan.notes {
        ui.weak(note);
    }
}

fn threshold_ui(ui: &mut egui::Ui, panel: &mut HealthPanel, actions: &mut Vec<Action>) {
    ui.horizontal(|ui| {
        let label = ui.label("Near-duplicate threshold");
        let response = ui
            .add(egui::Slider::new(&mut panel.near_distance, 0..=24).suffix(" bits"))
            .labelled_by(label.id)
            .on_hover_text("Hashes at most this many bits apart (of 64) are near duplicates; 0 keeps only identical hashes. Regrouping reads no pixels.");
        ui.weak(format!(
            "similarity ≥ {:.3}",
            1.0 - f64::from(panel.near_distance) / 64.0
        ));
        if response.changed() {
            actions.push(Action::Regroup);
        }
    });
}

/// A centred title and explanation where there is nothing to list.
fn empty_state(ui: &mut egui::Ui, title: &str, detail: &str) {
    super::browser::centered_note(ui, title, detail, |_| {});
}

/// The exclusion list's file field and the note about its last save.
struct ListFile<'a> {
    path: &'a mut String,
    notice: Option<&'a str>,
}

fn exclude_ui(
    ui: &mut egui::Ui,
    result: &Measured,
    marked: &[ExcludeKind],
    marked_count: usize,
    list: &mut ListFile<'_>,
    actions: &mut Vec<Action>,
) {
    let f = &result.findings;
    let listing = &result.listing;
    let mut options: Vec<(ExcludeKind, String)> = vec![
        (
            ExcludeKind::Exact,
            format!(
                "All but the first of each exact duplicate group ({})",
                listing.exact_extra
            ),
        ),
        (
            ExcludeKind::Near,
            format!(
                "All but the first of each near duplicate group ({})",
                listing.near_extra
            ),
        ),
        (
            ExcludeKind::Leaks,
            format!("Leaks' validation copies ({} leaks)", f.leaks.len()),
        ),
    ];
    for &(kind, n, _) in &listing.flags {
        options.push((ExcludeKind::Flag(kind), format!("Every {kind} image ({n})")));
    }
    for (kind, text) in options {
        let mut on = marked.contains(&kind);
        if ui.checkbox(&mut on, text).changed() {
            actions.push(Action::Mark(kind, on));
        }
    }
    let marked = marked_count;
    ui.label(format!(
        "{marked} images marked; nothing is deleted from the dataset."
    ));
    ui.horizontal(|ui| {
        let label = ui.label("List file");
        ui.add(egui::TextEdit::singleline(&mut *list.path).desired_width(320.0))
            .labelled_by(label.id);
        if ui
            .add_enabled(marked > 0, egui::Button::new("Save exclusion list"))
            .on_hover_text("One `path<TAB>reason` line per image, as `batchscope health --exclude-out` writes; `batchscope export --exclude-list FILE` and the export panel leave them out")
            .clicked()
        {
            actions.push(Action::SaveList);
        }
        if ui
            .add_enabled(marked > 0, egui::Button::new("Save as…"))
            .on_hover_text("Choose the list file in a save dialog, then save it there")
            .clicked()
        {
            actions.push(Action::SaveListAs);
        }
    });
    if let Some(notice) = list.notice {
        ui.label(notice);
    }
}

/// `1 group`, `2 groups`: a count with its noun in the right number.
pub(super) fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
