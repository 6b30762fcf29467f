//! COCO's masks as pycocotools reads them: run-length encodings (the counts list, or the compressed
//! string of `maskApi.c`'s `rleToString`), and polygons rasterised by a port of `rleFrPoly` (the
//! outline walked at 5x resolution, each column's crossings rounded to pixel centres), so that a
//! polygon covers the pixels `annToMask` gives it. An object's rings are joined (a union, as
//! `annToRLE` merges them), and objects are painted in order, each over the ones before.
//!
//! Checked by hand against pycocotools 2.0.11 (not a dependency of the tests): 3,000 random polygons
//! (1 to 60 pixels a side, 3 to 12 vertices, concave, partly outside the image, integer and
//! half-integer vertices among them) gave identical masks, and 1,000 compressed strings of random
//! masks decoded to the runs numpy counts.

use super::{ClassMap, Objects};
use crate::size::Size;

/// The counts of a compressed RLE string (`rleFrString`): 6-bit groups from `'0'`, 5 bits of value
/// each and a continuation bit, the last group's top value bit the sign; from the third count on,
/// each is stored as the difference from the count two before.
pub fn decode_counts(text: &str) -> Result<Vec<u32>, String> {
    let bytes = text.as_bytes();
    let mut counts: Vec<u32> = Vec::with_capacity(bytes.len());
    let mut p = 0;
    while p < bytes.len() {
        let (mut x, mut k, mut more) = (0i64, 0u32, true);
        while more {
            let Some(&byte) = bytes.get(p) else {
                return Err("compressed RLE counts end inside a number".to_owned());
            };
            let c = i64::from(byte) - 48;
            if !(0..64).contains(&c) || k > 12 {
                return Err(format!(
                    "compressed RLE counts hold {:?} at {p}",
                    char::from(byte)
                ));
            }
            x |= (c & 0x1f) << (5 * k);
            more = c & 0x20 != 0;
            p += 1;
            k += 1;
            if !more && c & 0x10 != 0 {
                x |= -1i64 << (5 * k);
            }
        }
        if counts.len() > 2 {
            x += i64::from(counts[counts.len() - 2]);
        }
        let count = u32::try_from(x)
            .map_err(|_| format!("compressed RLE count {} is {x}", counts.len()))?;
        counts.push(count);
    }
    Ok(counts)
}

/// How many steps of [`polygon_counts`]' outline walk (one per 1/5 pixel along the longer axis of
/// each edge, plus one per edge) the polygons of one image may take in all, per pixel of the image.
///
/// The walk's time grows with the outline's length, whatever the image's size, so a hostile file
/// could make one image take minutes. 32 is over any outline a mask can need: outlining every
/// pixel of the image as its own square takes 24 steps per pixel (four edges of 5 + 1), and a
/// real annotation's outline is a small fraction of that.
pub const MAX_WALK_STEPS_PER_PIXEL: u64 = 32;

/// The least walk an image's polygons may take (see [`MAX_WALK_STEPS_PER_PIXEL`]), whatever its
/// size: a tiny image's polygon may still be a detailed one drawn partly outside it (a million
/// steps is a few milliseconds).
pub const MIN_WALK_STEPS: u64 = 1 << 20;

/// How many steps the polygons of an `h` x `w` image may walk in all (see
/// [`MAX_WALK_STEPS_PER_PIXEL`]).
pub fn walk_budget(h: u32, w: u32) -> u64 {
    (u64::from(h) * u64::from(w))
        .saturating_mul(MAX_WALK_STEPS_PER_PIXEL)
        .max(MIN_WALK_STEPS)
}

