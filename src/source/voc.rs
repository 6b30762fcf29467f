//! Pascal VOC folders as a source: `Annotations/<id>.xml` with `JPEGImages/`.
//!
//! **Samples** are the ids of `ImageSets/Main/<split>.txt` with `--split` (its first word a line),
//! else every `Annotations/*.xml`, sorted by name. Each XML's `<filename>` names its image in
//! `JPEGImages/` (`<id>.jpg` when it has none); `<size>` is the stated size; each `<object>`'s
//! `<name>` its class and `<bndbox>` its box, in pixels as stated (VOC's are 1-based: kept as
//! written). `<difficult>` and `<truncated>` are not kept (no field of an object holds them).
//!
//! **Classes**: when every name is one of VOC's 20, the 20 in VOC's order (which is alphabetical),
//! so that indices are the usual ones whatever subset appears; else the names seen, sorted by code
//! point. The id of a class is its index.
//!
//! **Bad input** leaves the one image out with a warning naming the file and why: malformed XML
//! (with its line and column), a missing image, an object without a name or a full `<bndbox>`, a
//! coordinate that is not a number or is NaN or infinite, an image an XML before it names (one file
//! would be two samples). Negative coordinates are kept (health flags them). A split list's id that
//! is absolute or climbs out with `..` is never joined to a path, and one listed twice is read once:
//! each is left out with a warning naming the list and its line.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::SourceError;
use super::annotated_files::{self, first_few, warning};
use super::annotations::{BoxXyxy, Object, ObjectClasses, Objects, Units};
use super::probe::Probe;
use crate::index::{DatasetIndex, IndexWarning, Sample, WalkControl};
use crate::options::IndexOptions;
use crate::size::Size;

const LAYOUT: &str = "expected <folder>/Annotations/<id>.xml and <folder>/JPEGImages/<image>";

/// VOC's 20 classes, in its order.
pub const VOC_CLASSES: [&str; 20] = [
    "aeroplane",
    "bicycle",
    "bird",
    "boat",
    "bottle",
    "bus",
    "car",
    "cat",
    "chair",
    "cow",
    "diningtable",
    "dog",
    "horse",
    "motorbike",
    "person",
    "pottedplant",
    "sheep",
    "sofa",
    "train",
    "tvmonitor",
];

/// Whether `probe` is a folder holding `Annotations/` and `JPEGImages/`.
pub fn claims(probe: &Probe) -> bool {
    probe.is_dir
        && probe.path.join("Annotations").is_dir()
        && probe.path.join("JPEGImages").is_dir()
}

/// One XML as read: the image, its stated size, its objects by class name.
#[derive(Debug)]
struct Parsed {
    image: PathBuf,
    stated_size: Option<Size>,
    objects: Vec<(String, BoxXyxy)>,
}

/// The text of `node`'s child `name`, trimmed.
fn child_text<'a>(node: roxmltree::Node<'a, '_>, name: &str) -> Option<&'a str> {
    node.children()
        .find(|c| c.has_tag_name(name))
        .and_then(|c| c.text())
        .map(str::trim)
}

/// Parses one annotation XML (of sample `id`), or says why it cannot be read.
fn parse(text: &str, id: &str) -> Result<Parsed, String> {
    let document = roxmltree::Document::parse(text).map_err(|e| {
        let at = e.pos();
        format!("malformed XML at line {} column {}: {e}", at.row, at.col)
    })?;
    let root = document.root_element();
    let image = child_text(root, "filename")
        .filter(|f| !f.is_empty())
        .map_or_else(|| format!("{id}.jpg"), str::to_owned);
    let image = annotated_files::relative_name(&image)?;
    let stated_size = root
        .children()
        .find(|c| c.has_tag_name("size"))
        .and_then(|size| {
            let read = |name| child_text(size, name).and_then(|t| t.parse::<f64>().ok());
            match (read("height"), read("width")) {
                (Some(h), Some(w)) if h >= 1.0 && w >= 1.0 && h < 1e9 && w < 1e9 => Some(Size {
                    height: h as u32,
                    width: w as u32,
                }),
                _ => None,
            }
        });
    let mut objects = Vec::new();
    for (n, object) in root
        .children()
        .filter(|c| c.has_tag_name("object"))
        .enumerate()
    {
        let name = child_text(object, "name")
            .filter(|n| !n.is_empty())
            .ok_or_else(|| format!("object {n} has no <name>"))?;
        let bndbox = object
            .children()
            .find(|c| c.has_tag_name("bndbox"))
            .ok_or_else(|| format!("object {n} ({name}) has no <bndbox>"))?;
        let mut corners = [0.0; 4];
        for (value, tag) in corners.iter_mut().zip(["xmin", "ymin", "xmax", "ymax"]) {
            let text = child_text(bndbox, tag)
                .ok_or_else(|| format!("object {n} ({name}) has no <{tag}>"))?;
            *value = text
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("object {n} ({name}): <{tag}> is {text:?}, not a number"))?;
        }
        let [xmin, ymin, xmax, ymax] = corners;
        let bbox = BoxXyxy {
            xmin,
            ymin,
            xmax,
            ymax,
        }
        .checked()
        .map_err(|reason| format!("object {n} ({name}): {reason}"))?;
        objects.push((name.to_owned(), bbox));
    }
    Ok(Parsed {
        image,
        stated_size,
        objects,
    })
}

