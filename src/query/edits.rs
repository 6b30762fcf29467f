//! What the user decided about samples: tags, a new class, exclusion. Edits name samples by their
//! path as `manifest.csv` writes it, so they hold across loader options (a split, a shuffle) and are
//! kept beside, never inside, the dataset: in a sidecar file per dataset under the user's data
//! folder ([`sidecar_path`]), written whole under a temporary name and renamed, so a reader sees the
//! old file or the new one. [`Edits::corrections_csv`] writes them as `corrections.csv`
//! (`path,old_class,new_class,exclude,tags`), which `batchscope export --corrections` applies.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::export::manifest_path_bytes;
use crate::index::DatasetIndex;

/// The sidecar's format version.
const VERSION: u32 = 1;

/// Separates the tags in `corrections.csv`'s `tags` column.
pub const TAG_SEPARATOR: char = ';';

/// What was decided about one sample.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Edit {
    /// Its tags.
    pub tags: BTreeSet<String>,
    /// The class it should have (a class name), if it is relabelled.
    pub new_class: Option<String>,
    /// Leave it out of exports.
    pub exclude: bool,
}

impl Edit {
    /// Whether it says nothing.
    pub fn is_empty(&self) -> bool {
        self.tags.is_empty() && self.new_class.is_none() && !self.exclude
    }
}

/// Every sample's [`Edit`], by manifest path.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Edits {
    version: u32,
    /// The dataset they belong to (its [`dataset_key`]), for a reader of the file.
    pub dataset: PathBuf,
    samples: BTreeMap<String, Edit>,
}

/// Why edits could not be changed, read or written.
#[derive(Debug, thiserror::Error)]
pub enum EditsError {
    /// A tag that is empty or holds the separator or a control character.
    #[error("{0:?} is not a tag: tags are non-empty and hold no ';', tab or line break")]
    BadTag(String),
    /// Reading or writing the sidecar failed.
    #[error("{what}: {source}: {path:?}")]
    Io {
        /// `reading the edits file`, `writing corrections.csv`.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The sidecar is not an edits file.
    #[error("the edits file is not valid ({reason}): {path:?}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// Checks a tag name.
pub fn check_tag(tag: &str) -> Result<(), EditsError> {
    if tag.is_empty() || tag.chars().any(|c| c == TAG_SEPARATOR || c.is_control()) {
        return Err(EditsError::BadTag(tag.to_owned()));
    }
    Ok(())
}

/// How a dataset is named: its canonical path, so that `data/cats` and `./data/cats/` are one
/// dataset (the path as given when it cannot be resolved, e.g. it is gone).
pub fn dataset_key(path: &Path) -> PathBuf {
    std::fs::canonicalize(path)
        .unwrap_or_else(|_| std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()))
}

/// The user's data folder: `$XDG_DATA_HOME/batchscope`, else `~/.local/share/batchscope` (where
/// the viewer keeps its settings).
pub fn default_data_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(base.join("batchscope"))
}

/// The sidecar of `dataset` under `data_dir`: `edits/<hash of its key>.json`.
pub fn sidecar_path(data_dir: &Path, dataset: &Path) -> PathBuf {
    let key = dataset_key(dataset);
    let hash = crate::health::hash::hash64(0, key.as_os_str().as_encoded_bytes());
    data_dir.join("edits").join(format!("{hash:016x}.json"))
}

impl Edits {
    /// No edits, for `dataset`.
    pub fn new(dataset: &Path) -> Self {
        Self {
            version: VERSION,
            dataset: dataset_key(dataset),
            samples: BTreeMap::new(),
        }
    }

