//! Dataset sources: one module per kind of stored dataset, each indexing its kind cheaply (paths or
//! record offsets and labels, no decoding) into one [`DatasetIndex`]. After that the plan, the loader
//! and every consumer treat all sources alike; the only difference left is the index's
//! [`Store`](crate::index::Store): image files (a folder), encoded images inside records (TFRecord),
//! or stored rows that keep their dtypes and shapes (a saved tf.data dataset, `.npy`/`.npz`, MNIST
//! IDX, CIFAR binaries, a batchscope export).
//!
//! [`open`] detects the kind from the content (names only where the format has no magic bytes:
//! CIFAR's), unless [`IndexOptions::source`] says which it is.

pub mod arrays;
pub mod cifar;
pub mod export_folder;
pub mod idx;
pub mod rows;
pub mod saved;
pub mod stored;
pub mod tfrecord;

use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use crate::index::{self, DatasetIndex, IndexError, WalkControl};
use crate::options::{IndexOptions, LabelSource, SourceKind};

/// Why a dataset could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// An image folder could not be indexed.
    #[error(transparent)]
    Folder(#[from] IndexError),
    /// An array file (`.npy`, `.npz`, IDX, CIFAR, an export folder) could not be opened.
    #[error(transparent)]
    Arrays(#[from] rows::ArrayError),
    /// A saved tf.data dataset could not be opened.
    #[error(transparent)]
    Saved(#[from] saved::SavedError),
    /// TFRecord files could not be opened.
    #[error(transparent)]
    TfRecord(#[from] tfrecord::TfRecordError),
    /// An option does not apply to this kind of source.
    #[error("{option} does not apply to {kind} sources: {path:?}")]
    OptionNotApplicable {
        /// The option, as spelled on the command line.
        option: &'static str,
        /// The kind the path was opened as.
        kind: SourceKind,
        /// The path.
        path: PathBuf,
    },
    /// The source has no usable sample at all.
    #[error("{reason}: {path:?}")]
    Unusable {
        /// What is wrong.
        reason: String,
        /// The path.
        path: PathBuf,
    },
    /// Opening was cancelled.
    #[error("opening was cancelled")]
    Cancelled,
}

/// The byte limits indexing keeps to: what one record may hold before it is read into memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The longest record held while indexing or reading (a TFRecord record, a saved dataset's
    /// record and the tensor decoded from it): a longer one is left out with the limit in its
    /// reason. The command line's `--max-file-bytes`.
    pub max_record_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_record_bytes: crate::decode::DEFAULT_MAX_FILE_BYTES,
        }
    }
}

/// Opens `path` as a dataset: the kind from `options.source`, or detected from the content. Records
/// are held up to the default [`Limits`]; see [`open_within`].
pub fn open(
    path: &Path,
    options: &IndexOptions,
    control: &WalkControl<'_>,
) -> Result<DatasetIndex, SourceError> {
    open_within(path, options, Limits::default(), control)
}

/// [`open`], holding no record longer than `limits` allows.
pub fn open_within(
    path: &Path,
    options: &IndexOptions,
    limits: Limits,
    control: &WalkControl<'_>,
) -> Result<DatasetIndex, SourceError> {
    let kind = match options.source {
        Some(kind) => kind,
        None => detect(path),
    };
    check_options(path, kind, options)?;
    let mut index = match kind {
        SourceKind::Folder => return Ok(index::scan_with(path, options, control)?),
        SourceKind::Saved => stored::open_saved(path, options, limits.max_record_bytes, control)?,
        SourceKind::Tfrecord => {
            tfrecord::images::open_index(path, options, limits.max_record_bytes, control)?
        }
        SourceKind::Npy | SourceKind::Npz => stored::open_arrays(path, options)?,
        SourceKind::Idx => stored::open_idx(path, options)?,
        SourceKind::Cifar => stored::open_cifar(path, options)?,
    };
    if kind == SourceKind::Tfrecord && path.is_dir() {
        warn_about_subfolders(path, &mut index);
    }
    if options.labels == LabelSource::None {
        // `--labels none`: no classes (an export then leaves the label array out).
        for sample in &mut index.samples {
            sample.label = None;
        }
        index.class_names.clear();
        index.label_values = None;
        index.labeled = false;
    }
    Ok(index)
}

/// A folder read as TFRecords may also hold an image dataset's class folders: say they are not read.
fn warn_about_subfolders(dir: &Path, index: &mut DatasetIndex) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut folders: Vec<String> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    if folders.is_empty() {
        return;
    }
    folders.sort();
    let shown: Vec<&str> = folders.iter().take(3).map(String::as_str).collect();
    index.warnings.push(crate::index::IndexWarning {
        path: dir.to_path_buf(),
        reason: format!(
            "read as TFRecord files; the {} folder(s) in it ({}{}) are not read (--source folder reads it as an image folder instead)",
            folders.len(),
            shown.join(", "),
            if folders.len() > 3 { ", ..." } else { "" }
        ),
    });
}

