//! Faults during a command-line export: Ctrl-C, and the disk filling up mid-way. A named pipe among
//! the images holds the export at a known point (reading it blocks until the test writes to it).

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Tmpfs, mkfifo, pattern, save, unblock_pipe};

/// `a/00..NN.png` good images, then `b/fifo.png`, a named pipe.
fn dataset_with_pipe(root: &Path, good: u32, size: u32) -> PathBuf {
    for i in 0..good {
        save(root, &format!("a/{i:02}.png"), &pattern(size, size, i));
    }
    let fifo = root.join("b/fifo.png");
    mkfifo(&fifo);
    fifo
}

/// Starts `batchscope export DATA --out OUT --image-size SIZE` with stderr captured.
fn spawn_export(data: &Path, out: &Path, size: &str) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_batchscope"))
        .args([
            "export",
            data.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--image-size",
            size,
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn wait_for(what: &str, done: impl Fn() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn ctrl_c_during_an_export_exits_130_and_leaves_no_arrays() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let fifo = dataset_with_pipe(&data, 12, 8);
    let out = dir.path().join("out");
    let mut child = spawn_export(&data, &out, "8");
    // The staged file exists once the handler is installed and writing has begun; the pipe holds the rest.
    wait_for("the export to start", || {
        common::staging_dir(&out).is_some_and(|d| d.join("images.npy").exists())
    });
    assert!(
        Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    std::thread::sleep(Duration::from_millis(100));
    unblock_pipe(&fifo);
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("export interrupted; no output was kept"),
        "{stderr}"
    );
    assert!(!out.exists());
    assert_eq!(common::leftovers(&out), Vec::<String>::new());
}

#[test]
fn disk_full_mid_export_fails_with_the_path_and_reason_and_leaves_no_arrays() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let fifo = dataset_with_pipe(&data, 8, 64);
    let mount = dir.path().join("small");
    let test = "disk_full_mid_export_fails_with_the_path_and_reason_and_leaves_no_arrays";
    let Some(_mount) = Tmpfs::mount(&mount, "size=4m", test) else {
        unblock_pipe(&fifo);
        return;
    };
    let out = mount.join("out");
    let child = spawn_export(&data, &out, "64");
    wait_for("the export to start", || {
        common::staging_dir(&out).is_some_and(|d| d.join("images.npy").exists())
    });
    std::thread::sleep(Duration::from_millis(300));
    // Fill the disk while the export waits on the pipe, then let it go on.
    let filler = mount.join("filler");
    let mut file = std::fs::File::create(&filler).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    while std::io::Write::write_all(&mut file, &chunk).is_ok() {}
    let _ = std::io::Write::flush(&mut file);
    unblock_pipe(&fifo);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert!(
        stderr.contains("small/.out.batchscope-") && stderr.contains("images.npy"),
        "the message names the file: {stderr}"
    );
    // The run created the output folder and kept nothing: neither it nor its staging folder is left.
    assert!(!out.exists());
    assert_eq!(common::leftovers(&out), Vec::<String>::new());
}
