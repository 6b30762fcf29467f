//! TensorFlow-compatible resizing (`tf.image.resize(..., antialias=False)`), plus Keras's
//! `crop_to_aspect_ratio` and `pad_to_aspect_ratio` geometry. All arithmetic is float32 in TensorFlow's
//! order of operations, so bilinear output matches TensorFlow's bit for bit.
//!
//! Images are row-major `height x width x channels`; inputs are bytes, outputs float32.

use wide::f32x4;

use crate::options::Interpolation;

/// A borrowed 8-bit image.
#[derive(Clone, Copy, Debug)]
pub struct View<'a> {
    /// `height * width * channels` bytes.
    pub pixels: &'a [u8],
    /// Rows.
    pub height: usize,
    /// Columns.
    pub width: usize,
    /// Channels per pixel.
    pub channels: usize,
}

/// Resizes `src` to `out_h x out_w` with `kernel`.
pub fn resize(src: View<'_>, out_h: usize, out_w: usize, kernel: Interpolation) -> Vec<f32> {
    resize_until(src, out_h, out_w, kernel, &|| false).unwrap_or_default()
}

/// [`resize_until`] into `out` (`out_h * out_w * channels` floats), without a copy of its own for
/// the kernels that can write in place (bilinear, and the same-size identity).
pub fn resize_into_until(
    src: View<'_>,
    out: &mut [f32],
    out_h: usize,
    out_w: usize,
    kernel: Interpolation,
    stop: &dyn Fn() -> bool,
) -> Option<()> {
    if src.height == out_h && src.width == out_w {
        for (o, &v) in out.iter_mut().zip(src.pixels) {
            *o = f32::from(v);
        }
        return Some(());
    }
    if kernel == Interpolation::Bilinear {
        return bilinear_into(src, out, out_h, out_w, stop);
    }
    out.copy_from_slice(&resize_until(src, out_h, out_w, kernel, stop)?);
    Some(())
}

/// Output rows between two looks at `stop`: a few milliseconds of work even for 8192-wide images.
const ROWS_PER_CHECK: usize = 16;

/// [`resize`] that gives up (`None`) soon after `stop` returns true, checked every few output rows, so
/// a cancel takes effect within milliseconds even while a huge image is resized.
pub fn resize_until(
    src: View<'_>,
    out_h: usize,
    out_w: usize,
    kernel: Interpolation,
    stop: &dyn Fn() -> bool,
) -> Option<Vec<f32>> {
    if src.height == out_h && src.width == out_w {
        // Every kernel is the identity at the same size (half-pixel centres map i to i).
        return Some(src.pixels.iter().map(|&v| f32::from(v)).collect());
    }
    match kernel {
        Interpolation::Bilinear => bilinear(src, out_h, out_w, stop),
        Interpolation::Nearest => nearest(src, out_h, out_w, stop),
        Interpolation::Area => area(src, out_h, out_w, stop),
    }
}

/// Whether to stop before output row `y`.
fn stopped(y: usize, stop: &dyn Fn() -> bool) -> bool {
    y.is_multiple_of(ROWS_PER_CHECK) && stop()
}

/// Per output index: the two source indices and the weight of the upper one.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Lerp {
    lo: usize,
    hi: usize,
    t: f32,
    /// `floor + 1`: the left pixel's place in a row padded with one pixel on each side.
    padded: usize,
}

#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]
fn lerps(in_size: usize, out_size: usize) -> Vec<Lerp> {
    let scale = in_size as f32 / out_size as f32;
    (0..out_size)
        .map(|i| {
            let src = (i as f32 + 0.5) * scale - 0.5;
            let floor = src.floor();
            Lerp {
                lo: floor.max(0.0) as usize,
                hi: (src.ceil() as usize).min(in_size - 1),
                t: src - floor,
                padded: (floor + 1.0) as usize,
            }
        })
        .collect()
}

