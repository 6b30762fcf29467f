//! libFuzzer driver of the `example_stream` target in `tests/fuzz/targets.rs`: a `tf.train.Example`
//! read as it streams, against the whole-record decode (the properties are documented there).
#![no_main]

#[path = "shared.rs"]
mod shared;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    shared::fuzz::targets::example_stream(data);
});
