//! libFuzzer driver of the `npz` reader target in `tests/fuzz/readers.rs` (the properties are
//! documented there). Run with `-malloc_limit_mb` to hold it to an allocation budget (see the
//! README's Fuzzing section).
#![no_main]

#[allow(dead_code, clippy::all, clippy::pedantic)]
#[path = "../../tests/fuzz/mod.rs"]
mod fuzz;

static DIR: std::sync::LazyLock<tempfile::TempDir> =
    std::sync::LazyLock::new(|| tempfile::tempdir().expect("a temp dir"));

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    fuzz::readers::npz(data, DIR.path());
});