/// One polygon ring (`[x0, y0, x1, y1, ...]`, pixels) as RLE counts of an `h` x `w` image: a port of
/// pycocotools' `rleFrPoly`, integer for integer, that walks the outline without storing it.
///
/// Refused (the reason says why), before any work that grows with the polygon's coordinates: a
/// vertex that is not finite or lies more than the image's own size beyond its edges (x outside
/// `-w..=2w`, y outside `-h..=2h`: pycocotools would walk, and allocate, every 1/5 pixel out to it,
/// and whatever lies that far outside paints nothing), and an outline whose walk would take more
/// than the `budget` of steps left (which the walk then spends; see [`walk_budget`]).
// The port compares floats exactly, as the C does; the casts are C's, on values the bounds keep
// within range.
#[allow(clippy::cast_possible_wrap, clippy::float_cmp)]
pub fn polygon_counts(xy: &[f64], h: u32, w: u32, budget: &mut u64) -> Result<Vec<u32>, String> {
    let pixels = u32::try_from(u64::from(h) * u64::from(w)).map_err(|_| {
        format!("a {h}x{w} image has more pixels than RLE counts (32-bit) can hold")
    })?;
    let scale = 5.0;
    let k = xy.len() / 2;
    if k == 0 || pixels == 0 {
        return Ok(vec![pixels]);
    }
    let (hf, wf) = (f64::from(h), f64::from(w));
    if let Some(vertex) = xy[..2 * k]
        .chunks_exact(2)
        .find(|p| !(-wf..=2.0 * wf).contains(&p[0]) || !(-hf..=2.0 * hf).contains(&p[1]))
    {
        let (x, y) = (vertex[0], vertex[1]);
        return Err(if x.is_finite() && y.is_finite() {
            format!(
                "has a vertex ({x:?}, {y:?}) more than the image's own size outside the {h}x{w} image"
            )
        } else {
            format!("has a vertex ({x:?}, {y:?}) that is not two finite numbers")
        });
    }
    // C's `(int)(v + .5)`: truncation toward zero. Vertex k is vertex 0 again.
    let at = |j: usize| {
        let j = j % k;
        (
            (scale * xy[j * 2] + 0.5) as i64,
            (scale * xy[j * 2 + 1] + 0.5) as i64,
        )
    };
    let steps = (0..k).fold(0u64, |sum, j| {
        let ((xs, ys), (xe, ye)) = (at(j), at(j + 1));
        sum.saturating_add((xe - xs).unsigned_abs().max((ye - ys).unsigned_abs()) + 1)
    });
    if steps > *budget {
        return Err(format!(
            "has an outline of {steps} steps at 5x, over the {budget} left of the walk the {h}x{w} image allows ({MAX_WALK_STEPS_PER_PIXEL} per pixel, at least {MIN_WALK_STEPS})",
            budget = *budget
        ));
    }
    *budget -= steps;
    let mut crossings = Crossings {
        starts: Vec::new(),
        previous: None,
        h: i64::from(h),
        wf,
        hf,
    };
    for j in 0..k {
        let ((mut xs, mut ys), (mut xe, mut ye)) = (at(j), at(j + 1));
        let (dx, dy) = ((xe - xs).abs(), (ys - ye).abs());
        let flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
        if flip {
            std::mem::swap(&mut xs, &mut xe);
            std::mem::swap(&mut ys, &mut ye);
        }
        if dx >= dy {
            let s = if dx == 0 {
                0.0
            } else {
                (ye - ys) as f64 / dx as f64
            };
            for d in 0..=dx {
                let t = if flip { dx - d } else { d };
                crossings.point(t + xs, (ys as f64 + s * t as f64 + 0.5) as i64);
            }
        } else {
            let s = (xe - xs) as f64 / dy as f64;
            for d in 0..=dy {
                let t = if flip { dy - d } else { d };
                crossings.point((xs as f64 + s * t as f64 + 0.5) as i64, t + ys);
            }
        }
    }
    let mut a = crossings.starts;
    a.push(i64::from(pixels));
    a.sort_unstable();
    let mut previous = 0;
    for value in &mut a {
        let t = *value;
        *value -= previous;
        previous = t;
    }
    // Each difference lies in 0..=h*w, which fits a u32 (checked above), and so does each sum of
    // them (they add up to h*w).
    let mut counts: Vec<u32> = vec![a[0] as u32];
    let mut j = 1;
    while j < a.len() {
        if a[j] > 0 {
            counts.push(a[j] as u32);
            j += 1;
        } else {
            j += 1;
            if j < a.len() {
                if let Some(last) = counts.last_mut() {
                    *last += a[j] as u32;
                }
                j += 1;
            }
        }
    }
    Ok(counts)
}

