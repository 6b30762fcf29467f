//! The colour modes the planned files store (`Rgb8`, `L8`, `Rgba8`, `L16`, ...), read from their
//! headers only: no pixels are decoded. This is what the files hold, not what the loader turns them
//! into (the colour mode option decides that). Only a source whose images can tell their colour
//! type from a header (a folder's files, read through the hardened reader) gives counts; the others
//! give none.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use crate::index::DatasetIndex;

/// How many of `samples` store each colour mode, most common first (then by name); files whose header
/// cannot be read count as `unreadable`. `None` if cancelled.
pub fn color_modes(
    index: &DatasetIndex,
    samples: &[usize],
    cancel: &AtomicBool,
) -> Option<Vec<(String, usize)>> {
    let Some(images) = index.store.images() else {
        return Some(Vec::new());
    };
    if !index.store.samples_are_files() {
        return Some(Vec::new());
    }
    let modes: Vec<Option<String>> = samples
        .par_iter()
        .map(|&i| {
            if cancel.load(Ordering::Relaxed) {
                return None;
            }
            Some(
                images
                    .color_type(i, &index.path(i))
                    .unwrap_or_else(|| "unreadable".to_owned()),
            )
        })
        .collect();
    if cancel.load(Ordering::Relaxed) {
        return None;
    }
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for mode in modes.into_iter().flatten() {
        *counts.entry(mode).or_insert(0) += 1;
    }
    let mut counts: Vec<(String, usize)> = counts.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Some(counts)
}
