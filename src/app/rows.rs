//! Stored rows as values: what the viewer shows of a source whose rows are not images (a `(N, 10)`
//! float64 array, say) instead of a grid, and the per-column descriptions (name, shape, dtype, first
//! values) that the inspector shows for every stored row.

use egui::RichText;

use super::display::number;
use super::grid::{GridAction, class_color, label_text};
use crate::index::{DatasetIndex, StoredRows};
use crate::load::loader::{Batch, Pixels};
use crate::npy::{dtype_name, shape_repr};

/// Values shown per column in a row of the list.
const LIST_VALUES: usize = 8;

/// The stored rows behind `index`, if it has them.
pub fn stored_rows(index: &DatasetIndex) -> Option<&dyn StoredRows> {
    index.store.rows()
}

/// `images (8, 8, 3) float32, labels () int64`: every column with the shape of one row.
pub fn describe_columns(rows: &dyn StoredRows) -> String {
    rows.columns()
        .iter()
        .map(|c| {
            format!(
                "{} {} {}",
                c.name,
                shape_repr(&c.row_shape),
                dtype_name(c.dtype)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The first `n` values of row `row` of column `column` of `batch`, as text (`0.5, 1, 2.25, …`).
pub fn first_values(
    rows: &dyn StoredRows,
    batch: &Batch,
    column: usize,
    row: usize,
    n: usize,
) -> String {
    let (Some(c), Pixels::Columns(buffers)) = (rows.columns().get(column), &batch.pixels) else {
        return String::new();
    };
    let Some(bytes) = buffers
        .get(column)
        .and_then(|b| b.get(row * c.row_bytes()..(row + 1) * c.row_bytes()))
    else {
        return String::new();
    };
    let size = c.dtype.size();
    let total = bytes.len() / size.max(1);
    let mut text: Vec<String> = bytes
        .chunks_exact(size)
        .take(n)
        .map(|e| crate::npy::element_f64(c.dtype, e).map_or_else(|| "?".to_owned(), number))
        .collect();
    if total > n {
        text.push(format!("… ({total} values)"));
    }
    text.join(", ")
}

/// The batch's rows as lines of values (for sources without an image column); a click inspects one.
pub fn rows_ui(ui: &mut egui::Ui, batch: &Batch, index: &DatasetIndex) -> Option<GridAction> {
    let rows = stored_rows(index)?;
    ui.weak(format!(
        "No column has an image's shape (H, W) or (H, W, 1|3|4), so rows are shown as values: {}. Click a row for all of its columns.",
        describe_columns(rows)
    ));
    let mut action = None;
    let height = ui.text_style_height(&egui::TextStyle::Monospace) + ui.spacing().item_spacing.y;
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show_rows(ui, height, batch.samples.len(), |ui, visible| {
            for row in visible {
                let sample = batch.samples[row];
                let label = index.samples.get(sample).and_then(|s| s.label);
                ui.horizontal(|ui| {
                    let values: Vec<String> = (0..rows.columns().len())
                        .filter(|&c| Some(c) != rows.label_column())
                        .map(|c| first_values(rows, batch, c, row, LIST_VALUES))
                        .collect();
                    let text = format!("{:>5}  [{}]", sample, values.join("] ["));
                    if ui
                        .selectable_label(false, RichText::new(text).monospace())
                        .clicked()
                    {
                        action = Some(GridAction::Select(row));
                    }
                    if index.labeled {
                        ui.colored_label(
                            label.map_or(ui.visuals().weak_text_color(), class_color),
                            label_text(index, label),
                        );
                    }
                });
            }
        });
    action
}
