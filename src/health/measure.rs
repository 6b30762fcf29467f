//! What the health pass measures on one loaded image: its perceptual and exact hashes, brightness,
//! sharpness, information content, colourfulness and its per-channel pixel sums. One [`SampleHealth`]
//! is everything later stages need about a sample, so it is also what the hash cache stores: grouping,
//! flags and statistics never look at pixels again.

use image::ImageFormat;

use super::hash;
use super::phash;

/// Everything the health pass keeps about one loaded sample.
#[derive(Clone, Debug, Default, PartialEq)]
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

use crate::load::loader::Original;
pub use crate::load::loader::Row;
use crate::load::preprocess::Shape;

/// Measures one loaded image of `shape`, `original` before preprocessing.
pub fn measure(
    row: Row<'_>,
    shape: Shape,
    original: Original,
    file_hash: Option<u64>,
) -> SampleHealth {
    LUMA.with_borrow_mut(|luma| {
        // Every value is written by the pixel pass: no need to clear what an earlier image left.
        luma.resize(shape.height * shape.width, 0.0);
        measure_with(row, shape, original, file_hash, luma)
    })
}

thread_local! {
    /// Each thread's luma plane, reused from image to image (a fresh quarter-megabyte plane per
    /// image was cleared and faulted in each time).
    static LUMA: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// [`measure`] with a luma plane of `height * width` values to fill.
fn measure_with(
    row: Row<'_>,
    shape: Shape,
    original: Original,
    file_hash: Option<u64>,
    luma: &mut [f32],
) -> SampleHealth {
    let Shape {
        height,
        width,
        channels,
    } = shape;
    let n = height * width;
    let mut hist = [0u32; 256];
    let sums = pixel_pass(row, channels, luma, &mut hist);
    let count = n.max(1) as f64;
    let (mean, variance) = luma_moments(luma);
    let entropy = hist
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / count;
            -p * p.log2()
        })
        .sum::<f64>()
        // One luma value gives -(1 * log2 1) = -0.0, printed "-0.000": adding +0.0 makes it 0.
        + 0.0;
    let seed = hash::mix(
        (height as u64) << 48
            ^ (width as u64) << 32
            ^ (channels as u64) << 24
            ^ u64::from(original.width) << 12
            ^ u64::from(original.height),
    );
    SampleHealth {
        phash: phash::phash(luma, height, width),
        pixel_hash: hash::hash64(seed, bytes_of(row)),
        file_hash,
        width: original.width,
        height: original.height,
        format: original.format,
        brightness: mean as f32,
        sharpness: normalised_sharpness(luma, height, width, variance),
        entropy: entropy as f32,
        colorfulness: (channels >= 3).then_some((sums.spread / count) as f32),
        channel_sum: sums.sum,
        channel_sum_sq: sums.sum_sq,
        pixels: n as u64,
    }
}

/// The sharpness [`measure`] gives `row` (of `shape`): for an image the loader scales up, measured
/// on its decoded pixels instead, because upscaling smooths every picture.
pub fn sharpness(row: Row<'_>, shape: Shape) -> f32 {
    LUMA.with_borrow_mut(|luma| {
        luma.resize(shape.height * shape.width, 0.0);
        let mut hist = [0u32; 256];
        pixel_pass(row, shape.channels, luma, &mut hist);
        let (_, variance) = luma_moments(luma);
        normalised_sharpness(luma, shape.height, shape.width, variance)
    })
}

/// The mean and the (population) variance of the luma plane.
fn luma_moments(luma: &[f32]) -> (f64, f64) {
    let count = luma.len().max(1) as f64;
    let (sum, sum_sq) = sum_and_squares(luma);
    let mean = sum / count;
    (mean, (sum_sq / count - mean * mean).max(0.0))
}

