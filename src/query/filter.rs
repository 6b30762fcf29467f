//! Filtering and sorting a [`Table`]: [`Query`] says which rows pass and in what order, and
//! [`Query::run`] gives their sample indices. Filters of different kinds combine with AND, values
//! within one kind with OR; an empty kind lets every row through. Sorting is stable: rows with equal
//! keys keep dataset order, ascending or descending, and rows without the key (no label, no
//! measure) come last either way.
//!
//! The hot loop reads only the table's columns and a few lookup vectors built per query, so a
//! million rows filter and sort in tens of milliseconds (see BENCHMARKS.md).

use std::collections::BTreeSet;
use std::fmt;

use super::edits::Edits;
use super::objects::{CountRange, ObjectColumns};
use super::pattern::PathPattern;
use super::table::{NONE, Table, flag_bit};
use crate::health::FlagKind;
use crate::options::Subset;

/// A health finding to filter on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HealthFilter {
    /// Flagged with this kind.
    Flag(FlagKind),
    /// In any duplicate group.
    Duplicate,
    /// In this duplicate group (index into `Findings::duplicates`).
    DuplicateGroup(usize),
    /// In a leak across the split.
    Leak,
}

/// What rows are sorted by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, clap::ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum SortKey {
    /// Sample index: the source's order.
    #[default]
    #[value(name = "index")]
    DatasetOrder,
    /// Path bytes, as in `manifest.csv`.
    Path,
    /// Label index (class order).
    Class,
    /// Mean luma.
    Brightness,
    /// Normalised Laplacian variance.
    Sharpness,
    /// Luma entropy.
    Information,
    /// Original width.
    Width,
    /// Original height.
    Height,
    /// Width over height.
    AspectRatio,
    /// Size of the sample's duplicate group (0 outside any).
    DuplicateGroupSize,
    /// Objects in the image (an annotated dataset).
    NumObjects,
}

impl SortKey {
    /// Every key, in the order the viewer lists them.
    pub const ALL: [Self; 11] = [
        Self::DatasetOrder,
        Self::Path,
        Self::Class,
        Self::Brightness,
        Self::Sharpness,
        Self::Information,
        Self::Width,
        Self::Height,
        Self::AspectRatio,
        Self::DuplicateGroupSize,
        Self::NumObjects,
    ];

    /// The command-line spelling (`aspect_ratio`).
    pub fn name(self) -> &'static str {
        match self {
            Self::DatasetOrder => "index",
            Self::Path => "path",
            Self::Class => "class",
            Self::Brightness => "brightness",
            Self::Sharpness => "sharpness",
            Self::Information => "information",
            Self::Width => "width",
            Self::Height => "height",
            Self::AspectRatio => "aspect_ratio",
            Self::DuplicateGroupSize => "duplicate_group_size",
            Self::NumObjects => "num_objects",
        }
    }

    /// Whether the key is measured by the health pass.
    pub fn needs_health(self) -> bool {
        !matches!(
            self,
            Self::DatasetOrder | Self::Path | Self::Class | Self::NumObjects
        )
    }
}

impl fmt::Display for SortKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which rows pass, and in what order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Query {
    /// Labels (indices into the class names) to keep; empty: every row.
    pub classes: Vec<u32>,
    /// Sides of the split to keep; empty: every row.
    pub subsets: Vec<Subset>,
    /// Health findings, any of which keeps a row; empty: every row.
    pub health: Vec<HealthFilter>,
    /// Object classes (indices into the object class names), an object of any of which keeps a
    /// row; empty: every row.
    pub object_classes: Vec<u32>,
    /// Object counts to keep; `None`: every row.
    pub object_count: Option<CountRange>,
    /// Only these samples (indices into `DatasetIndex::samples`), e.g. the skipped or problem ones;
    /// `None`: every row.
    pub samples: Option<Vec<usize>>,
    /// Tags (from the [`Edits`]), any of which keeps a row; empty: every row.
    pub tags: Vec<String>,
    /// Path substring or glob.
    pub path: Option<PathPattern>,
    /// Sort key.
    pub sort: SortKey,
    /// Largest first.
    pub descending: bool,
}

/// Why a query cannot run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// A health filter or sort key without a health pass.
    #[error("{0} needs a health pass (batchscope list --health, or the Health view)")]
    NeedsHealth(String),
    /// An object filter or sort on a dataset without annotated objects.
    #[error("{0} needs a dataset that annotates objects (boxes or masks), and this one does not")]
    NeedsObjects(String),
}

