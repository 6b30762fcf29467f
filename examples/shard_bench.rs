//! Shard scaling and merge throughput (issue 13):
//! `cargo run --release --example shard_bench -- [--dir DIR] [--images N] [--out-dir DIR]`.
//!
//! On the 256x256 JPEG folder `bench` makes (generated here too if missing; `--side S` makes and
//! uses an `SxS` one instead, e.g. 250 for a resize by a ratio that is not a whole number), exports with
//! `--image-size 128x128 --dtype float32` as one process, then as 1, 2 and 4 shard processes run at
//! once (`--shard i/N`), each alternated twice, best of two; then times `batchscope merge` of the
//! 4 shards, checking that it gives the single export's bytes. Output goes to `/dev/shm` (RAM) unless
//! `--out-dir` says otherwise, so the CPU is measured, not the disk.
//!
//! `--resize` instead compares the resized export with decoding alone (every file on all cores with
//! batchscope's decoder, in process) and with the native export, which writes the same bytes
//! without resizing, alternating five times, best of each, wall and CPU time; with
//! `BATCHSCOPE_BIN_BEFORE=path` it runs that binary's resized export beside, for a before/after.
//! `--decode-only` decodes every file once and exits, for measuring its CPU time from outside
//! (`/usr/bin/time`), which a loaded machine disturbs less than the wall time.

#![allow(clippy::unwrap_used)] // A measuring script: a failure is a failed run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

#[path = "common/child.rs"]
mod child;

use batchscope::options::{ColorMode, IndexOptions};
use batchscope::size::Size;
use batchscope::synth::{self, Kind, Spec};
use batchscope::{decode, index};
use child::{own_cpu, try_measure, try_measure_cpu};
use rayon::prelude::*;

const EXPORT: [&str; 4] = ["--image-size", "128x128", "--dtype", "float32"];

fn bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("BATCHSCOPE_BIN") {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().join("batchscope")
}

fn dataset(dir: &Path, n: usize, side: u32) -> PathBuf {
    // The 256x256 folder keeps the name `bench` gives it, so both share it.
    let data = if side == 256 {
        dir.join(format!("jpeg{n}"))
    } else {
        dir.join(format!("jpeg{n}-{side}x{side}"))
    };
    if !data.join(".complete").exists() {
        let _ = std::fs::remove_dir_all(&data);
        let spec = Spec {
            classes: 10,
            per_class: n / 10,
            size: Size::square(side),
            kind: Kind::Jpeg,
            long_names: false,
        };
        synth::write_dataset(&data, &spec).unwrap();
        std::fs::write(data.join(".complete"), b"").unwrap();
    }
    data
}

/// Runs `count` shard processes at once into `out`; wall time of the slowest and the largest peak RSS.
fn shards(data: &Path, out: &Path, count: usize) -> (Duration, u64) {
    let _ = std::fs::remove_dir_all(out);
    let started = Instant::now();
    let runs: Vec<_> = (0..count)
        .map(|i| {
            let (data, out) = (data.to_path_buf(), out.to_path_buf());
            std::thread::Builder::new()
                .name(format!("shard-{i}"))
                .spawn(move || {
                    try_measure(
                        Command::new(bin())
                            .arg("export")
                            .arg(&data)
                            .arg("--out")
                            .arg(&out)
                            .args(EXPORT)
                            .args(["--shard", &format!("{i}/{count}")]),
                    )
                    .unwrap()
                    .1
                })
                .unwrap()
        })
        .collect();
    let rss = runs.into_iter().map(|r| r.join().unwrap()).max().unwrap();
    (started.elapsed(), rss)
}

/// Decodes every file on all cores with the decoder batchscope uses (as `bench` does).
fn decode_all(paths: &[PathBuf]) -> Duration {
    let started = Instant::now();
    let bytes: usize = paths
        .par_iter()
        .map(|p| decode::decode_file(p, ColorMode::Rgb).unwrap().pixels.len())
        .sum();
    assert!(bytes > 0);
    started.elapsed()
}

