//! Pixel values of every colour mode for the formats and layouts a dataset may hold.

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.
mod common;

use batchscope::decode::{decode_file, rgb_to_gray};
use batchscope::options::ColorMode;
use common::{gray, rgb, rgba, save, save_as};
use image::{ImageBuffer, ImageFormat, LumaA, Rgb};

#[test]
fn rgb_png_in_every_mode() {
    let dir = tempfile::tempdir().unwrap();
    let colours = [[255, 0, 0], [10, 10, 10], [0, 200, 100], [1, 2, 3]];
    let path = save(
        dir.path(),
        "a.png",
        &rgb(2, 2, |x, y| colours[(y * 2 + x) as usize]),
    );

    let d = decode_file(&path, ColorMode::Rgb).unwrap();
    assert_eq!((d.width, d.height, d.channels), (2, 2, 3));
    assert_eq!(d.pixels, colours.concat());

    let d = decode_file(&path, ColorMode::Grayscale).unwrap();
    // (9797 r + 19234 g + 3737 b) >> 15, and r when r == g == b.
    assert_eq!(d.pixels, [76, 10, 128, 1]);
    assert_eq!(d.pixels[2], rgb_to_gray(0, 200, 100));

    let d = decode_file(&path, ColorMode::Rgba).unwrap();
    assert_eq!(
        d.pixels,
        [
            255, 0, 0, 255, 10, 10, 10, 255, 0, 200, 100, 255, 1, 2, 3, 255
        ]
    );
}

#[test]
fn rgba_to_rgb_drops_alpha_without_compositing() {
    let dir = tempfile::tempdir().unwrap();
    let path = save(
        dir.path(),
        "a.png",
        &rgba(2, 1, |x, _| {
            if x == 0 {
                [200, 100, 50, 0]
            } else {
                [1, 2, 3, 128]
            }
        }),
    );
    assert_eq!(
        decode_file(&path, ColorMode::Rgb).unwrap().pixels,
        [200, 100, 50, 1, 2, 3]
    );
    assert_eq!(
        decode_file(&path, ColorMode::Rgba).unwrap().pixels,
        [200, 100, 50, 0, 1, 2, 3, 128]
    );
    assert_eq!(
        decode_file(&path, ColorMode::Grayscale).unwrap().pixels,
        [rgb_to_gray(200, 100, 50), 1]
    );
}

#[test]
fn gray_expands_by_copying_and_gray_alpha_keeps_alpha_for_rgba() {
    let dir = tempfile::tempdir().unwrap();
    let path = save(
        dir.path(),
        "g.png",
        &gray(3, 1, |x, _| [0, 77, 255][x as usize]),
    );
    assert_eq!(
        decode_file(&path, ColorMode::Rgb).unwrap().pixels,
        [0, 0, 0, 77, 77, 77, 255, 255, 255]
    );
    assert_eq!(
        decode_file(&path, ColorMode::Grayscale).unwrap().pixels,
        [0, 77, 255]
    );

    let ga: ImageBuffer<LumaA<u8>, Vec<u8>> =
        ImageBuffer::from_fn(2, 1, |x, _| LumaA([40 + x as u8, 9]));
    let path = save(dir.path(), "ga.png", &ga);
    assert_eq!(
        decode_file(&path, ColorMode::Rgba).unwrap().pixels,
        [40, 40, 40, 9, 41, 41, 41, 9]
    );
    assert_eq!(
        decode_file(&path, ColorMode::Rgb).unwrap().pixels,
        [40, 40, 40, 41, 41, 41]
    );
    assert_eq!(
        decode_file(&path, ColorMode::Grayscale).unwrap().pixels,
        [40, 41]
    );
}

#[test]
fn sixteen_bit_samples_keep_their_high_byte() {
    let dir = tempfile::tempdir().unwrap();
    let img: ImageBuffer<Rgb<u16>, Vec<u16>> = ImageBuffer::from_fn(2, 1, |x, _| {
        if x == 0 {
            Rgb([0x1234, 0xffff, 0x00ff])
        } else {
            Rgb([0x8000, 0x7fff, 0x0100])
        }
    });
    let path = save(dir.path(), "deep.png", &img);
    assert_eq!(
        decode_file(&path, ColorMode::Rgb).unwrap().pixels,
        [0x12, 0xff, 0x00, 0x80, 0x7f, 0x01]
    );
}

#[test]
fn rgb_jpeg_to_rgba_gets_opaque_alpha_and_gray_jpeg_copies_luma() {
    let dir = tempfile::tempdir().unwrap();
    let path = save(dir.path(), "c.jpg", &rgb(16, 16, |_, _| [200, 40, 40]));
    let d = decode_file(&path, ColorMode::Rgba).unwrap();
    assert_eq!(
        (d.width, d.height, d.channels, d.pixels.len()),
        (16, 16, 4, 16 * 16 * 4)
    );
    assert!(d.pixels.chunks(4).all(|p| p[3] == 255));
    // A flat colour survives JPEG within a few levels.
    assert!(
        d.pixels
            .chunks(4)
            .all(|p| p[0].abs_diff(200) <= 3 && p[1].abs_diff(40) <= 3),
        "{:?}",
        &d.pixels[..4]
    );

    let path = save(
        dir.path(),
        "g.jpg",
        &gray(16, 16, |x, _| if x < 8 { 60 } else { 180 }),
    );
    let luma = decode_file(&path, ColorMode::Grayscale).unwrap().pixels;
    let rgb_px = decode_file(&path, ColorMode::Rgb).unwrap().pixels;
    assert_eq!(luma.len(), 256);
    assert!(rgb_px.chunks(3).zip(&luma).all(|(p, &l)| p == [l, l, l]));
    assert!(
        luma[0].abs_diff(60) <= 2 && luma[15].abs_diff(180) <= 2,
        "{} {}",
        luma[0],
        luma[15]
    );
}

#[test]
fn content_decides_the_decoder_not_the_extension() {
    let dir = tempfile::tempdir().unwrap();
    let path = save_as(
        dir.path(),
        "really_png.jpg",
        &rgb(1, 1, |_, _| [9, 8, 7]),
        ImageFormat::Png,
    );
    let d = decode_file(&path, ColorMode::Rgb).unwrap();
    assert_eq!(d.format, ImageFormat::Png);
    assert_eq!(d.pixels, [9, 8, 7]);
}

#[test]
fn bmp_and_gif_decode_to_their_colours() {
    let dir = tempfile::tempdir().unwrap();
    let img = rgb(2, 1, |x, _| if x == 0 { [255, 0, 0] } else { [0, 0, 255] });
    let bmp = save(dir.path(), "a.bmp", &img);
    assert_eq!(
        decode_file(&bmp, ColorMode::Rgb).unwrap().pixels,
        [255, 0, 0, 0, 0, 255]
    );
    let gif = save_as(
        dir.path(),
        "a.gif",
        &rgba(2, 1, |x, _| {
            if x == 0 {
                [255, 0, 0, 255]
            } else {
                [0, 0, 255, 255]
            }
        }),
        ImageFormat::Gif,
    );
    assert_eq!(
        decode_file(&gif, ColorMode::Rgb).unwrap().pixels,
        [255, 0, 0, 0, 0, 255]
    );
}
