//! Seed inputs, written at test time by real encoders (no committed binaries): small images in every
//! format and pixel layout the decoders take, random byte strings for the targets that read their
//! options out of bytes, and small files of every reader (TFRecord, saved dataset, `.npy`, `.npz`,
//! IDX, CIFAR, exclude lists), written byte by byte.

use std::io::{Cursor, Write as _};

use batchscope::npy::{self, NpyDtype};
use image::{DynamicImage, ImageBuffer, ImageFormat, Luma, LumaA, Rgb, Rgba};

use super::Rng;
use super::records::{self, field};

pub fn encode(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

pub fn rgb(w: u32, h: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(ImageBuffer::from_fn(w, h, |x, y| {
        Rgb([(x * 13) as u8, (y * 29) as u8, ((x ^ y) * 7) as u8])
    }))
}

fn rgba(w: u32, h: u32) -> DynamicImage {
    DynamicImage::ImageRgba8(ImageBuffer::from_fn(w, h, |x, y| {
        Rgba([(x * 9) as u8, (y * 17) as u8, 200, ((x + y) * 11) as u8])
    }))
}

pub fn gray(w: u32, h: u32) -> DynamicImage {
    DynamicImage::ImageLuma8(ImageBuffer::from_fn(w, h, |x, y| {
        Luma([(x * 5 + y * 3) as u8])
    }))
}

/// Small images in every format and layout the decoders handle: PNG (gray, gray+alpha, RGB, RGBA,
/// 16-bit, palette), JPEG (baseline, progressive, gray, CMYK, 4:2:0), GIF, BMP (RGB, RGBA), TIFF (RGB,
/// gray, 16-bit) and lossless WebP. Odd sizes, so that no row or MCU is a round number.
pub fn images() -> Vec<Vec<u8>> {
    let mut seeds = vec![
        encode(&rgb(13, 7), ImageFormat::Png),
        encode(&rgba(5, 9), ImageFormat::Png),
        encode(&gray(11, 3), ImageFormat::Png),
        encode(
            &DynamicImage::ImageLumaA8(ImageBuffer::from_fn(4, 4, |x, y| {
                LumaA([(x * 60) as u8, (y * 60) as u8])
            })),
            ImageFormat::Png,
        ),
        encode(
            &DynamicImage::ImageLuma16(ImageBuffer::from_fn(6, 5, |x, y| {
                Luma([(x * 10_000 + y * 77) as u16])
            })),
            ImageFormat::Png,
        ),
        encode(
            &DynamicImage::ImageRgba16(ImageBuffer::from_fn(3, 2, |x, y| {
                Rgba([(x * 20_000) as u16, (y * 30_000) as u16, 7, 65_535])
            })),
            ImageFormat::Png,
        ),
        palette_png(),
        encode(&rgb(17, 9), ImageFormat::Jpeg),
        encode(&gray(9, 17), ImageFormat::Jpeg),
        encode(&rgb(12, 10), ImageFormat::Gif),
        encode(&rgb(7, 5), ImageFormat::Bmp),
        encode(&rgba(6, 3), ImageFormat::Bmp),
        encode(&rgb(9, 4), ImageFormat::Tiff),
        encode(&gray(4, 9), ImageFormat::Tiff),
        encode(
            &DynamicImage::ImageRgb16(ImageBuffer::from_fn(3, 3, |x, y| {
                Rgb([(x * 9_000) as u16, (y * 21_000) as u16, 100])
            })),
            ImageFormat::Tiff,
        ),
        encode(&rgb(10, 6), ImageFormat::WebP),
        encode(&rgba(5, 5), ImageFormat::WebP),
    ];
    seeds.extend(jpegs());
    seeds
}

fn palette_png() -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, 5, 3);
    encoder.set_color(png::ColorType::Indexed);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_palette(vec![0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255]);
    encoder.set_trns(vec![255, 128]);
    let mut writer = encoder.write_header().unwrap();
    writer
        .write_image_data(&[0, 1, 2, 3, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3])
        .unwrap();
    writer.finish().unwrap();
    out
}

