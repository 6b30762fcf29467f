//! The health pass on generated folders with planted problems: every exact duplicate found, recall of
//! each near-duplicate kind and each flag kind, false duplicates among distinct pictures, leaks across
//! a seeded split, the JSON schema, the cache, cancelling, and mean/std against the exported float32
//! array (computed here from the `.npy`, and by numpy when it is installed).
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use batchscope::health::{self, DuplicateKind, FlagKind, Scan, ScanError, ScanOptions, Thresholds};
use batchscope::index::{DatasetIndex, WalkControl};
use batchscope::options::{LoadOptions, Subset};
use batchscope::size::Size;
use image::RgbImage;

use batchscope::synth::plant;
use batchscope::synth::scene;

fn save_jpeg(path: &Path, img: &RgbImage, quality: u8) {
    plant::save_jpeg(path, img, quality).unwrap();
}

fn save_png(path: &Path, img: &RgbImage, compression: image::codecs::png::CompressionType) {
    plant::save_png(path, img, compression).unwrap();
}

const SIDE: u32 = 96;
const DISTINCT: u64 = 100;
const PER_KIND: u64 = 10;

/// The planted truth of a generated folder.
#[derive(Default)]
struct Truth {
    /// Picture family of each file (copies share their original's).
    family: HashMap<String, u64>,
    /// `(original, copy)` per duplicate kind.
    pairs: BTreeMap<&'static str, Vec<(String, String)>>,
    /// Files planted for each flag kind.
    flagged: BTreeMap<&'static str, Vec<String>>,
    /// The distinct pictures (no planted problem).
    distinct: Vec<String>,
}

/// ~100 distinct pictures in three classes, plus planted duplicates and problems.
fn planted(root: &Path) -> Truth {
    use image::codecs::png::CompressionType;
    let mut truth = Truth::default();
    let classes = ["cat", "dog", "emu"];
    let mut n = 0u64;
    let mut add = |truth: &mut Truth, family: u64, ext: &str| {
        // Classes 60% / 30% / 10% of files, by position.
        let class = match n % 10 {
            0..=5 => classes[0],
            6..=8 => classes[1],
            _ => classes[2],
        };
        let rel = format!("{class}/{n:04}.{ext}");
        n += 1;
        truth.family.insert(rel.clone(), family);
        rel
    };
    for seed in 0..DISTINCT {
        let img = scene(SIDE, SIDE, seed);
        let rel = add(&mut truth, seed, if seed % 3 == 0 { "jpg" } else { "png" });
        if rel.ends_with("jpg") {
            save_jpeg(&root.join(&rel), &img, 92);
        } else {
            save_png(&root.join(&rel), &img, CompressionType::Default);
        }
        truth.distinct.push(rel);
    }
    // Duplicates of the first 60 distinct pictures, ten of each kind.
    let originals: Vec<String> = truth.distinct.clone();
    let mut plant = |truth: &mut Truth, kind: &'static str, i: u64| {
        let from = &originals[i as usize];
        let img = plant::decoded(&root.join(from)).unwrap();
        let ext = match kind {
            // Same bytes under another name of the same extension.
            "byte_copy" => Path::new(from).extension().unwrap().to_str().unwrap(),
            "recompressed" => "jpg",
            _ => "png",
        };
        let copy = add(truth, i, ext);
        assert!(plant::write_copy(kind, &root.join(from), &img, &root.join(&copy)).unwrap());
        truth
            .pairs
            .entry(kind)
            .or_default()
            .push((from.clone(), copy));
    };
    for (k, kind) in plant::DUPLICATE_KINDS.iter().enumerate() {
        for j in 0..PER_KIND {
            plant(&mut truth, kind, k as u64 * PER_KIND + j);
        }
    }
    // Problem images: pictures of their own (seeds 1000+), one problem each.
    let mut seed = 1000;
    for kind in plant::FLAG_KINDS {
        for j in 0..PER_KIND {
            seed += 1;
            let img = plant::problem(kind, SIDE, seed).unwrap();
            let jpeg = kind == "grayscale" && j % 2 == 0;
            let rel = add(&mut truth, seed, if jpeg { "jpg" } else { "png" });
            if jpeg {
                save_jpeg(&root.join(&rel), &img, 90);
            } else {
                save_png(&root.join(&rel), &img, CompressionType::Fast);
            }
            truth.flagged.entry(kind).or_default().push(rel);
        }
    }
    truth
}

