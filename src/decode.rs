//! Decodes one image file into 8-bit pixels with the channel count of a [`ColorMode`], following
//! TensorFlow's `decode_image(channels=...)` conversions (see DESIGN.md):
//! gray → RGB copies the value; RGBA → RGB drops alpha; RGB → gray is `r` when `r == g == b`, else
//! `(9797 r + 19234 g + 3737 b) >> 15` (libpng's integer formula, used for every non-JPEG format); JPEG →
//! gray is the decoder's luma plane; 16-bit samples become 8-bit by `v >> 8`. The content decides the
//! decoder, not the extension. Limits refuse decompression bombs before their pixels are allocated.

use std::io::Cursor;
use std::path::Path;

use image::{DynamicImage, ImageFormat, ImageReader, Limits};
use zune_core::colorspace::ColorSpace;
use zune_core::options::DecoderOptions;

use crate::options::ColorMode;

/// The largest decoded image accepted, in bytes (8-bit, before channel conversion).
pub const MAX_DECODED_BYTES: u64 = 512 * 1024 * 1024;

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
}

/// Why a file could not be decoded. The message is shown to the user beside the path.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The file could not be read.
    #[error("cannot read file: {0}")]
    Io(#[from] std::io::Error),
    /// The file is empty.
    #[error("empty file (0 bytes)")]
    Empty,
    /// The first bytes match no supported format.
    #[error(
        "not an image in a supported format (content is not BMP, GIF, JPEG, PNG, TIFF or WebP)"
    )]
    UnknownFormat,
    /// The image's header asks for more memory than allowed.
    #[error(
        "image is {width}x{height}, {mib} MiB decoded, over the {limit_mib} MiB limit (decompression bomb?)"
    )]
    TooLarge {
        /// Width from the header.
        width: u64,
        /// Height from the header.
        height: u64,
        /// Decoded size in MiB.
        mib: u64,
        /// The limit in MiB.
        limit_mib: u64,
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

/// Reads and decodes `path` into `mode`'s channels.
pub fn decode_file(path: &Path, mode: ColorMode) -> Result<Decoded, DecodeError> {
    let bytes = std::fs::read(path)?;
    decode_bytes(&bytes, mode)
}

/// Decodes an in-memory file into `mode`'s channels.
pub fn decode_bytes(bytes: &[u8], mode: ColorMode) -> Result<Decoded, DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    let format = image::guess_format(bytes).map_err(|_| DecodeError::UnknownFormat)?;
    if format == ImageFormat::Jpeg {
        return decode_jpeg(bytes, mode);
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
    let pixels = convert(image, mode);
    Ok(Decoded {
        width,
        height,
        channels: mode.channels(),
        pixels,
        format,
    })
}

fn too_large_from_header(bytes: &[u8], format: ImageFormat) -> DecodeError {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.no_limits();
    match reader.into_dimensions() {
        Ok((w, h)) => too_large(u64::from(w), u64::from(h), 4),
        Err(err) => DecodeError::Decoder {
            format,
            message: err.to_string(),
        },
    }
}

fn too_large(width: u64, height: u64, channels: u64) -> DecodeError {
    DecodeError::TooLarge {
        width,
        height,
        mib: width * height * channels / (1024 * 1024),
        limit_mib: MAX_DECODED_BYTES / (1024 * 1024),
    }
}

fn jpeg_error(err: &zune_jpeg::errors::DecodeErrors) -> DecodeError {
    DecodeError::Decoder {
        format: ImageFormat::Jpeg,
        message: one_line(&err.to_string()),
    }
}

type Jpeg<'a> = zune_jpeg::JpegDecoder<zune_core::bytestream::ZCursor<&'a [u8]>>;

/// A strict JPEG decoder for `mode` with its headers read: `(decoder, width, height)`, or the reason
/// (including a size over the limit, before anything is allocated).
fn jpeg_decoder(bytes: &[u8], mode: ColorMode) -> Result<(Jpeg<'_>, u32, u32), DecodeError> {
    let out_space = match mode {
        ColorMode::Grayscale => ColorSpace::Luma,
        ColorMode::Rgb => ColorSpace::RGB,
        ColorMode::Rgba => ColorSpace::RGBA,
    };
    let options = DecoderOptions::default()
        .set_strict_mode(true)
        .set_max_width(usize::from(u16::MAX))
        .set_max_height(usize::from(u16::MAX))
        .jpeg_set_out_colorspace(out_space);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(
        zune_core::bytestream::ZCursor::new(bytes),
        options,
    );
    decoder.decode_headers().map_err(|e| jpeg_error(&e))?;
    let (w, h) = decoder.dimensions().unwrap_or((0, 0));
    let channels = mode.channels() as u64;
    if w as u64 * h as u64 * channels > MAX_DECODED_BYTES {
        return Err(too_large(w as u64, h as u64, channels));
    }
    // JPEG dimensions are 16-bit, so these cannot fail.
    Ok((
        decoder,
        u32::try_from(w).unwrap_or(0),
        u32::try_from(h).unwrap_or(0),
    ))
}

fn decode_jpeg(bytes: &[u8], mode: ColorMode) -> Result<Decoded, DecodeError> {
    let (mut decoder, width, height) = jpeg_decoder(bytes, mode)?;
    let pixels = decoder.decode().map_err(|e| jpeg_error(&e))?;
    let expected = width as usize * height as usize * mode.channels();
    if pixels.len() != expected {
        return Err(DecodeError::Decoder {
            format: ImageFormat::Jpeg,
            message: format!(
                "decoder returned {} bytes for {width}x{height}x{}",
                pixels.len(),
                mode.channels()
            ),
        });
    }
    Ok(Decoded {
        width,
        height,
        channels: mode.channels(),
        pixels,
        format: ImageFormat::Jpeg,
    })
}

/// The result of [`decode_file_into`].
#[derive(Debug)]
pub enum DecodedInto {
    /// The pixels were written straight into the output: `(width, height)`.
    Written(u32, u32),
    /// The image needs preprocessing (another size, or not a JPEG): here it is, decoded.
    Decoded(Decoded),
}

/// Reads `path` and, when it is a JPEG of exactly `want` `(width, height)`, decodes it straight into
/// `out` (`width * height * channels` bytes, no intermediate copy: the export's hot path). Otherwise
/// decodes it as [`decode_file`] does and hands it back.
pub fn decode_file_into(
    path: &Path,
    mode: ColorMode,
    want: (u32, u32),
    out: &mut [u8],
) -> Result<DecodedInto, DecodeError> {
    let bytes = std::fs::read(path)?;
    // An empty or unknown file falls through to `decode_bytes`, which says why.
    if image::guess_format(&bytes).ok() == Some(ImageFormat::Jpeg) {
        let (mut decoder, width, height) = jpeg_decoder(&bytes, mode)?;
        if (width, height) == want && decoder.output_buffer_size() == Some(out.len()) {
            decoder.decode_into(out).map_err(|e| jpeg_error(&e))?;
            return Ok(DecodedInto::Written(width, height));
        }
    }
    decode_bytes(&bytes, mode).map(DecodedInto::Decoded)
}

/// Decoder messages may span lines; reports and CSV rows want one.
fn one_line(message: &str) -> String {
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

/// Reads only the header of `path`: its format and `(width, height)`. Reads a few hundred bytes with
/// `imagesize` (the file is never loaded whole), falling back to the decoder's own header parsing when
/// that cannot tell.
pub fn probe_file(path: &Path) -> Result<(ImageFormat, u32, u32), DecodeError> {
    use std::io::BufRead as _;
    let mut reader = std::io::BufReader::with_capacity(4096, std::fs::File::open(path)?);
    let head = reader.fill_buf()?;
    if head.is_empty() {
        return Err(DecodeError::Empty);
    }
    let format = image::guess_format(head).map_err(|_| DecodeError::UnknownFormat)?;
    if let Ok(size) = imagesize::reader_size(&mut reader)
        && let (Ok(w), Ok(h)) = (u32::try_from(size.width), u32::try_from(size.height))
    {
        return Ok((format, w, h));
    }
    let reader = ImageReader::open(path)?.with_guessed_format()?;
    let (w, h) = reader
        .into_dimensions()
        .map_err(|err| DecodeError::Decoder {
            format,
            message: one_line(&err.to_string()),
        })?;
    Ok((format, w, h))
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
