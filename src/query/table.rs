//! The samples a query runs over, as columns computed once: one row per sample that the loader
//! options keep (the plan's samples; both sides of a validation split when no subset is chosen), in
//! dataset order (ascending sample index), with its label, subset, path bytes and rank in path order,
//! its objects' count and classes for an annotated dataset,
//! and, once a health pass has run, its measures, flags and duplicate group. A query then reads
//! plain numbers and byte slices: no allocation per sample.

use super::objects::ObjectColumns;
use crate::export::manifest_path_bytes;
use crate::health::{DuplicateKind, Findings, FlagKind, Scan};
use crate::index::DatasetIndex;
use crate::options::{PlanOptions, Subset};
use crate::plan::{self, BatchPlan, PlanError};

/// A row's missing number (no label, no group, not in the table).
pub(crate) const NONE: u32 = u32::MAX;

/// What a health pass measured, one value per row (`NaN` / [`NONE`] for a sample that failed to
/// load).
#[derive(Clone, Debug, Default)]
pub(crate) struct HealthColumns {
    pub brightness: Vec<f32>,
    pub sharpness: Vec<f32>,
    pub information: Vec<f32>,
    pub width: Vec<u32>,
    pub height: Vec<u32>,
    /// One bit per [`FlagKind`], in [`FlagKind::ALL`] order.
    pub flags: Vec<u8>,
    /// The row's exact and near duplicate groups (indices into `Findings::duplicates`), or
    /// [`NONE`]: a sample is in at most one of each kind.
    pub group: [Vec<u32>; 2],
    /// The size of the row's largest duplicate group, 0 outside any.
    pub group_size: Vec<u32>,
    /// Whether the row is in a leak.
    pub leak: Vec<bool>,
}

/// The bit of `kind` in [`HealthColumns::flags`].
pub(crate) fn flag_bit(kind: FlagKind) -> u8 {
    let at = FlagKind::ALL.iter().position(|&k| k == kind).unwrap_or(0);
    1 << at
}

/// The samples of a dataset under its loader options, as columns (see the module's doc).
#[derive(Clone, Debug, Default)]
pub struct Table {
    /// Sample index (into `DatasetIndex::samples`) of each row, ascending.
    pub(crate) sample: Vec<u32>,
    /// Row of each sample, [`NONE`] for a sample the options leave out.
    pub(crate) row_of_sample: Vec<u32>,
    /// Label of each row, [`NONE`] without one.
    pub(crate) label: Vec<u32>,
    /// Subset of each row (`None` without a split).
    pub(crate) subset: Vec<Option<Subset>>,
    /// All rows' paths as `manifest.csv` writes them, end to end; row `r` is
    /// `path_bytes[path_end[r-1]..path_end[r]]`.
    path_bytes: Vec<u8>,
    path_end: Vec<usize>,
    /// Rows in path (byte) order, and each row's rank in it.
    by_path: Vec<u32>,
    pub(crate) path_rank: Vec<u32>,
    pub(crate) class_names: Vec<String>,
    pub(crate) health: Option<HealthColumns>,
    /// The rows' objects, when the dataset annotates them.
    pub(crate) objects: Option<ObjectColumns>,
}

impl Table {
    /// The samples `options` plan from `index`: with a validation split and no subset, both sides
    /// (each row knows its side), as the health pass does; else the one plan.
    pub fn plan(index: &DatasetIndex, options: &PlanOptions) -> Result<Self, PlanError> {
        match (options.validation_split, options.subset) {
            (Some(_), None) => {
                let side = |subset| {
                    plan::plan(
                        index,
                        &PlanOptions {
                            subset: Some(subset),
                            ..options.clone()
                        },
                    )
                };
                let training = side(Subset::Training)?;
                let validation = side(Subset::Validation)?;
                Ok(Self::from_plans(
                    index,
                    &[
                        (Some(Subset::Training), &training),
                        (Some(Subset::Validation), &validation),
                    ],
                ))
            }
            (_, subset) => Ok(Self::from_plans(
                index,
                &[(subset, &plan::plan(index, options)?)],
            )),
        }
    }