fn bilinear(
    src: View<'_>,
    out_h: usize,
    out_w: usize,
    stop: &dyn Fn() -> bool,
) -> Option<Vec<f32>> {
    let mut out = vec![0f32; out_h * out_w * src.channels];
    bilinear_into(src, &mut out, out_h, out_w, stop)?;
    Some(out)
}

/// Bilinear into `out` (`out_h * out_w * channels` floats). 1, 3 and 4 channels go a pixel at a
/// time in SIMD lanes, and even whole-number downscales take an exact shortcut; other channel
/// counts get their own copy of the loops (a constant stride the compiler unrolls). Every output
/// value is `a + (b - a) * t` along x, then along y, in TensorFlow's order, or provably equal to
/// it, so the bits do not change (tests compare every path with the plain formula).
fn bilinear_into(
    src: View<'_>,
    out: &mut [f32],
    out_h: usize,
    out_w: usize,
    stop: &dyn Fn() -> bool,
) -> Option<()> {
    let ys = lerps(src.height, out_h);
    let xs = lerps(src.width, out_w);
    match src.channels {
        1 if midpoints(&ys) && midpoints(&xs) => midpoint_pixels::<1>(src, out, (&ys, &xs), stop),
        1 => bilinear_pixels::<1>(src, out, (&ys, &xs), stop),
        3 if midpoints(&ys) && midpoints(&xs) => midpoint_pixels::<3>(src, out, (&ys, &xs), stop),
        4 if midpoints(&ys) && midpoints(&xs) => midpoint_pixels::<4>(src, out, (&ys, &xs), stop),
        3 => bilinear_pixels::<3>(src, out, (&ys, &xs), stop),
        4 => bilinear_pixels::<4>(src, out, (&ys, &xs), stop),
        c => bilinear_rows(src, c, out, (&ys, &xs), stop),
    }
}

/// Bilinear for 1, 3 or 4 channels, a pixel at a time in four lanes: each pixel's channels are loaded,
/// blended and stored as one `f32x4` (for fewer channels the spare lanes carry the next pixels'
/// values, computed and then overwritten).
/// Source rows are converted to float32 once, into two rows kept for the next output row. Each lane
/// computes exactly the scalar formula, so the bits are TensorFlow's.
fn bilinear_pixels<const C: usize>(
    src: View<'_>,
    out: &mut [f32],
    (ys, xs): (&[Lerp], &[Lerp]),
    stop: &dyn Fn() -> bool,
) -> Option<()> {
    let mut rows = FloatRows::new(src);
    // Per output pixel: where its left source pixel starts in a padded row, and its weight in
    // every lane. The right source pixel follows it (the padding stands in at the edges).
    let xs: Vec<(usize, f32x4)> = xs
        .iter()
        .map(|l| (l.padded * C, f32x4::splat(l.t)))
        .collect();
    for (y, (ly, dst)) in ys
        .iter()
        .zip(out.chunks_exact_mut(xs.len() * C))
        .enumerate()
    {
        if stopped(y, stop) {
            return None;
        }
        let (top, bottom) = rows.pair(ly.lo, ly.hi);
        let ty = f32x4::splat(ly.t);
        store_pixels::<C, _>(dst, &xs, |&(at, t)| {
            let (top, bottom) = (&top[at..at + C + 4], &bottom[at..at + C + 4]);
            let upper = lerp4(lanes(top, 0), lanes(top, C), t);
            let lower = lerp4(lanes(bottom, 0), lanes(bottom, C), t);
            lerp4(upper, lower, ty).to_array()
        });
    }
    Some(())
}

/// Whether every output index falls exactly midway between two neighbouring source indices, as
/// in a downscale by an even whole number (256 to 128, 448 to 224).
#[allow(clippy::float_cmp)] // exactly one half: the shortcut is exact only then
fn midpoints(lerps: &[Lerp]) -> bool {
    lerps.iter().all(|l| l.t == 0.5 && l.hi == l.lo + 1)
}

