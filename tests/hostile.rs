//! Hostile input: files and flags made to hang, exhaust or mislead a loader. Each test is named after
//! the failure it pins (issue 10), and fails on the code before its fix.

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use batchscope::decode::{DecodeError, decode_file};
use batchscope::options::ColorMode;
use common::{
    ReleaseOnDrop, batchscope_watched as run, crc32, hold_env, mkfifo, pattern, read_npy, release,
    save, wait_held, write,
};

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `D/c/` holding `n` 4x4 PNGs.
fn mk(data: &Path, n: u32) {
    for i in 0..n {
        save(data, &format!("c/{i}.png"), &pattern(4, 4, i));
    }
}

fn export(data: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "export",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend(extra);
    run(&args)
}

// ---- row 1: CMYK and YCCK JPEGs in every colour mode ----

/// A 16x16 flat JPEG at quality 100 of `pixel` in `color`.
fn flat_jpeg(path: &Path, pixel: &[u8], color: jpeg_encoder::ColorType) {
    let data = pixel.repeat(16 * 16);
    let mut encoder = jpeg_encoder::Encoder::new_file(path, 100).unwrap();
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_4_4);
    encoder.encode(&data, 16, 16, color).unwrap();
}

fn assert_flat_near(pixels: &[u8], want: &[u8], what: &str) {
    assert_eq!(pixels.len(), 16 * 16 * want.len(), "{what}");
    for px in pixels.chunks(want.len()) {
        for (got, w) in px.iter().zip(want) {
            assert!(got.abs_diff(*w) <= 2, "{what}: pixel {px:?}, want {want:?}");
        }
    }
}

/// Name, the encoded pixel, its colour type, the RGB and the grayscale value it decodes to.
type JpegCase<'a> = (&'a str, &'a [u8], jpeg_encoder::ColorType, [u8; 3], u8);

#[test]
fn cmyk_jpeg_in_rgba_mode_had_scrambled_pixels_and_grayscale_was_refused() {
    let dir = tempfile::tempdir().unwrap();
    // Ink (C, M, Y, K) = (0, 128, 255, 64) is RGB (255-C)(255-K)/255 = (191, 95, 0).
    let rgb = [191u8, 95, 0];
    let cases: [JpegCase<'_>; 4] = [
        ("gray", &[77], jpeg_encoder::ColorType::Luma, [77; 3], 77),
        // YCbCr: grayscale is the luma plane, 0.299 R + 0.587 G + 0.114 B.
        ("ycbcr", &rgb, jpeg_encoder::ColorType::Rgb, rgb, 113),
        // CMYK and YCCK: grayscale is libpng's formula on the RGB.
        (
            "cmyk",
            &[0, 128, 255, 64],
            jpeg_encoder::ColorType::Cmyk,
            rgb,
            113,
        ),
        (
            "ycck",
            &[0, 128, 255, 64],
            jpeg_encoder::ColorType::CmykAsYcck,
            rgb,
            113,
        ),
    ];
    for (name, pixel, color, want_rgb, want_gray) in cases {
        let path = dir.path().join(format!("{name}.jpg"));
        flat_jpeg(&path, pixel, color);
        let got = |mode| match decode_file(&path, mode) {
            Ok(d) => d.pixels,
            Err(err) => panic!("{name} {mode:?}: {err}"),
        };
        let rgb_px = got(ColorMode::Rgb);
        assert_flat_near(&rgb_px, &want_rgb, &format!("{name} rgb"));
        let rgba = got(ColorMode::Rgba);
        assert_flat_near(
            &rgba,
            &[want_rgb[0], want_rgb[1], want_rgb[2], 255],
            &format!("{name} rgba"),
        );
        // RGBA is RGB plus alpha 255, exactly.
        let expanded: Vec<u8> = rgb_px
            .chunks(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect();
        assert_eq!(rgba, expanded, "{name}");
        assert_flat_near(
            &got(ColorMode::Grayscale),
            &[want_gray],
            &format!("{name} grayscale"),
        );
    }
}

#[test]
fn cmyk_jpeg_exports_real_values_in_every_mode_dtype_and_size() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(data.join("c")).unwrap();
    flat_jpeg(
        &data.join("c/cmyk.jpg"),
        &[0, 128, 255, 64],
        jpeg_encoder::ColorType::Cmyk,
    );
    for (mode, want) in [
        ("rgb", &[191u8, 95, 0][..]),
        ("rgba", &[191, 95, 0, 255]),
        ("grayscale", &[113]),
    ] {
        for (i, extra) in [&[][..], &["--dtype", "float32"], &["--image-size", "8"]]
            .iter()
            .enumerate()
        {
            let out = dir.path().join(format!("out-{mode}-{i}"));
            let mut args = vec!["--color-mode", mode];
            args.extend(*extra);
            let res = export(&data, &out, &args);
            assert!(res.status.success(), "{}", stderr(&res));
            let npy = read_npy(&out.join("images.npy"));
            let values: Vec<u8> = if npy.descr == "<f4" {
                npy.f32s().iter().map(|v| *v as u8).collect()
            } else {
                npy.data.clone()
            };
            for px in values.chunks(want.len()) {
                for (got, w) in px.iter().zip(want) {
                    assert!(
                        got.abs_diff(*w) <= 2,
                        "{mode} {extra:?}: {px:?}, want {want:?}"
                    );
                }
            }
        }
    }
}

