//! TFRecord files of `tf.train.Example` as an image source: STUB, being written.

use std::path::Path;

use super::super::SourceError;
use crate::index::{DatasetIndex, WalkControl};
use crate::options::IndexOptions;

/// Indexes the TFRecords at `path` as encoded images with labels.
pub fn open_index(
    path: &Path,
    _options: &IndexOptions,
    _control: &WalkControl<'_>,
) -> Result<DatasetIndex, SourceError> {
    Err(SourceError::Unusable {
        reason: "TFRecord sources are not wired yet".into(),
        path: path.to_path_buf(),
    })
}