/// JPEGs the `image` encoder does not write: progressive, CMYK (Adobe), YCCK, 4:2:0 subsampled.
fn jpegs() -> Vec<Vec<u8>> {
    let rgb: Vec<u8> = (0..19 * 11 * 3).map(|i| (i * 7 % 251) as u8).collect();
    let cmyk: Vec<u8> = (0..8 * 8 * 4).map(|i| (i * 13 % 256) as u8).collect();
    let mut out = Vec::new();
    for (pixels, w, h, color, progressive, sampling) in [
        (
            &rgb,
            19,
            11,
            jpeg_encoder::ColorType::Rgb,
            true,
            jpeg_encoder::SamplingFactor::R_4_2_0,
        ),
        (
            &rgb,
            19,
            11,
            jpeg_encoder::ColorType::Rgb,
            false,
            jpeg_encoder::SamplingFactor::R_4_2_0,
        ),
        (
            &cmyk,
            8,
            8,
            jpeg_encoder::ColorType::Cmyk,
            false,
            jpeg_encoder::SamplingFactor::R_4_4_4,
        ),
        (
            &cmyk,
            8,
            8,
            jpeg_encoder::ColorType::CmykAsYcck,
            true,
            jpeg_encoder::SamplingFactor::R_4_4_4,
        ),
    ] {
        let mut bytes = Vec::new();
        let mut encoder = jpeg_encoder::Encoder::new(&mut bytes, 80);
        encoder.set_progressive(progressive);
        encoder.set_sampling_factor(sampling);
        encoder.encode(pixels, w, h, color).unwrap();
        out.push(bytes);
    }
    out
}

/// `n` random byte strings of `len` bytes, for targets that read their options from bytes.
pub fn random(seed: u64, n: usize, len: usize) -> Vec<Vec<u8>> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| rng.bytes(len)).collect()
}

// ---- reader seeds: files of every reader, written here byte by byte ----

/// A `tf.train.Example` whose `image` feature holds `image` and whose `label` is `labels` (packed).
fn example(image: &[u8], labels: &[u64]) -> Vec<u8> {
    let entry = |key: &str, feature: Vec<u8>| {
        field(1, &[field(1, key.as_bytes()), field(2, &feature)].concat())
    };
    let mut packed = Vec::new();
    for &label in labels {
        records::varint(label, &mut packed);
    }
    let entries = [
        entry("image", field(1, &field(1, image))),
        entry("label", field(3, &field(1, &packed))),
    ]
    .concat();
    field(1, &entries)
}

/// A TF Object Detection API Example: `image` with two boxes, their class ids, and one
/// `image/object/mask` PNG per box (`mask`).
fn od_example(image: &[u8], mask: &[u8]) -> Vec<u8> {
    let entry = |key: &str, feature: Vec<u8>| {
        field(1, &[field(1, key.as_bytes()), field(2, &feature)].concat())
    };
    let floats = |v: [f32; 2]| {
        field(
            2,
            &field(1, &[v[0].to_le_bytes(), v[1].to_le_bytes()].concat()),
        )
    };
    let entries = [
        entry("image/encoded", field(1, &field(1, image))),
        entry("image/object/bbox/xmin", floats([0.1, -0.5])),
        entry("image/object/bbox/ymin", floats([0.2, 0.0])),
        entry("image/object/bbox/xmax", floats([0.9, 1.5])),
        entry("image/object/bbox/ymax", floats([0.8, 1.0])),
        entry("image/object/class/label", field(3, &field(1, &[1, 90]))),
        entry(
            "image/object/mask",
            field(1, &[field(1, mask), field(1, mask)].concat()),
        ),
    ]
    .concat();
    field(1, &entries)
}

/// Seeds of the `tfrecord` target: a byte saying whether the target makes the CRCs right (odd), then
/// a TFRecord file: Examples of PNG and JPEG images with int64 labels, an Example without an image,
/// an empty file, TF Object Detection API Examples with boxes and masks; each both ways.
pub fn tfrecords() -> Vec<Vec<u8>> {
    let files = tfrecord_files();
    // A GZIP file too (the reader sniffs `1f 8b`), given as is: its CRCs are inside the stream.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&files[0]).unwrap();
    let gzipped = [vec![0], gz.finish().unwrap()].concat();
    files
        .into_iter()
        .flat_map(|file| [[vec![0], file.clone()].concat(), [vec![1], file].concat()])
        .chain([gzipped])
        .collect()
}

