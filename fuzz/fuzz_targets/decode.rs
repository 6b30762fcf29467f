//! libFuzzer driver of the `decode` target in `tests/fuzz/` (the properties are documented there).
#![no_main]

#[path = "shared.rs"]
mod shared;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    shared::fuzz::targets::decode(data, shared::dir());
});
