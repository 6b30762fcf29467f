//! Class maps from each place a mask can be: a class-map image file, the PNGs inside a record,
//! COCO polygons and run-length encodings (see [`super::class_map`]).

use std::path::Path;

use super::{ClassMap, Objects, coco_rle};
use crate::index::RecordMasks;
use crate::size::Size;

/// A class-map image file (a segmentation folder's mask), its values as stored: a one-channel
/// 8-bit image of `original`'s size (a palette or colour image is refused, naming what it is).
pub fn from_file(path: &Path, original: Size, max_bytes: u64) -> Result<ClassMap, String> {
    let at = |reason: String| format!("{}: {reason}", path.display());
    let (bytes, format) =
        crate::decode::read_image_file(path, max_bytes).map_err(|e| at(e.to_string()))?;
    decode_class_map(&bytes, format, original).map_err(at)
}

/// Encoded class-map bytes as a [`ClassMap`] of `original`'s size (the message says why not).
pub fn decode_class_map(
    bytes: &[u8],
    format: image::ImageFormat,
    original: Size,
) -> Result<ClassMap, String> {
    let image = image::load_from_memory_with_format(bytes, format)
        .map_err(|e| format!("mask cannot be decoded: {e}"))?;
    let image::DynamicImage::ImageLuma8(luma) = image else {
        return Err(format!(
            "mask is {:?}, not a one-channel 8-bit class map",
            image.color()
        ));
    };
    let size = Size {
        height: luma.height(),
        width: luma.width(),
    };
    if size != original {
        return Err(format!("mask is {size} but its image is {original}"));
    }
    Ok(ClassMap {
        size,
        values: luma.into_raw(),
    })
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

/// COCO polygons painted at `original` size, as pycocotools rasterises them (see [`coco_rle`]):
/// each object's rings joined, objects painted in order.
pub fn from_polygons(
    polygons: &[(usize, Vec<Vec<f64>>)],
    objects: &Objects,
    original: Size,
) -> ClassMap {
    // Without run-length encodings nothing can be refused.
    coco_rle::paint(polygons, &[], objects, original).unwrap_or_else(|_| ClassMap {
        size: original,
        values: vec![0; original.height as usize * original.width as usize],
    })
}

/// COCO run-length encodings painted at `original` size (each must be that size, its counts
/// covering it).
pub fn from_rle(
    runs: &[(usize, u32, u32, Vec<u32>)],
    objects: &Objects,
    original: Size,
) -> Result<ClassMap, String> {
    coco_rle::paint(&[], runs, objects, original)
}

/// An image's COCO polygons and run-length encodings painted together, in object order.
pub fn from_coco(
    polygons: &[(usize, Vec<Vec<f64>>)],
    runs: &[(usize, u32, u32, Vec<u32>)],
    objects: &Objects,
    original: Size,
) -> Result<ClassMap, String> {
    coco_rle::paint(polygons, runs, objects, original)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grey_png_is_read_as_stored_and_other_files_are_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let size = Size {
            height: 2,
            width: 3,
        };
        let grey = dir.path().join("a.png");
        image::GrayImage::from_raw(3, 2, vec![0, 1, 2, 255, 7, 0])
            .unwrap()
            .save(&grey)
            .unwrap();
        assert_eq!(
            from_file(&grey, size, 1 << 20).unwrap().values,
            vec![0, 1, 2, 255, 7, 0]
        );
        let wrong = from_file(&grey, Size::square(3), 1 << 20).unwrap_err();
        assert!(
            wrong.contains("a.png") && wrong.contains("but its image is"),
            "{wrong}"
        );
        let rgb = dir.path().join("c.png");
        image::RgbImage::new(3, 2).save(&rgb).unwrap();
        let refused = from_file(&rgb, size, 1 << 20).unwrap_err();
        assert!(
            refused.contains("c.png") && refused.contains("Rgb8"),
            "{refused}"
        );
    }
}
