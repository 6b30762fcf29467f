//! Decodes one image file into 8-bit pixels with the channel count of a [`ColorMode`], following
//! TensorFlow's `decode_image(channels=...)` conversions (see DESIGN.md):
//! gray → RGB copies the value; RGBA → RGB drops alpha; RGB → gray is `r` when `r == g == b`, else
//! `(9797 r + 19234 g + 3737 b) >> 15` (libpng's integer formula, used for every non-JPEG format); JPEG →
//! gray is the decoder's luma plane; 16-bit samples become 8-bit by `v >> 8`. The content decides the
//! decoder, not the extension. Limits refuse decompression bombs before their pixels are allocated.
//!
//! JPEG has two decoders (`Decoding::jpeg`): `fast` (zune-jpeg, `jpeg.rs`), within a few levels of
//! TensorFlow's pixels, and `exact` (libjpeg-turbo under TensorFlow's settings, `jpeg_exact.rs`), equal
//! to them; both refuse a file whose data ends early.

use std::io::Cursor;
use std::path::Path;

use image::{DynamicImage, ImageDecoder as _, ImageFormat, ImageReader, Limits};

use crate::options::{ColorMode, Decoding, JpegDecoder};
use crate::size::Size;

mod jpeg;
mod jpeg_exact;
mod jpeg_header;
mod read;

#[cfg(feature = "test-hooks")]
#[doc(hidden)]
pub use crate::test_hooks::{hold_file_for_tests, release_held_files};
use read::ReadBudget;
pub use read::{
    DEFAULT_MAX_FILE_BYTES, open_file, open_regular, read_file, read_image_file, skip_bytes,
};

/// The largest decoded image accepted, in bytes (8-bit, before channel conversion).
pub const MAX_DECODED_BYTES: u64 = 512 * 1024 * 1024;

/// The most bytes [`probe_file`] reads of a file, whatever its length (headers it cannot find in them
/// are left for the decoder to report).
pub const PROBE_MAX_READ_BYTES: u64 = 1 << 20;

/// A decoded image: `height x width x channels` bytes, row-major.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Channels per pixel (1, 3 or 4).
    pub channels: usize,
    /// The pixels, `height * width * channels` bytes.
    pub pixels: Vec<u8>,
    /// The format the content was decoded as.
    pub format: ImageFormat,
    /// How many times libjpeg (`--jpeg exact`) warned of corrupt data it recovered from: its pixels
    /// are its recovery, which TensorFlow's libjpeg-turbo may make differently. 0 from the other
    /// decoders, which fail on corrupt data or recover without a word.
    pub warnings: u32,
}

impl Decoded {
    /// Its height and width.
    pub fn size(&self) -> Size {
        Size {
            height: self.height,
            width: self.width,
        }
    }
}

/// Why a file could not be decoded. The message is shown to the user beside the path.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The file could not be read.
    #[error("cannot read file: {0}")]
    Io(#[from] std::io::Error),
    /// The path is a named pipe, socket, device or folder (possibly through a symlink): never read.
    #[error("not a regular file but {0}: not read")]
    NotRegular(&'static str),
    /// The file is larger than the limit on bytes read per file.
    #[error(
        "file is {bytes} bytes, over the limit of {limit} bytes per file (raise it with --max-file-bytes)"
    )]
    FileTooLarge {
        /// The file's length (or the bytes read before giving up).
        bytes: u64,
        /// The limit.
        limit: u64,
    },
    /// The file is empty.
    #[error("empty file (0 bytes)")]
    Empty,
    /// The first bytes match no supported format.
    #[error(
        "not an image in a supported format (content is not BMP, GIF, JPEG, PNG, TIFF or WebP)"
    )]
    UnknownFormat,
    /// The image's header declares a width or height of 0.
    #[error("zero-size image ({width}x{height}): no pixels to load")]
    ZeroSize {
        /// Width from the header.
        width: u32,
        /// Height from the header.
        height: u32,
    },
    /// The image's header asks for more memory than allowed.
    #[error(
        "image is {width}x{height} {pixel}, {mib:.1} MiB decoded, over the {limit_mib} MiB limit (decompression bomb?)"
    )]
    TooLarge {
        /// Width from the header.
        width: u64,
        /// Height from the header.
        height: u64,
        /// The pixel layout the decoder would allocate (`RGB`, `16-bit RGBA`, ...).
        pixel: String,
        /// Decoded size in MiB.
        mib: f64,
        /// The limit in MiB.
        limit_mib: u64,
    },
    /// A JPEG far shorter than the image it declares: its data ends early.
    #[error(
        "truncated JPEG: {bytes} bytes cannot hold the {width}x{height} image its header declares (the data ends early)"
    )]
    TruncatedJpeg {
        /// The file's length.
        bytes: u64,
        /// Width from the header.
        width: u32,
        /// Height from the header.
        height: u32,
    },
    /// The decoder failed (truncated, corrupt, unsupported variant).
    #[error("{format:?} decode failed: {message}")]
    Decoder {
        /// The format sniffed from the content.
        format: ImageFormat,
        /// The decoder's message.
        message: String,
    },
}