/// Ordered bits of an `f32` (`total_cmp` order as an unsigned number).
fn f32_key(x: f32) -> u32 {
    let b = x.to_bits();
    if b & 0x8000_0000 == 0 {
        b | 0x8000_0000
    } else {
        !b
    }
}

impl Query {
    /// The sample indices of the rows of `table` that pass, in sort order. `edits` give the tags.
    pub fn run(&self, table: &Table, edits: &Edits) -> Result<Vec<usize>, QueryError> {
        let rows = self.filter(table, edits)?;
        let rows = self.sort_rows(table, rows)?;
        Ok(rows.into_iter().map(|r| table.sample(r as usize)).collect())
    }

    /// The rows of `table` that pass, in dataset order.
    fn filter(&self, table: &Table, edits: &Edits) -> Result<Vec<u32>, QueryError> {
        let n = table.len();
        let class_ok: Option<Vec<bool>> = (!self.classes.is_empty()).then(|| {
            let mut ok = vec![false; table.class_names.len()];
            for &c in &self.classes {
                if let Some(slot) = ok.get_mut(c as usize) {
                    *slot = true;
                }
            }
            ok
        });
        let health = if self.health.is_empty() {
            None
        } else {
            let h = table.health.as_ref().ok_or_else(|| {
                QueryError::NeedsHealth(format!("filtering on {}", describe(&self.health)))
            })?;
            let mut flags = 0u8;
            let mut groups = BTreeSet::new();
            let (mut any_group, mut leak) = (false, false);
            for f in &self.health {
                match *f {
                    HealthFilter::Flag(kind) => flags |= flag_bit(kind),
                    HealthFilter::Duplicate => any_group = true,
                    HealthFilter::DuplicateGroup(g) => {
                        groups.insert(g as u32);
                    }
                    HealthFilter::Leak => leak = true,
                }
            }
            Some((h, flags, groups, any_group, leak))
        };
        let objects = self.object_filter(table)?;
        let mark = |samples: &mut dyn Iterator<Item = usize>| {
            let mut ok = vec![false; n];
            for s in samples {
                if let Some(r) = table.row(s) {
                    ok[r] = true;
                }
            }
            ok
        };
        let sample_ok = self
            .samples
            .as_ref()
            .map(|samples| mark(&mut samples.iter().copied()));
        let tag_ok = (!self.tags.is_empty()).then(|| {
            mark(
                &mut edits
                    .tagged(&self.tags)
                    .filter_map(|path| table.sample_of_path(path.as_bytes())),
            )
        });
        let mut out = Vec::with_capacity(n);
        for r in 0..n {
            if let Some(ok) = &class_ok
                && !ok.get(table.label[r] as usize).copied().unwrap_or(false)
            {
                continue;
            }
            if !self.subsets.is_empty()
                && !table.subset[r].is_some_and(|s| self.subsets.contains(&s))
            {
                continue;
            }
            if let Some((h, flags, groups, any_group, leak)) = &health {
                let in_group = |g: u32| g != NONE && (*any_group || groups.contains(&g));
                let hit = h.flags[r] & flags != 0
                    || in_group(h.group[0][r])
                    || in_group(h.group[1][r])
                    || (*leak && h.leak[r]);
                if !hit {
                    continue;
                }
            }
            if objects.as_ref().is_some_and(|f| !f.passes(r)) {
                continue;
            }
            if sample_ok.as_ref().is_some_and(|ok| !ok[r])
                || tag_ok.as_ref().is_some_and(|ok| !ok[r])
            {
                continue;
            }
            if let Some(p) = &self.path
                && !p.matches(table.path(r))
            {
                continue;
            }
            out.push(r as u32);
        }
        Ok(out)
    }

