//! A segmentation folder as a source: images, and beside them class-map masks of the same names,
//! whose pixel values are the classes.
//!
//! Layouts (detected by the two folders being there; `--source seg` says so outright):
//! - `root/images/` and `root/masks/`: every image under `images/` (recursively, Keras's
//!   extensions, directories in byte order, files by name) is a sample; its mask is the file under
//!   `masks/` at the same relative path with any image extension (`images/a/b.jpg` ↔
//!   `masks/a/b.png`).
//! - Pascal VOC's `root/JPEGImages/` and `root/SegmentationClass/` (palette PNGs): the samples are
//!   the images that have a mask, since VOC segments only a subset of its images.
//!
//! Guarantees:
//! - Opening reads names only (no mask is decoded): each sample's mask is a
//!   [`MaskRef::File`](super::annotations::MaskRef::File) read when it is drawn or exported, as
//!   stored (one-channel 8-bit, or a palette PNG's indices; VOC's 255 is its border).
//! - An image without a mask is an index warning (so it reaches `skipped.csv`) and is not a sample;
//!   under VOC, where most images have no mask by design, that is one warning with the count. A mask
//!   without an image is a warning too.
//! - Class names: `classes.txt` (one per line, line `i` names value `i`) or `class_names.json` (a
//!   list) in the root; else VOC's 21 names for the VOC layout; else none (the values are the
//!   classes, unnamed: naming them would need every mask decoded at open).
//! - Samples have no boxes and no image-level label.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::SourceError;
use super::annotations::{MaskRef, ObjectClasses, Objects, Units};
use crate::index::{DatasetIndex, IndexWarning, KERAS_EXTENSIONS, Sample, WalkControl};

/// The two folders of a layout: images, masks.
const LAYOUTS: [(&str, &str); 2] = [("images", "masks"), ("JPEGImages", "SegmentationClass")];

/// Files are reported every this many.
const PROGRESS_EVERY: usize = 256;

/// The layout of `dir`: its images folder and masks folder, if it is a segmentation folder.
pub fn layout_of(dir: &Path) -> Option<(&'static str, &'static str)> {
    LAYOUTS
        .into_iter()
        .find(|(images, masks)| dir.join(images).is_dir() && dir.join(masks).is_dir())
}

/// The image files under `dir` (recursively), relative to `dir`, in the folder walk's order
/// (directories in byte order of their path, files by name); hidden names are skipped.
fn image_files(dir: &Path, control: &WalkControl<'_>) -> Result<Vec<PathBuf>, SourceError> {
    let mut found = Vec::new();
    let mut dirs = vec![PathBuf::new()];
    let mut all_dirs = Vec::new();
    while let Some(rel) = dirs.pop() {
        if control.cancel.load(Ordering::Relaxed) {
            return Err(SourceError::Cancelled);
        }
        all_dirs.push(rel.clone());
        let Ok(entries) = std::fs::read_dir(dir.join(&rel)) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            let path = entry.path();
            if path.is_dir() && !entry.file_type().is_ok_and(|t| t.is_symlink()) {
                dirs.push(rel.join(&name));
            }
        }
    }
    all_dirs.sort();
    for rel in all_dirs {
        let Ok(entries) = std::fs::read_dir(dir.join(&rel)) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries
            .flatten()
            .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
            .map(|e| e.path())
            .filter(|p| !p.is_dir() && is_image_name(p))
            .filter_map(|p| p.file_name().map(|n| rel.join(n)))
            .collect();
        files.sort();
        let before = found.len() / PROGRESS_EVERY;
        found.extend(files);
        if found.len() / PROGRESS_EVERY != before {
            (control.on_progress)(found.len());
        }
    }
    Ok(found)
}

fn is_image_name(path: &Path) -> bool {
    path.extension().is_some_and(|e| {
        KERAS_EXTENSIONS
            .iter()
            .any(|k| e.eq_ignore_ascii_case(std::ffi::OsStr::new(k)))
    })
}

/// `rel` without its extension: the name an image and its mask share.
fn stem_path(rel: &Path) -> PathBuf {
    rel.with_extension("")
}

