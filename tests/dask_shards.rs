//! The shards run as tasks of a real distributed engine on this machine: a Dask
//! `distributed.LocalCluster` with process workers on loopback, through `docs/dask_shards.py` (the
//! recipe the README shows). The merged result equals the single-process export, file for file.

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.
mod common;

use std::path::Path;
use std::process::Command;

use common::{batchscope_ok, pattern, save, write};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn dask_local_cluster_shards_merge_into_the_single_export() {
    const TEST: &str = "dask_local_cluster_shards_merge_into_the_single_export";
    if !common::has_python_module("numpy", TEST) || !common::has_python_module("distributed", TEST)
    {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for i in 0..30u32 {
        let class = ["ant", "bee", "cow"][(i % 3) as usize];
        save(
            &data,
            &format!("{class}/{i:02}.png"),
            &pattern(7, 5, i * 11),
        );
    }
    write(&data, "bee/broken.png", b"\x89PNG\r\n\x1a\n not really");
    let options = [
        "--image-size",
        "4x6",
        "--dtype",
        "float32",
        "--shuffle",
        "--seed",
        "42",
        "--validation-split",
        "0.2",
        "--subset",
        "training",
        "--batch-size",
        "4",
    ];
    let single = dir.path().join("single");
    let mut args = vec!["export", s(&data), "--out", s(&single)];
    args.extend_from_slice(&options);
    batchscope_ok(&args);

    let out = dir.path().join("sharded");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/dask_shards.py");
    let child = Command::new(common::python())
        .arg(&script)
        .args([s(&data), s(&out), "--shards", "5", "--workers", "2"])
        .args(["--batchscope", env!("CARGO_BIN_EXE_batchscope"), "--"])
        .args(options)
        // Dask's worker scratch space goes under TMPDIR: keep it in the test's folder.
        .env("TMPDIR", dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let driver = child.id();
    let run = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "the Dask run failed:\n{stderr}");
    // Every shard ran in a worker process, not in the driver script.
    let pids: Vec<u32> = String::from_utf8_lossy(&run.stdout)
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect();
    assert_eq!(pids.len(), 5, "{stderr}");
    assert!(!pids.contains(&driver), "{pids:?} vs driver {driver}");

    let mut names: Vec<_> = std::fs::read_dir(&single)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    let mut merged: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    merged.sort();
    assert_eq!(merged, names);
    for name in &names {
        assert!(
            std::fs::read(single.join(name)).unwrap() == std::fs::read(out.join(name)).unwrap(),
            "{name:?} differs between the Dask run and the single export"
        );
    }
}
