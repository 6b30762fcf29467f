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
    fn value(&self, i: usize) -> f32 {
        match self {
            Self::U8(v) => f32::from(v[i]),
            Self::F32(v) => v[i],
        }
    }

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
    let mut sum = [0f64; 4];
    let mut sum_sq = [0f64; 4];
    let mut spread = 0f64;
    let mut hist = [0u32; 256];
    for (p, l) in luma.iter_mut().enumerate() {
        let base = p * channels;
        let mut px = [0f32; 4];
        for (c, v) in px.iter_mut().enumerate().take(channels.min(4)) {
            *v = row.value(base + c);
            sum[c] += f64::from(*v);
            sum_sq[c] += f64::from(*v) * f64::from(*v);
        }
        *l = if channels >= 3 {
            let [r, g, b, _] = px;
            spread += f64::from(r.max(g).max(b) - r.min(g).min(b));
            0.299 * r + 0.587 * g + 0.114 * b
        } else {
            px[0]
        };
        hist[l.round().clamp(0.0, 255.0) as usize] += 1;
    }
    let count = n.max(1) as f64;
    let mean = luma.iter().map(|&v| f64::from(v)).sum::<f64>() / count;
    let variance = luma
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / count;
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

/// Variance of the 4-neighbour Laplacian over the interior pixels (0 for planes under 3x3).
fn laplacian_variance(luma: &[f32], height: usize, width: usize) -> f64 {
    if height < 3 || width < 3 {
        return 0.0;
    }
    let (mut sum, mut sum_sq, mut n) = (0f64, 0f64, 0f64);
    for y in 1..height - 1 {
        for x in 1..width - 1 {
            let i = y * width + x;
            let lap = f64::from(
                luma[i - width] + luma[i + width] + luma[i - 1] + luma[i + 1] - 4.0 * luma[i],
            );
            sum += lap;
            sum_sq += lap * lap;
            n += 1.0;
        }
    }
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
        assert_eq!(m.entropy, 0.0);
        assert_eq!(m.colorfulness, Some(0.0));
        assert_eq!(m.channel_sum, [7.0 * 256.0, 7.0 * 256.0, 7.0 * 256.0, 0.0]);
        assert_eq!(m.channel_sum_sq[0], 49.0 * 256.0);
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
        assert!(a.sharpness > 10.0 * b.sharpness, "{} vs {}", a.sharpness, b.sharpness);
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