// ---- row 2: zero-size images ----

/// A 4x4 GIF whose logical screen says 0x0.
fn gif_with_zero_screen(path: &Path) {
    let mut bytes = Vec::new();
    {
        let mut encoder = image::codecs::gif::GifEncoder::new(&mut bytes);
        let frame = image::Frame::new(image::RgbaImage::from_pixel(
            4,
            4,
            image::Rgba([9, 8, 7, 255]),
        ));
        encoder.encode_frames([frame]).unwrap();
    }
    bytes[6..10].copy_from_slice(&[0, 0, 0, 0]);
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn zero_size_gif_panicked_in_resize_or_wrote_nan() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    mk(&data, 3);
    gif_with_zero_screen(&data.join("c/1_zero.gif"));
    assert!(matches!(
        decode_file(&data.join("c/1_zero.gif"), ColorMode::Rgb),
        Err(DecodeError::ZeroSize { .. })
    ));
    for extra in [
        &["--image-size", "4"][..],
        &[
            "--image-size",
            "4",
            "--interpolation",
            "area",
            "--dtype",
            "float32",
        ],
    ] {
        let out = dir.path().join(format!("out{}", extra.len()));
        let res = export(&data, &out, extra);
        let err = stderr(&res);
        assert_eq!(res.status.code(), Some(0), "{err}");
        assert!(
            err.contains("skipped \"c/1_zero.gif\": zero-size image (0x0)"),
            "{err}"
        );
        let npy = read_npy(&out.join("images.npy"));
        assert_eq!(npy.shape, [3, 4, 4, 3]);
        if npy.descr == "<f4" {
            assert!(npy.f32s().iter().all(|v| v.is_finite()), "no NaN rows");
        }
    }
}

// ---- rows 5 and 7: files that are not regular, endless or huge ----

