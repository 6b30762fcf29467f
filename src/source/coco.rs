//! COCO detection and segmentation files as a source: an `instances_*.json` and the image folder
//! beside it.
//!
//! **Layouts.** The path is the JSON itself, or a folder holding `annotations/<name>.json` (COCO's
//! own `annotations/instances_val2017.json` + `val2017/`) or holding the JSON beside its images. A
//! folder with several COCO JSONs needs `--split` (`--split val2017` takes
//! `instances_val2017.json`). The images are looked for, in order, in `<base>/<split>`,
//! `<base>/images/<split>`, `<base>/images`, `<base>` (where `<base>` is the folder holding
//! `annotations/`, else the JSON's folder, and `<split>` the JSON's name without `instances_`): the
//! first that holds the first listed image is the image folder.
//!
//! **Samples** are the `images` array, in its order; an image without annotations is a sample with
//! no objects. `bbox` `[x, y, w, h]` is kept in pixels as `[x, y, x + w, y + h]`, `iscrowd` as
//! [`Object::crowd`], `width`/`height` as the stated size, `segmentation` polygons and RLE (counts
//! list or compressed string) as the masks. Classes are the `categories`' ids in ascending order.
//!
//! **Bad input** is reported, never fatal unless the whole file is unusable: an image whose file is
//! missing, whose name leaves the image folder, whose id repeats, or whose file an image before it
//! names (one file would be two samples) is left out with a warning (so `skipped.csv` lists it); an annotation of an unknown image id is counted in one warning; one of
//! an unknown category is kept, its class named `class <id>`, with a warning; an annotation whose
//! `bbox` is not four finite numbers, or whose polygon holds NaN, leaves its image out with a
//! warning (Python's `json.dump` writes `NaN` and `Infinity`, which JSON has not: they are read, as
//! pycocotools reads them, and reported so). Negative coordinates and sizes are kept as stated
//! (health flags them). Malformed JSON is refused with its line and column. A polygon far outside
//! its image, or too long to walk, fails its image when its mask is painted (see
//! [`coco_rle::polygon_counts`](super::annotations::coco_rle::polygon_counts)).
//!
//! **Memory** stays bounded by what is kept: the file is parsed as a stream into typed records that
//! skip every field not read (`info`, `licenses`, `area`, ...), and a file over `--max-file-bytes`
//! is refused before it is read, with its size and the flag that raises the limit.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::SourceError;
use super::annotated_files::{self, first_few, warning};
use super::annotations::{BoxXyxy, MaskRef, Object, ObjectClasses, Objects, Units};
use super::probe::Probe;
use crate::index::{DatasetIndex, IndexWarning, Sample, WalkControl};
use crate::options::IndexOptions;
use crate::size::Size;
use json::{CocoAnnotation, CocoImage, Counts, Flag, Number, Segmentation};

mod json;

const LAYOUT: &str = "expected an instances_*.json (given, or in <folder>/annotations/) and its images in <folder>/<split>/, <folder>/images/ or beside it";

/// Whether a file looks like a COCO JSON: a `.json` whose first 64 KiB open an object and name
/// `"images"` (COCO writes `info` and `licenses` first, both short).
pub fn looks_like_coco(path: &Path) -> bool {
    if !path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        return false;
    }
    let Ok((file, _)) = crate::decode::open_regular(path) else {
        return false;
    };
    let mut head = Vec::new();
    if file.take(64 * 1024).read_to_end(&mut head).is_err() {
        return false;
    }
    let text = String::from_utf8_lossy(&head);
    text.trim_start().starts_with('{') && text.contains("\"images\"")
}

/// The COCO JSONs of a folder: those in `annotations/`, else its own. A folder of more than
/// [`MAX_LOOKED_AT`] JSON files (a sidecar per image, as labelme writes) has only its
/// `instances_*.json` looked into, so that detecting any folder stays cheap.
fn candidates(dir: &Path) -> Vec<PathBuf> {
    let listed = |d: &Path| -> Vec<PathBuf> {
        let mut jsons: Vec<PathBuf> = fs::read_dir(d)
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| {
                        p.extension()
                            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
                    })
                    .collect()
            })
            .unwrap_or_default();
        if jsons.len() > MAX_LOOKED_AT {
            jsons.retain(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("instances_"))
            });
        }
        let mut found: Vec<PathBuf> = jsons
            .into_iter()
            .filter(|p| p.is_file() && looks_like_coco(p))
            .collect();
        found.sort();
        found
    };
    let annotations = listed(&dir.join("annotations"));
    if annotations.is_empty() {
        listed(dir)
    } else {
        annotations
    }
}

