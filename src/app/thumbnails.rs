//! Small thumbnails of the samples a list shows (the Health view's groups and flags, the Gallery),
//! loaded in the background only for the tiles in view and kept within a byte budget: a sequential
//! loader decodes the samples asked for at [`THUMB_PX`] (stored rows at their own shape, drawn
//! through their automatic display range), the logic step collects them, and a few dozen are
//! uploaded per frame. Asking for other samples replaces the loader, which cancels the old one.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::ColorImage;

use super::display::{StoredImage, auto_range};
use crate::index::DatasetIndex;
use crate::load::loader::{Batch, LoadSpec, Loader, Notify};
use crate::load::preprocess::{Element, Shape};
use crate::options::{Dtype, Scale};
use crate::plan::BatchPlan;

/// Edge of a thumbnail in pixels.
pub const THUMB_PX: usize = 64;

/// Bytes one uploaded thumbnail takes at most (RGBA).
pub const THUMB_BYTES: usize = THUMB_PX * THUMB_PX * 4;

/// The thumbnails of one dataset's samples.
pub struct Thumbnails {
    /// Texture names start with it (`health-17`).
    prefix: &'static str,
    /// Uploaded thumbnails by sample.
    textures: HashMap<usize, egui::TextureHandle>,
    /// Decoded, not yet uploaded.
    pending: HashMap<usize, ColorImage>,
    loader: Option<Loader>,
    /// Samples the loader is loading.
    loading: HashSet<usize>,
    /// Samples whose thumbnail could not be loaded (not asked for again).
    failed: HashSet<usize>,
    /// Bytes of uploaded thumbnails kept beyond those in view.
    budget: usize,
}

impl Default for Thumbnails {
    fn default() -> Self {
        Self::new("thumbnail", 1000 * THUMB_BYTES)
    }
}

impl Thumbnails {
    /// No thumbnails; at most `budget` bytes of them kept out of view.
    pub fn new(prefix: &'static str, budget: usize) -> Self {
        Self {
            prefix,
            textures: HashMap::new(),
            pending: HashMap::new(),
            loader: None,
            loading: HashSet::new(),
            failed: HashSet::new(),
            budget,
        }
    }

    /// Forgets every thumbnail (another dataset, or other pixels).
    pub fn clear(&mut self) {
        *self = Self::new(self.prefix, self.budget);
    }

    /// Sample `sample`'s thumbnail, once uploaded.
    pub fn get(&self, sample: usize) -> Option<&egui::TextureHandle> {
        self.textures.get(&sample)
    }

    /// Whether `sample`'s thumbnail could not be loaded.
    pub fn failed(&self, sample: usize) -> bool {
        self.failed.contains(&sample)
    }

    /// Thumbnails uploaded, and the bytes they hold.
    pub fn held(&self) -> (usize, usize) {
        let bytes = self
            .textures
            .values()
            .map(|t| {
                let [w, h] = t.size();
                w * h * 4
            })
            .sum();
        (self.textures.len(), bytes)
    }

    /// Collects decoded thumbnails (logic step, a few milliseconds at most).
    pub fn poll(&mut self, index: &DatasetIndex) {
        let Some(loader) = &self.loader else { return };
        let started = Instant::now();
        while started.elapsed() < Duration::from_millis(5) {
            match loader.try_recv() {
                Ok(Some(batch)) => {
                    for row in 0..batch.samples.len() {
                        if let Some(image) = thumbnail(index, &batch, row) {
                            self.pending.insert(batch.samples[row], image);
                        }
                    }
                    self.failed.extend(batch.failures.iter().map(|f| f.sample));
                }
                Ok(None) => break,
                Err(_) => {
                    self.loader = None;
                    self.loading.clear();
                    break;
                }
            }
        }
    }

