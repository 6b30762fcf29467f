//! What the Problems panel's checks cost (issue 22, item 6): the header check the viewer runs when a
//! dataset opens (every header and file end read, the suspects loaded to confirm them) against the
//! pass "Check every file now" runs (every file decoded, as the loader decodes it), on one generated
//! folder of 256x256 JPEGs with a few bad files among them.
//!
//! `cargo run --release --example check_bench -- [--dir DIR] [--files N] [--runs K]`
//!
//! The folder (`DIR/data`) is generated once; a `.complete` marker says it is whole. Both checks run
//! in this process, alternately (A B A B ...), on a warm page cache; each prints its time, and the
//! summary gives min / median / max and the ratio of the medians.

#![allow(clippy::unwrap_used)] // A measuring script: a failure is a failed run.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::time::Instant;

use batchscope::load::check;
use batchscope::load::loader::{LoadSpec, Loader};
use batchscope::load::preprocess::Element;
use batchscope::load::spec::{self, SizeCheck};
use batchscope::options::{IndexOptions, LoadOptions};
use batchscope::synth::{plant, scene};
use rayon::prelude::*;

const SIDE: u32 = 256;
const TRUNCATED: usize = 10;
const EMPTY: usize = 5;

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// `files` JPEGs in `a/`, then `TRUNCATED` cut to two thirds and `EMPTY` empty files in `b/`.
fn generate(data: &Path, files: usize) {
    let marker = data.join(".complete");
    if marker.exists() {
        return;
    }
    std::fs::create_dir_all(data.join("a")).unwrap();
    std::fs::create_dir_all(data.join("b")).unwrap();
    (0..files).into_par_iter().for_each(|i| {
        let img = scene(SIDE, SIDE, i as u64);
        plant::save_jpeg(&data.join(format!("a/{i:06}.jpg")), &img, 90).unwrap();
    });
    for i in 0..TRUNCATED {
        let bytes = std::fs::read(data.join(format!("a/{i:06}.jpg"))).unwrap();
        std::fs::write(
            data.join(format!("b/cut_{i}.jpg")),
            &bytes[..bytes.len() * 2 / 3],
        )
        .unwrap();
    }
    for i in 0..EMPTY {
        std::fs::write(data.join(format!("b/empty_{i}.jpg")), b"").unwrap();
    }
    std::fs::write(marker, b"").unwrap();
}

/// Seconds and problems found of the header check.
fn header_check(spec: &LoadSpec) -> (f64, usize) {
    let started = Instant::now();
    let found = check::header_failures(spec, &AtomicBool::new(false), &AtomicUsize::new(0))
        .unwrap()
        .len();
    (started.elapsed().as_secs_f64(), found)
}

/// Seconds and problems found of the pass that decodes every file, as the viewer runs it.
fn decode_check(spec: &LoadSpec) -> (f64, usize) {
    let started = Instant::now();
    let all = Arc::new(check::all_samples(spec, 16));
    let loader = Loader::sequential(all, 16 << 20, Arc::default(), None).unwrap();
    let mut found = 0;
    while let Some(batch) = loader.recv().unwrap() {
        found += batch.failures.len();
        loader.recycle(batch.pixels);
    }
    (started.elapsed().as_secs_f64(), found)
}

fn summary(name: &str, secs: &mut [f64], files: usize) -> f64 {
    secs.sort_by(f64::total_cmp);
    let median = secs[secs.len() / 2];
    println!(
        "{name:<28} min {:.3} s  median {median:.3} s  max {:.3} s  ({:.0} files/s at the median)",
        secs[0],
        secs[secs.len() - 1],
        files as f64 / median
    );
    median
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = PathBuf::from(
        arg(&args, "--dir").unwrap_or_else(|| "/tmp/batchscope-check-bench".to_owned()),
    );
    let files: usize = arg(&args, "--files").map_or(5000, |n| n.parse().unwrap());
    let runs: usize = arg(&args, "--runs").map_or(3, |n| n.parse().unwrap());
    let data = dir.join(format!("data-{files}"));
    generate(&data, files);
    let index = batchscope::index::scan(&data, &IndexOptions::default()).unwrap();
    let total = index.samples.len();
    let options = LoadOptions::default();
    let spec = spec::prepare(
        Arc::new(index),
        &options,
        Element::default(),
        SizeCheck::First(options.plan.batch_size),
        &AtomicBool::new(false),
    )
    .unwrap();
    println!(
        "{total} files ({files} JPEGs of {SIDE}x{SIDE}, {TRUNCATED} truncated, {EMPTY} empty) in {data:?}, jpeg {}, {} threads",
        options.preprocess.jpeg,
        rayon::current_num_threads()
    );
    let (mut headers, mut decodes) = (Vec::new(), Vec::new());
    for run in 1..=runs {
        let (a, found_a) = header_check(&spec);
        let (b, found_b) = decode_check(&spec);
        println!(
            "run {run}: header check {a:.3} s ({found_a} found), decode every file {b:.3} s ({found_b} found)"
        );
        headers.push(a);
        decodes.push(b);
    }
    let a = summary("header check (at open)", &mut headers, total);
    let b = summary("decode every file (button)", &mut decodes, total);
    println!(
        "the header check takes {:.1}% of the full decode's time ({:.0}x faster)",
        100.0 * a / b,
        b / a
    );
}
