//! A reader for folders written by `tf.data.Dataset.save()` (snapshot file format version 2), so a
//! saved dataset can be exported without TensorFlow. It guarantees that each element comes back as
//! its flat components, in `tf.nest` order, with the dtypes and shapes TensorFlow stored, values as
//! raw little-endian bytes; anything it cannot return that way is an error naming the component.
//! [`stored`] makes it a source of rows.
//!
//! Layout: `snapshot.metadata` (a `SnapshotMetadataRecord`: version, run id, dtypes, element count),
//! `dataset_spec.pb` (the element structure, a `StructuredValue`) and
//! `<run id>/<shard>.shard/<checkpoint>.snapshot` files. Each snapshot file is a stream of `TFRecord`s,
//! compressed as a whole (see [`Compression`]); an element is one record per component, each a
//! serialized `TensorProto`. Shards are read in index order, which is the order TensorFlow wrote
//! when `save` had no `shard_func` (one shard); with several shards `load()` interleaves them.

mod batching;
mod proto;
mod records;
pub mod saved_rows;
mod scan;
mod spec;
mod tensor;

use std::path::{Path, PathBuf};

pub use batching::{Ambiguous, Batching, Reason, batching};
pub use records::{Compression, RecordError, detect as detect_compression};
pub use spec::{Component, Dtype, SpecError};
pub use tensor::Tensor;

/// The snapshot file format version this reader understands.
pub const SUPPORTED_VERSION: i64 = 2;

/// Why a saved dataset could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SavedError {
    /// A file could not be opened or listed.
    #[error("cannot read: {source}: {path:?}")]
    Io {
        /// The underlying error.
        source: std::io::Error,
        /// The file or folder.
        path: PathBuf,
    },
    /// The folder has no `snapshot.metadata` or `dataset_spec.pb`.
    #[error("not a saved tf.data dataset (it has no {missing}): {path:?}")]
    NotSaved {
        /// The file that is missing.
        missing: &'static str,
        /// The folder.
        path: PathBuf,
    },
    /// `snapshot.metadata` or `dataset_spec.pb` is not the protobuf it should be.
    #[error("not a valid {what}: {source}: {path:?}")]
    Decode {
        /// Which message was expected.
        what: &'static str,
        /// The protobuf error.
        source: prost::DecodeError,
        /// The file.
        path: PathBuf,
    },
    /// The snapshot was written in a file format version this reader does not know.
    #[error(
        "snapshot format version {version} is not supported (batchscope reads version {SUPPORTED_VERSION}, the one tf.data.Dataset.save writes): {path:?}"
    )]
    UnsupportedVersion {
        /// The version in `snapshot.metadata`.
        version: i64,
        /// The metadata file.
        path: PathBuf,
    },
    /// `snapshot.metadata` names no format version: it is empty, or holds some other message.
    #[error(
        "snapshot.metadata {detail}, so it names no snapshot format version (tf.data.Dataset.save writes version {SUPPORTED_VERSION}; the save may not have finished): {path:?}"
    )]
    NoVersion {
        /// `is empty` or `holds no version field`.
        detail: &'static str,
        /// The metadata file.
        path: PathBuf,
    },
    /// The writer did not finish.
    #[error("the save did not finish (snapshot.metadata is not finalized): {path:?}")]
    NotFinalized {
        /// The metadata file.
        path: PathBuf,
    },
    /// The element spec has a component batchscope cannot return as an array.
    #[error("{source}: {path:?}")]
    Spec {
        /// What is wrong with it.
        source: SpecError,
        /// `dataset_spec.pb`.
        path: PathBuf,
    },
    /// `snapshot.metadata` and `dataset_spec.pb` disagree.
    #[error("dataset_spec.pb and snapshot.metadata disagree: {problem}: {path:?}")]
    SpecMismatch {
        /// How they disagree.
        problem: String,
        /// The dataset folder.
        path: PathBuf,
    },
}

/// An opened saved dataset: its structure and where its records are. Cheap: nothing is decoded here;
/// [`stored`] indexes and reads the elements.
#[derive(Clone, Debug)]
pub struct SavedDataset {
    components: Vec<Component>,
    num_elements: u64,
    files: Vec<PathBuf>,
}