/// Set by [`abandon_all`].
static ABANDONED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Makes every `--jpeg exact` decode under way in this process, and every one to come, stop at its
/// next scan or band of 16 rows with an error: for a process that is exiting (the command line on
/// SIGINT, SIGTERM or SIGHUP), so that one slow file (a progressive image of hundreds of scans, a
/// huge baseline one) does not hold the exit for seconds. The viewer never calls it: its jobs are
/// abandoned without waiting for a decode.
pub fn abandon_all() {
    ABANDONED.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Whether [`abandon_all`] was called.
pub fn abandoned() -> bool {
    ABANDONED.load(std::sync::atomic::Ordering::Relaxed)
}

/// Reads `path` (up to [`DEFAULT_MAX_FILE_BYTES`]) and decodes it into the asked channels (a
/// [`ColorMode`] alone decodes JPEG with the fast decoder).
pub fn decode_file(path: &Path, how: impl Into<Decoding>) -> Result<Decoded, DecodeError> {
    decode_file_capped(path, how, DEFAULT_MAX_FILE_BYTES)
}

/// Reads (at most `max_file_bytes` of) `path` and decodes it into the asked channels.
pub fn decode_file_capped(
    path: &Path,
    how: impl Into<Decoding>,
    max_file_bytes: u64,
) -> Result<Decoded, DecodeError> {
    let (bytes, format) = read_image_file(path, max_file_bytes)?;
    decode_format(&bytes, format, how.into())
}

/// Decodes an in-memory file into the asked channels.
pub fn decode_bytes(bytes: &[u8], how: impl Into<Decoding>) -> Result<Decoded, DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    let format = image::guess_format(bytes).map_err(|_| DecodeError::UnknownFormat)?;
    decode_format(bytes, format, how.into())
}

