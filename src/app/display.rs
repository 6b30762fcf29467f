//! How stored rows are drawn: the image column of a [`Pixels::Columns`] batch, in any dtype, mapped to
//! 0..255 through a display range. The range is automatic from the dtype and the batch's values
//! (uint8 as stored, values in [0,1] or [0,255] as such, anything else from the batch's min..max, or
//! mean ± 3σ when a few outliers would grey out the rest) or
//! set by the user; it only changes what is drawn, never the stored or exported values. So does the
//! de-normalisation ([`Denormalise`]): normalised floats (`(x / 255 - mean) / std`, as torchvision's
//! `Normalize` leaves them) drawn as the image they came from.

use egui::ColorImage;

use crate::index::{DatasetIndex, RowImage};
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
    /// The row stores its channels first (`(C, H, W)`): element `i` of the `(H, W, C)` image drawn
    /// is read where [`RowImage::stored_index`] says.
    pub channels_first: Option<RowImage>,
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
            channels_first: rows.image_shape().filter(|image| image.channels_first),
        })
    }

    /// Element `i` of row `row` (of the row drawn as `(H, W, C)`) as a number.
    pub fn value(&self, row: usize, i: usize) -> Option<f64> {
        let size = self.dtype.size();
        let i = self.channels_first.map_or(i, |image| image.stored_index(i));
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

    /// Statistics of every element of the batch (of evenly spaced ones in a very large batch), as
    /// drawn: de-normalised by `denormalise` when set.
    pub fn batch_stats(&self, denormalise: Option<Denormalise>) -> Stats {
        let size = self.dtype.size();
        let n = self.bytes.len() / size;
        let step = n.div_ceil(STATS_SAMPLE).max(1);
        let row_len = self.shape.len().max(1);
        Stats::of((0..n).step_by(step).filter_map(|i| {
            let v = crate::npy::element_f64(self.dtype, &self.bytes[i * size..(i + 1) * size])?;
            Some(denormalise.map_or(v, |d| d.apply(self.stored_channel(i % row_len), v)))
        }))
    }

    /// The channel of stored element `i` of a row.
    fn stored_channel(&self, i: usize) -> usize {
        let c = self.shape.channels.max(1);
        match self.channels_first {
            Some(image) => i / (image.height * image.width).max(1),
            None => i % c,
        }
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
        let drawn = |i: usize| {
            let v = self.value(row, i).unwrap_or(f64::NAN);
            range
                .denormalise
                .map_or(v, |d| d.apply(i % s.channels.max(1), v))
        };
        let byte = |i: usize| range.to_byte(drawn(i));
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
#[derive(Clone, Copy, Debug, Default, PartialEq)]
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

/// Stored values `low..high` are drawn as 0..255 (clamped outside it), after de-normalising them
/// when `denormalise` is set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DisplayRange {
    /// Drawn black.
    pub low: f64,
    /// Drawn white.
    pub high: f64,
    /// Values are de-normalised first.
    pub denormalise: Option<Denormalise>,
}

/// Normalised values drawn as what they were normalised from: channel `c`'s value `v` is drawn as
/// `v * std[c] + mean[c]` (a 1-channel image uses the first of each, a fourth channel is left as
/// it is), so an array normalised with `(x / 255 - mean) / std` is drawn as `x / 255`, in 0..1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Denormalise {
    /// Per channel, on the 0..1 scale.
    pub mean: [f64; 3],
    /// Per channel, on the 0..1 scale.
    pub std: [f64; 3],
}

impl Denormalise {
    /// `ImageNet`'s, as torchvision's models and most `PyTorch` pipelines normalise.
    pub const IMAGENET: Self = Self {
        mean: [0.485, 0.456, 0.406],
        std: [0.229, 0.224, 0.225],
    };

    /// The Health view's measured mean and std (on the 0..255 scale), for values normalised on the
    /// 0..1 scale; `None` without three (or one) channels measured.
    pub fn measured(stats: &crate::health::ChannelStats) -> Option<Self> {
        let pick = |values: &[f64]| match values {
            [one] => Some([one / 255.0; 3]),
            [r, g, b, ..] => Some([r / 255.0, g / 255.0, b / 255.0]),
            _ => None,
        };
        Some(Self {
            mean: pick(&stats.mean)?,
            std: pick(&stats.std)?,
        })
    }