/// The points where an outline, given point by point at 5x resolution, crosses a column's centre,
/// downsampled to the pixel where each run starts (column-major), as `rleFrPoly` finds them.
struct Crossings {
    starts: Vec<i64>,
    previous: Option<(i64, i64)>,
    h: i64,
    hf: f64,
    wf: f64,
}

impl Crossings {
    // As in `polygon_counts`: C's exact comparisons.
    #[allow(clippy::float_cmp)]
    fn point(&mut self, u: i64, v: i64) {
        let Some((pu, pv)) = self.previous.replace((u, v)) else {
            return;
        };
        if u == pu {
            return;
        }
        let xd = (if u < pu { u } else { u - 1 }) as f64;
        let xd = (xd + 0.5) / 5.0 - 0.5;
        if xd.floor() != xd || xd < 0.0 || xd > self.wf - 1.0 {
            return;
        }
        let yd = (if v < pv { v } else { pv }) as f64;
        let yd = ((yd + 0.5) / 5.0 - 0.5).clamp(0.0, self.hf).ceil();
        self.starts.push(xd as i64 * self.h + yd as i64);
    }
}

/// Sets `value` on the pixels of `values` (row-major, `size`) that column-major RLE `counts` cover.
fn paint_counts(values: &mut [u8], size: Size, counts: &[u32], value: u8) {
    let (h, w) = (size.height as usize, size.width as usize);
    let mut at = 0usize;
    for (i, &count) in counts.iter().enumerate() {
        let end = (at + count as usize).min(h * w);
        if i % 2 == 1 {
            for p in at..end {
                values[(p % h) * w + p / h] = value;
            }
        }
        at = end;
    }
}

