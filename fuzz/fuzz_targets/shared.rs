//! What every libFuzzer driver in this folder includes (as `#[path = "shared.rs"] mod shared;`): the
//! stable fuzzer's targets in `tests/fuzz/`, whose properties these drivers check, and a temp dir for
//! the targets that write files.

#[allow(dead_code, clippy::all, clippy::pedantic)]
#[path = "../../tests/fuzz/mod.rs"]
pub mod fuzz;

static DIR: std::sync::LazyLock<tempfile::TempDir> =
    std::sync::LazyLock::new(|| tempfile::tempdir().expect("a temp dir"));

/// The temp dir the targets write their files in, one per process.
#[allow(dead_code)] // `plan` and `npy_header` write no files.
pub fn dir() -> &'static std::path::Path {
    DIR.path()
}
