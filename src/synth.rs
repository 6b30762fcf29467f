//! Synthetic dataset folders for benchmarks, examples and manual checks: photo-like images (gradients,
//! an edge, a soft blob and per-pixel noise), since decode cost and JPEG behaviour depend on content and
//! flat colours would flatter every decoder.

pub mod plant;

use std::io;
use std::path::Path;

use image::{DynamicImage, ImageBuffer, Rgb, RgbImage};
use rayon::prelude::*;

use crate::size::Size;

/// What to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec {
    /// Class folders `class_000`, `class_001`, …
    pub classes: usize,
    /// Images per class.
    pub per_class: usize,
    /// Size of each image (the mixed kind varies it around this).
    pub size: Size,
    /// How files are encoded.
    pub kind: Kind,
    /// Long class names (for UI checks).
    pub long_names: bool,
}

/// Encoding of the generated files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// JPEG at quality 90.
    Jpeg,
    /// RGB PNG.
    Png,
    /// Varied sizes, formats and modes: JPEG, gray PNG, RGBA PNG, 16-bit PNG, GIF, BMP.
    Mixed,
    /// 1x1 PNGs, for indexing benchmarks of many files.
    Tiny,
    /// JPEG at quality 90 of [`scene`]s: pictures that differ in layout (for duplicate detection).
    Scenes,
}

/// A photo-like `w x h` image, different for every `seed`.
pub fn photo(w: u32, h: u32, seed: u64) -> RgbImage {
    let s = seed as u32;
    let cx = (s.wrapping_mul(2_654_435_761) % w.max(1)) as f32;
    let cy = (s.wrapping_mul(40_503) % h.max(1)) as f32;
    let spread = (w as f32 * h as f32 / 10.0).max(1.0);
    ImageBuffer::from_fn(w, h, |x, y| {
        let noise =
            (x.wrapping_mul(73_856_093) ^ y.wrapping_mul(19_349_663) ^ s.wrapping_mul(83_492_791))
                % 37;
        let (dx, dy) = (x as f32 - cx, y as f32 - cy);
        let blob = (-(dx * dx + dy * dy) / spread).exp() * 120.0;
        let r = (x * 200 / w.max(1) + noise) as f32 + blob;
        let g = (y * 180 / h.max(1) + (s % 50)) as f32 + blob * 0.5;
        let b = if x * h > y * w { 170.0 } else { 60.0 } + noise as f32;
        Rgb([r.min(255.0) as u8, g.min(255.0) as u8, b.min(255.0) as u8])
    })
}

/// splitmix64: a tiny deterministic generator for [`scene`] (and tests' planted images).
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A float in `[0, 1)`.
    pub fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// An RGB colour, each channel in `[0, 255)`.
    pub fn color(&mut self) -> [f32; 3] {
        [
            self.unit() * 255.0,
            self.unit() * 255.0,
            self.unit() * 255.0,
        ]
    }
}