    /// The samples of the given plans, each with its side of the split (a sample in two plans
    /// keeps the first).
    pub fn from_plans(index: &DatasetIndex, plans: &[(Option<Subset>, &BatchPlan)]) -> Self {
        let n = index.samples.len();
        let mut side: Vec<Option<Option<Subset>>> = vec![None; n];
        for (subset, plan) in plans {
            for &s in &plan.order {
                if s < n && side[s].is_none() {
                    side[s] = Some(*subset);
                }
            }
        }
        let mut table = Self {
            row_of_sample: vec![NONE; n],
            class_names: index.class_names.clone(),
            objects: index
                .object_classes
                .as_ref()
                .map(|c| ObjectColumns::new(c.names.clone())),
            ..Self::default()
        };
        for (s, subset) in side.into_iter().enumerate() {
            let Some(subset) = subset else { continue };
            table.row_of_sample[s] = table.sample.len() as u32;
            table.sample.push(s as u32);
            table.subset.push(subset);
            let sample = &index.samples[s];
            table.label.push(sample.label.unwrap_or(NONE));
            table
                .path_bytes
                .extend_from_slice(&manifest_path_bytes(&sample.rel_path));
            table.path_end.push(table.path_bytes.len());
            if let Some(objects) = &mut table.objects {
                objects.push(sample);
            }
        }
        let mut by_path: Vec<u32> = (0..table.sample.len() as u32).collect();
        by_path.sort_by(|&a, &b| table.path(a as usize).cmp(table.path(b as usize)));
        table.path_rank = vec![0; by_path.len()];
        for (rank, &row) in by_path.iter().enumerate() {
            table.path_rank[row as usize] = rank as u32;
        }
        table.by_path = by_path;
        table
    }

    /// Adds what a health pass found (`scan` and its `findings`) to the rows it measured.
    pub fn attach_health(&mut self, scan: &Scan, findings: &Findings) {
        let rows = self.sample.len();
        let mut h = HealthColumns {
            brightness: vec![f32::NAN; rows],
            sharpness: vec![f32::NAN; rows],
            information: vec![f32::NAN; rows],
            width: vec![NONE; rows],
            height: vec![NONE; rows],
            flags: vec![0; rows],
            group: [vec![NONE; rows], vec![NONE; rows]],
            group_size: vec![0; rows],
            leak: vec![false; rows],
        };
        for entry in &scan.entries {
            let (Some(row), Some(m)) = (self.row(entry.sample), &entry.health) else {
                continue;
            };
            h.brightness[row] = m.brightness;
            h.sharpness[row] = m.sharpness;
            h.information[row] = m.entropy;
            h.width[row] = m.width;
            h.height[row] = m.height;
        }
        for flag in &findings.flags {
            if let Some(row) = self.row(flag.sample) {
                h.flags[row] |= flag_bit(flag.kind);
            }
        }
        for (g, group) in findings.duplicates.iter().enumerate() {
            for &s in &group.samples {
                if let Some(row) = self.row(s) {
                    h.group[usize::from(group.kind == DuplicateKind::Near)][row] = g as u32;
                    h.group_size[row] = h.group_size[row].max(group.samples.len() as u32);
                }
            }
        }
        for leak in &findings.leaks {
            for &s in &leak.samples {
                if let Some(row) = self.row(s) {
                    h.leak[row] = true;
                }
            }
        }
        self.health = Some(h);
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.sample.len()
    }

    /// Whether the options leave no sample.
    pub fn is_empty(&self) -> bool {
        self.sample.is_empty()
    }

    /// Whether the dataset annotates objects (the object filters and `num_objects` apply).
    pub fn has_objects(&self) -> bool {
        self.objects.is_some()
    }