/// How many JSON files of a folder detection looks into at most (see [`candidates`]).
const MAX_LOOKED_AT: usize = 16;

/// Whether `probe` is a COCO JSON or a folder holding one (itself or in `annotations/`).
pub fn claims(probe: &Probe) -> bool {
    (probe.is_file() && looks_like_coco(&probe.path))
        || (probe.is_dir && !candidates(&probe.path).is_empty())
}

/// The split a JSON's name states: `instances_val2017.json` → `val2017`.
fn split_of(json: &Path) -> String {
    let stem = json
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    stem.strip_prefix("instances_").unwrap_or(&stem).to_owned()
}

/// The JSON to read at `path` (the file, or the one of a folder that `split` names).
fn choose_json(path: &Path, split: Option<&str>) -> Result<PathBuf, SourceError> {
    if !path.is_dir() {
        return Ok(path.to_path_buf());
    }
    let unusable = |reason: String| SourceError::Unusable {
        reason,
        path: path.to_path_buf(),
    };
    let found = candidates(path);
    let names: Vec<String> = found.iter().map(|p| split_of(p)).collect();
    match (split, found.len()) {
        (_, 0) => Err(unusable(format!("no COCO JSON found ({LAYOUT})"))),
        (Some(split), _) => found
            .iter()
            .find(|p| split_of(p) == split)
            .cloned()
            .ok_or_else(|| {
                unusable(format!(
                    "no COCO JSON of split {split:?} (the splits are {})",
                    names.join(", ")
                ))
            }),
        (None, 1) => Ok(found[0].clone()),
        (None, _) => Err(unusable(format!(
            "several COCO JSONs ({}): --split says which",
            names.join(", ")
        ))),
    }
}

/// The image folder of `json` whose first image is `first` (see the module's doc).
fn image_folder(json: &Path, first: Option<&Path>) -> PathBuf {
    let dir = json.parent().unwrap_or(Path::new(".")).to_path_buf();
    let base = if dir.file_name().is_some_and(|n| n == "annotations") {
        dir.parent().unwrap_or(Path::new(".")).to_path_buf()
    } else {
        dir.clone()
    };
    let split = split_of(json);
    let places = [
        base.join(&split),
        base.join("images").join(&split),
        base.join("images"),
        base.clone(),
        dir,
    ];
    if let Some(first) = first
        && let Some(found) = places.iter().find(|p| p.join(first).is_file())
    {
        return found.clone();
    }
    places.into_iter().find(|p| p.is_dir()).unwrap_or(base)
}

/// One image's objects as they are gathered.
#[derive(Default)]
struct Gathered {
    objects: Vec<Object>,
    polygons: Vec<(usize, Vec<Vec<f64>>)>,
    runs: Vec<(usize, u32, u32, Vec<u32>)>,
    /// Why the image is left out, if it is.
    dropped: Option<String>,
    /// Whether it names the file of an image before it (left out, the JSON's warning says so).
    repeats_a_file: bool,
}

impl Gathered {
    fn drop_with(&mut self, reason: String) {
        if self.dropped.is_none() {
            self.dropped = Some(reason);
        }
    }

    fn mask(&mut self) -> Option<MaskRef> {
        let polygons = std::mem::take(&mut self.polygons);
        let runs = std::mem::take(&mut self.runs);
        match (polygons.is_empty(), runs.is_empty()) {
            (true, true) => None,
            (false, true) => Some(MaskRef::Polygons(polygons)),
            (true, false) => Some(MaskRef::Rle(runs)),
            (false, false) => Some(MaskRef::PolygonsAndRle(polygons, runs)),
        }
    }
}

