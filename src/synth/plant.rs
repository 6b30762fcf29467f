//! Pictures with planted problems, for the health pass's tests and benchmark: copies of each
//! duplicate kind the pass must group and pictures of each flag kind it must flag. One definition
//! here, so that the test's recall and the benchmark's figures are about the same problems.

use std::path::Path;

use image::codecs::png::CompressionType;
use image::{ImageEncoder as _, ImageResult, Rgb, RgbImage};

use super::{Rng, scene};

/// The duplicate kinds [`write_copy`] makes.
pub const DUPLICATE_KINDS: [&str; 6] = [
    "byte_copy",
    "reencoded_png",
    "resized",
    "recompressed",
    "brightened",
    "cropped",
];

/// The flag kinds [`problem`] makes (the names `batchscope health` reports).
pub const FLAG_KINDS: [&str; 7] = [
    "dark",
    "light",
    "blurry",
    "low_information",
    "grayscale",
    "odd_aspect_ratio",
    "odd_size",
];

/// `img` with `f` applied to every channel value.
pub fn map(img: &RgbImage, f: impl Fn(u8) -> u8) -> RgbImage {
    RgbImage::from_fn(img.width(), img.height(), |x, y| {
        Rgb(img.get_pixel(x, y).0.map(&f))
    })
}

/// `img` averaged over a `(2r + 1)²` box around each pixel (edges clamped).
pub fn box_blur(img: &RgbImage, r: i64) -> RgbImage {
    let (w, h) = (i64::from(img.width()), i64::from(img.height()));
    RgbImage::from_fn(img.width(), img.height(), |x, y| {
        let mut sum = [0u32; 3];
        let mut n = 0;
        for dy in -r..=r {
            for dx in -r..=r {
                let sx = (i64::from(x) + dx).clamp(0, w - 1);
                let sy = (i64::from(y) + dy).clamp(0, h - 1);
                let p = img.get_pixel(sx as u32, sy as u32).0;
                for c in 0..3 {
                    sum[c] += u32::from(p[c]);
                }
                n += 1;
            }
        }
        Rgb(sum.map(|s| (s / n) as u8))
    })
}

/// A picture of its own (`seed`), `side` pixels square unless its kind is a size, with one problem
/// of flag kind `kind` (one of [`FLAG_KINDS`]); `None` for another kind.
pub fn problem(kind: &str, side: u32, seed: u64) -> Option<RgbImage> {
    Some(match kind {
        "dark" => map(&scene(side, side, seed), |v| (f32::from(v) * 0.12) as u8),
        "light" => map(&scene(side, side, seed), |v| {
            255 - ((255.0 - f32::from(v)) * 0.12) as u8
        }),
        // A box of a 32nd of the side (at least 7x7 pixels): blurry at any size.
        "blurry" => box_blur(&scene(side, side, seed), i64::from((side / 64).max(3))),
        "low_information" => {
            let mut rng = Rng(seed);
            let base = rng.color();
            RgbImage::from_fn(side, side, |_, _| {
                Rgb(std::array::from_fn(|c| (base[c] + rng.unit() * 2.0) as u8))
            })
        }
        "grayscale" => {
            let gray = image::DynamicImage::ImageRgb8(scene(side, side, seed)).to_luma8();
            RgbImage::from_fn(side, side, |x, y| {
                let v = gray.get_pixel(x, y).0[0];
                Rgb([v, v, v])
            })
        }
        "odd_aspect_ratio" => scene(side * 2, side / 2, seed),
        "odd_size" => scene(side * 4, side * 4, seed),
        _ => return None,
    })
}

/// The picture stored at `path` as the health pass sees it: decoded by batchscope with the default
/// options (for a JPEG, TensorFlow's pixels), so that a `reencoded_png` copy of it holds exactly the
/// pixels the pass decodes from the original. `None` when it does not decode to RGB.
pub fn decoded(path: &Path) -> Option<RgbImage> {
    let d = crate::decode::decode_file(path, crate::options::ColorMode::Rgb).ok()?;
    RgbImage::from_raw(d.width, d.height, d.pixels)
}

/// Writes at `to` a copy of `img` (stored at `from`) of duplicate kind `kind` (one of
/// [`DUPLICATE_KINDS`]; another kind writes nothing and returns `Ok(false)`). A `resized` copy is
/// 5/8 of the original's size, so that a loader scales it back up.
pub fn write_copy(kind: &str, from: &Path, img: &RgbImage, to: &Path) -> ImageResult<bool> {
    match kind {
        "byte_copy" => {
            create_parent(to)?;
            std::fs::copy(from, to)?;
        }
        "reencoded_png" => save_png(to, img, CompressionType::Best)?,
        "resized" => save_png(
            to,
            &image::imageops::resize(
                img,
                img.width() * 5 / 8,
                img.height() * 5 / 8,
                image::imageops::FilterType::Triangle,
            ),
            CompressionType::Fast,
        )?,
        "recompressed" => save_jpeg(to, img, 60)?,
        "brightened" => save_png(
            to,
            &map(img, |v| v.saturating_add(10)),
            CompressionType::Fast,
        )?,
        "cropped" => {
            let (w, h) = (img.width(), img.height());
            let (cw, ch) = (w * 95 / 100, h * 95 / 100);
            let crop =
                image::imageops::crop_imm(img, (w - cw) / 2, (h - ch) / 2, cw, ch).to_image();
            save_png(to, &crop, CompressionType::Fast)?;
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// Writes `img` as a JPEG of `quality`, creating the parent folder.
pub fn save_jpeg(path: &Path, img: &RgbImage, quality: u8) -> ImageResult<()> {
    create_parent(path)?;
    let file = std::io::BufWriter::new(std::fs::File::create(path)?);
    image::codecs::jpeg::JpegEncoder::new_with_quality(file, quality).encode_image(img)
}

/// Writes `img` as an RGB PNG with `compression`, creating the parent folder.
pub fn save_png(path: &Path, img: &RgbImage, compression: CompressionType) -> ImageResult<()> {
    create_parent(path)?;
    let file = std::io::BufWriter::new(std::fs::File::create(path)?);
    image::codecs::png::PngEncoder::new_with_quality(
        file,
        compression,
        image::codecs::png::FilterType::Adaptive,
    )
    .write_image(
        img.as_raw(),
        img.width(),
        img.height(),
        image::ExtendedColorType::Rgb8,
    )
}

fn create_parent(path: &Path) -> std::io::Result<()> {
    match path.parent() {
        Some(dir) => std::fs::create_dir_all(dir),
        None => Ok(()),
    }
}