#[test]
fn fifo_socket_and_dev_zero_named_like_images_hung_inspect_and_export() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    mk(&data, 2);
    mkfifo(&data.join("c/x_fifo.png"));
    let _socket = std::os::unix::net::UnixListener::bind(data.join("c/x_socket.png")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", data.join("c/x_zero.png")).unwrap();
    let res = run(&["inspect", data.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&res.stdout);
    assert!(res.status.success(), "{}", stderr(&res));
    for (name, kind) in [
        ("x_fifo.png", "a named pipe"),
        ("x_socket.png", "a socket"),
        ("x_zero.png", "a character device"),
    ] {
        assert!(
            text.contains(&format!(
                "unreadable not a regular file but {kind}: not read: \"c/{name}\""
            )),
            "{text}"
        );
    }
    let out = dir.path().join("out");
    let res = export(&data, &out, &["--image-size", "4"]);
    let err = stderr(&res);
    assert!(res.status.success(), "{err}");
    assert!(
        err.contains("skipped \"c/x_fifo.png\": not a regular file but a named pipe"),
        "{err}"
    );
    assert!(
        err.contains("skipped \"c/x_zero.png\": not a regular file but a character device"),
        "{err}"
    );
    assert_eq!(read_npy(&out.join("images.npy")).shape, [2, 4, 4, 3]);
}

#[test]
fn huge_files_were_read_whole_before_being_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    mk(&data, 2);
    // 3 GiB, sparse: no image signature (a video named .png), and a PNG signature over the size cap.
    let movie = std::fs::File::create(data.join("c/movie.png")).unwrap();
    movie.set_len(3 << 30).unwrap();
    let big = data.join("c/big.png");
    std::fs::write(&big, common::png_claiming(4, 4)).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&big)
        .unwrap()
        .set_len(3 << 30)
        .unwrap();
    let out = dir.path().join("out");
    let res = export(&data, &out, &["--image-size", "4"]);
    let err = stderr(&res);
    assert!(res.status.success(), "{err}");
    assert!(
        err.contains("skipped \"c/movie.png\": not an image in a supported format"),
        "{err}"
    );
    assert!(
        err.contains("skipped \"c/big.png\": file is 3221225472 bytes, over the limit of 1073741824 bytes per file (raise it with --max-file-bytes)"),
        "{err}"
    );
    // The limit is a flag.
    let out = dir.path().join("out2");
    let res = export(
        &data,
        &out,
        &["--image-size", "4", "--max-file-bytes", "16"],
    );
    let err = stderr(&res);
    assert!(err.contains("over the limit of 16 bytes per file"), "{err}");
    let res = export(
        &data,
        &dir.path().join("out3"),
        &["--max-file-bytes", "lots"],
    );
    assert_eq!(res.status.code(), Some(2), "{}", stderr(&res));
}

// ---- row 6: symlinked folders that share descendants ----

#[test]
fn follow_links_over_a_dag_of_folders_walked_every_path() {
    // levels/L1..L12, each with one image and two links (a, b) to the next level; the class links to
    // L1 twice. Following every path is 2^12 copies of the deepest image; each real folder counts once.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let levels = dir.path().join("levels");
    save(&data, "c/x.png", &pattern(4, 4, 0));
    let depth = 12;
    for k in 1..=depth {
        save(&levels, &format!("L{k}/img.png"), &pattern(4, 4, k));
    }
    for k in 0..depth {
        let from = if k == 0 {
            data.join("c")
        } else {
            levels.join(format!("L{k}"))
        };
        for name in ["a", "b"] {
            std::os::unix::fs::symlink(levels.join(format!("L{}", k + 1)), from.join(name))
                .unwrap();
        }
    }
    let options = batchscope::options::IndexOptions {
        follow_links: true,
        ..Default::default()
    };
    let index = batchscope::index::scan(&data, &options).unwrap();
    let paths: Vec<String> = index
        .samples
        .iter()
        .map(|s| s.rel_path.to_string_lossy().into_owned())
        .collect();
    // Keras's order, first visit kept: c/x.png, c/a/img.png, c/a/a/img.png, ...
    let mut want = vec!["c/x.png".to_owned()];
    for k in 1..=depth {
        want.push(format!("c/{}img.png", "a/".repeat(k as usize)));
    }
    assert_eq!(paths, want);
    // Each `b` link is reported once, not followed.
    assert_eq!(index.warnings.len(), depth as usize, "{:?}", index.warnings);
    assert!(
        index
            .warnings
            .iter()
            .all(|w| w.path.ends_with("b") && w.reason.contains("already indexed"))
    );
}

// ---- row 8: output shapes too large to allocate ----

