//! Finds the samples that will fail to load without decoding every image: the problems the index and
//! the headers can see, known as soon as a dataset opens rather than when their batch is viewed.
//!
//! Each sample's header is read (format and size), and a file's last bytes are compared with its
//! format's end marker (JPEG's `FF D9`, PNG's `IEND` chunk, GIF's trailer), which a file cut short
//! lacks. A sample is a *suspect* when its header cannot be read, declares a size the loader refuses
//! or that differs from the dataset's native size, when the file is over the byte limit, or when its
//! end marker is missing. Suspects (few, on a real dataset) are then loaded by the loader itself, so a
//! problem is reported only if the loader fails the sample, and with the loader's own reason: the
//! Problems panel lists it once, whether the check or the batch on screen found it first. A file with
//! bytes after its end marker is a suspect that loads, and is not reported.
//!
//! What only a decode can see (a header and end marker intact around corrupt data) is left to the
//! batches as they are read, or to a pass that decodes every file ([`all_samples`] with the loader).

use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use image::ImageFormat;
use rayon::prelude::*;

use crate::decode;
use crate::load::loader::{self, LoadSpec, SampleFailure};
use crate::plan::BatchPlan;

/// Samples whose headers are read between two looks at the cancel flag and two progress updates.
const CHUNK: usize = 256;

/// Suspects loaded together to confirm them.
const CONFIRM_BATCH: usize = 32;

/// The last bytes of a complete file of `format`, when the format has a fixed end marker.
fn end_marker(format: ImageFormat) -> Option<&'static [u8]> {
    match format {
        ImageFormat::Jpeg => Some(&[0xFF, 0xD9]),
        // The IEND chunk's type and CRC.
        ImageFormat::Png => Some(b"IEND\xAE\x42\x60\x82"),
        ImageFormat::Gif => Some(&[0x3B]),
        _ => None,
    }
}

/// Whether the file at `path` lacks its format's end marker, or is over `max_file_bytes`.
fn tail_suspect(path: &Path, format: ImageFormat, max_file_bytes: u64) -> bool {
    let Ok((mut file, len)) = decode::open_regular(path) else {
        return true;
    };
    if len > max_file_bytes {
        return true;
    }
    let Some(marker) = end_marker(format) else {
        return false;
    };
    let mut tail = vec![0; marker.len()];
    let from_end = i64::try_from(marker.len()).unwrap_or(i64::MAX);
    len < marker.len() as u64
        || file.seek(SeekFrom::End(-from_end)).is_err()
        || file.read_exact(&mut tail).is_err()
        || tail != marker
}

/// Whether sample `i` may fail to load, from its header and (for files) its last bytes.
fn suspect(spec: &LoadSpec, i: usize) -> bool {
    let Some(images) = spec.index.store.images() else {
        return false;
    };
    let path = spec.index.path(i);
    let Ok((format, size)) = images.header(i, &path) else {
        return true;
    };
    let native = spec.preprocess.image_size.is_none();
    if size.width == 0
        || size.height == 0
        || size.pixels() > decode::MAX_DECODED_BYTES
        || native && spec.shape.size() != size
    {
        return true;
    }
    images.samples_are_files() && tail_suspect(&path, format, spec.preprocess.max_file_bytes)
}

/// A copy of `spec` that loads `order`, in batches of `batch_size`.
fn respec(spec: &LoadSpec, order: Vec<usize>, batch_size: usize) -> LoadSpec {
    LoadSpec {
        plan: Arc::new(BatchPlan {
            order,
            batch_size,
            seed: None,
            ends: None,
        }),
        ..spec.clone()
    }
}

/// Every sample of `spec`'s dataset in index order, as the loader would load them, in batches of
/// `batch_size`: what a pass that decodes every file loads (whichever subset the plan shows).
pub fn all_samples(spec: &LoadSpec, batch_size: usize) -> LoadSpec {
    respec(
        spec,
        (0..spec.index.samples.len()).collect(),
        batch_size.max(1),
    )
}

