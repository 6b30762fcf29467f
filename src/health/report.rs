//! The findings as the command line shows them: JSON with exactly the keys of the documented schema
//! (`duplicates`, `leaks`, `flags`, `channels`, `classes`, `imbalance_ratio`, and `objects` for a
//! dataset that annotates objects; paths relative to the
//! dataset root with `/`, as in `manifest.csv`), and a readable text summary.

use std::fmt::Write as _;

use serde::Serialize;

use super::objects::{Detail, ObjectFinding};
use super::{Findings, FlagKind, ObjectFindings, ObjectIssue, Scan};
use crate::export::manifest_path_bytes;
use crate::source::annotations::Units;

/// The JSON document.
#[derive(Debug, Serialize)]
pub struct Json {
    /// Duplicate groups.
    pub duplicates: Vec<JsonDuplicate>,
    /// Leaks across the split.
    pub leaks: Vec<JsonLeak>,
    /// Flagged images.
    pub flags: Vec<JsonFlag>,
    /// Mean and std per channel, 0..255.
    pub channels: super::ChannelStats,
    /// Planned samples per class (in label order).
    pub classes: serde_json::Map<String, serde_json::Value>,
    /// Largest over smallest non-empty class, `null` without classes.
    pub imbalance_ratio: Option<f64>,
    /// The annotation checks (only for a dataset that annotates objects).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub objects: Option<JsonObjects>,
}

/// The annotation checks.
#[derive(Debug, Serialize)]
pub struct JsonObjects {
    /// Annotated images checked.
    pub images: usize,
    /// Objects checked.
    pub objects: usize,
    /// Findings per kind (every kind, 0 included), in report order.
    pub counts: serde_json::Map<String, serde_json::Value>,
    /// Every finding, kind by kind.
    pub findings: Vec<JsonObjectFinding>,
    /// Per class (in class order): `{"objects": n, "images": m}`.
    pub classes: serde_json::Map<String, serde_json::Value>,
    /// Most objects of a class over fewest of a non-empty class, `null` without objects.
    pub imbalance_ratio: Option<f64>,
}

/// One annotation finding: the image, and the object (number from 0, class, box as stated) unless
/// the finding is about the whole image.
#[derive(Debug, Serialize)]
pub struct JsonObjectFinding {
    /// The image.
    pub path: String,
    /// What is wrong.
    pub kind: super::ObjectIssue,
    /// The object's number in its image (from 0, the source's order).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<usize>,
    /// Its class name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// Its box as the source states it, `[xmin, ymin, xmax, ymax]` (`null` for NaN).
    #[serde(rename = "box", skip_serializing_if = "Option::is_none")]
    pub bbox: Option<[Option<f64>; 4]>,
    /// `normalized` or `pixels`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub units: Option<&'static str>,
    /// A duplicate: the earlier object it repeats.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<usize>,
    /// A duplicate: the intersection over union of the two.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iou: Option<f64>,
    /// A tiny box: its width in pixels, when the image's size is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width_px: Option<f64>,
    /// A tiny box: its height in pixels, when the image's size is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height_px: Option<f64>,
    /// A tiny box: its area over the image's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub area_fraction: Option<f64>,
    /// A size mismatch: the size the annotation states.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stated_size: Option<JsonSize>,
    /// A size mismatch: the decoded image's size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decoded_size: Option<JsonSize>,
}

/// An image size, named: `{"height": 48, "width": 64}`.
#[derive(Debug, Serialize)]
pub struct JsonSize {
    /// Rows.
    pub height: u32,
    /// Columns.
    pub width: u32,
}

impl From<crate::size::Size> for JsonSize {
    fn from(s: crate::size::Size) -> Self {
        Self {
            height: s.height,
            width: s.width,
        }
    }
}

/// One duplicate group.
#[derive(Debug, Serialize)]
pub struct JsonDuplicate {
    /// `exact` or `near`.
    pub kind: super::DuplicateKind,
    /// Member paths.
    pub paths: Vec<String>,
    /// 1 for exact; lowest hash similarity for near.
    pub score: f64,
}

/// One leak.
#[derive(Debug, Serialize)]
pub struct JsonLeak {
    /// Member paths.
    pub paths: Vec<String>,
    /// The subset of each path (`training` or `validation`).
    pub subsets: Vec<crate::options::Subset>,
}

/// One flag.
#[derive(Debug, Serialize)]
pub struct JsonFlag {
    /// The image.
    pub path: String,
    /// The flag's kind.
    pub kind: FlagKind,
    /// Its score.
    pub score: f64,
}

/// Sample `i`'s path relative to the root, `/`-separated (lossy UTF-8 for JSON).
pub fn rel_path(scan: &Scan, sample: usize) -> String {
    String::from_utf8_lossy(&manifest_path_bytes(&scan.index.samples[sample].rel_path)).into_owned()
}

