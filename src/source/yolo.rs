//! YOLO detection folders as a source: `images/` and `labels/`, one `class cx cy w h` line per
//! object (normalised to the image), in `labels/<same path>.txt`.
//!
//! **Layout.** The folder holds `images/` and `labels/`; when `images/` holds split folders
//! (`images/train`, `images/val`) rather than images, `--split` picks one (`train` by default, else
//! the first by name, and a warning says which was taken). Every image under the split's folder
//! (Keras's extensions and `.webp`, `.tif`, `.tiff`, sorted by path) is a sample. Class names come
//! from `data.yaml` (`data.yml`, `dataset.yaml`) at the root: `names:` as a list (inline or block)
//! or an `index: name` map, and `nc:`; else from `classes.txt` (at the root or in `labels/`), one
//! name a line; else the classes are `0..=` the largest index seen, named `class <i>`. The class
//! index is the id. Only `names` and `nc` are read from the YAML (a hand parser of those two keys,
//! [`data_yaml`]; the split paths it may state are not followed), and a `data.yaml` it cannot read
//! as class names refuses the folder with its line. There are at most [`MAX_CLASSES`] classes.
//!
//! **Lines.** `class cx cy w h` becomes the box `[cx - w/2, cy - h/2, cx + w/2, cy + h/2]`
//! ([`Units::Normalized`]); a segmentation line (`class x1 y1 x2 y2 ...`, three points or more) is
//! read as its polygon's bounding box, and one warning says how many were (their masks are not
//! drawn). An empty label file is an image without objects; a missing one too, and one warning
//! counts them. A bad line (too few or too many numbers, a word, NaN or infinity, a class that is
//! not a whole number below `nc` and below [`MAX_CLASSES`]) leaves its image out, with a warning
//! naming the file and line. Negative and out-of-image coordinates are kept as stated (health flags
//! them). A label file without an image of the same name is a warning naming it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::SourceError;
use super::annotated_files::{self, first_few, warning};
use super::annotations::{BoxXyxy, Object, ObjectClasses, Objects, Units};
use super::probe::Probe;
use crate::index::{DatasetIndex, IndexWarning, Sample, WalkControl};
use crate::options::IndexOptions;
use names::stated_names;

mod data_yaml;
mod names;

const LAYOUT: &str =
    "expected <folder>/images/[<split>/]<image> and <folder>/labels/[<split>/]<image>.txt";

/// The longest label or names file read.
const MAX_TEXT_BYTES: u64 = 64 << 20;

/// The most classes a YOLO folder may have: a class index in a label line or a `data.yaml` map is
/// below it, and `nc`, a names list and `classes.txt` state no more. YOLO's classes are the dense
/// indices `0..n`, each with a name, so an untrusted index would otherwise size an allocation
/// (class 4000000000 asked for 96 GB); the largest label sets in use are far below it
/// (ImageNet-21k has about 22,000 classes).
pub(super) const MAX_CLASSES: usize = 1_000_000;

/// Whether `probe` is a folder holding `images/` and `labels/`.
pub fn claims(probe: &Probe) -> bool {
    probe.is_dir && probe.path.join("images").is_dir() && probe.path.join("labels").is_dir()
}

/// The images and labels folders of the split asked for (see the module's doc), and a note when a
/// split was chosen among several.
fn split_folders(
    root: &Path,
    split: Option<&str>,
) -> Result<(PathBuf, PathBuf, Option<String>), SourceError> {
    let (images, labels) = (root.join("images"), root.join("labels"));
    let unusable = |reason: String| SourceError::Unusable {
        reason,
        path: root.to_path_buf(),
    };
    if !images.is_dir() || !labels.is_dir() {
        return Err(unusable(format!(
            "no images/ and labels/ folders ({LAYOUT})"
        )));
    }
    let mut splits: Vec<String> = std::fs::read_dir(&images)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    splits.sort();
    let has_own_images = std::fs::read_dir(&images).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| annotated_files::is_image_name(&e.path()) && e.path().is_file())
    });
    match split {
        Some(split) if splits.iter().any(|s| s == split) => {
            Ok((images.join(split), labels.join(split), None))
        }
        Some(split) => Err(unusable(format!(
            "no split {split:?} in images/ (the splits are: {})",
            if splits.is_empty() {
                "none".to_owned()
            } else {
                splits.join(", ")
            }
        ))),
        None if has_own_images || splits.is_empty() => Ok((images, labels, None)),
        None => {
            let chosen = if splits.iter().any(|s| s == "train") {
                "train".to_owned()
            } else {
                splits[0].clone()
            };
            let note = (splits.len() > 1).then(|| {
                format!(
                    "read split {chosen:?} of {} (--split picks another)",
                    splits.join(", ")
                )
            });
            Ok((images.join(&chosen), labels.join(&chosen), note))
        }
    }
}

/// What one label line is.
enum Line {
    Box(u32, BoxXyxy),
    Polygon(u32, BoxXyxy),
}

