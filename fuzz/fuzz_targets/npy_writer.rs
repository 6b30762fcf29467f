//! libFuzzer driver of the `npy_writer` target in `tests/fuzz/` (the properties are documented there).
#![no_main]

#[path = "shared.rs"]
mod shared;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    shared::fuzz::targets::npy_writer(data, shared::dir());
});
