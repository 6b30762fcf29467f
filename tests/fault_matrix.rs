//! Bad input with defined outcomes, beyond the basic bad files: decompression bombs, odd but valid
//! encodings, names that are not UTF-8, files that vanish, and faults while writing.

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.

mod common;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt as _;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use batchscope::decode::{DecodeError, decode_file};
use batchscope::index;
use batchscope::load::loader::load_batch;
use batchscope::load::preprocess::Element;
use batchscope::load::spec::{self, SizeCheck};
use batchscope::options::{ColorMode, IndexOptions, LoadOptions};
use batchscope::size::Size;
use common::{Tmpfs, batchscope_ok, crc32, pattern, png_claiming, read_npy, save, save_as, write};

#[test]
fn decompression_bomb_is_refused_by_its_header_without_allocating() {
    let dir = tempfile::tempdir().unwrap();
    // 100,000 x 100,000 RGB would be 30 GB; the file is 69 bytes.
    let path = write(dir.path(), "bomb.png", &png_claiming(100_000, 100_000));
    let err = decode_file(&path, ColorMode::Rgb).unwrap_err();
    assert!(
        matches!(
            err,
            DecodeError::TooLarge {
                width: 100_000,
                height: 100_000,
                ..
            }
        ),
        "{err}"
    );
    // 100,000 x 100,000 x 3 bytes = 28,610.2 MiB (it used to say 38146, counting 4 bytes per pixel).
    assert_eq!(
        err.to_string(),
        "image is 100000x100000 RGB, 28610.2 MiB decoded, over the 512 MiB limit (decompression bomb?)"
    );
}

#[test]
fn webp_and_tiff_content_under_accepted_names_decode_by_content() {
    let dir = tempfile::tempdir().unwrap();
    // The image crate writes lossless WebP and uncompressed TIFF: exact pixels.
    for (name, format) in [
        ("looks_like.png", image::ImageFormat::WebP),
        ("looks_like.jpg", image::ImageFormat::Tiff),
    ] {
        let img = pattern(6, 4, 3);
        let path = save_as(dir.path(), name, &img, format);
        let d = decode_file(&path, ColorMode::Rgb).unwrap();
        assert_eq!(d.format, format, "{name}");
        assert_eq!(d.pixels, img.into_raw(), "{name}");
    }
}

#[test]
fn animated_gif_gives_its_first_frame() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("anim.gif");
    let frames = [[255u8, 0, 0, 255], [0, 0, 255, 255]]
        .map(|c| image::Frame::new(image::RgbaImage::from_pixel(2, 2, image::Rgba(c))));
    let mut encoder = image::codecs::gif::GifEncoder::new(std::fs::File::create(&path).unwrap());
    encoder.encode_frames(frames).unwrap();
    drop(encoder);
    assert_eq!(
        decode_file(&path, ColorMode::Rgb).unwrap().pixels,
        [255, 0, 0].repeat(4)
    );
}

#[test]
fn names_that_are_not_utf8_stay_byte_exact_in_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let name = OsStr::from_bytes(b"caf\xe9.png"); // Latin-1 "café", not UTF-8
    std::fs::create_dir_all(data.join("c")).unwrap();
    pattern(4, 3, 1)
        .save_with_format(data.join("c").join(name), image::ImageFormat::Png)
        .unwrap();
    let out = dir.path().join("out");
    batchscope_ok(&[
        "export",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let manifest = std::fs::read(out.join("manifest.csv")).unwrap();
    assert_eq!(
        manifest,
        b"index,path,label,class_name\n0,c/caf\xe9.png,0,c\n"
    );
    assert_eq!(read_npy(&out.join("images.npy")).shape, [1, 3, 4, 3]);
}

#[test]
fn a_file_deleted_after_indexing_is_a_skipped_sample_with_the_os_reason() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..3 {
        save(dir.path(), &format!("a/{i}.png"), &pattern(4, 3, i));
    }
    let index = Arc::new(index::scan(dir.path(), &IndexOptions::default()).unwrap());
    let mut options = LoadOptions::default();
    options.preprocess.image_size = Some(Size {
        height: 3,
        width: 4,
    });
    let never = AtomicBool::new(false);
    let job = spec::prepare(
        Arc::clone(&index),
        &options,
        Element::default(),
        SizeCheck::AllFiles,
        &never,
    )
    .unwrap();
    std::fs::remove_file(dir.path().join("a/1.png")).unwrap();
    let batch = load_batch(&job, 0, &never);
    assert_eq!(batch.samples, [0, 2]);
    assert_eq!(batch.failures.len(), 1);
    assert_eq!(batch.failures[0].rel_path, Path::new("a/1.png"));
    assert!(
        batch.failures[0]
            .reason
            .starts_with("cannot read file: No such file or directory"),
        "{}",
        batch.failures[0].reason
    );
}

