//! JPEG exactly as TensorFlow's `tf.io.decode_image` decodes it, pixel for pixel: libjpeg-turbo's
//! decoder (mozjpeg's, built from its bundled C source) with TensorFlow's settings, the fast integer
//! IDCT (`JDCT_IFAST`) and fancy upsampling, block smoothing left on as libjpeg defaults it.
//!
//! - `rgb` is libjpeg's RGB output and `grayscale` its grayscale output (the luma plane), as TensorFlow
//!   asks with `channels=3` and `channels=1`; `rgba` is its RGBA output (alpha 255), where Keras errors.
//! - CMYK and YCCK JPEGs decode to CMYK and become RGB by TensorFlow's own formula (`k * c / 255` when the
//!   file has an Adobe marker, `(255 - k) * (255 - c) / 255` otherwise). TensorFlow refuses them with
//!   `channels=1`; here they become gray from that RGB by libpng's formula, as in the fast path.
//! - A file whose data ends before the image does is an error, as with TensorFlow's
//!   `try_recover_truncated=False`: libjpeg would pad it with a fake end marker, so the reader notes when
//!   the decoder asked for bytes past the end, and the image is refused then.
//!
//! - A JPEG of more than [`MAX_SCANS`] scans is refused before libjpeg sees it: a progressive file
//!   whose scan header repeats tens of thousands of times made libjpeg pass over the whole image once
//!   per scan (85 s for one small file, uninterruptible). libjpeg-turbo caps scans for exactly this
//!   (the `TurboJPEG` scan limit, `djpeg -maxscans`); real encoders write about ten.
//!
//! The library reports errors by unwinding out of its C code (the `unwinding` feature builds it with
//! `-fexceptions`); they are caught here and come back as [`DecodeError`]s.

use std::cell::Cell;
use std::ffi::c_int;
use std::io::{self, BufRead, Read};
use std::panic::{AssertUnwindSafe, catch_unwind};

use image::ImageFormat;
use mozjpeg::decompress::DecompressBuilder;
use mozjpeg::{ColorSpace, DctMethod, Decompress, Marker};
use mozjpeg_sys::{jpeg_common_struct, jpeg_error_mgr};

use super::jpeg_header::{check_size, segments};
use super::{DecodeError, Decoded, DecodedInto, one_line, rgb_to_gray};
use crate::options::ColorMode;
use crate::size::Size;

/// Decodes a JPEG into `mode`'s channels.
pub fn decode(bytes: &[u8], mode: ColorMode) -> Result<Decoded, DecodeError> {
    match run(bytes, mode, None)? {
        DecodedInto::Decoded(decoded) => Ok(decoded),
        // Only asked for with an output slice.
        DecodedInto::Written(..) => Err(decoder_error("decoded into no buffer".to_owned())),
    }
}

/// Decodes a JPEG straight into `out` when it is of size `want` in `mode` and needs no
/// conversion after libjpeg's; hands the decoded image back otherwise.
pub fn decode_into(
    bytes: &[u8],
    mode: ColorMode,
    want: Size,
    out: &mut [u8],
) -> Result<DecodedInto, DecodeError> {
    run(bytes, mode, Some((want, out)))
}

/// The bytes of a file, handed to libjpeg as one buffer, remembering whether it asked for more.
struct Source<'a> {
    rest: &'a [u8],
    ran_out: bool,
}

impl Read for Source<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.rest.len().min(buf.len());
        buf[..n].copy_from_slice(&self.rest[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Source<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.rest.is_empty() {
            self.ran_out = true;
        }
        Ok(self.rest)
    }

    fn consume(&mut self, n: usize) {
        self.rest = &self.rest[n.min(self.rest.len())..];
    }
}

fn decoder_error(message: String) -> DecodeError {
    DecodeError::Decoder {
        format: ImageFormat::Jpeg,
        message,
    }
}

/// The most scans a JPEG may hold (the limit libjpeg-turbo's own fuzzers give `TurboJPEG`).
pub const MAX_SCANS: usize = 500;