/// A photo-like picture whose layout differs per seed (unlike [`photo`], whose images share one layout and
/// so look alike to a perceptual hash), the same picture at every size: a two-colour
/// gradient in a random direction, hard-edged ellipses, a sinusoidal texture, and per-pixel noise.
pub fn scene(w: u32, h: u32, seed: u64) -> RgbImage {
    let mut rng = Rng(seed.wrapping_mul(7919).wrapping_add(17));
    let (c0, c1) = (rng.color(), rng.color());
    let angle = rng.unit() * std::f32::consts::TAU;
    let blobs: Vec<(f32, f32, f32, f32, [f32; 3])> = (0..4)
        .map(|_| {
            (
                rng.unit(),
                rng.unit(),
                0.08 + rng.unit() * 0.25,
                0.08 + rng.unit() * 0.25,
                rng.color(),
            )
        })
        .collect();
    let (freq, tex_angle) = (6.0 + rng.unit() * 20.0, rng.unit() * std::f32::consts::PI);
    let noise_seed = rng.next_u64();
    RgbImage::from_fn(w, h, |x, y| {
        let (u, v) = (x as f32 / w as f32, y as f32 / h as f32);
        let t = ((u - 0.5) * angle.cos() + (v - 0.5) * angle.sin() + 0.7) / 1.4;
        let mut px: [f32; 3] = std::array::from_fn(|c| c0[c] * (1.0 - t) + c1[c] * t);
        for &(bx, by, rx, ry, color) in &blobs {
            if ((u - bx) / rx).powi(2) + ((v - by) / ry).powi(2) < 1.0 {
                px = color;
            }
        }
        let tex = 25.0 * ((u * tex_angle.cos() + v * tex_angle.sin()) * freq).sin();
        let mut n = Rng(noise_seed ^ (u64::from(x) << 32 | u64::from(y)));
        Rgb(std::array::from_fn(|c| {
            (px[c] + tex + (n.unit() - 0.5) * 24.0).clamp(0.0, 255.0) as u8
        }))
    })
}

/// The name of class folder `c`.
pub fn class_name(c: usize, long: bool) -> String {
    if long {
        format!("class_{c:03}_a_rather_long_descriptive_name_for_a_category_of_images")
    } else {
        format!("class_{c:03}")
    }
}

fn write_one(dir: &Path, i: usize, seed: u64, spec: &Spec) -> image::ImageResult<()> {
    let Size {
        height: h,
        width: w,
    } = spec.size;
    match spec.kind {
        Kind::Tiny => {
            RgbImage::from_pixel(1, 1, Rgb([i as u8, 0, 0])).save(dir.join(format!("{i:06}.png")))
        }
        Kind::Png => photo(w, h, seed).save(dir.join(format!("{i:06}.png"))),
        Kind::Scenes => {
            let file = io::BufWriter::new(std::fs::File::create(dir.join(format!("{i:06}.jpg")))?);
            image::codecs::jpeg::JpegEncoder::new_with_quality(file, 90)
                .encode_image(&scene(w, h, seed))
        }
        Kind::Jpeg => {
            let file = io::BufWriter::new(std::fs::File::create(dir.join(format!("{i:06}.jpg")))?);
            image::codecs::jpeg::JpegEncoder::new_with_quality(file, 90)
                .encode_image(&photo(w, h, seed))
        }
        Kind::Mixed => {
            let (w, h) = (
                w / 2 + (seed as u32 * 37) % w,
                h / 2 + (seed as u32 * 53) % h,
            );
            let img = DynamicImage::ImageRgb8(photo(w, h, seed));
            match i % 6 {
                0 => img.save(dir.join(format!("{i:06}.jpg"))),
                1 => DynamicImage::ImageLuma8(img.to_luma8())
                    .save(dir.join(format!("{i:06}_gray.png"))),
                2 => DynamicImage::ImageRgba8(img.to_rgba8())
                    .save(dir.join(format!("{i:06}_rgba.png"))),
                3 => DynamicImage::ImageRgb16(img.to_rgb16())
                    .save(dir.join(format!("{i:06}_16bit.png"))),
                4 => img.save(dir.join(format!("{i:06}.gif"))),
                _ => img.save(dir.join(format!("{i:06}.bmp"))),
            }
        }
    }
}

/// Writes `spec` under `out` (in parallel); returns the number of files.
pub fn write_dataset(out: &Path, spec: &Spec) -> image::ImageResult<usize> {
    for c in 0..spec.classes {
        std::fs::create_dir_all(out.join(class_name(c, spec.long_names)))?;
    }
    let total = spec.classes * spec.per_class;
    (0..total).into_par_iter().try_for_each(|n| {
        let (c, i) = (n / spec.per_class, n % spec.per_class);
        write_one(&out.join(class_name(c, spec.long_names)), i, n as u64, spec)
    })?;
    Ok(total)
}
