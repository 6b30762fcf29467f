//! Faults during a command-line export: signals (SIGINT, SIGTERM, SIGHUP), and the disk filling up
//! mid-way. The test hold hook (`BATCHSCOPE_TEST_HOLD_FILE`) stops the export before it opens one file,
//! which holds it at a known point: the test waits for `<file>.held`, acts, and then either sends a
//! signal (which also ends the hold) or creates `<file>.release`.

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.

mod common;
#[allow(dead_code)] // Shared with the fuzz seeds; this file writes one saved dataset.
#[path = "common/records.rs"]
mod records;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{ReleaseOnDrop, Tmpfs, hold_env, pattern, release, save, wait_held, wait_until};

/// `a/00..NN.png` good images, then `b/hold.png`, the file the export is held at.
fn dataset_with_hold(root: &Path, good: u32, size: u32) -> PathBuf {
    for i in 0..good {
        save(root, &format!("a/{i:02}.png"), &pattern(size, size, i));
    }
    save(root, "b/hold.png", &pattern(size, size, 99))
}

/// Starts `batchscope ARGS`, held before it opens `held`, with stderr captured.
fn spawn_held(args: &[&str], held: &Path) -> std::process::Child {
    let (key, value) = hold_env(held);
    Command::new(env!("CARGO_BIN_EXE_batchscope"))
        .args(args)
        .env(key, value)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Starts `batchscope export DATA --out OUT --image-size SIZE`, held before it opens `held`.
fn spawn_export(data: &Path, out: &Path, size: &str, held: &Path) -> std::process::Child {
    spawn_held(
        &[
            "export",
            data.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--image-size",
            size,
        ],
        held,
    )
}

fn kill(child: &std::process::Child, signal: &str) {
    assert!(
        Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
}

fn finish(child: std::process::Child) -> (Option<i32>, String) {
    let output = child.wait_with_output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A signal while the export is held mid-way: exit 130, its staging folder and the output folder it
/// created removed.
fn signal_mid_export_leaves_no_arrays(signal: &str) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let held = dataset_with_hold(&data, 12, 8);
    let _release = ReleaseOnDrop(held.clone());
    let out = dir.path().join("out");
    let child = spawn_export(&data, &out, "8", &held);
    wait_held(&held);
    wait_until("writing to begin", || {
        common::staging_dir(&out).is_some_and(|d| d.join("images.npy").exists())
    });
    // The handler sets the cancel flag, then ends the hold: the export goes on and sees it.
    kill(&child, signal);
    let (code, stderr) = finish(child);
    assert_eq!(code, Some(130), "{signal}: {stderr}");
    assert!(
        stderr.contains("export interrupted; no output was kept"),
        "{signal}: {stderr}"
    );
    assert!(!out.exists(), "{signal}");
    assert_eq!(common::leftovers(&out), Vec::<String>::new(), "{signal}");
}

#[test]
fn ctrl_c_during_an_export_exits_130_and_leaves_no_arrays() {
    signal_mid_export_leaves_no_arrays("-INT");
}

#[test]
fn sigterm_and_sighup_during_an_export_clean_up_like_ctrl_c() {
    // Before: SIGTERM killed the process and left its partial files behind.
    signal_mid_export_leaves_no_arrays("-TERM");
    signal_mid_export_leaves_no_arrays("-HUP");
}

#[test]
fn ctrl_c_while_reading_headers_interrupts_inspect_and_export() {
    // Without --image-size every header is read first (the native size); a signal there stops it.
    for command in ["inspect", "export"] {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let held = dataset_with_hold(&data, 3, 4);
        let _release = ReleaseOnDrop(held.clone());
        let out = dir.path().join("out");
        let mut args = vec![command, data.to_str().unwrap()];
        if command == "export" {
            args.extend(["--out", out.to_str().unwrap()]);
        }
        let child = spawn_held(&args, &held);
        wait_held(&held);
        kill(&child, "-INT");
        let (code, stderr) = finish(child);
        assert_eq!(code, Some(130), "{command}: {stderr}");
        assert!(stderr.contains("interrupted"), "{command}: {stderr}");
        assert!(!out.exists(), "{command}: nothing written");
    }
}

#[test]
fn disk_full_mid_export_fails_with_the_path_and_reason_and_leaves_no_arrays() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let held = dataset_with_hold(&data, 8, 64);
    let _release = ReleaseOnDrop(held.clone());
    let mount = dir.path().join("small");
    let test = "disk_full_mid_export_fails_with_the_path_and_reason_and_leaves_no_arrays";
    let Some(_mount) = Tmpfs::mount(&mount, "size=4m", test) else {
        return;
    };
    let out = mount.join("out");
    let child = spawn_export(&data, &out, "64", &held);
    wait_held(&held);
    // Fill the disk while the export is held, then let it go on.
    let filler = mount.join("filler");
    let mut file = std::fs::File::create(&filler).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    while std::io::Write::write_all(&mut file, &chunk).is_ok() {}
    let _ = std::io::Write::flush(&mut file);
    release(&held);
    let (code, stderr) = finish(child);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert!(
        stderr.contains("small/.out.batchscope-") && stderr.contains("images.npy"),
        "the message names the file: {stderr}"
    );
    // The run created the output folder and kept nothing: neither it nor its staging folder is left.
    assert!(!out.exists());
    assert_eq!(common::leftovers(&out), Vec::<String>::new());
}

/// Issue 23, item 5: a signal while `inspect` streamed past a record over the limit (a GZIP snapshot
/// record claiming gigabytes takes seconds) was not seen until the pass ended, and the pass's result
/// was then printed as the dataset with exit 0. Now the skip stops within a MiB and the command exits
/// 130 without printing the dataset.
#[test]
fn a_signal_while_inspect_skips_an_oversized_record_exits_130_and_prints_nothing() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("saved");
    let snapshot = records::saved_layout(&saved, &[-1], 1);
    // One record claiming 64 MiB (with a valid length CRC), all there, over `--max-file-bytes 1M`.
    let len: u64 = 64 << 20;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&len.to_le_bytes()).unwrap();
    let crc = batchscope::source::tfrecord::masked_crc(&len.to_le_bytes());
    gz.write_all(&crc.to_le_bytes()).unwrap();
    gz.write_all(&vec![0; 1 << 20].repeat(64)).unwrap();
    gz.write_all(&[0; 4]).unwrap();
    std::fs::write(&snapshot, gz.finish().unwrap()).unwrap();
    // Held as the skip begins (after the pass's own checks of the flag), signalled there, released.
    let release = dir.path().join("release");
    let child = Command::new(env!("CARGO_BIN_EXE_batchscope"))
        .args(["inspect", saved.to_str().unwrap(), "--batched", "no"])
        .args(["--max-file-bytes", "1M"])
        .env("BATCHSCOPE_TEST_HOLD_AT", "skip-bytes")
        .env("BATCHSCOPE_TEST_RELEASE_FILE", &release)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let held = PathBuf::from(format!("{}.held", release.display()));
    wait_until("the skip to be held", || held.exists());
    kill(&child, "-TERM");
    std::fs::write(&release, b"").unwrap();
    let output = child.wait_with_output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert_eq!(output.status.code(), Some(130), "{stdout}\n{stderr}");
    assert_eq!(stdout, "");
    assert_eq!(stderr, "batchscope: interrupted\n");
}
