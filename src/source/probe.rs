//! What source detection looks at, gathered once for every kind's claim (see [`super::registry`]):
//! kept apart from the table so that a kind's module can define its claim without importing the
//! table that lists it.

use std::fs;
use std::path::{Path, PathBuf};

/// What detection looks at, gathered once for every claim: the name, whether it is a folder, the
/// first bytes of a file (read through the hardened open; gzip looked through for IDX), the regular
/// files of a folder.
pub struct Probe {
    /// The path.
    pub path: PathBuf,
    /// Its last part, lossily as text.
    pub name: String,
    /// The last part holds `*` or `?`: a pattern of files, not a path.
    pub pattern: bool,
    /// It is a folder (following links).
    pub is_dir: bool,
    /// It exists.
    pub exists: bool,
    /// A file's first 16 bytes (empty for a folder or an unreadable file).
    pub head: Vec<u8>,
    /// A folder's regular files (empty for a file).
    pub files: Vec<PathBuf>,
}

impl Probe {
    /// Looks at `path`.
    pub fn of(path: &Path) -> Self {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let pattern = name.contains(['*', '?']);
        let is_dir = !pattern && path.is_dir();
        let exists = !pattern && path.exists();
        let head = if exists && !is_dir {
            super::read_head(path, 16)
        } else {
            Vec::new()
        };
        let files = if is_dir {
            fs::read_dir(path)
                .map(|entries| {
                    entries
                        .flatten()
                        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                        .map(|e| e.path())
                        .collect()
                })
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        Self {
            path: path.to_path_buf(),
            name,
            pattern,
            is_dir,
            exists,
            head,
            files,
        }
    }

    /// A file (not a folder, not a pattern) that exists.
    pub fn is_file(&self) -> bool {
        self.exists && !self.is_dir
    }
}