    /// Value `v` of channel `channel`, de-normalised.
    pub fn apply(&self, channel: usize, v: f64) -> f64 {
        match channel {
            0..=2 => v * self.std[channel] + self.mean[channel],
            _ => v,
        }
    }
}

impl DisplayRange {
    /// Values `low..high`, not de-normalised.
    pub const fn new(low: f64, high: f64) -> Self {
        Self {
            low,
            high,
            denormalise: None,
        }
    }

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
/// `denormalised`: the values were de-normalised, so their dtype no longer says their scale.
pub fn auto_range(dtype: NpyDtype, stats: &Stats, denormalised: bool) -> (DisplayRange, String) {
    let name = if denormalised {
        "de-normalised"
    } else {
        dtype_name(dtype)
    };
    let range = DisplayRange::new;
    match dtype {
        _ if denormalised => {}
        NpyDtype::U8 => return (range(0.0, 255.0), name.to_owned()),
        NpyDtype::Bool => return (range(0.0, 1.0), name.to_owned()),
        _ => {}
    }
    // De-normalised float32 values come back within rounding of the scale they left: 0 as -1e-8.
    let slack = if denormalised { 1e-3 } else { 0.0 };
    let within =
        |low, high| stats.count == 0 || (stats.min >= low - slack && stats.max <= high + slack);
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

/// The display range the user set, or automatic, and the de-normalisation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RangeSetting {
    /// Automatic from the dtype and the batch.
    pub auto: bool,
    /// The range when not automatic (follows the automatic one while `auto` is set, so that turning
    /// it off starts from what is on screen).
    pub manual: DisplayRange,
    /// Which values, if any, de-normalise before drawing.
    pub denormalise: DenormalisePreset,
    /// The values of [`DenormalisePreset::Custom`] (`ImageNet`'s until edited).
    pub custom: Denormalise,
}

/// Where the de-normalisation's mean and std come from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DenormalisePreset {
    /// Values are drawn as stored.
    #[default]
    Off,
    /// [`Denormalise::IMAGENET`].
    ImageNet,
    /// The last Health pass's measured mean and std ([`Denormalise::measured`]).
    Measured,
    /// Set by hand.
    Custom,
}

impl RangeSetting {
    /// The de-normalisation to draw with; `measured` is the last Health pass's (`None`: none ran).
    pub fn denormalise(&self, measured: Option<Denormalise>) -> Option<Denormalise> {
        match self.denormalise {
            DenormalisePreset::Off => None,
            DenormalisePreset::ImageNet => Some(Denormalise::IMAGENET),
            DenormalisePreset::Measured => measured,
            DenormalisePreset::Custom => Some(self.custom),
        }
    }
}

impl Default for RangeSetting {
    fn default() -> Self {
        Self {
            auto: true,
            manual: DisplayRange::new(0.0, 1.0),
            denormalise: DenormalisePreset::Off,
            custom: Denormalise::IMAGENET,
        }
    }
}

/// The display range control: `Display range: 0..1 (auto, float32 in [0,1])`, an auto toggle and two
/// drag values; then the de-normalisation (`measured`: the last Health pass's). Returns the range to
/// draw with.
pub fn range_ui(
    ui: &mut egui::Ui,
    setting: &mut RangeSetting,
    auto: (DisplayRange, String),
    measured: Option<Denormalise>,
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
    denormalise_ui(ui, setting, measured);
    let range = if setting.auto {
        auto_range
    } else {
        setting.manual
    };
    DisplayRange {
        denormalise: setting.denormalise(measured),
        ..range
    }
}