/// The JSON document of `findings`.
pub fn json(scan: &Scan, findings: &Findings) -> Json {
    let paths = |samples: &[usize]| samples.iter().map(|&s| rel_path(scan, s)).collect();
    Json {
        duplicates: findings
            .duplicates
            .iter()
            .map(|g| JsonDuplicate {
                kind: g.kind,
                paths: paths(&g.samples),
                score: g.score,
            })
            .collect(),
        leaks: findings
            .leaks
            .iter()
            .map(|l| JsonLeak {
                paths: paths(&l.samples),
                subsets: l.subsets.clone(),
            })
            .collect(),
        flags: findings
            .flags
            .iter()
            .map(|f| JsonFlag {
                path: rel_path(scan, f.sample),
                kind: f.kind,
                score: f.score,
            })
            .collect(),
        channels: findings.channels.clone(),
        classes: findings
            .classes
            .iter()
            .map(|(name, n)| (name.clone(), serde_json::Value::from(*n)))
            .collect(),
        imbalance_ratio: findings.imbalance_ratio,
        objects: findings.objects.as_ref().map(|o| json_objects(scan, o)),
    }
}

fn json_objects(scan: &Scan, found: &ObjectFindings) -> JsonObjects {
    let class_name = |c: u32| {
        found
            .classes
            .get(c as usize)
            .map_or_else(|| format!("class index {c}"), |c| c.name.clone())
    };
    let finite = |v: f64| v.is_finite().then_some(v);
    JsonObjects {
        images: found.images,
        objects: found.objects,
        counts: ObjectIssue::ALL
            .iter()
            .map(|&k| (k.name().to_owned(), found.count(k).into()))
            .collect(),
        findings: found
            .findings
            .iter()
            .map(|f| {
                let mut row = JsonObjectFinding {
                    path: rel_path(scan, f.sample),
                    kind: f.kind,
                    object: f.object.map(|o| o.number),
                    class: f.object.map(|o| class_name(o.class)),
                    bbox: f
                        .object
                        .map(|o| [o.bbox.xmin, o.bbox.ymin, o.bbox.xmax, o.bbox.ymax].map(finite)),
                    units: f.object.map(|o| units_name(o.units)),
                    duplicate_of: None,
                    iou: None,
                    width_px: None,
                    height_px: None,
                    area_fraction: None,
                    stated_size: None,
                    decoded_size: None,
                };
                match f.detail {
                    Detail::None => {}
                    Detail::Duplicate { of, iou } => {
                        (row.duplicate_of, row.iou) = (Some(of), Some(iou));
                    }
                    Detail::Tiny {
                        pixels,
                        area_fraction,
                    } => {
                        (row.width_px, row.height_px) = (pixels.map(|p| p.0), pixels.map(|p| p.1));
                        row.area_fraction = Some(area_fraction);
                    }
                    Detail::Sizes { stated, decoded } => {
                        row.stated_size = Some(stated.into());
                        row.decoded_size = Some(decoded.into());
                    }
                }
                row
            })
            .collect(),
        classes: found
            .classes
            .iter()
            .map(|c| {
                (
                    c.name.clone(),
                    serde_json::json!({"objects": c.objects, "images": c.images}),
                )
            })
            .collect(),
        imbalance_ratio: found.imbalance_ratio,
    }
}

/// How the JSON and the summary spell a box's units.
fn units_name(units: Units) -> &'static str {
    match units {
        Units::Normalized => "normalized",
        Units::Pixels => "pixels",
    }
}

/// One annotation finding as a summary line: `inverted_box: a.png object 1 (cat) [50, 10, 40, 30] pixels`.
pub fn object_line(scan: &Scan, found: &ObjectFindings, f: &ObjectFinding) -> String {
    let mut line = format!("{}: {}", f.kind, rel_path(scan, f.sample));
    if let Some(o) = f.object {
        let name = found
            .classes
            .get(o.class as usize)
            .map_or("?", |c| c.name.as_str());
        let _ = write!(
            line,
            " object {} ({name}) [{}, {}, {}, {}] {}",
            o.number,
            o.bbox.xmin,
            o.bbox.ymin,
            o.bbox.xmax,
            o.bbox.ymax,
            units_name(o.units)
        );
    }
    match f.detail {
        Detail::None => {}
        Detail::Duplicate { of, iou } => {
            let _ = write!(line, ", IoU {iou:.3} with object {of}");
        }
        Detail::Tiny {
            pixels,
            area_fraction,
        } => {
            if let Some((w, h)) = pixels {
                let _ = write!(line, ", {w:.1} px wide, {h:.1} px high");
            }
            let _ = write!(line, ", {:.4}% of the image", area_fraction * 100.0);
        }
        Detail::Sizes { stated, decoded } => {
            let _ = write!(
                line,
                ", stated {stated}, decoded {decoded} (height x width)"
            );
        }
    }
    line
}