#[test]
fn huge_image_size_aborted_on_allocation() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    mk(&data, 3);
    for (size, mode, want) in [
        (
            "100000x100000",
            "rgb",
            "over the limit of 2147483648 bytes per image",
        ),
        ("65535", "rgb", "over the limit of"),
        ("20000", "rgba", "over the limit of"),
        ("2147483648", "rgba", "too large to count in memory"),
    ] {
        let out = dir.path().join("out");
        let res = export(&data, &out, &["--image-size", size, "--color-mode", mode]);
        let err = stderr(&res);
        assert_eq!(res.status.code(), Some(2), "{size}: {err}");
        assert!(err.contains(want), "{size}: {err}");
        assert!(!out.exists(), "{size}: nothing written");
    }
    // One 20000x20000 RGBA image is 1.5 GiB as uint8, but resizing holds it as float32 (6 GiB).
    let one = dir.path().join("one");
    mk(&one, 1);
    let res = export(
        &one,
        &dir.path().join("out"),
        &["--image-size", "20000", "--color-mode", "rgba"],
    );
    let err = stderr(&res);
    assert_eq!(res.status.code(), Some(2), "{err}");
    assert!(err.contains("resizing works on a float32 copy of each image, and images of 20000x20000x4 float32 take 6400000000 bytes each"), "{err}");
    // The batch size does not count (exports hold chunks of rows, not batches): a batch of 4096
    // images of 1024x1024 float32 (48 GiB) is not refused up front.
    let small = dir.path().join("small");
    mk(&small, 1);
    let out = dir.path().join("out_batch");
    let res = export(
        &small,
        &out,
        &[
            "--image-size",
            "1024",
            "--dtype",
            "float32",
            "--batch-size",
            "4096",
        ],
    );
    assert_eq!(res.status.code(), Some(0), "{}", stderr(&res));
    assert_eq!(read_npy(&out.join("images.npy")).shape, [1, 1024, 1024, 3]);
}

// ---- row 11: a closed stdout or stderr ----

#[test]
fn inspect_into_a_closed_pipe_panicked_with_exit_101() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    mk(&data, 2);
    let held = data.join("c/1.png");
    let _release = ReleaseOnDrop(held.clone());
    let (key, value) = hold_env(&held);
    let mut child = Command::new(env!("CARGO_BIN_EXE_batchscope"))
        .args(["inspect", data.to_str().unwrap()])
        .env(key, value)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Held while reading headers, before anything is printed: close the reader (as `head` does), go on.
    wait_held(&held);
    drop(child.stdout.take());
    release(&held);
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.is_empty(), "quiet: {err}");
}

#[test]
fn export_with_a_closed_stderr_panicked_instead_of_finishing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    mk(&data, 2);
    let held = data.join("c/1.png");
    let _release = ReleaseOnDrop(held.clone());
    let out = dir.path().join("out");
    let (key, value) = hold_env(&held);
    let mut child = Command::new(env!("CARGO_BIN_EXE_batchscope"))
        .args([
            "export",
            data.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--seed",
            "1",
        ])
        .env(key, value)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_held(&held);
    drop(child.stderr.take());
    release(&held);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    assert_eq!(read_npy(&out.join("images.npy")).shape, [2, 4, 4, 3]);
}

// ---- row 15: class names with commas ----

#[test]
fn a_class_named_with_a_comma_could_not_be_selected() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    save(&data, "a,b/0.png", &pattern(4, 4, 0));
    save(&data, "c/0.png", &pattern(4, 4, 1));
    save(&data, "d/0.png", &pattern(4, 4, 2));
    let out = dir.path().join("out");
    let res = export(&data, &out, &["--class-name", "c", "--class-name", "a,b"]);
    assert!(res.status.success(), "{}", stderr(&res));
    assert_eq!(
        std::fs::read_to_string(out.join("class_names.json")).unwrap(),
        r#"["c","a,b"]"#
    );
    assert_eq!(common::read_npy(&out.join("labels.npy")).i32s(), [0, 1]);
}

// ---- row 16: messages that said something untrue ----

/// A PNG whose header claims `width x height` 16-bit RGBA.
fn png16_rgba_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut png = common::png_claiming(width, height);
    // IHDR data starts at byte 16: width, height, bit depth, colour type; then its CRC.
    png[24] = 16;
    png[25] = 6;
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}

