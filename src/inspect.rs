//! `inspect`: what a dataset folder holds and what the options make of it, from the index and the
//! image headers only (nothing is decoded).

pub mod objects;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::AtomicBool;

use serde::Serialize;

use crate::index::DatasetIndex;
use crate::load::probe;
use crate::npy::{dtype_name, shape_repr};
use crate::options::{LabelSource, LoadOptions};
use crate::plan::BatchPlan;

/// Sizes listed one by one in the text summary; past this many, the most common and the ranges.
const SIZES_SHOWN: usize = 5;

/// The text summary's sizes: every size when there are few, else the most common ones and the
/// ranges of height and width (`--json` has them all). Most common first; equal counts by height,
/// then width, as numbers (`72x120` before `581x419`).
fn sizes_line(sizes: &BTreeMap<String, usize>) -> String {
    let mut parsed: Vec<((u32, u32), &str, usize)> = sizes
        .iter()
        .map(|(key, &n)| {
            let hw = key
                .split_once('x')
                .and_then(|(h, w)| Some((h.parse().ok()?, w.parse().ok()?)))
                .unwrap_or((u32::MAX, u32::MAX));
            (hw, key.as_str(), n)
        })
        .collect();
    parsed.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    let listed = |v: &[((u32, u32), &str, usize)]| {
        v.iter()
            .map(|(_, key, n)| format!("{key} ({n})"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if parsed.len() <= SIZES_SHOWN {
        return listed(&parsed);
    }
    let range = |pick: fn(&(u32, u32)) -> u32| {
        let values = parsed
            .iter()
            .map(|(hw, ..)| pick(hw))
            .filter(|&v| v != u32::MAX);
        let (low, high) = values.fold((u32::MAX, 0), |(lo, hi), v| (lo.min(v), hi.max(v)));
        format!("{low}..{high}")
    };
    format!(
        "{} sizes; most common {}; heights {}, widths {} (--json lists every size)",
        parsed.len(),
        listed(&parsed[..SIZES_SHOWN]),
        range(|hw| hw.0),
        range(|hw| hw.1),
    )
}

/// One class and how many of the planned samples it has.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClassCount {
    /// Label index.
    pub label: u32,
    /// Class name.
    pub name: String,
    /// Planned samples of this class.
    pub count: usize,
}

/// A file whose header could not be read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unreadable {
    /// Path relative to the root.
    pub path: String,
    /// Why.
    pub reason: String,
}

/// The summary `batchscope inspect` prints.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// The dataset folder (or file).
    pub root: String,
    /// What kind of source it is (`image folder`, or the source's own description).
    pub source: String,
    /// A stored source's arrays as `name (shape) dtype`, as an export writes them; empty for images.
    pub arrays: Vec<String>,
    /// How the viewer draws a stored source's rows (`4x5 RGB images from "images", stored channels
    /// first (C, H, W)`), or that it shows them as values; `None` for encoded images.
    pub drawn_as: Option<String>,
    /// Files indexed before splitting.
    pub indexed: usize,
    /// Samples in the plan (after split and drop-remainder).
    pub samples: usize,
    /// Classes in label order with their planned counts.
    pub classes: Vec<ClassCount>,
    /// Batch size.
    pub batch_size: usize,
    /// Whether the batches are the source's own (a saved dataset of batches) rather than `batch_size` ones.
    pub stored_batches: bool,
    /// Number of batches.
    pub batches: usize,
    /// Samples in the last batch.
    pub last_batch: usize,
    /// The shuffle seed used, if shuffled.
    pub seed: Option<u32>,
    /// `"HxW"` → number of files.
    pub sizes: BTreeMap<String, usize>,
    /// Format name → number of files.
    pub formats: BTreeMap<String, usize>,
    /// Files whose header could not be read (they would be skipped).
    pub unreadable: Vec<Unreadable>,
    /// Folders that could not be walked and symlink loops.
    pub warnings: Vec<Unreadable>,
    /// The objects of a detection or segmentation dataset (`None` when it annotates none).
    pub objects: Option<objects::ObjectSummary>,
    /// The options that produced this summary.
    pub options: LoadOptions,
}

/// How the viewer draws stored rows (see [`Summary::drawn_as`]).
fn drawn_as(rows: &dyn crate::index::StoredRows) -> String {
    let column = rows
        .image_column()
        .and_then(|c| rows.columns().get(c))
        .map(|c| c.name.clone());
    match (rows.image_shape(), column) {
        (Some(image), Some(column)) => {
            let kind = match image.channels {
                1 => "grayscale",
                3 => "RGB",
                _ => "RGBA",
            };
            let order = match (image.channels_first, image.channels) {
                (true, _) => ", stored channels first (C, H, W)",
                (false, 1) => "",
                (false, _) => ", stored channels last (H, W, C)",
            };
            format!(
                "{}x{} (HxW) {kind} images from {column:?}{order}",
                image.height, image.width
            )
        }
        _ => "values: no array has an image's shape (H, W), (H, W, C) or (C, H, W)".to_owned(),
    }
}

