//! The engine on a nine-sample dataset whose measures are chosen so that each flag, duplicate group
//! and leak is known: every filter kind, AND across kinds and OR within one, every sort key both
//! ways with ties in dataset order, and the edits' sidecar and `corrections.csv`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::*;
use crate::health::{self, Entry, FlagKind, SampleHealth, Scan};
use crate::index::{DatasetIndex, Sample};
use crate::options::{PlanOptions, Subset};

const PATHS: [(&str, u32); 9] = [
    ("a/1.png", 0),
    ("a/2.png", 0),
    ("a/3.png", 0),
    ("b/x.png", 1),
    ("b/y.jpg", 1),
    ("c/deep/z.png", 2),
    ("c/q.png", 2),
    ("c/r.png", 2),
    ("c/s.png", 2),
];

fn index() -> DatasetIndex {
    DatasetIndex {
        root: PathBuf::from("/data"),
        class_names: vec!["a".into(), "b".into(), "c".into()],
        samples: PATHS
            .iter()
            .map(|&(p, l)| Sample {
                objects: None,
                rel_path: p.into(),
                label: Some(l),
            })
            .collect(),
        labeled: true,
        ..DatasetIndex::default()
    }
}

/// `(brightness, sharpness, entropy, width, height, exact_key)` per sample; sample 8 failed.
const MEASURES: [(f32, f32, f32, u32, u32, u64); 8] = [
    (100.0, 0.5, 5.0, 10, 10, 1),
    (20.0, 0.6, 5.0, 10, 10, 2),    // dark
    (100.0, 0.7, 5.0, 40, 10, 3),   // odd_aspect_ratio
    (230.0, 0.4, 5.0, 10, 10, 4),   // light; exact group with 4 and 7
    (50.0, 0.01, 5.0, 10, 10, 4),   // blurry
    (100.0, 0.3, 6.0, 100, 100, 1), // odd_size; exact group with 0
    (10.0, 0.2, 5.5, 10, 20, 6),    // dark
    (60.0, 0.5, 1.0, 10, 10, 4),    // low_information (validation side: a leak with 3 and 4)
];

fn split() -> PlanOptions {
    PlanOptions {
        validation_split: Some(0.25),
        ..PlanOptions::default()
    }
}

/// The health pass's result for [`MEASURES`], with both sides of a 0.25 split (2 of 9 held out).
fn scanned() -> (Scan, health::Findings) {
    let index = Arc::new(index());
    let entries = (0..9)
        .map(|s| {
            let m = MEASURES.get(s);
            Entry {
                sample: s,
                subset: Some(if s < 7 {
                    Subset::Training
                } else {
                    Subset::Validation
                }),
                // Identical pixels have identical perceptual hashes; the others are far apart.
                health: m.map(|&(b, sharp, ent, w, h, key)| SampleHealth {
                    phash: key.wrapping_mul(0x9E37_79B9_7F4A_7C15),
                    width: w,
                    height: h,
                    brightness: b,
                    sharpness: sharp,
                    entropy: ent,
                    colorfulness: Some(50.0),
                    pixels: 1,
                    ..SampleHealth::default()
                }),
                exact_key: m.map_or(100 + s as u64, |m| m.5),
            }
        })
        .collect();
    let scan = Scan {
        index,
        entries,
        failures: Vec::new(),
        shape: crate::load::preprocess::Shape {
            height: 10,
            width: 10,
            channels: 3,
        },
        split: true,
        cached: 0,
        notes: Vec::new(),
        color_modes: Vec::new(),
    };
    let findings = health::analyze(&scan, &health::Thresholds::default());
    (scan, findings)
}

fn table() -> Table {
    let (scan, findings) = scanned();
    let mut table = Table::plan(&index(), &split()).unwrap();
    table.attach_health(&scan, &findings);
    table
}

fn run(query: &Query) -> Vec<usize> {
    query.run(&table(), &Edits::default()).unwrap()
}

#[test]
fn findings_of_the_fixture_are_the_ones_the_tests_assume() {
    let (_, findings) = scanned();
    let flagged = |kind| -> Vec<usize> {
        findings
            .flags
            .iter()
            .filter(|f| f.kind == kind)
            .map(|f| f.sample)
            .collect()
    };
    assert_eq!(flagged(FlagKind::Dark), [1, 6]);
    assert_eq!(flagged(FlagKind::Light), [3]);
    assert_eq!(flagged(FlagKind::Blurry), [4]);
    assert_eq!(flagged(FlagKind::LowInformation), [7]);
    assert_eq!(flagged(FlagKind::OddAspectRatio), [2, 6]);
    assert_eq!(flagged(FlagKind::OddSize), [5]);
    let groups: Vec<Vec<usize>> = findings
        .duplicates
        .iter()
        .map(|g| g.samples.clone())
        .collect();
    // Largest group first.
    assert_eq!(groups, [vec![3, 4, 7], vec![0, 5]]);
    assert_eq!(findings.leaks.len(), 1);
    assert_eq!(findings.leaks[0].samples, [3, 4, 7]);
}

