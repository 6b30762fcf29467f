//! Walks a dataset folder once, without decoding anything, into the list of samples and class names.
//!
//! The order is Keras's (`keras.utils.image_dataset_from_directory`, measured against Keras 3.15):
//! class names are the immediate subdirectories of the root sorted by code point (empty ones and
//! symlinked ones included, names starting with `.` excluded); within a class every directory below it is
//! visited in byte order of its full path (`sub` < `sub-2` < `sub/deep`) and the files of each directory
//! by name. Files are taken by how their name ends (`.png`, any ASCII case), as Keras's `endswith`
//! does, so a file named only `.png` counts. Paths are kept as the OS gave them, so names that are not
//! UTF-8 survive byte for byte.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::fs;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::options::{IndexOptions, LabelSource};
use crate::source::index::{DatasetIndex, IndexWarning, Sample, WalkControl};

/// The extensions Keras takes (`ALLOWLIST_FORMATS`), lower case, without the dot.
pub const KERAS_EXTENSIONS: &[&str] = &["bmp", "gif", "jpeg", "jpg", "png"];
/// The extensions taken in addition with [`IndexOptions::extra_formats`].
pub const EXTRA_EXTENSIONS: &[&str] = &["webp", "tif", "tiff"];

/// Why a folder could not be indexed at all.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The root is missing or unreadable.
    #[error("cannot read the dataset: {source}: {path:?}")]
    Root {
        /// The root.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The root exists but is not a directory.
    #[error("not a folder: {0:?}")]
    NotADirectory(PathBuf),
    /// `class_names` named a class that is not a subdirectory.
    #[error(
        "class {name:?} is not a subdirectory of the dataset folder; the classes there are: {valid}"
    )]
    UnknownClass {
        /// The name asked for.
        name: String,
        /// The valid names, comma-separated.
        valid: String,
    },
    /// `class_names` named a class twice.
    #[error("class {0:?} is listed twice in the class names")]
    DuplicateClass(String),
    /// Indexing was cancelled.
    #[error("indexing was cancelled")]
    Cancelled,
}

/// Indexes `root` with `options`. See the module docs for the order.
pub fn scan(root: &Path, options: &IndexOptions) -> Result<DatasetIndex, IndexError> {
    let never = AtomicBool::new(false);
    scan_with(
        root,
        options,
        &WalkControl {
            on_progress: &|_| {},
            cancel: &never,
        },
    )
}

/// [`scan`] with progress reports and cancellation.
pub fn scan_with(
    root: &Path,
    options: &IndexOptions,
    control: &WalkControl<'_>,
) -> Result<DatasetIndex, IndexError> {
    let meta = fs::metadata(root).map_err(|source| IndexError::Root {
        path: root.to_path_buf(),
        source,
    })?;
    if !meta.is_dir() {
        return Err(IndexError::NotADirectory(root.to_path_buf()));
    }
    let mut walker = Walker {
        options,
        control,
        found: 0,
        warnings: Vec::new(),
    };
    let mut index = DatasetIndex {
        root: root.to_path_buf(),
        ..DatasetIndex::default()
    };

    match options.labels {
        LabelSource::None => {
            for rel_path in walker.files_below(root, Path::new(""))? {
                index.samples.push(Sample {
                    objects: None,
                    rel_path,
                    label: None,
                });
            }
        }
        LabelSource::Inferred => {
            let classes = select_classes(class_dirs(root)?, options.class_names.as_deref())?;
            for (label, dir_name) in classes.iter().enumerate() {
                let label = u32::try_from(label).unwrap_or(u32::MAX);
                for rel_path in walker.files_below(&root.join(dir_name), Path::new(dir_name))? {
                    index.samples.push(Sample {
                        objects: None,
                        rel_path,
                        label: Some(label),
                    });
                }
            }
            index.labeled = true;
            index.class_names = classes
                .iter()
                .map(|n| n.to_string_lossy().into_owned())
                .collect();
        }
    }
    index.warnings = walker.warnings;
    Ok(index)
}

/// The immediate subdirectories of `root` (following symlinks), minus hidden ones, in byte order.
fn class_dirs(root: &Path) -> Result<Vec<OsString>, IndexError> {
    let entries = fs::read_dir(root).map_err(|source| IndexError::Root {
        path: root.to_path_buf(),
        source,
    })?;
    let mut names: Vec<OsString> = entries
        .filter_map(Result::ok)
        .filter(|e| !e.file_name().as_encoded_bytes().starts_with(b"."))
        .filter(|e| is_dir_following_links(&e.path()))
        .map(|e| e.file_name())
        .collect();
    names.sort_by(|a, b| a.as_encoded_bytes().cmp(b.as_encoded_bytes()));
    Ok(names)
}

/// Applies an explicit class list: keeps its order, checks every name exists.
fn select_classes(
    found: Vec<OsString>,
    wanted: Option<&[String]>,
) -> Result<Vec<OsString>, IndexError> {
    let Some(wanted) = wanted else {
        return Ok(found);
    };
    let mut seen = HashSet::new();
    wanted
        .iter()
        .map(|name| {
            if !seen.insert(name.as_str()) {
                return Err(IndexError::DuplicateClass(name.clone()));
            }
            found
                .iter()
                .find(|f| f.to_string_lossy() == name.as_str())
                .cloned()
                .ok_or_else(|| IndexError::UnknownClass {
                    name: name.clone(),
                    valid: found
                        .iter()
                        .map(|f| f.to_string_lossy())
                        .collect::<Vec<_>>()
                        .join(", "),
                })
        })
        .collect()
}

fn is_dir_following_links(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_dir())
}

