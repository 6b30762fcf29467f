//! The count of skipped tests that `cargo test` ends with (issue 22): skips are recorded per run by
//! `common::skip` in each test binary and summed up by `tests/zz_skipped_summary.rs`. These tests pin
//! the records, the one line, the clean-up, and that a real test binary's skip lands in its run's folder.

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.

mod common;

use common::skips::{self, Skip};

fn skip(binary: &str, test: &str, cause: &str, hint: &str) -> Skip {
    Skip {
        binary: binary.into(),
        test: test.into(),
        cause: cause.into(),
        hint: hint.into(),
    }
}

const PIP: &str = r#"python3 -m pip install numpy tensorflow-cpu "dask[distributed]" datasets pillow, or set PYTHON=/path/to/venv/bin/python"#;

#[test]
fn records_are_read_back_once_per_binary_and_test() {
    let dir = tempfile::tempdir().unwrap();
    let run = skips::run_dir(dir.path(), 4242);
    assert_eq!(skips::read(&run), []);
    let a = skip(
        "tf_parity",
        "exports_match",
        "tensorflow not found in python3",
        PIP,
    );
    let b = skip(
        "gui_sources",
        "a saved dataset",
        "tensorflow not found in python3",
        PIP,
    );
    let c = skip(
        "shard_merge",
        "exports_match",
        "numpy not found in python3",
        PIP,
    );
    for s in [&a, &b, &c, &a] {
        skips::record(&run, s).unwrap();
    }
    // A test that says it skips twice is one record; the same test name in another binary is another.
    assert_eq!(skips::read(&run), [b, c, a]);
    // No temporary files are left beside the records.
    assert_eq!(std::fs::read_dir(&run).unwrap().count(), 3);
}

#[test]
fn the_summary_is_one_line_with_the_count_each_cause_and_each_hint_once() {
    let tf = "tensorflow not found in python3";
    let np = "numpy not found in python3";
    let mut all: Vec<Skip> = (0..41)
        .map(|i| skip("tf_parity", &format!("t{i}"), tf, PIP))
        .collect();
    all.extend((0..12).map(|i| skip("shuffle_numpy", &format!("n{i}"), np, PIP)));
    assert_eq!(
        skips::summary(&all),
        format!(
            "53 tests skipped: tensorflow not found in python3 (41), numpy not found in python3 (12); {PIP}"
        )
    );
    all.push(skip(
        "disk_space",
        "full",
        "cannot mount a tmpfs without root",
        "run as root to check it (CI does)",
    ));
    let line = skips::summary(&all);
    assert_eq!(
        line,
        format!(
            "54 tests skipped: tensorflow not found in python3 (41), numpy not found in python3 (12), \
             cannot mount a tmpfs without root (1); {PIP}; run as root to check it (CI does)"
        )
    );
    assert!(!line.contains('\n'));
    assert_eq!(
        skips::summary(&all[..1]),
        format!("1 test skipped: tensorflow not found in python3; {PIP}")
    );
    assert_eq!(skips::summary(&[]), "no tests skipped");
}

#[test]
fn tidy_removes_the_folders_of_runs_that_ended_and_keeps_live_ones() {
    let dir = tempfile::tempdir().unwrap();
    let s = skip("b", "t", "c", "h");
    for run in [1, 2, 3] {
        skips::record(&skips::run_dir(dir.path(), run), &s).unwrap();
    }
    // 1 ended, 2 still runs, 3 is this run (kept whatever `alive` says).
    skips::tidy(dir.path(), 3, |pid| pid == 2);
    let mut left: Vec<String> = std::fs::read_dir(skips::root(dir.path()))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["2", "3"]);
    assert!(skips::alive(std::process::id()));
}

/// Set in the child process of the test below.
const CHILD: &str = "BATCHSCOPE_TEST_SKIPPED_CHILD";

/// Runs this test binary again on `test` alone, as cargo would run it, with this process as its
/// "cargo" (so its run's folder is named after our pid), Python pointing nowhere.
fn run_child(test: &str, require_python: bool) -> std::process::Output {
    let mut child = std::process::Command::new(std::env::current_exe().unwrap());
    child
        .args(["--exact", test, "--test-threads", "1"])
        .env(CHILD, "1")
        .env("PYTHON", "/nonexistent/bin/python")
        .env_remove("BATCHSCOPE_REQUIRE_PYTHON");
    if require_python {
        child.env("BATCHSCOPE_REQUIRE_PYTHON", "1");
    }
    child.output().unwrap()
}

#[test]
fn a_test_without_its_python_module_says_so_in_one_message_and_is_counted() {
    let test = "a_test_without_its_python_module_says_so_in_one_message_and_is_counted";
    if std::env::var_os(CHILD).is_some() {
        assert!(!common::has_python_module("numpy", test));
        return;
    }
    let out = run_child(test, false);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let cause = "numpy not found in /nonexistent/bin/python";
    let hint = r#"/nonexistent/bin/python -m pip install numpy tensorflow-cpu "dask[distributed]" datasets pillow, or set PYTHON=/path/to/venv/bin/python"#;
    assert!(
        stderr.contains(&format!("SKIPPED {test}: {cause}; {hint}\n")),
        "{stderr}"
    );
    let run = skips::run_dir(
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")),
        std::process::id(),
    );
    let recorded = skips::read(&run);
    std::fs::remove_dir_all(&run).unwrap();
    assert_eq!(recorded, [skip("skipped_tests", test, cause, hint)]);
    assert_eq!(
        skips::summary(&recorded),
        format!("1 test skipped: {cause}; {hint}")
    );

    // Where Python is required (CI), the same test fails instead, and records nothing.
    let out = run_child(test, true);
    // libtest prints a failing test's panic in its report, on stdout.
    let printed = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{printed}");
    assert!(
        printed.contains(
            "numpy not found in /nonexistent/bin/python, and BATCHSCOPE_REQUIRE_PYTHON=1 requires it"
        ),
        "{printed}"
    );
    assert!(!run.exists());
}