/// `De-normalise: [ImageNet mean/std]`, and the values when set by hand.
fn denormalise_ui(ui: &mut egui::Ui, setting: &mut RangeSetting, measured: Option<Denormalise>) {
    use DenormalisePreset as P;
    let name = |preset| match preset {
        P::Off => "off",
        P::ImageNet => "ImageNet mean/std",
        P::Measured => "Health pass's mean/std",
        P::Custom => "mean/std set here",
    };
    ui.horizontal_wrapped(|ui| {
        let label = ui.label("De-normalise:").on_hover_text(
            "Draw normalised values (x / 255 - mean) / std as the image they came from: value × std + mean, per channel. Only the drawing changes: the export keeps the stored values.",
        );
        egui::ComboBox::from_id_salt("denormalise")
            .selected_text(name(setting.denormalise))
            .show_ui(ui, |ui| {
                for preset in [P::Off, P::ImageNet, P::Measured, P::Custom] {
                    ui.selectable_value(&mut setting.denormalise, preset, name(preset));
                }
            })
            .response
            .labelled_by(label.id);
        match (setting.denormalise, measured) {
            (P::Off, _) => {}
            (P::ImageNet, _) => {
                ui.weak(describe_denormalise(&Denormalise::IMAGENET));
            }
            (P::Measured, Some(d)) => {
                ui.weak(describe_denormalise(&d));
            }
            (P::Measured, None) => {
                ui.weak("no Health pass yet: run one on the images these were normalised from");
            }
            (P::Custom, _) => {
                let custom = &mut setting.custom;
                for (label, values) in [("mean", &mut custom.mean), ("std", &mut custom.std)] {
                    ui.label(label);
                    for v in values.iter_mut() {
                        ui.add(egui::DragValue::new(v).speed(0.001).max_decimals(4));
                    }
                }
            }
        }
    });
}