    /// Loads the thumbnails of `visible` (the samples drawn last frame) that have none yet, and frees
    /// those out of view once more than the budget is held.
    pub fn request(&mut self, index: &Arc<DatasetIndex>, visible: &[usize], notify: &Notify) {
        if self.textures.len() * THUMB_BYTES > self.budget {
            let in_view: HashSet<usize> = visible.iter().copied().collect();
            self.textures.retain(|s, _| in_view.contains(s));
        }
        let wanted: Vec<usize> = visible
            .iter()
            .copied()
            .filter(|s| {
                !self.textures.contains_key(s)
                    && !self.pending.contains_key(s)
                    && !self.failed.contains(s)
            })
            .collect();
        if wanted.iter().all(|s| self.loading.contains(s)) {
            return;
        }
        self.loading = wanted.iter().copied().collect();
        // Stored rows keep their shape (drawn through their range when collected); encoded images
        // are decoded and resized to a square thumbnail.
        let (shape, image_size) = match index.store.rows() {
            Some(rows) => match rows.image_shape() {
                Some(image) => (
                    Shape {
                        height: image.height,
                        width: image.width,
                        channels: image.channels,
                    },
                    None,
                ),
                None => return,
            },
            None => (
                Shape {
                    height: THUMB_PX,
                    width: THUMB_PX,
                    channels: 3,
                },
                Some(crate::size::Size::square(THUMB_PX as u32)),
            ),
        };
        let job = LoadSpec {
            index: Arc::clone(index),
            plan: Arc::new(BatchPlan {
                batch_size: 32,
                order: wanted,
                seed: None,
                ends: None,
            }),
            preprocess: crate::options::PreprocessOptions {
                image_size,
                ..Default::default()
            },
            shape,
            element: Element {
                dtype: Dtype::Uint8,
                scale: Scale::To255,
            },
        };
        // Replacing the loader drops the old one, which cancels it.
        self.loader = Loader::sequential(
            Arc::new(job),
            16 << 20,
            Arc::default(),
            Some(Arc::clone(notify)),
        )
        .ok();
    }

    /// Uploads decoded thumbnails to the GPU, a budget of them per frame.
    pub fn upload(&mut self, ctx: &egui::Context) {
        const PER_FRAME: usize = 64;
        let ready: Vec<usize> = self.pending.keys().copied().take(PER_FRAME).collect();
        for sample in ready {
            if let Some(image) = self.pending.remove(&sample) {
                let texture = ctx.load_texture(
                    format!("{}-{sample}", self.prefix),
                    image,
                    egui::TextureOptions::LINEAR,
                );
                self.textures.insert(sample, texture);
            }
        }
        if !self.pending.is_empty() {
            ctx.request_repaint();
        }
    }
}

/// Row `row` of a thumbnail batch as an image: decoded pixels as they are, stored rows through the
/// automatic display range of their dtype and values.
fn thumbnail(index: &DatasetIndex, batch: &Batch, row: usize) -> Option<ColorImage> {
    match StoredImage::of(index, batch) {
        Some(stored) => {
            let (range, _) = auto_range(stored.dtype, &stored.batch_stats(None), false);
            stored.color_image(row, range)
        }
        None => super::grid::color_image(batch, row),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbnails_out_of_view_are_freed_past_the_budget() {
        let ctx = egui::Context::default();
        let mut thumbs = Thumbnails::new("test", 2 * THUMB_BYTES);
        for sample in 0..5 {
            thumbs.pending.insert(
                sample,
                ColorImage::filled([THUMB_PX, THUMB_PX], egui::Color32::RED),
            );
        }
        thumbs.upload(&ctx);
        assert_eq!(thumbs.held(), (5, 5 * THUMB_BYTES));
        // In view: 3 and 4, which have their thumbnails (nothing to load). Over budget: the rest go.
        let index = Arc::new(DatasetIndex::default());
        let notify: Notify = Arc::new(|| {});
        thumbs.request(&index, &[3, 4], &notify);
        assert_eq!(thumbs.held(), (2, 2 * THUMB_BYTES));
        assert!(thumbs.get(3).is_some() && thumbs.get(0).is_none());
        // Within the budget, nothing is freed.
        thumbs.request(&index, &[], &notify);
        assert_eq!(thumbs.held().0, 2);
    }
}
