//! How stored rows are drawn: the image column of a [`Pixels::Columns`] batch, in any dtype, mapped to
//! 0..255 through a display range. The range is automatic from the dtype and the batch's values
//! (uint8 as stored, values in [0,1] or [0,255] as such, anything else from the batch's min..max, or
//! mean ± 3σ when a few outliers would grey out the rest) or
//! set by the user; it only changes what is drawn, never the stored or exported values.

use egui::ColorImage;

use crate::index::DatasetIndex;
use crate::load::loader::{Batch, Pixels};
use crate::load::preprocess::Shape;
use crate::npy::{NpyDtype, dtype_name};

/// Largest texture edge uploaded for a thumbnail; bigger samples are subsampled for display only.
pub const MAX_TEXTURE_EDGE: usize = 512;

/// At most this many elements are read to find a batch's statistics (evenly spaced beyond it).
const STATS_SAMPLE: usize = 1 << 24;

/// The image column of a batch of stored rows: `shape` per row, `dtype` elements.
#[derive(Clone, Copy)]
pub struct StoredImage<'a> {
    /// Every row's elements, little-endian.
    pub bytes: &'a [u8],
    /// The stored dtype.
    pub dtype: NpyDtype,
    /// One row as an image (`channels` 1 for a 2-D row).
    pub shape: Shape,
}

impl<'a> StoredImage<'a> {
    /// The image column of `batch`, if its source has one that the viewer can draw.
    pub fn of(index: &DatasetIndex, batch: &'a Batch) -> Option<Self> {
        let (Some(rows), Pixels::Columns(buffers)) = (index.store.rows(), &batch.pixels) else {
            return None;
        };
        let column = rows.image_column()?;
        let dtype = rows.columns().get(column)?.dtype;
        let bytes = buffers.get(column)?;
        let shape = batch.shape;
        let fits =
            !shape.is_empty() && bytes.len() == batch.samples.len() * shape.len() * dtype.size();
        fits.then_some(Self {
            bytes,
            dtype,
            shape,
        })
    }

    /// Element `i` of row `row` as a number.
    pub fn value(&self, row: usize, i: usize) -> Option<f64> {
        let size = self.dtype.size();
        let at = (row * self.shape.len() + i) * size;
        crate::npy::element_f64(self.dtype, self.bytes.get(at..at + size)?)
    }

    /// Per-channel `(min, max, mean)` of row `row` (NaN and infinities left out).
    pub fn channel_stats(&self, row: usize) -> Vec<Stats> {
        let c = self.shape.channels;
        (0..c)
            .map(|channel| {
                Stats::of(
                    (channel..self.shape.len())
                        .step_by(c)
                        .filter_map(|i| self.value(row, i)),
                )
            })
            .collect()
    }

    /// Statistics of every element of the batch (of evenly spaced ones in a very large batch).
    pub fn batch_stats(&self) -> Stats {
        let size = self.dtype.size();
        let n = self.bytes.len() / size;
        let step = n.div_ceil(STATS_SAMPLE).max(1);
        Stats::of((0..n).step_by(step).filter_map(|i| {
            crate::npy::element_f64(self.dtype, &self.bytes[i * size..(i + 1) * size])
        }))
    }

    /// Row `row` as an RGBA image through `range` (subsampled if an edge is over
    /// [`MAX_TEXTURE_EDGE`]).
    pub fn color_image(&self, row: usize, range: DisplayRange) -> Option<ColorImage> {
        let s = self.shape;
        if row * s.len() * self.dtype.size() >= self.bytes.len() {
            return None;
        }
        let step = s.height.max(s.width).div_ceil(MAX_TEXTURE_EDGE).max(1);
        let (h, w) = (s.height.div_ceil(step), s.width.div_ceil(step));
        let mut rgba = Vec::with_capacity(h * w * 4);
        let byte = |i: usize| range.to_byte(self.value(row, i).unwrap_or(f64::NAN));
        for y in (0..s.height).step_by(step) {
            for x in (0..s.width).step_by(step) {
                let at = (y * s.width + x) * s.channels;
                match s.channels {
                    1 => {
                        let v = byte(at);
                        rgba.extend_from_slice(&[v, v, v, 255]);
                    }
                    3 => rgba.extend_from_slice(&[byte(at), byte(at + 1), byte(at + 2), 255]),
                    4 => rgba.extend_from_slice(&[
                        byte(at),
                        byte(at + 1),
                        byte(at + 2),
                        byte(at + 3),
                    ]),
                    _ => return None,
                }
            }
        }
        Some(ColorImage::from_rgba_unmultiplied([w, h], &rgba))
    }
}