#[test]
fn misleading_messages_now_say_what_is_true_and_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    mk(&data, 3);
    let out = dir.path().join("out");

    // A split or drop-remainder that leaves nothing is not "no images in the folder".
    let res = export(
        &data,
        &out,
        &["--validation-split", "1e-300", "--subset", "validation"],
    );
    let err = stderr(&res);
    assert_eq!(res.status.code(), Some(2), "{err}");
    assert!(
        err.contains(
            "the validation subset is empty: --validation-split 1e-300 of 3 files holds out"
        ),
        "{err}"
    );
    let res = export(&data, &out, &["--drop-remainder"]);
    let err = stderr(&res);
    assert_eq!(res.status.code(), Some(2), "{err}");
    assert!(
        err.contains("no full batch: the 3 files fit in one partial batch of --batch-size 32"),
        "{err}"
    );

    // Decoded sizes count the real pixel layout.
    let p16 = write(dir.path(), "p16.png", &png16_rgba_claiming(10_000, 10_000));
    let e = decode_file(&p16, ColorMode::Rgb).unwrap_err().to_string();
    assert!(
        e.starts_with(
            "image is 10000x10000 16-bit RGBA, 762.9 MiB decoded, over the 512 MiB limit"
        ),
        "{e}"
    );
    let p8 = write(dir.path(), "rgb.png", &common::png_claiming(20_000, 20_000));
    let e = decode_file(&p8, ColorMode::Rgb).unwrap_err().to_string();
    assert!(
        e.starts_with("image is 20000x20000 RGB, 1144.4 MiB decoded"),
        "{e}"
    );

    // An OS error is printed once.
    let res = export(&dir.path().join("missing"), &out, &[]);
    let err = stderr(&res);
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");

    // A dangling symlink as --out says so, not "File exists".
    let link = dir.path().join("dangling");
    std::os::unix::fs::symlink(dir.path().join("nowhere"), &link).unwrap();
    let res = export(&data, &link, &[]);
    let err = stderr(&res);
    assert_eq!(res.status.code(), Some(1), "{err}");
    assert!(
        err.contains("is a symlink to") && err.contains("which does not exist"),
        "{err}"
    );

    // --seed without --shuffle is not silently ignored.
    let res = export(&data, &out, &["--seed", "7"]);
    let err = stderr(&res);
    assert!(res.status.success(), "{err}");
    assert!(
        err.contains("warning: --seed has no effect without --shuffle"),
        "{err}"
    );

    // Images only in the root, labels inferred: the summary does not claim labels are off.
    let flat = dir.path().join("flat");
    save(&flat, "0.png", &pattern(4, 4, 0));
    let res = run(&["inspect", flat.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&res.stdout);
    assert!(!text.contains("labels off"), "{text}");
    assert!(text.contains("use --labels none"), "{text}");
}

// ---- row 17: a tiny JPEG declaring a huge image ----

#[test]
fn tiny_jpeg_declaring_13000x13000_was_exported_as_padding() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    mk(&data, 2);
    let mut bytes = Vec::new();
    jpeg_encoder::Encoder::new(&mut bytes, 90)
        .encode(&[128u8; 16 * 16 * 3], 16, 16, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    // SOF0: FF C0, length (2), precision (1), height (2), width (2).
    let sof = bytes.windows(2).position(|w| w == [0xff, 0xc0]).unwrap();
    bytes[sof + 5..sof + 9].copy_from_slice(&[0x32, 0xc8, 0x32, 0xc8]); // 13000, 13000
    assert!(bytes.len() < 1000);
    write(&data, "c/2_huge.jpg", &bytes);
    let out = dir.path().join("out");
    let res = export(&data, &out, &["--image-size", "4"]);
    let err = stderr(&res);
    assert!(res.status.success(), "{err}");
    assert!(
        err.contains("skipped \"c/2_huge.jpg\": truncated JPEG: ")
            && err.contains("bytes cannot hold the 13000x13000 image its header declares"),
        "{err}"
    );
    assert_eq!(read_npy(&out.join("images.npy")).shape, [2, 4, 4, 3]);
}
