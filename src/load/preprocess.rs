//! From a decoded image to the sample that lands in a batch: Keras's geometry (native size, resize,
//! crop or pad to the aspect ratio) and the output element type.

use serde::{Deserialize, Serialize};

use crate::decode::Decoded;
use crate::load::resize::{self, View};
use crate::options::{AspectFit, Dtype, PreprocessOptions, Scale};
use crate::size::Size;

/// `(height, width, channels)` of every sample of a batch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shape {
    /// Rows.
    pub height: usize,
    /// Columns.
    pub width: usize,
    /// Channels per pixel.
    pub channels: usize,
}

impl Shape {
    /// The shape of images of `size` with `channels` channels.
    pub fn of(size: Size, channels: usize) -> Self {
        Self {
            height: size.height as usize,
            width: size.width as usize,
            channels,
        }
    }

    /// Elements of one sample.
    pub fn len(&self) -> usize {
        self.height * self.width * self.channels
    }

    /// Whether a sample holds no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Its height and width (made from a [`Size`], so they fit a `u32`).
    pub fn size(&self) -> Size {
        Size {
            height: self.height as u32,
            width: self.width as u32,
        }
    }
}

/// The element type of a batch and, for float32, its value range.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Element {
    /// uint8 or float32.
    pub dtype: Dtype,
    /// For float32: 0..255 or 0..1.
    pub scale: Scale,
}

/// The default of `--max-image-bytes`: the most bytes one output image may take in memory (2 GiB). The
/// exporter holds chunks of at most 32 MiB of rows, or one image when an image is larger, so the batch
/// size never enters: one image is the unit that must fit.
pub const DEFAULT_MAX_IMAGE_BYTES: u64 = 2 << 30;

/// An output shape too large to hold in memory (or to count).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OutputTooLarge {
    /// One image would take more bytes than the limit.
    #[error(
        "images of {size}x{channels} {dtype} take {image_bytes} bytes each, over the limit of {limit} bytes per image; use a smaller --image-size (or raise --max-image-bytes)"
    )]
    OverLimit {
        /// Height and width.
        size: Size,
        /// Channels.
        channels: usize,
        /// `uint8` or `float32`.
        dtype: Dtype,
        /// Bytes of one image.
        image_bytes: u64,
        /// The limit.
        limit: u64,
    },
    /// The byte count itself overflows 64 bits (or the address space).
    #[error(
        "images of {size}x{channels} {dtype} are too large to count in memory; use a smaller --image-size"
    )]
    Overflow {
        /// Height and width.
        size: Size,
        /// Channels.
        channels: usize,
        /// `uint8` or `float32`.
        dtype: Dtype,
    },
}

/// Checks, with checked arithmetic and before anything is allocated, that one image of `size` with
/// `channels` channels of `dtype` fits in `limit` bytes.
pub fn check_output_size(
    size: Size,
    channels: usize,
    dtype: Dtype,
    limit: u64,
) -> Result<(), OutputTooLarge> {
    let elem = dtype.size() as u64;
    let Some(image_bytes) = size
        .pixels()
        .checked_mul(channels as u64)
        .and_then(|n| n.checked_mul(elem))
        // Every size must also be addressable in memory.
        .filter(|&n| usize::try_from(n).is_ok())
    else {
        return Err(OutputTooLarge::Overflow {
            size,
            channels,
            dtype,
        });
    };
    if image_bytes > limit {
        return Err(OutputTooLarge::OverLimit {
            size,
            channels,
            dtype,
            image_bytes,
            limit,
        });
    }
    Ok(())
}

/// Where one sample's elements go.
pub enum Slot<'a> {
    /// Bytes; resized values are rounded to nearest.
    U8(&'a mut [u8]),
    /// Floats, scaled.
    F32(&'a mut [f32], Scale),
}

/// A decoded image that does not fit the batch.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PreprocessError {
    /// The load was cancelled while this image was being resized.
    #[error("cancelled")]
    Cancelled,
    /// Native size was asked for and this image's size differs from the dataset's.
    #[error("image is {got} but the dataset's images are {want}; set an image size to resize")]
    SizeMismatch {
        /// This image's size.
        got: Size,
        /// The dataset's size.
        want: Size,
    },
}

