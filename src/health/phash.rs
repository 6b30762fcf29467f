//! The 64-bit perceptual hash (DCT pHash, as `imagehash.phash` computes it): the luma plane is
//! box-averaged down to 32x32, transformed with a 2-D DCT-II, and the 8x8 lowest frequencies are
//! thresholded at their median (bit set = above the median). Resizing, recompression, a small
//! brightness shift or a small crop move few of the 64 bits; different pictures differ in about half.

/// Side of the downscaled luma plane.
const SIDE: usize = 32;
/// Side of the block of low frequencies kept.
const LOW: usize = 8;

/// The pHash of a `height x width` luma plane (row-major, any value range).
pub fn phash(luma: &[f32], height: usize, width: usize) -> u64 {
    if height == 0 || width == 0 || luma.len() < height * width {
        return 0;
    }
    let small = downscale(luma, height, width);
    let table = cosines();
    // Rows first (only the LOW lowest frequencies are needed), then columns.
    let mut rows = [[0f32; LOW]; SIDE];
    for (y, row) in rows.iter_mut().enumerate() {
        for (u, out) in row.iter_mut().enumerate() {
            *out = (0..SIDE).map(|x| small[y * SIDE + x] * table[u][x]).sum();
        }
    }
    let mut low = [0f32; LOW * LOW];
    for v in 0..LOW {
        for u in 0..LOW {
            low[v * LOW + u] = (0..SIDE).map(|y| rows[y][u] * table[v][y]).sum();
        }
    }
    let mut sorted = low;
    sorted.sort_by(f32::total_cmp);
    let median = f32::midpoint(sorted[LOW * LOW / 2 - 1], sorted[LOW * LOW / 2]);
    low.iter()
        .enumerate()
        .filter(|(_, v)| **v > median)
        .fold(0u64, |bits, (i, _)| bits | (1 << i))
}

/// Number of differing bits.
pub fn distance(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// Similarity of two hashes `d` bits apart: `1 - d/64`.
pub fn similarity(d: u32) -> f64 {
    1.0 - f64::from(d) / 64.0
}

/// Box-averages (or, for planes smaller than 32, nearest-samples) the plane down to 32x32.
fn downscale(luma: &[f32], height: usize, width: usize) -> [f32; SIDE * SIDE] {
    let mut out = [0f32; SIDE * SIDE];
    for sy in 0..SIDE {
        let (y0, y1) = span(sy, height);
        for sx in 0..SIDE {
            let (x0, x1) = span(sx, width);
            let mut sum = 0f32;
            for y in y0..y1 {
                sum += luma[y * width + x0..y * width + x1].iter().sum::<f32>();
            }
            out[sy * SIDE + sx] = sum / ((y1 - y0) * (x1 - x0)) as f32;
        }
    }
    out
}

/// The source rows (or columns) that output cell `i` of 32 averages: at least one.
fn span(i: usize, len: usize) -> (usize, usize) {
    let start = i * len / SIDE;
    let end = ((i + 1) * len / SIDE).max(start + 1).min(len);
    (start.min(len - 1), end)
}

/// `cos(pi * (2x + 1) * u / 64)` for the LOW lowest frequencies `u`.
fn cosines() -> [[f32; SIDE]; LOW] {
    let mut t = [[0f32; SIDE]; LOW];
    for (u, row) in t.iter_mut().enumerate() {
        for (x, c) in row.iter_mut().enumerate() {
            *c = (std::f64::consts::PI * (2 * x + 1) as f64 * u as f64 / (2 * SIDE) as f64).cos()
                as f32;
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plane(w: usize, h: usize, f: impl Fn(usize, usize) -> f32) -> Vec<f32> {
        (0..h)
            .flat_map(|y| (0..w).map(move |x| (x, y)))
            .map(|(x, y)| f(x, y))
            .collect()
    }

    fn scene(x: f32, y: f32, seed: f32) -> f32 {
        128.0
            + 60.0 * (x * 0.07 + seed).sin() * (y * 0.05 - seed).cos()
            + 40.0 * ((x + y) * 0.02 * seed).sin()
    }

    #[test]
    fn health_phash_survives_resize_and_brightness_and_separates_pictures() {
        let a = plane(96, 96, |x, y| scene(x as f32, y as f32, 1.3));
        // The same picture drawn at 160x160, and 10 levels brighter.
        let s = 96.0 / 160.0;
        let big = plane(160, 160, |x, y| scene(x as f32 * s, y as f32 * s, 1.3));
        let bright: Vec<f32> = a.iter().map(|v| v + 10.0).collect();
        let other = plane(96, 96, |x, y| scene(x as f32, y as f32, 2.9));
        let h = phash(&a, 96, 96);
        assert!(distance(h, phash(&big, 160, 160)) <= 4);
        assert_eq!(distance(h, phash(&bright, 96, 96)), 0);
        assert!(distance(h, phash(&other, 96, 96)) > 16);
        assert!((similarity(16) - 0.75).abs() < 1e-12);
    }

    #[test]
    fn health_phash_of_tiny_and_empty_planes_is_defined() {
        assert_eq!(phash(&[], 0, 0), 0);
        let tiny = plane(3, 2, |x, y| (x * 10 + y) as f32);
        let _ = phash(&tiny, 2, 3);
    }
}
