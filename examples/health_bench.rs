//! The health-pass benchmark (issue 12): `batchscope health` against `CleanVision` and against the
//! decode-only rate, on one generated folder of ~2,500 varied pictures (`synth::scene`) with planted
//! problems of every kind, scored against the planted truth.
//!
//! `cargo run --release --example health_bench -- [--dir DIR] [--bin BATCHSCOPE] [--no-cleanvision]`
//!
//! The folder (`DIR/data`, truth in `DIR/truth.json`) is generated once; a `.complete` marker says it is
//! whole. It holds 1,850 distinct 256x256 pictures (three in four JPEG), 50 copies of each duplicate kind
//! (byte copy, PNG re-encode, resized to 160x160, recompressed JPEG q60, brightened +10, 5% cropped) of
//! 300 of them, and 50 pictures of their own for each flag kind (dark, light, blurry, low information,
//! grayscale, odd aspect ratio, odd size), as `tests/health.rs` plants them.
//!
//! Measured side by side, alternately, twice; the best of each is reported (the machines are shared
//! and noisy): `health --no-cache` (cold), `health` with a filled cache, decode-only (every file
//! decoded on all cores with batchscope's decoder, as `examples/bench.rs` does) and `CleanVision`
//! (`bench/health_cleanvision.py`: `Imagelab(data_path=...).find_issues()`, including its import).
//! Peak RSS of the child processes is read from `/proc/PID/status` (`VmHWM`).
//!
//! Scoring: a planted pair is found when both files are in one reported duplicate group (exact or
//! near). "Unrelated grouped" counts files in a group holding no other copy of their picture. A flag
//! is a false positive when the file had no planted problem (a distinct picture or one of its copies).

#![allow(clippy::unwrap_used, clippy::too_many_lines)] // A measuring script: a failure is a failed run.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

#[path = "common/child.rs"]
mod child;

use batchscope::options::{ColorMode, IndexOptions};
use batchscope::synth::plant::{self, DUPLICATE_KINDS, FLAG_KINDS};
use batchscope::synth::scene;
use batchscope::{decode, index};
use child::{own_cpu, try_measure_cpu};
use image::RgbImage;
use image::codecs::png::CompressionType;
use rayon::prelude::*;

const SIDE: u32 = 256;
const DISTINCT: u64 = 1850;
const PER_KIND: u64 = 50;
fn save_jpeg(path: &Path, img: &RgbImage, quality: u8) {
    plant::save_jpeg(path, img, quality).unwrap();
}

fn save_png(path: &Path, img: &RgbImage, compression: CompressionType) {
    plant::save_png(path, img, compression).unwrap();
}

/// The planted truth, written as `truth.json`.
#[derive(Default, serde::Serialize)]
struct Truth {
    /// Picture family of each file (copies share their original's).
    family: BTreeMap<String, u64>,
    /// `(original, copy)` per duplicate kind.
    pairs: BTreeMap<String, Vec<(String, String)>>,
    /// Files planted for each flag kind.
    flagged: BTreeMap<String, Vec<String>>,
}

fn rel_of(n: u64, ext: &str) -> String {
    let class = match n % 10 {
        0..=5 => "cat",
        6..=8 => "dog",
        _ => "emu",
    };
    format!("{class}/{n:05}.{ext}")
}