fn tfrecord_files() -> Vec<Vec<u8>> {
    let png = encode(&rgb(3, 2), ImageFormat::Png);
    let jpeg = encode(&gray(5, 3), ImageFormat::Jpeg);
    let file = |records: &[Vec<u8>]| records.iter().flat_map(|r| records::framed(r)).collect();
    vec![
        file(&[
            example(&png, &[0]),
            example(&png, &[1]),
            example(&png, &[2]),
        ]),
        file(&[example(&jpeg, &[7]), example(&png, &[300])]),
        file(&[field(
            1,
            &field(
                1,
                &[field(1, b"label"), field(2, &field(3, &field(1, &[5])))].concat(),
            ),
        )]),
        Vec::new(),
        file(&[
            od_example(&png, &encode(&gray(3, 2), ImageFormat::Png)),
            od_example(&jpeg, &encode(&gray(5, 3), ImageFormat::Png)),
        ]),
    ]
}

/// Seeds of the `example_stream` target: the Examples of the `tfrecord` seeds, one holding three
/// labels (a list the streamed reading cuts) and a float list, and an empty one.
pub fn examples() -> Vec<Vec<u8>> {
    let png = encode(&rgb(3, 2), ImageFormat::Png);
    let jpeg = encode(&gray(5, 3), ImageFormat::Jpeg);
    let floats = field(
        1,
        &field(
            1,
            &[
                field(1, b"weights"),
                field(2, &field(2, &field(1, &[0, 0, 0x80, 0x3f, 0, 0, 0, 0x40]))),
            ]
            .concat(),
        ),
    );
    vec![
        example(&png, &[0]),
        example(&jpeg, &[7, 9, 300]),
        [example(&png, &[1]), floats].concat(),
        Vec::new(),
    ]
}

/// The saved dataset the `saved` target mutates: 3 uint8 elements of shape (2, 2, 1).
pub fn saved_dataset() -> [Vec<u8>; 3] {
    let dims = [2, 2, 1];
    let snapshot = (0..3u8)
        .flat_map(|i| records::framed(&records::tensor(&dims, &[i, i + 1, i + 2, 255])))
        .collect();
    [
        records::snapshot_metadata(3),
        records::dataset_spec(&dims),
        snapshot,
    ]
}

/// Seeds of the `saved` target: a selector byte (modulo 3, which file of [`saved_dataset`] the input
/// replaces: metadata, spec, snapshot; 5 is the snapshot with its CRCs made right), then that file's
/// bytes.
pub fn saved() -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = saved_dataset()
        .into_iter()
        .enumerate()
        .map(|(i, file)| [vec![i as u8], file].concat())
        .collect();
    seeds.push([vec![5], seeds[2][1..].to_vec()].concat());
    // A snapshot of one element given as a typed value, and a spec of unknown shape.
    seeds.push([vec![5], records::framed(&records::tensor(&[2, 2, 1], &[]))].concat());
    seeds.push([vec![1], records::dataset_spec(&[-1, 2, 1])].concat());
    // The snapshot as a GZIP file (the reader tells it by its magic).
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&seeds[2][1..]).unwrap();
    seeds.push([vec![2], gz.finish().unwrap()].concat());
    seeds
}

/// An `.npy` file of `dtype` and `shape` holding `data`.
pub fn npy(dtype: NpyDtype, shape: &[usize], data: &[u8]) -> Vec<u8> {
    [npy::header(dtype, shape), data.to_vec()].concat()
}

/// `.npy` files: images, labels, floats, and a big-endian array.
pub fn npys() -> Vec<Vec<u8>> {
    let pixels: Vec<u8> = (0..12).collect();
    let labels: Vec<u8> = [0i64, 1, 2].iter().flat_map(|v| v.to_le_bytes()).collect();
    let floats: Vec<u8> = (0..6)
        .flat_map(|v| (v as f32 / 2.0).to_le_bytes())
        .collect();
    let mut big_endian = npy(
        NpyDtype::U16,
        &[2, 3],
        &[0, 1, 0, 2, 1, 0, 0, 4, 0, 5, 0, 6],
    );
    let at = big_endian.windows(3).position(|w| w == b"<u2").unwrap();
    big_endian[at] = b'>';
    vec![
        npy(NpyDtype::U8, &[3, 2, 2, 1], &pixels),
        npy(NpyDtype::I64, &[3], &labels),
        npy(NpyDtype::F32, &[2, 3], &floats),
        big_endian,
    ]
}

