//! Writes the hostile inputs of issue 23 at full size, for the memory table in BENCHMARKS.md (the
//! tests build the same shapes small): each is small on disk and claims far more than it holds.
//!
//! ```text
//! cargo run --example bombs -- OUT
//! cargo run --example bombs -- --snapshot-stream | gzip -9 > OUT/gzip-snapshot/run/00000000.shard/00000000.snapshot
//! cargo run --example bombs -- --tfrecord-stream | gzip -9 > OUT/bomb.tfrecord
//! ```
//! (the streams go through the system's `gzip`, which compresses gigabytes of zeros in seconds),
//! then run batchscope on each under `/usr/bin/time -v`:
//! - `tiny-tensor/`: a saved dataset whose first element, a 30-byte record, claims 1 TiB by its shape;
//! - `gzip-snapshot/`: a GZIP saved dataset whose first record claims 4 GiB, all zeros, all there;
//! - `bomb.tfrecord`: a GZIP TFRecord whose one Example holds a 900 MB bytes feature;
//! - `scan-bomb/`: a folder with a progressive JPEG whose last scan repeats 30,000 times;
//! - `exclude/`: a folder of 4 images and `exclude.txt`, a 375 MB exclude list.

#![allow(clippy::unwrap_used)] // A generator for benchmarks: a failed write ends it.

use std::io::Write as _;
use std::path::Path;

use batchscope::source::tfrecord::{mask, masked_crc};
use records::{field, framed, tensor, varint};

#[path = "../tests/common/records.rs"]
mod records;

/// `snapshot.metadata` and `dataset_spec.pb` of a one-component uint8 dataset of shape `(None,)`;
/// returns the snapshot file to write.
fn saved(root: &Path) -> std::path::PathBuf {
    records::saved_layout(root, &[-1], 2)
}

/// Writes `n` zero bytes, feeding them to `crc` (a CRC-32C state) when given.
fn zeros(out: &mut impl std::io::Write, n: u64, mut crc: Option<&mut u32>) {
    let block = vec![0u8; 1 << 20];
    let mut left = n;
    while left > 0 {
        let k = left.min(block.len() as u64) as usize;
        out.write_all(&block[..k]).unwrap();
        if let Some(crc) = crc.as_deref_mut() {
            *crc = crc32c::crc32c_append(*crc, &block[..k]);
        }
        left -= k as u64;
    }
}

/// The uncompressed snapshot stream: a record claiming 4 GiB (valid length CRC), all zeros, then a
/// good element.
fn snapshot_stream(out: &mut impl std::io::Write) {
    let claimed: u64 = 4 << 30;
    out.write_all(&claimed.to_le_bytes()).unwrap();
    out.write_all(&masked_crc(&claimed.to_le_bytes()).to_le_bytes())
        .unwrap();
    zeros(out, claimed, None);
    out.write_all(&[0; 4]).unwrap();
    out.write_all(&framed(&tensor(&[2], &[1, 2]))).unwrap();
}

/// The uncompressed TFRecord stream: one Example whose "image" feature is 900 MB of zeros.
fn tfrecord_stream(out: &mut impl std::io::Write) {
    let image_len: u64 = 900_000_000;
    let mut bytes_list = Vec::new();
    varint(1 << 3 | 2, &mut bytes_list);
    varint(image_len, &mut bytes_list);
    let bytes_list_len = bytes_list.len() as u64 + image_len;
    let mut feature = Vec::new();
    varint(1 << 3 | 2, &mut feature);
    varint(bytes_list_len, &mut feature);
    let feature_len = feature.len() as u64 + bytes_list_len;
    let mut entry = field(1, b"image");
    varint(2 << 3 | 2, &mut entry);
    varint(feature_len, &mut entry);
    let entry_len = entry.len() as u64 + feature_len;
    let mut map = Vec::new();
    varint(1 << 3 | 2, &mut map);
    varint(entry_len, &mut map);
    let map_len = map.len() as u64 + entry_len;
    let mut example = Vec::new();
    varint(1 << 3 | 2, &mut example);
    varint(map_len, &mut example);
    let head: Vec<u8> = [example, map, entry, feature, bytes_list].concat();
    let record_len = head.len() as u64 + image_len;
    out.write_all(&record_len.to_le_bytes()).unwrap();
    out.write_all(&masked_crc(&record_len.to_le_bytes()).to_le_bytes())
        .unwrap();
    out.write_all(&head).unwrap();
    let mut crc = crc32c::crc32c(&head);
    zeros(out, image_len, Some(&mut crc));
    out.write_all(&mask(crc).to_le_bytes()).unwrap();
}

