//! The Python peers of the parity tests, one test each, so that `cargo test` says in its own summary
//! when they are missing: without numpy, `numpy_is_installed_for_the_parity_tests ... ignored, ...`
//! and "1 ignored" (the cfg comes from `build.rs`). The parity tests that need the module pass as
//! skipped and print `SKIPPED <test>: <reason>`, and `cargo test` ends with a line counting them
//! (`tests/zz_skipped_summary.rs`); these tests name what they need and how to get it.
//! (libtest has no way for a test to mark itself ignored at run time, hence the build-time check.)

mod common;

#[test]
#[cfg_attr(
    batchscope_without_numpy,
    ignore = r#"numpy not found in $PYTHON (python3 if unset), so the tests that need it are SKIPPED; $PYTHON -m pip install numpy tensorflow-cpu "dask[distributed]" datasets pillow, or set PYTHON=/path/to/venv/bin/python"#
)]
fn numpy_is_installed_for_the_parity_tests() {
    // Installed or removed since the build: the run-time check decides, and says so.
    if common::has_python_module("numpy", "numpy_is_installed_for_the_parity_tests") {
        let version = common::run_python("import numpy; print(numpy.__version__)", &[]);
        assert!(version.trim().starts_with(char::is_numeric), "{version}");
    }
}

#[test]
#[cfg_attr(
    batchscope_without_tensorflow,
    ignore = r#"tensorflow not found in $PYTHON (python3 if unset), so the tests that need it are SKIPPED; $PYTHON -m pip install numpy tensorflow-cpu "dask[distributed]" datasets pillow, or set PYTHON=/path/to/venv/bin/python"#
)]
fn tensorflow_is_installed_for_the_parity_tests() {
    if common::has_python_module("tensorflow", "tensorflow_is_installed_for_the_parity_tests") {
        let found = common::run_python(
            "import importlib.util; print(importlib.util.find_spec('tensorflow') is not None)",
            &[],
        );
        assert_eq!(found.trim(), "True");
    }
}