/// Indexes the COCO dataset at `path` (see the module's doc).
pub fn open_index(
    path: &Path,
    options: &IndexOptions,
    max_bytes: u64,
    control: &WalkControl<'_>,
) -> Result<DatasetIndex, SourceError> {
    let json = choose_json(path, options.split.as_deref())?;
    let coco = json::parse(&json, max_bytes, control.cancel)?;
    let mut warnings = Vec::new();
    let first = coco
        .images
        .first()
        .and_then(|i| annotated_files::relative_name(&i.file_name).ok());
    let folder = image_folder(&json, first.as_deref());

    let names: HashMap<i64, String> = coco
        .categories
        .iter()
        .filter_map(|c| c.name.clone().map(|n| (c.id, n)))
        .collect();
    let listed: HashSet<i64> = coco.categories.iter().map(|c| c.id).collect();
    let mut unknown_categories: Vec<i64> = coco
        .annotations
        .iter()
        .map(|a| a.category_id)
        .filter(|id| !listed.contains(id))
        .collect();
    unknown_categories.sort_unstable();
    unknown_categories.dedup();
    let mut notes = Vec::new();
    if !unknown_categories.is_empty() {
        notes.push(warning(
            &json,
            format!(
                "annotations refer to {} category id(s) that `categories` does not list ({}): kept as classes named \"class <id>\"",
                unknown_categories.len(),
                first_few(&unknown_categories)
            ),
        ));
    }
    let classes = ObjectClasses::from_ids(listed.iter().copied().chain(unknown_categories), |id| {
        names.get(&id).cloned()
    });

    let (slots, mut gathered) = gather_images(&coco.images, &json, &mut warnings);
    gather_annotations(
        coco.annotations,
        &slots,
        &classes,
        &mut gathered,
        &json,
        &mut warnings,
    );

    let mut samples = Vec::with_capacity(coco.images.len());
    let mut missing = Vec::new();
    for (image, mut one) in coco.images.iter().zip(gathered) {
        let Ok(rel) = annotated_files::relative_name(&image.file_name) else {
            continue; // Reported by gather_images.
        };
        if one.repeats_a_file {
            continue; // Reported by gather_images.
        }
        if let Some(reason) = one.dropped.take() {
            warnings.push(warning(&folder.join(&rel), reason));
            continue;
        }
        if !folder.join(&rel).is_file() {
            missing.push((folder.join(&rel), folder.join(&rel).exists()));
            continue;
        }
        let mask = one.mask();
        let stated_size = stated_size(image);
        samples.push(Sample {
            rel_path: rel,
            label: None,
            objects: Some(Arc::new(Objects {
                objects: one.objects,
                units: Units::Pixels,
                stated_size,
                mask,
            })),
        });
    }
    for (file, exists) in missing {
        let listed = json.file_name().unwrap_or_default();
        warnings.push(IndexWarning {
            reason: if exists {
                format!("listed in {listed:?} but not a regular file")
            } else {
                format!("listed in {listed:?} but missing")
            },
            path: file,
        });
    }
    (control.on_progress)(samples.len());
    let what = format!("the COCO file {:?}", json.file_name().unwrap_or_default());
    let mut index = annotated_files::index_of(folder, samples, warnings, classes, (what, LAYOUT));
    index.notes = notes;
    Ok(index)
}

/// The box of the annotation `name` from its `bbox` (`[x, y, w, h]` in pixels), or why its image is
/// left out: no bbox, an entry that is not a finite number, not four of them, or a corner no resize
/// keeps a float32 ([`BoxXyxy::checked`]).
fn bbox_of(name: &str, bbox: Option<&[json::BoxEntry]>) -> Result<BoxXyxy, String> {
    let not_four =
        |shown: &str| format!("{name}'s bbox is {shown}, not four finite numbers [x, y, w, h]");
    let numbers = match bbox.map(json::box_numbers) {
        None => return Err(format!("{name} has no bbox")),
        Some(Err(shown)) => return Err(not_four(&shown)),
        Some(Ok(numbers)) => numbers,
    };
    let &[x, y, w, h] = numbers.as_slice() else {
        return Err(not_four(&format!("{numbers:?}")));
    };
    if ![x, y, w, h].iter().all(|v| v.is_finite()) {
        return Err(not_four(&format!("{numbers:?}")));
    }
    BoxXyxy {
        xmin: x,
        ymin: y,
        xmax: x + w,
        ymax: y + h,
    }
    .checked()
    .map_err(|reason| {
        format!(
            "{name}'s bbox {:?} cannot be placed: {reason}",
            [x, y, w, h]
        )
    })
}

/// The size an image's `width` and `height` state, when both are whole numbers of pixels.
fn stated_size(image: &CocoImage) -> Option<Size> {
    let side = |n: Option<Number>| {
        n.map(|Number(v)| v)
            .filter(|v| *v >= 1.0 && *v < f64::from(u32::MAX) && v.fract() == 0.0)
            .map(|v| v as u32)
    };
    match (side(image.height), side(image.width)) {
        (Some(height), Some(width)) => Some(Size { height, width }),
        _ => None,
    }
}

