//! A reader for folders written by `tf.data.Dataset.save()` (snapshot file format version 2), so a
//! saved dataset can be exported without TensorFlow. It guarantees that each element comes back as
//! its flat components, in `tf.nest` order, with the dtypes and shapes TensorFlow stored, values as
//! raw little-endian bytes; anything it cannot return that way is an error naming the component.
//!
//! Layout: `snapshot.metadata` (a `SnapshotMetadataRecord`: version, run id, dtypes, element count),
//! `dataset_spec.pb` (the element structure, a `StructuredValue`) and
//! `<run id>/<shard>.shard/<checkpoint>.snapshot` files. Each snapshot file is a stream of `TFRecord`s,
//! compressed as a whole (see [`Compression`]); an element is one record per component, each a
//! serialized `TensorProto`. Shards are read in index order, which is the order TensorFlow wrote
//! when `save` had no `shard_func` (one shard); with several shards `load()` interleaves them.

mod join;
mod proto;
mod records;
mod spec;
pub mod stored;
mod tensor;

use std::io::Read;
use std::path::{Path, PathBuf};

pub use records::{Compression, RecordError, detect as detect_compression};
pub use spec::{Component, Dtype, SpecError, is_batched};
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
    /// A record of a snapshot file could not be read.
    #[error("element {index}: {source}: {path:?}")]
    Record {
        /// The index of the element being read, counted over the whole dataset.
        index: u64,
        /// The underlying error.
        source: RecordError,
        /// The snapshot file.
        path: PathBuf,
    },
    /// A stored tensor does not match the element spec or is malformed.
    #[error("element {index}, component {component:?}: {problem}: {path:?}")]
    Element {
        /// The index of the element, counted over the whole dataset.
        index: u64,
        /// The component's path (`element` for a single tensor).
        component: String,
        /// What is wrong.
        problem: String,
        /// The snapshot file.
        path: PathBuf,
    },
    /// A snapshot file ends between the components of an element.
    #[error("file ends inside element {index} ({got} of {expected} components): {path:?}")]
    PartialElement {
        /// The index of the element, counted over the whole dataset.
        index: u64,
        /// Components read.
        got: usize,
        /// Components per element.
        expected: usize,
        /// The snapshot file.
        path: PathBuf,
    },
    /// The shard files hold another number of elements than the metadata says.
    #[error("found {found} elements but snapshot.metadata says {expected}: {path:?}")]
    ElementCount {
        /// Elements read.
        found: u64,
        /// `num_elements` in the metadata.
        expected: u64,
        /// The dataset folder.
        path: PathBuf,
    },
    /// Elements cannot be joined into one array per component.
    #[error("element {index}, component {component:?}: {problem}: {path:?}")]
    Join {
        /// The index of the first element that does not fit.
        index: u64,
        /// The component's path (`element` for a single tensor).
        component: String,
        /// Why.
        problem: String,
        /// The dataset folder.
        path: PathBuf,
    },
}

/// An opened saved dataset: its structure and where its records are. Cheap: nothing is decoded
/// until [`SavedDataset::elements`] runs.
#[derive(Clone, Debug)]
pub struct SavedDataset {
    root: PathBuf,
    components: Vec<Component>,
    num_elements: u64,
    files: Vec<PathBuf>,
}

impl SavedDataset {
    /// Opens the folder `root` that `tf.data.Dataset.save(root)` wrote.
    pub fn open(root: &Path) -> Result<Self, SavedError> {
        let metadata_path = root.join("snapshot.metadata");
        let metadata: proto::SnapshotMetadataRecord = decode(&metadata_path, "snapshot.metadata")?;
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
            root: root.to_owned(),
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

    /// Whether each element is a batch; see [`is_batched`].
    pub fn is_batched(&self, batched: Option<bool>) -> bool {
        is_batched(&self.components, batched)
    }

    /// The elements in order, one `Vec` of components each, read lazily (one record in memory at a
    /// time, plus the element being built). Stops after the first error.
    pub fn elements(&self) -> Elements<'_> {
        Elements {
            dataset: self,
            next_file: 0,
            current: None,
            index: 0,
            done: false,
        }
    }