/// One object's mask, as COCO states it.
enum Shape<'a> {
    Rings(&'a [Vec<f64>]),
    Counts(u32, u32, &'a [u32]),
}

/// Polygons and run-length encodings painted in object order at `original` size (an RLE of
/// another size, or whose counts do not cover it, and a polygon [`polygon_counts`] refuses, are
/// refused by object number).
pub fn paint(
    polygons: &[(usize, Vec<Vec<f64>>)],
    runs: &[(usize, u32, u32, Vec<u32>)],
    objects: &Objects,
    original: Size,
) -> Result<ClassMap, String> {
    let (h, w) = (original.height, original.width);
    let mut shapes: Vec<(usize, Shape<'_>)> = polygons
        .iter()
        .map(|(n, rings)| (*n, Shape::Rings(rings)))
        .chain(
            runs.iter()
                .map(|(n, rh, rw, counts)| (*n, Shape::Counts(*rh, *rw, counts))),
        )
        .collect();
    shapes.sort_by_key(|(n, _)| *n);
    let mut values = vec![0u8; h as usize * w as usize];
    let mut budget = walk_budget(h, w);
    for (n, shape) in shapes {
        let value = objects
            .objects
            .get(n)
            .map_or(0, |o| o.class.saturating_add(1).min(255) as u8);
        match shape {
            Shape::Rings(rings) => {
                for (r, ring) in rings.iter().enumerate() {
                    let counts = polygon_counts(ring, h, w, &mut budget)
                        .map_err(|reason| format!("object {n}'s polygon {r} {reason}"))?;
                    paint_counts(&mut values, original, &counts, value);
                }
            }
            Shape::Counts(rh, rw, counts) => {
                if (rh, rw) != (h, w) {
                    return Err(format!(
                        "object {n}'s RLE mask is {rh}x{rw} but its image is {original}"
                    ));
                }
                let covered: u64 = counts.iter().map(|&c| u64::from(c)).sum();
                if covered != u64::from(h) * u64::from(w) {
                    return Err(format!(
                        "object {n}'s RLE counts cover {covered} pixels, not {h}x{w}"
                    ));
                }
                paint_counts(&mut values, original, counts, value);
            }
        }
    }
    Ok(ClassMap {
        size: original,
        values,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::annotations::{BoxXyxy, Object};

    fn decoded(counts: &[u32], h: u32, w: u32) -> Vec<u8> {
        let mut values = vec![0; (h * w) as usize];
        paint_counts(
            &mut values,
            Size {
                height: h,
                width: w,
            },
            counts,
            1,
        );
        values
    }

    #[test]
    fn compressed_strings_decode_as_pycocotools_writes_them() {
        // Runs [2, 3, 1, 1] write as '2', '3', '1', then 1 - 3 = -2 as 'N' (0x1e, sign bit set).
        assert_eq!(decode_counts("231N").unwrap(), vec![2, 3, 1, 1]);
        assert_eq!(decode_counts("").unwrap(), Vec::<u32>::new());
        // 100 = 0b11_00100: low group 4 | continuation, then 3.
        assert_eq!(decode_counts("T3").unwrap(), vec![100]);
        assert!(decode_counts("0O").unwrap_err().contains("is -1"));
        assert!(decode_counts("\u{7f}").is_err());
        assert!(decode_counts("T").unwrap_err().contains("end inside"));
    }

    #[test]
    fn a_rectangle_covers_the_pixels_whose_centres_it_holds() {
        // pycocotools: frPyObjects([[1,1, 3,1, 3,3, 1,3]], 5, 5) covers rows 1..3 and columns
        // 1..3 (the right and bottom edges, on pixel borders, take the pixel before them).
        let counts = polygon_counts(
            &[1.0, 1.0, 3.0, 1.0, 3.0, 3.0, 1.0, 3.0],
            5,
            5,
            &mut walk_budget(5, 5),
        )
        .unwrap();
        assert_eq!(counts.iter().sum::<u32>(), 25);
        let mask = decoded(&counts, 5, 5);
        let rows: Vec<&[u8]> = mask.chunks(5).collect();
        assert_eq!(rows[0], [0, 0, 0, 0, 0]);
        assert_eq!(rows[1], [0, 1, 1, 0, 0]);
        assert_eq!(rows[2], [0, 1, 1, 0, 0]);
        assert_eq!(rows[3], [0, 0, 0, 0, 0]);
    }

    #[test]
    fn objects_paint_in_order_and_rle_must_fit() {
        let object = |class| Object {
            bbox: BoxXyxy::default(),
            class,
            crowd: false,
        };
        let objects = Objects {
            objects: vec![object(4), object(1)],
            ..Objects::default()
        };
        let size = Size {
            height: 2,
            width: 3,
        };
        // Object 1 (class 1) is RLE: column-major 2 background, 3 object, 1 background.
        let runs = vec![(1, 2, 3, vec![2, 3, 1])];
        let polygons = vec![(0, vec![vec![0.0, 0.0, 3.0, 0.0, 3.0, 2.0, 0.0, 2.0]])];
        let map = paint(&polygons, &runs, &objects, size).unwrap();
        assert_eq!(map.values, vec![5, 2, 2, 5, 2, 5]);
        let wrong = paint(&[], &[(0, 3, 3, vec![9])], &objects, size).unwrap_err();
        assert!(wrong.contains("3x3 but its image is"), "{wrong}");
        let short = paint(&[], &[(0, 2, 3, vec![2, 3])], &objects, size).unwrap_err();
        assert!(short.contains("cover 5 pixels"), "{short}");
    }

    /// The port as it was first written and checked against pycocotools: the whole outline stored
    /// (`rleFrPoly`'s `u` and `v`), then its column crossings found. The walk that stores nothing
    /// must give the same counts.
    #[allow(clippy::cast_possible_wrap, clippy::float_cmp)]
    fn stored_outline_counts(xy: &[f64], h: u32, w: u32) -> Vec<u32> {
        let k = xy.len() / 2;
        let x: Vec<i64> = (0..=k)
            .map(|j| (5.0 * xy[(j % k) * 2] + 0.5) as i64)
            .collect();
        let y: Vec<i64> = (0..=k)
            .map(|j| (5.0 * xy[(j % k) * 2 + 1] + 0.5) as i64)
            .collect();
        let (mut u, mut v) = (Vec::new(), Vec::new());
        for j in 0..k {
            let (mut xs, mut xe, mut ys, mut ye) = (x[j], x[j + 1], y[j], y[j + 1]);
            let (dx, dy) = ((xe - xs).abs(), (ys - ye).abs());
            let flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
            if flip {
                std::mem::swap(&mut xs, &mut xe);
                std::mem::swap(&mut ys, &mut ye);
            }
            let long = dx.max(dy);
            let s = if dx >= dy {
                if dx == 0 {
                    0.0
                } else {
                    (ye - ys) as f64 / dx as f64
                }
            } else {
                (xe - xs) as f64 / dy as f64
            };
            for d in 0..=long {
                let t = if flip { long - d } else { d };
                let slanted = |from: i64| (from as f64 + s * t as f64 + 0.5) as i64;
                if dx >= dy {
                    u.push(t + xs);
                    v.push(slanted(ys));
                } else {
                    v.push(t + ys);
                    u.push(slanted(xs));
                }
            }
        }
        let (hf, wf) = (f64::from(h), f64::from(w));
        let mut a: Vec<i64> = Vec::new();
        for j in 1..u.len() {
            if u[j] == u[j - 1] {
                continue;
            }
            let xd = (if u[j] < u[j - 1] { u[j] } else { u[j] - 1 }) as f64;
            let xd = (xd + 0.5) / 5.0 - 0.5;
            if xd.floor() != xd || xd < 0.0 || xd > wf - 1.0 {
                continue;
            }
            let yd = (if v[j] < v[j - 1] { v[j] } else { v[j - 1] }) as f64;
            let yd = ((yd + 0.5) / 5.0 - 0.5).clamp(0.0, hf).ceil();
            a.push(xd as i64 * i64::from(h) + yd as i64);
        }
        a.push(i64::from(h) * i64::from(w));
        a.sort_unstable();
        let mut previous = 0;
        for value in &mut a {
            let t = *value;
            *value -= previous;
            previous = t;
        }
        let mut counts: Vec<u32> = vec![a[0] as u32];
        let mut j = 1;
        while j < a.len() {
            if a[j] > 0 {
                counts.push(a[j] as u32);
                j += 1;
            } else {
                j += 1;
                if j < a.len() {
                    *counts.last_mut().unwrap() += a[j] as u32;
                    j += 1;
                }
            }
        }
        counts
    }

    #[test]
    fn the_walk_that_stores_nothing_counts_as_the_stored_outline_did() {
        // xorshift64: random polygons of 3 to 12 vertices on quarter pixels, from the image's own
        // size outside it on every side (the bound) to inside, concave and self-crossing among them.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        for case in 0..3000 {
            let (h, w) = (1 + next(40) as u32, 1 + next(40) as u32);
            let k = 3 + next(10) as usize;
            let within = |side: u32, r: u64| f64::from(side) * (r as f64 / 400.0 * 3.0 - 1.0);
            let xy: Vec<f64> = (0..k)
                .flat_map(|_| [within(w, next(401)), within(h, next(401))])
                .map(|v| (v * 4.0).round() / 4.0)
                .collect();
            let mut budget = walk_budget(h, w);
            assert_eq!(
                polygon_counts(&xy, h, w, &mut budget).unwrap(),
                stored_outline_counts(&xy, h, w),
                "case {case}: {h}x{w} {xy:?}"
            );
        }
    }

    #[test]
    fn polygons_far_outside_the_image_or_not_finite_are_refused_before_the_walk() {
        let mut budget = walk_budget(6, 8);
        let far = polygon_counts(&[0.0, 0.0, 1e9, 0.0, 0.0, 10.0], 6, 8, &mut budget);
        assert_eq!(
            far.unwrap_err(),
            "has a vertex (1000000000.0, 0.0) more than the image's own size outside the 6x8 image"
        );
        let both_ways = polygon_counts(&[-1e300, 0.0, 1e300, 0.0, 0.0, 10.0], 6, 8, &mut budget);
        assert!(both_ways.unwrap_err().contains("vertex (-1e300, 0.0) more"));
        let nan = polygon_counts(&[0.0, 0.0, 4.0, f64::NAN, 0.0, 5.0], 6, 8, &mut budget);
        assert_eq!(
            nan.unwrap_err(),
            "has a vertex (4.0, NaN) that is not two finite numbers"
        );
        let inf = polygon_counts(&[f64::INFINITY, 0.0, 4.0, 1.0, 0.0, 5.0], 6, 8, &mut budget);
        assert!(inf.unwrap_err().contains("(inf, 0.0) that is not"));
        // Nothing refused spends any of the budget.
        assert_eq!(budget, walk_budget(6, 8));
        // At the bound (the image's own size beyond each edge) a rectangle still paints: every
        // pixel.
        let around = [-8.0, -6.0, 16.0, -6.0, 16.0, 12.0, -8.0, 12.0];
        let counts = polygon_counts(&around, 6, 8, &mut budget).unwrap();
        assert_eq!(counts, [0, 48]);
        assert_eq!(counts, stored_outline_counts(&around, 6, 8));
        let past = [-8.0, -6.0, 16.25, -6.0, 16.0, 12.0];
        assert!(polygon_counts(&past, 6, 8, &mut budget).is_err());
    }

    #[test]
    fn an_images_polygons_share_one_walk_budget() {
        // A 6x8 image may walk 2^20 steps (more than 32 per pixel). A zigzag across it walks
        // 5 * 8 + 1 = 41 steps an edge (plus the closing edge).
        assert_eq!(walk_budget(6, 8), MIN_WALK_STEPS);
        assert_eq!(walk_budget(1000, 2000), 64_000_000);
        let zigzag = |edges: usize| -> Vec<f64> {
            (0..=edges)
                .flat_map(|i| if i % 2 == 0 { [0.0, 0.0] } else { [8.0, 5.0] })
                .collect()
        };
        let mut budget = walk_budget(6, 8);
        polygon_counts(&zigzag(20_000), 6, 8, &mut budget).unwrap();
        assert_eq!(budget, MIN_WALK_STEPS - 20_000 * 41 - 1);
        let over = polygon_counts(&zigzag(10_000), 6, 8, &mut budget).unwrap_err();
        assert_eq!(
            over,
            format!(
                "has an outline of 410001 steps at 5x, over the {} left of the walk the 6x8 image allows (32 per pixel, at least 1048576)",
                MIN_WALK_STEPS - 20_000 * 41 - 1
            )
        );
        // Through `paint`, the refusal names the object and ring.
        let object = Object {
            bbox: BoxXyxy::default(),
            class: 0,
            crowd: false,
        };
        let objects = Objects {
            objects: vec![object, object],
            ..Objects::default()
        };
        let size = Size {
            height: 6,
            width: 8,
        };
        let polygons = vec![
            (0, vec![zigzag(20_000)]),
            (1, vec![vec![0.0, 0.0, 2.0, 0.0, 2.0, 2.0], zigzag(10_000)]),
        ];
        let why = paint(&polygons, &[], &objects, size).unwrap_err();
        assert!(
            why.starts_with("object 1's polygon 1 has an outline of 410001 steps"),
            "{why}"
        );
        let far = vec![(0, vec![vec![0.0, 0.0, 1e9, 0.0, 0.0, 10.0]])];
        assert_eq!(
            paint(&far, &[], &objects, size).unwrap_err(),
            "object 0's polygon 0 has a vertex (1000000000.0, 0.0) more than the image's own size outside the 6x8 image"
        );
    }

    #[test]
    fn an_image_whose_pixels_overflow_rle_counts_is_refused() {
        let why =
            polygon_counts(&[0.0, 0.0, 1.0, 0.0, 1.0, 1.0], 70_000, 70_000, &mut 1).unwrap_err();
        assert_eq!(
            why,
            "a 70000x70000 image has more pixels than RLE counts (32-bit) can hold"
        );
        assert_eq!(polygon_counts(&[], 3, 4, &mut 0).unwrap(), [12]);
    }
}