/// Each image's slot by id (the first of a repeated id), and an empty gathering per image; images
/// whose name is unusable, whose id repeats, or that name the file of an image before them (which
/// would be one file as two samples) are dropped with a warning.
fn gather_images(
    images: &[CocoImage],
    json: &Path,
    warnings: &mut Vec<IndexWarning>,
) -> (HashMap<i64, usize>, Vec<Gathered>) {
    let mut slots: HashMap<i64, usize> = HashMap::with_capacity(images.len());
    let mut files: HashMap<PathBuf, i64> = HashMap::with_capacity(images.len());
    let mut gathered: Vec<Gathered> = images.iter().map(|_| Gathered::default()).collect();
    for (i, image) in images.iter().enumerate() {
        let rel = match annotated_files::relative_name(&image.file_name) {
            Ok(rel) => rel,
            Err(reason) => {
                warnings.push(warning(json, format!("image id {}: {reason}", image.id)));
                continue;
            }
        };
        if let Some(&first) = slots.get(&image.id) {
            gathered[i].drop_with(format!(
                "image id {} is listed twice (first as {:?}); this one is left out",
                image.id, images[first].file_name
            ));
            continue;
        }
        let file = annotated_files::file_key(&rel);
        if let Some(&first) = files.get(&file) {
            warnings.push(warning(
                json,
                format!(
                    "image id {} names {:?}, as image id {first} does; this one and its annotations are left out",
                    image.id, image.file_name
                ),
            ));
            gathered[i].repeats_a_file = true;
        } else {
            files.insert(file, image.id);
        }
        slots.insert(image.id, i);
    }
    (slots, gathered)
}

/// Each annotation added to its image's objects (see the module's doc for what is reported).
fn gather_annotations(
    annotations: Vec<CocoAnnotation>,
    slots: &HashMap<i64, usize>,
    classes: &ObjectClasses,
    gathered: &mut [Gathered],
    json: &Path,
    warnings: &mut Vec<IndexWarning>,
) {
    let mut orphans = Vec::new();
    let mut odd_masks = 0usize;
    // Taken by value: each annotation's polygons move into its image, and the rest is freed.
    for (n, annotation) in annotations.into_iter().enumerate() {
        let name = annotation.id.map_or_else(
            || format!("annotation #{n}"),
            |id| format!("annotation id {id}"),
        );
        let Some(&slot) = slots.get(&annotation.image_id) else {
            orphans.push(format!("{name} (image id {})", annotation.image_id));
            continue;
        };
        let one = &mut gathered[slot];
        if let Some(Flag::Other(value)) = &annotation.iscrowd {
            let shown = annotated_files::shortened(&value.to_string());
            one.drop_with(format!(
                "{name}'s iscrowd is {shown}, not 0, 1 or a boolean"
            ));
            continue;
        }
        let bbox = match bbox_of(&name, annotation.bbox.as_deref()) {
            Ok(bbox) => bbox,
            Err(reason) => {
                one.drop_with(reason);
                continue;
            }
        };
        let number = one.objects.len();
        one.objects.push(Object {
            bbox,
            class: classes.index_of(annotation.category_id).unwrap_or(0),
            crowd: matches!(annotation.iscrowd, Some(Flag::Int(1) | Flag::Bool(true))),
        });
        let (rings, segmentation) = match annotation.segmentation {
            Some(Segmentation::Polygons(rings)) => (rings, None),
            Some(Segmentation::Ring(ring)) if !ring.is_empty() => (vec![ring], None),
            other => (Vec::new(), other),
        };
        if rings.iter().flatten().any(|v| !v.is_finite()) {
            one.drop_with(format!("{name}'s segmentation holds NaN or infinity"));
            continue;
        }
        if !rings.is_empty() {
            one.polygons.push((number, rings));
        }
        match segmentation {
            Some(Segmentation::Rle { counts, size }) => {
                let counts = match counts {
                    Counts::List(list) => Ok(list),
                    Counts::Text(text) => super::annotations::coco_rle::decode_counts(&text),
                };
                match counts {
                    Ok(counts) => one.runs.push((number, size[0], size[1], counts)),
                    Err(reason) => one.drop_with(format!("{name}'s segmentation: {reason}")),
                }
            }
            Some(Segmentation::Other(_)) => odd_masks += 1,
            _ => {}
        }
    }
    if !orphans.is_empty() {
        warnings.push(warning(
            json,
            format!(
                "{} annotation(s) refer to image ids that `images` does not list, and are not read: {}",
                orphans.len(),
                first_few(&orphans)
            ),
        ));
    }
    if odd_masks > 0 {
        warnings.push(warning(
            json,
            format!("{odd_masks} annotation(s) have a segmentation that is neither polygons nor RLE; their objects are kept without a mask"),
        ));
    }
}
