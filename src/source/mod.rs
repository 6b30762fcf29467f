//! Dataset sources: one module per kind of stored dataset, each indexing its kind cheaply (paths or
//! record offsets and labels, no decoding) into one [`DatasetIndex`]. Every kind meets one contract
//! ([`contract`]): once indexed, the loader, export, health, inspect, the command line and the viewer
//! reach its samples through the index's [`Store`](crate::index::Store) (encoded images to decode,
//! or stored rows kept with their dtypes and shapes) and ask its
//! [`Capabilities`](contract::Capabilities); none of them matches on which kind it is.
//!
//! Each kind is registered once ([`registry::SOURCES`]): how it is detected from the content (names
//! only where the format has no magic bytes: CIFAR's), what it takes, how it opens. [`open`] detects
//! the kind unless [`IndexOptions::source`] says which it is, and refuses options the kind does not
//! take ([`crate::validate`]).

pub mod annotated_files;
pub mod annotations;
pub mod arrays;
pub mod cifar;
pub mod class_names;
pub mod coco;
pub mod contract;
pub mod export_folder;
pub mod folder;
pub mod hf_arrow;
pub mod hf_features;
pub mod idx;
pub mod index;
pub mod open_stored;
pub mod parquet;
mod probe;
pub mod registry;
pub mod rows;
pub mod saved;
pub mod segmentation;
pub mod shards;
pub mod tfrecord;
pub mod voc;
pub mod webdataset;
pub mod yolo;

use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use crate::index::{DatasetIndex, IndexError, WalkControl};
use crate::options::{IndexOptions, LabelSource, SourceKind};
use crate::validate::{self, Given, Invalid, Takes};
pub use contract::SourceOption;

/// `<file name>#<place>` (`train.tfrecord#17`, `data.arrow#2/5`): the name of a sample inside a file,
/// the file's name kept byte for byte (names need not be UTF-8).
pub(crate) fn member_name(file: &Path, place: impl std::fmt::Display) -> PathBuf {
    let mut name = file
        .file_name()
        .map_or_else(|| file.as_os_str().to_os_string(), std::ffi::OsString::from);
    name.push(format!("#{place}"));
    PathBuf::from(name)
}

/// What each kind of source takes: whether it decodes images, the source-specific options it takes,
/// and what it is called in messages, from its registration ([`registry::SOURCES`]): the one table
/// every option check reads ([`crate::validate`]).
pub fn takes(kind: SourceKind) -> Takes {
    registry::registration(kind).takes
}

/// `options` without the source-specific `option` (as if it had not been given).
pub fn clear_option(options: &mut IndexOptions, option: SourceOption) {
    match option {
        SourceOption::ClassNames => options.class_names = None,
        SourceOption::FollowLinks => options.follow_links = false,
        SourceOption::ExtraFormats => options.extra_formats = false,
        SourceOption::Batched => options.batched = None,
        SourceOption::ImageKey => options.image_key = None,
        SourceOption::LabelKey => options.label_key = None,
        SourceOption::LabelsFile => options.labels_file = None,
        SourceOption::Layout => options.layout = crate::options::ArrayLayout::Auto,
        SourceOption::Split => options.split = None,
        SourceOption::BboxKeys => options.bbox_keys = None,
        SourceOption::ObjectClassKey => options.object_class_key = None,
        SourceOption::LabelMap => options.label_map = None,
    }
}

/// Opens `path` for the viewer, which differs from [`open`] in two ways. Options this kind does not
/// take are left out (the viewer keeps them in its settings for the next source that takes them,
/// and shows them disabled with [`validate::why_not`]'s reason) instead of refused. And arrays
/// without an image's shape open with their first array as the rows, which the viewer shows as
/// values (the command line asks for `--image-key` instead, so that an export says what it writes).
/// Returns the index and the options it was opened with.
pub fn open_for_viewing(
    path: &Path,
    requested: &IndexOptions,
    limits: Limits,
    control: &WalkControl<'_>,
) -> Result<(DatasetIndex, IndexOptions), SourceError> {
    let mut options = requested.clone();
    let kind = options.source.unwrap_or_else(|| detect(path));
    if let Err(SourceError::OptionNotApplicable { invalid, .. }) =
        check_options(path, kind, &options)
    {
        for refused in invalid {
            if let validate::Opt::Source(option) = refused.option {
                clear_option(&mut options, option);
            }
        }
    }
    // Names for the labels are given once the source is open, and names that do not fit are left
    // out (the viewer says why beside its field, from `class_names::check`) rather than fatal.
    let names = if registry::registration(kind).names_labels {
        options.class_names.take()
    } else {
        None
    };
    let opened = match open_as(path, kind, &options, limits, control) {
        Err(SourceError::Arrays(rows::ArrayError::NoImageArray { .. }))
            if options.image_key.is_none() && matches!(kind, SourceKind::Npy | SourceKind::Npz) =>
        {
            options.image_key = Some(if kind == SourceKind::Npz {
                arrays::open_npz(path)
                    .ok()
                    .and_then(|members| members.into_iter().next())
                    .map_or_else(String::new, |(name, _)| name)
            } else {
                "images".to_owned()
            });
            open_as(path, kind, &options, limits, control)
        }
        opened => opened,
    };
    opened.map(|mut index| {
        if let Some(names) = names
            && class_names::name_classes(&mut index, &names).is_ok()
        {
            options.class_names = Some(names);
        }
        (index, options)
    })
}

