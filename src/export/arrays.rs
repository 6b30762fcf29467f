//! The exported arrays' form, beyond the loader's NHWC rows: the axis order (`nchw`, as PyTorch wants),
//! float16 (numpy's round-to-nearest-even cast of the float32 value, through the `half` crate, which
//! implements the same IEEE conversion) and the `.npz` archive that holds the `.npy` files as members.
//!
//! Guarantees: a converted row equals numpy's `x.transpose(0, 3, 1, 2)` and `x.astype(np.float16)` of
//! the NHWC float32 row; the `.npz` is a zip that `np.load` opens, with members named `<array>.npy`
//! stored (as `np.savez` writes) or deflated (`--compress`), written streaming from the finished
//! `.npy` files with a fixed timestamp, so the same arrays always give the same bytes.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufWriter, Write as _};
use std::path::{Path, PathBuf};

use super::{ArrayOptions, ExportError, io_err};
use crate::load::preprocess::Shape;
use crate::options::{ArrayDtype, Layout};

/// Turns the loader's NHWC rows into the rows the export writes, as little-endian bytes.
#[derive(Clone, Copy, Debug)]
pub(super) struct ImageConvert {
    /// Pixels per image (`H * W`).
    pixels: usize,
    channels: usize,
    layout: Layout,
    float16: bool,
}

impl ImageConvert {
    pub(super) fn new(shape: Shape, options: ArrayOptions) -> Self {
        Self {
            pixels: shape.height * shape.width,
            channels: shape.channels,
            layout: options.layout,
            float16: options.dtype == ArrayDtype::Float16,
        }
    }

    /// Whether rows are written as the loader made them.
    fn is_identity(&self) -> bool {
        self.layout == Layout::Nhwc || self.channels == 1
    }

    /// uint8 rows (float16 does not apply: the loader makes float32 rows for it).
    pub(super) fn u8_rows<'a>(&self, values: &'a [u8]) -> Cow<'a, [u8]> {
        if self.is_identity() {
            Cow::Borrowed(values)
        } else {
            Cow::Owned(self.channels_first(values))
        }
    }

    /// float32 rows, as float32 or cast to float16.
    pub(super) fn f32_rows<'a>(&self, values: &'a [f32]) -> Cow<'a, [u8]> {
        let values: Cow<'a, [f32]> = if self.is_identity() {
            Cow::Borrowed(values)
        } else {
            Cow::Owned(self.channels_first(values))
        };
        if self.float16 {
            return Cow::Owned(
                values
                    .iter()
                    .flat_map(|&v| half::f16::from_f32(v).to_bits().to_le_bytes())
                    .collect(),
            );
        }
        match values {
            Cow::Borrowed(v) if cfg!(target_endian = "little") => {
                Cow::Borrowed(bytemuck::cast_slice(v))
            }
            v => Cow::Owned(v.iter().flat_map(|x| x.to_le_bytes()).collect()),
        }
    }

    /// Each `H x W x C` row of `values` as `C x H x W`.
    fn channels_first<T: Copy + Default>(&self, values: &[T]) -> Vec<T> {
        let (pixels, channels) = (self.pixels, self.channels);
        let mut out = vec![T::default(); values.len()];
        for (row_in, row_out) in values
            .chunks_exact(pixels * channels)
            .zip(out.chunks_exact_mut(pixels * channels))
        {
            for (c, plane) in row_out.chunks_exact_mut(pixels).enumerate() {
                for (p, value) in plane.iter_mut().enumerate() {
                    *value = row_in[p * channels + c];
                }
            }
        }
        out
    }
}