    /// The object filters over `table`'s objects (`None` without object filters).
    fn object_filter<'t>(&self, table: &'t Table) -> Result<Option<ObjectFilter<'t>>, QueryError> {
        if self.object_classes.is_empty() && self.object_count.is_none() {
            return Ok(None);
        }
        let columns = table.objects.as_ref().ok_or_else(|| {
            QueryError::NeedsObjects(if self.object_classes.is_empty() {
                "filtering on the object count".to_owned()
            } else {
                "filtering on object classes".to_owned()
            })
        })?;
        let mut wanted = vec![false; columns.names.len()];
        for &c in &self.object_classes {
            if let Some(slot) = wanted.get_mut(c as usize) {
                *slot = true;
            }
        }
        Ok(Some(ObjectFilter {
            columns,
            wanted: (!self.object_classes.is_empty()).then_some(wanted),
            count: self.object_count,
        }))
    }

    /// `rows` (in dataset order) in sort order, ties in dataset order.
    fn sort_rows(&self, table: &Table, rows: Vec<u32>) -> Result<Vec<u32>, QueryError> {
        if self.sort == SortKey::DatasetOrder {
            let mut rows = rows;
            if self.descending {
                rows.reverse();
            }
            return Ok(rows);
        }
        if self.sort == SortKey::NumObjects && table.objects.is_none() {
            return Err(QueryError::NeedsObjects(format!(
                "sorting by {}",
                self.sort
            )));
        }
        let health = if self.sort.needs_health() {
            Some(
                table
                    .health
                    .as_ref()
                    .ok_or_else(|| QueryError::NeedsHealth(format!("sorting by {}", self.sort)))?,
            )
        } else {
            None
        };
        // Key of a row: a missing value is `None`, an order-preserving number otherwise.
        let key = |r: usize| -> Option<u32> {
            let present = |v: u32| Some(v).filter(|&v| v != NONE);
            let float = |v: f32| Some(v).filter(|v| !v.is_nan()).map(f32_key);
            match (self.sort, health) {
                (SortKey::Path, _) => Some(table.path_rank[r]),
                (SortKey::Class, _) => present(table.label[r]),
                (SortKey::Brightness, Some(h)) => float(h.brightness[r]),
                (SortKey::Sharpness, Some(h)) => float(h.sharpness[r]),
                (SortKey::Information, Some(h)) => float(h.information[r]),
                (SortKey::Width, Some(h)) => present(h.width[r]),
                (SortKey::Height, Some(h)) => present(h.height[r]),
                (SortKey::AspectRatio, Some(h)) => present(h.width[r])
                    .and_then(|w| present(h.height[r]).map(|ht| w as f32 / ht.max(1) as f32))
                    .map(f32_key),
                (SortKey::DuplicateGroupSize, Some(h)) => Some(h.group_size[r]),
                (SortKey::NumObjects, _) => table.objects.as_ref().map(|o| o.count[r]),
                _ => None,
            }
        };
        // One u64 per row: missing rows last, the key (flipped when descending), then the row, so
        // an unstable sort of distinct numbers gives the stable order.
        let mut keyed: Vec<u64> = rows
            .iter()
            .map(|&r| {
                let high = match key(r as usize) {
                    None => u64::from(u32::MAX) << 31 | 1 << 63,
                    Some(k) if self.descending => u64::from(!k) << 31,
                    Some(k) => u64::from(k) << 31,
                };
                high | u64::from(r)
            })
            .collect();
        keyed.sort_unstable();
        Ok(keyed
            .into_iter()
            .map(|k| (k & 0x7FFF_FFFF) as u32)
            .collect())
    }
}

/// The object filters of a query, ready to test rows.
struct ObjectFilter<'t> {
    columns: &'t ObjectColumns,
    /// Whether each class is wanted (`None`: any class).
    wanted: Option<Vec<bool>>,
    count: Option<CountRange>,
}

impl ObjectFilter<'_> {
    /// Whether row `r` passes: its count in range, an object of a wanted class.
    fn passes(&self, r: usize) -> bool {
        self.count
            .is_none_or(|range| range.contains(self.columns.count[r]))
            && self.wanted.as_ref().is_none_or(|wanted| {
                self.columns
                    .classes_of(r)
                    .iter()
                    .any(|&c| wanted.get(c as usize).copied().unwrap_or(false))
            })
    }
}

/// A health filter as the command line spells it: a flag kind (`dark`), `duplicate` or `leak`.
pub fn parse_health_filter(s: &str) -> Result<HealthFilter, String> {
    match s {
        "duplicate" => Ok(HealthFilter::Duplicate),
        "leak" => Ok(HealthFilter::Leak),
        _ => FlagKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .map(HealthFilter::Flag)
            .ok_or_else(|| {
                let kinds: Vec<&str> = FlagKind::ALL.iter().map(|k| k.name()).collect();
                format!(
                    "{s:?} is not a health finding: expected {}, duplicate or leak",
                    kinds.join(", ")
                )
            }),
    }
}

/// `dark or leak` for a message.
fn describe(filters: &[HealthFilter]) -> String {
    let names: Vec<String> = filters
        .iter()
        .map(|f| match f {
            HealthFilter::Flag(kind) => kind.to_string(),
            HealthFilter::Duplicate => "duplicates".to_owned(),
            HealthFilter::DuplicateGroup(g) => format!("duplicate group {g}"),
            HealthFilter::Leak => "leaks".to_owned(),
        })
        .collect();
    names.join(" or ")
}
