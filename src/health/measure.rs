//! What the health pass measures on one loaded image: its perceptual and exact hashes, brightness,
//! sharpness, information content, colourfulness and its per-channel pixel sums. One [`SampleHealth`]
//! is everything later stages need about a sample, so it is also what the hash cache stores: grouping,
//! flags and statistics never look at pixels again.

use image::ImageFormat;

use super::hash;
use super::phash;

/// Everything the health pass keeps about one loaded sample.
#[derive(Clone, Debug, PartialEq)]
pub struct SampleHealth {
    /// 64-bit DCT perceptual hash of the loaded image's luma.
    pub phash: u64,
    /// Hash of the loaded pixels, their shape and the original size (exact duplicates).
    pub pixel_hash: u64,
    /// Hash of the file's bytes, for files (identical files group before any pixel is compared).
    pub file_hash: Option<u64>,
    /// Width before preprocessing.
    pub width: u32,
    /// Height before preprocessing.
    pub height: u32,
    /// The format the content was decoded as.
    pub format: Option<ImageFormat>,
    /// Mean luma (BT.601), 0..255.
    pub brightness: f32,
    /// Variance of the Laplacian of the luma divided by the variance of the luma: falls when edges
    /// and texture are smoothed away, whatever the contrast.
    pub sharpness: f32,
    /// Shannon entropy of the 256-bin luma histogram, in bits (0 for a flat image, at most 8).
    pub entropy: f32,
    /// Mean of `max(r, g, b) - min(r, g, b)` over pixels, 0..255 (0 for equal channels); `None` for
    /// fewer than three channels.
    pub colorfulness: Option<f32>,
    /// Per-channel sum of the loaded values (0..255 scale), up to four channels.
    pub channel_sum: [f64; 4],
    /// Per-channel sum of squares of the loaded values.
    pub channel_sum_sq: [f64; 4],
    /// Pixels (per channel) the sums cover.
    pub pixels: u64,
}

/// A loaded image row: `height x width x channels` values on the 0..255 scale.
#[derive(Clone, Copy, Debug)]
pub enum Row<'a> {
    /// uint8 values.
    U8(&'a [u8]),
    /// float32 values (resized images, as the float32 export holds them).
    F32(&'a [f32]),
}

impl Row<'_> {
    fn bytes(&self) -> &[u8] {
        match self {
            Self::U8(v) => v,
            Self::F32(v) => bytemuck::cast_slice(v),
        }
    }
}

/// Measures one loaded image of `height x width x channels`, originally `width0 x height0`.
pub fn measure(
    row: Row<'_>,
    (height, width, channels): (usize, usize, usize),
    original: (u32, u32, Option<ImageFormat>),
    file_hash: Option<u64>,
) -> SampleHealth {
    let n = height * width;
    let mut luma = vec![0f32; n];
    let mut hist = [0u32; 256];
    let spread = match row {
        Row::U8(v) => luma_pass_u8(v, channels, &mut luma, &mut hist),
        Row::F32(v) => luma_pass_f32(v, channels, &mut luma, &mut hist),
    };
    let (sum, sum_sq) = channel_sums(row, channels);
    let count = n.max(1) as f64;
    let (luma_sum, luma_sq) = sum_and_squares(&luma);
    let mean = luma_sum / count;
    let variance = (luma_sq / count - mean * mean).max(0.0);
    let entropy = hist
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / count;
            -p * p.log2()
        })
        .sum::<f64>();
    let seed = hash::mix(
        (height as u64) << 48
            ^ (width as u64) << 32
            ^ (channels as u64) << 24
            ^ u64::from(original.0) << 12
            ^ u64::from(original.1),
    );
    SampleHealth {
        phash: phash::phash(&luma, height, width),
        pixel_hash: hash::hash64(seed, row.bytes()),
        file_hash,
        width: original.0,
        height: original.1,
        format: original.2,
        brightness: mean as f32,
        sharpness: (laplacian_variance(&luma, height, width) / variance.max(1.0)) as f32,
        entropy: entropy as f32,
        colorfulness: (channels >= 3).then_some((spread / count) as f32),
        channel_sum: sum,
        channel_sum_sq: sum_sq,
        pixels: n as u64,
    }
}

