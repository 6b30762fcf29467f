//! Dataset statistics of a health pass: per-channel mean and standard deviation of the loaded pixels
//! (0..255, over every pixel of every loaded sample, population std as numpy's `std()`), per-class
//! counts of the planned samples and the imbalance ratio. Sums are float64 per sample and then per
//! dataset, so a million images keep about twelve significant digits.

use super::scan::Entry;
use crate::index::DatasetIndex;

/// Per-channel mean and std on the 0..255 scale.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct ChannelStats {
    /// Mean of each channel.
    pub mean: Vec<f64>,
    /// Population standard deviation of each channel.
    pub std: Vec<f64>,
}

/// The mean and std of `channels` channels over every loaded entry.
pub fn channels(entries: &[Entry], channels: usize) -> ChannelStats {
    let channels = channels.min(4);
    let (mut sum, mut sum_sq, mut n) = ([0f64; 4], [0f64; 4], 0f64);
    for h in entries.iter().filter_map(|e| e.health.as_ref()) {
        for c in 0..channels {
            sum[c] += h.channel_sum[c];
            sum_sq[c] += h.channel_sum_sq[c];
        }
        n += h.pixels as f64;
    }
    if n == 0.0 {
        return ChannelStats::default();
    }
    let mean: Vec<f64> = sum[..channels].iter().map(|s| s / n).collect();
    let std = (0..channels)
        .map(|c| (sum_sq[c] / n - mean[c] * mean[c]).max(0.0).sqrt())
        .collect();
    ChannelStats { mean, std }
}

/// `(class name, planned samples)` in label order; empty without labels.
pub fn class_counts(index: &DatasetIndex, entries: &[Entry]) -> Vec<(String, usize)> {
    let counts = index.class_counts_of(entries.iter().map(|e| e.sample));
    index.class_names.iter().cloned().zip(counts).collect()
}

/// Largest class count over the smallest non-empty one; `None` without two non-empty classes... or
/// with none at all (one non-empty class gives 1).
pub fn imbalance_ratio(counts: &[(String, usize)]) -> Option<f64> {
    let nonzero = counts.iter().map(|c| c.1).filter(|&c| c > 0);
    let max = nonzero.clone().max()?;
    let min = nonzero.min()?;
    Some(max as f64 / min as f64)
}
