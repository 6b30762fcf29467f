//! Per-image flags: each kind has one measured score and one documented threshold ([`FlagThresholds`]),
//! so a flag can always be explained as "score X is past threshold Y".
//!
//! | kind | score | flagged when (default) |
//! |---|---|---|
//! | `dark` | mean luma, 0..255 | `< 40` |
//! | `light` | mean luma, 0..255 | `> 215` |
//! | `blurry` | variance of the Laplacian / variance of the luma | `< 0.02` (and not `low_information`, and at least 3x3 pixels: a thinner image has no Laplacian, so no sharpness) |
//! | `low_information` | entropy of the luma histogram, bits (0..8) | `< 3.0` |
//! | `grayscale` | mean `max(r,g,b) - min(r,g,b)`, 0..255 (RGB and RGBA only) | `< 2.0` |
//! | `odd_aspect_ratio` | `max(a/m, m/a)`, a = width/height, m = the dataset's median | `>= 2.0` |
//! | `odd_size` | `max(s/m, m/s)`, s = sqrt(width*height), m = the dataset's median | `>= 3.0` |
//!
//! Sizes and aspect ratios are the originals' (before resizing); the other scores are measured on the
//! pixels the loader produces with the given options.

use std::fmt;

use super::scan::Entry;

/// The kinds of flag, in report order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagKind {
    /// Too dark.
    Dark,
    /// Overexposed.
    Light,
    /// No sharp detail for its contrast.
    Blurry,
    /// Nearly flat.
    LowInformation,
    /// RGB with (nearly) equal channels.
    Grayscale,
    /// Aspect ratio far from the dataset's median.
    OddAspectRatio,
    /// Size far from the dataset's median.
    OddSize,
}

impl FlagKind {
    /// Every kind, in report order.
    pub const ALL: [Self; 7] = [
        Self::Dark,
        Self::Light,
        Self::Blurry,
        Self::LowInformation,
        Self::Grayscale,
        Self::OddAspectRatio,
        Self::OddSize,
    ];

    /// The JSON and command-line spelling (`low_information`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Dark => "dark",
            Self::Light => "light",
            Self::Blurry => "blurry",
            Self::LowInformation => "low_information",
            Self::Grayscale => "grayscale",
            Self::OddAspectRatio => "odd_aspect_ratio",
            Self::OddSize => "odd_size",
        }
    }
}

impl fmt::Display for FlagKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The thresholds of the flags (see the module's table).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FlagThresholds {
    /// `dark` below this mean luma.
    pub dark_below: f32,
    /// `light` above this mean luma.
    pub light_above: f32,
    /// `blurry` below this normalised Laplacian variance.
    pub blurry_below: f32,
    /// `low_information` below this many bits of luma entropy.
    pub low_information_below: f32,
    /// `grayscale` below this mean channel spread.
    pub grayscale_below: f32,
    /// `odd_aspect_ratio` at or above this factor from the median aspect ratio.
    pub odd_aspect_factor: f64,
    /// `odd_size` at or above this factor from the median linear size.
    pub odd_size_factor: f64,
}

impl Default for FlagThresholds {
    fn default() -> Self {
        Self {
            dark_below: 40.0,
            light_above: 215.0,
            blurry_below: 0.02,
            low_information_below: 3.0,
            grayscale_below: 2.0,
            odd_aspect_factor: 2.0,
            odd_size_factor: 3.0,
        }
    }
}

/// One flagged image.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Flag {
    /// Sample index (into `DatasetIndex::samples`).
    pub sample: usize,
    /// What is wrong.
    pub kind: FlagKind,
    /// The measured score (see the module's table for its unit).
    pub score: f64,
}

/// The flags of every loaded entry, kind by kind, each kind in pass order.
pub fn flags(entries: &[Entry], t: &FlagThresholds) -> Vec<Flag> {
    let loaded: Vec<(usize, &super::SampleHealth)> = entries
        .iter()
        .filter_map(|e| e.health.as_ref().map(|h| (e.sample, h)))
        .collect();
    let aspect = |h: &super::SampleHealth| f64::from(h.width) / f64::from(h.height.max(1));
    let size = |h: &super::SampleHealth| (f64::from(h.width) * f64::from(h.height)).sqrt();
    let median_aspect = median(loaded.iter().map(|(_, h)| aspect(h)).collect());
    let median_size = median(loaded.iter().map(|(_, h)| size(h)).collect());
    let factor = |v: f64, m: f64| {
        if v <= 0.0 || m <= 0.0 {
            f64::INFINITY
        } else {
            (v / m).max(m / v)
        }
    };
    let mut out = Vec::new();
    for kind in FlagKind::ALL {
        for &(sample, h) in &loaded {
            let score = match kind {
                FlagKind::Dark => (h.brightness < t.dark_below).then_some(h.brightness.into()),
                FlagKind::Light => (h.brightness > t.light_above).then_some(h.brightness.into()),
                FlagKind::Blurry => (h.sharpness < t.blurry_below
                    && h.entropy >= t.low_information_below
                    && h.width.min(h.height) >= 3)
                    .then_some(h.sharpness.into()),
                FlagKind::LowInformation => {
                    (h.entropy < t.low_information_below).then_some(h.entropy.into())
                }
                FlagKind::Grayscale => h
                    .colorfulness
                    .filter(|&c| c < t.grayscale_below)
                    .map(f64::from),
                FlagKind::OddAspectRatio => {
                    Some(factor(aspect(h), median_aspect)).filter(|&f| f >= t.odd_aspect_factor)
                }
                FlagKind::OddSize => {
                    Some(factor(size(h), median_size)).filter(|&f| f >= t.odd_size_factor)
                }
            };
            if let Some(score) = score {
                out.push(Flag {
                    sample,
                    kind,
                    score,
                });
            }
        }
    }
    out
}

/// The median (the mean of the two middle values for an even count); 0 for none.
fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        v[mid]
    } else {
        f64::midpoint(v[mid - 1], v[mid])
    }
}