fn open(root: &Path, options: &LoadOptions) -> Arc<DatasetIndex> {
    let cancel = AtomicBool::new(false);
    let control = WalkControl {
        on_progress: &|_| {},
        cancel: &cancel,
    };
    Arc::new(batchscope::source::open(root, &options.index, &control).unwrap())
}

fn options() -> LoadOptions {
    let mut options = LoadOptions::default();
    options.preprocess.image_size = Some(Size::square(SIDE));
    options
}

fn run(root: &Path, options: &LoadOptions, cache: &Path) -> Scan {
    let cancel = Arc::new(AtomicBool::new(false));
    let scan_options = ScanOptions {
        cache_dir: Some(cache.to_path_buf()),
    };
    health::scan(
        open(root, options),
        options,
        &scan_options,
        &mut |_| {},
        &cancel,
    )
    .unwrap()
}

fn path_of(scan: &Scan, sample: usize) -> String {
    health::report::rel_path(scan, sample)
}

/// At least 90% of each planted flag kind flagged, and few flags on the distinct pictures.
fn check_flags(scan: &Scan, findings: &health::Findings, truth: &Truth, report: &mut Vec<String>) {
    // Flags: at least 90% of each planted kind, and few on the distinct pictures.
    let flagged: HashSet<(FlagKind, String)> = findings
        .flags
        .iter()
        .map(|f| (f.kind, path_of(scan, f.sample)))
        .collect();
    for kind in FlagKind::ALL {
        let planted = &truth.flagged[kind.name()];
        let found = planted
            .iter()
            .filter(|p| flagged.contains(&(kind, (*p).clone())))
            .count();
        report.push(format!("{kind} {found}/{}", planted.len()));
        assert!(
            found * 10 >= planted.len() * 9,
            "{kind}: only {found} of {} flagged",
            planted.len()
        );
    }
    // Files with no planted flag: the distinct pictures and every copy of them (a resized copy,
    // scaled back up by the loader, is not blurry).
    let planted: HashSet<&String> = truth.flagged.values().flatten().collect();
    let clean: HashSet<&String> = truth
        .family
        .keys()
        .filter(|p| !planted.contains(p))
        .collect();
    assert!(clean.len() > truth.distinct.len());
    let false_flags: Vec<&(FlagKind, String)> =
        flagged.iter().filter(|(_, p)| clean.contains(p)).collect();
    report.push(format!(
        "false flags on the {} files with no planted flag: {}",
        clean.len(),
        false_flags.len()
    ));
    assert!(false_flags.len() <= 2, "{false_flags:?}");
}

#[test]
fn health_finds_planted_duplicates_and_flags() {
    let dir = tempfile::tempdir().unwrap();
    let (root, cache) = (dir.path().join("data"), dir.path().join("cache"));
    let truth = planted(&root);
    let scan = run(&root, &options(), &cache);
    assert!(scan.failures.is_empty(), "{:?}", scan.failures);
    assert_eq!(scan.entries.len(), truth.family.len());
    let findings = health::analyze(&scan, &Thresholds::default());
    let groups: Vec<(DuplicateKind, HashSet<String>)> = findings
        .duplicates
        .iter()
        .map(|g| {
            (
                g.kind,
                g.samples.iter().map(|&s| path_of(&scan, s)).collect(),
            )
        })
        .collect();
    let together = |a: &str, b: &str, kind: Option<DuplicateKind>| {
        groups
            .iter()
            .any(|(k, g)| kind.is_none_or(|want| *k == want) && g.contains(a) && g.contains(b))
    };
    // Every exact duplicate, as an exact group.
    for kind in ["byte_copy", "reencoded_png"] {
        for (a, b) in &truth.pairs[kind] {
            assert!(
                together(a, b, Some(DuplicateKind::Exact)),
                "{kind}: {a} and {b} not found as exact duplicates"
            );
        }
    }
    // Near duplicates of each kind: at least 90%, never as exact.
    let mut report = Vec::new();
    for kind in ["resized", "recompressed", "brightened", "cropped"] {
        let pairs = &truth.pairs[kind];
        let found = pairs
            .iter()
            .filter(|(a, b)| together(a, b, Some(DuplicateKind::Near)))
            .count();
        report.push(format!("{kind} {found}/{}", pairs.len()));
        assert!(
            found * 10 >= pairs.len() * 9,
            "{kind}: only {found} of {} near duplicates found",
            pairs.len()
        );
        assert!(
            !pairs
                .iter()
                .any(|(a, b)| together(a, b, Some(DuplicateKind::Exact)))
        );
    }
    // False duplicates: pairs of different pictures grouped together.
    let mut false_pairs = 0;
    for (_, g) in &groups {
        let families: Vec<u64> = g.iter().map(|p| truth.family[p]).collect();
        for i in 0..families.len() {
            for j in i + 1..families.len() {
                false_pairs += usize::from(families[i] != families[j]);
            }
        }
    }
    report.push(format!(
        "false duplicate pairs {false_pairs} among {} pictures",
        truth.family.len()
    ));
    assert!(
        false_pairs <= 2,
        "{false_pairs} false duplicate pairs: {groups:?}"
    );
    check_flags(&scan, &findings, &truth, &mut report);
    // Classes: by position 60/30/10 of files.
    let counts: HashMap<&str, usize> = findings
        .classes
        .iter()
        .map(|(n, c)| (n.as_str(), *c))
        .collect();
    let total: usize = counts.values().sum();
    assert_eq!(total, truth.family.len());
    let ratio = findings.imbalance_ratio.unwrap();
    assert!((ratio - counts["cat"] as f64 / counts["emu"] as f64).abs() < 1e-12);
    // Shown with `--nocapture`.
    eprintln!("health recall: {}", report.join(", "));
}

