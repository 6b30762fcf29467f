//! The Gallery's state: every planned sample that passes a filter, in the order asked for
//! ([`crate::query`], the engine `batchscope list` uses), a selection, and the user's edits (tags,
//! new classes, exclusions) with undo and redo. Edits live in a sidecar file per dataset under the
//! user's data folder, written whole on every change and read back when the dataset opens again;
//! "Write corrections…" turns them into the `corrections.csv` that `export --corrections` applies.
//! Nothing here draws ([`super::gallery_view`] does) or touches the dataset.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use super::health_panel::Measured;
use super::session::{Problem, Ready};
use super::thumbnails::{THUMB_BYTES, Thumbnails};
use crate::background::{Job, Received};
use crate::export::manifest_path_bytes;
use crate::index::DatasetIndex;
use crate::load::loader::Notify;
use crate::options::PlanOptions;
use crate::query::{Edits, PathPattern, Query, Table};

/// Bytes of thumbnails the Gallery keeps beyond those in view (4,000 of them).
pub const THUMB_BUDGET_BYTES: usize = 4000 * THUMB_BYTES;
/// Undo steps kept.
const UNDO_STEPS: usize = 100;

/// What the table was built from: another dataset, other plan options or another health pass
/// rebuild it.
#[derive(Clone, Debug, PartialEq)]
struct TableKey {
    index: usize,
    plan: PlanOptions,
    health: Option<u64>,
}

/// The Gallery.
pub struct Gallery {
    /// The filters and the sort (its `path` and `samples` are set from the fields below).
    pub query: Query,
    /// The path filter as typed: a substring, or a glob with `*`, `?` or `[`.
    pub path_text: String,
    /// The object count filter as typed, as `batchscope list --objects` spells it (`2..5`, `3..`,
    /// `..1`, `0`; both ends included); empty: any count.
    pub objects_text: String,
    /// Only samples listed in Problems (skipped, unreadable, decoded with warnings).
    pub problems_only: bool,
    /// One row per class, expandable, instead of one grid.
    pub group_by_class: bool,
    /// The classes expanded in that mode.
    pub expanded: BTreeSet<u32>,
    /// The samples shown, in order.
    pub shown: Vec<usize>,
    /// Counts the results (never restarting, another dataset's too): a new one lays the grid out
    /// again.
    pub generation: u64,
    /// Planned samples (what "showing N of M" counts).
    pub total: usize,
    /// Whether the plan has both sides of a split (the subset filter is offered).
    pub has_subsets: bool,
    /// Why the query cannot run (a health filter without a pass).
    pub error: Option<String>,
    /// How long the last filter-and-sort took.
    pub query_ms: f64,
    /// How long building the table took (once per dataset, plan and health pass).
    pub table_ms: f64,
    /// The selected samples.
    pub selected: BTreeSet<usize>,
    /// The position in `shown` a shift-click extends from.
    anchor: Option<usize>,
    /// The edits of the open dataset.
    pub edits: Edits,
    /// Where they are kept (`None`: no data folder; they live only in memory).
    edits_path: Option<PathBuf>,
    /// The data folder edits are kept under (the user's, unless set, as tests do).
    pub data_dir: Option<PathBuf>,
    undo: Vec<Edits>,
    redo: Vec<Edits>,
    /// The tag field.
    pub tag_text: String,
    /// Give the tag field the keyboard next frame (the T key).
    pub focus_tag: bool,
    /// Where "Write corrections…" writes.
    pub corrections_path: String,
    /// The last action's outcome, or a failure, for the user.
    pub notice: Option<String>,
    /// Thumbnails of the tiles in view.
    pub thumbs: Thumbnails,
    /// The samples drawn last frame.
    pub visible: Vec<usize>,
    /// The table of the open dataset under its plan.
    table: Option<(TableKey, Table)>,
    /// The table being built in the background for another key (a million rows take a few hundred
    /// milliseconds: never on the UI thread).
    building: Option<(TableKey, Job<Result<Built, String>>)>,
    /// The dataset the edits were loaded for.
    edits_for: Option<PathBuf>,
    /// Filters or data changed: run the query in the next logic step.
    stale: bool,
}