/// Refuses options that mean nothing for `kind` (a folder option on a saved dataset, say), so a
/// typo'd command does not silently do something else.
fn check_options(path: &Path, kind: SourceKind, options: &IndexOptions) -> Result<(), SourceError> {
    let refuse = |option| {
        Err(SourceError::OptionNotApplicable {
            option,
            kind,
            path: path.to_path_buf(),
        })
    };
    let folder = kind == SourceKind::Folder;
    if !folder && options.class_names.is_some() {
        return refuse("--class-names");
    }
    if !folder && options.follow_links {
        return refuse("--follow-links");
    }
    if !folder && options.extra_formats {
        return refuse("--extra-formats");
    }
    if kind != SourceKind::Saved && options.batched.is_some() {
        return refuse("--batched");
    }
    if !matches!(
        kind,
        SourceKind::Tfrecord | SourceKind::Npz | SourceKind::Npy | SourceKind::Saved
    ) && (options.image_key.is_some() || options.label_key.is_some())
    {
        return refuse(if options.image_key.is_some() {
            "--image-key"
        } else {
            "--label-key"
        });
    }
    if kind != SourceKind::Idx && options.labels_file.is_some() {
        return refuse("--labels-file");
    }
    Ok(())
}

/// The kind of dataset at `path`, from its content: a folder is a saved dataset (it holds
/// `snapshot.metadata`), a batchscope export, CIFAR batches, TFRecord shards or IDX files when it
/// holds those, else an image folder; a file is `.npy`/`.npz` by its magic bytes, IDX by its header,
/// CIFAR by its name, TFRecord by a valid first record (or a compressed stream named like one). A
/// path with `*` or `?` in its last part is a pattern of TFRecord files.
pub fn detect(path: &Path) -> SourceKind {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name.contains(['*', '?']) {
        return SourceKind::Tfrecord;
    }
    if path.is_dir() {
        return detect_folder(path);
    }
    if !path.exists() {
        // Opening it as a folder says plainly that it is not there.
        return SourceKind::Folder;
    }
    if name == "snapshot.metadata" || name == "dataset_spec.pb" {
        return SourceKind::Saved;
    }
    let head = read_head(path, 16);
    if head.starts_with(b"\x93NUMPY") {
        return SourceKind::Npy;
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return SourceKind::Npz;
    }
    if cifar::CifarKind::from_name(path).is_some() {
        return SourceKind::Cifar;
    }
    if is_idx_head(&head) || is_idx_name(&name) {
        return SourceKind::Idx;
    }
    SourceKind::Tfrecord
}

fn detect_folder(dir: &Path) -> SourceKind {
    if dir.join("snapshot.metadata").is_file() {
        return SourceKind::Saved;
    }
    if export_folder::is_export_folder(dir) {
        return SourceKind::Npy;
    }
    let Ok(entries) = fs::read_dir(dir) else {
        return SourceKind::Folder;
    };
    let mut files = Vec::new();
    for entry in entries.flatten() {
        if entry.file_type().is_ok_and(|t| t.is_file()) {
            files.push(entry.path());
        }
    }
    if files
        .iter()
        .any(|f| cifar::CifarKind::from_name(f).is_some())
    {
        return SourceKind::Cifar;
    }
    if files.iter().any(|f| {
        f.file_name().is_some_and(|n| {
            is_idx_name(&n.to_string_lossy()) && n.to_string_lossy().contains("images")
        })
    }) {
        return SourceKind::Idx;
    }
    if files.iter().any(|f| tfrecord::looks_like_tfrecord(f)) {
        return SourceKind::Tfrecord;
    }
    SourceKind::Folder
}

/// The first `n` bytes of `path` (fewer if it is shorter or unreadable); gzip is looked through.
fn read_head(path: &Path, n: usize) -> Vec<u8> {
    let mut head = Vec::new();
    let Ok(file) = fs::File::open(path) else {
        return head;
    };
    let _ = file.take(n as u64).read_to_end(&mut head);
    if head.starts_with(&[0x1f, 0x8b])
        && let Ok(file) = fs::File::open(path)
    {
        let mut inner = Vec::new();
        let _ = flate2::read::GzDecoder::new(file)
            .take(n as u64)
            .read_to_end(&mut inner);
        if is_idx_head(&inner) {
            return inner;
        }
    }
    head
}

/// An IDX header: two zero bytes, a type code (0x08 uint8 … 0x0E float64) and 1 to 4 dimensions.
fn is_idx_head(head: &[u8]) -> bool {
    head.len() >= 4
        && head[0] == 0
        && head[1] == 0
        && matches!(head[2], 0x08 | 0x09 | 0x0B | 0x0C | 0x0D | 0x0E)
        && (1..=4).contains(&head[3])
}

/// MNIST's file names: `…-idx3-ubyte`, `…-idx1-ubyte`, optionally `.gz`.
fn is_idx_name(name: &str) -> bool {
    let name = name.strip_suffix(".gz").unwrap_or(name);
    name.contains("-idx") && name.ends_with("-ubyte")
}