/// The sample ids: the split's list, or every XML's name. A listed id that is not a name inside the
/// dataset (absolute, or climbing out with `..`: it would read files outside it), or that repeats
/// one listed before it, is left out with a warning naming the list and its line.
fn ids(
    root: &Path,
    split: Option<&str>,
    warnings: &mut Vec<IndexWarning>,
) -> Result<Vec<String>, SourceError> {
    let unusable = |reason: String, path: &Path| SourceError::Unusable {
        reason,
        path: path.to_path_buf(),
    };
    if let Some(split) = split {
        let main = root.join("ImageSets").join("Main");
        let list = main.join(format!("{split}.txt"));
        if !list.is_file() {
            let mut splits: Vec<String> = std::fs::read_dir(&main)
                .map(|e| {
                    e.flatten()
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .filter_map(|n| n.strip_suffix(".txt").map(str::to_owned))
                        .filter(|n| !n.contains('_'))
                        .collect()
                })
                .unwrap_or_default();
            splits.sort();
            return Err(unusable(
                format!(
                    "no split {split:?} (the splits in ImageSets/Main are: {})",
                    if splits.is_empty() {
                        "none".to_owned()
                    } else {
                        splits.join(", ")
                    }
                ),
                &list,
            ));
        }
        let text =
            annotated_files::read_text(&list, 1 << 30, None).map_err(|r| unusable(r, &list))?;
        // Windows editors start a UTF-8 file with a BOM, which is no part of the first id.
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let mut first_lines: HashMap<&str, usize> = HashMap::new();
        let (mut ids, mut outside, mut again) = (Vec::new(), Vec::new(), Vec::new());
        for (n, id) in text
            .lines()
            .enumerate()
            .filter_map(|(n, l)| Some((n + 1, l.split_whitespace().next()?)))
        {
            let shown = || annotated_files::quoted(id);
            if annotated_files::relative_name(id).is_err() {
                outside.push(format!("line {n} {}", shown()));
            } else if let Some(first) = first_lines.get(id) {
                again.push(format!("line {n} {} (first on line {first})", shown()));
            } else {
                first_lines.insert(id, n);
                ids.push(id.to_owned());
            }
        }
        // One warning a kind, however many lines: a list of millions of repeats is one problem.
        if !outside.is_empty() {
            warnings.push(warning(
                &list,
                format!(
                    "{} id(s) are not names inside the dataset folder, and are left out: {}",
                    outside.len(),
                    first_few(&outside)
                ),
            ));
        }
        if !again.is_empty() {
            warnings.push(warning(
                &list,
                format!(
                    "{} id(s) are listed again, and read once: {}",
                    again.len(),
                    first_few(&again)
                ),
            ));
        }
        return Ok(ids);
    }
    let annotations = root.join("Annotations");
    let mut ids: Vec<String> = std::fs::read_dir(&annotations)
        .map_err(|e| unusable(format!("cannot be listed: {e}"), &annotations))?
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".xml").map(str::to_owned)
        })
        .collect();
    ids.sort();
    Ok(ids)
}

/// The classes of the names seen (see the module's doc).
fn classes_of(seen: &BTreeSet<String>) -> ObjectClasses {
    let names: Vec<String> = if seen.iter().all(|n| VOC_CLASSES.contains(&n.as_str())) {
        VOC_CLASSES.iter().map(|&n| n.to_owned()).collect()
    } else {
        seen.iter().cloned().collect()
    };
    ObjectClasses {
        ids: (0i64..).take(names.len()).collect(),
        names,
        has_masks: false,
    }
}

