//! Class maps from each place a mask can be: a class-map image file, the PNGs inside a record,
//! COCO polygons and run-length encodings (see [`super::class_map`]).

use std::path::Path;

use super::{ClassMap, Objects};
use crate::index::RecordMasks;
use crate::size::Size;

/// A class-map image file (a segmentation folder's mask), its values as stored; it must be
/// `original`'s size.
pub fn from_file(path: &Path, original: Size, max_bytes: u64) -> Result<ClassMap, String> {
    let _ = (path, original, max_bytes);
    Err(format!(
        "{}: class-map files are not read yet",
        path.display()
    ))
}

/// The masks inside a record: its class map as stored, else its per-object masks painted.
pub fn from_record(
    masks: &RecordMasks,
    objects: &Objects,
    original: Size,
) -> Result<ClassMap, String> {
    let _ = (masks, objects, original);
    Err("record masks are not read yet".to_owned())
}

/// COCO polygons painted (each object's rings filled, even-odd) at `original` size.
pub fn from_polygons(
    polygons: &[(usize, Vec<Vec<f64>>)],
    objects: &Objects,
    original: Size,
) -> ClassMap {
    let _ = (polygons, objects);
    ClassMap {
        size: original,
        values: vec![0; original.height as usize * original.width as usize],
    }
}

/// COCO run-length encodings painted at `original` size (each must be that size).
pub fn from_rle(
    runs: &[(usize, u32, u32, Vec<u32>)],
    objects: &Objects,
    original: Size,
) -> Result<ClassMap, String> {
    let _ = (runs, objects, original);
    Err("COCO RLE masks are not read yet".to_owned())
}
