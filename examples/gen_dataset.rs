//! Generates synthetic dataset folders for benchmarks and manual checks.
//!
//! `cargo run --release --example gen_dataset -- OUT [--classes N] [--per-class M] [--size HxW]
//!  [--format jpg|png|mixed] [--long-names] [--tiny]`
//!
//! Images are photo-like (gradients, edges and noise), since decode cost depends on content.
//! `--format mixed` varies size, format and colour mode per file (JPEG, gray PNG, RGBA PNG, 16-bit
//! PNG, GIF, BMP). `--tiny` writes 1x1 PNGs (for indexing benchmarks of many files).

use std::path::{Path, PathBuf};

use image::{DynamicImage, ImageBuffer, Rgb, RgbImage};
use rayon::prelude::*;

struct Args {
    out: PathBuf,
    classes: usize,
    per_class: usize,
    size: (u32, u32),
    format: String,
    long_names: bool,
    tiny: bool,
}

fn parse() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(args.next().ok_or("usage: gen_dataset OUT [options]")?);
    let mut parsed = Args {
        out,
        classes: 10,
        per_class: 100,
        size: (256, 256),
        format: "jpg".into(),
        long_names: false,
        tiny: false,
    };
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--classes" => {
                parsed.classes = value()?.parse().map_err(|e| format!("--classes: {e}"))?;
            }
            "--per-class" => {
                parsed.per_class = value()?.parse().map_err(|e| format!("--per-class: {e}"))?;
            }
            "--size" => parsed.size = batchscope::cli::parse_image_size(&value()?)?,
            "--format" => parsed.format = value()?,
            "--long-names" => parsed.long_names = true,
            "--tiny" => parsed.tiny = true,
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(parsed)
}

/// Photo-like content: smooth gradients, a diagonal edge, a blob, and hash noise.
fn photo(w: u32, h: u32, seed: u64) -> RgbImage {
    let s = seed as u32;
    let (cx, cy) = (
        (s.wrapping_mul(2_654_435_761) % w.max(1)) as f32,
        (s.wrapping_mul(40_503) % h.max(1)) as f32,
    );
    ImageBuffer::from_fn(w, h, |x, y| {
        let hash =
            (x.wrapping_mul(73_856_093) ^ y.wrapping_mul(19_349_663) ^ s.wrapping_mul(83_492_791))
                % 37;
        let dx = x as f32 - cx;
        let dy = y as f32 - cy;
        let blob = (-(dx * dx + dy * dy) / (w as f32 * h as f32 / 10.0)).exp() * 120.0;
        let r = (x * 200 / w.max(1) + hash) as f32 + blob;
        let g = (y * 180 / h.max(1) + (s % 50)) as f32 + blob * 0.5;
        let b = if x * h > y * w { 170.0 } else { 60.0 } + hash as f32;
        Rgb([r.min(255.0) as u8, g.min(255.0) as u8, b.min(255.0) as u8])
    })
}

fn class_name(c: usize, long: bool) -> String {
    if long {
        format!("class_{c:03}_a_rather_long_descriptive_name_for_a_category_of_images")
    } else {
        format!("class_{c:03}")
    }
}

fn write_one(dir: &Path, i: usize, seed: u64, args: &Args) -> image::ImageResult<()> {
    if args.tiny {
        return RgbImage::from_pixel(1, 1, Rgb([i as u8, 0, 0]))
            .save(dir.join(format!("{i:06}.png")));
    }
    let (h, w) = args.size;
    match args.format.as_str() {
        "png" => photo(w, h, seed).save(dir.join(format!("{i:06}.png"))),
        "mixed" => {
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
        _ => {
            // Quality 90, as the benchmark's reference measurements used.
            let file =
                std::io::BufWriter::new(std::fs::File::create(dir.join(format!("{i:06}.jpg")))?);
            image::codecs::jpeg::JpegEncoder::new_with_quality(file, 90)
                .encode_image(&photo(w, h, seed))
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse()?;
    for c in 0..args.classes {
        std::fs::create_dir_all(args.out.join(class_name(c, args.long_names)))?;
    }
    (0..args.classes * args.per_class)
        .into_par_iter()
        .try_for_each(|n| {
            let (c, i) = (n / args.per_class, n % args.per_class);
            write_one(
                &args.out.join(class_name(c, args.long_names)),
                i,
                n as u64,
                &args,
            )
        })?;
    println!(
        "wrote {} images in {} classes to {}",
        args.classes * args.per_class,
        args.classes,
        args.out.display()
    );
    Ok(())
}
