//! Generates the bundled sample dataset (`assets/sample/<class>/*.png`) and the app icon
//! (`assets/icon.png`). Run from the repository root: `cargo run --example make_sample`.
//! Four classes of clearly different drawn pictures, 12 images each, 64x64, a few KB apiece.

#![allow(clippy::cast_possible_wrap)] // Small pixel coordinates (< 64).

use image::{Rgb, RgbImage, Rgba, RgbaImage};

const SIZE: u32 = 64;
const PER_CLASS: u32 = 12;

/// A small deterministic generator (xorshift) so the sample is reproducible byte for byte.
struct Rng(u32);

impl Rng {
    fn next(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0
    }
    fn range(&mut self, lo: u32, hi: u32) -> u32 {
        lo + self.next() % (hi - lo)
    }
    fn color(&mut self) -> Rgb<u8> {
        Rgb([
            self.range(60, 256) as u8,
            self.range(60, 256) as u8,
            self.range(60, 256) as u8,
        ])
    }
}

fn background(rng: &mut Rng) -> RgbImage {
    let base = rng.range(10, 50) as u8;
    RgbImage::from_fn(SIZE, SIZE, |x, y| {
        Rgb([base, base + (y / 8) as u8, base + (x / 8) as u8])
    })
}

fn circle(rng: &mut Rng) -> RgbImage {
    let mut img = background(rng);
    let (cx, cy, r) = (
        rng.range(20, 44) as i32,
        rng.range(20, 44) as i32,
        rng.range(8, 20) as i32,
    );
    let color = rng.color();
    for (x, y, p) in img.enumerate_pixels_mut() {
        let (dx, dy) = (x as i32 - cx, y as i32 - cy);
        if dx * dx + dy * dy <= r * r {
            *p = color;
        }
    }
    img
}

fn square(rng: &mut Rng) -> RgbImage {
    let mut img = background(rng);
    let (x0, y0, s) = (rng.range(4, 30), rng.range(4, 30), rng.range(14, 30));
    let color = rng.color();
    for (x, y, p) in img.enumerate_pixels_mut() {
        if (x0..x0 + s).contains(&x) && (y0..y0 + s).contains(&y) {
            *p = color;
        }
    }
    img
}

fn stripes(rng: &mut Rng) -> RgbImage {
    let mut img = background(rng);
    let (period, width) = (rng.range(6, 14), rng.range(2, 5));
    let diagonal = rng.next().is_multiple_of(2);
    let color = rng.color();
    for (x, y, p) in img.enumerate_pixels_mut() {
        let t = if diagonal { x + y } else { x };
        if t % period < width {
            *p = color;
        }
    }
    img
}

fn triangle(rng: &mut Rng) -> RgbImage {
    let mut img = background(rng);
    let (cx, top, h) = (
        rng.range(24, 40) as i32,
        rng.range(6, 20) as i32,
        rng.range(20, 40) as i32,
    );
    let color = rng.color();
    for (x, y, p) in img.enumerate_pixels_mut() {
        let (x, y) = (x as i32, y as i32);
        let dy = y - top;
        if (0..h).contains(&dy) && (x - cx).abs() * 2 <= dy {
            *p = color;
        }
    }
    img
}

/// Draws one picture of a class.
type Draw = fn(&mut Rng) -> RgbImage;

fn icon() -> RgbaImage {
    // A 3x3 grid of coloured tiles: a batch of images.
    let colors = [
        [230, 90, 80],
        [90, 180, 230],
        [240, 200, 80],
        [120, 200, 120],
    ];
    RgbaImage::from_fn(64, 64, |x, y| {
        let (cx, cy) = (x % 21, y % 21);
        if cx < 2 || cy < 2 || x > 62 || y > 62 {
            Rgba([0, 0, 0, 0])
        } else {
            let c = colors[((x / 21 + y / 21 * 3) % 4) as usize];
            Rgba([c[0], c[1], c[2], 255])
        }
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::path::Path::new("assets/sample");
    let classes: [(&str, Draw); 4] = [
        ("circles", circle),
        ("squares", square),
        ("stripes", stripes),
        ("triangles", triangle),
    ];
    let mut rng = Rng(0x1234_5678);
    for (name, draw) in classes {
        std::fs::create_dir_all(root.join(name))?;
        for i in 0..PER_CLASS {
            draw(&mut rng).save(root.join(name).join(format!("{name}_{i:02}.png")))?;
        }
    }
    icon().save("assets/icon.png")?;
    println!(
        "wrote {} images to {} and assets/icon.png",
        4 * PER_CLASS,
        root.display()
    );
    Ok(())
}
