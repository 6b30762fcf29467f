//! What `inspect` says of a detection or segmentation dataset's objects: how many, of which
//! classes, in how many images, the largest count in one image (the M `boxes.npy` is padded to),
//! and whether there are masks. Counted over the planned samples, as the class counts are.

use std::fmt::Write as _;

use serde::Serialize;

use crate::index::DatasetIndex;
use crate::plan::BatchPlan;
use crate::source::annotations::{images_per_class, objects_per_class};

/// The objects of the planned samples.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ObjectSummary {
    /// Objects over every planned image.
    pub total: usize,
    /// Planned images without any object.
    pub images_without_objects: usize,
    /// The largest object count of one image (the M that `boxes.npy` is padded to).
    pub max_per_image: usize,
    /// Whether the dataset has masks.
    pub masks: bool,
    /// Each object class, in index order.
    pub classes: Vec<ObjectClassCount>,
}

/// One object class and its counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ObjectClassCount {
    /// Class index (what `box_classes.npy` holds).
    pub index: u32,
    /// The source's id of the class (what `class_ids.json` holds).
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Objects of this class.
    pub objects: usize,
    /// Images with at least one object of this class.
    pub images: usize,
}

/// The objects of `plan`'s samples of `index`; `None` when the source annotates no objects.
pub fn summarize(index: &DatasetIndex, plan: &BatchPlan) -> Option<ObjectSummary> {
    let classes = index.object_classes.as_ref()?;
    let planned: Vec<&crate::index::Objects> = plan
        .order
        .iter()
        .filter_map(|&i| index.samples.get(i))
        .filter_map(|s| s.objects.as_deref())
        .collect();
    let without = plan
        .order
        .iter()
        .filter_map(|&i| index.samples.get(i))
        .filter(|s| s.objects.as_ref().is_none_or(|o| o.objects.is_empty()))
        .count();
    let n = classes.names.len();
    let objects = objects_per_class(planned.iter().copied(), n);
    let images = images_per_class(planned.iter().copied(), n);
    Some(ObjectSummary {
        total: planned.iter().map(|o| o.objects.len()).sum(),
        images_without_objects: without,
        max_per_image: planned.iter().map(|o| o.objects.len()).max().unwrap_or(0),
        masks: classes.has_masks,
        classes: (0..n)
            .map(|c| ObjectClassCount {
                index: u32::try_from(c).unwrap_or(u32::MAX),
                id: classes.ids.get(c).copied().unwrap_or_default(),
                name: classes.names[c].clone(),
                objects: objects[c],
                images: images[c],
            })
            .collect(),
    })
}

impl ObjectSummary {
    /// The summary's lines, as `inspect` prints them.
    pub fn write_text(&self, s: &mut String) {
        let _ = writeln!(
            s,
            "objects    {} (at most {} in one image; {} image{} without objects; masks {})",
            self.total,
            self.max_per_image,
            self.images_without_objects,
            if self.images_without_objects == 1 {
                ""
            } else {
                "s"
            },
            if self.masks { "yes" } else { "no" },
        );
        let _ = writeln!(s, "object classes {}", self.classes.len());
        let width = self
            .classes
            .iter()
            .map(|c| c.name.chars().count())
            .max()
            .unwrap_or(0);
        for c in &self.classes {
            let _ = writeln!(
                s,
                "  {:>4}  {:<width$}  id {:<6} {} object{} in {} image{}",
                c.index,
                c.name,
                c.id,
                c.objects,
                if c.objects == 1 { "" } else { "s" },
                c.images,
                if c.images == 1 { "" } else { "s" },
            );
        }
    }
}