/// Decodes `bytes`, known to hold `format`.
pub(crate) fn decode_format(
    bytes: &[u8],
    format: ImageFormat,
    how: Decoding,
) -> Result<Decoded, DecodeError> {
    let mode = how.color_mode;
    if format == ImageFormat::Jpeg {
        return match how.jpeg {
            JpegDecoder::Fast => jpeg::open(bytes, mode)?.decode(),
            JpegDecoder::Exact => jpeg_exact::decode(bytes, mode),
        };
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    reader.limits(limits);
    let image = reader.decode().map_err(|err| match err {
        image::ImageError::Limits(_) => too_large_from_header(bytes, format),
        other => DecodeError::Decoder {
            format,
            message: one_line(&other.to_string()),
        },
    })?;
    let (width, height) = (image.width(), image.height());
    if width == 0 || height == 0 {
        return Err(DecodeError::ZeroSize { width, height });
    }
    let pixels = convert(image, mode);
    Ok(Decoded {
        width,
        height,
        channels: mode.channels(),
        pixels,
        format,
        warnings: 0,
    })
}

/// The [`DecodeError::TooLarge`] of an image the decoder refused, with the size it would really have
/// allocated (its own pixel layout, 16-bit included).
fn too_large_from_header(bytes: &[u8], format: ImageFormat) -> DecodeError {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.no_limits();
    let decoder = match reader.into_decoder() {
        Ok(decoder) => decoder,
        Err(err) => {
            return DecodeError::Decoder {
                format,
                message: one_line(&err.to_string()),
            };
        }
    };
    let (w, h) = decoder.dimensions();
    let color = decoder.color_type();
    let depth = if color.bits_per_pixel() / u16::from(color.channel_count()) > 8 {
        format!(
            "{}-bit ",
            color.bits_per_pixel() / u16::from(color.channel_count())
        )
    } else {
        String::new()
    };
    let layout = match color.channel_count() {
        1 => "gray",
        2 => "gray+alpha",
        3 => "RGB",
        _ => "RGBA",
    };
    too_large(
        u64::from(w),
        u64::from(h),
        u64::from(color.bytes_per_pixel()),
        &format!("{depth}{layout}"),
    )
}

fn too_large(width: u64, height: u64, bytes_per_pixel: u64, pixel: &str) -> DecodeError {
    let mib = 1024 * 1024;
    DecodeError::TooLarge {
        width,
        height,
        pixel: pixel.to_owned(),
        mib: width.saturating_mul(height).saturating_mul(bytes_per_pixel) as f64 / mib as f64,
        limit_mib: MAX_DECODED_BYTES / mib,
    }
}

/// The result of [`decode_file_into`].
#[derive(Debug)]
pub enum DecodedInto {
    /// The pixels were written straight into the output, an image of this size, with the warnings
    /// the decoder emitted (see [`Decoded::warnings`]).
    Written(Size, u32),
    /// The image needs preprocessing (another size, or not a JPEG): here it is, decoded.
    Decoded(Decoded),
}

/// Reads `path` (at most `max_file_bytes`) and, when it is a JPEG of exactly the size `want`, decodes
/// it straight into `out` (`height * width * channels` bytes, no intermediate copy: the
/// export's hot path). Otherwise decodes it as [`decode_file`] does and hands it back.
pub fn decode_file_into(
    path: &Path,
    how: impl Into<Decoding>,
    max_file_bytes: u64,
    want: Size,
    out: &mut [u8],
) -> Result<DecodedInto, DecodeError> {
    let (bytes, format) = read_image_file(path, max_file_bytes)?;
    decode_format_into(&bytes, format, how.into(), want, out)
}

/// [`decode_file_into`] for an image already in memory (a record's bytes).
pub fn decode_bytes_into(
    bytes: &[u8],
    how: impl Into<Decoding>,
    want: Size,
    out: &mut [u8],
) -> Result<DecodedInto, DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    let format = image::guess_format(bytes).map_err(|_| DecodeError::UnknownFormat)?;
    decode_format_into(bytes, format, how.into(), want, out)
}

fn decode_format_into(
    bytes: &[u8],
    format: ImageFormat,
    how: Decoding,
    want: Size,
    out: &mut [u8],
) -> Result<DecodedInto, DecodeError> {
    match (format, how.jpeg) {
        (ImageFormat::Jpeg, JpegDecoder::Fast) => {
            let mut jpeg = jpeg::open(bytes, how.color_mode)?;
            if jpeg.size == want && jpeg.decode_into(out)? {
                return Ok(DecodedInto::Written(jpeg.size, 0));
            }
            jpeg.decode().map(DecodedInto::Decoded)
        }
        (ImageFormat::Jpeg, JpegDecoder::Exact) => {
            jpeg_exact::decode_into(bytes, how.color_mode, want, out)
        }
        _ => decode_format(bytes, format, how).map(DecodedInto::Decoded),
    }
}

/// Decoder messages may span lines; reports and CSV rows want one.
pub(crate) fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// libpng's RGB → gray (TensorFlow's `decode_png(channels=1)`).
#[inline]
pub fn rgb_to_gray(r: u8, g: u8, b: u8) -> u8 {
    if r == g && g == b {
        r
    } else {
        let y = (9797 * u32::from(r) + 19234 * u32::from(g) + 3737 * u32::from(b)) >> 15;
        // 9797 + 19234 + 3737 == 32768, so y <= 255.
        #[allow(clippy::cast_possible_truncation)]
        let y = y as u8;
        y
    }
}

