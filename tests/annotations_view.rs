//! Annotated datasets as the viewer gets them (issue 25, items 3 and 4): the loader places each
//! sample's mask as it places the pixels, and a mask that cannot be read fails its sample by name.

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use batchscope::index::{DatasetIndex, ObjectClasses, Objects};
use batchscope::load::loader::load_batch;
use batchscope::load::preprocess::Element;
use batchscope::load::spec::{SizeCheck, prepare};
use batchscope::options::{AspectFit, IndexOptions, LabelSource, LoadOptions};
use batchscope::size::Size;
use batchscope::source::annotations::{MaskRef, Units};
use image::{GrayImage, RgbImage};

/// `a.png` (4 wide, 2 high) with the mask `a_mask.png` (columns 0..4 hold 1, 2, 3, 4), and `b.png`
/// whose mask file is missing; indexed without labels, each given its mask.
fn masked(root: &Path) -> DatasetIndex {
    let images = root.join("images");
    common::save(&images, "a.png", &RgbImage::new(4, 2));
    common::save(&images, "b.png", &RgbImage::new(4, 2));
    GrayImage::from_raw(4, 2, vec![1, 2, 3, 4, 1, 2, 3, 4])
        .unwrap()
        .save(root.join("a_mask.png"))
        .unwrap();
    let options = IndexOptions {
        labels: LabelSource::None,
        ..IndexOptions::default()
    };
    let mut index = batchscope::index::scan(&images, &options).unwrap();
    for sample in &mut index.samples {
        let name = sample.rel_path.file_stem().unwrap().to_string_lossy();
        sample.objects = Some(Arc::new(Objects {
            units: Units::Normalized,
            mask: Some(MaskRef::File(format!("../{name}_mask.png").into())),
            ..Objects::default()
        }));
    }
    index.object_classes = Some(ObjectClasses {
        has_masks: true,
        ..ObjectClasses::default()
    });
    index
}

fn load(
    index: DatasetIndex,
    size: Option<Size>,
    fit: AspectFit,
) -> batchscope::load::loader::Batch {
    let mut options = LoadOptions::default();
    options.preprocess.image_size = size;
    options.preprocess.fit = fit;
    let never = AtomicBool::new(false);
    let spec = prepare(
        Arc::new(index),
        &options,
        Element::default(),
        SizeCheck::AllFiles,
        &never,
    )
    .unwrap();
    load_batch(&spec, 0, &never)
}

#[test]
fn masks_are_placed_as_the_pixels_and_a_missing_mask_fails_its_sample_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let native = load(masked(dir.path()), None, AspectFit::Stretch);
    assert_eq!(native.samples, vec![0]);
    let mask = native.masks[0].as_ref().unwrap();
    assert_eq!(mask.values, vec![1, 2, 3, 4, 1, 2, 3, 4]);
    assert_eq!(native.failures.len(), 1);
    let failure = &native.failures[0];
    assert_eq!(failure.rel_path, Path::new("b.png"));
    assert!(
        failure.reason.starts_with("its mask: ") && failure.reason.contains("b_mask.png"),
        "{}",
        failure.reason
    );

    // Cropped to 2x2: the middle two columns; stretched to 1x2: columns 1 and 3 of row 1.
    let crop = load(masked(dir.path()), Some(Size::square(2)), AspectFit::Crop);
    assert_eq!(crop.masks[0].as_ref().unwrap().values, vec![2, 3, 2, 3]);
    let stretch = load(
        masked(dir.path()),
        Some(Size {
            height: 1,
            width: 2,
        }),
        AspectFit::Stretch,
    );
    assert_eq!(stretch.masks[0].as_ref().unwrap().values, vec![2, 4]);
}

/// A YOLO folder: `a.png` (40x20) with a cat and a dog, `b.png` with two cats, `c.png` with none.
fn yolo(root: &Path) {
    for name in ["a", "b", "c"] {
        common::save(
            root,
            &format!("images/{name}.png"),
            &RgbImage::from_pixel(40, 20, image::Rgb([90, 90, 90])),
        );
    }
    common::write(
        root,
        "labels/a.txt",
        b"0 0.25 0.5 0.2 0.4\n1 0.75 0.5 0.3 0.6\n",
    );
    common::write(
        root,
        "labels/b.txt",
        b"0 0.5 0.5 0.5 0.5\n0 0.1 0.1 0.1 0.1\n",
    );
    common::write(root, "labels/c.txt", b"");
    common::write(root, "classes.txt", b"cat\ndog\n");
}

#[test]
fn the_viewer_counts_objects_captions_them_and_toggles_their_drawing_by_key() {
    use batchscope::app::objects::Overlay;
    use common::gui::{current, harness, step_until};
    use egui_kittest::kittest::Queryable as _;

    let dir = tempfile::tempdir().unwrap();
    yolo(dir.path());
    let mut h = harness(dir.path());
    step_until(&mut h, "the first batch", |app| current(app) == Some(0));
    let index = Arc::clone(&h.state().session.as_ref().unwrap().ready().unwrap().index);
    assert_eq!(index.object_classes.as_ref().unwrap().names, ["cat", "dog"]);
    // The histogram counts objects per class, or images with each class.
    assert_eq!(h.state().batch_histogram(), vec![3, 1]);
    h.state_mut().count_images = true;
    assert_eq!(h.state().batch_histogram(), vec![2, 1]);
    h.run_steps(2);
    // Each thumbnail is captioned with its objects.
    for caption in ["2 objects: cat, dog", "2 objects: cat", "no objects"] {
        h.get_by_label(caption);
    }
    h.get_by_label("Boxes");
    assert_eq!(h.state().settings.overlay, Overlay::default());
    h.key_press(egui::Key::B);
    h.run_steps(2);
    assert!(!h.state().settings.overlay.boxes);
    h.key_press(egui::Key::M);
    h.key_press(egui::Key::N);
    h.run_steps(2);
    assert_eq!(
        h.state().settings.overlay,
        Overlay {
            boxes: false,
            names: false,
            masks: false
        }
    );
}

/// A source's notes on images it kept (here a YOLO image without a label file) reach the
/// Problems panel beside its warnings.
#[test]
fn the_problems_panel_lists_the_sources_notes() {
    use common::gui::{current, harness, problems, step_until};

    let dir = tempfile::tempdir().unwrap();
    yolo(dir.path());
    common::save(
        dir.path(),
        "images/d.png",
        &RgbImage::from_pixel(40, 20, image::Rgb([90, 90, 90])),
    );
    let mut h = harness(dir.path());
    step_until(&mut h, "the first batch", |app| current(app) == Some(0));
    let labels = dir.path().join("labels");
    assert_eq!(
        problems(h.state()),
        [(
            labels.to_string_lossy().into_owned(),
            "1 image(s) have no label file, and are read as images without objects: d.png"
                .to_owned()
        )]
    );
}
