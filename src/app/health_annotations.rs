//! The Health view's list of annotation findings: one line per finding (its kind, the image, the
//! object's number, class and box as the source states them, and the measure behind it), in
//! report order; only the lines in view are laid out, so a million findings scroll as ten do.
//! Clicking a line opens the inspector on its image.

use super::health_panel::Measured;
use super::health_view::Action;
use crate::health::report;

/// Height of one line in points.
const LINE: f32 = 20.0;

/// Draws the findings of `result`'s annotation checks; a click asks for the inspector.
pub fn findings_ui(ui: &mut egui::Ui, result: &Measured, actions: &mut Vec<Action>) {
    let Some(found) = &result.findings.objects else {
        ui.weak("This dataset annotates no objects.");
        return;
    };
    let counts: Vec<String> = crate::health::ObjectIssue::ALL
        .iter()
        .map(|&k| (k, found.count(k)))
        .filter(|&(_, n)| n > 0)
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    ui.add(egui::Label::new(counts.join(" · ")).wrap());
    let empty = found.count(crate::health::ObjectIssue::NoObjects);
    if empty > 0
        && ui
            .button(format!("Show the {empty} without objects in the Gallery"))
            .clicked()
    {
        actions.push(Action::ShowWithoutObjects);
    }
    egui::ScrollArea::vertical()
        .id_salt(("health_annotations", result.number))
        .auto_shrink([false, false])
        .show_rows(ui, LINE, found.findings.len(), |ui, rows| {
            for f in &found.findings[rows] {
                let line = report::object_line(&result.scan, found, f);
                let response = ui
                    .add(
                        // One line each (a wrapped one would break the rows' fixed height);
                        // the whole line shows on hover.
                        egui::Label::new(egui::RichText::new(&line).monospace())
                            .truncate()
                            .sense(egui::Sense::click()),
                    )
                    .on_hover_text("Open in the inspector");
                if response.clicked() {
                    actions.push(Action::Inspect(f.sample));
                }
            }
        });
}