/// Summary of a set of values (finite ones only).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stats {
    /// Smallest.
    pub min: f64,
    /// Largest.
    pub max: f64,
    /// Mean.
    pub mean: f64,
    /// Standard deviation.
    pub std: f64,
    /// How many finite values.
    pub count: usize,
}

impl Stats {
    fn of(values: impl Iterator<Item = f64>) -> Self {
        let (mut min, mut max, mut sum, mut sum_sq, mut count) =
            (f64::INFINITY, f64::NEG_INFINITY, 0.0, 0.0, 0usize);
        for v in values.filter(|v| v.is_finite()) {
            min = min.min(v);
            max = max.max(v);
            sum += v;
            sum_sq += v * v;
            count += 1;
        }
        if count == 0 {
            return Self {
                min: 0.0,
                max: 0.0,
                mean: 0.0,
                std: 0.0,
                count,
            };
        }
        let mean = sum / count as f64;
        let std = (sum_sq / count as f64 - mean * mean).max(0.0).sqrt();
        Self {
            min,
            max,
            mean,
            std,
            count,
        }
    }
}

/// Stored values `low..high` are drawn as 0..255 (clamped outside it).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DisplayRange {
    /// Drawn black.
    pub low: f64,
    /// Drawn white.
    pub high: f64,
}

impl DisplayRange {
    /// The byte a stored value is drawn as (NaN as 0).
    pub fn to_byte(self, v: f64) -> u8 {
        let span = self.high - self.low;
        let t = if span > 0.0 {
            (v - self.low) / span
        } else if v >= self.high {
            1.0
        } else {
            0.0
        };
        if t.is_nan() {
            return 0;
        }
        (t.clamp(0.0, 1.0) * 255.0).round() as u8
    }
}

impl std::fmt::Display for DisplayRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}..{}", number(self.low), number(self.high))
    }
}

/// The automatic range for `dtype` values summarised by `stats`, and why, for the user
/// (`float32 in [0,1]`).
pub fn auto_range(dtype: NpyDtype, stats: &Stats) -> (DisplayRange, String) {
    let name = dtype_name(dtype);
    let range = |low, high| DisplayRange { low, high };
    match dtype {
        NpyDtype::U8 => return (range(0.0, 255.0), name.to_owned()),
        NpyDtype::Bool => return (range(0.0, 1.0), name.to_owned()),
        _ => {}
    }
    let within = |low, high| stats.count == 0 || (stats.min >= low && stats.max <= high);
    if within(0.0, 1.0) {
        (range(0.0, 1.0), format!("{name} in [0,1]"))
    } else if within(0.0, 255.0) {
        (range(0.0, 255.0), format!("{name} in [0,255]"))
    } else if stats.max - stats.min > 12.0 * stats.std {
        // A few outliers would leave everything else one grey: mean ± 3σ, within min..max.
        let (low, high) = (
            (stats.mean - 3.0 * stats.std).max(stats.min),
            (stats.mean + 3.0 * stats.std).min(stats.max),
        );
        (range(low, high), format!("{name}, batch mean ± 3σ"))
    } else {
        // Outside both: the batch's own span, so something is visible whatever the scale.
        let high = if stats.max > stats.min {
            stats.max
        } else {
            stats.min + 1.0
        };
        (range(stats.min, high), format!("{name}, batch min..max"))
    }
}

/// A value for the user: integers without a fraction, others with up to 4 decimals.
pub fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        return format!("{v:.0}");
    }
    let text = format!("{v:.4}");
    let text = text.trim_end_matches('0');
    text.strip_suffix('.').unwrap_or(text).to_owned()
}

