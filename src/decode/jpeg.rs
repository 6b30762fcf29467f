//! JPEG through zune-jpeg, strict: a JPEG whose data ends early is a bad file, as TensorFlow's
//! `decode_jpeg(try_recover_truncated=False)` makes it, not an image padded with grey.
//!
//! Colour: gray and YCbCr JPEGs decode straight into the asked mode (grayscale is the decoder's luma
//! plane, as in TensorFlow). CMYK and YCCK JPEGs (Adobe, inverted, as Photoshop and Pillow write them)
//! decode to RGB first, then become gray by libpng's formula or RGBA with alpha 255: zune-jpeg cannot
//! map them to luma, and its RGBA output for them is RGB bytes in an RGBA-sized buffer.

use image::ImageFormat;
use zune_core::bytestream::ZCursor;
use zune_core::colorspace::ColorSpace;
use zune_core::options::DecoderOptions;

use super::{DecodeError, Decoded, one_line, rgb_to_gray};
use crate::options::ColorMode;
use crate::size::Size;

type Zune<'a> = zune_jpeg::JpegDecoder<ZCursor<&'a [u8]>>;

/// A JPEG with its headers read, ready to decode.
pub struct Jpeg<'a> {
    decoder: Zune<'a>,
    /// Its size in pixels.
    pub size: Size,
    /// The mode asked for.
    mode: ColorMode,
    /// Whether the decoder gives RGB that [`Jpeg::decode`] converts to `mode` (CMYK and YCCK).
    via_rgb: bool,
}

fn jpeg_error(err: &zune_jpeg::errors::DecodeErrors) -> DecodeError {
    DecodeError::Decoder {
        format: ImageFormat::Jpeg,
        message: one_line(&err.to_string()),
    }
}

fn out_space(mode: ColorMode) -> ColorSpace {
    match mode {
        ColorMode::Grayscale => ColorSpace::Luma,
        ColorMode::Rgb => ColorSpace::RGB,
        ColorMode::Rgba => ColorSpace::RGBA,
    }
}

fn headers(bytes: &[u8], out: ColorSpace) -> Result<Zune<'_>, DecodeError> {
    let options = DecoderOptions::default()
        .set_strict_mode(true)
        .set_max_width(usize::from(u16::MAX))
        .set_max_height(usize::from(u16::MAX))
        .jpeg_set_out_colorspace(out);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    decoder.decode_headers().map_err(|e| jpeg_error(&e))?;
    Ok(decoder)
}

/// Reads the headers of a JPEG, refusing (before anything is allocated) a zero or oversized image and
/// a file too short to hold the size it declares.
pub fn open(bytes: &[u8], mode: ColorMode) -> Result<Jpeg<'_>, DecodeError> {
    // What libjpeg (and so TensorFlow and `--jpeg exact`) refuses, this decoder would decode.
    if let Some(reason) = super::jpeg_header::sampling_refusal(bytes) {
        return Err(DecodeError::Decoder {
            format: image::ImageFormat::Jpeg,
            message: reason.to_owned(),
        });
    }
    let mut decoder = headers(bytes, out_space(mode))?;
    let (w, h) = decoder.dimensions().unwrap_or((0, 0));
    let size = super::jpeg_header::check_size(bytes, w, h, mode.channels())?;
    let via_rgb = !matches!(
        decoder.input_colorspace(),
        Some(ColorSpace::Luma | ColorSpace::YCbCr | ColorSpace::RGB)
    );
    if via_rgb && mode != ColorMode::Rgb {
        // The output colour space sizes the decoder's buffers when the headers are read: start again.
        decoder = headers(bytes, ColorSpace::RGB)?;
    }
    Ok(Jpeg {
        decoder,
        size,
        mode,
        via_rgb,
    })
}

impl Jpeg<'_> {
    /// Bytes of the decoded image in the asked mode.
    fn len(&self) -> usize {
        self.size.width as usize * self.size.height as usize * self.mode.channels()
    }

    /// Decodes straight into `out` when it is exactly the image's size in the asked mode and no
    /// conversion is needed; `Ok(false)` (nothing written) otherwise.
    pub fn decode_into(&mut self, out: &mut [u8]) -> Result<bool, DecodeError> {
        if self.via_rgb || self.decoder.output_buffer_size() != Some(out.len()) {
            return Ok(false);
        }
        self.decoder.decode_into(out).map_err(|e| jpeg_error(&e))?;
        Ok(true)
    }

    /// Decodes into the asked mode.
    pub fn decode(mut self) -> Result<Decoded, DecodeError> {
        let pixels = self.decoder.decode().map_err(|e| jpeg_error(&e))?;
        let channels = if self.via_rgb {
            3
        } else {
            self.mode.channels()
        };
        let expected = self.size.width as usize * self.size.height as usize * channels;
        if pixels.len() != expected {
            return Err(DecodeError::Decoder {
                format: ImageFormat::Jpeg,
                message: format!(
                    "decoder returned {} bytes for {}x{}x{channels}",
                    pixels.len(),
                    self.size.width,
                    self.size.height,
                ),
            });
        }
        let pixels = if self.via_rgb && self.mode != ColorMode::Rgb {
            from_rgb(&pixels, self.mode, self.len())
        } else {
            pixels
        };
        Ok(Decoded {
            width: self.size.width,
            height: self.size.height,
            channels: self.mode.channels(),
            pixels,
            format: ImageFormat::Jpeg,
            warnings: 0,
        })
    }
}

/// RGB bytes to gray (libpng's formula) or RGBA (alpha 255).
fn from_rgb(rgb: &[u8], mode: ColorMode, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    for p in rgb.chunks_exact(3) {
        match mode {
            ColorMode::Grayscale => out.push(rgb_to_gray(p[0], p[1], p[2])),
            ColorMode::Rgb | ColorMode::Rgba => out.extend_from_slice(&[p[0], p[1], p[2], 255]),
        }
    }
    out
}