/// Converts any decoded image to `mode`'s 8-bit channels.
fn convert(image: DynamicImage, mode: ColorMode) -> Vec<u8> {
    // Bring every variant to 8-bit gray, gray+alpha, RGB or RGBA first.
    #[allow(clippy::cast_possible_truncation)]
    let hi = |v: u16| (v >> 8) as u8;
    let (channels, data): (usize, Vec<u8>) = match image {
        DynamicImage::ImageLuma8(b) => (1, b.into_raw()),
        DynamicImage::ImageLumaA8(b) => (2, b.into_raw()),
        DynamicImage::ImageRgb8(b) => (3, b.into_raw()),
        DynamicImage::ImageRgba8(b) => (4, b.into_raw()),
        DynamicImage::ImageLuma16(b) => (1, b.into_raw().into_iter().map(hi).collect()),
        DynamicImage::ImageLumaA16(b) => (2, b.into_raw().into_iter().map(hi).collect()),
        DynamicImage::ImageRgb16(b) => (3, b.into_raw().into_iter().map(hi).collect()),
        DynamicImage::ImageRgba16(b) => (4, b.into_raw().into_iter().map(hi).collect()),
        other => (4, other.to_rgba8().into_raw()),
    };
    let out_channels = mode.channels();
    if channels == out_channels {
        return data;
    }
    let pixel_count = data.len() / channels;
    let mut out = Vec::with_capacity(pixel_count * out_channels);
    for px in data.chunks_exact(channels) {
        let (r, g, b, a) = match channels {
            1 => (px[0], px[0], px[0], 255),
            2 => (px[0], px[0], px[0], px[1]),
            3 => (px[0], px[1], px[2], 255),
            _ => (px[0], px[1], px[2], px[3]),
        };
        match mode {
            ColorMode::Grayscale => out.push(if channels <= 2 {
                r
            } else {
                rgb_to_gray(r, g, b)
            }),
            ColorMode::Rgb => out.extend_from_slice(&[r, g, b]),
            ColorMode::Rgba => out.extend_from_slice(&[r, g, b, a]),
        }
    }
    out
}

/// Reads only the header of `path`: its format and size. Reads a few hundred bytes with
/// `imagesize` (the file is never loaded whole), falling back to the decoder's own header parsing when
/// that cannot tell; either way at most [`PROBE_MAX_READ_BYTES`] are read. Refuses what
/// [`decode_file`] refuses from the file alone (not a regular file, empty, not an image, zero size).
pub fn probe_file(path: &Path) -> Result<(ImageFormat, Size), DecodeError> {
    let (file, _) = open_regular(path)?;
    probe_reader(std::io::BufReader::with_capacity(
        4096,
        ReadBudget::new(file, PROBE_MAX_READ_BYTES),
    ))
}

/// The colour type `path`'s header declares (`Rgb8`, `L16`, ...), as the `image` crate names it,
/// through the same hardened open as [`probe_file`] (regular files only, at most
/// [`PROBE_MAX_READ_BYTES`] read): no pixels are decoded.
pub fn color_type_of_file(path: &Path) -> Result<String, DecodeError> {
    let (file, _) = open_regular(path)?;
    let reader = image::ImageReader::new(std::io::BufReader::with_capacity(
        4096,
        ReadBudget::new(file, PROBE_MAX_READ_BYTES),
    ))
    .with_guessed_format()?;
    let decoder = reader
        .into_decoder()
        .map_err(|e| DecodeError::Io(std::io::Error::other(e.to_string())))?;
    Ok(format!("{:?}", image::ImageDecoder::color_type(&decoder)))
}

/// [`probe_file`] for an image already in memory (a record's bytes).
pub fn probe_bytes(bytes: &[u8]) -> Result<(ImageFormat, Size), DecodeError> {
    probe_reader(Cursor::new(bytes))
}