#[test]
fn health_reports_leaks_across_a_seeded_split() {
    let dir = tempfile::tempdir().unwrap();
    let (root, cache) = (dir.path().join("data"), dir.path().join("cache"));
    let truth = planted(&root);
    let mut options = options();
    options.plan.shuffle = true;
    options.plan.seed = Some(7);
    options.plan.validation_split = Some(0.3);
    let scan = run(&root, &options, &cache);
    assert!(scan.split);
    // The split the user trains on: each subset planned on its own, as Keras would.
    let index = open(&root, &options);
    let mut subset_of = HashMap::new();
    for subset in [Subset::Training, Subset::Validation] {
        let mut plan_options = options.plan.clone();
        plan_options.subset = Some(subset);
        for s in batchscope::plan::plan(&index, &plan_options).unwrap().order {
            subset_of.insert(
                index.samples[s].rel_path.to_str().unwrap().to_owned(),
                subset,
            );
        }
    }
    for entry in &scan.entries {
        assert_eq!(
            Some(&entry.subset.unwrap()),
            subset_of.get(&path_of(&scan, entry.sample))
        );
    }
    let findings = health::analyze(&scan, &Thresholds::default());
    let leaks: Vec<HashMap<String, Subset>> = findings
        .leaks
        .iter()
        .map(|l| {
            l.samples
                .iter()
                .map(|&s| path_of(&scan, s))
                .zip(l.subsets.iter().copied())
                .collect()
        })
        .collect();
    let mut crossing = 0;
    for (kind, pairs) in &truth.pairs {
        for (a, b) in pairs {
            if subset_of[a] != subset_of[b] {
                crossing += 1;
                let leak = leaks
                    .iter()
                    .find(|l| l.contains_key(a) && l.contains_key(b));
                let leak = leak.unwrap_or_else(|| {
                    panic!("{kind} pair {a} / {b} across the split not reported as a leak")
                });
                assert_eq!(leak[a], subset_of[a]);
                assert_eq!(leak[b], subset_of[b]);
            }
        }
    }
    assert!(
        crossing >= 5,
        "only {crossing} planted pairs cross the split: pick another seed"
    );
    for leak in &leaks {
        let sides: HashSet<String> = leak.values().map(Subset::to_string).collect();
        assert_eq!(sides.len(), 2);
    }
    // Regrouping at another threshold (the viewer's slider) gives what analyzing at it gives.
    for near_distance in [0, 24] {
        let thresholds = Thresholds {
            near_distance,
            ..Thresholds::default()
        };
        let mut regrouped = findings.clone();
        health::regroup(&scan, &mut regrouped, near_distance);
        let analyzed = health::analyze(&scan, &thresholds);
        assert_ne!(analyzed.duplicates, findings.duplicates, "{near_distance}");
        assert_eq!(regrouped, analyzed, "{near_distance}");
    }
    // Without a split (or with a subset) nothing is a leak.
    options.plan.subset = Some(Subset::Training);
    let one_side = run(&root, &options, &cache);
    assert!(!one_side.split);
    assert!(
        health::analyze(&one_side, &Thresholds::default())
            .leaks
            .is_empty()
    );
}