/// One label line (not blank), or why it is bad.
fn parse_line(line: &str, classes: Option<usize>) -> Result<Line, String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let numbers: Vec<f64> = words
        .iter()
        .map(|w| {
            w.parse::<f64>()
                .map_err(|_| format!("{} is not a number", annotated_files::quoted(w)))
        })
        .collect::<Result<_, _>>()?;
    if numbers.len() < 5 {
        return Err(format!(
            "{} number(s), expected class cx cy w h",
            numbers.len()
        ));
    }
    if numbers.len() != 5 && (numbers.len() < 7 || numbers.len().is_multiple_of(2)) {
        return Err(format!(
            "{} numbers: neither class cx cy w h nor class x1 y1 x2 y2 x3 y3 ...",
            numbers.len()
        ));
    }
    if let Some(bad) = numbers.iter().find(|v| !v.is_finite()) {
        return Err(format!("holds {bad}"));
    }
    let class = numbers[0];
    if class < 0.0 || class.fract() != 0.0 || class > f64::from(u32::MAX) {
        return Err(format!(
            "class {} is not a class index",
            annotated_files::shortened(words[0])
        ));
    }
    let class = class as u32;
    if let Some(n) = classes
        && class as usize >= n
    {
        return Err(format!("class {class} is not below the {n} classes named"));
    }
    if class as usize >= MAX_CLASSES {
        return Err(format!(
            "class {class} is not below {MAX_CLASSES}, the most classes a YOLO folder may have"
        ));
    }
    if numbers.len() == 5 {
        let (cx, cy, w, h) = (numbers[1], numbers[2], numbers[3], numbers[4]);
        let bbox = BoxXyxy {
            xmin: cx - w / 2.0,
            ymin: cy - h / 2.0,
            xmax: cx + w / 2.0,
            ymax: cy + h / 2.0,
        };
        return Ok(Line::Box(class, bbox.checked()?));
    }
    let (xs, ys): (Vec<f64>, Vec<f64>) = numbers[1..].chunks(2).map(|p| (p[0], p[1])).unzip();
    let fold = |v: &[f64], f: fn(f64, f64) -> f64, start| v.iter().copied().fold(start, f);
    let bbox = BoxXyxy {
        xmin: fold(&xs, f64::min, f64::INFINITY),
        ymin: fold(&ys, f64::min, f64::INFINITY),
        xmax: fold(&xs, f64::max, f64::NEG_INFINITY),
        ymax: fold(&ys, f64::max, f64::NEG_INFINITY),
    };
    Ok(Line::Polygon(class, bbox.checked()?))
}

/// The objects of one label file (`classes` classes, when stated), and how many of its lines were
/// polygons; `Err` names the bad line.
fn read_labels(
    label: &Path,
    classes: Option<usize>,
) -> Result<(Vec<(u32, BoxXyxy)>, usize), String> {
    let text = annotated_files::read_text(label, MAX_TEXT_BYTES, None)
        .map_err(|reason| format!("{reason}; its image is left out"))?;
    let (mut objects, mut polygons) = (Vec::new(), 0);
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match parse_line(line, classes) {
            Ok(Line::Box(class, bbox)) => objects.push((class, bbox)),
            Ok(Line::Polygon(class, bbox)) => {
                polygons += 1;
                objects.push((class, bbox));
            }
            Err(reason) => return Err(format!("line {}: {reason}; its image is left out", n + 1)),
        }
    }
    Ok((objects, polygons))
}

/// A warning for each label file under `labels` that no image of `files` (relative to `images`,
/// under `root`) has: its objects are not read, and a silent drop would hide a renamed or missing
/// image.
fn labels_without_images(
    root: &Path,
    images: &Path,
    labels: &Path,
    files: &[PathBuf],
    control: &WalkControl<'_>,
) -> Result<Vec<IndexWarning>, SourceError> {
    let mut warnings = Vec::new();
    let is_label = |p: &Path| {
        p.extension().is_some_and(|e| e.eq_ignore_ascii_case("txt"))
            && p.file_name().is_some_and(|n| n != "classes.txt")
    };
    let texts = annotated_files::files_under(labels, is_label, control.cancel, &mut warnings)?;
    let labelled: std::collections::HashSet<PathBuf> =
        files.iter().map(|rel| rel.with_extension("txt")).collect();
    let folder = images.strip_prefix(root).unwrap_or(images).display();
    warnings.extend(
        texts
            .into_iter()
            .filter(|rel| !labelled.contains(rel))
            .map(|rel| {
                warning(
                    &labels.join(rel),
                    format!(
                        "a label file without an image of the same name in {folder}/; its objects are not read"
                    ),
                )
            }),
    );
    Ok(warnings)
}