/// The sum and the sum of squares of `values`, in eight f32 lanes over runs of 1,024 values (added
/// into f64 after each run): one serial f64 chain per pixel was a quarter of the health pass.
fn sum_and_squares(values: &[f32]) -> (f64, f64) {
    let (mut sum, mut sum_sq) = (0f64, 0f64);
    for run in values.chunks(1024) {
        let (mut s, mut q) = ([0f32; 8], [0f32; 8]);
        let mut lanes = run.chunks_exact(8);
        for v in &mut lanes {
            for k in 0..8 {
                s[k] += v[k];
                q[k] += v[k] * v[k];
            }
        }
        for &v in lanes.remainder() {
            s[0] += v;
            q[0] += v * v;
        }
        sum += s.iter().map(|&v| f64::from(v)).sum::<f64>();
        sum_sq += q.iter().map(|&v| f64::from(v)).sum::<f64>();
    }
    (sum, sum_sq)
}

/// Fills the luma plane (BT.601 for three or more channels, the first channel otherwise) and its
/// histogram; returns the sum over pixels of `max(r, g, b) - min(r, g, b)`. Bytes go through integer
/// weights (16-bit fixed point), the hot loop of the whole pass.
fn luma_pass_u8(row: &[u8], channels: usize, luma: &mut [f32], hist: &mut [u32; 256]) -> f64 {
    const SCALE: f32 = 1.0 / 65536.0;
    let mut spread = 0u64;
    if channels >= 3 {
        for (px, l) in row.chunks_exact(channels).zip(luma.iter_mut()) {
            let (r, g, b) = (u32::from(px[0]), u32::from(px[1]), u32::from(px[2]));
            spread += u64::from(r.max(g).max(b) - r.min(g).min(b));
            let weighted = 19_595 * r + 38_470 * g + 7_471 * b;
            *l = weighted as f32 * SCALE;
            hist[((weighted + 32_768) >> 16).min(255) as usize] += 1;
        }
    } else {
        for (px, l) in row.chunks_exact(channels.max(1)).zip(luma.iter_mut()) {
            *l = f32::from(px[0]);
            hist[usize::from(px[0])] += 1;
        }
    }
    spread as f64
}

/// [`luma_pass_u8`] for float32 values (0..255).
fn luma_pass_f32(row: &[f32], channels: usize, luma: &mut [f32], hist: &mut [u32; 256]) -> f64 {
    let mut spread = 0f64;
    for (px, l) in row.chunks_exact(channels.max(1)).zip(luma.iter_mut()) {
        let v = if channels >= 3 {
            let (r, g, b) = (px[0], px[1], px[2]);
            spread += f64::from(r.max(g).max(b) - r.min(g).min(b));
            0.299 * r + 0.587 * g + 0.114 * b
        } else {
            px[0]
        };
        *l = v;
        // `as` saturates: negative values count as 0, values past 255 as 255.
        hist[(v + 0.5) as u8 as usize] += 1;
    }
    spread
}

/// Per-channel sums and sums of squares (up to four channels): exact integers for bytes, float64 for
/// float32 values.
fn channel_sums(row: Row<'_>, channels: usize) -> ([f64; 4], [f64; 4]) {
    let channels = channels.clamp(1, 4);
    let (mut sum, mut sum_sq) = ([0f64; 4], [0f64; 4]);
    match row {
        Row::U8(v) => {
            let (mut s, mut q) = ([0u64; 4], [0u64; 4]);
            for px in v.chunks_exact(channels) {
                for (c, &x) in px.iter().enumerate() {
                    s[c] += u64::from(x);
                    q[c] += u64::from(x) * u64::from(x);
                }
            }
            for c in 0..4 {
                sum[c] = s[c] as f64;
                sum_sq[c] = q[c] as f64;
            }
        }
        Row::F32(v) => {
            for px in v.chunks_exact(channels) {
                for (c, &x) in px.iter().enumerate() {
                    sum[c] += f64::from(x);
                    sum_sq[c] += f64::from(x) * f64::from(x);
                }
            }
        }
    }
    (sum, sum_sq)
}

