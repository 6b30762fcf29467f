//! Seed inputs, written at test time by real encoders (no committed binaries): small images in every
//! format and pixel layout the decoders take, and random byte strings for the targets that read their
//! options out of bytes.

use std::io::Cursor;

use image::{DynamicImage, ImageBuffer, ImageFormat, Luma, LumaA, Rgb, Rgba};

use super::Rng;

fn encode(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

fn rgb(w: u32, h: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(ImageBuffer::from_fn(w, h, |x, y| {
        Rgb([(x * 13) as u8, (y * 29) as u8, ((x ^ y) * 7) as u8])
    }))
}

fn rgba(w: u32, h: u32) -> DynamicImage {
    DynamicImage::ImageRgba8(ImageBuffer::from_fn(w, h, |x, y| {
        Rgba([(x * 9) as u8, (y * 17) as u8, 200, ((x + y) * 11) as u8])
    }))
}

fn gray(w: u32, h: u32) -> DynamicImage {
    DynamicImage::ImageLuma8(ImageBuffer::from_fn(w, h, |x, y| {
        Luma([(x * 5 + y * 3) as u8])
    }))
}

/// Small images in every format and layout the decoders handle: PNG (gray, gray+alpha, RGB, RGBA,
/// 16-bit, palette), JPEG (baseline, progressive, gray, CMYK, 4:2:0), GIF, BMP (RGB, RGBA), TIFF (RGB,
/// gray, 16-bit) and lossless WebP. Odd sizes, so that no row or MCU is a round number.
pub fn images() -> Vec<Vec<u8>> {
    let mut seeds = vec![
        encode(&rgb(13, 7), ImageFormat::Png),
        encode(&rgba(5, 9), ImageFormat::Png),
        encode(&gray(11, 3), ImageFormat::Png),
        encode(
            &DynamicImage::ImageLumaA8(ImageBuffer::from_fn(4, 4, |x, y| {
                LumaA([(x * 60) as u8, (y * 60) as u8])
            })),
            ImageFormat::Png,
        ),
        encode(
            &DynamicImage::ImageLuma16(ImageBuffer::from_fn(6, 5, |x, y| {
                Luma([(x * 10_000 + y * 77) as u16])
            })),
            ImageFormat::Png,
        ),
        encode(
            &DynamicImage::ImageRgba16(ImageBuffer::from_fn(3, 2, |x, y| {
                Rgba([(x * 20_000) as u16, (y * 30_000) as u16, 7, 65_535])
            })),
            ImageFormat::Png,
        ),
        palette_png(),
        encode(&rgb(17, 9), ImageFormat::Jpeg),
        encode(&gray(9, 17), ImageFormat::Jpeg),
        encode(&rgb(12, 10), ImageFormat::Gif),
        encode(&rgb(7, 5), ImageFormat::Bmp),
        encode(&rgba(6, 3), ImageFormat::Bmp),
        encode(&rgb(9, 4), ImageFormat::Tiff),
        encode(&gray(4, 9), ImageFormat::Tiff),
        encode(
            &DynamicImage::ImageRgb16(ImageBuffer::from_fn(3, 3, |x, y| {
                Rgb([(x * 9_000) as u16, (y * 21_000) as u16, 100])
            })),
            ImageFormat::Tiff,
        ),
        encode(&rgb(10, 6), ImageFormat::WebP),
        encode(&rgba(5, 5), ImageFormat::WebP),
    ];
    seeds.extend(jpegs());
    seeds
}

fn palette_png() -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, 5, 3);
    encoder.set_color(png::ColorType::Indexed);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_palette(vec![0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255]);
    encoder.set_trns(vec![255, 128]);
    let mut writer = encoder.write_header().unwrap();
    writer
        .write_image_data(&[0, 1, 2, 3, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3])
        .unwrap();
    writer.finish().unwrap();
    out
}

/// JPEGs the `image` encoder does not write: progressive, CMYK (Adobe), YCCK, 4:2:0 subsampled.
fn jpegs() -> Vec<Vec<u8>> {
    let rgb: Vec<u8> = (0..19 * 11 * 3).map(|i| (i * 7 % 251) as u8).collect();
    let cmyk: Vec<u8> = (0..8 * 8 * 4).map(|i| (i * 13 % 256) as u8).collect();
    let mut out = Vec::new();
    for (pixels, w, h, color, progressive, sampling) in [
        (
            &rgb,
            19,
            11,
            jpeg_encoder::ColorType::Rgb,
            true,
            jpeg_encoder::SamplingFactor::R_4_2_0,
        ),
        (
            &rgb,
            19,
            11,
            jpeg_encoder::ColorType::Rgb,
            false,
            jpeg_encoder::SamplingFactor::R_4_2_0,
        ),
        (
            &cmyk,
            8,
            8,
            jpeg_encoder::ColorType::Cmyk,
            false,
            jpeg_encoder::SamplingFactor::R_4_4_4,
        ),
        (
            &cmyk,
            8,
            8,
            jpeg_encoder::ColorType::CmykAsYcck,
            true,
            jpeg_encoder::SamplingFactor::R_4_4_4,
        ),
    ] {
        let mut bytes = Vec::new();
        let mut encoder = jpeg_encoder::Encoder::new(&mut bytes, 80);
        encoder.set_progressive(progressive);
        encoder.set_sampling_factor(sampling);
        encoder.encode(pixels, w, h, color).unwrap();
        out.push(bytes);
    }
    out
}

/// `n` random byte strings of `len` bytes, for targets that read their options from bytes.
pub fn random(seed: u64, n: usize, len: usize) -> Vec<Vec<u8>> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| rng.bytes(len)).collect()
}