impl Default for Gallery {
    fn default() -> Self {
        Self {
            query: Query::default(),
            path_text: String::new(),
            objects_text: String::new(),
            problems_only: false,
            group_by_class: false,
            expanded: BTreeSet::new(),
            shown: Vec::new(),
            generation: 0,
            total: 0,
            has_subsets: false,
            error: None,
            query_ms: 0.0,
            table_ms: 0.0,
            selected: BTreeSet::new(),
            anchor: None,
            edits: Edits::default(),
            edits_path: None,
            data_dir: crate::query::edits::default_data_dir(),
            undo: Vec::new(),
            redo: Vec::new(),
            tag_text: String::new(),
            focus_tag: false,
            corrections_path: String::new(),
            notice: None,
            thumbs: Thumbnails::new("gallery", THUMB_BUDGET_BYTES),
            visible: Vec::new(),
            table: None,
            building: None,
            edits_for: None,
            stale: true,
        }
    }
}

/// How a click on a tile changes the selection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Click {
    /// This one alone.
    Plain,
    /// Add or remove this one (Ctrl or Cmd).
    Toggle,
    /// Everything from the last clicked one to this one (Shift; with Ctrl added to the selection).
    Range { add: bool },
}

impl Gallery {
    /// Forgets the dataset (another one is opening); keeps the filters that name no class.
    pub fn clear(&mut self) {
        let data_dir = self.data_dir.take();
        let sort = (self.query.sort, self.query.descending);
        *self = Self {
            data_dir,
            generation: self.generation + 1,
            ..Self::default()
        };
        (self.query.sort, self.query.descending) = sort;
    }

    /// Marks the result out of date (a filter changed).
    pub fn refresh(&mut self) {
        self.stale = true;
    }

    /// The table the Gallery shows, once built.
    pub fn table(&self) -> Option<&Table> {
        self.table.as_ref().map(|(_, t)| t)
    }

    /// Keeps the table, the edits and the result up to date with the open dataset, its plan and the
    /// last health pass (logic step), and loads the thumbnails in view.
    pub fn update(
        &mut self,
        ready: &Ready,
        health: Option<&Measured>,
        problems: &[Problem],
        notify: &Notify,
    ) {
        let index = &ready.index;
        // The health pass counts only if it measured this dataset.
        let health = health.filter(|m| Arc::ptr_eq(&m.scan.index, index));
        let key = TableKey {
            index: Arc::as_ptr(index) as usize,
            plan: ready.options.plan.clone(),
            health: health.map(|m| m.number),
        };
        let current = self.table.as_ref().is_some_and(|(k, _)| *k == key);
        let building = self.building.as_ref().is_some_and(|(k, _)| *k == key);
        if !current && !building {
            let (index, plan) = (Arc::clone(index), ready.options.plan.clone());
            let health = health.map(|m| (Arc::clone(&m.scan), m.findings.clone()));
            let job = Job::spawn(
                "batchscope-gallery",
                1,
                Some(Arc::clone(notify)),
                move |out| {
                    out.send(Built::of(&index, &plan, health));
                },
            );
            match job {
                Ok(job) => self.building = Some((key, job)),
                Err(e) => self.error = Some(format!("the Gallery's table was not built: {e}")),
            }
        }
        self.poll_building();
        if self.edits_for.as_deref() != Some(index.root.as_path()) {
            self.load_edits(&index.root);
        }
        if self.stale {
            self.run(problems);
        }
        self.thumbs.poll(index);
        self.thumbs.request(index, &self.visible, notify);
    }

    /// Whether a table is being built (the view says so).
    pub fn is_building(&self) -> bool {
        self.building.is_some()
    }

    /// Takes a finished table.
    fn poll_building(&mut self) {
        let Some((_, job)) = &self.building else {
            return;
        };
        let built = match job.try_recv() {
            Received::Item(built) => built,
            Received::Empty => return,
            Received::Died(message) => Err(format!("the Gallery's table was not built: {message}")),
            Received::Finished => Err("the Gallery's table was not built".to_owned()),
        };
        let Some((key, _)) = self.building.take() else {
            return;
        };
        match built {
            Ok(built) => {
                self.has_subsets = built.has_subsets;
                self.table_ms = built.ms;
                self.table = Some((key, built.table));
                self.error = None;
            }
            Err(e) => {
                self.error = Some(e);
                self.table = None;
            }
        }
        self.stale = true;
    }

    /// Reads the dataset's sidecar (none yet: no edits).
    fn load_edits(&mut self, root: &Path) {
        self.edits_for = Some(root.to_path_buf());
        self.undo.clear();
        self.redo.clear();
        self.edits_path = self
            .data_dir
            .as_ref()
            .map(|dir| crate::query::edits::sidecar_path(dir, root));
        self.edits = match &self.edits_path {
            Some(path) => Edits::load(path, root).unwrap_or_else(|e| {
                self.notice = Some(format!("edits not read, starting without them: {e}"));
                Edits::new(root)
            }),
            None => Edits::new(root),
        };
    }