/// The variance of the Laplacian over the luma's variance (at least 1, so flat planes do not blow up).
fn normalised_sharpness(luma: &[f32], height: usize, width: usize, variance: f64) -> f32 {
    (laplacian_variance(luma, height, width) / variance.max(1.0)) as f32
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

/// The bytes of a row's values (as stored in memory, little-endian on every supported machine).
fn bytes_of(row: Row<'_>) -> &[u8] {
    match row {
        Row::U8(v) => v,
        Row::F32(v) => bytemuck::cast_slice(v),
    }
}

/// What one pass over a row's pixels adds up besides the luma plane and its histogram.
#[derive(Default)]
struct PixelSums {
    /// Sum over pixels of `max(r, g, b) - min(r, g, b)`.
    spread: f64,
    /// Per-channel sums (up to four channels).
    sum: [f64; 4],
    /// Per-channel sums of squares.
    sum_sq: [f64; 4],
}

/// Pixels per run: the byte path's planes and integer partial sums (1,024 x 255² < 2^32), and the
/// float path's float32 colour-spread sums, are per run.
const RUN: usize = 1024;
/// Pixels handled side by side, each with accumulators and a histogram of its own, so that no add
/// waits for the previous pixel's (a chain per pixel was most of the pass).
const LANES: usize = 4;

/// Fills the luma plane (BT.601 for three or more channels, the first channel otherwise) and its
/// histogram, and sums the channels and the colour spread, in one pass over the row. Bytes go
/// through integer weights (16-bit fixed point) and integer sums (exact); float32 values through
/// float weights and float32 partial sums per run.
fn pixel_pass(row: Row<'_>, channels: usize, luma: &mut [f32], hist: &mut [u32; 256]) -> PixelSums {
    let mut hists = [[0u32; 256]; LANES];
    let sums = match (row, channels) {
        (Row::U8(v), 1) => pass_u8::<1>(v, luma, &mut hists),
        (Row::U8(v), 2) => pass_u8::<2>(v, luma, &mut hists),
        (Row::U8(v), 3) => pass_u8::<3>(v, luma, &mut hists),
        (Row::U8(v), _) => pass_u8::<4>(v, luma, &mut hists),
        (Row::F32(v), 1) => pass_f32::<1>(v, luma, &mut hists),
        (Row::F32(v), 2) => pass_f32::<2>(v, luma, &mut hists),
        (Row::F32(v), 3) => pass_f32::<3>(v, luma, &mut hists),
        (Row::F32(v), _) => pass_f32::<4>(v, luma, &mut hists),
    };
    for h in &hists {
        for (total, &count) in hist.iter_mut().zip(h) {
            *total += count;
        }
    }
    sums
}

/// Visits `luma.len()` pixels of `C` values in groups of [`LANES`], lane `k` taking every
/// `LANES`-th pixel (the group loop has constant bounds, so each lane's state stays in registers).
#[inline]
fn in_lanes<T, const C: usize>(
    values: &[T],
    luma: &mut [f32],
    mut visit: impl FnMut(usize, &[T], &mut f32),
) {
    let groups = luma.len() / LANES;
    for g in 0..groups {
        let px = &values[g * LANES * C..(g + 1) * LANES * C];
        let l = &mut luma[g * LANES..(g + 1) * LANES];
        for lane in 0..LANES {
            visit(lane, &px[lane * C..(lane + 1) * C], &mut l[lane]);
        }
    }
    for i in groups * LANES..luma.len() {
        visit(0, &values[i * C..(i + 1) * C], &mut luma[i]);
    }
}

/// [`pixel_pass`] for bytes with `C` channels (rows of more than four channels are not loaded).
/// Each run of pixels is first split into one plane per channel, so that every measure is a loop
/// over plain arrays, which the compiler turns into vector instructions (a loop over interleaved
/// pixels stayed scalar: about 18 cycles a pixel). Integer sums are exact.
fn pass_u8<const C: usize>(
    row: &[u8],
    luma: &mut [f32],
    hists: &mut [[u32; 256]; LANES],
) -> PixelSums {
    let mut planes = [[0u8; RUN]; C];
    let (mut sum, mut sum_sq, mut spread) = ([0u64; C], [0u64; C], 0u64);
    for (run, luma) in row.chunks(RUN * C).zip(luma.chunks_mut(RUN)) {
        let m = luma.len();
        split_planes(run, &mut planes);
        // A run's sums fit in u32: at most 1,024 x 255² < 2^32.
        for c in 0..C {
            let plane = &planes[c][..m];
            sum[c] += u64::from(plane.iter().map(|&v| u32::from(v)).sum::<u32>());
            sum_sq[c] += u64::from(
                plane
                    .iter()
                    .map(|&v| u32::from(v) * u32::from(v))
                    .sum::<u32>(),
            );
        }
        if C >= 3 {
            let (r, g, b) = (&planes[0][..m], &planes[1][..m], &planes[2 % C][..m]);
            spread += u64::from(
                r.iter()
                    .zip(g)
                    .zip(b)
                    .map(|((&r, &g), &b)| u32::from(r.max(g).max(b) - r.min(g).min(b)))
                    .sum::<u32>(),
            );
            for (((l, &r), &g), &b) in luma.iter_mut().zip(r).zip(g).zip(b) {
                *l = LUMA_R * f32::from(r) + LUMA_G * f32::from(g) + LUMA_B * f32::from(b);
            }
        } else {
            for (l, &v) in luma.iter_mut().zip(&planes[0][..m]) {
                *l = f32::from(v);
            }
        }
        luma_histogram(luma, hists);
    }
    let mut out = PixelSums {
        spread: spread as f64,
        ..PixelSums::default()
    };
    for c in 0..C {
        out.sum[c] = sum[c] as f64;
        out.sum_sq[c] = sum_sq[c] as f64;
    }
    out
}

/// Splits interleaved pixels into one plane per channel. Three channels (the common case) go in
/// one loop over the pixels, a third faster than a loop per plane.
fn split_planes<const C: usize>(run: &[u8], planes: &mut [[u8; RUN]; C]) {
    if let Some([r, g, b]) = planes
        .get_mut(..)
        .and_then(|p| <&mut [[u8; RUN]; 3]>::try_from(p).ok())
    {
        for (((r, g), b), px) in r.iter_mut().zip(g).zip(b).zip(run.chunks_exact(3)) {
            (*r, *g, *b) = (px[0], px[1], px[2]);
        }
        return;
    }
    for (c, plane) in planes.iter_mut().enumerate() {
        for (value, px) in plane.iter_mut().zip(run.chunks_exact(C)) {
            *value = px[c];
        }
    }
}

/// The histogram bin of a luma value: clamped to 0..=255 and rounded to the nearest whole value
/// (halves to even) by adding 2^23, after which the value's low mantissa bits are that whole value.
/// A float-to-byte cast did the same at twice the cost (it saturates lane by lane).
#[inline]
fn luma_bin(l: f32) -> u8 {
    ((l.clamp(0.0, 255.0) + 8_388_608.0).to_bits() & 0xFF) as u8
}

/// Counts each luma value, rounded, in the histograms, pixel `i` in histogram `i % LANES` (runs of
/// at most [`RUN`] values): the bins are computed first, in vector instructions, then counted.
fn luma_histogram(luma: &[f32], hists: &mut [[u32; 256]; LANES]) {
    let mut bins = [0u8; RUN];
    for (bin, &l) in bins.iter_mut().zip(luma) {
        *bin = luma_bin(l);
    }
    let bins = &bins[..luma.len()];
    let mut groups = bins.chunks_exact(LANES);
    for group in &mut groups {
        for (hist, &bin) in hists.iter_mut().zip(group) {
            hist[usize::from(bin)] += 1;
        }
    }
    for &bin in groups.remainder() {
        hists[0][usize::from(bin)] += 1;
    }
}

/// BT.601 luma weights in 16-bit fixed point, as the byte path uses them: on whole values every
/// product and sum is exact in float32, so an image measures the same as bytes and as floats.
const LUMA_R: f32 = 19_595.0 / 65_536.0;
const LUMA_G: f32 = 38_470.0 / 65_536.0;
const LUMA_B: f32 = 7_471.0 / 65_536.0;

/// [`pixel_pass`] for float32 values (0..255) with `C` channels. Channel sums are float64 (a
/// resized value is not a whole number, and float32 partial sums would drift from numpy's mean).
fn pass_f32<const C: usize>(
    row: &[f32],
    luma: &mut [f32],
    hists: &mut [[u32; 256]; LANES],
) -> PixelSums {
    let mut out = PixelSums::default();
    for (run, luma) in row.chunks(RUN * C).zip(luma.chunks_mut(RUN)) {
        let (mut spread, mut s, mut q) = ([0f32; LANES], [[0f64; C]; LANES], [[0f64; C]; LANES]);
        in_lanes::<f32, C>(run, luma, |lane, px, l| {
            for c in 0..C {
                let x = f64::from(px[c]);
                s[lane][c] += x;
                q[lane][c] += x * x;
            }
            let v = if C >= 3 {
                let (r, g, b) = (px[0], px[1], px[2]);
                spread[lane] += r.max(g).max(b) - r.min(g).min(b);
                LUMA_R * r + LUMA_G * g + LUMA_B * b
            } else {
                px[0]
            };
            *l = v;
            hists[lane][usize::from(luma_bin(v))] += 1;
        });
        for lane in 0..LANES {
            out.spread += f64::from(spread[lane]);
            for c in 0..C {
                out.sum[c] += s[lane][c];
                out.sum_sq[c] += q[lane][c];
            }
        }
    }
    out
}

/// Variance of the 4-neighbour Laplacian over the interior pixels (0 for planes under 3x3).
fn laplacian_variance(luma: &[f32], height: usize, width: usize) -> f64 {
    if height < 3 || width < 3 {
        return 0.0;
    }
    let (mut sum, mut sum_sq) = (0f64, 0f64);
    let mut laps = Vec::with_capacity(width);
    for y in 1..height - 1 {
        let up = &luma[(y - 1) * width..y * width];
        let mid = &luma[y * width..(y + 1) * width];
        let down = &luma[(y + 1) * width..(y + 2) * width];
        laps.clear();
        laps.extend(
            (1..width - 1).map(|x| up[x] + down[x] + mid[x - 1] + mid[x + 1] - 4.0 * mid[x]),
        );
        let (s, q) = sum_and_squares(&laps);
        sum += s;
        sum_sq += q;
    }
    let n = ((height - 2) * (width - 2)) as f64;
    let mean = sum / n;
    (sum_sq / n - mean * mean).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape() -> Shape {
        Shape {
            height: 16,
            width: 16,
            channels: 3,
        }
    }

    /// An original image of `side x side`, its format unknown.
    fn square(side: u32) -> Original {
        Original {
            width: side,
            height: side,
            format: None,
            warnings: 0,
        }
    }

    #[test]
    fn health_measure_flat_gray_image() {
        let px = vec![7u8; 16 * 16 * 3];
        let m = measure(Row::U8(&px), shape(), square(16), None);
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
        let a = measure(Row::U8(&sharp), shape(), square(16), None);
        let b = measure(Row::U8(&smooth), shape(), square(16), None);
        assert!(
            a.sharpness > 10.0 * b.sharpness,
            "{} vs {}",
            a.sharpness,
            b.sharpness
        );
        assert!(a.colorfulness.unwrap_or(0.0) > 50.0);
        let mut changed = sharp.clone();
        changed[100] ^= 1;
        let c = measure(Row::U8(&changed), shape(), square(16), None);
        assert_ne!(a.pixel_hash, c.pixel_hash);
        let same = measure(Row::U8(&sharp), shape(), square(16), None);
        assert_eq!(a.pixel_hash, same.pixel_hash);
        // The same loaded pixels from a different original size are not the same image.
        let other = measure(Row::U8(&sharp), shape(), square(32), None);
        assert_ne!(a.pixel_hash, other.pixel_hash);
    }

    #[test]
    fn health_measure_bytes_and_floats_of_one_image_measure_the_same() {
        // Odd sizes leave remainders in every lane and run; 37 x 53 x 3 = 5,883 values.
        for channels in [1, 3, 4] {
            let (h, w) = (37, 53);
            let bytes: Vec<u8> = (0..h * w * channels)
                .map(|i| ((i * 2_654_435_761usize) >> 11) as u8)
                .collect();
            let floats: Vec<f32> = bytes.iter().map(|&v| f32::from(v)).collect();
            let shape = Shape {
                height: h,
                width: w,
                channels,
            };
            let original = Original {
                width: 53,
                height: 37,
                format: None,
                warnings: 0,
            };
            let a = measure(Row::U8(&bytes), shape, original, None);
            let b = measure(Row::F32(&floats), shape, original, None);
            // The same values measure the same; only the hash of the stored bytes differs.
            assert_eq!(
                SampleHealth {
                    pixel_hash: 0,
                    ..a.clone()
                },
                SampleHealth { pixel_hash: 0, ..b },
                "{channels} channels"
            );
            // The byte sums are those of the values, exactly.
            let red: u64 = bytes.iter().step_by(channels).map(|&v| u64::from(v)).sum();
            assert_eq!(a.channel_sum[0] as u64, red);
            let red_sq: u64 = bytes
                .iter()
                .step_by(channels)
                .map(|&v| u64::from(v) * u64::from(v))
                .sum();
            assert_eq!(a.channel_sum_sq[0] as u64, red_sq);
        }
    }

    #[test]
    fn health_luma_bin_rounds_and_clamps() {
        let bins: Vec<u8> = [-3.0, 0.0, 0.49, 1.4, 1.6, 2.5, 3.5, 254.6, 255.0, 300.0]
            .into_iter()
            .map(luma_bin)
            .collect();
        assert_eq!(bins, [0, 0, 0, 1, 2, 2, 4, 255, 255, 255]);
        for v in 0..=255u8 {
            assert_eq!(luma_bin(f32::from(v)), v);
        }
    }
}