/// An `.npz` of `members`, stored or deflated.
fn npz(members: &[(&str, Vec<u8>)], deflate: bool) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let method = if deflate {
        zip::CompressionMethod::Deflated
    } else {
        zip::CompressionMethod::Stored
    };
    let options = zip::write::SimpleFileOptions::default().compression_method(method);
    for (name, bytes) in members {
        zip.start_file(*name, options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// `.npz` files: images and labels (stored and deflated), `x_train`/`y_train`, and images beside a
/// member that is not an array.
pub fn npzs() -> Vec<Vec<u8>> {
    let arrays = npys();
    let (images, labels) = (arrays[0].clone(), arrays[1].clone());
    vec![
        npz(
            &[
                ("images.npy", images.clone()),
                ("labels.npy", labels.clone()),
            ],
            false,
        ),
        npz(
            &[
                ("images.npy", images.clone()),
                ("labels.npy", labels.clone()),
            ],
            true,
        ),
        npz(
            &[("x_train.npy", images.clone()), ("y_train.npy", labels)],
            false,
        ),
        npz(
            &[("images.npy", images), ("notes.txt", b"hello".to_vec())],
            false,
        ),
    ]
}

/// An IDX file: magic (type code, rank), big-endian dimensions, data.
pub fn idx(type_code: u8, dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, type_code, dims.len() as u8];
    for d in dims {
        out.extend(d.to_be_bytes());
    }
    out.extend_from_slice(data);
    out
}

/// IDX image files (uint8, int16, float64, and uint8 gzipped) of 3 rows, which pair with a
/// labels file of 3 labels.
pub fn idxs() -> Vec<Vec<u8>> {
    let pixels: Vec<u8> = (0..48).collect();
    let images = idx(0x08, &[3, 4, 4], &pixels);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&images).unwrap();
    vec![
        images,
        idx(0x0B, &[3, 2, 2], &(0..24).collect::<Vec<u8>>()),
        idx(0x0E, &[3, 1], &(0..24).collect::<Vec<u8>>()),
        gz.finish().unwrap(),
    ]
}

/// The IDX labels file beside the images the `idx` target writes.
pub fn idx_labels() -> Vec<u8> {
    idx(0x08, &[3], &[0, 1, 2])
}

/// Seeds of the `cifar` target: a selector byte (0: a CIFAR-10 batch, 1: CIFAR-100), then two
/// records (label byte(s) and 32x32x3 planar pixels).
pub fn cifars() -> Vec<Vec<u8>> {
    let record = |labels: &[u8], seed: u8| {
        let mut out = labels.to_vec();
        out.extend((0..3072u32).map(|i| (i as u8).wrapping_mul(seed)));
        out
    };
    vec![
        [vec![0], record(&[3], 1), record(&[9], 7)].concat(),
        [vec![1], record(&[1, 42], 3), record(&[19, 99], 5)].concat(),
    ]
}

/// The samples of the job the `exclude` target applies lists to.
pub const EXCLUDE_SAMPLES: [&str; 5] = ["a/1.png", "a/2.png", "b/x\ty.png", "b/3.png", "c/é.png"];

/// Exclude lists: paths alone, with reasons, CRLF endings, blank lines, a name holding a tab,
/// lines naming no sample, and bytes that are not UTF-8.
pub fn exclude_lists() -> Vec<Vec<u8>> {
    vec![
        b"a/1.png\n".to_vec(),
        b"a/1.png\tdark 12.5\r\n\nb/x\ty.png\nnot/there.png\na/2.png\na/1.png\n".to_vec(),
        "c/é.png\tnear-duplicate of a/1.png\r\nb/3.png"
            .as_bytes()
            .to_vec(),
        b"\xff\xfe/a.png\tbad\n\n\n\r\nz\n".to_vec(),
    ]
}

/// Corrections files: every column, only the two required ones in another order, quoting, CRLF and
/// a byte-order mark, an excluded sample, a path that names no sample and a class that is none.
pub fn corrections_files() -> Vec<Vec<u8>> {
    vec![
        b"path,old_class,new_class,exclude,tags\na/1.png,a,b,0,x;y\nb/3.png,b,,1,\n".to_vec(),
        b"new_class,path\nb,a/2.png\n,\"b/x\ty.png\"\n".to_vec(),
        "\u{feff}path,new_class,exclude\r\nc/\u{e9}.png,a,yes\r\n"
            .as_bytes()
            .to_vec(),
        b"path,new_class\nnot/there.png,a\n".to_vec(),
        b"path,new_class\na/1.png,cow\n".to_vec(),
    ]
}
