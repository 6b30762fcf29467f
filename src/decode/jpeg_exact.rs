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
//! The library reports errors by unwinding out of its C code (the `unwinding` feature builds it with
//! `-fexceptions`); they are caught here and come back as [`DecodeError`]s.

use std::io::{self, BufRead, Read};
use std::panic::{AssertUnwindSafe, catch_unwind};

use image::ImageFormat;
use mozjpeg::{ColorSpace, DctMethod, Decompress, Marker};

use super::jpeg::check_size;
use super::{DecodeError, Decoded, DecodedInto, one_line, rgb_to_gray};
use crate::options::ColorMode;

/// Decodes a JPEG into `mode`'s channels.
pub fn decode(bytes: &[u8], mode: ColorMode) -> Result<Decoded, DecodeError> {
    match run(bytes, mode, None)? {
        DecodedInto::Decoded(decoded) => Ok(decoded),
        // Only asked for with an output slice.
        DecodedInto::Written(..) => Err(decoder_error("decoded into no buffer".to_owned())),
    }
}

/// Decodes a JPEG straight into `out` when it is `want` `(width, height)` in `mode` and needs no
/// conversion after libjpeg's; hands the decoded image back otherwise.
pub fn decode_into(
    bytes: &[u8],
    mode: ColorMode,
    want: (u32, u32),
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

fn run(
    bytes: &[u8],
    mode: ColorMode,
    into: Option<((u32, u32), &mut [u8])>,
) -> Result<DecodedInto, DecodeError> {
    let mut source = Source {
        rest: bytes,
        ran_out: false,
    };
    let result = catch_unwind(AssertUnwindSafe(|| libjpeg(&mut source, mode, into)));
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
    into: Option<((u32, u32), &mut [u8])>,
) -> Result<DecodedInto, DecodeError> {
    let io_error = |e: io::Error| decoder_error(one_line(&e.to_string()));
    let bytes = source.rest;
    let mut jpeg = Decompress::with_markers(&[Marker::APP(14)])
        .from_reader(source)
        .map_err(io_error)?;
    let (w, h) = jpeg.size();
    let (space, channels) = out_space(jpeg.color_space(), mode);
    let (width, height) = check_size(bytes, w, h, channels)?;
    // libjpeg sets `saw_Adobe_marker` from an APP14 segment that starts with "Adobe".
    let adobe = jpeg
        .markers()
        .any(|m| m.marker == Marker::APP(14) && m.data.starts_with(b"Adobe"));
    jpeg.dct_method(DctMethod::IntegerFast);
    jpeg.do_fancy_upsampling(true);
    let mut started = jpeg.to_colorspace(space).map_err(io_error)?;
    let direct = space != ColorSpace::JCS_CMYK;
    let result = match into {
        Some((want, out)) if direct && want == (width, height) && out.len() == w * h * channels => {
            started.read_scanlines_into(out).map_err(io_error)?;
            DecodedInto::Written(width, height)
        }
        _ => {
            let pixels: Vec<u8> = started.read_scanlines().map_err(io_error)?;
            let pixels = if direct {
                pixels
            } else {
                from_cmyk(&pixels, adobe, mode)
            };
            DecodedInto::Decoded(Decoded {
                width,
                height,
                channels: mode.channels(),
                pixels,
                format: ImageFormat::Jpeg,
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
