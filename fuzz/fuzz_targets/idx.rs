//! libFuzzer driver of the `idx` reader target in `tests/fuzz/readers.rs` (the properties are
//! documented there). Run with `-malloc_limit_mb` to hold it to an allocation budget (see the
//! README's Fuzzing section).
#![no_main]

#[path = "shared.rs"]
mod shared;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    shared::fuzz::readers::idx(data, shared::dir());
});
