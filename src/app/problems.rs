//! The Problems panel: files that will fail or failed, and folders that could not be walked, each
//! with its path and reason, one row each, drawn only where visible. Its header line shows the
//! checks' state ([`super::file_checks`]) and offers "Check every file now" (or Cancel), even when the
//! panel is closed; the drawing returns an [`Action`] for the app to apply.

use std::sync::atomic::Ordering;

use egui::RichText;

use super::file_checks::{DecodeCheck, FileChecks, HeaderCheck};
use super::session::Problem;

/// What the user asked of the Problems panel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Decode every file now.
    CheckAll,
    /// Stop that pass.
    CancelCheck,
}

/// Height of one row of the problems list.
fn row_height(ui: &egui::Ui) -> f32 {
    ui.text_style_height(&egui::TextStyle::Body)
}

/// Draws the panel: a header with the count, the checks' state and "Check every file now" (shown
/// even when closed), and the problems, one row each, drawn only where visible. `seen` is the count
/// the panel showed last: more problems open it.
pub fn problems_ui(
    ui: &mut egui::Ui,
    problems: &[Problem],
    checks: &FileChecks,
    decodes_images: bool,
    seen: &mut usize,
) -> Option<Action> {
    let mut action = None;
    let id = ui.make_persistent_id("problems_header");
    let mut state =
        egui::collapsing_header::CollapsingState::load_with_default_open(ui.ctx(), id, false);
    if problems.len() > *seen {
        // Opens by itself when new problems arrive; the user may close it again.
        state.set_open(true);
    }
    *seen = problems.len();
    let title = if problems.is_empty() {
        "Problems".to_owned()
    } else {
        format!("Problems ({})", problems.len())
    };
    state
        .show_header(ui, |ui| {
            ui.label(RichText::new(title).strong());
            checks_ui(ui, checks, decodes_images, &mut action);
        })
        .body(|ui| list_ui(ui, problems, checks));
    action
}

/// The checks' state in the header line, and the button that starts or cancels the full pass.
fn checks_ui(
    ui: &mut egui::Ui,
    checks: &FileChecks,
    decodes_images: bool,
    action: &mut Option<Action>,
) {
    // Stored rows have no headers and no files to decode: nothing to check, nothing to say.
    if !decodes_images {
        return;
    }
    match &checks.headers {
        HeaderCheck::Idle => {}
        HeaderCheck::Running { done, total, .. } => {
            ui.weak(format!(
                "· reading headers {} / {total}",
                done.load(Ordering::Relaxed)
            ));
        }
        HeaderCheck::Done { checked, .. } => {
            ui.weak(format!("· headers of {checked} files checked"));
        }
        HeaderCheck::Failed(message) => {
            ui.colored_label(ui.visuals().warn_fg_color, message);
        }
    }
    if checks.spec.is_none() {
        return;
    }
    ui.separator();
    match &checks.decode {
        DecodeCheck::Running { done, total, .. } => {
            let fraction = if *total == 0 {
                0.0
            } else {
                *done as f32 / *total as f32
            };
            ui.add(
                egui::ProgressBar::new(fraction)
                    .desired_width(220.0)
                    .text(format!("decoded {done} / {total} files")),
            );
            if ui
                .button("Cancel check")
                .on_hover_text("Stop decoding; the problems found so far stay listed")
                .clicked()
            {
                *action = Some(Action::CancelCheck);
            }
        }
        other => {
            if ui
                .button("Check every file now")
                .on_hover_text("Decode every file of the dataset in the background (both sides of a split), as the loader would, and list those that fail; keep browsing meanwhile")
                .clicked()
            {
                *action = Some(Action::CheckAll);
            }
            match other {
                DecodeCheck::Done {
                    checked,
                    found,
                    elapsed,
                } => {
                    ui.weak(format!(
                        "every file decoded: {checked} in {:.1} s, {found} failed",
                        elapsed.as_secs_f64()
                    ));
                }
                DecodeCheck::Stopped {
                    done,
                    total,
                    found,
                    why,
                } => {
                    ui.weak(format!(
                        "check {why} after {done} of {total} files ({found} failed)"
                    ));
                }
                _ => {}
            }
        }
    }
}

/// The problems, one row each (path, then reason), drawn only where visible.
fn list_ui(ui: &mut egui::Ui, problems: &[Problem], checks: &FileChecks) {
    if problems.is_empty() {
        let checked = matches!(checks.headers, HeaderCheck::Done { .. });
        ui.weak(if checked {
            "No problem in the files' headers or in the batches loaded so far."
        } else {
            "No problems in the batches loaded so far."
        });
        return;
    }
    let height = row_height(ui);
    egui::ScrollArea::vertical()
        .id_salt("problems_list")
        .max_height(160.0)
        .auto_shrink([false, true])
        .show_rows(ui, height, problems.len(), |ui, rows| {
            let error = ui.visuals().error_fg_color;
            let path_width = (ui.available_width() * 0.4).max(120.0);
            for problem in &problems[rows] {
                ui.horizontal(|ui| {
                    ui.set_height(height);
                    // The path in a column of its own (cut short, whole on hover), then the reason.
                    ui.allocate_ui_with_layout(
                        egui::vec2(path_width, height),
                        egui::Layout::left_to_right(egui::Align::Center),
                        |ui| {
                            ui.set_width(path_width);
                            ui.add(egui::Label::new(problem.path.to_string_lossy()).truncate());
                        },
                    );
                    ui.add(
                        egui::Label::new(RichText::new(&problem.reason).color(error))
                            .wrap_mode(egui::TextWrapMode::Extend),
                    );
                });
            }
        });
}