#[test]
fn palette_png_gives_its_colours() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("palette.png");
    let mut encoder = png::Encoder::new(std::fs::File::create(&path).unwrap(), 3, 1);
    encoder.set_color(png::ColorType::Indexed);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_palette(vec![10, 20, 30, 200, 100, 0, 1, 2, 3]);
    let mut writer = encoder.write_header().unwrap();
    writer.write_image_data(&[2, 0, 1]).unwrap();
    writer.finish().unwrap();
    assert_eq!(
        decode_file(&path, ColorMode::Rgb).unwrap().pixels,
        [1, 2, 3, 10, 20, 30, 200, 100, 0]
    );
}

#[test]
fn progressive_jpeg_decodes_close_to_its_source() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("progressive.jpg");
    let source: Vec<u8> = (0..32 * 16).map(|i| ((i % 32) * 8) as u8).collect();
    let mut encoder = jpeg_encoder::Encoder::new_file(&path, 100).unwrap();
    encoder.set_progressive(true);
    encoder
        .encode(&source, 32, 16, jpeg_encoder::ColorType::Luma)
        .unwrap();
    let d = decode_file(&path, ColorMode::Grayscale).unwrap();
    assert_eq!((d.width, d.height), (32, 16));
    let worst = d
        .pixels
        .iter()
        .zip(&source)
        .map(|(a, b)| a.abs_diff(*b))
        .max()
        .unwrap();
    assert!(worst <= 3, "progressive JPEG off by {worst} levels");
}

#[test]
fn cmyk_jpeg_decodes_to_rgb() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cmyk.jpg");
    let flat = [0u8, 255, 255, 0].repeat(16 * 16);
    jpeg_encoder::Encoder::new_file(&path, 100)
        .unwrap()
        .encode(&flat, 16, 16, jpeg_encoder::ColorType::Cmyk)
        .unwrap();
    let d = decode_file(&path, ColorMode::Rgb).unwrap();
    assert_eq!(
        (d.width, d.height, d.channels, d.pixels.len()),
        (16, 16, 3, 16 * 16 * 3)
    );
    // Ink (0, 255, 255, 0) is pure red; every pixel, not only a flat one.
    assert!(
        d.pixels
            .chunks(3)
            .all(|p| p[0] >= 253 && p[1] <= 2 && p[2] <= 2),
        "{:?}",
        &d.pixels[..6]
    );
    let rgba = decode_file(&path, ColorMode::Rgba).unwrap().pixels;
    let want: Vec<u8> = d
        .pixels
        .chunks(3)
        .flat_map(|p| [p[0], p[1], p[2], 255])
        .collect();
    assert_eq!(rgba, want, "RGBA is the RGB with alpha 255");
}

#[test]
fn eight_bit_gray_bmp_with_a_palette_decodes() {
    let dir = tempfile::tempdir().unwrap();
    // The image crate writes 8-bit grayscale BMPs with a 256-entry palette.
    let path = save(
        dir.path(),
        "gray.bmp",
        &common::gray(3, 2, |x, y| (x * 40 + y * 100) as u8),
    );
    assert_eq!(
        decode_file(&path, ColorMode::Grayscale).unwrap().pixels,
        [0, 40, 80, 100, 140, 180]
    );
}

