//! Time per image of the bilinear resize into a batch slot, single thread:
//! `cargo run --release --example resize_bench`.
//!
//! Shapes: the export benchmark's 256x256 RGB to 128x128 (an even whole-number ratio, which takes
//! the exact midpoint shortcut), an upscale (160x160 to 256x256), a ratio that is not a whole
//! number (375x500 to 224x224, an `ImageNet` photo's size), grayscale and RGBA. Prints the best of five
//! rounds in microseconds per image and nanoseconds per output value.

use std::hint::black_box;
use std::time::Instant;

use batchscope::load::resize::{View, resize_into_until};
use batchscope::options::Interpolation;

fn main() {
    println!("| input | output | µs per image | ns per output value |");
    println!("|---|---|---:|---:|");
    for (h, w, c, out_h, out_w) in [
        (256, 256, 3, 128, 128),
        (160, 160, 3, 256, 256),
        (375, 500, 3, 224, 224),
        (256, 256, 1, 128, 128),
        (375, 500, 1, 224, 224),
        (256, 256, 4, 128, 128),
    ] {
        let mut seed = 1u32;
        let pixels: Vec<u8> = (0..h * w * c)
            .map(|_| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (seed >> 24) as u8
            })
            .collect();
        let src = View {
            pixels: &pixels,
            height: h,
            width: w,
            channels: c,
        };
        let mut out = vec![0f32; out_h * out_w * c];
        let reps = 2_000_000 / (out_h * out_w);
        let mut best = f64::MAX;
        for _ in 0..5 {
            let started = Instant::now();
            for _ in 0..reps {
                resize_into_until(
                    black_box(src),
                    &mut out,
                    out_h,
                    out_w,
                    Interpolation::Bilinear,
                    &|| false,
                );
                black_box(&out);
            }
            #[allow(clippy::cast_precision_loss)]
            let per = started.elapsed().as_secs_f64() / reps as f64;
            best = best.min(per);
        }
        #[allow(clippy::cast_precision_loss)]
        let per_value = best * 1e9 / out.len() as f64;
        println!(
            "| {h}x{w}x{c} | {out_h}x{out_w} | {:.1} | {per_value:.2} |",
            best * 1e6
        );
    }
}
