//! libFuzzer driver of the `index` target in `tests/fuzz/` (the properties are documented there).
#![no_main]

#[allow(dead_code, clippy::all, clippy::pedantic)]
#[path = "../../tests/fuzz/mod.rs"]
mod fuzz;

static DIR: std::sync::LazyLock<tempfile::TempDir> =
    std::sync::LazyLock::new(|| tempfile::tempdir().expect("a temp dir"));

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    fuzz::tree::index_walk(data, DIR.path());
});