#[test]
fn no_filter_gives_every_planned_sample_in_dataset_order() {
    assert_eq!(run(&Query::default()), (0..9).collect::<Vec<_>>());
    // One subset: only its samples.
    let validation = Table::plan(
        &index(),
        &PlanOptions {
            subset: Some(Subset::Validation),
            ..split()
        },
    )
    .unwrap();
    assert_eq!(
        Query::default()
            .run(&validation, &Edits::default())
            .unwrap(),
        [7, 8]
    );
    // A seeded shuffle changes which samples are held out, not dataset order within the result.
    let shuffled = Table::plan(
        &index(),
        &PlanOptions {
            shuffle: true,
            seed: Some(7),
            subset: Some(Subset::Training),
            ..split()
        },
    )
    .unwrap();
    let plan = crate::plan::plan(
        &index(),
        &PlanOptions {
            shuffle: true,
            seed: Some(7),
            subset: Some(Subset::Training),
            ..split()
        },
    )
    .unwrap();
    let mut expected = plan.order.clone();
    expected.sort_unstable();
    assert_eq!(
        Query::default().run(&shuffled, &Edits::default()).unwrap(),
        expected
    );
}

#[test]
fn class_filter_ors_its_values() {
    let q = |classes: Vec<u32>| {
        run(&Query {
            classes,
            ..Query::default()
        })
    };
    assert_eq!(q(vec![1]), [3, 4]);
    assert_eq!(q(vec![0, 1]), [0, 1, 2, 3, 4]);
    assert_eq!(
        q(vec![9]),
        Vec::<usize>::new(),
        "an unknown label matches nothing"
    );
}

#[test]
fn subset_filter() {
    let q = |subsets: Vec<Subset>| {
        run(&Query {
            subsets,
            ..Query::default()
        })
    };
    assert_eq!(q(vec![Subset::Validation]), [7, 8]);
    assert_eq!(q(vec![Subset::Training]), [0, 1, 2, 3, 4, 5, 6]);
    assert_eq!(q(vec![Subset::Training, Subset::Validation]).len(), 9);
}

#[test]
fn health_filters_flags_groups_and_leaks() {
    let q = |health: Vec<HealthFilter>| {
        run(&Query {
            health,
            ..Query::default()
        })
    };
    assert_eq!(q(vec![HealthFilter::Flag(FlagKind::Dark)]), [1, 6]);
    assert_eq!(
        q(vec![
            HealthFilter::Flag(FlagKind::Dark),
            HealthFilter::Flag(FlagKind::Light)
        ]),
        [1, 3, 6]
    );
    assert_eq!(
        q(vec![HealthFilter::Flag(FlagKind::Grayscale)]),
        Vec::<usize>::new()
    );
    assert_eq!(q(vec![HealthFilter::Duplicate]), [0, 3, 4, 5, 7]);
    assert_eq!(q(vec![HealthFilter::DuplicateGroup(0)]), [3, 4, 7]);
    assert_eq!(q(vec![HealthFilter::DuplicateGroup(1)]), [0, 5]);
    assert_eq!(
        q(vec![
            HealthFilter::DuplicateGroup(1),
            HealthFilter::Flag(FlagKind::Dark)
        ]),
        [0, 1, 5, 6]
    );
    assert_eq!(q(vec![HealthFilter::Leak]), [3, 4, 7]);
    assert_eq!(
        q(vec![
            HealthFilter::Leak,
            HealthFilter::Flag(FlagKind::OddSize)
        ]),
        [3, 4, 5, 7]
    );
}

#[test]
fn sample_set_filter_keeps_only_planned_samples() {
    let q = Query {
        samples: Some(vec![8, 2, 42]),
        ..Query::default()
    };
    assert_eq!(run(&q), [2, 8]);
    let none = Query {
        samples: Some(Vec::new()),
        ..Query::default()
    };
    assert_eq!(run(&none), Vec::<usize>::new());
}

#[test]
fn tag_filter_reads_the_edits() {
    let mut edits = Edits::new(Path::new("/data"));
    edits
        .add_tag(["b/y.jpg", "a/1.png", "not/here.png"], "blur")
        .unwrap();
    edits.add_tag(["c/q.png"], "odd").unwrap();
    let q = |tags: &[&str]| {
        Query {
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            ..Query::default()
        }
        .run(&table(), &edits)
        .unwrap()
    };
    assert_eq!(q(&["blur"]), [0, 4]);
    assert_eq!(q(&["blur", "odd"]), [0, 4, 6]);
    assert_eq!(q(&["none"]), Vec::<usize>::new());
}