/// Generates the folder under `dir/data` and its truth, once.
fn generate(dir: &Path) -> (PathBuf, Truth) {
    let data = dir.join("data");
    let truth_path = dir.join("truth.json");
    if dir.join(".complete").exists() {
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&truth_path).unwrap()).unwrap();
        return (data, truth_from_json(&json));
    }
    let _ = std::fs::remove_dir_all(dir);
    let started = Instant::now();
    let mut truth = Truth::default();
    // Distinct pictures, written in parallel.
    let distinct: Vec<String> = (0..DISTINCT)
        .into_par_iter()
        .map(|seed| {
            let img = scene(SIDE, SIDE, seed);
            let rel = rel_of(seed, if seed % 4 == 0 { "png" } else { "jpg" });
            if rel.ends_with("jpg") {
                save_jpeg(&data.join(&rel), &img, 90);
            } else {
                save_png(&data.join(&rel), &img, CompressionType::Default);
            }
            rel
        })
        .collect();
    for (seed, rel) in distinct.iter().enumerate() {
        truth.family.insert(rel.clone(), seed as u64);
    }
    let mut n = DISTINCT;
    let mut jobs = Vec::new();
    for (k, kind) in DUPLICATE_KINDS.iter().enumerate() {
        for j in 0..PER_KIND {
            let i = k as u64 * PER_KIND + j;
            let from = distinct[i as usize].clone();
            let ext = match *kind {
                "byte_copy" => Path::new(&from).extension().unwrap().to_str().unwrap(),
                "recompressed" => "jpg",
                _ => "png",
            };
            let copy = rel_of(n, ext);
            n += 1;
            truth.family.insert(copy.clone(), i);
            truth
                .pairs
                .entry((*kind).to_owned())
                .or_default()
                .push((from.clone(), copy.clone()));
            jobs.push((*kind, from, copy));
        }
    }
    jobs.par_iter().for_each(|(kind, from, copy)| {
        let (from, path) = (data.join(from), data.join(copy));
        let img = plant::decoded(&from).unwrap();
        assert!(plant::write_copy(kind, &from, &img, &path).unwrap());
    });
    let mut problems = Vec::new();
    let mut seed = 100_000;
    for kind in FLAG_KINDS {
        for j in 0..PER_KIND {
            seed += 1;
            let jpeg = !(kind == "grayscale" && j % 2 == 1);
            let rel = rel_of(n, if jpeg { "jpg" } else { "png" });
            n += 1;
            truth.family.insert(rel.clone(), seed);
            truth
                .flagged
                .entry(kind.to_owned())
                .or_default()
                .push(rel.clone());
            problems.push((kind, seed, rel, jpeg));
        }
    }
    problems.par_iter().for_each(|(kind, seed, rel, jpeg)| {
        let img = plant::problem(kind, SIDE, *seed).unwrap();
        if *jpeg {
            save_jpeg(&data.join(rel), &img, 90);
        } else {
            save_png(&data.join(rel), &img, CompressionType::Fast);
        }
    });
    std::fs::write(&truth_path, serde_json::to_vec(&truth).unwrap()).unwrap();
    std::fs::write(dir.join(".complete"), b"").unwrap();
    println!(
        "generated {n} files in {data:?} in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    (data, truth)
}

fn truth_from_json(json: &serde_json::Value) -> Truth {
    let strings = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_owned())
            .collect()
    };
    Truth {
        family: json["family"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
            .collect(),
        pairs: json["pairs"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| {
                let pairs = v
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| {
                        let p = strings(p);
                        (p[0].clone(), p[1].clone())
                    })
                    .collect();
                (k.clone(), pairs)
            })
            .collect(),
        flagged: json["flagged"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), strings(v)))
            .collect(),
    }
}

/// Decodes every file on all cores with the decoder batchscope uses; wall and CPU time.
fn decode_all(paths: &[PathBuf]) -> (Duration, Duration) {
    let (started, cpu) = (Instant::now(), own_cpu());
    let bytes: usize = paths
        .par_iter()
        .map(|p| decode::decode_file(p, ColorMode::Rgb).unwrap().pixels.len())
        .sum();
    assert!(bytes > 0);
    (started.elapsed(), own_cpu().saturating_sub(cpu))
}

/// One tool's findings: duplicate groups (paths) and flags (path, kind).
struct Found {
    groups: Vec<Vec<String>>,
    flags: Vec<(String, String)>,
}

