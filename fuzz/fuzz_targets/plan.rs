//! libFuzzer driver of the `plan` target in `tests/fuzz/` (the properties are documented there).
#![no_main]

#[allow(dead_code, clippy::all, clippy::pedantic)]
#[path = "../../tests/fuzz/mod.rs"]
mod fuzz;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    fuzz::targets::plan(data);
});