/// Writes the zip archive `archive` holding `members` (`(name in the archive, file)`), stored or
/// deflated, streaming each file in, and syncs it. Members over 4 GiB get zip64 headers, as numpy's.
pub(super) fn pack_npz(
    archive: &Path,
    members: &[(String, PathBuf)],
    compress: bool,
) -> Result<(), ExportError> {
    use zip::write::SimpleFileOptions;
    let file = File::create(archive).map_err(io_err("creating", archive))?;
    let mut zip = zip::ZipWriter::new(BufWriter::with_capacity(1 << 20, file));
    let zip_err = |e: zip::result::ZipError| ExportError::Io {
        action: "writing",
        path: archive.to_path_buf(),
        source: io::Error::other(e),
    };
    for (name, path) in members {
        let len = std::fs::metadata(path)
            .map_err(io_err("reading", path))?
            .len();
        let options = SimpleFileOptions::default()
            .compression_method(if compress {
                zip::CompressionMethod::Deflated
            } else {
                zip::CompressionMethod::Stored
            })
            .large_file(len >= u64::from(u32::MAX));
        zip.start_file(name.as_str(), options).map_err(zip_err)?;
        let mut input = File::open(path).map_err(io_err("reading", path))?;
        io::copy(&mut input, &mut zip).map_err(io_err("writing", archive))?;
    }
    let mut file = zip.finish().map_err(zip_err)?;
    file.flush().map_err(io_err("writing", archive))?;
    let file = file
        .into_inner()
        .map_err(|e| io_err("writing", archive)(e.into_error()))?;
    file.sync_all().map_err(io_err("syncing", archive))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(layout: Layout, dtype: ArrayDtype, h: usize, w: usize, c: usize) -> ImageConvert {
        ImageConvert::new(
            Shape {
                height: h,
                width: w,
                channels: c,
            },
            ArrayOptions {
                layout,
                dtype,
                ..ArrayOptions::default()
            },
        )
    }

    #[test]
    fn nchw_moves_channels_first_in_every_row() {
        // Two rows of 1x2 pixels with 3 channels: [r0 g0 b0 r1 g1 b1] -> [r0 r1 g0 g1 b0 b1].
        let rows: Vec<u8> = (0..12).collect();
        let c = convert(Layout::Nchw, ArrayDtype::Uint8, 1, 2, 3);
        assert_eq!(
            c.u8_rows(&rows).as_ref(),
            [0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11]
        );
        assert_eq!(
            convert(Layout::Nhwc, ArrayDtype::Uint8, 1, 2, 3)
                .u8_rows(&rows)
                .as_ref(),
            rows.as_slice()
        );
    }

    #[test]
    fn float16_rounds_to_nearest_even_like_numpy() {
        // Values numpy gives for np.array(v, np.float32).astype(np.float16).view(np.uint16):
        // ties go to the even mantissa (2049 -> 2048, 2051 -> 2052), 65519 is the largest value
        // that stays finite, 65520 becomes inf, -0.0 keeps its sign.
        // Subnormals: 2^-24 is the smallest, 2^-25 ties to 0, 1.5 * 2^-24 ties to 2 (even).
        let cases: [(f32, u16); 15] = [
            (0.0, 0x0000),
            (-0.0, 0x8000),
            (1.0, 0x3c00),
            (255.0, 0x5bf8),
            (2049.0, 0x6800),
            (2051.0, 0x6802),
            (65504.0, 0x7bff),
            (65519.0, 0x7bff),
            (65520.0, 0x7c00),
            (1.0 / 255.0, 0x1c04),
            (1e-6, 0x0011),
            (5.960_464_5e-8, 0x0001),
            (2.980_232_2e-8, 0x0000),
            (8.940_697e-8, 0x0002),
            (6.103_515_6e-5, 0x0400),
        ];
        let c = convert(Layout::Nhwc, ArrayDtype::Float16, 1, 1, 1);
        let values: Vec<f32> = cases.iter().map(|c| c.0).collect();
        let bytes = c.f32_rows(&values);
        let bits: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .collect();
        let expected: Vec<u16> = cases.iter().map(|c| c.1).collect();
        assert_eq!(bits, expected);
    }
}