fn found_of(json: &serde_json::Value) -> Found {
    Found {
        groups: json["duplicates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                g["paths"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p.as_str().unwrap().to_owned())
                    .collect()
            })
            .collect(),
        flags: json["flags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["path"].as_str().unwrap().to_owned(),
                    f["kind"].as_str().unwrap().to_owned(),
                )
            })
            .collect(),
    }
}

/// Recall per planted kind (`found/planted`) and false positives, as table cells.
fn score(found: &Found, truth: &Truth) -> BTreeMap<String, String> {
    let mut cells = BTreeMap::new();
    let mut group_of: HashMap<&str, usize> = HashMap::new();
    for (g, paths) in found.groups.iter().enumerate() {
        for p in paths {
            group_of.insert(p, g);
        }
    }
    for (kind, pairs) in &truth.pairs {
        let hit = pairs
            .iter()
            .filter(|(a, b)| {
                group_of
                    .get(a.as_str())
                    .is_some_and(|g| group_of.get(b.as_str()) == Some(g))
            })
            .count();
        cells.insert(kind.clone(), format!("{hit}/{}", pairs.len()));
    }
    let unrelated: usize = found
        .groups
        .iter()
        .map(|paths| {
            paths
                .iter()
                .filter(|p| {
                    let fam = truth.family.get(p.as_str());
                    paths
                        .iter()
                        .filter(|q| truth.family.get(q.as_str()) == fam)
                        .count()
                        < 2
                })
                .count()
        })
        .sum();
    cells.insert("unrelated grouped".to_owned(), unrelated.to_string());
    let flagged: HashSet<(&str, &str)> = found
        .flags
        .iter()
        .map(|(p, k)| (p.as_str(), k.as_str()))
        .collect();
    let planted_any: HashSet<&str> = truth
        .flagged
        .values()
        .flatten()
        .map(String::as_str)
        .collect();
    for (kind, files) in &truth.flagged {
        let hit = files
            .iter()
            .filter(|f| flagged.contains(&(f.as_str(), kind.as_str())))
            .count();
        cells.insert(kind.clone(), format!("{hit}/{}", files.len()));
    }
    let false_flags = found
        .flags
        .iter()
        .filter(|(p, _)| !planted_any.contains(p.as_str()))
        .count();
    cells.insert("flags on clean files".to_owned(), false_flags.to_string());
    cells
}

