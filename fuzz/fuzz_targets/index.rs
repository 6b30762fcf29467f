//! libFuzzer driver of the `index` target in `tests/fuzz/` (the properties are documented there).
#![no_main]

#[path = "shared.rs"]
mod shared;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    shared::fuzz::tree::index_walk(data, shared::dir());
});