#[test]
fn path_filter_substring_and_glob() {
    let q = |p: &str| {
        run(&Query {
            path: Some(PathPattern::new(p)),
            ..Query::default()
        })
    };
    assert_eq!(q("c/"), [5, 6, 7, 8]);
    assert_eq!(q("*.jpg"), [4]);
    assert_eq!(q("c/?.png"), [6, 7, 8]);
    assert_eq!(q("[ab]/[13x].png"), [0, 2, 3]);
}

#[test]
fn kinds_combine_with_and() {
    let q = Query {
        classes: vec![0, 2],
        health: vec![
            HealthFilter::Flag(FlagKind::Dark),
            HealthFilter::Flag(FlagKind::LowInformation),
        ],
        ..Query::default()
    };
    assert_eq!(run(&q), [1, 6, 7]);
    let q = Query {
        path: Some(PathPattern::new("c/")),
        ..q
    };
    assert_eq!(run(&q), [6, 7]);
    let q = Query {
        subsets: vec![Subset::Training],
        ..q
    };
    assert_eq!(run(&q), [6]);
}

#[test]
fn every_sort_key_both_ways_with_ties_in_dataset_order() {
    let sorted = |sort: SortKey, descending: bool| {
        run(&Query {
            sort,
            descending,
            ..Query::default()
        })
    };
    // Sample 8 failed to load: it has no measure and comes last both ways.
    let cases: [(SortKey, [usize; 9], [usize; 9]); 10] = [
        (
            SortKey::DatasetOrder,
            [0, 1, 2, 3, 4, 5, 6, 7, 8],
            [8, 7, 6, 5, 4, 3, 2, 1, 0],
        ),
        // Bytes: "c/deep/z.png" < "c/q.png".
        (
            SortKey::Path,
            [0, 1, 2, 3, 4, 5, 6, 7, 8],
            [8, 7, 6, 5, 4, 3, 2, 1, 0],
        ),
        (
            SortKey::Class,
            [0, 1, 2, 3, 4, 5, 6, 7, 8],
            [5, 6, 7, 8, 3, 4, 0, 1, 2],
        ),
        // 10, 20, 50, 60, 100 (0, 2, 5 tie), 230.
        (
            SortKey::Brightness,
            [6, 1, 4, 7, 0, 2, 5, 3, 8],
            [3, 0, 2, 5, 7, 4, 1, 6, 8],
        ),
        (
            SortKey::Sharpness,
            [4, 6, 5, 3, 0, 7, 1, 2, 8],
            [2, 1, 0, 7, 3, 5, 6, 4, 8],
        ),
        (
            SortKey::Information,
            [7, 0, 1, 2, 3, 4, 6, 5, 8],
            [5, 6, 0, 1, 2, 3, 4, 7, 8],
        ),
        (
            SortKey::Width,
            [0, 1, 3, 4, 6, 7, 2, 5, 8],
            [5, 2, 0, 1, 3, 4, 6, 7, 8],
        ),
        (
            SortKey::Height,
            [0, 1, 2, 3, 4, 7, 6, 5, 8],
            [5, 6, 0, 1, 2, 3, 4, 7, 8],
        ),
        // 0.5 (6), 1 (0, 1, 3, 4, 5, 7), 4 (2).
        (
            SortKey::AspectRatio,
            [6, 0, 1, 3, 4, 5, 7, 2, 8],
            [2, 0, 1, 3, 4, 5, 7, 6, 8],
        ),
        // Sizes 2, 0, 0, 3, 3, 2, 0, 3, 0.
        (
            SortKey::DuplicateGroupSize,
            [1, 2, 6, 8, 0, 5, 3, 4, 7],
            [3, 4, 7, 0, 5, 1, 2, 6, 8],
        ),
    ];
    for (key, up, down) in cases {
        assert_eq!(sorted(key, false), up, "{key} ascending");
        assert_eq!(sorted(key, true), down, "{key} descending");
    }
}