/// A readable summary: counts per finding, mean/std, classes, and the first `top` groups and flags.
pub fn text(scan: &Scan, findings: &Findings, near_distance: u32, top: usize) -> String {
    let mut s = String::new();
    let loaded = scan.entries.iter().filter(|e| e.health.is_some()).count();
    let _ = writeln!(
        s,
        "{} images measured at {}x{}x{} ({} from the cache), {} failed to load",
        loaded,
        scan.shape.height,
        scan.shape.width,
        scan.shape.channels,
        scan.cached,
        scan.failures.len()
    );
    for note in &scan.notes {
        let _ = writeln!(s, "note: {note}");
    }
    if !scan.color_modes.is_empty() {
        let modes: Vec<String> = scan
            .color_modes
            .iter()
            .map(|(mode, n)| format!("{mode} {n}"))
            .collect();
        let _ = writeln!(s, "stored colour modes (headers): {}", modes.join(", "));
    }
    let exact: Vec<_> = findings
        .duplicates
        .iter()
        .filter(|g| g.kind == super::DuplicateKind::Exact)
        .collect();
    let near = findings.duplicates.len() - exact.len();
    let _ = writeln!(
        s,
        "duplicates: {} exact groups ({} images), {} near groups (within {near_distance} of 64 bits)",
        exact.len(),
        exact.iter().map(|g| g.samples.len()).sum::<usize>(),
        near
    );
    if scan.split {
        let _ = writeln!(
            s,
            "leaks: {} groups in both training and validation",
            findings.leaks.len()
        );
    }
    let _ = write!(s, "flags:");
    for kind in FlagKind::ALL {
        let n = findings.flags.iter().filter(|f| f.kind == kind).count();
        let _ = write!(s, " {kind} {n}");
    }
    let _ = writeln!(s);
    let list = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:.3}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(
        s,
        "channels (0-255): mean [{}]  std [{}]",
        list(&findings.channels.mean),
        list(&findings.channels.std)
    );
    if !findings.classes.is_empty() {
        let counts: Vec<String> = findings
            .classes
            .iter()
            .map(|(name, n)| format!("{name} {n}"))
            .collect();
        let _ = writeln!(s, "classes: {}", counts.join(", "));
        if let Some(ratio) = findings.imbalance_ratio {
            let _ = writeln!(s, "imbalance ratio (largest / smallest): {ratio:.2}");
        }
    }
    (findings.objects.iter()).for_each(|found| objects_text(&mut s, scan, found, top));
    for leak in findings.leaks.iter().take(top) {
        let members: Vec<String> = leak
            .samples
            .iter()
            .zip(&leak.subsets)
            .map(|(&i, subset)| format!("{} ({subset})", rel_path(scan, i)))
            .collect();
        let _ = writeln!(s, "  leak: {}", shortened(&members));
    }
    for group in findings.duplicates.iter().take(top) {
        let members: Vec<String> = group.samples.iter().map(|&i| rel_path(scan, i)).collect();
        let kind = match group.kind {
            super::DuplicateKind::Exact => "exact",
            super::DuplicateKind::Near => "near",
        };
        let _ = writeln!(s, "  {kind} {:.3}: {}", group.score, shortened(&members));
    }
    for flag in findings.flags.iter().take(top) {
        let _ = writeln!(
            s,
            "  {} {:.3}: {}",
            flag.kind,
            flag.score,
            rel_path(scan, flag.sample)
        );
    }
    s
}

/// The annotation checks' lines of the summary: counts, objects per class, the first `top` findings.
fn objects_text(s: &mut String, scan: &Scan, found: &ObjectFindings, top: usize) {
    let _ = write!(
        s,
        "objects: {} in {} annotated images;",
        found.objects, found.images
    );
    for kind in ObjectIssue::ALL {
        let _ = write!(s, " {kind} {}", found.count(kind));
    }
    let _ = writeln!(s);
    let counts: Vec<String> = found
        .classes
        .iter()
        .map(|c| format!("{} {}", c.name, c.objects))
        .collect();
    let _ = writeln!(s, "objects per class: {}", counts.join(", "));
    if let Some(ratio) = found.imbalance_ratio {
        let _ = writeln!(s, "object imbalance ratio (largest / smallest): {ratio:.2}");
    }
    for f in found.findings.iter().take(top) {
        let _ = writeln!(s, "  {}", object_line(scan, found, f));
    }
}

/// At most six members, then how many more.
fn shortened(members: &[String]) -> String {
    const SHOWN: usize = 6;
    let mut line = members[..members.len().min(SHOWN)].join("  ");
    if members.len() > SHOWN {
        let _ = write!(line, "  … and {} more", members.len() - SHOWN);
    }
    line
}