#[test]
fn health_json_has_exactly_the_documented_keys() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("data");
    let a = scene(64, 64, 1);
    save_png(
        &root.join("a/x.png"),
        &a,
        image::codecs::png::CompressionType::Default,
    );
    save_png(
        &root.join("b/sub/y.png"),
        &a,
        image::codecs::png::CompressionType::Best,
    );
    save_png(
        &root.join("b/z.png"),
        &plant::map(&scene(64, 64, 2), |v| v / 10),
        image::codecs::png::CompressionType::Default,
    );
    let mut options = LoadOptions::default();
    options.plan.validation_split = Some(0.5);
    let scan = run(&root, &options, &dir.path().join("cache"));
    let findings = health::analyze(&scan, &Thresholds::default());
    let json = serde_json::to_value(health::report::json(&scan, &findings)).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut want = vec![
        "duplicates",
        "leaks",
        "flags",
        "channels",
        "classes",
        "imbalance_ratio",
    ];
    let mut got = keys.clone();
    want.sort_unstable();
    got.sort_unstable();
    assert_eq!(got, want);
    let dup = &json["duplicates"][0];
    assert_eq!(
        dup.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["kind", "paths", "score"]
    );
    assert_eq!(dup["kind"], "exact");
    assert_eq!(dup["paths"], serde_json::json!(["a/x.png", "b/sub/y.png"]));
    assert_eq!(dup["score"], 1.0);
    let leak = &json["leaks"][0];
    assert_eq!(
        leak.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["paths", "subsets"]
    );
    assert_eq!(
        leak["subsets"],
        serde_json::json!(["training", "validation"])
    );
    let flag = json["flags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "dark")
        .unwrap();
    assert_eq!(
        flag.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["kind", "path", "score"]
    );
    assert_eq!(flag["path"], "b/z.png");
    assert_eq!(
        json["channels"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["mean", "std"]
    );
    assert_eq!(json["channels"]["mean"].as_array().unwrap().len(), 3);
    assert_eq!(json["classes"], serde_json::json!({"a": 1, "b": 2}));
    assert_eq!(json["imbalance_ratio"], 2.0);
}

#[test]
fn health_second_pass_comes_from_the_cache_and_sees_a_changed_file() {
    let dir = tempfile::tempdir().unwrap();
    let (root, cache) = (dir.path().join("data"), dir.path().join("cache"));
    for i in 0..12 {
        save_png(
            &root.join(format!("c/{i:02}.png")),
            &scene(48, 48, i),
            image::codecs::png::CompressionType::Fast,
        );
    }
    let options = LoadOptions::default();
    let first = run(&root, &options, &cache);
    assert_eq!(first.cached, 0);
    let files: Vec<_> = std::fs::read_dir(&cache).unwrap().flatten().collect();
    assert_eq!(files.len(), 1, "one cache file, in the cache folder");
    assert!(
        !std::fs::read_dir(root.join("c"))
            .unwrap()
            .flatten()
            .any(|e| !e.file_name().to_string_lossy().ends_with(".png"))
    );
    let second = run(&root, &options, &cache);
    assert_eq!(second.cached, 12);
    assert_eq!(second.entries, first.entries);
    // A changed file is measured again (another size), the others still come from the cache.
    save_png(
        &root.join("c/03.png"),
        &scene(48, 48, 99),
        image::codecs::png::CompressionType::Best,
    );
    let third = run(&root, &options, &cache);
    assert_eq!(third.cached, 11);
    assert_ne!(third.entries[3].health, first.entries[3].health);
    // A corrupt cache is ignored.
    std::fs::write(files[0].path(), b"BSHEALTH garbage").unwrap();
    let fourth = run(&root, &options, &cache);
    assert_eq!(fourth.cached, 0);
    assert_eq!(fourth.entries, third.entries);
    // Other pixel options are another cache.
    let mut gray = LoadOptions::default();
    gray.preprocess.color_mode = batchscope::options::ColorMode::Grayscale;
    assert_eq!(run(&root, &gray, &cache).cached, 0);
}

#[test]
fn health_pass_stops_when_cancelled_during_the_pass() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("data");
    for i in 0..300 {
        save_png(
            &root.join(format!("c/{i:03}.png")),
            &scene(32, 32, i),
            image::codecs::png::CompressionType::Fast,
        );
    }
    let mut options = LoadOptions::default();
    options.plan.batch_size = 8;
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&cancel);
    let mut calls = 0;
    let result = health::scan(
        open(&root, &options),
        &options,
        &ScanOptions { cache_dir: None },
        &mut |p| {
            calls += 1;
            if p.done > 0 {
                flag.store(true, Ordering::Relaxed);
            }
        },
        &cancel,
    );
    assert!(
        matches!(result, Err(ScanError::Cancelled)),
        "{:?}",
        result.map(|s| s.entries.len())
    );
    assert!(calls < 300 / 8);
}

