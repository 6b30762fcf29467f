//! Reads image headers (format and size, no pixels) in parallel: to find the one native size a dataset
//! must share when no image size is set, and to summarise sizes and formats for `inspect`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use image::ImageFormat;
use rayon::prelude::*;

use crate::decode;
use crate::index::DatasetIndex;
use crate::size::Size;

/// The header of one sample (its format and size), or why it could not be read.
pub type Header = Result<(ImageFormat, Size), String>;

/// Reads the headers of `samples` (indices into `index.samples`), in their order.
/// Returns `None` if cancelled.
pub fn headers(
    index: &DatasetIndex,
    samples: &[usize],
    cancel: &AtomicBool,
) -> Option<Vec<Header>> {
    let out: Vec<Option<Header>> = samples
        .par_iter()
        .map(|&i| {
            if cancel.load(Ordering::Relaxed) {
                return None;
            }
            Some(header(index, i))
        })
        .collect();
    // A cancel that came while the last headers were being read still counts.
    if cancel.load(Ordering::Relaxed) {
        return None;
    }
    out.into_iter().collect()
}

/// The header of sample `i`, wherever it is stored.
pub fn header(index: &DatasetIndex, i: usize) -> Header {
    match index.store.images() {
        Some(images) => images.header(i, &index.path(i)),
        None => Err("a stored array row has no image header".to_owned()),
    }
}

/// Images that do not share one size (when no image size is set).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "images differ in size and no image size is set: {first_path:?} is {first_size} but {second_path:?} is {second_size}; pass an image size (e.g. --image-size 256x256) to resize them"
)]
pub struct MixedSizes {
    /// A file of the first size seen.
    pub first_path: PathBuf,
    /// Its size.
    pub first_size: Size,
    /// The first file of another size.
    pub second_path: PathBuf,
    /// Its size.
    pub second_size: Size,
}

/// Whether a header declares more pixels than the decoder would ever allocate (a decompression bomb):
/// such a file is a bad file for the loader to report, not a size the others must share.
fn over_decode_limit(size: Size) -> bool {
    size.pixels() > decode::MAX_DECODED_BYTES
}

/// The size every readable header shares, `Ok(None)` if no header is readable, or the first
/// two files whose sizes differ. Unreadable headers, and headers over the decode limit, are left for
/// the loader to report.
pub fn common_size(
    index: &DatasetIndex,
    samples: &[usize],
    headers: &[Header],
) -> Result<Option<Size>, MixedSizes> {
    let mut first: Option<(usize, Size)> = None;
    for (&i, header) in samples.iter().zip(headers) {
        let Ok((_, size)) = *header else { continue };
        if over_decode_limit(size) {
            continue;
        }
        match first {
            None => first = Some((i, size)),
            Some((fi, first_size)) if first_size != size => {
                return Err(MixedSizes {
                    first_path: index.samples[fi].rel_path.clone(),
                    first_size,
                    second_path: index.samples[i].rel_path.clone(),
                    second_size: size,
                });
            }
            Some(_) => {}
        }
    }
    Ok(first.map(|(_, size)| size))
}