    /// Runs the query.
    fn run(&mut self, problems: &[Problem]) {
        self.stale = false;
        let Some((_, table)) = &self.table else {
            self.shown.clear();
            self.generation += 1;
            return;
        };
        let mut query = self.query.clone();
        let typed = self.path_text.trim();
        query.path = (!typed.is_empty()).then(|| PathPattern::new(typed));
        let count = self.objects_text.trim();
        if !count.is_empty() {
            match crate::query::parse_count_range(count) {
                Ok(range) => query.object_count = Some(range),
                Err(e) => {
                    self.shown.clear();
                    self.error = Some(e);
                    self.generation += 1;
                    return;
                }
            }
        }
        query.samples = self.problems_only.then(|| {
            problems
                .iter()
                .filter_map(|p| table.sample_of_path(&manifest_path_bytes(&p.path)))
                .collect()
        });
        let started = Instant::now();
        match query.run(table, &self.edits) {
            Ok(shown) => {
                self.shown = shown;
                self.error = None;
            }
            Err(e) => {
                self.shown.clear();
                self.error = Some(e.to_string());
            }
        }
        self.query_ms = started.elapsed().as_secs_f64() * 1000.0;
        self.generation += 1;
        self.total = table.len();
    }

    /// A click on the tile at position `at` of `shown`.
    pub fn click(&mut self, at: usize, how: Click) {
        let Some(&sample) = self.shown.get(at) else {
            return;
        };
        match how {
            Click::Plain => {
                self.selected = BTreeSet::from([sample]);
                self.anchor = Some(at);
            }
            Click::Toggle => {
                if !self.selected.remove(&sample) {
                    self.selected.insert(sample);
                }
                self.anchor = Some(at);
            }
            Click::Range { add } => {
                let from = self.anchor.unwrap_or(at);
                let (lo, hi) = (from.min(at), from.max(at));
                if !add {
                    self.selected.clear();
                }
                self.selected.extend(&self.shown[lo..=hi]);
            }
        }
    }

    /// Selects every sample shown.
    pub fn select_all_shown(&mut self) {
        self.selected = self.shown.iter().copied().collect();
    }

    /// The manifest paths of the selected samples (those that are not UTF-8 cannot be edited).
    fn selected_paths(&self, index: &DatasetIndex) -> Vec<String> {
        self.selected
            .iter()
            .filter_map(|&s| index.samples.get(s))
            .filter_map(|s| String::from_utf8(manifest_path_bytes(&s.rel_path)).ok())
            .collect()
    }

    /// Applies `change` to the selection's edits as one undo step, then saves them.
    fn change(
        &mut self,
        index: &DatasetIndex,
        what: &str,
        change: impl FnOnce(&mut Edits, &[String]) -> Result<(), String>,
    ) {
        let paths = self.selected_paths(index);
        if paths.is_empty() {
            self.notice = Some("Select samples first (click, Shift-click, Ctrl-click).".into());
            return;
        }
        let before = self.edits.clone();
        if let Err(e) = change(&mut self.edits, &paths) {
            self.notice = Some(e);
            return;
        }
        if self.edits == before {
            return;
        }
        self.undo.push(before);
        if self.undo.len() > UNDO_STEPS {
            self.undo.remove(0);
        }
        self.redo.clear();
        let samples = super::health_view::count(paths.len(), "sample");
        self.notice = Some(format!("{samples} {what}"));
        self.saved();
    }

    /// Saves the edits (after a change, an undo or a redo) and reruns the query (tags may filter).
    fn saved(&mut self) {
        self.stale = true;
        if let Some(path) = &self.edits_path
            && let Err(e) = self.edits.save(path)
        {
            self.notice = Some(format!("edits not saved: {e}"));
        }
    }

    /// Relabels the selection as class `class` (its own class takes the mark away).
    pub fn set_class(&mut self, index: &DatasetIndex, class: u32) {
        let Some(name) = index.class_names.get(class as usize).cloned() else {
            return;
        };
        let own: Vec<(String, bool)> = self
            .selected
            .iter()
            .filter_map(|&s| index.samples.get(s))
            .filter_map(|s| {
                let path = String::from_utf8(manifest_path_bytes(&s.rel_path)).ok()?;
                Some((path, s.label == Some(class)))
            })
            .collect();
        self.change(index, &format!("set to class {name}"), |edits, _| {
            for (path, is_own) in &own {
                let class = (!is_own).then_some(name.as_str());
                edits.set_class([path.as_str()], class);
            }
            Ok(())
        });
    }

