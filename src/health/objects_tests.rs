//! The annotation checks, each with the exact findings it gives.
#![allow(clippy::float_cmp)] // Exact numbers are what these tests assert.

use std::sync::Arc;

use super::*;
use crate::health::scan::Entry;
use crate::health::{SampleHealth, Scan};
use crate::index::{DatasetIndex, Sample};
use crate::source::annotations::{MaskRef, ObjectClasses};

fn b(xmin: f64, ymin: f64, xmax: f64, ymax: f64) -> BoxXyxy {
    BoxXyxy {
        xmin,
        ymin,
        xmax,
        ymax,
    }
}

fn object(class: u32, bbox: BoxXyxy) -> Object {
    Object {
        bbox,
        class,
        crowd: false,
    }
}

fn size(height: u32, width: u32) -> Size {
    Size { height, width }
}

fn run(annotated: &Objects, decoded: Option<Size>) -> Vec<ObjectFinding> {
    let mut out = Vec::new();
    check_image(
        7,
        annotated,
        decoded,
        &ObjectThresholds::default(),
        &mut Vec::new(),
        &mut |f| out.push(f),
    );
    out
}

/// `(kind, object number)` of each finding.
fn kinds(findings: &[ObjectFinding]) -> Vec<(ObjectIssue, Option<usize>)> {
    findings
        .iter()
        .map(|f| (f.kind, f.object.map(|o| o.number)))
        .collect()
}

#[test]
fn each_flaw_of_a_pixel_annotation_is_found_on_its_object() {
    let annotated = Objects {
        objects: vec![
            object(0, b(10.0, 10.0, 60.0, 50.0)),
            object(1, b(50.0, 10.0, 40.0, 30.0)),
            object(1, b(10.0, 10.0, 10.0, 40.0)),
            object(2, b(150.0, 50.0, 210.0, 90.0)),
            object(2, b(0.0, 0.0, 3.0, 20.0)),
            object(0, b(10.0, 10.0, 60.0, 51.0)),
            object(1, b(10.0, 10.0, 60.0, 50.0)),
            object(0, b(f64::NAN, 0.0, 5.0, 5.0)),
        ],
        units: Units::Pixels,
        stated_size: Some(size(100, 200)),
        mask: None,
    };
    let found = run(&annotated, Some(size(100, 200)));
    assert_eq!(
        kinds(&found),
        vec![
            (ObjectIssue::InvertedBox, Some(1)),
            (ObjectIssue::ZeroAreaBox, Some(2)),
            (ObjectIssue::BoxOutsideImage, Some(3)),
            (ObjectIssue::TinyBox, Some(4)),
            (ObjectIssue::NonFiniteBox, Some(7)),
            (ObjectIssue::DuplicateBox, Some(5)),
        ]
    );
    let outside = found[2].object.unwrap();
    assert_eq!(
        (outside.class, outside.bbox, outside.units, found[2].sample),
        (2, b(150.0, 50.0, 210.0, 90.0), Units::Pixels, 7)
    );
    assert_eq!(
        found[3].detail,
        Detail::Tiny {
            pixels: Some((3.0, 20.0)),
            area_fraction: 60.0 / 20_000.0
        }
    );
    assert_eq!(
        found[5].detail,
        Detail::Duplicate {
            of: 0,
            iou: 2000.0 / 2050.0
        }
    );
}

#[test]
fn normalised_boxes_are_checked_against_zero_to_one_and_the_decoded_size() {
    let annotated = Objects {
        objects: vec![
            object(0, b(-0.1, 0.0, 0.5, 0.5)),
            object(0, b(0.1, 0.1, 0.12, 0.13)),
            object(0, b(0.0, 0.0, 1.000_000_1, 1.0)),
            object(0, b(0.5, 0.5, 0.503, 0.9)),
        ],
        units: Units::Normalized,
        ..Objects::default()
    };
    let found = run(&annotated, Some(size(1000, 1000)));
    assert_eq!(
        kinds(&found),
        vec![
            (ObjectIssue::BoxOutsideImage, Some(0)),
            (ObjectIssue::TinyBox, Some(1)),
            (ObjectIssue::TinyBox, Some(3)),
        ]
    );
    let Detail::Tiny {
        pixels: Some((w, h)),
        area_fraction,
    } = found[1].detail
    else {
        panic!("{:?}", found[1].detail);
    };
    assert!(
        (w - 20.0).abs() < 1e-9 && (h - 30.0).abs() < 1e-9,
        "{w} {h}"
    );
    assert!((area_fraction - 0.0006).abs() < 1e-12);
    // 3 pixels wide at 1000 pixels (0.3% of the area is not tiny by area); without a decoded size,
    // only the area is known and it is not tiny.
    let no_size = run(&annotated, None);
    assert_eq!(
        kinds(&no_size),
        vec![
            (ObjectIssue::BoxOutsideImage, Some(0)),
            (ObjectIssue::TinyBox, Some(1)),
        ]
    );
}