/// The scans (SOS markers) of a JPEG, counted by walking its segments and skipping entropy-coded
/// data (stuffed `FF 00` bytes and restart markers); counting stops past `cap`.
pub fn count_scans(bytes: &[u8], cap: usize) -> usize {
    segments(bytes)
        .filter(|(marker, _)| *marker == 0xDA)
        .take(cap + 1)
        .count()
}

thread_local! {
    /// The warnings libjpeg emitted during the decode running on this thread.
    static WARNINGS: Cell<u32> = const { Cell::new(0) };
}

/// libjpeg's message hook: a warning (level -1, corrupt data it recovered from) is counted, nothing
/// is printed. (The `mozjpeg` crate's own hook drops warnings uncounted, and reading libjpeg's message
/// text would take `unsafe`: the count is what we keep.) Trace messages (levels 0 and up) come at
/// every marker, each scan's SOS included: there a decode the process abandons
/// ([`super::abandon_all`]) unwinds, so a file of hundreds of scans stops within one.
extern "C-unwind" fn count_warning(_cinfo: &mut jpeg_common_struct, level: c_int) {
    if level < 0 {
        WARNINGS.with(|w| w.set(w.get().saturating_add(1)));
    } else if super::abandoned() {
        std::panic::resume_unwind(Box::new(ABANDONED.to_owned()));
    }
}

/// What [`count_warning`] unwinds with, and the reason of a decode the process abandoned.
const ABANDONED: &str = "not decoded: the process is stopping";

/// Rows read from libjpeg between two checks of [`super::abandoned`].
const BAND_ROWS: usize = 16;

/// libjpeg's fatal-error hook: unwinds to [`run`]'s `catch_unwind`, which decodes again with the
/// `mozjpeg` crate's own hook to report libjpeg's message.
extern "C-unwind" fn unwind(_cinfo: &mut jpeg_common_struct) {
    std::panic::resume_unwind(Box::new(COUNTING_FAILED.to_owned()));
}

/// libjpeg's hooks that have nothing to do here (printing, resetting the count it does not keep).
extern "C-unwind" fn nothing(_cinfo: &mut jpeg_common_struct) {}

/// What [`unwind`] unwinds with.
const COUNTING_FAILED: &str = "libjpeg failed (decoding again for its message)";

/// An error manager that counts libjpeg's warnings (see [`count_warning`]).
fn counting_error_mgr() -> jpeg_error_mgr {
    jpeg_error_mgr {
        error_exit: Some(unwind),
        emit_message: Some(count_warning),
        output_message: Some(nothing),
        // Only `output_message` and the `mozjpeg` crate's hook format messages: neither runs here.
        format_message: None,
        reset_error_mgr: Some(nothing),
        msg_code: 0,
        msg_parm: mozjpeg_sys::msg_parm_union::default(),
        trace_level: 0,
        num_warnings: 0,
        jpeg_message_table: std::ptr::null(),
        last_jpeg_message: 0,
        addon_message_table: std::ptr::null(),
        first_addon_message: 0,
        last_addon_message: 0,
    }
}

/// Reads the image's rows into `out` ([`BAND_ROWS`] at a time, stopping between bands when the
/// process abandons its decodes).
fn read_bands<R: BufRead>(
    started: &mut mozjpeg::decompress::DecompressStarted<R>,
    out: &mut [u8],
    row_bytes: usize,
) -> Result<(), DecodeError> {
    for band in out.chunks_mut(row_bytes.max(1) * BAND_ROWS) {
        if super::abandoned() {
            return Err(decoder_error(ABANDONED.to_owned()));
        }
        started
            .read_scanlines_into(band)
            .map_err(|e| decoder_error(one_line(&e.to_string())))?;
    }
    Ok(())
}