/// Indexes the YOLO folder at `path` (see the module's doc).
pub fn open_index(
    path: &Path,
    options: &IndexOptions,
    control: &WalkControl<'_>,
) -> Result<DatasetIndex, SourceError> {
    let (images, labels, note) = split_folders(path, options.split.as_deref())?;
    let mut warnings: Vec<IndexWarning> = note.map(|n| warning(path, n)).into_iter().collect();
    let (names, nc) = stated_names(path, &labels, &mut warnings)?;
    let stated = names.as_ref().map(Vec::len).max(nc);
    let files = annotated_files::image_files(&images, control.cancel, &mut warnings)?;
    warnings.extend(labels_without_images(
        path, &images, &labels, &files, control,
    )?);
    let mut samples = Vec::with_capacity(files.len());
    let (mut missing, mut polygons, mut largest) = (Vec::new(), 0usize, None::<u32>);
    for (i, rel) in files.iter().enumerate() {
        if i % 512 == 0 {
            (control.on_progress)(i);
            if control.cancel.load(std::sync::atomic::Ordering::Relaxed) {
                return Err(SourceError::Cancelled);
            }
        }
        let label = labels.join(rel).with_extension("txt");
        let objects = if label.exists() {
            match read_labels(&label, stated) {
                Ok((objects, polygon_lines)) => {
                    polygons += polygon_lines;
                    objects
                }
                Err(reason) => {
                    warnings.push(warning(&label, reason));
                    continue;
                }
            }
        } else {
            missing.push(rel.display().to_string());
            Vec::new()
        };
        largest = objects.iter().map(|(c, _)| *c).chain(largest).max();
        samples.push(Sample {
            rel_path: rel.clone(),
            label: None,
            objects: Some(Arc::new(Objects {
                objects: objects
                    .into_iter()
                    .map(|(class, bbox)| Object {
                        bbox,
                        class,
                        crowd: false,
                    })
                    .collect(),
                units: Units::Normalized,
                stated_size: None,
                mask: None,
            })),
        });
    }
    let mut notes = Vec::new();
    if !missing.is_empty() {
        notes.push(warning(
            &labels,
            format!(
                "{} image(s) have no label file, and are read as images without objects: {}",
                missing.len(),
                first_few(&missing)
            ),
        ));
    }
    if polygons > 0 {
        notes.push(warning(
            &labels,
            format!("{polygons} segmentation line(s) read as their polygons' bounding boxes (their masks are not drawn)"),
        ));
    }
    let count = stated.unwrap_or_else(|| largest.map_or(0, |c| c as usize + 1));
    let classes = ObjectClasses {
        names: (0..count)
            .map(|i| {
                names
                    .as_ref()
                    .and_then(|n| n.get(i).cloned())
                    .unwrap_or_else(|| format!("class {i}"))
            })
            .collect(),
        ids: (0i64..).take(count).collect(),
        has_masks: false,
    };
    let what = format!(
        "the YOLO folder {:?}",
        images.strip_prefix(path).unwrap_or(&images)
    );
    let mut index = annotated_files::index_of(images, samples, warnings, classes, (what, LAYOUT));
    index.notes = notes;
    Ok(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::float_cmp)] // The boxes are the source's own arithmetic, exactly.
    fn lines_become_boxes_or_reasons() {
        let Ok(Line::Box(2, b)) = parse_line("2 0.5 0.25 0.2 0.1", Some(3)) else {
            panic!("not a box");
        };
        assert_eq!(
            [b.xmin, b.ymin, b.xmax, b.ymax],
            [0.5 - 0.1, 0.25 - 0.05, 0.5 + 0.1, 0.25 + 0.05]
        );
        let Ok(Line::Polygon(0, p)) = parse_line("0 0.1 0.2 0.5 0.1 0.3 0.9", None) else {
            panic!("not a polygon");
        };
        assert_eq!([p.xmin, p.ymin, p.xmax, p.ymax], [0.1, 0.1, 0.5, 0.9]);
        let reason = |line| parse_line(line, Some(3)).err().unwrap();
        assert_eq!(
            reason("1 0.5 0.5 0.1"),
            "4 number(s), expected class cx cy w h"
        );
        assert_eq!(reason("1 0.5 nan 0.1 0.1"), "holds NaN");
        assert_eq!(
            reason("3 0.5 0.5 0.1 0.1"),
            "class 3 is not below the 3 classes named"
        );
        assert_eq!(
            reason("1.5 0.5 0.5 0.1 0.1"),
            "class 1.5 is not a class index"
        );
        assert_eq!(reason("1 0.5 x 0.1 0.1"), "\"x\" is not a number");
        assert_eq!(
            parse_line("1000000 0.5 0.5 0.1 0.1", None).err().unwrap(),
            "class 1000000 is not below 1000000, the most classes a YOLO folder may have"
        );
        assert!(matches!(
            parse_line("999999 0.5 0.5 0.1 0.1", None),
            Ok(Line::Box(999_999, _))
        ));
        assert!(reason("1 0.5 0.5 0.1 0.1 0.9").starts_with("6 numbers"));
        // Finite numbers, but a corner past any image (beyond 2^32: inf in float32 once resized).
        assert_eq!(
            reason("0 1e308 0.5 1e308 0.25"),
            "xmin is 5e307, beyond ±4.294967296e9, farther than any image reaches"
        );
        assert_eq!(
            reason("0 0.1 0.2 5e9 0.1 0.3 0.9"),
            "xmax is 5e9, beyond ±4.294967296e9, farther than any image reaches"
        );
    }
}