/// Bilinear when every output pixel lies midway between four source pixels `a b / c d`. Then
/// TensorFlow's `u = a + (b - a) * 0.5`, `l = c + (d - c) * 0.5`, `u + (l - u) * 0.5` are all
/// exact in float32 (whole numbers up to 255, halved twice), so the result is exactly
/// `(a + b + c + d) / 4`, which this computes as `((a + c) + (b + d)) * 0.25`, also exactly: the
/// same bits with a third of the arithmetic. The column sums of the two source rows are made
/// once per output row.
fn midpoint_pixels<const C: usize>(
    src: View<'_>,
    out: &mut [f32],
    (ys, xs): (&[Lerp], &[Lerp]),
    stop: &dyn Fn() -> bool,
) -> Option<()> {
    let len = src.width * C;
    // Plus four values, so a four-value load at the last pixel stays in bounds.
    let mut sums = vec![0f32; len + 4];
    let quarter = f32x4::splat(0.25);
    let xs: Vec<usize> = xs.iter().map(|l| l.lo * C).collect();
    for (y, (ly, dst)) in ys
        .iter()
        .zip(out.chunks_exact_mut(xs.len() * C))
        .enumerate()
    {
        if stopped(y, stop) {
            return None;
        }
        let top = &src.pixels[ly.lo * len..][..len];
        let bottom = &src.pixels[ly.hi * len..][..len];
        for ((sum, &a), &c) in sums.iter_mut().zip(top).zip(bottom) {
            *sum = f32::from(u16::from(a) + u16::from(c));
        }
        store_pixels::<C, _>(dst, &xs, |&at| {
            let pair = &sums[at..at + C + 4];
            ((lanes(pair, 0) + lanes(pair, C)) * quarter).to_array()
        });
    }
    Some(())
}

/// Writes one output row of `C`-channel pixels, each made by `blend` as four lanes: a pixel whose
/// four values fit in the row is stored as all four (for fewer than 4 channels the rest belong to
/// the next pixels, which are written after it), the last ones as their own channels.
#[inline(always)]
#[allow(clippy::inline_always)] // the pixel loop of both callers; a call would cost a store per pixel
fn store_pixels<const C: usize, T>(dst: &mut [f32], xs: &[T], blend: impl Fn(&T) -> [f32; 4]) {
    let wide = dst.len().checked_sub(4).map_or(0, |room| room / C + 1);
    let (body, tail) = xs.split_at(wide.min(xs.len()));
    for (x, lerp) in body.iter().enumerate() {
        let value = blend(lerp);
        // A fixed-size store (a slice copy of variable length would be a call to memcpy).
        if let Ok(d) = <&mut [f32; 4]>::try_from(&mut dst[x * C..x * C + 4]) {
            *d = value;
        }
    }
    for (x, lerp) in tail.iter().enumerate() {
        let at = (body.len() + x) * C;
        dst[at..at + C].copy_from_slice(&blend(lerp)[..C]);
    }
}

/// Four values of `row` from `at`.
#[inline(always)]
#[allow(clippy::inline_always)] // one SIMD load in the pixel loop, never a call
fn lanes(row: &[f32], at: usize) -> f32x4 {
    f32x4::new(<[f32; 4]>::try_from(&row[at..at + 4]).unwrap_or_default())
}

/// `a + (b - a) * t` in each lane.
#[inline(always)]
#[allow(clippy::inline_always)] // three SIMD operations in the pixel loop, never a call
fn lerp4(a: f32x4, b: f32x4, t: f32x4) -> f32x4 {
    a + (b - a) * t
}

/// The two source rows an output row blends, as float32, each padded with a copy of its first
/// pixel before it, a copy of its last pixel after it and four zeros, so that pixel `floor + 1`
/// and the one after it are TensorFlow's clamped left and right pixels for every output pixel,
/// and a four-value load at the last stays in bounds. A row converted for one output row is kept
/// for the next (upscaling reuses each row).
struct FloatRows<'a> {
    src: View<'a>,
    held: [Option<usize>; 2],
    rows: [Vec<f32>; 2],
}