/// The display range the user set, or automatic.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RangeSetting {
    /// Automatic from the dtype and the batch.
    pub auto: bool,
    /// The range when not automatic (follows the automatic one while `auto` is set, so that turning
    /// it off starts from what is on screen).
    pub manual: DisplayRange,
}

impl Default for RangeSetting {
    fn default() -> Self {
        Self {
            auto: true,
            manual: DisplayRange {
                low: 0.0,
                high: 1.0,
            },
        }
    }
}

/// The display range control: `Display range: 0..1 (auto, float32 in [0,1])`, an auto toggle and two
/// drag values. Returns the range to draw with.
pub fn range_ui(
    ui: &mut egui::Ui,
    setting: &mut RangeSetting,
    auto: (DisplayRange, String),
) -> DisplayRange {
    let (auto_range, why) = auto;
    if setting.auto {
        setting.manual = auto_range;
    }
    let shown = setting.manual;
    ui.horizontal_wrapped(|ui| {
        let text = if setting.auto {
            format!("Display range: {shown} (auto, {why})")
        } else {
            format!("Display range: {shown} (set; auto would be {auto_range}, {why})")
        };
        ui.label(text).on_hover_text(
            "Stored values in this range are drawn black to white. Only the drawing changes: the export keeps the stored values.",
        );
        ui.checkbox(&mut setting.auto, "auto");
        let span = (setting.manual.high - setting.manual.low).abs().max(1e-6);
        let speed = span / 200.0;
        let low = ui.add(
            egui::DragValue::new(&mut setting.manual.low)
                .speed(speed)
                .prefix("low "),
        );
        let high = ui.add(
            egui::DragValue::new(&mut setting.manual.high)
                .speed(speed)
                .prefix("high "),
        );
        if low.changed() || high.changed() {
            setting.auto = false;
        }
    });
    if setting.auto {
        auto_range
    } else {
        setting.manual
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(values: &[f64]) -> Stats {
        Stats::of(values.iter().copied())
    }

    #[test]
    fn auto_range_follows_dtype_and_values() {
        let (r, why) = auto_range(NpyDtype::F32, &stats(&[0.0, 0.25, 1.0]));
        assert_eq!(
            (r.to_string(), why.as_str()),
            ("0..1".into(), "float32 in [0,1]")
        );
        let (r, why) = auto_range(NpyDtype::F64, &stats(&[0.0, 3.0, 255.0]));
        assert_eq!(
            (r.to_string(), why.as_str()),
            ("0..255".into(), "float64 in [0,255]")
        );
        let (r, _) = auto_range(NpyDtype::F32, &stats(&[-2.5, 0.0, 1.5]));
        assert_eq!(r.to_string(), "-2.5..1.5");
        let (r, why) = auto_range(NpyDtype::U8, &stats(&[3.0]));
        assert_eq!((r.to_string(), why.as_str()), ("0..255".into(), "uint8"));
        let (r, _) = auto_range(NpyDtype::I16, &stats(&[-9000.0, -9000.0]));
        assert_eq!(r.to_string(), "-9000..-8999");
        // One outlier among many: mean ± 3σ rather than a range that greys out everything else.
        let mut values = [-1.0, 1.0].repeat(500);
        values.push(1000.0);
        let (r, why) = auto_range(NpyDtype::F32, &stats(&values));
        assert!(r.high < 100.0 && r.low >= -1.0, "{r}");
        assert_eq!(why, "float32, batch mean ± 3σ");
    }

    #[test]
    fn a_range_maps_to_bytes_and_clamps() {
        let unit = DisplayRange {
            low: 0.0,
            high: 1.0,
        };
        assert_eq!(
            [-1.0, 0.0, 0.5, 1.0, 2.0, f64::NAN].map(|v| unit.to_byte(v)),
            [0, 0, 128, 255, 255, 0]
        );
        let bytes = DisplayRange {
            low: 0.0,
            high: 255.0,
        };
        assert!((0..=255u8).all(|v| bytes.to_byte(f64::from(v)) == v));
    }

    #[test]
    fn numbers_read_plainly() {
        assert_eq!(
            [0.0, 1.0, 255.0, 0.5, -2.25, 1.0 / 3.0].map(number),
            ["0", "1", "255", "0.5", "-2.25", "0.3333"]
        );
    }
}
