//! Arrays after a PyTorch transform (issue 24, item 6): a stored `(N, C, H, W)` array is drawn as the
//! images it holds (detected, or said with `--array-layout`), normalised floats are drawn
//! de-normalised with `ImageNet`'s or the Health pass's mean and std, and neither changes a value that
//! is exported. Fixtures are written here, byte by byte: no Python needed.

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

mod common;

use std::path::{Path, PathBuf};

use batchscope::app::display::{Denormalise, DenormalisePreset, StoredImage};
use batchscope::npy::{self, NpyDtype};
use batchscope::options::ArrayLayout;
use common::gui::{current, harness, step_until};
use common::{batchscope, read_npy};
use egui_kittest::kittest::Queryable as _;

/// Sample `i`'s pixel `(y, x)` channel `c`, as the bytes torchvision's `ToTensor` started from.
fn byte(i: usize, y: usize, x: usize, c: usize) -> u8 {
    ((i * 50 + y * 40 + x * 13 + c * 90) % 256) as u8
}

const N: usize = 3;
const H: usize = 4;
const W: usize = 5;

/// `(N, 3, H, W)` float32, `(x / 255 - mean) / std` with `ImageNet`'s values, as
/// `transforms.Compose([ToTensor(), Normalize(mean, std)])` leaves them; stored channels first.
fn write_normalised(dir: &Path) -> PathBuf {
    let d = Denormalise::IMAGENET;
    let mut bytes = npy::header(NpyDtype::F32, &[N, 3, H, W]);
    for i in 0..N {
        for c in 0..3 {
            for y in 0..H {
                for x in 0..W {
                    let v =
                        (f32::from(byte(i, y, x, c)) / 255.0 - d.mean[c] as f32) / d.std[c] as f32;
                    bytes.extend_from_slice(&v.to_le_bytes());
                }
            }
        }
    }
    let path = dir.join("normalised.npy");
    std::fs::write(&path, bytes).unwrap();
    path
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn stdout(args: &[&str]) -> String {
    let out = batchscope(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_channels_first_array_is_described_as_images_unless_the_layout_says_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_normalised(dir.path());
    let text = stdout(&["inspect", s(&path)]);
    assert!(
        text.contains(
            "drawn as   4x5 (HxW) RGB images from \"images\", stored channels first (C, H, W)\n"
        ),
        "{text}"
    );
    let text = stdout(&["inspect", s(&path), "--array-layout", "nhwc"]);
    assert!(
        text.contains("drawn as   values: no array has an image's shape"),
        "{text}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&["inspect", s(&path), "--json"])).unwrap();
    assert_eq!(json["arrays"][0], "images (3, 3, 4, 5) float32");
    assert_eq!(json["options"]["index"]["layout"], "auto");

    // (N, 4, H, W) is not detected (4 could be a height), but taken as RGBA when said.
    let rgba = dir.path().join("rgba.npy");
    let mut bytes = npy::header(NpyDtype::U8, &[2, 4, 6, 6]);
    bytes.resize(bytes.len() + 2 * 4 * 36, 7);
    std::fs::write(&rgba, bytes).unwrap();
    assert!(stdout(&["inspect", s(&rgba)]).contains("drawn as   values"));
    assert!(
        stdout(&["inspect", s(&rgba), "--array-layout", "nchw"])
            .contains("drawn as   6x6 (HxW) RGBA images from \"images\", stored channels first")
    );
}

#[test]
fn the_layout_never_changes_an_exported_value() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_normalised(dir.path());
    let stored = read_npy(&path);
    for layout in ["auto", "nchw"] {
        let out = dir.path().join(format!("out-{layout}"));
        let run = batchscope(&[
            "export",
            s(&path),
            "--out",
            s(&out),
            "--array-layout",
            layout,
        ]);
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let exported = read_npy(&out.join("images.npy"));
        assert_eq!(exported.shape, [N, 3, H, W], "{layout}");
        assert_eq!(exported.descr, "<f4");
        assert_eq!(exported.data, stored.data, "{layout}");
    }
    // A source that is not stored arrays refuses it, naming the flag.
    common::save(
        &dir.path().join("folder"),
        "a/x.png",
        &common::pattern(3, 3, 1),
    );
    let run = batchscope(&[
        "inspect",
        s(&dir.path().join("folder")),
        "--array-layout",
        "nchw",
    ]);
    assert!(!run.status.success());
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("--array-layout"), "{err}");
}

#[test]
fn the_viewer_draws_normalised_channels_first_floats_as_the_bytes_they_came_from() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_normalised(dir.path());
    let mut h = harness(&path);
    step_until(&mut h, "the first batch", |app| current(app) == Some(0));
    // Stored as normalised: drawn through their own span until told.
    h.get_by_label_contains("Display range:");
    h.get_by_label("De-normalise:");

    h.get_by_role_and_label(egui::accesskit::Role::ComboBox, "De-normalise:")
        .click();
    h.run_steps(2);
    h.get_by_label("ImageNet mean/std").click();
    step_until(&mut h, "the thumbnails redrawn de-normalised", |app| {
        let view = app.session.as_ref().and_then(|s| s.current_batch());
        app.display_range.denormalise == DenormalisePreset::ImageNet && view.is_some()
    });
    h.run_steps(3);
    h.get_by_label_contains("Display range: 0..1 (auto, de-normalised in [0,1])");
    h.get_by_label_contains("mean 0.485, 0.456, 0.406 · std 0.229, 0.224, 0.225");

    let app = h.state_mut();
    let index = std::sync::Arc::clone(&app.session.as_ref().unwrap().ready().unwrap().index);
    let (view, _) = app.session.as_mut().unwrap().shown_mut().unwrap();
    let range = view.drawn_with.unwrap();
    assert_eq!(range.denormalise, Some(Denormalise::IMAGENET));
    let image = StoredImage::of(&index, &view.batch).unwrap();
    for i in 0..N {
        let drawn = image.color_image(i, range).unwrap();
        assert_eq!(drawn.size, [W, H]);
        for (y, x) in [(0, 0), (1, 4), (3, 2)] {
            let p = drawn.pixels[y * W + x];
            assert_eq!(
                [p.r(), p.g(), p.b()],
                [byte(i, y, x, 0), byte(i, y, x, 1), byte(i, y, x, 2)],
                "sample {i} pixel ({y}, {x})"
            );
        }
    }
}

