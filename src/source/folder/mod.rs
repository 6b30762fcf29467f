//! The image folder as a source: Keras's `root/<class>/.../<image>` layout, walked by [`walk`], read
//! one file at a time by the decoding threads. Every read and every header goes through the hardened
//! reader: a named pipe, socket or device under an image's name is reported, never opened for
//! reading, and no file is read past the byte limit.

pub mod walk;

use std::path::Path;
use std::sync::Arc;

use super::contract::{Access, EncodedImages, ImageHeader, Store};
use crate::decode;

/// The files of an image folder, at the paths the index gives its samples.
#[derive(Clone, Copy, Debug, Default)]
pub struct FolderImages;

impl EncodedImages for FolderImages {
    fn access(&self) -> Access {
        Access::PerSample
    }

    /// Not used for a folder (its samples are read one by one, [`Access::PerSample`]): without the
    /// paths, each sample reads as an error that says so.
    fn read(&self, samples: &[usize], _max_bytes: u64) -> Vec<Result<Vec<u8>, String>> {
        samples
            .iter()
            .map(|s| Err(format!("sample {s}: a folder's files are read by path")))
            .collect()
    }

    fn read_one(&self, _sample: usize, path: &Path, max_bytes: u64) -> Result<Vec<u8>, String> {
        decode::read_image_file(path, max_bytes)
            .map(|(bytes, _)| bytes)
            .map_err(|e| e.to_string())
    }

    fn header(&self, _sample: usize, path: &Path) -> ImageHeader {
        decode::probe_file(path).map_err(|e| e.to_string())
    }

    fn color_type(&self, _sample: usize, path: &Path) -> Option<String> {
        decode::color_type_of_file(path).ok()
    }

    fn describe(&self) -> String {
        "image folder".to_owned()
    }

    fn expected_layout(&self) -> Option<&'static str> {
        Some("expected <folder>/<class>/<image>.jpg, or images anywhere with labels off")
    }

    fn is_random_access(&self) -> bool {
        true
    }

    fn samples_are_files(&self) -> bool {
        true
    }
}

/// What an image folder takes (its registration's, [`super::registry::SOURCES`]): the image
/// options, and class names, links and extra formats.
pub const TAKES: super::contract::Takes = super::contract::Takes {
    decodes_images: true,
    record_limit: true,
    accepts: &[
        super::SourceOption::ClassNames,
        super::SourceOption::FollowLinks,
        super::SourceOption::ExtraFormats,
    ],
    what: "image folders",
};

/// An image folder's store: the files at the samples' paths.
impl Default for Store {
    fn default() -> Self {
        Self::of_images(Arc::new(FolderImages)).taking(TAKES)
    }
}
