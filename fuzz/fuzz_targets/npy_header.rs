//! libFuzzer driver of the `npy_header` target in `tests/fuzz/` (the properties are documented there).
#![no_main]

#[path = "shared.rs"]
mod shared;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    shared::fuzz::targets::npy_header(data);
});