    /// Marks the selection for exclusion, or, when all of it is marked, takes the mark away.
    pub fn toggle_exclude(&mut self, index: &DatasetIndex) {
        let paths = self.selected_paths(index);
        let all = paths
            .iter()
            .all(|p| self.edits.get(p).is_some_and(|e| e.exclude));
        let what = if all { "included again" } else { "excluded" };
        self.change(index, what, |edits, paths| {
            edits.set_exclude(paths.iter().map(String::as_str), !all);
            Ok(())
        });
    }

    /// Tags the selection with the tag field's text.
    pub fn tag(&mut self, index: &DatasetIndex) {
        let tag = self.tag_text.trim().to_owned();
        if tag.is_empty() {
            self.notice = Some("Type a tag first.".into());
            return;
        }
        self.change(index, &format!("tagged {tag}"), |edits, paths| {
            edits
                .add_tag(paths.iter().map(String::as_str), &tag)
                .map_err(|e| e.to_string())
        });
    }

    /// Undoes the last change.
    pub fn undo(&mut self) {
        if let Some(before) = self.undo.pop() {
            self.redo.push(std::mem::replace(&mut self.edits, before));
            self.notice = Some("undone".into());
            self.saved();
        }
    }

    /// Redoes the last undone change.
    pub fn redo(&mut self) {
        if let Some(after) = self.redo.pop() {
            self.undo.push(std::mem::replace(&mut self.edits, after));
            self.notice = Some("redone".into());
            self.saved();
        }
    }

    /// Whether there is something to undo, and to redo.
    pub fn can_undo_redo(&self) -> (bool, bool) {
        (!self.undo.is_empty(), !self.redo.is_empty())
    }

    /// Writes `corrections.csv` where the field says.
    pub fn write_corrections(&mut self, index: &DatasetIndex) {
        let path = PathBuf::from(self.corrections_path.trim());
        if path.as_os_str().is_empty() {
            self.notice = Some("Type where to write corrections.csv.".into());
            return;
        }
        self.notice = Some(match self.edits.write_corrections(index, &path) {
            Ok(0) => format!(
                "{} corrections written to {}; apply them with: batchscope export {} --corrections {}",
                self.edits.len(),
                path.display(),
                index.root.display(),
                path.display()
            ),
            Ok(missing) => format!(
                "corrections written to {}; {missing} edits name no sample of this dataset and were left out",
                path.display()
            ),
            Err(e) => format!("not written: {e}"),
        });
    }

    /// Shows only `filter`'s samples (the Health view's links into the Gallery).
    pub fn show_health(&mut self, filter: crate::query::HealthFilter) {
        self.clear_filters();
        self.query.health = vec![filter];
    }

    /// Shows only the annotated images without objects (the Health view's link into the Gallery).
    pub fn show_without_objects(&mut self) {
        self.clear_filters();
        self.objects_text.clear();
        self.objects_text.push('0');
    }

    /// Every filter off, the sort kept.
    fn clear_filters(&mut self) {
        self.query = Query {
            sort: self.query.sort,
            descending: self.query.descending,
            ..Query::default()
        };
        self.path_text.clear();
        self.objects_text.clear();
        self.problems_only = false;
        self.stale = true;
    }
}

/// A table built in the background.
struct Built {
    table: Table,
    has_subsets: bool,
    ms: f64,
}

impl Built {
    /// The table of `index` under `plan`, with the health pass's measures when it measured it.
    fn of(
        index: &DatasetIndex,
        plan: &PlanOptions,
        health: Option<(Arc<crate::health::Scan>, crate::health::Findings)>,
    ) -> Result<Self, String> {
        let started = Instant::now();
        let mut table = Table::plan(index, plan).map_err(|e| e.to_string())?;
        if let Some((scan, findings)) = health {
            table.attach_health(&scan, &findings);
        }
        let has_subsets = (0..table.len()).any(|r| table.subset(r).is_some());
        Ok(Self {
            table,
            has_subsets,
            ms: started.elapsed().as_secs_f64() * 1000.0,
        })
    }
}
