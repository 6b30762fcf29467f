//! Class colours, one per class index, shared by every view that draws classes (the grid, the
//! histograms, the objects drawn over images, the Gallery, Health's plots).

use egui::Color32;

/// A stable, distinct colour for class `label`.
pub fn class_color(label: u32) -> Color32 {
    // Golden-ratio hue steps keep neighbouring labels apart.
    let hue = (label as f32 * 0.618_034).fract();
    egui::ecolor::Hsva::new(hue, 0.75, 0.95, 1.0).into()
}

/// Class `label`'s colour for text: [`class_color`] on a dark background, a darker shade of the same
/// hue on a light one (the pastel colours were hard to read on white).
pub fn class_text_color(label: u32, dark_mode: bool) -> Color32 {
    if dark_mode {
        return class_color(label);
    }
    let hue = (label as f32 * 0.618_034).fract();
    egui::ecolor::Hsva::new(hue, 0.85, 0.55, 1.0).into()
}
