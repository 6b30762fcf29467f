//! What both JPEG decoders read from a JPEG's headers before decoding it: its marker segments,
//! libjpeg's refusal of sampling factors (which the fast decoder would decode anyway), and the size
//! checks made before anything is allocated.

use super::{DecodeError, MAX_DECODED_BYTES, too_large};
use crate::size::Size;

/// The marker segments of a JPEG after SOI, each as its marker and its payload (after the length),
/// walking past entropy-coded data (stuffed `FF 00` bytes, fill bytes and restart markers), up to
/// the end marker or the first segment whose length runs past the file.
pub(super) fn segments(bytes: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    let mut i = 2; // past SOI
    std::iter::from_fn(move || {
        while i + 1 < bytes.len() {
            if bytes[i] != 0xFF {
                i += 1; // entropy-coded data
                continue;
            }
            match bytes[i + 1] {
                // A fill byte, a stuffed zero or a restart marker: still inside the data.
                0xFF => i += 1,
                0x00 | 0x01 | 0xD0..=0xD8 => i += 2,
                0xD9 => return None,
                marker => {
                    let len = bytes.get(i + 2..i + 4)?;
                    let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
                    let payload = bytes.get(i + 4..(i + 2 + len).max(i + 4))?;
                    i += 2 + len;
                    return Some((marker, payload));
                }
            }
        }
        None
    })
}

/// libjpeg's refusal of a frame's sampling factors, which the fast decoder would decode anyway:
/// factors outside 1..=4 ("Bogus sampling factors"), and an interleaved scan whose components need
/// more than 10 blocks per MCU ("Sampling factors too large for interleaved scan", e.g. 4x4 luma
/// with two 1x1 chroma components: 18 blocks).
pub(super) fn sampling_refusal(bytes: &[u8]) -> Option<&'static str> {
    /// libjpeg's `D_MAX_BLOCKS_IN_MCU`.
    const MAX_BLOCKS_IN_MCU: usize = 10;
    let mut factors: Vec<(u8, usize)> = Vec::new(); // (component id, H * V)
    for (marker, payload) in segments(bytes) {
        match marker {
            // SOF0..SOF15 but DHT (C4), JPG (C8) and DAC (CC).
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                let count = usize::from(*payload.get(5)?);
                factors.clear();
                for c in payload.get(6..6 + 3 * count)?.chunks_exact(3) {
                    let (h, v) = (c[1] >> 4, c[1] & 0x0F);
                    if !(1..=4).contains(&h) || !(1..=4).contains(&v) {
                        return Some("Bogus sampling factors");
                    }
                    factors.push((c[0], usize::from(h) * usize::from(v)));
                }
            }
            0xDA => {
                let count = usize::from(*payload.first()?);
                if count < 2 {
                    continue;
                }
                let blocks: usize = payload
                    .get(1..1 + 2 * count)?
                    .chunks_exact(2)
                    .filter_map(|c| factors.iter().find(|(id, _)| *id == c[0]))
                    .map(|(_, blocks)| blocks)
                    .sum();
                if blocks > MAX_BLOCKS_IN_MCU {
                    return Some("Sampling factors too large for interleaved scan");
                }
            }
            _ => {}
        }
    }
    None
}

/// Refuses, before anything is allocated, a zero or oversized `w x h` image (of `channels` bytes per
/// pixel decoded) and a file too short to hold the size it declares; returns the size.
pub(super) fn check_size(
    bytes: &[u8],
    w: usize,
    h: usize,
    channels: usize,
) -> Result<Size, DecodeError> {
    // JPEG dimensions are 16-bit, so these conversions cannot fail.
    let (width, height) = (u32::try_from(w).unwrap_or(0), u32::try_from(h).unwrap_or(0));
    if width == 0 || height == 0 {
        return Err(DecodeError::ZeroSize { width, height });
    }
    if w as u64 * h as u64 * channels as u64 > MAX_DECODED_BYTES {
        return Err(too_large(w as u64, h as u64, channels as u64, "JPEG"));
    }
    // Every MCU (at most 32x32 pixels) holds at least one Huffman code of at least one bit, so a file
    // with fewer bits than MCUs ends before its image does; the decoders would pad the rest.
    let min_bits = (w as u64).div_ceil(32) * (h as u64).div_ceil(32);
    if (bytes.len() as u64) * 8 < min_bits {
        return Err(DecodeError::TruncatedJpeg {
            bytes: bytes.len() as u64,
            width,
            height,
        });
    }
    Ok(Size { height, width })
}