#[test]
fn health_filters_and_keys_without_a_pass_are_errors() {
    let plain = Table::plan(&index(), &PlanOptions::default()).unwrap();
    let edits = Edits::default();
    let err = Query {
        sort: SortKey::Sharpness,
        ..Query::default()
    }
    .run(&plain, &edits)
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "sorting by sharpness needs a health pass (batchscope list --health, or the Health view)"
    );
    let err = Query {
        health: vec![HealthFilter::Flag(FlagKind::Dark), HealthFilter::Leak],
        ..Query::default()
    }
    .run(&plain, &edits)
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("filtering on dark or leaks needs"),
        "{err}"
    );
    // Keys that need no pass work.
    let by_class = Query {
        sort: SortKey::Class,
        descending: true,
        ..Query::default()
    };
    assert_eq!(
        by_class.run(&plain, &edits).unwrap(),
        [5, 6, 7, 8, 3, 4, 0, 1, 2]
    );
}

#[test]
fn table_looks_up_paths_and_measures() {
    let t = table();
    assert_eq!(t.sample_of_path(b"c/q.png"), Some(6));
    assert_eq!(t.sample_of_path(b"c/nope.png"), None);
    let m = t.measures(t.row(2).unwrap()).unwrap();
    assert_eq!((m.width, m.height, m.aspect_ratio()), (40, 10, 4.0));
    assert_eq!(m.flags, [FlagKind::OddAspectRatio]);
    let m = t.measures(t.row(7).unwrap()).unwrap();
    assert_eq!(
        (m.duplicate_groups, m.duplicate_group_size, m.leak),
        (vec![0], 3, true)
    );
    assert_eq!(
        t.measures(t.row(8).unwrap()),
        None,
        "sample 8 failed to load"
    );
}

/// [`index`] annotated: `(object classes)` per sample; classes `person`, `car`, `dog`.
fn annotated() -> DatasetIndex {
    use crate::source::annotations::{BoxXyxy, Object, ObjectClasses, Objects};
    let per_sample: [&[u32]; 9] = [
        &[0, 0, 1],
        &[],
        &[2],
        &[1, 1, 1, 1],
        &[0],
        &[],
        &[2, 0],
        &[1],
        &[0, 0],
    ];
    let mut index = index();
    for (sample, classes) in index.samples.iter_mut().zip(per_sample) {
        sample.objects = Some(Arc::new(Objects {
            objects: classes
                .iter()
                .map(|&class| Object {
                    bbox: BoxXyxy {
                        xmin: 0.1,
                        ymin: 0.1,
                        xmax: 0.5,
                        ymax: 0.5,
                    },
                    class,
                    crowd: false,
                })
                .collect(),
            ..Objects::default()
        }));
    }
    index.object_classes = Some(ObjectClasses {
        names: vec!["person".into(), "car".into(), "dog".into()],
        ids: vec![1, 3, 18],
        has_masks: false,
    });
    index
}

#[test]
fn object_class_and_count_filters_combine_with_the_others() {
    let index = annotated();
    let table = Table::plan(&index, &PlanOptions::default()).unwrap();
    let edits = Edits::default();
    let run = |q: Query| q.run(&table, &edits).unwrap();
    assert_eq!(
        table.object_class_names(),
        ["person".to_owned(), "car".into(), "dog".into()]
    );
    assert_eq!(
        (0..9)
            .map(|r| table.num_objects(r).unwrap())
            .collect::<Vec<_>>(),
        [3, 0, 1, 4, 1, 0, 2, 1, 2]
    );
    let q = |object_classes: Vec<u32>, object_count: Option<CountRange>| Query {
        object_classes,
        object_count,
        ..Query::default()
    };
    let range = |min, max| Some(CountRange { min, max });
    assert_eq!(run(q(vec![2], None)), [2, 6]);
    assert_eq!(run(q(vec![2, 1], None)), [0, 2, 3, 6, 7]);
    assert_eq!(run(q(vec![], range(0, Some(0)))), [1, 5]);
    assert_eq!(run(q(vec![], range(2, None))), [0, 3, 6, 8]);
    assert_eq!(run(q(vec![0], range(1, Some(2)))), [4, 6, 8]);
    // AND with the class of the image's folder: folder c is samples 5..=8.
    assert_eq!(
        run(Query {
            classes: vec![2],
            ..q(vec![0], None)
        }),
        [6, 8]
    );
    assert_eq!(
        run(Query {
            sort: SortKey::NumObjects,
            descending: true,
            ..q(vec![], range(1, None))
        }),
        [3, 0, 6, 8, 2, 4, 7]
    );
    // A dataset without annotations refuses object filters by saying why.
    let plain = Table::plan(&super::tests::index(), &PlanOptions::default()).unwrap();
    let err = q(vec![0], None).run(&plain, &edits).unwrap_err();
    assert_eq!(
        err.to_string(),
        "filtering on object classes needs a dataset that annotates objects (boxes or masks), and this one does not"
    );
    assert!(!plain.has_objects() && plain.num_objects(0).is_none());
}