/// Decodes with libjpeg, counting its warnings. A file libjpeg refuses is decoded once more with the
/// `mozjpeg` crate's error hook, which carries libjpeg's message (errors are rare; the count needs
/// the counting hook on every file).
fn run(
    bytes: &[u8],
    mode: ColorMode,
    mut into: Option<(Size, &mut [u8])>,
) -> Result<DecodedInto, DecodeError> {
    WARNINGS.with(|w| w.set(0));
    let counted = attempt(
        bytes,
        mode,
        into.as_mut().map(|(s, o)| (*s, &mut **o)),
        true,
    );
    let warnings = WARNINGS.with(Cell::get);
    match counted {
        Err(DecodeError::Decoder { message, .. }) if message == COUNTING_FAILED => {
            if super::abandoned() {
                return Err(decoder_error(ABANDONED.to_owned()));
            }
            attempt(bytes, mode, into, false)
        }
        Ok(DecodedInto::Decoded(decoded)) => Ok(DecodedInto::Decoded(Decoded {
            warnings,
            ..decoded
        })),
        Ok(DecodedInto::Written(size, _)) => Ok(DecodedInto::Written(size, warnings)),
        Err(e) => Err(e),
    }
}

fn attempt(
    bytes: &[u8],
    mode: ColorMode,
    into: Option<(Size, &mut [u8])>,
    counting: bool,
) -> Result<DecodedInto, DecodeError> {
    if count_scans(bytes, MAX_SCANS) > MAX_SCANS {
        return Err(decoder_error(format!(
            "JPEG with more than {MAX_SCANS} scans, not decoded (a scan bomb: libjpeg would pass over the whole image once per scan; libjpeg-turbo caps scans for this)"
        )));
    }
    let mut source = Source {
        rest: bytes,
        ran_out: false,
    };
    let result = catch_unwind(AssertUnwindSafe(|| {
        libjpeg(&mut source, mode, into, counting)
    }));
    if source.ran_out {
        return Err(decoder_error(
            "truncated JPEG: the data ends before the image does".to_owned(),
        ));
    }
    match result {
        Ok(result) => result,
        Err(payload) => {
            let message = payload
                .downcast_ref::<String>()
                .map_or("libjpeg failed", String::as_str);
            let message = message
                .strip_prefix("libjpeg fatal error: ")
                .unwrap_or(message);
            Err(decoder_error(one_line(message)))
        }
    }
}

/// What libjpeg is asked to output for `mode` from a file in `space`, and its channels.
fn out_space(space: ColorSpace, mode: ColorMode) -> (ColorSpace, usize) {
    match (space, mode) {
        (ColorSpace::JCS_CMYK | ColorSpace::JCS_YCCK, _) => (ColorSpace::JCS_CMYK, 4),
        (_, ColorMode::Grayscale) => (ColorSpace::JCS_GRAYSCALE, 1),
        (_, ColorMode::Rgb) => (ColorSpace::JCS_RGB, 3),
        (_, ColorMode::Rgba) => (ColorSpace::JCS_EXT_RGBA, 4),
    }
}

fn libjpeg(
    source: &mut Source<'_>,
    mode: ColorMode,
    into: Option<(Size, &mut [u8])>,
    counting: bool,
) -> Result<DecodedInto, DecodeError> {
    let io_error = |e: io::Error| decoder_error(one_line(&e.to_string()));
    let bytes = source.rest;
    let builder = if counting {
        DecompressBuilder::new().with_err(counting_error_mgr())
    } else {
        Decompress::builder()
    };
    let mut jpeg = builder
        .with_markers(&[Marker::APP(14)])
        .from_reader(source)
        .map_err(io_error)?;
    let (w, h) = jpeg.size();
    let (space, channels) = out_space(jpeg.color_space(), mode);
    let size = check_size(bytes, w, h, channels)?;
    // libjpeg sets `saw_Adobe_marker` from an APP14 segment that starts with "Adobe".
    let adobe = jpeg
        .markers()
        .any(|m| m.marker == Marker::APP(14) && m.data.starts_with(b"Adobe"));
    jpeg.dct_method(DctMethod::IntegerFast);
    jpeg.do_fancy_upsampling(true);
    let mut started = jpeg.to_colorspace(space).map_err(io_error)?;
    let direct = space != ColorSpace::JCS_CMYK;
    let result = match into {
        Some((want, out)) if direct && want == size && out.len() == w * h * channels => {
            read_bands(&mut started, out, w * channels)?;
            DecodedInto::Written(size, 0)
        }
        _ => {
            // `check_size` bounded the bytes by the limit and the file's length.
            let mut pixels = vec![0u8; w * h * channels];
            read_bands(&mut started, &mut pixels, w * channels)?;
            let pixels = if direct {
                pixels
            } else {
                from_cmyk(&pixels, adobe, mode)
            };
            DecodedInto::Decoded(Decoded {
                width: size.width,
                height: size.height,
                channels: mode.channels(),
                pixels,
                format: ImageFormat::Jpeg,
                warnings: 0,
            })
        }
    };
    // Reads to the end marker, as TensorFlow's decode does: a file without one has run out.
    started.finish().map_err(io_error)?;
    Ok(result)
}