/// The samples of `spec`'s dataset (all of them, not only the plan's) that the headers and the ends
/// of the files show will fail, each with the loader's reason, in index order. `done` counts the
/// samples whose headers were read. `None` when cancelled. Samples of stored arrays are not decoded
/// and have no headers: none is reported.
pub fn header_failures(
    spec: &LoadSpec,
    cancel: &AtomicBool,
    done: &AtomicUsize,
) -> Option<Vec<SampleFailure>> {
    if !spec.index.store.decodes_images() {
        return Some(Vec::new());
    }
    let samples: Vec<usize> = (0..spec.index.samples.len()).collect();
    // Headers are read on a pool of the check's own, not on the global one the loaders share: a
    // file that is slow to open (a network disk) stalls this check alone, and the next dataset's
    // batches still load while it waits.
    let threads = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("header-check-{i}"))
        .build();
    let mut suspects = Vec::new();
    for chunk in samples.chunks(CHUNK) {
        if cancel.load(Ordering::Relaxed) {
            return None;
        }
        let flag = || {
            chunk
                .par_iter()
                .copied()
                .filter(|&i| !cancel.load(Ordering::Relaxed) && suspect(spec, i))
                .collect()
        };
        // Without threads of its own (the system refused them), on the shared pool.
        let flagged: Vec<usize> = match &pool {
            Ok(pool) => pool.install(flag),
            Err(_) => flag(),
        };
        suspects.extend(flagged);
        done.fetch_add(chunk.len(), Ordering::Relaxed);
    }
    let confirm = respec(spec, suspects, CONFIRM_BATCH);
    let mut failures = Vec::new();
    for k in 0..confirm.plan.batch_count() {
        if cancel.load(Ordering::Relaxed) {
            return None;
        }
        failures.extend(loader::load_batch(&confirm, k, cancel).failures);
    }
    (!cancel.load(Ordering::Relaxed)).then_some(failures)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::{DatasetIndex, Sample};
    use crate::load::preprocess::{Element, Shape};
    use crate::options::{JpegDecoder, PreprocessOptions};
    use crate::size::Size;

    fn jpeg_bytes(seed: u8) -> Vec<u8> {
        let img = image::RgbImage::from_fn(32, 24, |x, y| {
            image::Rgb([(x * 7) as u8 ^ seed, (y * 9) as u8, seed])
        });
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Jpeg).unwrap();
        out.into_inner()
    }

    fn png_bytes() -> Vec<u8> {
        let img = image::RgbImage::from_fn(32, 24, |x, y| image::Rgb([x as u8, y as u8, 3]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    /// A spec over the files `names` of `dir` (labels off), native size 32x24.
    fn spec_of(dir: &Path, names: &[&str]) -> LoadSpec {
        let index = DatasetIndex {
            root: dir.to_path_buf(),
            samples: names
                .iter()
                .map(|n| Sample {
                    objects: None,
                    rel_path: n.into(),
                    label: None,
                })
                .collect(),
            ..Default::default()
        };
        LoadSpec {
            index: Arc::new(index),
            plan: Arc::new(BatchPlan {
                order: vec![0],
                batch_size: 1,
                seed: None,
                ends: None,
            }),
            preprocess: PreprocessOptions::default(),
            shape: Shape::of(
                Size {
                    height: 24,
                    width: 32,
                },
                3,
            ),
            element: Element::default(),
        }
    }

    #[test]
    fn cut_empty_and_foreign_files_are_found_from_headers_and_ends_with_the_loaders_reasons() {
        let dir = tempfile::tempdir().unwrap();
        let good = jpeg_bytes(1);
        let mut padded = jpeg_bytes(2);
        padded.extend_from_slice(&[0; 40]); // bytes after the end marker: loads fine
        let png = png_bytes();
        let files: [(&str, &[u8]); 7] = [
            ("good.jpg", &good),
            ("cut.jpg", &good[..good.len() * 2 / 3]),
            ("padded.jpg", &padded),
            ("empty.png", b""),
            ("text.jpg", b"hello, not an image"),
            ("cut.png", &png[..png.len() - 30]),
            ("good.png", &png),
        ];
        for (name, bytes) in files {
            std::fs::write(dir.path().join(name), bytes).unwrap();
        }
        let names: Vec<&str> = files.iter().map(|(n, _)| *n).collect();
        let spec = spec_of(dir.path(), &names);
        let done = AtomicUsize::new(0);
        let failures = header_failures(&spec, &AtomicBool::new(false), &done).unwrap();
        assert_eq!(done.load(Ordering::Relaxed), 7);
        let found: Vec<(String, String)> = failures
            .iter()
            .map(|f| (f.rel_path.to_string_lossy().into_owned(), f.reason.clone()))
            .collect();
        let paths: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["cut.jpg", "empty.png", "text.jpg", "cut.png"]);
        // The reasons are the loader's own, word for word.
        let loaded = loader::load_batch(
            &respec(&spec, (0..7).collect(), 7),
            0,
            &AtomicBool::new(false),
        );
        let by_loader: Vec<(String, String)> = loaded
            .failures
            .iter()
            .map(|f| (f.rel_path.to_string_lossy().into_owned(), f.reason.clone()))
            .collect();
        assert_eq!(found, by_loader);
        assert_eq!(found[1].1, "empty file (0 bytes)");
    }

    /// A JPEG whose first Huffman table claims more codes than a table holds: its header (size) and
    /// end marker are intact, only a decode finds it bad.
    pub fn bogus_huffman_jpeg(seed: u8) -> Vec<u8> {
        let mut bytes = jpeg_bytes(seed);
        let dht = bytes.windows(2).position(|w| w == [0xFF, 0xC4]).unwrap();
        // Marker, length (2 bytes), class/id (1 byte), then 16 code counts.
        for count in &mut bytes[dht + 5..dht + 21] {
            *count = 0xFF;
        }
        bytes
    }

    #[test]
    fn corrupt_data_between_an_intact_header_and_end_is_left_to_the_decode() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("bogus.jpg"), bogus_huffman_jpeg(3)).unwrap();
        for jpeg in [JpegDecoder::Fast, JpegDecoder::Exact] {
            let mut spec = spec_of(dir.path(), &["bogus.jpg"]);
            spec.preprocess.jpeg = jpeg;
            assert!(!suspect(&spec, 0), "{jpeg}");
            let failures =
                header_failures(&spec, &AtomicBool::new(false), &AtomicUsize::new(0)).unwrap();
            assert!(failures.is_empty(), "{jpeg}");
            let loaded = loader::load_batch(&spec, 0, &AtomicBool::new(false));
            assert_eq!(loaded.failures.len(), 1, "{jpeg}");
            assert!(
                loaded.failures[0]
                    .reason
                    .starts_with("Jpeg decode failed: "),
                "{jpeg}: {}",
                loaded.failures[0].reason
            );
        }
    }

    #[test]
    fn a_file_of_another_native_size_is_found_and_a_cancel_stops_the_check() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.jpg"), jpeg_bytes(1)).unwrap();
        let other = image::RgbImage::from_pixel(10, 10, image::Rgb([9, 9, 9]));
        other.save(dir.path().join("b.png")).unwrap();
        let spec = spec_of(dir.path(), &["a.jpg", "b.png"]);
        let failures =
            header_failures(&spec, &AtomicBool::new(false), &AtomicUsize::new(0)).unwrap();
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].rel_path, Path::new("b.png"));
        assert!(
            failures[0].reason.contains("10x10"),
            "{}",
            failures[0].reason
        );
        // With an image size, every size loads.
        let mut resized = spec.clone();
        resized.preprocess.image_size = Some(Size::square(16));
        resized.shape = Shape::of(Size::square(16), 3);
        let none = header_failures(&resized, &AtomicBool::new(false), &AtomicUsize::new(0));
        assert_eq!(none.map(|f| f.len()), Some(0));
        assert!(header_failures(&spec, &AtomicBool::new(true), &AtomicUsize::new(0)).is_none());
    }
}