fn probe_reader(
    mut reader: impl std::io::BufRead + std::io::Seek,
) -> Result<(ImageFormat, Size), DecodeError> {
    let head = reader.fill_buf()?;
    if head.is_empty() {
        return Err(DecodeError::Empty);
    }
    let format = image::guess_format(head).map_err(|_| DecodeError::UnknownFormat)?;
    // TIFF is sized by its decoder: `imagesize` reads size tags the `tiff` crate may read otherwise
    // (a fuzzer found one probed 3x4608000 and decoded 3x3), and the decoder seeks, within the budget.
    let (w, h) = if format != ImageFormat::Tiff
        && let Ok(size) = imagesize::reader_size(&mut reader)
        && let (Ok(w), Ok(h)) = (u32::try_from(size.width), u32::try_from(size.height))
    {
        (w, h)
    } else {
        reader.rewind()?;
        ImageReader::with_format(reader, format)
            .into_dimensions()
            .map_err(|err| DecodeError::Decoder {
                format,
                message: one_line(&err.to_string()),
            })?
    };
    if w == 0 || h == 0 {
        return Err(DecodeError::ZeroSize {
            width: w,
            height: h,
        });
    }
    Ok((
        format,
        Size {
            height: h,
            width: w,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gray_formula_keeps_equal_channels_and_weights_others() {
        assert_eq!(rgb_to_gray(7, 7, 7), 7);
        // (9797*255) >> 15 == 76
        assert_eq!(rgb_to_gray(255, 0, 0), 76);
        assert_eq!(rgb_to_gray(0, 255, 0), 149);
        assert_eq!(rgb_to_gray(0, 0, 255), 29);
    }

    /// A 16x16 4:2:0 JPEG whose luma sampling factors are patched from 2x2 to `luma` (H<<4 | V).
    fn jpeg_with_luma_sampling(luma: u8) -> Vec<u8> {
        let pixels: Vec<u8> = (0..16 * 16 * 3).map(|i| (i * 7 % 251) as u8).collect();
        let mut bytes = Vec::new();
        let mut encoder = jpeg_encoder::Encoder::new(&mut bytes, 90);
        encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_0);
        encoder
            .encode(&pixels, 16, 16, jpeg_encoder::ColorType::Rgb)
            .unwrap();
        // SOF0: FF C0, length, precision, height, width, count, then (id, HV, table) per component.
        let sof = bytes.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        assert_eq!(bytes[sof + 11], 0x22, "the luma sampling byte");
        bytes[sof + 11] = luma;
        bytes
    }

    /// Issue 23, item 10: the fast decoder decoded 4x4 luma sampling, which libjpeg (and so
    /// TensorFlow) refuses: 16 + 1 + 1 blocks do not fit an interleaved MCU of at most 10.
    #[test]
    fn sampling_factors_libjpeg_refuses_are_refused_by_both_decoders_with_its_reason() {
        for (luma, reason) in [
            (0x44, "Sampling factors too large for interleaved scan"),
            (0x52, "Bogus sampling factors"),
        ] {
            let bomb = jpeg_with_luma_sampling(luma);
            for jpeg in [JpegDecoder::Exact, JpegDecoder::Fast] {
                let how = Decoding {
                    color_mode: ColorMode::Rgb,
                    jpeg,
                };
                let err = match decode_bytes(&bomb, how) {
                    Ok(d) => panic!("{jpeg:?} decoded it: {}x{}", d.width, d.height),
                    Err(e) => e.to_string(),
                };
                assert!(err.contains(reason), "{jpeg:?}, {luma:#x}: {err}");
            }
        }
        // 2x2, as encoded, decodes with both.
        let fine = jpeg_with_luma_sampling(0x22);
        for jpeg in [JpegDecoder::Exact, JpegDecoder::Fast] {
            let how = Decoding {
                color_mode: ColorMode::Rgb,
                jpeg,
            };
            assert_eq!(decode_bytes(&fine, how).unwrap().pixels.len(), 16 * 16 * 3);
        }
    }

    #[test]
    fn zero_bytes_and_text_are_refused_with_a_reason() {
        assert!(matches!(
            decode_bytes(b"", ColorMode::Rgb),
            Err(DecodeError::Empty)
        ));
        assert!(matches!(
            decode_bytes(b"hello, world", ColorMode::Rgb),
            Err(DecodeError::UnknownFormat)
        ));
    }
}