impl<'a> FloatRows<'a> {
    fn new(src: View<'a>) -> Self {
        let len = (src.width + 2) * src.channels + 4;
        Self {
            src,
            held: [None, None],
            rows: [vec![0.0; len], vec![0.0; len]],
        }
    }

    /// Source rows `a` and `b` as padded float32 rows.
    fn pair(&mut self, a: usize, b: usize) -> (&[f32], &[f32]) {
        let slot_a = self.slot(a, b);
        let slot_b = self.slot(b, a);
        (&self.rows[slot_a], &self.rows[slot_b])
    }

    /// The slot holding row `y`, converting it into the slot that does not hold `keep` if needed.
    fn slot(&mut self, y: usize, keep: usize) -> usize {
        if let Some(slot) = self.held.iter().position(|&h| h == Some(y)) {
            return slot;
        }
        let slot = usize::from(self.held[0] == Some(keep));
        let c = self.src.channels;
        let len = self.src.width * c;
        let row = &self.src.pixels[y * len..][..len];
        let padded = &mut self.rows[slot];
        for (f, &v) in padded[c..c + len].iter_mut().zip(row) {
            *f = f32::from(v);
        }
        padded.copy_within(c..2 * c, 0);
        padded.copy_within(len..len + c, len + c);
        self.held[slot] = Some(y);
        slot
    }
}

/// One pass per output row: each value blends its two source rows along x, then the two results
/// along y, with no intermediate rows.
// Inlined into each arm of `bilinear_into`, so each channel count gets loops with a constant stride
// (measured: the compiler then vectorises two of three channels and drops the bounds checks).
#[allow(clippy::inline_always)]
#[inline(always)]
fn bilinear_rows(
    src: View<'_>,
    c: usize,
    out: &mut [f32],
    (ys, xs): (&[Lerp], &[Lerp]),
    stop: &dyn Fn() -> bool,
) -> Option<()> {
    let row_len = src.width * c;
    for (y, (ly, dst)) in ys
        .iter()
        .zip(out.chunks_exact_mut(xs.len() * c))
        .enumerate()
    {
        if stopped(y, stop) {
            return None;
        }
        let top = &src.pixels[ly.lo * row_len..][..row_len];
        let bottom = &src.pixels[ly.hi * row_len..][..row_len];
        for (lx, d) in xs.iter().zip(dst.chunks_exact_mut(c)) {
            let (lo, hi) = (lx.lo * c, lx.hi * c);
            let (top_l, top_r) = (&top[lo..][..c], &top[hi..][..c]);
            let (bottom_l, bottom_r) = (&bottom[lo..][..c], &bottom[hi..][..c]);
            for ch in 0..c {
                let (a, b) = (f32::from(top_l[ch]), f32::from(top_r[ch]));
                let upper = a + (b - a) * lx.t;
                let (a, b) = (f32::from(bottom_l[ch]), f32::from(bottom_r[ch]));
                let lower = a + (b - a) * lx.t;
                d[ch] = upper + (lower - upper) * ly.t;
            }
        }
    }
    Some(())
}

#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]
fn nearest_indices(in_size: usize, out_size: usize) -> Vec<usize> {
    let scale = in_size as f32 / out_size as f32;
    (0..out_size)
        .map(|i| (((i as f32 + 0.5) * scale).floor().max(0.0) as usize).min(in_size - 1))
        .collect()
}

fn nearest(src: View<'_>, out_h: usize, out_w: usize, stop: &dyn Fn() -> bool) -> Option<Vec<f32>> {
    let c = src.channels;
    let ys = nearest_indices(src.height, out_h);
    let xs = nearest_indices(src.width, out_w);
    let mut out = Vec::with_capacity(out_h * out_w * c);
    for (row, &y) in ys.iter().enumerate() {
        if stopped(row, stop) {
            return None;
        }
        for &x in &xs {
            let at = (y * src.width + x) * c;
            out.extend(src.pixels[at..at + c].iter().map(|&v| f32::from(v)));
        }
    }
    Some(out)
}