/// Summarises `index` under `plan`, reading every planned file's header; `None` if cancelled.
pub fn summarize(
    index: &DatasetIndex,
    plan: &BatchPlan,
    options: &LoadOptions,
    cancel: &AtomicBool,
) -> Option<Summary> {
    let counts = index.class_counts_of(plan.order.iter().copied());
    let drawn_as = index.store.rows().map(drawn_as);
    let (source, arrays, headers) = match index.store.rows() {
        None => (
            index.store.describe(),
            Vec::new(),
            probe::headers(index, &plan.order, cancel)?,
        ),
        // Stored rows have no image headers: their arrays say it all.
        Some(rows) => {
            let arrays = rows
                .columns()
                .iter()
                .map(|c| {
                    let shape: Vec<usize> = std::iter::once(plan.len())
                        .chain(c.row_shape.iter().copied())
                        .collect();
                    format!("{} {} {}", c.name, shape_repr(&shape), dtype_name(c.dtype))
                })
                .collect();
            (rows.describe(), arrays, Vec::new())
        }
    };
    let mut sizes = BTreeMap::new();
    let mut formats = BTreeMap::new();
    let mut unreadable = Vec::new();
    for (&i, header) in plan.order.iter().zip(&headers) {
        match header {
            Ok((format, size)) => {
                *sizes.entry(size.to_string()).or_insert(0) += 1;
                *formats
                    .entry(format!("{format:?}").to_uppercase())
                    .or_insert(0) += 1;
            }
            Err(reason) => unreadable.push(Unreadable {
                path: index.samples[i].rel_path.to_string_lossy().into_owned(),
                reason: reason.clone(),
            }),
        }
    }
    let batches = plan.batch_count();
    Some(Summary {
        root: index.root.to_string_lossy().into_owned(),
        source,
        arrays,
        drawn_as,
        indexed: index.samples.len(),
        samples: plan.len(),
        classes: index
            .class_names
            .iter()
            .zip(counts)
            .enumerate()
            .map(|(label, (name, count))| ClassCount {
                label: u32::try_from(label).unwrap_or(u32::MAX),
                name: name.clone(),
                count,
            })
            .collect(),
        batch_size: plan.batch_size,
        stored_batches: plan.ends.is_some(),
        batches,
        last_batch: if batches == 0 {
            0
        } else {
            plan.batch(batches - 1).len()
        },
        seed: plan.seed,
        sizes,
        formats,
        unreadable,
        warnings: index
            .warnings
            .iter()
            .map(|w| Unreadable {
                path: w.path.to_string_lossy().into_owned(),
                reason: w.reason.clone(),
            })
            .collect(),
        objects: objects::summarize(index, plan),
        options: options.clone(),
    })
}

impl Summary {
    /// The human-readable report.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "dataset    {}", self.root);
        let _ = writeln!(s, "source     {}", self.source);
        for array in &self.arrays {
            let _ = writeln!(s, "array      {array}");
        }
        if let Some(drawn_as) = &self.drawn_as {
            let _ = writeln!(s, "drawn as   {drawn_as}");
        }
        if self.samples == self.indexed {
            let _ = writeln!(s, "samples    {}", self.samples);
        } else {
            let _ = writeln!(
                s,
                "samples    {} (of {} indexed)",
                self.samples, self.indexed
            );
        }
        // "2 of 32" read as "one batch of 32": say which number is which.
        let last_holds = if self.batches == 1 {
            format!("it holds {}", self.last_batch)
        } else {
            format!("the last holds {}", self.last_batch)
        };
        if self.stored_batches {
            let _ = writeln!(s, "batches    {} as saved ({last_holds})", self.batches);
        } else if self.last_batch == self.batch_size {
            let _ = writeln!(
                s,
                "batches    {} (batch size {})",
                self.batches, self.batch_size
            );
        } else {
            let _ = writeln!(
                s,
                "batches    {} (batch size {}; {last_holds})",
                self.batches, self.batch_size
            );
        }
        if let Some(seed) = self.seed {
            let _ = writeln!(s, "seed       {seed}");
        }
        if self.options.index.labels == LabelSource::None {
            let _ = writeln!(s, "classes    none (labels off)");
        } else if self.classes.is_empty() && self.source != "image folder" {
            let _ = writeln!(s, "classes    none (no labels found)");
        } else if self.classes.is_empty() {
            let _ = writeln!(
                s,
                "classes    0: labels are inferred from subfolders and there are none (files directly in the folder are not taken; use --labels none for them)"
            );
        } else {
            let _ = writeln!(s, "classes    {}", self.classes.len());
            let width = self
                .classes
                .iter()
                .map(|c| c.name.chars().count())
                .max()
                .unwrap_or(0);
            for c in &self.classes {
                let _ = writeln!(s, "  {:>4}  {:<width$}  {}", c.label, c.name, c.count);
            }
        }
        if let Some(objects) = &self.objects {
            objects.write_text(&mut s);
        }
        let list = |map: &BTreeMap<String, usize>| {
            let mut v: Vec<_> = map.iter().collect();
            v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            v.iter()
                .map(|(k, n)| format!("{k} ({n})"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if self.arrays.is_empty() {
            // Height first, as Keras's image_size: "300x451" is 451 pixels wide.
            let _ = writeln!(s, "sizes HxW  {}", sizes_line(&self.sizes));
            let _ = writeln!(s, "formats    {}", list(&self.formats));
            if self.sizes.len() > 1 && self.options.preprocess.image_size.is_none() {
                let _ = writeln!(
                    s,
                    "warning    the images differ in size, so an export at native size fails: choose one with --image-size HxW (Keras's default is {})",
                    crate::load::spec::KERAS_DEFAULT_IMAGE_SIZE
                );
            }
        }
        for u in &self.unreadable {
            let _ = writeln!(s, "unreadable {}: {:?}", u.reason, u.path);
        }
        for w in &self.warnings {
            let _ = writeln!(s, "warning    {}: {:?}", w.reason, w.path);
        }
        let _ = writeln!(
            s,
            "options    {}",
            crate::describe::describe_with_labels(&self.options)
        );
        s
    }
}