    /// Row `row`'s object count, for an annotated dataset.
    pub fn num_objects(&self, row: usize) -> Option<u32> {
        self.objects.as_ref().map(|o| o.count[row])
    }

    /// The object class names (empty for a dataset without annotations).
    pub fn object_class_names(&self) -> &[String] {
        self.objects.as_ref().map_or(&[], |o| &o.names[..])
    }

    /// Whether health columns are attached.
    pub fn has_health(&self) -> bool {
        self.health.is_some()
    }

    /// The row of sample `sample` (index into `DatasetIndex::samples`), if the options keep it.
    pub fn row(&self, sample: usize) -> Option<usize> {
        self.row_of_sample
            .get(sample)
            .filter(|&&r| r != NONE)
            .map(|&r| r as usize)
    }

    /// The sample index of row `row`.
    pub fn sample(&self, row: usize) -> usize {
        self.sample[row] as usize
    }

    /// Row `row`'s path as `manifest.csv` writes it (relative, `/`-separated).
    pub fn path(&self, row: usize) -> &[u8] {
        let start = if row == 0 { 0 } else { self.path_end[row - 1] };
        &self.path_bytes[start..self.path_end[row]]
    }

    /// The sample whose manifest path is `path`, if the options keep it (binary search).
    pub fn sample_of_path(&self, path: &[u8]) -> Option<usize> {
        self.by_path
            .binary_search_by(|&row| self.path(row as usize).cmp(path))
            .ok()
            .map(|at| self.sample(self.by_path[at] as usize))
    }

    /// Row `row`'s label, if it has one.
    pub fn label(&self, row: usize) -> Option<u32> {
        Some(self.label[row]).filter(|&l| l != NONE)
    }

    /// Row `row`'s side of the split (`None` without a split).
    pub fn subset(&self, row: usize) -> Option<Subset> {
        self.subset[row]
    }

    /// The class names, in label order.
    pub fn class_names(&self) -> &[String] {
        &self.class_names
    }

    /// What the health pass measured of row `row`, `None` without one or when the sample failed to
    /// load.
    pub fn measures(&self, row: usize) -> Option<Measures> {
        let h = self.health.as_ref()?;
        (h.width[row] != NONE).then(|| Measures {
            brightness: h.brightness[row],
            sharpness: h.sharpness[row],
            information: h.information[row],
            width: h.width[row],
            height: h.height[row],
            flags: FlagKind::ALL
                .into_iter()
                .filter(|&k| h.flags[row] & flag_bit(k) != 0)
                .collect(),
            duplicate_groups: h
                .group
                .iter()
                .filter(|g| g[row] != NONE)
                .map(|g| g[row] as usize)
                .collect(),
            duplicate_group_size: h.group_size[row] as usize,
            leak: h.leak[row],
        })
    }
}

/// One sample's health measures and findings, for display (the query itself reads the columns).
#[derive(Clone, Debug, PartialEq)]
pub struct Measures {
    /// Mean luma, 0..255.
    pub brightness: f32,
    /// Variance of the Laplacian over the variance of the luma.
    pub sharpness: f32,
    /// Entropy of the luma histogram, bits (0..8).
    pub information: f32,
    /// Original width in pixels.
    pub width: u32,
    /// Original height in pixels.
    pub height: u32,
    /// Its flags, in report order.
    pub flags: Vec<FlagKind>,
    /// Its duplicate groups (indices into `Findings::duplicates`): an exact one, a near one, or
    /// both.
    pub duplicate_groups: Vec<usize>,
    /// The size of its largest group, 0 outside any.
    pub duplicate_group_size: usize,
    /// Whether it is in a leak.
    pub leak: bool,
}

impl Measures {
    /// Width over height.
    pub fn aspect_ratio(&self) -> f32 {
        self.width as f32 / self.height.max(1) as f32
    }
}