    /// Reads the whole dataset into one array per component: batches concatenated along their
    /// first axis when `batched` (`np.concatenate`), elements stacked on a new first axis
    /// otherwise (`np.stack`). Holds everything in memory; stream [`Self::elements`] for large data.
    pub fn read_arrays(&self, batched: bool) -> Result<Vec<Tensor>, SavedError> {
        let mut arrays: Vec<Option<Tensor>> = vec![None; self.components.len()];
        for (index, element) in self.elements().enumerate() {
            for ((array, tensor), component) in
                arrays.iter_mut().zip(element?).zip(&self.components)
            {
                join::append(array, tensor, batched).map_err(|problem| SavedError::Join {
                    index: index as u64,
                    component: component.display_name().to_owned(),
                    problem,
                    path: self.root.clone(),
                })?;
            }
        }
        Ok(arrays
            .into_iter()
            .zip(&self.components)
            .map(|(array, component)| {
                array.unwrap_or_else(|| join::empty_array(component, batched))
            })
            .collect())
    }
}

fn decode<M: prost::Message + Default>(path: &Path, what: &'static str) -> Result<M, SavedError> {
    let bytes = std::fs::read(path).map_err(|source| SavedError::Io {
        source,
        path: path.to_owned(),
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
        if Dtype::from_tf(number) != Some(component.dtype) {
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

/// The elements of a [`SavedDataset`], in order.
pub struct Elements<'a> {
    dataset: &'a SavedDataset,
    next_file: usize,
    current: Option<(PathBuf, Box<dyn Read>)>,
    index: u64,
    done: bool,
}

impl Elements<'_> {
    fn next_element(&mut self) -> Result<Option<Vec<Tensor>>, SavedError> {
        let expected = self.dataset.components.len();
        loop {
            if self.current.is_none() {
                let Some(path) = self.dataset.files.get(self.next_file) else {
                    return self.finish();
                };
                self.next_file += 1;
                let opened = records::detect(path)
                    .and_then(|compression| records::open(path, compression))
                    .map_err(|source| SavedError::Io {
                        source,
                        path: path.clone(),
                    })?;
                self.current = Some((path.clone(), opened));
            }
            let Some((path, input)) = self.current.as_mut() else {
                continue;
            };
            let mut element = Vec::with_capacity(expected);
            while element.len() < expected {
                let record =
                    records::next_record(input.as_mut()).map_err(|source| SavedError::Record {
                        index: self.index,
                        source,
                        path: path.clone(),
                    })?;
                let Some(record) = record else { break };
                let component = &self.dataset.components[element.len()];
                let tensor = tensor::decode_tensor(&record, component).map_err(|problem| {
                    SavedError::Element {
                        index: self.index,
                        component: component.display_name().to_owned(),
                        problem,
                        path: path.clone(),
                    }
                })?;
                element.push(tensor);
            }
            if element.len() == expected && expected > 0 {
                self.index += 1;
                return Ok(Some(element));
            }
            if !element.is_empty() {
                return Err(SavedError::PartialElement {
                    index: self.index,
                    got: element.len(),
                    expected,
                    path: path.clone(),
                });
            }
            self.current = None;
            if expected == 0 {
                return self.finish();
            }
        }
    }

    fn finish(&mut self) -> Result<Option<Vec<Tensor>>, SavedError> {
        if self.index == self.dataset.num_elements {
            Ok(None)
        } else {
            Err(SavedError::ElementCount {
                found: self.index,
                expected: self.dataset.num_elements,
                path: self.dataset.root.clone(),
            })
        }
    }
}

impl Iterator for Elements<'_> {
    type Item = Result<Vec<Tensor>, SavedError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let result = self.next_element().transpose();
        if !matches!(result, Some(Ok(_))) {
            self.done = true;
        }
        result
    }
}