/// Variance of the 4-neighbour Laplacian over the interior pixels (0 for planes under 3x3).
fn laplacian_variance(luma: &[f32], height: usize, width: usize) -> f64 {
    if height < 3 || width < 3 {
        return 0.0;
    }
    let (mut sum, mut sum_sq) = (0f64, 0f64);
    for y in 1..height - 1 {
        let up = &luma[(y - 1) * width..y * width];
        let mid = &luma[y * width..(y + 1) * width];
        let down = &luma[(y + 1) * width..(y + 2) * width];
        // Per row in float32 (at most a few thousand terms), then float64 across rows.
        let (mut row_sum, mut row_sq) = (0f32, 0f32);
        for x in 1..width - 1 {
            let lap = up[x] + down[x] + mid[x - 1] + mid[x + 1] - 4.0 * mid[x];
            row_sum += lap;
            row_sq += lap * lap;
        }
        sum += f64::from(row_sum);
        sum_sq += f64::from(row_sq);
    }
    let n = ((height - 2) * (width - 2)) as f64;
    let mean = sum / n;
    (sum_sq / n - mean * mean).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape() -> (usize, usize, usize) {
        (16, 16, 3)
    }

    #[test]
    fn health_measure_flat_gray_image() {
        let px = vec![7u8; 16 * 16 * 3];
        let m = measure(Row::U8(&px), shape(), (16, 16, None), None);
        assert!((m.brightness - 7.0).abs() < 1e-3);
        assert!(m.entropy.abs() < 1e-9);
        assert_eq!(m.colorfulness, Some(0.0));
        // Byte sums are exact integers.
        assert_eq!(
            m.channel_sum.map(|v| v as u64),
            [7 * 256, 7 * 256, 7 * 256, 0]
        );
        assert_eq!(m.channel_sum_sq[0] as u64, 49 * 256);
        assert_eq!(m.pixels, 256);
    }

    #[test]
    fn health_measure_blur_lowers_sharpness_and_hash_sees_one_pixel() {
        let sharp: Vec<u8> = (0..16 * 16)
            .flat_map(|i| {
                let v = if (i / 16 + i % 16) % 2 == 0 { 40 } else { 200 };
                [v, v / 2, 255 - v]
            })
            .collect();
        let smooth: Vec<u8> = (0..16 * 16)
            .flat_map(|i| {
                let v = (i % 16 * 10) as u8;
                [v, v / 2, 255 - v]
            })
            .collect();
        let a = measure(Row::U8(&sharp), shape(), (16, 16, None), None);
        let b = measure(Row::U8(&smooth), shape(), (16, 16, None), None);
        assert!(
            a.sharpness > 10.0 * b.sharpness,
            "{} vs {}",
            a.sharpness,
            b.sharpness
        );
        assert!(a.colorfulness.unwrap_or(0.0) > 50.0);
        let mut changed = sharp.clone();
        changed[100] ^= 1;
        let c = measure(Row::U8(&changed), shape(), (16, 16, None), None);
        assert_ne!(a.pixel_hash, c.pixel_hash);
        let same = measure(Row::U8(&sharp), shape(), (16, 16, None), None);
        assert_eq!(a.pixel_hash, same.pixel_hash);
        // The same loaded pixels from a different original size are not the same image.
        let other = measure(Row::U8(&sharp), shape(), (32, 32, None), None);
        assert_ne!(a.pixel_hash, other.pixel_hash);
    }
}
