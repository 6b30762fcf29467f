//! Not enough free space is refused before the first byte is written, with the numbers and the path.
//! Needs a tiny tmpfs, which needs root (CI runs as root); elsewhere the test says why it skips.

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.

mod common;

use common::{Tmpfs, batchscope, pattern, save};

#[test]
fn export_larger_than_the_free_space_is_refused_up_front() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for i in 0..8 {
        save(&data, &format!("a/{i}.png"), &pattern(256, 256, i));
    }
    let Some(disk) = Tmpfs::mount(
        &dir.path().join("tiny"),
        "size=1m",
        "export_larger_than_the_free_space_is_refused_up_front",
    ) else {
        return;
    };
    let out = disk.0.join("out");
    let res = batchscope(&[
        "export",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(1), "{err}");
    // 8 x 256 x 256 x 3 bytes of images alone: 1,572,864 bytes > 1 MiB.
    assert!(
        err.contains("not enough free disk space: the export needs"),
        "{err}"
    );
    assert!(
        err.contains("bytes (1.6 MB) but only") && err.contains("tiny/out"),
        "{err}"
    );
    // Nothing was written, and the output folder the run created is gone again.
    assert!(!out.exists());
    assert_eq!(common::leftovers(&out), Vec::<String>::new());
}
