//! The filter-and-sort benchmark (issue 24): the query engine on a synthetic source of 1,000,000
//! samples in 1,000 classes with a health pass attached (measures drawn from a fixed generator,
//! 5% flagged, 2% in duplicate groups of 2 to 5, 10,000 tagged), with no image decoded.
//!
//! `cargo run --release --example query_bench -- [--samples N]`
//!
//! Prints the time to build the table (once per dataset and loader options) and to attach the health
//! pass (once per pass), then, for each query, the best of 5 runs of filter + sort and how many
//! samples passed. Figures are in BENCHMARKS.md.

#![allow(clippy::unwrap_used, clippy::too_many_lines)] // A measuring script: a failure is a failed run.

use std::sync::Arc;
use std::time::Instant;

use batchscope::health::{
    DuplicateGroup, DuplicateKind, Entry, Findings, Flag, FlagKind, SampleHealth, Scan,
};
use batchscope::index::{DatasetIndex, Sample};
use batchscope::options::PlanOptions;
use batchscope::query::{Edits, HealthFilter, PathPattern, Query, SortKey, Table};

#[path = "common/timing.rs"]
mod timing;
use timing::{best_of, mix};

fn unit(i: u64, salt: u64) -> f32 {
    (mix(i ^ (salt << 40)) >> 40) as f32 / (1u64 << 24) as f32
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args
        .iter()
        .position(|a| a == "--samples")
        .and_then(|i| args.get(i + 1))
        .map_or(1_000_000, |v| v.parse().unwrap());
    let classes = 1000usize;
    let per_class = n.div_ceil(classes);
    let index = DatasetIndex {
        root: "/synthetic".into(),
        class_names: (0..classes).map(|c| format!("class_{c:04}")).collect(),
        samples: (0..n)
            .map(|i| Sample {
                objects: None,
                rel_path: format!("class_{:04}/img_{i:07}.png", i / per_class).into(),
                label: Some((i / per_class) as u32),
            })
            .collect(),
        labeled: true,
        ..DatasetIndex::default()
    };
    let (build, mut table) = best_of(1, || Table::plan(&index, &PlanOptions::default()).unwrap());

    let entries: Vec<Entry> = (0..n)
        .map(|i| {
            let i64_ = i as u64;
            let width = 64 + (mix(i64_) % 512) as u32;
            let height = 64 + (mix(i64_ ^ 7) % 512) as u32;
            Entry {
                sample: i,
                subset: None,
                health: Some(SampleHealth {
                    phash: mix(i64_),
                    pixel_hash: mix(i64_ ^ 1),
                    width,
                    height,
                    brightness: unit(i64_, 1) * 255.0,
                    sharpness: unit(i64_, 2),
                    entropy: unit(i64_, 3) * 8.0,
                    colorfulness: Some(unit(i64_, 4) * 100.0),
                    pixels: 1,
                    ..SampleHealth::default()
                }),
                exact_key: mix(i64_ ^ 1),
            }
        })
        .collect();
    let flags: Vec<Flag> = (0..n)
        .filter(|&i| mix(i as u64 ^ 0x63).is_multiple_of(20))
        .map(|i| Flag {
            sample: i,
            kind: FlagKind::ALL[(mix(i as u64 ^ 5) % 7) as usize],
            score: 0.0,
        })
        .collect();
    let mut duplicates = Vec::new();
    let mut i = 0;
    while i < n {
        if mix(i as u64 ^ 0x4d2) % 100 < 2 {
            let size = 2 + (mix(i as u64) % 4) as usize;
            duplicates.push(DuplicateGroup {
                kind: DuplicateKind::Exact,
                samples: (i..(i + size).min(n)).collect(),
                score: 1.0,
            });
            i += size;
        } else {
            i += 1;
        }
    }
    let scan = Scan {
        index: Arc::new(DatasetIndex::default()),
        entries,
        failures: Vec::new(),
        shape: batchscope::load::preprocess::Shape::default(),
        split: false,
        cached: 0,
        notes: Vec::new(),
        color_modes: Vec::new(),
    };
    let findings = Findings {
        duplicates,
        leaks: Vec::new(),
        flags,
        channels: batchscope::health::ChannelStats::default(),
        classes: Vec::new(),
        imbalance_ratio: None,
        objects: None,
    };
    let start = Instant::now();
    table.attach_health(&scan, &findings);
    let attach = start.elapsed();

    let mut edits = Edits::new(std::path::Path::new("/synthetic"));
    let tagged: Vec<String> = (0..n)
        .step_by(100)
        .map(|i| String::from_utf8(table.path(i).to_vec()).unwrap())
        .collect();
    edits
        .add_tag(tagged.iter().map(String::as_str), "review")
        .unwrap();

    println!(
        "{n} samples, {classes} classes, {} flags, {} duplicate groups, {} tagged",
        findings.flags.len(),
        findings.duplicates.len(),
        tagged.len()
    );
    println!("build the table (once per dataset and options): {build:.2?}");
    println!("attach the health pass (once per pass):        {attach:.2?}");
    let queries: Vec<(&str, Query)> = vec![
        ("no filter, dataset order", Query::default()),
        (
            "no filter, sort by path descending",
            Query {
                sort: SortKey::Path,
                descending: true,
                ..Query::default()
            },
        ),
        (
            "no filter, sort by brightness",
            Query {
                sort: SortKey::Brightness,
                ..Query::default()
            },
        ),
        (
            "no filter, sort by aspect ratio descending",
            Query {
                sort: SortKey::AspectRatio,
                descending: true,
                ..Query::default()
            },
        ),
        (
            "no filter, sort by class",
            Query {
                sort: SortKey::Class,
                ..Query::default()
            },
        ),
        (
            "10 classes, sort by sharpness",
            Query {
                classes: (0..10).map(|c| c * 97).collect(),
                sort: SortKey::Sharpness,
                ..Query::default()
            },
        ),
        (
            "flags dark or blurry, sort by duplicate group size desc",
            Query {
                health: vec![
                    HealthFilter::Flag(FlagKind::Dark),
                    HealthFilter::Flag(FlagKind::Blurry),
                ],
                sort: SortKey::DuplicateGroupSize,
                descending: true,
                ..Query::default()
            },
        ),
        (
            "any duplicate, sort by information",
            Query {
                health: vec![HealthFilter::Duplicate],
                sort: SortKey::Information,
                ..Query::default()
            },
        ),
        (
            "path glob class_0*/img_*7.png, sort by width",
            Query {
                path: Some(PathPattern::new("class_0*/img_*7.png")),
                sort: SortKey::Width,
                ..Query::default()
            },
        ),
        (
            "path substring 00042, sort by path",
            Query {
                path: Some(PathPattern::new("00042")),
                sort: SortKey::Path,
                ..Query::default()
            },
        ),
        (
            "tag review, sort by brightness desc",
            Query {
                tags: vec!["review".into()],
                sort: SortKey::Brightness,
                descending: true,
                ..Query::default()
            },
        ),
        (
            "all kinds at once (classes, flag, path, tag)",
            Query {
                classes: (0..500).collect(),
                health: vec![HealthFilter::Flag(FlagKind::Light), HealthFilter::Duplicate],
                path: Some(PathPattern::new("*.png")),
                tags: vec!["review".into()],
                sort: SortKey::Height,
                ..Query::default()
            },
        ),
    ];
    println!("\n| query | filter + sort (best of 5) | shown |\n|---|---:|---:|");
    for (what, query) in &queries {
        let (took, shown) = best_of(5, || query.run(&table, &edits).unwrap());
        println!(
            "| {what} | {:.1} ms | {} |",
            took.as_secs_f64() * 1e3,
            shown.len()
        );
    }
}