#[test]
fn the_array_layout_setting_reopens_the_array_as_values_or_images() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_normalised(dir.path());
    let mut h = harness(&path);
    step_until(&mut h, "the first batch", |app| current(app) == Some(0));
    let drawn = |app: &batchscope::app::BatchscopeApp| {
        let ready = app.session.as_ref().and_then(|s| s.ready());
        ready.and_then(|r| {
            r.index
                .store
                .rows()
                .map(batchscope::index::StoredRows::image_shape)
        })
    };
    assert!(drawn(h.state()).flatten().is_some_and(|i| i.channels_first));

    h.get_by_label("Array layout").click();
    h.run_steps(2);
    h.get_by_label("NHWC (channels last)").click();
    step_until(&mut h, "reopened as values", |app| {
        app.settings.load.index.layout == ArrayLayout::Nhwc
            && matches!(drawn(app), Some(None))
            && current(app) == Some(0)
    });
    // The values list shows the row's column with its shape, as stored.
    assert!(
        h.query_all_by_label_contains("images (3, 4, 5) float32")
            .next()
            .is_some()
    );
}

#[test]
fn the_health_pass_of_the_image_folder_de_normalises_the_arrays_opened_after_it() {
    let dir = tempfile::tempdir().unwrap();
    // Two 2x2 images of known colours: channel means 50, 100, 150 and stds 10, 20, 30 (0..255).
    let folder = dir.path().join("folder");
    let img = |v: [[u8; 3]; 2]| image::RgbImage::from_fn(2, 2, |x, _| image::Rgb(v[x as usize]));
    common::save(&folder, "a/0.png", &img([[40, 80, 120], [60, 120, 180]]));
    common::save(&folder, "a/1.png", &img([[40, 80, 120], [60, 120, 180]]));
    let arrays = write_normalised(dir.path());

    let mut h = harness(&folder);
    step_until(&mut h, "the first batch", |app| current(app) == Some(0));
    h.get_by_label("Health").click();
    step_until(&mut h, "the health result", |app| {
        app.health.result.is_some() && !app.health.is_running()
    });
    let measured = Denormalise {
        mean: [50.0 / 255.0, 100.0 / 255.0, 150.0 / 255.0],
        std: [10.0 / 255.0, 20.0 / 255.0, 30.0 / 255.0],
    };
    let got = h.state().health.measured_denormalise().unwrap();
    for c in 0..3 {
        assert!((got.mean[c] - measured.mean[c]).abs() < 1e-9, "{got:?}");
        assert!((got.std[c] - measured.std[c]).abs() < 1e-9, "{got:?}");
    }

    // Opening the arrays keeps the measurement; choosing it draws with it.
    h.state_mut().open(&arrays);
    h.get_by_label("Batches").click();
    step_until(&mut h, "the arrays' first batch", |app| {
        current(app) == Some(0) && app.health.result.is_none()
    });
    h.get_by_role_and_label(egui::accesskit::Role::ComboBox, "De-normalise:")
        .click();
    h.run_steps(2);
    h.get_by_label("Health pass's mean/std").click();
    step_until(&mut h, "drawn with the measured values", |app| {
        app.display_range.denormalise == DenormalisePreset::Measured
    });
    h.run_steps(3);
    h.get_by_label_contains("mean 0.1961, 0.3922, 0.5882 · std 0.0392, 0.0784, 0.1176");
    let (view, _) = h.state_mut().session.as_mut().unwrap().shown_mut().unwrap();
    assert_eq!(view.drawn_with.unwrap().denormalise, Some(got));
}
