//! libFuzzer driver of the `plan` target in `tests/fuzz/` (the properties are documented there).
#![no_main]

#[path = "shared.rs"]
mod shared;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    shared::fuzz::targets::plan(data);
});