impl SavedDataset {
    /// Opens the folder `root` that `tf.data.Dataset.save(root)` wrote.
    pub fn open(root: &Path) -> Result<Self, SavedError> {
        let metadata_path = root.join("snapshot.metadata");
        let metadata: proto::SnapshotMetadataRecord = decode(&metadata_path, "snapshot.metadata")?;
        if metadata.version == 0 {
            // Protobuf's default: the field is absent (an empty file decodes to all defaults).
            let empty = std::fs::metadata(&metadata_path).is_ok_and(|m| m.len() == 0);
            return Err(SavedError::NoVersion {
                detail: if empty {
                    "is empty"
                } else {
                    "holds no version field"
                },
                path: metadata_path,
            });
        }
        if metadata.version != SUPPORTED_VERSION {
            return Err(SavedError::UnsupportedVersion {
                version: metadata.version,
                path: metadata_path,
            });
        }
        if !metadata.finalized {
            return Err(SavedError::NotFinalized {
                path: metadata_path,
            });
        }
        let spec_path = root.join("dataset_spec.pb");
        let spec_value: proto::StructuredValue = decode(&spec_path, "dataset_spec.pb")?;
        let components = spec::components(&spec_value).map_err(|source| SavedError::Spec {
            source,
            path: spec_path,
        })?;
        check_dtypes(&components, &metadata.dtype).map_err(|problem| SavedError::SpecMismatch {
            problem,
            path: root.to_owned(),
        })?;
        let files = snapshot_files(&root.join(&metadata.run_id))?;
        Ok(Self {
            components,
            num_elements: u64::try_from(metadata.num_elements).unwrap_or(0),
            files,
        })
    }

    /// The flat components of an element, in `tf.nest` order.
    pub fn components(&self) -> &[Component] {
        &self.components
    }

    /// How many elements `snapshot.metadata` says were saved.
    pub fn num_elements(&self) -> u64 {
        self.num_elements
    }

    /// The snapshot files, in reading order.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// How each element is read (a batch, or one sample) and why; `batched` (`--batched`)
    /// overrides the rules. See [`batching()`].
    pub fn batching(&self, batched: Option<bool>) -> Batching {
        batching(&self.components, batched)
    }

    /// Whether each element is a batch; see [`batching()`].
    pub fn is_batched(&self, batched: Option<bool>) -> bool {
        self.batching(batched).batched
    }
}

fn decode<M: prost::Message + Default>(path: &Path, what: &'static str) -> Result<M, SavedError> {
    let bytes = crate::decode::read_file(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            SavedError::NotSaved {
                missing: what,
                path: path.parent().unwrap_or(path).to_owned(),
            }
        } else {
            SavedError::Io {
                source,
                path: path.to_owned(),
            }
        }
    })?;
    M::decode(bytes.as_slice()).map_err(|source| SavedError::Decode {
        what,
        source,
        path: path.to_owned(),
    })
}

fn check_dtypes(components: &[Component], metadata: &[i32]) -> Result<(), String> {
    if components.len() != metadata.len() {
        return Err(format!(
            "{} components in the spec, {} dtypes in the metadata",
            components.len(),
            metadata.len()
        ));
    }
    for (component, &number) in components.iter().zip(metadata) {
        if spec::dtype_from_tf(number) != Some(component.dtype) {
            return Err(format!(
                "component {:?} is {} in the spec, {} in the metadata",
                component.display_name(),
                component.dtype,
                spec::tf_dtype_name(number)
            ));
        }
    }
    Ok(())
}

/// The entries of `dir` whose names end in `suffix`, sorted by their numeric stem (then by name).
fn numbered_entries(dir: &Path, suffix: &str) -> Result<Vec<PathBuf>, SavedError> {
    let io_error = |source| SavedError::Io {
        source,
        path: dir.to_owned(),
    };
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_error)? {
        let entry = entry.map_err(io_error)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(suffix) {
            entries.push((stem.parse::<u64>().unwrap_or(u64::MAX), name, entry.path()));
        }
    }
    entries.sort();
    Ok(entries.into_iter().map(|(_, _, path)| path).collect())
}

fn snapshot_files(run_dir: &Path) -> Result<Vec<PathBuf>, SavedError> {
    let mut files = Vec::new();
    for shard in numbered_entries(run_dir, ".shard")? {
        files.extend(numbered_entries(&shard, ".snapshot")?);
    }
    Ok(files)
}