/// Exports `root` with `options` as float32 (0..255) through the library, as the command line does.
fn export_f32(root: &Path, options: &LoadOptions, out: &Path) {
    let cancel = Arc::new(AtomicBool::new(false));
    let element = batchscope::load::preprocess::Element {
        dtype: batchscope::options::Dtype::Float32,
        scale: batchscope::options::Scale::To255,
    };
    let job = batchscope::load::spec::prepare(
        open(root, options),
        options,
        element,
        batchscope::load::spec::SizeCheck::AllFiles,
        &cancel,
    )
    .unwrap();
    let export_options = batchscope::export::ExportOptions {
        out: out.to_path_buf(),
        label_mode: batchscope::options::LabelMode::Int,
        overwrite: true,
        strict: false,
        queue_bytes: 64 << 20,
        excluded: Vec::new(),
        arrays: batchscope::export::ArrayOptions::default(),
        shard: None,
        corrections: None,
        boxes: batchscope::export::BoxOptions::default(),
    };
    batchscope::export::export(&Arc::new(job), &export_options, &mut |_| {}, &cancel).unwrap();
}

#[test]
fn health_mean_and_std_equal_the_exported_float32_arrays() {
    let dir = tempfile::tempdir().unwrap();
    let (root, out) = (dir.path().join("data"), dir.path().join("out"));
    for i in 0..20u64 {
        // Mixed sizes and formats, resized to 40x56 (bilinear values are not integers).
        let img = scene(50 + (i as u32 % 5) * 13, 70 - (i as u32 % 3) * 9, i);
        if i % 2 == 0 {
            save_jpeg(&root.join(format!("k{}/{i:02}.jpg", i % 2)), &img, 85);
        } else {
            save_png(
                &root.join(format!("k{}/{i:02}.png", i % 2)),
                &img,
                image::codecs::png::CompressionType::Fast,
            );
        }
    }
    let mut options = LoadOptions::default();
    options.preprocess.image_size = Some(Size {
        height: 40,
        width: 56,
    });
    let scan = run(&root, &options, &dir.path().join("cache"));
    let channels = health::analyze(&scan, &Thresholds::default()).channels;
    export_f32(&root, &options, &out);
    let npy = common::read_npy(&out.join("images.npy"));
    assert_eq!(npy.descr, "<f4");
    assert_eq!(npy.shape, vec![20, 40, 56, 3]);
    let values: Vec<f32> = npy
        .data
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    for c in 0..3 {
        let channel: Vec<f64> = values
            .iter()
            .skip(c)
            .step_by(3)
            .map(|&v| f64::from(v))
            .collect();
        let n = channel.len() as f64;
        let mean = channel.iter().sum::<f64>() / n;
        let std = (channel.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
        assert!(
            (channels.mean[c] - mean).abs() < 1e-9 * mean,
            "channel {c}: {} vs {mean}",
            channels.mean[c]
        );
        assert!(
            (channels.std[c] - std).abs() < 1e-7 * std,
            "channel {c}: {} vs {std}",
            channels.std[c]
        );
    }
    if common::has_python_module(
        "numpy",
        "health_mean_and_std_equal_the_exported_float32_arrays",
    ) {
        let printed = common::run_python(
            "import sys, json, numpy as np\na = np.load(sys.argv[1]).astype(np.float64)\nprint(json.dumps([a.mean(axis=(0,1,2)).tolist(), a.std(axis=(0,1,2)).tolist()]))",
            &[out.join("images.npy").to_str().unwrap()],
        );
        let [mean, std]: [Vec<f64>; 2] = serde_json::from_str(printed.trim()).unwrap();
        for c in 0..3 {
            assert!(
                (channels.mean[c] - mean[c]).abs() < 1e-9 * mean[c],
                "numpy mean {c}: {} vs {}",
                channels.mean[c],
                mean[c]
            );
            assert!(
                (channels.std[c] - std[c]).abs() < 1e-7 * std[c],
                "numpy std {c}: {} vs {}",
                channels.std[c],
                std[c]
            );
        }
    }
}

#[test]
fn health_command_line_writes_the_json_and_refuses_bad_flags() {
    use clap::Parser as _;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("data");
    for i in 0..6 {
        save_png(
            &root.join(format!("k{}/{i}.png", i % 2)),
            &scene(40, 40, i),
            image::codecs::png::CompressionType::Fast,
        );
    }
    std::fs::copy(root.join("k0/0.png"), root.join("k1/copy.png")).unwrap();
    let json = dir.path().join("health.json");
    let parse = |extra: &[&str]| {
        let mut args = vec!["batchscope", "health", root.to_str().unwrap(), "--no-cache"];
        args.extend_from_slice(extra);
        batchscope::cli::Cli::try_parse_from(args)
    };
    let cli = parse(&[
        "--json",
        json.to_str().unwrap(),
        "--validation-split",
        "0.5",
        "--shuffle",
        "--seed",
        "1",
    ])
    .unwrap();
    assert!(matches!(batchscope::cli::run(&cli), Some(Ok(()))));
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let exact: Vec<&serde_json::Value> = written["duplicates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["kind"] == "exact")
        .collect();
    assert_eq!(exact.len(), 1);
    // Members are in pass order (shuffled here).
    let mut paths: Vec<&str> = exact[0]["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    paths.sort_unstable();
    assert_eq!(paths, ["k0/0.png", "k1/copy.png"]);
    assert_eq!(written["classes"], serde_json::json!({"k0": 3, "k1": 4}));
    // A threshold past 64 bits, or a subset without a split, is a usage error (exit 2).
    assert!(parse(&["--near-threshold", "65"]).is_err());
    let cli = parse(&["--subset", "training"]).unwrap();
    assert!(matches!(
        batchscope::cli::run(&cli),
        Some(Err(batchscope::cli::Failure::Usage(_)))
    ));
    // A shuffled split needs a seed here too.
    let cli = parse(&["--validation-split", "0.5", "--shuffle"]).unwrap();
    assert!(matches!(
        batchscope::cli::run(&cli),
        Some(Err(batchscope::cli::Failure::Usage(_)))
    ));
}

#[test]
fn health_exclude_out_feeds_export_exclude_list() {
    use clap::Parser as _;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("data");
    for i in 0..8 {
        save_png(
            &root.join(format!("k{}/{i}.png", i % 2)),
            &scene(40, 40, i),
            image::codecs::png::CompressionType::Fast,
        );
    }
    std::fs::copy(root.join("k0/0.png"), root.join("k1/copy.png")).unwrap();
    save_png(
        &root.join("k1/night.png"),
        &plant::map(&scene(40, 40, 50), |v| v / 12),
        image::codecs::png::CompressionType::Fast,
    );
    let list = dir.path().join("exclude.txt");
    let run = |args: &[&str]| {
        let cli = batchscope::cli::Cli::try_parse_from(args).unwrap();
        batchscope::cli::run(&cli).unwrap()
    };
    let root_arg = root.to_str().unwrap();
    run(&[
        "batchscope",
        "health",
        root_arg,
        "--no-cache",
        "--exclude",
        "exact,dark",
        "--exclude-out",
        list.to_str().unwrap(),
    ])
    .unwrap();
    let text = std::fs::read_to_string(&list).unwrap();
    let lines: Vec<(&str, &str)> = text.lines().map(|l| l.split_once('\t').unwrap()).collect();
    assert_eq!(lines.len(), 2, "{text}");
    // The copy after its original (pass order: k0 before k1), then the dark image.
    assert_eq!(lines[0].0, "k1/copy.png");
    assert!(
        lines[0].1.starts_with("exact duplicate of k0/0.png"),
        "{text}"
    );
    assert_eq!(lines[1].0, "k1/night.png");
    assert!(lines[1].1.starts_with("dark "), "{text}");
    // Export without them: the manifest lacks them, excluded.csv says why.
    let out = dir.path().join("out");
    run(&[
        "batchscope",
        "export",
        root_arg,
        "--out",
        out.to_str().unwrap(),
        "--exclude-list",
        list.to_str().unwrap(),
    ])
    .unwrap();
    let manifest: Vec<String> = common::manifest(&out)
        .into_iter()
        .map(|r| r[1].clone())
        .collect();
    assert_eq!(manifest.len(), 8);
    assert!(
        !manifest
            .iter()
            .any(|p| p == "k1/copy.png" || p == "k1/night.png")
    );
    let excluded = std::fs::read_to_string(out.join("excluded.csv")).unwrap();
    let rows: Vec<&str> = excluded.lines().collect();
    assert_eq!(rows[0], "path,reason");
    assert!(
        rows[1].starts_with("k1/copy.png,exact duplicate of k0/0.png"),
        "{excluded}"
    );
    assert!(rows[2].starts_with("k1/night.png,dark "), "{excluded}");
    assert_eq!(rows.len(), 3);
    assert_eq!(
        common::read_npy(&out.join("images.npy")).shape,
        vec![8, 40, 40, 3]
    );
    // Without --exclude-out, --exclude is refused (and the reverse).
    assert!(
        batchscope::cli::Cli::try_parse_from([
            "batchscope",
            "health",
            root_arg,
            "--exclude",
            "dark"
        ])
        .is_err()
    );
    assert!(
        batchscope::cli::Cli::try_parse_from([
            "batchscope",
            "health",
            root_arg,
            "--exclude",
            "blue",
            "--exclude-out",
            "x"
        ])
        .is_err()
    );
}

#[test]
fn health_counts_the_colour_modes_files_store_from_their_headers() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("data");
    let rgb = scene(16, 16, 1);
    std::fs::create_dir_all(root.join("a")).unwrap();
    rgb.save(root.join("a/rgb1.png")).unwrap();
    scene(16, 16, 2).save(root.join("a/rgb2.png")).unwrap();
    image::DynamicImage::ImageRgb8(rgb.clone())
        .to_luma8()
        .save(root.join("a/gray.png"))
        .unwrap();
    image::DynamicImage::ImageRgb8(rgb)
        .to_rgba8()
        .save(root.join("a/rgba.png"))
        .unwrap();
    let scan = run(&root, &options(), &dir.path().join("cache"));
    assert_eq!(
        scan.color_modes,
        [
            ("Rgb8".to_owned(), 2),
            ("L8".to_owned(), 1),
            ("Rgba8".to_owned(), 1)
        ]
    );
    let findings = health::analyze(&scan, &health::Thresholds::default());
    let text = health::report::text(&scan, &findings, 10, 5);
    assert!(
        text.contains("stored colour modes (headers): Rgb8 2, L8 1, Rgba8 1"),
        "{text}"
    );
}

#[test]
fn health_visit_rows_hands_over_the_values_a_float32_batch_holds() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("data");
    // Three of the eight files are already 40x56 (handed over as their bytes); the rest are resized.
    for i in 0..8u64 {
        let (w, h) = if i % 3 == 0 {
            (56, 40)
        } else {
            (30 + i as u32 * 7, 61)
        };
        let img = scene(w, h, i);
        if i % 2 == 0 {
            save_jpeg(&root.join(format!("k/{i}.jpg")), &img, 90);
        } else {
            save_png(
                &root.join(format!("k/{i}.png")),
                &img,
                image::codecs::png::CompressionType::Fast,
            );
        }
    }
    let mut options = LoadOptions::default();
    options.preprocess.image_size = Some(Size {
        height: 40,
        width: 56,
    });
    options.plan.batch_size = 8;
    let cancel = AtomicBool::new(false);
    let element = batchscope::load::preprocess::Element {
        dtype: batchscope::options::Dtype::Float32,
        scale: batchscope::options::Scale::To255,
    };
    let job = batchscope::load::spec::prepare(
        open(&root, &options),
        &options,
        element,
        batchscope::load::spec::SizeCheck::AllFiles,
        &cancel,
    )
    .unwrap();
    let batch = batchscope::load::loader::load_batch(&job, 0, &cancel);
    let batchscope::load::loader::Pixels::F32(expected) = &batch.pixels else {
        panic!("float32 batch expected");
    };
    let len = job.shape.len();
    let ids = job.plan.batch(0).to_vec();
    let visited = batchscope::load::loader::visit_rows(
        &job,
        &ids,
        batchscope::load::loader::Stop::on(&cancel),
        |v| {
            let values: Vec<f32> = match v.row {
                batchscope::load::loader::Row::U8(b) => b.iter().map(|&x| f32::from(x)).collect(),
                batchscope::load::loader::Row::F32(f) => f.to_vec(),
            };
            let as_bytes = matches!(v.row, batchscope::load::loader::Row::U8(_));
            let file = std::fs::read(job.index.path(v.sample)).unwrap();
            assert_eq!(v.file_bytes, Some(file.as_slice()));
            (v.sample, v.original, as_bytes, values)
        },
    );
    assert_eq!(visited.len(), 8);
    let mut as_bytes = 0;
    for (row, result) in visited.into_iter().enumerate() {
        let (sample, original, bytes, values) = result.unwrap();
        assert_eq!(sample, batch.samples[row]);
        assert_eq!(original, batch.originals[row]);
        assert_eq!(bytes, (original.width, original.height) == (56, 40));
        as_bytes += usize::from(bytes);
        assert_eq!(values, expected[row * len..(row + 1) * len], "row {row}");
    }
    assert_eq!(as_bytes, 3);
}

#[test]
fn health_pass_decodes_jpegs_with_the_chosen_decoder() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("data");
    for i in 0..6u64 {
        save_jpeg(&root.join(format!("k/{i}.jpg")), &scene(48, 32, i), 85);
    }
    let scan_with = |jpeg| {
        let mut options = LoadOptions::default();
        options.preprocess.jpeg = jpeg;
        let scan = health::scan(
            open(&root, &options),
            &options,
            &ScanOptions { cache_dir: None },
            &mut |_| {},
            &Arc::new(AtomicBool::new(false)),
        )
        .unwrap();
        let channels = health::analyze(&scan, &Thresholds::default()).channels;
        (scan, channels, options)
    };
    let (fast, _, _) = scan_with(batchscope::options::JpegDecoder::Fast);
    let (exact, channels, options) = scan_with(batchscope::options::JpegDecoder::Exact);
    // The two decoders differ by a few levels: every image's pixels hash differently.
    for (a, b) in fast.entries.iter().zip(&exact.entries) {
        let (a, b) = (a.health.as_ref().unwrap(), b.health.as_ref().unwrap());
        assert_ne!(a.pixel_hash, b.pixel_hash);
    }
    // The exact pass measures what the exact export holds.
    let out = dir.path().join("out");
    export_f32(&root, &options, &out);
    let npy = common::read_npy(&out.join("images.npy"));
    let red: Vec<f64> = npy
        .data
        .chunks_exact(4)
        .map(|b| f64::from(f32::from_le_bytes(b.try_into().unwrap())))
        .step_by(3)
        .collect();
    let mean = red.iter().sum::<f64>() / red.len() as f64;
    assert!(
        (channels.mean[0] - mean).abs() < 1e-9 * mean,
        "{} vs {mean}",
        channels.mean[0]
    );
}

/// Issue 23, item 10: an unwritable cache folder failed silently. The pass completes, and a note
/// names the cache file and the reason, in the report and on the command line.
#[test]
fn an_unwritable_cache_folder_is_named_in_a_note_not_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("data");
    for i in 0..3 {
        common::save(&root, &format!("a/{i}.png"), &common::pattern(8, 6, i));
    }
    // A file where the cache folder should be: no folder can be made under it, root or not.
    let blocked = dir.path().join("not_a_folder");
    std::fs::write(&blocked, b"").unwrap();
    let scan = run(&root, &options(), &blocked.join("health"));
    assert_eq!(scan.entries.len(), 3);
    assert_eq!(scan.notes.len(), 1, "{:?}", scan.notes);
    let note = &scan.notes[0];
    assert!(
        note.starts_with("the hash cache could not be written (")
            && note.contains(&*blocked.to_string_lossy()),
        "{note}"
    );

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_batchscope"))
        .args(["health", root.to_str().unwrap()])
        .env("XDG_CACHE_HOME", &blocked)
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    assert!(
        format!("{stdout}{stderr}").contains("the hash cache could not be written"),
        "stdout: {stdout}\nstderr: {stderr}"
    );
}