/// Whether `name` ends with `.` and one of the accepted extensions, ignoring ASCII case. This is Keras's
/// `fname.lower().endswith(formats)`, so a file named only `.png` is an image, as it is to Keras
/// (`Path::extension` would see none there).
fn has_image_extension(name: &OsStr, extra_formats: bool) -> bool {
    let name = name.as_encoded_bytes();
    let matches = |list: &[&str]| {
        list.iter().any(|ext| {
            let ext = ext.as_bytes();
            name.len() > ext.len()
                && name[name.len() - ext.len() - 1] == b'.'
                && name[name.len() - ext.len()..].eq_ignore_ascii_case(ext)
        })
    };
    matches(KERAS_EXTENSIONS) || (extra_formats && matches(EXTRA_EXTENSIONS))
}

struct Walker<'a> {
    options: &'a IndexOptions,
    control: &'a WalkControl<'a>,
    found: usize,
    warnings: Vec<IndexWarning>,
}

/// The real folders (device, inode) on the way from a class folder down to a folder.
struct Chain {
    key: (u64, u64),
    parent: Option<Rc<Chain>>,
}

impl Chain {
    fn contains(chain: Option<&Rc<Chain>>, key: (u64, u64)) -> bool {
        let mut at = chain;
        while let Some(link) = at {
            if link.key == key {
                return true;
            }
            at = link.parent.as_ref();
        }
        false
    }
}

/// A folder waiting to be visited, ordered by its path relative to the root (bytes), smallest first.
struct Pending {
    rel: PathBuf,
    path: PathBuf,
    is_link: bool,
    parents: Option<Rc<Chain>>,
}

impl Pending {
    fn key(&self) -> &[u8] {
        self.rel.as_os_str().as_encoded_bytes()
    }
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Pending {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(other.key())
    }
}

impl Walker<'_> {
    /// Every image file below `dir` (whose path relative to the root is `rel`), in Keras's order.
    ///
    /// Folders are visited in byte order of their full path, which is the order Keras lists them in,
    /// and each real folder (device and inode) once: a folder reached again through another symlink is
    /// not listed again, and one that points back to a folder above it (a loop) is reported. Visiting in
    /// that order means the path kept for a folder reached several ways is the first one Keras lists,
    /// and the walk stays linear in the number of real folders, where following every path of a
    /// folder graph with shared links is exponential.
    fn files_below(&mut self, dir: &Path, rel: &Path) -> Result<Vec<PathBuf>, IndexError> {
        let mut files = Vec::new();
        let mut seen: HashMap<(u64, u64), PathBuf> = HashMap::new();
        let mut pending = BinaryHeap::new();
        pending.push(Reverse(Pending {
            rel: rel.to_path_buf(),
            path: dir.to_path_buf(),
            is_link: false,
            parents: None,
        }));
        while let Some(Reverse(next)) = pending.pop() {
            if self.control.cancel.load(Ordering::Relaxed) {
                return Err(IndexError::Cancelled);
            }
            let key = match fs::metadata(&next.path) {
                Ok(meta) => (meta.dev(), meta.ino()),
                Err(err) => {
                    self.warnings.push(IndexWarning {
                        path: next.path,
                        reason: err.to_string(),
                    });
                    continue;
                }
            };
            if let Some(first) = seen.get(&key) {
                if Chain::contains(next.parents.as_ref(), key) {
                    self.warnings.push(IndexWarning {
                        path: next.path,
                        reason: "symlink loop: it points back to a folder above it, not followed"
                            .into(),
                    });
                } else if next.is_link {
                    self.warnings.push(IndexWarning {
                        path: next.path,
                        reason: format!(
                            "symlink to a folder already indexed as {first:?}, not indexed twice"
                        ),
                    });
                }
                continue;
            }
            seen.insert(key, next.rel.clone());
            let chain = Some(Rc::new(Chain {
                key,
                parent: next.parents,
            }));
            for (name, is_link) in self.list(&next.path, &next.rel, &mut files) {
                pending.push(Reverse(Pending {
                    rel: next.rel.join(&name),
                    path: next.path.join(&name),
                    is_link,
                    parents: chain.clone(),
                }));
            }
        }
        Ok(files)
    }

    /// Appends the image files of `dir` (relative path `rel`) to `files`, sorted by name, and returns
    /// its subfolders to visit (name, whether it is a symlink).
    fn list(&mut self, dir: &Path, rel: &Path, files: &mut Vec<PathBuf>) -> Vec<(OsString, bool)> {
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(err) => {
                self.warnings.push(IndexWarning {
                    path: dir.to_path_buf(),
                    reason: err.to_string(),
                });
                return Vec::new();
            }
        };
        let mut names = Vec::new();
        let mut subdirs = Vec::new();
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(err) => {
                    self.warnings.push(IndexWarning {
                        path: dir.to_path_buf(),
                        reason: err.to_string(),
                    });
                    continue;
                }
            };
            let name = entry.file_name();
            let Ok(file_type) = entry.file_type() else {
                continue;
            };
            if file_type.is_dir() {
                subdirs.push((name, false));
            } else if file_type.is_symlink() && is_dir_following_links(&entry.path()) {
                if self.options.follow_links {
                    subdirs.push((name, true));
                }
            } else if has_image_extension(&name, self.options.extra_formats) {
                names.push(name);
            }
        }
        names.sort_by(|a, b| a.as_encoded_bytes().cmp(b.as_encoded_bytes()));
        let before = self.found;
        self.found += names.len();
        if self.found / 256 != before / 256 {
            (self.control.on_progress)(self.found);
        }
        files.extend(names.iter().map(|f| rel.join(f)));
        subdirs
    }
}