/// libjpeg's CMYK output to `mode`, through TensorFlow's CMYK → RGB (`jpeg_mem.cc`).
fn from_cmyk(cmyk: &[u8], adobe: bool, mode: ColorMode) -> Vec<u8> {
    let mut out = Vec::with_capacity(cmyk.len() / 4 * mode.channels());
    for p in cmyk.chunks_exact(4) {
        let [c, m, y, k] = [p[0], p[1], p[2], p[3]].map(u32::from);
        let [r, g, b] = if adobe {
            [k * c / 255, k * m / 255, k * y / 255]
        } else {
            [
                (255 - k) * (255 - c) / 255,
                (255 - k) * (255 - m) / 255,
                (255 - k) * (255 - y) / 255,
            ]
        }
        // Each is at most 255 * 255 / 255.
        .map(|v| v as u8);
        match mode {
            ColorMode::Grayscale => out.push(rgb_to_gray(r, g, b)),
            ColorMode::Rgb => out.extend_from_slice(&[r, g, b]),
            ColorMode::Rgba => out.extend_from_slice(&[r, g, b, 255]),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // A failed unwrap is a failed test.

    use jpeg_encoder::{ColorType, Encoder, SamplingFactor};

    use super::*;

    /// A `w x h` RGB gradient with an edge and some noise.
    fn pixels(w: usize, h: usize) -> Vec<u8> {
        (0..w * h)
            .flat_map(|i| {
                let (x, y) = (i % w, i / w);
                let noise = ((x * 7919) ^ (y * 104_729)) % 23;
                [
                    (x * 255 / w + noise) as u8,
                    (y * 255 / h) as u8,
                    if x > y { 200 } else { 40 },
                ]
            })
            .collect()
    }

    fn jpeg(w: u16, h: u16, progressive: bool, sampling: SamplingFactor) -> Vec<u8> {
        let mut bytes = Vec::new();
        let mut encoder = Encoder::new(&mut bytes, 85);
        encoder.set_progressive(progressive);
        encoder.set_sampling_factor(sampling);
        encoder
            .encode(&pixels(w.into(), h.into()), w, h, ColorType::Rgb)
            .unwrap();
        bytes
    }

    /// `jpeg` with its last scan (from its SOS marker to the end marker) repeated `extra` more times.
    fn with_repeated_last_scan(jpeg: &[u8], extra: usize) -> Vec<u8> {
        let sos = jpeg.windows(2).rposition(|w| w == [0xFF, 0xDA]).unwrap();
        let end = jpeg.len() - 2;
        assert_eq!(&jpeg[end..], [0xFF, 0xD9]);
        let mut out = jpeg[..end].to_vec();
        for _ in 0..extra {
            out.extend_from_slice(&jpeg[sos..end]);
        }
        out.extend_from_slice(&[0xFF, 0xD9]);
        out
    }

    #[test]
    fn scans_are_counted_through_entropy_coded_data() {
        let baseline = jpeg(64, 48, false, SamplingFactor::R_4_2_0);
        assert_eq!(count_scans(&baseline, MAX_SCANS), 1);
        let progressive = jpeg(64, 48, true, SamplingFactor::R_4_2_0);
        let scans = count_scans(&progressive, MAX_SCANS);
        assert!(scans > 1, "{scans}");
        assert_eq!(
            count_scans(&with_repeated_last_scan(&progressive, 7), MAX_SCANS),
            scans + 7
        );
        // Counting stops just past the cap.
        let bomb = with_repeated_last_scan(&progressive, 10_000);
        assert_eq!(count_scans(&bomb, 20), 21);
    }

    #[test]
    fn a_progressive_jpeg_repeating_its_scan_header_thousands_of_times_decoded_for_85_s() {
        let progressive = jpeg(64, 48, true, SamplingFactor::R_4_2_0);
        let scans = count_scans(&progressive, MAX_SCANS);
        let bomb = with_repeated_last_scan(&progressive, 20_000);
        let err = decode(&bomb, ColorMode::Rgb).unwrap_err().to_string();
        assert!(
            err.starts_with("Jpeg decode failed: JPEG with more than 500 scans, not decoded"),
            "{err}"
        );
        // At the cap it is still decoded (libjpeg only warns of the repeated scans).
        let at_cap = with_repeated_last_scan(&progressive, MAX_SCANS - scans);
        assert_eq!(count_scans(&at_cap, MAX_SCANS), MAX_SCANS);
        let decoded = decode(&at_cap, ColorMode::Rgb);
        assert!(
            decoded
                .as_ref()
                .err()
                .is_none_or(|e| !e.to_string().contains("scans")),
            "{decoded:?}"
        );
    }

    /// Issue 23, item 6: libjpeg recovers from corrupt entropy-coded data with a warning, and its
    /// recovery may differ from TensorFlow's; the warnings are counted so the file can be named.
    #[test]
    fn corrupt_data_libjpeg_recovers_from_is_counted_and_clean_files_have_no_warnings() {
        let clean = jpeg(64, 48, false, SamplingFactor::R_4_2_0);
        assert_eq!(decode(&clean, ColorMode::Rgb).unwrap().warnings, 0);
        let sos = clean.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
        let data = sos + 2 + usize::from(u16::from_be_bytes([clean[sos + 2], clean[sos + 3]]));
        // One flipped byte at each of 40 places in the scan: some are errors, most decode.
        let mut warned = 0;
        for k in 0..40 {
            let mut bad = clean.clone();
            let at = data + 1 + k * (clean.len() - data - 4) / 40;
            bad[at] ^= 0x5A;
            match decode(&bad, ColorMode::Rgb) {
                Ok(d) if d.warnings > 0 => warned += 1,
                Ok(_) | Err(_) => {}
            }
        }
        assert!(warned >= 5, "only {warned} of 40 corrupt files warned");
        // And straight into a buffer: the count comes back too.
        let mut bad = clean.clone();
        bad[data + (clean.len() - data) / 2] ^= 0x5A;
        let size = Size {
            height: 48,
            width: 64,
        };
        let mut out = vec![0; 48 * 64 * 3];
        if let (Ok(d), Ok(DecodedInto::Written(s, warnings))) = (
            decode(&bad, ColorMode::Rgb),
            decode_into(&bad, ColorMode::Rgb, size, &mut out),
        ) {
            assert_eq!((s, warnings), (size, d.warnings));
            assert_eq!(out, d.pixels);
        }
    }

    #[test]
    fn truncated_jpegs_are_refused_not_padded_as_libjpeg_would() {
        for progressive in [false, true] {
            let full = jpeg(64, 48, progressive, SamplingFactor::R_4_2_0);
            assert!(decode(&full, ColorMode::Rgb).is_ok());
            // Cut in the middle, and only the end marker missing: TensorFlow refuses both.
            for cut in [full.len() / 2, full.len() * 9 / 10, full.len() - 2] {
                let err = decode(&full[..cut], ColorMode::Rgb)
                    .unwrap_err()
                    .to_string();
                assert_eq!(
                    err,
                    "Jpeg decode failed: truncated JPEG: the data ends before the image does",
                    "progressive {progressive}, {cut} of {} bytes",
                    full.len()
                );
            }
        }
    }

    #[test]
    fn bytes_after_the_end_marker_are_ignored_as_tensorflow_ignores_them() {
        let full = jpeg(40, 30, true, SamplingFactor::R_4_2_2);
        let mut padded = full.clone();
        padded.extend_from_slice(&[0; 100]);
        assert_eq!(
            decode(&padded, ColorMode::Rgb).unwrap(),
            decode(&full, ColorMode::Rgb).unwrap()
        );
    }

    #[test]
    fn corrupt_headers_are_errors_with_libjpegs_message() {
        let mut bad = jpeg(40, 30, false, SamplingFactor::R_4_4_4);
        bad.truncate(20);
        assert!(matches!(
            decode(&bad, ColorMode::Rgb),
            Err(DecodeError::Decoder { .. })
        ));
        let err = decode(b"\xff\xd8\xff\xd9", ColorMode::Rgb)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("Jpeg decode failed: "), "{err}");
    }

    #[test]
    fn decode_into_writes_exactly_what_decode_returns_in_every_mode() {
        let bytes = jpeg(37, 29, false, SamplingFactor::R_4_2_0);
        for mode in [ColorMode::Rgb, ColorMode::Grayscale, ColorMode::Rgba] {
            let decoded = decode(&bytes, mode).unwrap();
            assert_eq!((decoded.width, decoded.height), (37, 29));
            let mut out = vec![0; 37 * 29 * mode.channels()];
            let size = Size {
                height: 29,
                width: 37,
            };
            let written = decode_into(&bytes, mode, size, &mut out).unwrap();
            assert!(
                matches!(written, DecodedInto::Written(s, 0) if s == size),
                "{mode:?}"
            );
            assert_eq!(out, decoded.pixels, "{mode:?}");
            // Another size: handed back decoded.
            let other = decode_into(
                &bytes,
                mode,
                Size {
                    height: 29,
                    width: 36,
                },
                &mut out,
            )
            .unwrap();
            assert!(matches!(other, DecodedInto::Decoded(d) if d == decoded));
        }
    }

    #[test]
    fn rgba_is_libjpegs_rgb_with_alpha_255() {
        let bytes = jpeg(33, 17, true, SamplingFactor::R_4_2_0);
        let rgb = decode(&bytes, ColorMode::Rgb).unwrap().pixels;
        let rgba = decode(&bytes, ColorMode::Rgba).unwrap().pixels;
        let expanded: Vec<u8> = rgb
            .chunks(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect();
        assert_eq!(rgba, expanded);
    }

    #[test]
    fn exact_and_fast_decoders_differ_by_a_few_levels_at_most() {
        let bytes = jpeg(64, 48, false, SamplingFactor::R_4_2_0);
        let exact = decode(&bytes, ColorMode::Rgb).unwrap().pixels;
        let fast = super::super::jpeg::open(&bytes, ColorMode::Rgb)
            .unwrap()
            .decode()
            .unwrap()
            .pixels;
        let max = exact.iter().zip(&fast).map(|(a, b)| a.abs_diff(*b)).max();
        assert!(max.is_some_and(|m| (1..=6).contains(&m)), "{max:?}");
    }

    #[test]
    fn cmyk_becomes_rgb_by_tensorflows_formula_with_and_without_an_adobe_marker() {
        let cmyk = [200, 100, 0, 255, 10, 20, 30, 128];
        // Adobe (inverted) ink: k * c / 255.
        assert_eq!(
            from_cmyk(&cmyk, true, ColorMode::Rgb),
            [200, 100, 0, 5, 10, 15]
        );
        // Plain ink: (255 - k) * (255 - c) / 255.
        assert_eq!(
            from_cmyk(&cmyk, false, ColorMode::Rgb),
            [0, 0, 0, 122, 117, 112]
        );
        assert_eq!(
            from_cmyk(&cmyk, true, ColorMode::Rgba),
            [200, 100, 0, 255, 5, 10, 15, 255]
        );
        assert_eq!(
            from_cmyk(&cmyk, true, ColorMode::Grayscale),
            [rgb_to_gray(200, 100, 0), rgb_to_gray(5, 10, 15)]
        );
    }
}
