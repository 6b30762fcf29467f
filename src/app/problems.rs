//! The problems panel: files skipped so far and folders that could not be walked, each with its path
//! and reason.

use super::session::Problem;

/// Draws the list (most recent last).
pub fn problems_ui(ui: &mut egui::Ui, problems: &[Problem]) {
    if problems.is_empty() {
        ui.weak("No problems in the batches loaded so far.");
        return;
    }
    egui::ScrollArea::vertical()
        .max_height(160.0)
        .auto_shrink([false, true])
        .show(ui, |ui| {
            egui::Grid::new("problems")
                .striped(true)
                .num_columns(2)
                .show(ui, |ui| {
                    for problem in problems {
                        ui.label(problem.path.to_string_lossy());
                        ui.colored_label(ui.visuals().error_fg_color, &problem.reason);
                        ui.end_row();
                    }
                });
        });
}