/// The source-specific options `options` gives (set, or switched on), in the order they are checked.
pub fn given_options(options: &IndexOptions) -> Vec<SourceOption> {
    [
        (SourceOption::ClassNames, options.class_names.is_some()),
        (SourceOption::FollowLinks, options.follow_links),
        (SourceOption::ExtraFormats, options.extra_formats),
        (SourceOption::Batched, options.batched.is_some()),
        (SourceOption::ImageKey, options.image_key.is_some()),
        (SourceOption::LabelKey, options.label_key.is_some()),
        (SourceOption::LabelsFile, options.labels_file.is_some()),
        (
            SourceOption::Layout,
            options.layout != crate::options::ArrayLayout::Auto,
        ),
        (SourceOption::Split, options.split.is_some()),
        (SourceOption::BboxKeys, options.bbox_keys.is_some()),
        (
            SourceOption::ObjectClassKey,
            options.object_class_key.is_some(),
        ),
        (SourceOption::LabelMap, options.label_map.is_some()),
    ]
    .into_iter()
    .filter_map(|(option, given)| given.then_some(option))
    .collect()
}

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
    /// The files of a sharded input (webdataset tars, Parquet files) could not be listed.
    #[error(transparent)]
    Shards(#[from] shards::ShardError),
    /// Options that this kind of source does not take (each spelled as its flag in the message).
    #[error("{}: {path:?}", invalid.iter().map(Invalid::for_command_line).collect::<Vec<_>>().join("; "))]
    OptionNotApplicable {
        /// Every option refused, and why.
        invalid: Vec<Invalid>,
        /// The path.
        path: PathBuf,
    },
    /// Class names that do not fit the source's labels (their number, or labels that are not
    /// integer classes).
    #[error("{}: {path:?}", invalid.for_command_line())]
    ClassNames {
        /// Why they do not fit.
        invalid: Invalid,
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
    let kind = options.source.unwrap_or_else(|| detect(path));
    open_as(path, kind, options, limits, control)
}

/// [`open_within`] for a caller that has already detected (or been told) the `kind`, so that the
/// path is not looked at twice.
pub fn open_as(
    path: &Path,
    kind: SourceKind,
    options: &IndexOptions,
    limits: Limits,
    control: &WalkControl<'_>,
) -> Result<DatasetIndex, SourceError> {
    check_options(path, kind, options)?;
    let registration = registry::registration(kind);
    let mut index = (registration.open)(path, options, limits, control)?;
    index.store = index.store.taking(takes(kind));
    if options.labels == LabelSource::None {
        // `--labels none`: no classes (an export then leaves the label array out).
        for sample in &mut index.samples {
            sample.label = None;
        }
        index.class_names.clear();
        index.label_values = None;
        index.labeled = false;
    }
    if let Some(names) = options.class_names.as_deref()
        && registration.names_labels
    {
        class_names::name_classes(&mut index, names).map_err(|invalid| {
            SourceError::ClassNames {
                invalid,
                path: path.to_path_buf(),
            }
        })?;
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
/// typo'd command does not silently do something else: [`validate::validate`] on the index options.
fn check_options(path: &Path, kind: SourceKind, options: &IndexOptions) -> Result<(), SourceError> {
    let given = Given {
        source_options: given_options(options),
        labels: Some(options.labels),
        ..Given::default()
    };
    validate::validate(&given, &takes(kind)).map_err(|invalid| SourceError::OptionNotApplicable {
        invalid,
        path: path.to_path_buf(),
    })
}

impl SourceError {
    /// Whether the error is in how the source was asked for (an option it does not take, a class
    /// that is not there): a usage error, not a failure to read.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            Self::OptionNotApplicable { .. }
                | Self::ClassNames { .. }
                | Self::Folder(IndexError::UnknownClass { .. } | IndexError::DuplicateClass(_))
        )
    }

    /// Whether the error comes from walking an image folder (the viewer then offers to choose another
    /// folder).
    pub fn is_folder_walk(&self) -> bool {
        matches!(self, Self::Folder(_))
    }

    /// Whether opening was cancelled.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, Self::Cancelled | Self::Folder(IndexError::Cancelled))
    }
}

/// The kind of dataset at `path`, from its content: a folder is a saved dataset (it holds
/// `snapshot.metadata`), a batchscope export, CIFAR batches, TFRecord shards or IDX files when it
/// holds those, else an image folder; a file is `.npy`/`.npz` by its magic bytes, IDX by its header,
/// CIFAR by its name, TFRecord by a valid first record (or a compressed stream named like one). A
/// path with `*` or `?` in its last part is a pattern of TFRecord files. The claims are the
/// registered kinds' own ([`registry::SOURCES`]), tried in order.
pub fn detect(path: &Path) -> SourceKind {
    let probe = registry::Probe::of(path);
    registry::SOURCES
        .iter()
        .find(|r| (r.claims)(&probe))
        .map_or(SourceKind::Folder, |r| r.kind)
}

/// The first `n` bytes of `path` (fewer if it is shorter or unreadable); gzip is looked through.
fn read_head(path: &Path, n: usize) -> Vec<u8> {
    let mut head = Vec::new();
    // Through the hardened open: a named pipe given as the dataset must not block detection.
    let Ok((file, _)) = crate::decode::open_regular(path) else {
        return head;
    };
    let _ = file.take(n as u64).read_to_end(&mut head);
    if head.starts_with(&[0x1f, 0x8b])
        && let Ok((file, _)) = crate::decode::open_regular(path)
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