#[test]
fn an_empty_image_and_a_wrong_stated_size_are_image_findings() {
    let empty = Objects {
        units: Units::Pixels,
        stated_size: Some(size(100, 200)),
        ..Objects::default()
    };
    let found = run(&empty, Some(size(100, 201)));
    assert_eq!(
        kinds(&found),
        vec![
            (ObjectIssue::NoObjects, None),
            (ObjectIssue::SizeMismatch, None)
        ]
    );
    assert_eq!(
        found[1].detail,
        Detail::Sizes {
            stated: size(100, 200),
            decoded: size(100, 201)
        }
    );
    // A segmentation image with a mask and no boxes is not empty; a failed decode checks nothing
    // against a size it does not know.
    let masked = Objects {
        mask: Some(MaskRef::File("m.png".into())),
        ..empty.clone()
    };
    assert!(run(&masked, Some(size(100, 200))).is_empty());
    assert_eq!(
        kinds(&run(&empty, None)),
        vec![(ObjectIssue::NoObjects, None)]
    );
}

#[test]
fn pixel_boxes_of_an_image_of_unknown_size_are_checked_for_their_shape_only() {
    let annotated = Objects {
        objects: vec![
            object(0, b(5000.0, 0.0, 6000.0, 1.0)),
            object(0, b(5.0, 5.0, 4.0, 9.0)),
            object(0, b(5000.0, 0.0, 6000.0, 1.0)),
        ],
        units: Units::Pixels,
        ..Objects::default()
    };
    assert_eq!(
        kinds(&run(&annotated, None)),
        vec![
            (ObjectIssue::InvertedBox, Some(1)),
            (ObjectIssue::DuplicateBox, Some(2)),
        ]
    );
}

