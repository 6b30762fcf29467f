//! Issue 23, item 5: a signal reaches the exact JPEG decoder and the readers' skips. `decode::abandon_all`
//! (what the command line's SIGINT/SIGTERM/SIGHUP handler calls) stops every `--jpeg exact` decode at
//! its next marker or band of 16 rows, and every skip over a stream at its next MiB, with a reason. It is process-wide, so this test has a binary of its own: no other
//! test decodes beside it.

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.

mod common;

use std::io::Read as _;

use batchscope::decode::{self, DecodedInto};
use batchscope::options::{ColorMode, Decoding, JpegDecoder};
use batchscope::size::Size;

/// A progressive JPEG of [`common::pattern`].
fn progressive() -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut bytes, 90);
    encoder.set_progressive(true);
    let pixels = common::pattern(64, 48, 1).into_raw();
    encoder
        .encode(&pixels, 64, 48, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    bytes
}

#[test]
fn abandoned_exact_decodes_stop_with_the_reason_and_fast_ones_are_untouched() {
    let exact = Decoding {
        color_mode: ColorMode::Rgb,
        jpeg: JpegDecoder::Exact,
    };
    let size = Size {
        height: 48,
        width: 64,
    };
    let (baseline, progressive) = (common::jpeg_bytes(64, 48, 1), progressive());
    let mut out = vec![0; 48 * 64 * 3];
    for file in [&baseline, &progressive] {
        assert_eq!(decode::decode_bytes(file, exact).unwrap().width, 64);
        assert!(matches!(
            decode::decode_bytes_into(file, exact, size, &mut out),
            Ok(DecodedInto::Written(..))
        ));
    }
    // Skipping (a record over the limit, a stream to its offset) reads in pieces of 1 MiB.
    let three_mib = 3 << 20;
    let mut zeros = std::io::repeat(0).take(three_mib);
    assert_eq!(decode::skip_bytes(&mut zeros, u64::MAX).unwrap(), three_mib);
    assert!(!decode::abandoned());

    decode::abandon_all();
    // An endless stream is not read at all: the skip stops before its first piece.
    let err = decode::skip_bytes(&mut std::io::repeat(0), 1 << 40).unwrap_err();
    assert_eq!(err.to_string(), "not read: the process is stopping");
    assert!(decode::abandoned());
    for file in [&baseline, &progressive] {
        let err = decode::decode_bytes(file, exact).unwrap_err().to_string();
        assert_eq!(
            err,
            "Jpeg decode failed: not decoded: the process is stopping"
        );
        let err = decode::decode_bytes_into(file, exact, size, &mut out)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "Jpeg decode failed: not decoded: the process is stopping"
        );
        // The fast decoder has no hook inside: it finishes (each of its decodes is short).
        let fast = Decoding {
            jpeg: JpegDecoder::Fast,
            ..exact
        };
        assert_eq!(decode::decode_bytes(file, fast).unwrap().height, 48);
    }
}