fn main() {
    let mut dir = std::env::temp_dir().join("batchscope-health-bench");
    let mut bin = None;
    let mut cleanvision = true;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--dir" => dir = PathBuf::from(it.next().unwrap()),
            "--bin" => bin = Some(PathBuf::from(it.next().unwrap())),
            "--no-cleanvision" => cleanvision = false,
            other => panic!("unknown option {other}; see the file's doc comment"),
        }
    }
    let bin = bin.unwrap_or_else(|| {
        let exe = std::env::current_exe().unwrap();
        exe.parent().unwrap().parent().unwrap().join("batchscope")
    });
    assert!(bin.exists(), "build the binary first ({bin:?} is missing)");
    child::print_machine();
    let (data, truth) = generate(&dir);
    let index = index::scan(&data, &IndexOptions::default()).unwrap();
    let paths: Vec<PathBuf> = (0..index.samples.len()).map(|i| index.path(i)).collect();
    let n = paths.len();
    println!("{n} images in {data:?}");

    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let cache_home = out.join("cache-home");
    let health = |json: &Path, cached: bool| {
        let mut cmd = Command::new(&bin);
        cmd.arg("health").arg(&data).arg("--json").arg(json);
        if cached {
            cmd.env("XDG_CACHE_HOME", &cache_home);
        } else {
            cmd.arg("--no-cache");
        }
        try_measure_cpu(&mut cmd).unwrap_or_else(|e| panic!("{e}"))
    };
    let cv_script = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/health_cleanvision.py");
    let cv_json = out.join("cleanvision.json");
    let cv_available = cleanvision
        && Command::new("python3")
            .args(["-c", "import cleanvision"])
            .status()
            .is_ok_and(|s| s.success());
    if cleanvision && !cv_available {
        println!("CleanVision is not importable (python3 -m pip install cleanvision): skipped");
    }
    let _ = std::fs::remove_dir_all(&cache_home);
    // Fills the cache (not reported).
    health(&out.join("fill.json"), true);
    // (wall, peak RSS, CPU time) of the fastest run.
    let best = |a: &mut Option<(Duration, u64, Duration)>, t: Duration, rss: u64, cpu: Duration| {
        if a.is_none_or(|(bt, _, _)| t < bt) {
            *a = Some((t, rss, cpu));
        }
    };
    let (mut cold, mut warm, mut decode, mut cv) = (None, None, None, None);
    for _ in 0..2 {
        let (t, rss, cpu, _) = health(&out.join("batchscope.json"), false);
        best(&mut cold, t, rss, cpu);
        let (t, rss, cpu, _) = health(&out.join("cached.json"), true);
        best(&mut warm, t, rss, cpu);
        let (t, cpu) = decode_all(&paths);
        best(&mut decode, t, 0, cpu);
        if cv_available {
            let (t, rss, cpu, _) = try_measure_cpu(
                Command::new("python3")
                    .arg(&cv_script)
                    .arg(&data)
                    .arg(&cv_json),
            )
            .unwrap_or_else(|e| panic!("{e}"));
            best(&mut cv, t, rss, cpu);
        }
    }
    let (cold, warm, decode) = (cold.unwrap(), warm.unwrap(), decode.unwrap());
    let rate = |t: Duration| n as f64 / t.as_secs_f64();
    println!();
    // CPU time is the steadier figure on a shared machine: other processes stretch wall times but
    // not the CPU a run needs (the decode-only share by CPU is decode's CPU over the run's).
    println!(
        "| what | wall | images/s | CPU | peak RSS | vs CleanVision | of decode-only (wall) | of decode-only (CPU) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let line = |what: &str, (t, rss, cpu): (Duration, u64, Duration), rss_known: bool| {
        let vs = cv.map_or("-".to_owned(), |(c, _, _): (Duration, u64, Duration)| {
            format!("{:.1}x", c.as_secs_f64() / t.as_secs_f64())
        });
        println!(
            "| {what} | {:.2} s | {:.0} | {:.2} s | {} | {vs} | {:.0}% | {:.0}% |",
            t.as_secs_f64(),
            rate(t),
            cpu.as_secs_f64(),
            if rss_known {
                format!("{:.0} MiB", rss as f64 / 1024.0)
            } else {
                "-".to_owned()
            },
            100.0 * rate(t) / rate(decode.0),
            100.0 * decode.2.as_secs_f64() / cpu.as_secs_f64().max(1e-9)
        );
    };
    line("batchscope health --no-cache (cold)", cold, true);
    line("batchscope health (cache filled)", warm, true);
    line("decode-only, all cores (in process)", decode, false);
    if let Some(c) = cv {
        line("CleanVision find_issues (incl. import)", c, true);
    }

    let json = |p: &Path| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
    };
    let ours = score(&found_of(&json(&out.join("batchscope.json"))), &truth);
    let cached = score(&found_of(&json(&out.join("cached.json"))), &truth);
    assert_eq!(ours, cached, "the cached pass found something else");
    let theirs = cv.map(|_| score(&found_of(&json(&cv_json)), &truth));
    println!();
    println!("| planted | batchscope | CleanVision |");
    println!("|---|---:|---:|");
    let rows: Vec<&str> = DUPLICATE_KINDS
        .iter()
        .chain(["unrelated grouped"].iter())
        .chain(FLAG_KINDS.iter())
        .chain(["flags on clean files"].iter())
        .copied()
        .collect();
    for r in rows {
        println!(
            "| {r} | {} | {} |",
            ours[r],
            theirs.as_ref().map_or("-", |t| t[r].as_str())
        );
    }
}