/// The class names in `root`'s `classes.txt` or `class_names.json`, if either is there.
fn names_file(root: &Path) -> Result<Option<Vec<String>>, SourceError> {
    let unusable = |reason: String, path: &Path| SourceError::Unusable {
        reason,
        path: path.to_path_buf(),
    };
    let text = root.join("classes.txt");
    if text.is_file() {
        let bytes = crate::decode::read_file(&text)
            .map_err(|e| unusable(format!("cannot read the class names: {e}"), &text))?;
        return Ok(Some(
            String::from_utf8_lossy(&bytes)
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
        ));
    }
    let json = root.join("class_names.json");
    if json.is_file() {
        let bytes = crate::decode::read_file(&json)
            .map_err(|e| unusable(format!("cannot read the class names: {e}"), &json))?;
        let names: Vec<String> = serde_json::from_slice(&bytes).map_err(|e| {
            unusable(
                format!("the class names are not a JSON list of strings: {e}"),
                &json,
            )
        })?;
        return Ok(Some(names));
    }
    Ok(None)
}

/// Indexes the segmentation folder at `root`.
pub fn open_index(root: &Path, control: &WalkControl<'_>) -> Result<DatasetIndex, SourceError> {
    let Some((images_dir, masks_dir)) = layout_of(root) else {
        return Err(SourceError::Unusable {
            reason: "not a segmentation folder: expected images/ and masks/ (or VOC's JPEGImages/ and SegmentationClass/)".to_owned(),
            path: root.to_path_buf(),
        });
    };
    let voc = images_dir == "JPEGImages";
    let images = image_files(&root.join(images_dir), control)?;
    let masks = image_files(&root.join(masks_dir), control)?;
    let mut mask_of: BTreeMap<PathBuf, PathBuf> = BTreeMap::new();
    let mut warnings = Vec::new();
    for mask in masks {
        if let Some(other) = mask_of.insert(stem_path(&mask), mask.clone()) {
            warnings.push(IndexWarning {
                path: root.join(masks_dir).join(&mask),
                reason: format!(
                    "two masks for one image name (also {:?}); this one is used",
                    root.join(masks_dir).join(other)
                ),
            });
        }
    }
    let mut samples = Vec::new();
    let mut without_mask: Vec<PathBuf> = Vec::new();
    for image in images {
        let Some(mask) = mask_of.remove(&stem_path(&image)) else {
            without_mask.push(image);
            continue;
        };
        samples.push(Sample {
            rel_path: Path::new(images_dir).join(&image),
            label: None,
            objects: Some(Arc::new(Objects {
                objects: Vec::new(),
                units: Units::Pixels,
                stated_size: None,
                mask: Some(MaskRef::File(Path::new(masks_dir).join(mask))),
            })),
        });
    }
    if voc && !without_mask.is_empty() {
        warnings.push(IndexWarning {
            path: root.join(images_dir),
            reason: format!(
                "{} image{} without a mask in {masks_dir}/ (VOC segments a subset of its images) {} left out; the first: {:?}",
                without_mask.len(),
                if without_mask.len() == 1 { "" } else { "s" },
                if without_mask.len() == 1 { "is" } else { "are" },
                without_mask[0]
            ),
        });
    } else {
        warnings.extend(without_mask.into_iter().map(|image| IndexWarning {
            reason: format!("no mask of the same name in {masks_dir}/; it is left out"),
            path: root.join(images_dir).join(image),
        }));
    }
    warnings.extend(mask_of.into_values().map(|mask| IndexWarning {
        reason: format!("a mask without an image of the same name in {images_dir}/"),
        path: root.join(masks_dir).join(mask),
    }));
    if samples.is_empty() {
        let reason = match warnings.first() {
            Some(first) => format!("no image with a mask ({}: {:?})", first.reason, first.path),
            None => format!("no images in {images_dir}/"),
        };
        return Err(SourceError::Unusable {
            reason,
            path: root.to_path_buf(),
        });
    }
    let names = match names_file(root)? {
        Some(names) => names,
        // Value 0 is VOC's background, 1 to 20 its classes (255 the border between objects).
        None if voc => std::iter::once("background")
            .chain(super::voc::VOC_CLASSES)
            .map(str::to_owned)
            .collect(),
        None => Vec::new(),
    };
    let object_classes = ObjectClasses {
        ids: (0..).take(names.len()).collect(),
        names,
        has_masks: true,
    };
    Ok(super::annotated_files::index_of(
        root.to_path_buf(),
        samples,
        warnings,
        object_classes,
        (
            "segmentation folder".to_owned(),
            "expected <folder>/images/<name>.jpg with <folder>/masks/<name>.png",
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    fn open(root: &Path) -> Result<DatasetIndex, SourceError> {
        let cancel = AtomicBool::new(false);
        open_index(
            root,
            &WalkControl {
                on_progress: &|_| {},
                cancel: &cancel,
            },
        )
    }

    fn touch(path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, b"").unwrap();
    }

    #[test]
    fn images_pair_with_masks_by_relative_name() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in [
            "images/b.jpg",
            "images/a.png",
            "images/sub/c.JPG",
            "images/d.jpg",
        ] {
            touch(&root.join(f));
        }
        for f in [
            "masks/a.png",
            "masks/b.png",
            "masks/sub/c.png",
            "masks/e.png",
        ] {
            touch(&root.join(f));
        }
        std::fs::write(root.join("classes.txt"), "road\ncar\n\n").unwrap();
        let index = open(root).unwrap();
        let names: Vec<_> = index.samples.iter().map(|s| s.rel_path.clone()).collect();
        assert_eq!(
            names,
            ["images/a.png", "images/b.jpg", "images/sub/c.JPG"].map(PathBuf::from)
        );
        let masks: Vec<_> = index
            .samples
            .iter()
            .map(|s| s.objects.as_ref().unwrap().mask.clone().unwrap())
            .collect();
        assert_eq!(
            masks,
            ["masks/a.png", "masks/b.png", "masks/sub/c.png"]
                .map(|m| MaskRef::File(PathBuf::from(m)))
        );
        assert!(
            index
                .samples
                .iter()
                .all(|s| s.objects.as_ref().unwrap().objects.is_empty())
        );
        let warnings: Vec<_> = index
            .warnings
            .iter()
            .map(|w| {
                (
                    w.path.strip_prefix(root).unwrap().to_owned(),
                    w.reason.clone(),
                )
            })
            .collect();
        assert_eq!(
            warnings,
            vec![
                (
                    PathBuf::from("images/d.jpg"),
                    "no mask of the same name in masks/; it is left out".to_owned()
                ),
                (
                    PathBuf::from("masks/e.png"),
                    "a mask without an image of the same name in images/".to_owned()
                ),
            ]
        );
        let classes = index.object_classes.unwrap();
        assert_eq!(classes.names, vec!["road", "car"]);
        assert_eq!(classes.ids, vec![0, 1]);
        assert!(classes.has_masks);
        assert!(!index.labeled);
    }

    #[test]
    fn voc_segments_a_subset_in_one_warning_and_names_its_classes() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in [
            "JPEGImages/2007_000032.jpg",
            "JPEGImages/2007_000033.jpg",
            "JPEGImages/2007_000039.jpg",
        ] {
            touch(&root.join(f));
        }
        touch(&root.join("SegmentationClass/2007_000033.png"));
        let index = open(root).unwrap();
        assert_eq!(index.samples.len(), 1);
        assert_eq!(
            index.samples[0].rel_path,
            PathBuf::from("JPEGImages/2007_000033.jpg")
        );
        assert_eq!(index.warnings.len(), 1);
        assert_eq!(
            index.warnings[0].reason,
            "2 images without a mask in SegmentationClass/ (VOC segments a subset of its images) are left out; the first: \"2007_000032.jpg\""
        );
        let classes = index.object_classes.unwrap();
        assert_eq!(classes.names.len(), 21);
        assert_eq!(
            (classes.names[0].as_str(), classes.names[20].as_str()),
            ("background", "tvmonitor")
        );
    }

    #[test]
    fn a_folder_without_pairs_is_an_error_that_says_why() {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            open(dir.path())
                .unwrap_err()
                .to_string()
                .contains("expected images/ and masks/")
        );
        touch(&dir.path().join("images/a.jpg"));
        std::fs::create_dir_all(dir.path().join("masks")).unwrap();
        let err = open(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("no image with a mask (no mask of the same name in masks/"),
            "{err}"
        );
    }
}