/// A progressive 512x512 JPEG whose smallest scan repeats 30,000 times (`scan-bomb/data/c/bomb.jpg`),
/// beside a good image: libjpeg passes over a whole component once per scan.
fn scan_bomb(folder: &Path) {
    let dir = folder.join("data/c");
    std::fs::create_dir_all(&dir).unwrap();
    let pixels: Vec<u8> = (0..512 * 512 * 3).map(|i| (i * 7 % 251) as u8).collect();
    let mut jpeg = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut jpeg, 85);
    encoder.set_progressive(true);
    encoder
        .encode(&pixels, 512, 512, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    std::fs::write(dir.join("good.jpg"), &jpeg).unwrap();
    // Each scan runs from its SOS marker to the next marker that is not inside entropy-coded data.
    let starts: Vec<usize> = (0..jpeg.len() - 1)
        .filter(|&i| jpeg[i] == 0xFF && jpeg[i + 1] == 0xDA)
        .collect();
    let scan_end = |start: usize| {
        let header = usize::from(u16::from_be_bytes([jpeg[start + 2], jpeg[start + 3]]));
        (start + 2 + header..jpeg.len() - 1)
            .find(|&i| jpeg[i] == 0xFF && !matches!(jpeg[i + 1], 0x00 | 0xFF | 0xD0..=0xD7))
            .unwrap()
    };
    let smallest = starts
        .iter()
        .map(|&s| s..scan_end(s))
        .min_by_key(ExactSizeIterator::len)
        .unwrap();
    let end = jpeg.len() - 2;
    let mut bomb = jpeg[..end].to_vec();
    for _ in 0..30_000 {
        bomb.extend_from_slice(&jpeg[smallest.clone()]);
    }
    bomb.extend_from_slice(&[0xFF, 0xD9]);
    std::fs::write(dir.join("bomb.jpg"), bomb).unwrap();
}

/// A 375 MB exclude list (none of its lines is a sample) beside a folder of 4 images.
fn exclude(folder: &Path) {
    for i in 0..4u8 {
        let dir = folder.join("data/c");
        std::fs::create_dir_all(&dir).unwrap();
        image::RgbImage::from_pixel(4, 4, image::Rgb([i, i, i]))
            .save(dir.join(format!("{i}.png")))
            .unwrap();
    }
    let mut list =
        std::io::BufWriter::new(std::fs::File::create(folder.join("exclude.txt")).unwrap());
    let mut written = 0u64;
    let mut k = 0u64;
    while written < 375_000_000 {
        let line =
            format!("c/some/folder/not_in_the_dataset_{k:012}.png\tnear-duplicate of c/{k}.png\n");
        list.write_all(line.as_bytes()).unwrap();
        written += line.len() as u64;
        k += 1;
    }
    list.flush().unwrap();
}

fn main() {
    let arg = std::env::args()
        .nth(1)
        .expect("usage: bombs OUT | --snapshot-stream | --tfrecord-stream");
    let stdout = || std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    match arg.as_str() {
        "--snapshot-stream" => snapshot_stream(&mut stdout()),
        "--tfrecord-stream" => tfrecord_stream(&mut stdout()),
        out => {
            let out = Path::new(out);
            // 1. A tensor of 2^40 uint8 claimed by a 30-byte record, then a good element.
            let file = saved(&out.join("tiny-tensor"));
            let mut bytes = framed(&tensor(&[1 << 40], &[]));
            bytes.extend(framed(&tensor(&[2], &[1, 2])));
            std::fs::write(file, bytes).unwrap();
            // 2a. The GZIP snapshot's dataset; its file is --snapshot-stream through gzip.
            saved(&out.join("gzip-snapshot"));
            // 5. A JPEG scan bomb, for --jpeg exact.
            scan_bomb(&out.join("scan-bomb"));
            // 7.
            exclude(&out.join("exclude"));
        }
    }
}