/// The resized export against decoding alone, and against the native export, which writes the same
/// bytes (256x256x3 uint8 = 128x128x3 float32 per image) without resizing: the most a resized
/// export could reach, with a resize that cost nothing. With `BATCHSCOPE_BIN_BEFORE`, that binary's
/// resized export too. Wall and CPU (user + system) time, best of each over five alternations.
fn resize_vs_decode(data: &Path, out: &Path, n: usize) {
    let index = index::scan(data, &IndexOptions::default()).unwrap();
    let paths: Vec<PathBuf> = (0..index.samples.len()).map(|i| index.path(i)).collect();
    let before = std::env::var_os("BATCHSCOPE_BIN_BEFORE").map(PathBuf::from);
    let export = |bin: &Path, args: &[&str]| {
        let _ = std::fs::remove_dir_all(out);
        let (wall, _, cpu, _) = try_measure_cpu(
            Command::new(bin)
                .arg("export")
                .arg(data)
                .arg("--out")
                .arg(out)
                .args(args),
        )
        .unwrap();
        let _ = std::fs::remove_dir_all(out);
        (wall, cpu)
    };
    let best = |b: &mut (Duration, Duration), (wall, cpu): (Duration, Duration)| {
        *b = (b.0.min(wall), b.1.min(cpu));
    };
    let mut rows = [(Duration::MAX, Duration::MAX); 4];
    for _ in 0..5 {
        let cpu_before = own_cpu();
        let wall = decode_all(&paths);
        best(&mut rows[0], (wall, own_cpu().saturating_sub(cpu_before)));
        best(&mut rows[1], export(&bin(), &[]));
        best(&mut rows[2], export(&bin(), &EXPORT));
        if let Some(before) = &before {
            best(&mut rows[3], export(before, &EXPORT));
        }
    }
    println!(
        "| what | wall | images/s | of decode-only (wall) | CPU | of decode-only (CPU) |\n\
         |---|---:|---:|---:|---:|---:|"
    );
    let (decode_wall, decode_cpu) = rows[0];
    let names = [
        "decode only, all cores",
        "export native uint8 (no resize; 256x256: the same bytes written)",
        "export 128x128 bilinear float32",
        "export 128x128 bilinear float32, BATCHSCOPE_BIN_BEFORE",
    ];
    for (what, &(wall, cpu)) in names.iter().zip(&rows) {
        if wall == Duration::MAX {
            continue;
        }
        println!(
            "| {what} | {:.2} s | {:.0} | {:.0}% | {:.2} s | {:.0}% |",
            wall.as_secs_f64(),
            n as f64 / wall.as_secs_f64(),
            100.0 * decode_wall.as_secs_f64() / wall.as_secs_f64(),
            cpu.as_secs_f64(),
            100.0 * decode_cpu.as_secs_f64() / cpu.as_secs_f64(),
        );
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut resize, mut decode_only, mut side) = (false, false, 256u32);
    let (mut dir, mut n, mut out_dir) = (
        std::env::temp_dir().join("batchscope-bench"),
        20_000,
        PathBuf::from("/dev/shm"),
    );
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--dir" => dir = PathBuf::from(args.next().unwrap()),
            "--images" => n = args.next().unwrap().parse().unwrap(),
            "--side" => side = args.next().unwrap().parse().unwrap(),
            "--out-dir" => out_dir = PathBuf::from(args.next().unwrap()),
            "--resize" => resize = true,
            "--decode-only" => decode_only = true,
            other => panic!("unknown option {other}; see the file's doc comment"),
        }
    }
    let data = dataset(&dir, n, side);
    if decode_only {
        let index = index::scan(&data, &IndexOptions::default()).unwrap();
        let paths: Vec<PathBuf> = (0..index.samples.len()).map(|i| index.path(i)).collect();
        println!(
            "decoded {} files in {:.2} s",
            paths.len(),
            decode_all(&paths).as_secs_f64()
        );
        return;
    }
    child::print_machine();
    if resize {
        resize_vs_decode(&data, &out_dir.join("batchscope-resize-bench"), n);
        return;
    }
    let single = out_dir.join("batchscope-shard-bench-single");
    let sharded = out_dir.join("batchscope-shard-bench-shards");
    println!("| what | wall | images/s | peak RSS (largest process) |\n|---|---:|---:|---:|");
    let mut best = [Duration::MAX; 4];
    let mut rss = [0u64; 4];
    for _ in 0..2 {
        let _ = std::fs::remove_dir_all(&single);
        let (t, r, _) = try_measure(
            Command::new(bin())
                .arg("export")
                .arg(&data)
                .arg("--out")
                .arg(&single)
                .args(EXPORT),
        )
        .unwrap();
        if t < best[0] {
            (best[0], rss[0]) = (t, r);
        }
        for (k, count) in [1usize, 2, 4].into_iter().enumerate() {
            let (t, r) = shards(&data, &sharded, count);
            if t < best[k + 1] {
                (best[k + 1], rss[k + 1]) = (t, r);
            }
        }
    }
    let names = [
        "one process, no shards",
        "1 shard process",
        "2 shard processes at once",
        "4 shard processes at once",
    ];
    for k in 0..4 {
        println!(
            "| {} | {:.2} s | {:.0} | {:.0} MiB |",
            names[k],
            best[k].as_secs_f64(),
            n as f64 / best[k].as_secs_f64(),
            rss[k] as f64 / 1024.0
        );
    }
    // The last run left 4 shards: merge them (twice, re-exporting in between), best of two.
    let mut merge = (Duration::MAX, 0u64);
    for round in 0..2 {
        if round > 0 {
            shards(&data, &sharded, 4);
        }
        let (t, r, _) = try_measure(Command::new(bin()).arg("merge").arg(&sharded)).unwrap();
        merge = merge.min((t, r));
    }
    let bytes = std::fs::metadata(sharded.join("images.npy")).unwrap().len()
        + std::fs::metadata(sharded.join("labels.npy")).unwrap().len();
    for name in ["images.npy", "labels.npy", "manifest.csv", "skipped.csv"] {
        assert!(
            std::fs::read(single.join(name)).unwrap() == std::fs::read(sharded.join(name)).unwrap(),
            "{name} differs between the merge and the single export"
        );
    }
    println!(
        "| merge of the 4 shards ({:.2} GB of arrays, same bytes as the single export) | {:.2} s | {:.0} MB/s | {:.0} MiB |",
        bytes as f64 / 1e9,
        merge.0.as_secs_f64(),
        bytes as f64 / 1e6 / merge.0.as_secs_f64(),
        merge.1 as f64 / 1024.0
    );
    let _ = std::fs::remove_dir_all(&single);
    let _ = std::fs::remove_dir_all(&sharded);
}