/// The source cells covering one output cell of `resize_area`, with their coverage.
#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]
fn area_spans(in_size: usize, out_size: usize) -> Vec<Vec<(usize, f32)>> {
    let scale = in_size as f32 / out_size as f32;
    (0..out_size)
        .map(|o| {
            let start = o as f32 * scale;
            let end = (o + 1) as f32 * scale;
            let (first, last) = (start.floor() as i64, end.ceil() as i64);
            (first..last)
                .map(|i| {
                    let fi = i as f32;
                    let weight = if fi < start {
                        if fi + 1.0 > end {
                            scale
                        } else {
                            fi + 1.0 - start
                        }
                    } else if fi + 1.0 > end {
                        end - fi
                    } else {
                        1.0
                    };
                    ((i.max(0) as usize).min(in_size - 1), weight)
                })
                .collect()
        })
        .collect()
}

#[allow(clippy::cast_precision_loss)]
fn area(src: View<'_>, out_h: usize, out_w: usize, stop: &dyn Fn() -> bool) -> Option<Vec<f32>> {
    let c = src.channels;
    let ys = area_spans(src.height, out_h);
    let xs = area_spans(src.width, out_w);
    let scale = 1.0 / ((src.height as f32 / out_h as f32) * (src.width as f32 / out_w as f32));
    let mut out = Vec::with_capacity(out_h * out_w * c);
    for (row, y_span) in ys.iter().enumerate() {
        if stopped(row, stop) {
            return None;
        }
        for x_span in &xs {
            for ch in 0..c {
                let mut sum = 0f32;
                for &(y, wy) in y_span {
                    let row = &src.pixels[y * src.width * c..];
                    let mut sum_y = 0f32;
                    for &(x, wx) in x_span {
                        sum_y += f32::from(row[x * c + ch]) * wx;
                    }
                    sum += sum_y * wy;
                }
                out.push(sum * scale);
            }
        }
    }
    Some(out)
}

/// Keras's `crop_to_aspect_ratio` box for a `height x width` source and a `target_h x target_w` output:
/// `(top, left, crop_h, crop_w)`, centred, at least 1 pixel each way.
#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]
pub fn crop_box(
    height: usize,
    width: usize,
    target_h: usize,
    target_w: usize,
) -> (usize, usize, usize, usize) {
    let crop_h = (((width * target_h) as f32 / target_w as f32) as usize)
        .min(height)
        .max(1);
    let crop_w = (((height * target_w) as f32 / target_h as f32) as usize)
        .min(width)
        .max(1);
    let top = ((height - crop_h) as f32 / 2.0) as usize;
    let left = ((width - crop_w) as f32 / 2.0) as usize;
    (top, left, crop_h, crop_w)
}

/// `tf.image.resize_with_pad` geometry in float32: `(top, left, inner_h, inner_w)` of the resized image
/// inside the zero-filled `target_h x target_w` output.
#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]
pub fn pad_box(
    height: usize,
    width: usize,
    target_h: usize,
    target_w: usize,
) -> (usize, usize, usize, usize) {
    let (h, w, th, tw) = (
        height as f32,
        width as f32,
        target_h as f32,
        target_w as f32,
    );
    let ratio = (w / tw).max(h / th);
    let (inner_h, inner_w) = (h / ratio, w / ratio);
    let top = ((th - inner_h) / 2.0).floor().max(0.0) as usize;
    let left = ((tw - inner_w) / 2.0).floor().max(0.0) as usize;
    let inner_h = (inner_h.floor() as usize).clamp(1, target_h);
    let inner_w = (inner_w.floor() as usize).clamp(1, target_w);
    (
        top.min(target_h - inner_h),
        left.min(target_w - inner_w),
        inner_h,
        inner_w,
    )
}

