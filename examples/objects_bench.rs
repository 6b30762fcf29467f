//! The annotation checks' benchmark (issue 25): health's object checks, the plotted box shapes and
//! the Gallery/`list` object filters on a synthetic annotated index of 1,000,000 boxes, with no
//! image decoded (the decoded sizes are given, as the health pass gives them). Two layouts: 100,000
//! images of 10 boxes, and 1,000 crowded images of 1,000 boxes (the duplicate sweep's worst
//! realistic case). About 1% of boxes are planted flaws of each kind, and 2% near copies.
//!
//! `cargo run --release --example objects_bench -- [--boxes N]`
//!
//! Prints, per layout, the best of 5 runs of each step and what it found.

#![allow(clippy::unwrap_used, clippy::cast_precision_loss)] // A measuring script: a failure is a failed run.

use std::sync::Arc;
use std::time::Instant;

use batchscope::health::{Entry, SampleHealth, Scan, objects};
use batchscope::index::{DatasetIndex, Sample};
use batchscope::options::PlanOptions;
use batchscope::query::{CountRange, Edits, Query, SortKey, Table};
use batchscope::size::Size;
use batchscope::source::annotations::{BoxXyxy, Object, ObjectClasses, Objects, Units};

#[path = "common/timing.rs"]
mod timing;
use timing::{best_of, mix};

fn unit(i: u64, salt: u64) -> f64 {
    (mix(i ^ (salt << 40)) >> 11) as f64 / (1u64 << 53) as f64
}

const CLASSES: u32 = 80;
const SIZE: Size = Size {
    height: 480,
    width: 640,
};

/// `images` images of `per_image` boxes each, in pixels of 640x480, with flaws planted.
fn scan(images: usize, per_image: usize) -> Scan {
    let mut n = 0u64;
    let samples = (0..images)
        .map(|i| {
            let mut list: Vec<Object> = Vec::with_capacity(per_image);
            for _ in 0..per_image {
                n += 1;
                let (w, h) = (8.0 + unit(n, 1) * 200.0, 8.0 + unit(n, 2) * 200.0);
                let (x, y) = (unit(n, 3) * (640.0 - w), unit(n, 4) * (480.0 - h));
                let mut bbox = BoxXyxy {
                    xmin: x,
                    ymin: y,
                    xmax: x + w,
                    ymax: y + h,
                };
                let class = (mix(n ^ 0x77) % u64::from(CLASSES)) as u32;
                match mix(n ^ 0xF1A) % 100 {
                    0 => bbox.xmax = bbox.xmin - 1.0,
                    1 => bbox.ymax = bbox.ymin,
                    2 => bbox.xmax += 700.0,
                    3 => bbox.xmax = bbox.xmin + 2.0,
                    4 | 5 if !list.is_empty() => {
                        let previous = list[list.len() - 1];
                        list.push(Object {
                            bbox: BoxXyxy {
                                ymax: previous.bbox.ymax + 0.5,
                                ..previous.bbox
                            },
                            ..previous
                        });
                        continue;
                    }
                    _ => {}
                }
                list.push(Object {
                    bbox,
                    class,
                    crowd: false,
                });
            }
            Sample {
                objects: Some(Arc::new(Objects {
                    objects: list,
                    units: Units::Pixels,
                    stated_size: Some(SIZE),
                    mask: None,
                })),
                ..Sample::new(format!("images/{i:07}.jpg"), None)
            }
        })
        .collect();
    let index = DatasetIndex {
        samples,
        object_classes: Some(ObjectClasses::from_ids(1..=i64::from(CLASSES), |_| None)),
        ..DatasetIndex::default()
    };
    let entries = (0..images)
        .map(|sample| Entry {
            sample,
            subset: None,
            health: Some(SampleHealth {
                width: SIZE.width,
                height: SIZE.height,
                ..SampleHealth::default()
            }),
            exact_key: 0,
        })
        .collect();
    Scan {
        index: Arc::new(index),
        entries,
        failures: Vec::new(),
        shape: batchscope::load::preprocess::Shape::default(),
        split: false,
        cached: 0,
        notes: Vec::new(),
        color_modes: Vec::new(),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let boxes: usize = args
        .iter()
        .position(|a| a == "--boxes")
        .and_then(|i| args.get(i + 1))
        .map_or(1_000_000, |v| v.parse().unwrap());
    for per_image in [10, 1000] {
        let images = boxes / per_image;
        let built = Instant::now();
        let scan = scan(images, per_image);
        println!(
            "\n{images} images x {per_image} boxes ({} boxes, {CLASSES} classes), built in {:.2?}",
            images * per_image,
            built.elapsed()
        );
        let (t, found) = best_of(5, || {
            objects::check(&scan, &objects::ObjectThresholds::default()).unwrap()
        });
        let counts: Vec<String> = objects::ObjectIssue::ALL
            .iter()
            .map(|&k| format!("{k} {}", found.count(k)))
            .collect();
        println!(
            "  health object checks:      {t:>10.2?}  ({})",
            counts.join(", ")
        );
        let (t, shapes) = best_of(5, || objects::box_shapes(&scan));
        println!(
            "  box shapes for the plots:  {t:>10.2?}  ({} boxes)",
            shapes.len()
        );
        let (t, table) = best_of(5, || {
            Table::plan(&scan.index, &PlanOptions::default()).unwrap()
        });
        println!(
            "  query table with objects:  {t:>10.2?}  ({} rows)",
            table.len()
        );
        let edits = Edits::default();
        let queries = [
            (
                "object class 7",
                Query {
                    object_classes: vec![7],
                    ..Query::default()
                },
            ),
            (
                "classes 1, 2 or 3 and 5..20 objects",
                Query {
                    object_classes: vec![1, 2, 3],
                    object_count: Some(CountRange {
                        min: 5,
                        max: Some(20),
                    }),
                    ..Query::default()
                },
            ),
            (
                "sort by num_objects, descending",
                Query {
                    sort: SortKey::NumObjects,
                    descending: true,
                    ..Query::default()
                },
            ),
        ];
        for (name, query) in queries {
            let (t, shown) = best_of(5, || query.run(&table, &edits).unwrap());
            println!("  query {name:<36} {t:>10.2?}  ({} shown)", shown.len());
        }
    }
}