#[test]
fn a_read_only_output_fails_with_the_path_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    save(&data, "a/0.png", &pattern(4, 3, 0));
    let ro = dir.path().join("ro");
    let Some(_mount) = Tmpfs::mount(
        &ro,
        "ro,size=1m",
        "a_read_only_output_fails_with_the_path_and_reason",
    ) else {
        return;
    };
    let out = ro.join("out");
    let res = common::batchscope(&[
        "export",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(1), "{err}");
    assert!(
        err.contains("creating the output folder failed: Read-only file system")
            && err.contains("ro/out"),
        "{err}"
    );
}

fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in bytes {
        a = (a + u32::from(x)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

/// A 2x2 8-bit gray Adam7-interlaced PNG, built by hand (no encoder here writes interlaced PNGs):
/// pass 1 holds (0,0), pass 6 holds (1,0), pass 7 holds row 1; each scanline starts with filter 0.
fn interlaced_gray_2x2(p: [u8; 4]) -> Vec<u8> {
    let raw = [0, p[0], 0, p[1], 0, p[2], p[3]];
    let mut zlib = vec![
        0x78,
        0x01,
        0x01,
        raw.len() as u8,
        0,
        !(raw.len() as u8),
        0xff,
    ];
    zlib.extend_from_slice(&raw);
    zlib.extend_from_slice(&adler32(&raw).to_be_bytes());
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [
        (&b"IHDR"[..], vec![0, 0, 0, 2, 0, 0, 0, 2, 8, 0, 0, 0, 1]),
        (b"IDAT", zlib),
        (b"IEND", vec![]),
    ] {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let body = [kind, &data[..]].concat();
        png.extend_from_slice(&body);
        png.extend_from_slice(&crc32(&body).to_be_bytes());
    }
    png
}

#[test]
fn interlaced_png_decodes_to_its_pixels() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "adam7.png",
        &interlaced_gray_2x2([10, 20, 30, 40]),
    );
    assert_eq!(
        decode_file(&path, ColorMode::Grayscale).unwrap().pixels,
        [10, 20, 30, 40]
    );
    assert_eq!(
        decode_file(&path, ColorMode::Rgb).unwrap().pixels,
        [10, 10, 10, 20, 20, 20, 30, 30, 30, 40, 40, 40]
    );
}

#[test]
fn class_names_that_are_not_utf8_are_replaced_in_class_names_json() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let class = data.join(OsStr::from_bytes(b"cl\xe9"));
    std::fs::create_dir_all(&class).unwrap();
    pattern(4, 3, 1).save(class.join("x.png")).unwrap();
    let out = dir.path().join("out");
    batchscope_ok(&[
        "export",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(
        std::fs::read_to_string(out.join("class_names.json")).unwrap(),
        "[\"cl\u{fffd}\"]"
    );
    // The manifest keeps the real bytes of the path, and the class name as shown.
    let manifest = std::fs::read(out.join("manifest.csv")).unwrap();
    assert_eq!(
        manifest,
        [
            &b"index,path,label,class_name\n0,cl\xe9/x.png,0,cl"[..],
            "\u{fffd}\n".as_bytes()
        ]
        .concat()
    );
}

#[test]
fn an_unreadable_file_is_skipped_with_the_os_reason() {
    // Permissions do not stop root (CI runs as root), but some files cannot be read by anyone:
    // reading /proc/self/mem at offset 0 fails with EIO. A symlink named like an image points at it.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    save(&data, "a/0_good.png", &pattern(4, 3, 0));
    std::os::unix::fs::symlink("/proc/self/mem", data.join("a/1_unreadable.png")).unwrap();
    let out = dir.path().join("out");
    let stderr = batchscope_ok(&[
        "export",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        stderr.contains("skipped \"a/1_unreadable.png\": cannot read file: Input/output error"),
        "{stderr}"
    );
    assert_eq!(read_npy(&out.join("images.npy")).shape, [1, 3, 4, 3]);
}