/// Indexes the VOC folder at `path` (see the module's doc); each XML is read up to `max_bytes`.
pub fn open_index(
    path: &Path,
    options: &IndexOptions,
    max_bytes: u64,
    control: &WalkControl<'_>,
) -> Result<DatasetIndex, SourceError> {
    let mut warnings: Vec<IndexWarning> = Vec::new();
    let ids = ids(path, options.split.as_deref(), &mut warnings)?;
    let (annotations, images) = (path.join("Annotations"), path.join("JPEGImages"));
    let mut parsed = Vec::with_capacity(ids.len());
    // Each image's XML, so that a second XML naming it is not a second sample of one file.
    let mut named_by: HashMap<PathBuf, &str> = HashMap::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        if i % 512 == 0 {
            (control.on_progress)(i);
            if control.cancel.load(std::sync::atomic::Ordering::Relaxed) {
                return Err(SourceError::Cancelled);
            }
        }
        let xml = annotations.join(format!("{id}.xml"));
        let read = annotated_files::read_text(&xml, max_bytes, Some("--max-file-bytes"))
            .and_then(|t| parse(&t, id));
        match read {
            Ok(mut one) => {
                if !images.join(&one.image).is_file() {
                    let fallback = PathBuf::from(format!("{id}.jpg"));
                    if images.join(&fallback).is_file() {
                        one.image = fallback;
                    } else {
                        warnings.push(warning(
                            &images.join(&one.image),
                            format!("named by {id}.xml but missing"),
                        ));
                        continue;
                    }
                }
                let file = annotated_files::file_key(&one.image);
                if let Some(first) = named_by.get(&file) {
                    warnings.push(warning(
                        &xml,
                        format!(
                            "names the image {:?}, as {first}.xml does; this annotation is left out",
                            one.image
                        ),
                    ));
                    continue;
                }
                named_by.insert(file, id);
                parsed.push(one);
            }
            Err(reason) => warnings.push(warning(&xml, format!("{reason}; its image is left out"))),
        }
    }
    let seen: BTreeSet<String> = parsed
        .iter()
        .flat_map(|p| p.objects.iter().map(|(name, _)| name.clone()))
        .collect();
    let classes = classes_of(&seen);
    let samples = parsed
        .into_iter()
        .map(|one| Sample {
            rel_path: one.image,
            label: None,
            objects: Some(Arc::new(Objects {
                objects: one
                    .objects
                    .into_iter()
                    .map(|(name, bbox)| Object {
                        bbox,
                        class: classes
                            .names
                            .iter()
                            .position(|n| *n == name)
                            .map_or(0, |i| i as u32),
                        crowd: false,
                    })
                    .collect(),
                units: Units::Pixels,
                stated_size: one.stated_size,
                mask: None,
            })),
        })
        .collect();
    let what = format!(
        "the Pascal VOC folder {:?}{}",
        path.file_name().unwrap_or_default(),
        options
            .split
            .as_deref()
            .map_or_else(String::new, |s| format!(", split {s:?}"))
    );
    Ok(annotated_files::index_of(
        images,
        samples,
        warnings,
        classes,
        (what, LAYOUT),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::float_cmp)] // The numbers are the file's, exactly.
    fn an_annotation_reads_as_stated_and_bad_ones_say_where() {
        let xml = "<annotation><filename>a.jpg</filename><size><width>500</width><height>375</height><depth>3</depth></size>\
            <object><name>dog</name><difficult>1</difficult><bndbox><xmin>48</xmin><ymin>-2</ymin><xmax>195.5</xmax><ymax>371</ymax></bndbox></object></annotation>";
        let one = parse(xml, "a").unwrap();
        assert_eq!(one.image, PathBuf::from("a.jpg"));
        assert_eq!(
            one.stated_size,
            Some(Size {
                height: 375,
                width: 500
            })
        );
        assert_eq!(one.objects.len(), 1);
        let (name, b) = &one.objects[0];
        assert_eq!(name, "dog");
        assert_eq!([b.xmin, b.ymin, b.xmax, b.ymax], [48.0, -2.0, 195.5, 371.0]);
        let broken = parse("<annotation>\n<object><name>x</name>\n</annotatio>", "b").unwrap_err();
        assert!(
            broken.starts_with("malformed XML at line 3 column"),
            "{broken}"
        );
        let nan = parse(
            "<annotation><object><name>x</name><bndbox><xmin>nan</xmin><ymin>0</ymin><xmax>1</xmax><ymax>1</ymax></bndbox></object></annotation>",
            "c",
        )
        .unwrap_err();
        assert_eq!(nan, "object 0 (x): <xmin> is \"nan\", not a number");
        assert_eq!(
            parse("<annotation/>", "d").unwrap().image,
            PathBuf::from("d.jpg")
        );
    }

    #[test]
    fn classes_are_vocs_twenty_or_the_names_sorted() {
        let voc: BTreeSet<String> = ["dog", "cat"].map(String::from).into();
        let classes = classes_of(&voc);
        assert_eq!(classes.names.len(), 20);
        assert_eq!(classes.names[7], "cat");
        assert_eq!(classes.names[11], "dog");
        let other: BTreeSet<String> = ["dog", "Zebra", "apple"].map(String::from).into();
        assert_eq!(classes_of(&other).names, vec!["Zebra", "apple", "dog"]);
        assert_eq!(classes_of(&other).ids, vec![0, 1, 2]);
    }
}
