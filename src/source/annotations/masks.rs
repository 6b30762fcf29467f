//! Class maps from each place a mask can be: a class-map image file, the PNGs inside a record,
//! COCO polygons and run-length encodings (see [`super::class_map`]).

use std::path::Path;

use super::{ClassMap, Objects, coco_rle};
use crate::index::RecordMasks;
use crate::size::Size;

/// A class-map image file (a segmentation folder's mask), its values as stored: a one-channel
/// 8-bit image, or a palette PNG whose indices are the classes (VOC's `SegmentationClass/`, 255 the
/// border), of `original`'s size (a colour image is refused, naming what it is).
pub fn from_file(path: &Path, original: Size, max_bytes: u64) -> Result<ClassMap, String> {
    let at = |reason: String| format!("{}: {reason}", path.display());
    let (bytes, format) =
        crate::decode::read_image_file(path, max_bytes).map_err(|e| at(e.to_string()))?;
    decode_class_map(&bytes, format, original).map_err(at)
}

/// Encoded class-map bytes as a [`ClassMap`] of `original`'s size (the message says why not): a
/// one-channel 8-bit image as stored, or a palette PNG's indices.
pub fn decode_class_map(
    bytes: &[u8],
    format: image::ImageFormat,
    original: Size,
) -> Result<ClassMap, String> {
    if format == image::ImageFormat::Png
        && let Some(map) = palette_indices(bytes)?
    {
        if map.size != original {
            return Err(format!("mask is {} but its image is {original}", map.size));
        }
        return Ok(map);
    }
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

/// The indices of a palette PNG (each pixel's palette entry, not its colour), or `None` when the
/// PNG has no palette.
fn palette_indices(bytes: &[u8]) -> Result<Option<ClassMap>, String> {
    let cannot = |e: png::DecodingError| format!("mask cannot be decoded: {e}");
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::IDENTITY);
    let mut reader = decoder.read_info().map_err(cannot)?;
    let info = reader.info();
    if info.color_type != png::ColorType::Indexed {
        return Ok(None);
    }
    let size = Size {
        height: info.height,
        width: info.width,
    };
    let (width, height) = (info.width as usize, info.height as usize);
    let bits = info.bit_depth as usize;
    let Some(buffer_bytes) = reader.output_buffer_size() else {
        return Err(format!("mask is too large ({height}x{width})"));
    };
    let mut buffer = vec![0u8; buffer_bytes];
    let frame = reader.next_frame(&mut buffer).map_err(cannot)?;
    let mut values = Vec::with_capacity(width * height);
    for row in buffer.chunks(frame.line_size).take(height) {
        if bits == 8 {
            values.extend_from_slice(&row[..width]);
        } else {
            // 1, 2 or 4 bits per index, packed from the high bits.
            let per_byte = 8 / bits;
            let mask = (1u8 << bits) - 1;
            values.extend((0..width).map(|x| {
                let shift = 8 - bits * (x % per_byte + 1);
                (row[x / per_byte] >> shift) & mask
            }));
        }
    }
    Ok(Some(ClassMap { size, values }))
}

/// The masks inside a record: its class map as stored, else its per-object masks painted in
/// object order, each object's pixels (non-zero in its mask) set to its class index + 1.
pub fn from_record(
    masks: &RecordMasks,
    objects: &Objects,
    original: Size,
) -> Result<ClassMap, String> {
    if let Some(bytes) = &masks.class_map {
        let format = image::guess_format(bytes)
            .map_err(|_| "the class map is not an image file".to_owned())?;
        return decode_class_map(bytes, format, original);
    }
    if masks.per_object.len() != objects.objects.len() {
        return Err(format!(
            "the record holds {} masks for {} objects",
            masks.per_object.len(),
            objects.objects.len()
        ));
    }
    let mut values = vec![0u8; original.height as usize * original.width as usize];
    for (i, (bytes, object)) in masks.per_object.iter().zip(&objects.objects).enumerate() {
        let image = image::load_from_memory(bytes)
            .map_err(|e| format!("mask {i} cannot be decoded: {e}"))?;
        let size = Size {
            height: image.height(),
            width: image.width(),
        };
        if size != original {
            return Err(format!("mask {i} is {size} but its image is {original}"));
        }
        let class = u8::try_from(object.class + 1).map_err(|_| {
            format!(
                "object {i}'s class index {} does not fit a uint8 class map",
                object.class
            )
        })?;
        for (v, m) in values.iter_mut().zip(image.into_luma16().as_raw()) {
            if *m != 0 {
                *v = class;
            }
        }
    }
    Ok(ClassMap {
        size: original,
        values,
    })
}