    /// The edits saved at `path`; none (for `dataset`) when there is no file.
    pub fn load(path: &Path, dataset: &Path) -> Result<Self, EditsError> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::new(dataset)),
            Err(source) => {
                return Err(EditsError::Io {
                    what: "reading the edits file",
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let invalid = |reason: String| EditsError::Invalid {
            path: path.to_path_buf(),
            reason,
        };
        let edits: Self = serde_json::from_slice(&bytes).map_err(|e| invalid(e.to_string()))?;
        if edits.version != VERSION {
            return Err(invalid(format!(
                "version {} where {VERSION} is understood",
                edits.version
            )));
        }
        Ok(edits)
    }

    /// Writes the edits to `path`, whole: a temporary file beside it, synced, then renamed over it.
    pub fn save(&self, path: &Path) -> Result<(), EditsError> {
        let io = |source| EditsError::Io {
            what: "writing the edits file",
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let json = serde_json::to_vec_pretty(self).map_err(|e| io(std::io::Error::other(e)))?;
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let written = std::fs::File::create(&tmp).and_then(|mut f| {
            f.write_all(&json)?;
            f.write_all(b"\n")?;
            f.sync_all()
        });
        if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, path)) {
            let _ = std::fs::remove_file(&tmp);
            return Err(io(e));
        }
        Ok(())
    }

    /// The edit of the sample at manifest path `path`, if it has one.
    pub fn get(&self, path: &str) -> Option<&Edit> {
        self.samples.get(path)
    }

    /// Every edited sample, by path.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Edit)> {
        self.samples.iter().map(|(p, e)| (p.as_str(), e))
    }

    /// Number of edited samples.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether no sample is edited.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// Every tag in use, sorted.
    pub fn tag_names(&self) -> BTreeSet<&str> {
        self.samples
            .values()
            .flat_map(|e| e.tags.iter().map(String::as_str))
            .collect()
    }

    /// The paths of the samples holding any of `tags`.
    pub fn tagged<'a>(&'a self, tags: &'a [String]) -> impl Iterator<Item = &'a str> + 'a {
        self.samples
            .iter()
            .filter(|(_, e)| tags.iter().any(|t| e.tags.contains(t)))
            .map(|(p, _)| p.as_str())
    }

    fn change<'p>(&mut self, paths: impl IntoIterator<Item = &'p str>, f: impl Fn(&mut Edit)) {
        for path in paths {
            let edit = self.samples.entry(path.to_owned()).or_default();
            f(edit);
            if edit.is_empty() {
                self.samples.remove(path);
            }
        }
    }

    /// Adds `tag` to the samples at `paths`.
    pub fn add_tag<'p>(
        &mut self,
        paths: impl IntoIterator<Item = &'p str>,
        tag: &str,
    ) -> Result<(), EditsError> {
        check_tag(tag)?;
        self.change(paths, |e| {
            e.tags.insert(tag.to_owned());
        });
        Ok(())
    }

    /// Removes `tag` from the samples at `paths`.
    pub fn remove_tag<'p>(&mut self, paths: impl IntoIterator<Item = &'p str>, tag: &str) {
        self.change(paths, |e| {
            e.tags.remove(tag);
        });
    }

    /// Relabels the samples at `paths` as class `class` (a class name), or back to their own label
    /// with `None`.
    pub fn set_class<'p>(&mut self, paths: impl IntoIterator<Item = &'p str>, class: Option<&str>) {
        self.change(paths, |e| e.new_class = class.map(str::to_owned));
    }

    /// Marks the samples at `paths` for exclusion, or takes the mark away.
    pub fn set_exclude<'p>(&mut self, paths: impl IntoIterator<Item = &'p str>, exclude: bool) {
        self.change(paths, |e| e.exclude = exclude);
    }

    /// `corrections.csv`: a header, then one row per edited sample of `index`, in dataset order:
    /// `path,old_class,new_class,exclude,tags` (exclude `1` or `0`, tags `;`-separated). Edits of
    /// paths `index` does not hold are counted in the second value, not written.
    pub fn corrections_csv(&self, index: &DatasetIndex) -> (Vec<u8>, usize) {
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut written = 0;
        let _ = w.write_record(["path", "old_class", "new_class", "exclude", "tags"]);
        for sample in &index.samples {
            let bytes = manifest_path_bytes(&sample.rel_path);
            let Some(edit) = std::str::from_utf8(&bytes)
                .ok()
                .and_then(|p| self.samples.get(p))
            else {
                continue;
            };
            let old = sample
                .label
                .and_then(|l| index.class_names.get(l as usize))
                .map_or("", String::as_str);
            let tags: Vec<&str> = edit.tags.iter().map(String::as_str).collect();
            let _ = w.write_record([
                bytes.as_slice(),
                old.as_bytes(),
                edit.new_class.as_deref().unwrap_or("").as_bytes(),
                if edit.exclude { b"1" } else { b"0" },
                tags.join(";").as_bytes(),
            ]);
            written += 1;
        }
        // Writing to a Vec cannot fail.
        let bytes = w.into_inner().unwrap_or_default();
        (bytes, self.samples.len() - written)
    }

    /// Writes [`Edits::corrections_csv`] to `path` (temporary file, then rename); returns how many
    /// edits named no sample of `index`.
    pub fn write_corrections(
        &self,
        index: &DatasetIndex,
        path: &Path,
    ) -> Result<usize, EditsError> {
        let (bytes, missing) = self.corrections_csv(index);
        let io = |source| EditsError::Io {
            what: "writing the corrections file",
            path: path.to_path_buf(),
            source,
        };
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let written = std::fs::File::create(&tmp).and_then(|mut f| {
            f.write_all(&bytes)?;
            f.sync_all()
        });
        if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, path)) {
            let _ = std::fs::remove_file(&tmp);
            return Err(io(e));
        }
        Ok(missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::Sample;

    fn index() -> DatasetIndex {
        DatasetIndex {
            class_names: vec!["cat".into(), "dog".into()],
            samples: [("cat/1.png", 0), ("cat/a,b.png", 0), ("dog/2.png", 1)]
                .iter()
                .map(|&(p, l)| Sample {
                    objects: None,
                    rel_path: p.into(),
                    label: Some(l),
                })
                .collect(),
            labeled: true,
            ..DatasetIndex::default()
        }
    }

    #[test]
    fn sidecar_round_trips_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let dataset = dir.path().join("data");
        std::fs::create_dir(&dataset).unwrap();
        let path = sidecar_path(&dir.path().join("share"), &dataset);
        // The same dataset named another way has the same sidecar.
        assert_eq!(
            path,
            sidecar_path(&dir.path().join("share"), &dataset.join("."))
        );
        let mut edits = Edits::load(&path, &dataset).unwrap();
        assert!(edits.is_empty(), "no file: no edits");
        edits.add_tag(["dog/2.png", "cat/1.png"], "check").unwrap();
        edits.set_class(["cat/1.png"], Some("dog"));
        edits.set_exclude(["cat/a,b.png"], true);
        edits.save(&path).unwrap();
        let names: Vec<String> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        let again = Edits::load(&path, &dataset).unwrap();
        assert_eq!(again, edits);
        assert_eq!(again.dataset, dataset_key(&dataset));
        assert_eq!(
            again.get("cat/1.png").unwrap().new_class.as_deref(),
            Some("dog")
        );
        assert_eq!(again.tag_names().into_iter().collect::<Vec<_>>(), ["check"]);
        // Undoing every change of a sample forgets it.
        let mut edits = again;
        edits.remove_tag(["dog/2.png"], "check");
        assert_eq!(edits.len(), 2);
        assert!(edits.get("dog/2.png").is_none());
        // A broken file is an error naming it, not an empty set.
        std::fs::write(&path, b"{not json").unwrap();
        let err = Edits::load(&path, &dataset).unwrap_err().to_string();
        assert!(err.starts_with("the edits file is not valid ("), "{err}");
        assert!(err.ends_with(&format!("{path:?}")), "{err}");
    }

    #[test]
    fn tags_holding_the_separator_are_refused() {
        let mut edits = Edits::default();
        for bad in ["", "a;b", "a\nb"] {
            assert!(matches!(
                edits.add_tag(["x.png"], bad),
                Err(EditsError::BadTag(_))
            ));
        }
        assert!(edits.is_empty());
    }

    type Row<'a> = (&'a [u8], Option<&'a str>, bool, Vec<&'a str>);

    #[test]
    fn corrections_csv_in_dataset_order_with_csv_quoting() {
        let mut edits = Edits::default();
        edits.set_exclude(["dog/2.png"], true);
        edits.add_tag(["dog/2.png"], "blurry").unwrap();
        edits.add_tag(["dog/2.png"], "dark").unwrap();
        edits.set_class(["cat/a,b.png"], Some("dog"));
        edits.set_class(["gone.png"], Some("cat"));
        let (bytes, missing) = edits.corrections_csv(&index());
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "path,old_class,new_class,exclude,tags\n\"cat/a,b.png\",cat,dog,0,\ndog/2.png,dog,,1,blurry;dark\n"
        );
        assert_eq!(missing, 1);
        // What it writes reads back.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("corrections.csv");
        edits.write_corrections(&index(), &file).unwrap();
        let read = crate::query::Corrections::read(&file).unwrap();
        let rows: Vec<Row> = read
            .rows
            .iter()
            .map(|r| {
                (
                    r.path.as_slice(),
                    r.new_class.as_deref(),
                    r.exclude,
                    r.tags.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                (&b"cat/a,b.png"[..], Some("dog"), false, vec![]),
                (&b"dog/2.png"[..], None, true, vec!["blurry", "dark"]),
            ]
        );
    }
}