/// Copies the `crop_h x crop_w` box at `(top, left)` out of `src`.
pub fn crop(src: View<'_>, top: usize, left: usize, crop_h: usize, crop_w: usize) -> Vec<u8> {
    let c = src.channels;
    let mut out = Vec::with_capacity(crop_h * crop_w * c);
    for y in top..top + crop_h {
        let start = (y * src.width + left) * c;
        out.extend_from_slice(&src.pixels[start..start + crop_w * c]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view_c(pixels: &[u8], height: usize, width: usize, channels: usize) -> View<'_> {
        View {
            pixels,
            height,
            width,
            channels,
        }
    }

    fn view(pixels: &[u8], height: usize, width: usize) -> View<'_> {
        View {
            pixels,
            height,
            width,
            channels: 1,
        }
    }

    #[test]
    fn bilinear_2x2_to_4x4_matches_tensorflow_half_pixel_formula() {
        // tf.image.resize([[0, 100], [200, 255]], (4, 4), 'bilinear', antialias=False)[..., 0]
        // computed by hand: x weights for out 4 from in 2 are src = (i+.5)*.5-.5 = -.25, .25, .75, 1.25.
        let out = resize(
            view(&[0, 100, 200, 255], 2, 2),
            4,
            4,
            Interpolation::Bilinear,
        );
        let row0 = [0.0, 25.0, 75.0, 100.0];
        let row3 = [200.0, 213.75, 241.25, 255.0];
        assert_eq!(&out[0..4], &row0);
        assert_eq!(&out[12..16], &row3);
        // Row 1: y src = 0.25, so top row0 + (row3 - row0) * 0.25.
        let row1: Vec<f32> = row0
            .iter()
            .zip(&row3)
            .map(|(a, b)| a + (b - a) * 0.25)
            .collect();
        assert_eq!(&out[4..8], row1.as_slice());
    }

    /// TensorFlow's bilinear formula, one output value at a time, as plainly as it can be written.
    #[allow(clippy::cast_precision_loss)]
    fn bilinear_reference(src: View<'_>, out_h: usize, out_w: usize) -> Vec<f32> {
        let (ys, xs) = (lerps(src.height, out_h), lerps(src.width, out_w));
        let c = src.channels;
        let at =
            |y: usize, x: usize, ch: usize| f32::from(src.pixels[(y * src.width + x) * c + ch]);
        let mut out = Vec::new();
        for ly in &ys {
            for lx in &xs {
                for ch in 0..c {
                    let top =
                        at(ly.lo, lx.lo, ch) + (at(ly.lo, lx.hi, ch) - at(ly.lo, lx.lo, ch)) * lx.t;
                    let bottom =
                        at(ly.hi, lx.lo, ch) + (at(ly.hi, lx.hi, ch) - at(ly.hi, lx.lo, ch)) * lx.t;
                    out.push(top + (bottom - top) * ly.t);
                }
            }
        }
        out
    }

    #[test]
    fn bilinear_per_channel_count_keeps_the_formulas_bits() {
        let mut seed = 12_345u32;
        for c in 1..=5 {
            for (h, w, out_h, out_w) in [
                (256, 256, 128, 128),
                (7, 5, 3, 11),
                (1, 9, 4, 2),
                (33, 17, 33, 16),
                (2, 3, 5, 7),
                (5, 1, 2, 3),
                (3, 8, 9, 1),
                (8, 12, 4, 6),
                (8, 8, 2, 2),
                (6, 9, 2, 3),
                (250, 250, 128, 128),
            ] {
                let pixels: Vec<u8> = (0..h * w * c)
                    .map(|_| {
                        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                        (seed >> 24) as u8
                    })
                    .collect();
                let src = view_c(&pixels, h, w, c);
                let expected = bilinear_reference(src, out_h, out_w);
                let got = resize(src, out_h, out_w, Interpolation::Bilinear);
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(
                    bits(&got),
                    bits(&expected),
                    "{c} channels, {h}x{w} -> {out_h}x{out_w}"
                );
                let mut into = vec![0f32; out_h * out_w * c];
                resize_into_until(
                    src,
                    &mut into,
                    out_h,
                    out_w,
                    Interpolation::Bilinear,
                    &|| false,
                )
                .unwrap();
                assert_eq!(bits(&into), bits(&expected));
            }
        }
    }

    #[test]
    fn midpoints_are_exactly_the_even_whole_number_downscales() {
        for (from, to) in [(256, 128), (448, 224), (8, 2), (64, 8)] {
            assert!(midpoints(&lerps(from, to)), "{from} -> {to}");
        }
        for (from, to) in [(6, 2), (250, 128), (128, 256), (375, 224), (7, 7)] {
            assert!(!midpoints(&lerps(from, to)), "{from} -> {to}");
        }
    }

    #[test]
    fn a_stop_ends_a_resize_within_a_few_rows_for_every_kernel() {
        let pixels = vec![7u8; 4 * 4];
        let src = view(&pixels, 4, 4);
        for kernel in [
            Interpolation::Bilinear,
            Interpolation::Nearest,
            Interpolation::Area,
        ] {
            // Stop after the first look: the first ROWS_PER_CHECK rows at most are computed.
            let looks = std::cell::Cell::new(0);
            let stop = || {
                looks.set(looks.get() + 1);
                looks.get() > 1
            };
            assert_eq!(
                resize_until(src, 512, 512, kernel, &stop),
                None,
                "{kernel:?}"
            );
            assert_eq!(looks.get(), 2, "{kernel:?}");
            let never = resize_until(src, 64, 64, kernel, &|| false).unwrap();
            assert_eq!(never.len(), 64 * 64);
            assert!(never.iter().all(|&v| (v - 7.0).abs() < 1e-4), "{kernel:?}");
        }
    }

    #[test]
    fn same_size_is_identity_for_every_kernel() {
        let px: Vec<u8> = (0..12).map(|v| v * 20).collect();
        for kernel in [
            Interpolation::Bilinear,
            Interpolation::Nearest,
            Interpolation::Area,
        ] {
            let out = resize(view(&px, 3, 4), 3, 4, kernel);
            assert_eq!(out, px.iter().map(|&v| f32::from(v)).collect::<Vec<_>>());
        }
    }

    #[test]
    fn area_halving_averages_2x2_blocks() {
        let px = [
            0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150,
        ];
        let out = resize(view(&px, 4, 4), 2, 2, Interpolation::Area);
        assert_eq!(out, [25.0, 45.0, 105.0, 125.0]);
    }

    #[test]
    fn nearest_picks_floor_of_half_pixel_centre() {
        // 4 -> 3: scale 4/3, centres 0.5*1.333=0.67 -> 0, 1.5*1.333=2 -> 2, 2.5*1.333=3.33 -> 3
        let out = resize(view(&[10, 20, 30, 40], 1, 4), 1, 3, Interpolation::Nearest);
        assert_eq!(out, [10.0, 30.0, 40.0]);
    }

    #[test]
    fn pad_box_uses_float32_like_tensorflow() {
        // DESIGN.md: 300x451 -> 300x100 gives an inner width of 99 in float32 (100 in float64).
        let (top, left, inner_h, inner_w) = pad_box(300, 451, 300, 100);
        assert_eq!((inner_h, inner_w), (66, 99));
        assert_eq!((top, left), (116, 0));
    }

    #[test]
    fn crop_box_is_centred_on_the_target_ratio() {
        // 100x200 to a square: crop 100x100 from x=50.
        assert_eq!(crop_box(100, 200, 64, 64), (0, 50, 100, 100));
        // 30x10 to 1x2 (wide): crop_h = int(10*1/2) = 5, top = int(25/2) = 12.
        assert_eq!(crop_box(30, 10, 1, 2), (12, 0, 5, 10));
    }
}