/// Writes the preprocessed `decoded` into `slot` (of `shape.len()` elements).
pub fn preprocess_into(
    decoded: &Decoded,
    options: &PreprocessOptions,
    shape: Shape,
    slot: Slot<'_>,
    stop: &dyn Fn() -> bool,
) -> Result<(), PreprocessError> {
    let src = View {
        pixels: &decoded.pixels,
        height: decoded.height as usize,
        width: decoded.width as usize,
        channels: decoded.channels,
    };
    let Some(_) = options.image_size else {
        if (src.height, src.width) != (shape.height, shape.width) {
            return Err(PreprocessError::SizeMismatch {
                got: decoded.size(),
                want: shape.size(),
            });
        }
        write_exact(src.pixels, slot);
        return Ok(());
    };
    let (h, w, c) = (shape.height, shape.width, shape.channels);
    let resized = |view: View<'_>, out_h: usize, out_w: usize| {
        resize::resize_until(view, out_h, out_w, options.interpolation, stop)
            .ok_or(PreprocessError::Cancelled)
    };
    if (src.height, src.width) == (h, w) {
        // Every kernel is the identity at the same size, and every fit keeps the whole image: the
        // bytes go straight into the slot.
        write_exact(src.pixels, slot);
        return Ok(());
    }
    match (options.fit, slot) {
        // The common case writes straight into the batch: no copy, no second pass (unless scaled).
        (AspectFit::Stretch, Slot::F32(out, scale)) => {
            resize::resize_into_until(src, out, h, w, options.interpolation, stop)
                .ok_or(PreprocessError::Cancelled)?;
            if scale == Scale::To1 {
                for v in out.iter_mut() {
                    *v = scaled(*v, scale);
                }
            }
        }
        (AspectFit::Stretch, slot) => write_floats(&resized(src, h, w)?, slot),
        (AspectFit::Crop, slot) => {
            let (top, left, ch, cw) = resize::crop_box(src.height, src.width, h, w);
            let cropped = resize::crop(src, top, left, ch, cw);
            let view = View {
                pixels: &cropped,
                height: ch,
                width: cw,
                channels: c,
            };
            write_floats(&resized(view, h, w)?, slot);
        }
        (AspectFit::Pad, slot) => {
            let (top, left, ih, iw) = resize::pad_box(src.height, src.width, h, w);
            let inner = resized(src, ih, iw)?;
            let mut padded = vec![0f32; h * w * c];
            for (y, row) in inner.chunks_exact(iw * c).enumerate() {
                let at = ((top + y) * w + left) * c;
                padded[at..at + iw * c].copy_from_slice(row);
            }
            write_floats(&padded, slot);
        }
    }
    Ok(())
}

fn write_exact(pixels: &[u8], slot: Slot<'_>) {
    match slot {
        Slot::U8(out) => out.copy_from_slice(pixels),
        Slot::F32(out, scale) => {
            for (o, &v) in out.iter_mut().zip(pixels) {
                *o = scaled(f32::from(v), scale);
            }
        }
    }
}

fn write_floats(values: &[f32], slot: Slot<'_>) {
    match slot {
        Slot::U8(out) => {
            for (o, &v) in out.iter_mut().zip(values) {
                *o = round_to_u8(v);
            }
        }
        Slot::F32(out, scale) => {
            for (o, &v) in out.iter_mut().zip(values) {
                *o = scaled(v, scale);
            }
        }
    }
}

/// Nearest byte, halves rounded up; values are within 0..=255 by construction of every kernel.
#[inline]
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
pub fn round_to_u8(v: f32) -> u8 {
    (v + 0.5).clamp(0.0, 255.0) as u8
}

#[inline]
fn scaled(v: f32, scale: Scale) -> f32 {
    match scale {
        Scale::To255 => v,
        Scale::To1 => v / 255.0,
    }
}