/// COCO polygons painted at `original` size, as pycocotools rasterises them (see [`coco_rle`]):
/// each object's rings joined, objects painted in order (a polygon far outside the image, or
/// whose outline is too long to walk, is refused: see [`coco_rle::polygon_counts`]).
pub fn from_polygons(
    polygons: &[(usize, Vec<Vec<f64>>)],
    objects: &Objects,
    original: Size,
) -> Result<ClassMap, String> {
    coco_rle::paint(polygons, &[], objects, original)
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

    fn palette_png(width: u32, height: u32, depth: png::BitDepth, packed: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut encoder = png::Encoder::new(&mut out, width, height);
            encoder.set_color(png::ColorType::Indexed);
            encoder.set_depth(depth);
            // Colours that are not the indices: index i is drawn (255 - i, i, 7).
            encoder.set_palette(
                (0..=255u8)
                    .flat_map(|i| [255 - i, i, 7])
                    .collect::<Vec<_>>(),
            );
            let mut writer = encoder.write_header().unwrap();
            writer.write_image_data(packed).unwrap();
        }
        out
    }

    fn png_of(image: &image::DynamicImage) -> Vec<u8> {
        let mut out = Vec::new();
        image
            .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn palette_pngs_give_their_indices_not_their_colours() {
        let dir = tempfile::tempdir().unwrap();
        let size = Size {
            height: 2,
            width: 3,
        };
        let voc = dir.path().join("2007_000032.png");
        std::fs::write(
            &voc,
            palette_png(3, 2, png::BitDepth::Eight, &[0, 1, 15, 255, 20, 0]),
        )
        .unwrap();
        assert_eq!(
            from_file(&voc, size, 1 << 20).unwrap().values,
            vec![0, 1, 15, 255, 20, 0]
        );
        // 4 bits per index, packed high first: rows [1, 2, 3] and [15, 0, 9].
        let packed = palette_png(3, 2, png::BitDepth::Four, &[0x12, 0x30, 0xf0, 0x90]);
        assert_eq!(
            decode_class_map(&packed, image::ImageFormat::Png, size)
                .unwrap()
                .values,
            vec![1, 2, 3, 15, 0, 9]
        );
        let wrong = from_file(&voc, Size::square(3), 1 << 20).unwrap_err();
        assert!(
            wrong.contains("2007_000032.png") && wrong.contains("mask is 2x3 but its image is 3x3"),
            "{wrong}"
        );
    }

    #[test]
    fn record_masks_are_the_class_map_or_the_objects_painted_in_order() {
        use crate::source::annotations::{BoxXyxy, Object};
        let size = Size {
            height: 2,
            width: 3,
        };
        let object = |class| Object {
            bbox: BoxXyxy::default(),
            class,
            crowd: false,
        };
        let objects = Objects {
            objects: vec![object(0), object(4)],
            ..Objects::default()
        };
        let class_map = RecordMasks {
            class_map: Some(png_of(&image::DynamicImage::ImageLuma8(
                image::GrayImage::from_raw(3, 2, vec![0, 3, 3, 1, 0, 2]).unwrap(),
            ))),
            per_object: Vec::new(),
        };
        assert_eq!(
            from_record(&class_map, &objects, size).unwrap().values,
            vec![0, 3, 3, 1, 0, 2]
        );
        let mask = |v: Vec<u8>| {
            png_of(&image::DynamicImage::ImageLuma8(
                image::GrayImage::from_raw(3, 2, v).unwrap(),
            ))
        };
        // The second object (class 4, painted 5) overlaps the first (class 0, painted 1) and wins.
        let per_object = RecordMasks {
            class_map: None,
            per_object: vec![
                mask(vec![1, 1, 0, 0, 0, 0]),
                mask(vec![0, 255, 255, 0, 0, 0]),
            ],
        };
        assert_eq!(
            from_record(&per_object, &objects, size).unwrap().values,
            vec![1, 5, 5, 0, 0, 0]
        );
        let short = RecordMasks {
            class_map: None,
            per_object: vec![mask(vec![0; 6])],
        };
        assert_eq!(
            from_record(&short, &objects, size).unwrap_err(),
            "the record holds 1 masks for 2 objects"
        );
        let corrupt = RecordMasks {
            class_map: None,
            per_object: vec![mask(vec![0; 6]), b"\x89PNG\r\n\x1a\nbroken".to_vec()],
        };
        let why = from_record(&corrupt, &objects, size).unwrap_err();
        assert!(why.starts_with("mask 1 cannot be decoded"), "{why}");
        let wrong_size = RecordMasks {
            class_map: None,
            per_object: vec![
                mask(vec![0; 6]),
                png_of(&image::DynamicImage::new_luma8(2, 2)),
            ],
        };
        assert_eq!(
            from_record(&wrong_size, &objects, size).unwrap_err(),
            "mask 1 is 2x2 but its image is 2x3"
        );
    }
}