/// A deterministic stream of numbers in `[0, 1)`.
fn numbers(seed: u64) -> impl FnMut() -> f64 {
    let mut state = seed;
    move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The duplicate findings of `annotated` as (object, the earlier object it duplicates).
fn duplicates_found(annotated: &Objects) -> Vec<(usize, usize)> {
    run(annotated, Some(size(100, 100)))
        .into_iter()
        .filter_map(|f| match f.detail {
            Detail::Duplicate { of, .. } => Some((f.object.unwrap().number, of)),
            _ => None,
        })
        .collect()
}

#[test]
fn the_duplicate_sweep_finds_exactly_what_comparing_every_pair_finds() {
    let mut next = numbers(25);
    let mut objects = Vec::new();
    for _ in 0..400 {
        let (x, y, w, h) = (
            next() * 0.8,
            next() * 0.8,
            0.05 + next() * 0.1,
            0.05 + next() * 0.1,
        );
        objects.push(object((next() * 3.0) as u32, b(x, y, x + w, y + h)));
        // Every third box has a near copy, nudged by up to 2% of its size, sometimes in another class.
        if next() < 0.33 {
            let (dx, dy) = ((next() - 0.5) * 0.04 * w, (next() - 0.5) * 0.04 * h);
            let class = if next() < 0.8 {
                objects.last().unwrap().class
            } else {
                3
            };
            objects.push(object(class, b(x + dx, y + dy, x + w + dx, y + h + dy)));
        }
    }
    let annotated = Objects {
        objects: objects.clone(),
        ..Objects::default()
    };
    let mut expected = Vec::new();
    for later in 0..objects.len() {
        if let Some(earlier) = (0..later).find(|&e| {
            objects[e].class == objects[later].class
                && objects[e].bbox.iou(&objects[later].bbox) >= 0.95
        }) {
            expected.push((later, earlier));
        }
    }
    let found = duplicates_found(&annotated);
    assert!(expected.len() > 50, "{}", expected.len());
    assert_eq!(found, expected);
}

/// Many copies of one box are each a duplicate of the first, found with one slot an object (the
/// pairs, 4.5 million here, were once all held: 20,000 copies took gigabytes).
#[test]
fn copies_of_one_box_each_duplicate_the_first() {
    let copies = 3_000;
    let annotated = Objects {
        objects: vec![object(1, b(0.1, 0.1, 0.4, 0.3)); copies],
        ..Objects::default()
    };
    let found = duplicates_found(&annotated);
    assert_eq!(found, (1..copies).map(|n| (n, 0)).collect::<Vec<_>>());
}

fn measured(height: u32, width: u32) -> SampleHealth {
    SampleHealth {
        width,
        height,
        ..SampleHealth::default()
    }
}

#[test]
fn a_pass_gives_findings_kind_by_kind_and_objects_per_class() {
    let objects = |list: Vec<Object>| {
        Some(Arc::new(Objects {
            objects: list,
            units: Units::Pixels,
            stated_size: Some(size(10, 10)),
            mask: None,
        }))
    };
    let sample = |name: &str, objects| Sample {
        objects,
        ..Sample::new(name, None)
    };
    let index = DatasetIndex {
        samples: vec![
            sample(
                "a.png",
                objects(vec![
                    object(0, b(0.0, 0.0, 5.0, 5.0)),
                    object(0, b(5.0, 5.0, 4.0, 9.0)),
                    object(2, b(1.0, 1.0, 9.0, 9.0)),
                ]),
            ),
            sample("b.png", objects(vec![])),
            sample("c.png", objects(vec![object(0, b(0.0, 0.0, 9.0, 12.0))])),
            sample("plain.png", None),
        ],
        object_classes: Some(ObjectClasses {
            names: vec!["cat".into(), "dog".into(), "fox".into()],
            ids: vec![1, 2, 3],
            has_masks: false,
        }),
        ..DatasetIndex::default()
    };
    let entry = |sample, health| Entry {
        sample,
        subset: None,
        health,
        exact_key: 0,
    };
    let scan = Scan {
        index: Arc::new(index),
        entries: vec![
            entry(0, Some(measured(10, 10))),
            entry(1, Some(measured(10, 10))),
            entry(2, None),
            entry(3, Some(measured(10, 10))),
        ],
        failures: Vec::new(),
        shape: crate::load::preprocess::Shape::default(),
        split: false,
        cached: 0,
        notes: Vec::new(),
        color_modes: Vec::new(),
    };
    let found = check(&scan, &ObjectThresholds::default()).unwrap();
    let listed: Vec<(usize, ObjectIssue, Option<usize>)> = found
        .findings
        .iter()
        .map(|f| (f.sample, f.kind, f.object.map(|o| o.number)))
        .collect();
    assert_eq!(
        listed,
        vec![
            (0, ObjectIssue::InvertedBox, Some(1)),
            (2, ObjectIssue::BoxOutsideImage, Some(0)),
            (1, ObjectIssue::NoObjects, None),
        ]
    );
    let counts: Vec<(&str, usize, usize)> = found
        .classes
        .iter()
        .map(|c| (c.name.as_str(), c.objects, c.images))
        .collect();
    assert_eq!(counts, vec![("cat", 3, 2), ("dog", 0, 0), ("fox", 1, 1)]);
    assert_eq!(found.imbalance_ratio, Some(3.0));
    assert_eq!((found.images, found.objects), (3, 4));
    assert_eq!(found.count(ObjectIssue::NoObjects), 1);
    // The plotted shapes: valid boxes only, relative to their image.
    let shapes = box_shapes(&scan);
    let close = |a: (u32, f64, f64), e: (u32, f64, f64)| {
        a.0 == e.0 && (a.1 - e.1).abs() < 1e-12 && (a.2 - e.2).abs() < 1e-12
    };
    assert_eq!(shapes.len(), 3, "{shapes:?}");
    assert!(close(shapes[0], (0, 0.5, 1.0)), "{shapes:?}");
    assert!(close(shapes[1], (2, 0.8, 1.0)), "{shapes:?}");
    assert!(
        close(shapes[2], (0, (0.9f64 * 1.2).sqrt(), 0.75)),
        "{shapes:?}"
    );
    let unannotated = Scan {
        index: Arc::new(DatasetIndex::default()),
        ..scan
    };
    assert_eq!(check(&unannotated, &ObjectThresholds::default()), None);
}