/// `mean 0.485, 0.456, 0.406 · std 0.229, 0.224, 0.225`.
fn describe_denormalise(d: &Denormalise) -> String {
    let list = |v: &[f64; 3]| v.map(number).join(", ");
    format!("mean {} · std {}", list(&d.mean), list(&d.std))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(values: &[f64]) -> Stats {
        Stats::of(values.iter().copied())
    }

    #[test]
    fn auto_range_follows_dtype_and_values() {
        let (r, why) = auto_range(NpyDtype::F32, &stats(&[0.0, 0.25, 1.0]), false);
        assert_eq!(
            (r.to_string(), why.as_str()),
            ("0..1".into(), "float32 in [0,1]")
        );
        let (r, why) = auto_range(NpyDtype::F64, &stats(&[0.0, 3.0, 255.0]), false);
        assert_eq!(
            (r.to_string(), why.as_str()),
            ("0..255".into(), "float64 in [0,255]")
        );
        let (r, _) = auto_range(NpyDtype::F32, &stats(&[-2.5, 0.0, 1.5]), false);
        assert_eq!(r.to_string(), "-2.5..1.5");
        let (r, why) = auto_range(NpyDtype::U8, &stats(&[3.0]), false);
        assert_eq!((r.to_string(), why.as_str()), ("0..255".into(), "uint8"));
        let (r, _) = auto_range(NpyDtype::I16, &stats(&[-9000.0, -9000.0]), false);
        assert_eq!(r.to_string(), "-9000..-8999");
        // One outlier among many: mean ± 3σ rather than a range that greys out everything else.
        let mut values = [-1.0, 1.0].repeat(500);
        values.push(1000.0);
        let (r, why) = auto_range(NpyDtype::F32, &stats(&values), false);
        assert!(r.high < 100.0 && r.low >= -1.0, "{r}");
        assert_eq!(why, "float32, batch mean ± 3σ");
    }

    #[test]
    fn a_range_maps_to_bytes_and_clamps() {
        let unit = DisplayRange::new(0.0, 1.0);
        assert_eq!(
            [-1.0, 0.0, 0.5, 1.0, 2.0, f64::NAN].map(|v| unit.to_byte(v)),
            [0, 0, 128, 255, 255, 0]
        );
        let bytes = DisplayRange::new(0.0, 255.0);
        assert!((0..=255u8).all(|v| bytes.to_byte(f64::from(v)) == v));
    }

    #[test]
    fn numbers_read_plainly() {
        assert_eq!(
            [0.0, 1.0, 255.0, 0.5, -2.25, 1.0 / 3.0].map(number),
            ["0", "1", "255", "0.5", "-2.25", "0.3333"]
        );
    }

    /// Little-endian float32 bytes of `values`.
    fn f32_bytes(values: &[f32]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    #[test]
    fn a_channels_first_row_is_drawn_as_the_image_it_holds() {
        // Row (3, 2, 2) of values c*10 + y*2 + x: drawn, pixel (y, x) is [y*2+x, 10+y*2+x, 20+y*2+x].
        let values: Vec<f32> = (0..3)
            .flat_map(|c| (0..4).map(move |p| (c * 10 + p) as f32))
            .collect();
        let bytes = f32_bytes(&values);
        let image = StoredImage {
            bytes: &bytes,
            dtype: NpyDtype::F32,
            shape: Shape {
                height: 2,
                width: 2,
                channels: 3,
            },
            channels_first: Some(RowImage {
                height: 2,
                width: 2,
                channels: 3,
                channels_first: true,
            }),
        };
        let drawn = image.color_image(0, DisplayRange::new(0.0, 255.0)).unwrap();
        let pixels: Vec<[u8; 3]> = drawn.pixels.iter().map(|p| [p.r(), p.g(), p.b()]).collect();
        assert_eq!(pixels, [[0, 10, 20], [1, 11, 21], [2, 12, 22], [3, 13, 23]]);
        // The inspector's per-channel statistics follow the channels, not the stored order.
        let stats = image.channel_stats(0);
        assert_eq!(
            stats.iter().map(|s| (s.min, s.max)).collect::<Vec<_>>(),
            [(0.0, 3.0), (10.0, 13.0), (20.0, 23.0)]
        );
    }

    #[test]
    fn imagenet_normalised_values_are_drawn_as_the_bytes_they_came_from() {
        // torchvision: ToTensor (x / 255) then Normalize(mean, std), in float32.
        let d = Denormalise::IMAGENET;
        let original: [[u8; 3]; 4] = [[0, 0, 0], [255, 255, 255], [12, 130, 250], [200, 100, 7]];
        let normalised: Vec<f32> = original
            .iter()
            .flat_map(|p| {
                (0..3).map(move |c| (f32::from(p[c]) / 255.0 - d.mean[c] as f32) / d.std[c] as f32)
            })
            .collect();
        let bytes = f32_bytes(&normalised);
        let image = StoredImage {
            bytes: &bytes,
            dtype: NpyDtype::F32,
            shape: Shape {
                height: 2,
                width: 2,
                channels: 3,
            },
            channels_first: None,
        };
        // De-normalised, the batch is in [0,1]: the automatic range says so.
        let stats = image.batch_stats(Some(d));
        let (auto, why) = auto_range(NpyDtype::F32, &stats, true);
        assert_eq!(
            (auto.to_string(), why.as_str()),
            ("0..1".into(), "de-normalised in [0,1]")
        );
        let range = DisplayRange {
            denormalise: Some(d),
            ..auto
        };
        let drawn = image.color_image(0, range).unwrap();
        let pixels: Vec<[u8; 3]> = drawn.pixels.iter().map(|p| [p.r(), p.g(), p.b()]).collect();
        assert_eq!(pixels, original);
        // Without it the same values are drawn through their own span: not the original.
        let (plain, _) = auto_range(NpyDtype::F32, &image.batch_stats(None), false);
        let drawn = image.color_image(0, plain).unwrap();
        assert_ne!(drawn.pixels[2].r(), 12);
    }

    #[test]
    fn measured_stats_on_the_255_scale_become_a_unit_scale_denormalisation() {
        let stats = crate::health::ChannelStats {
            mean: vec![127.5, 51.0, 25.5],
            std: vec![63.75, 25.5, 12.75],
        };
        assert_eq!(
            Denormalise::measured(&stats),
            Some(Denormalise {
                mean: [0.5, 0.2, 0.1],
                std: [0.25, 0.1, 0.05],
            })
        );
        let gray = crate::health::ChannelStats {
            mean: vec![51.0],
            std: vec![25.5],
        };
        assert_eq!(
            Denormalise::measured(&gray),
            Some(Denormalise {
                mean: [0.2; 3],
                std: [0.1; 3],
            })
        );
        assert_eq!(
            Denormalise::measured(&crate::health::ChannelStats::default()),
            None
        );
    }
}
