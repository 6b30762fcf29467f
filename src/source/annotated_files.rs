//! What the file-based annotation sources (COCO, YOLO, Pascal VOC, segmentation folders) share: their images are files
//! named by the annotations and read exactly as an image folder's are (the hardened reader, one file
//! at a time), and their indexes carry objects instead of image-level labels.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use super::annotations::ObjectClasses;
use super::contract::{Access, EncodedImages, ImageHeader, Store};
use super::folder::FolderImages;
use crate::index::{DatasetIndex, EXTRA_EXTENSIONS, IndexWarning, KERAS_EXTENSIONS, Sample};

/// Image files named by an annotation source, read as an image folder's files.
#[derive(Clone, Debug)]
pub struct AnnotatedImages {
    what: String,
    layout: &'static str,
}

impl EncodedImages for AnnotatedImages {
    fn access(&self) -> Access {
        Access::PerSample
    }

    fn read(&self, samples: &[usize], max_bytes: u64) -> Vec<Result<Vec<u8>, String>> {
        FolderImages.read(samples, max_bytes)
    }

    fn read_one(&self, sample: usize, path: &Path, max_bytes: u64) -> Result<Vec<u8>, String> {
        FolderImages.read_one(sample, path, max_bytes)
    }

    fn header(&self, sample: usize, path: &Path) -> ImageHeader {
        FolderImages.header(sample, path)
    }

    fn color_type(&self, sample: usize, path: &Path) -> Option<String> {
        FolderImages.color_type(sample, path)
    }

    fn describe(&self) -> String {
        self.what.clone()
    }

    fn expected_layout(&self) -> Option<&'static str> {
        Some(self.layout)
    }

    fn is_random_access(&self) -> bool {
        true
    }

    fn samples_are_files(&self) -> bool {
        true
    }
}

/// The index of an annotation source: `samples` (paths relative to `root`, each with its objects),
/// no image-level labels, the object classes.
pub fn index_of(
    root: PathBuf,
    samples: Vec<Sample>,
    warnings: Vec<IndexWarning>,
    mut classes: ObjectClasses,
    (what, layout): (String, &'static str),
) -> DatasetIndex {
    classes.has_masks = samples
        .iter()
        .any(|s| s.objects.as_ref().is_some_and(|o| o.mask.is_some()));
    DatasetIndex {
        root,
        class_names: Vec::new(),
        samples,
        warnings,
        notes: Vec::new(),
        labeled: false,
        store: Store::of_images(Arc::new(AnnotatedImages { what, layout })),
        label_values: None,
        object_classes: Some(classes),
    }
}

/// Whether `path` names an image by its extension (Keras's, and `.webp`, `.tif`, `.tiff`: an
/// annotated dataset names its images itself, so no extension needs to be asked for).
pub fn is_image_name(path: &Path) -> bool {
    path.extension().is_some_and(|e| {
        let e = e.to_string_lossy().to_ascii_lowercase();
        KERAS_EXTENSIONS.contains(&e.as_str()) || EXTRA_EXTENSIONS.contains(&e.as_str())
    })
}

/// An annotation's image name as a path under the image folder, or why it cannot be one (absolute,
/// or climbing out with `..`).
pub fn relative_name(name: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(name);
    if name.is_empty() {
        return Err("the image name is empty".to_owned());
    }
    if path
        .components()
        .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(format!(
            "the image name {name:?} is not a path inside the image folder"
        ));
    }
    Ok(path)
}

/// The file a [`relative_name`] names, for telling whether two names are one file: `./a.png` is
/// `a.png`.
pub fn file_key(rel: &Path) -> PathBuf {
    rel.components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}

/// A warning about `path`.
pub fn warning(path: &Path, reason: impl Into<String>) -> IndexWarning {
    IndexWarning {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Up to three of `items`, then `...` (for a warning that counts many).
pub fn first_few<T: std::fmt::Display>(items: &[T]) -> String {
    let shown: Vec<String> = items.iter().take(3).map(ToString::to_string).collect();
    format!(
        "{}{}",
        shown.join(", "),
        if items.len() > 3 { ", ..." } else { "" }
    )
}

/// `text` quoted for a message, cut to its first 60 characters (`…` marks the cut): a message
/// quotes the bad part of a line, and a line may be megabytes long.
pub fn quoted(text: &str) -> String {
    let (kept, cut) = cut(text);
    format!("{kept:?}{}", if cut { "…" } else { "" })
}

/// `text` as is for a message, cut as [`quoted`] cuts it.
pub fn shortened(text: &str) -> String {
    let (kept, cut) = cut(text);
    format!("{kept}{}", if cut { "…" } else { "" })
}

/// The first 60 characters of `text`, and whether that cut any.
fn cut(text: &str) -> (&str, bool) {
    const MAX_CHARS: usize = 60;
    match text.char_indices().nth(MAX_CHARS) {
        Some((at, _)) => (&text[..at], true),
        None => (text, false),
    }
}

/// A small annotation file (a YOLO label file, a VOC XML, `data.yaml`) as text, through the
/// hardened reader: at most `max_bytes` (`flag` names the option that sets it, where one does),
/// UTF-8 (the reason says which rule it broke).
pub fn read_text(path: &Path, max_bytes: u64, flag: Option<&str>) -> Result<String, String> {
    use std::io::Read as _;
    let (file, len) = crate::decode::open_regular(path).map_err(|e| e.to_string())?;
    if len > max_bytes {
        return Err(format!(
            "the file is {len} bytes, over the {max_bytes}-byte limit{}",
            flag.map(|f| format!(" ({f})")).unwrap_or_default()
        ));
    }
    let mut bytes = Vec::new();
    file.take(max_bytes)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| format!("not UTF-8 text: {e}"))
}

/// Every image file under `dir` (not following symlinked folders), sorted by path, relative to
/// `dir`; a folder that cannot be listed is a warning.
pub fn image_files(
    dir: &Path,
    cancel: &std::sync::atomic::AtomicBool,
    warnings: &mut Vec<IndexWarning>,
) -> Result<Vec<PathBuf>, super::SourceError> {
    files_under(dir, is_image_name, cancel, warnings)
}

/// Every file under `dir` whose path is `wanted` (not following symlinked folders), sorted by path,
/// relative to `dir`; a folder that cannot be listed is a warning.
pub fn files_under(
    dir: &Path,
    wanted: impl Fn(&Path) -> bool,
    cancel: &std::sync::atomic::AtomicBool,
    warnings: &mut Vec<IndexWarning>,
) -> Result<Vec<PathBuf>, super::SourceError> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        if cancel.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(super::SourceError::Cancelled);
        }
        let entries = match std::fs::read_dir(&folder) {
            Ok(entries) => entries,
            Err(e) => {
                warnings.push(warning(&folder, format!("cannot be listed: {e}")));
                continue;
            }
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            if kind.is_dir() {
                pending.push(path);
            } else if wanted(&path)
                && let Ok(rel) = path.strip_prefix(dir)
            {
                found.push(rel.to_path_buf());
            }
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_part_of_a_line_is_quoted_cut_at_60_characters() {
        assert_eq!(quoted("b"), "\"b\"");
        let long = "é".repeat(1_000_000);
        let shown = quoted(&long);
        assert_eq!(shown, format!("{:?}…", "é".repeat(60)));
        assert_eq!(shortened(&long), format!("{}…", "é".repeat(60)));
        assert_eq!(shortened(&"x".repeat(60)), "x".repeat(60));
    }

    #[test]
    fn a_file_over_its_limit_names_the_flag_only_where_one_sets_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.yaml");
        std::fs::write(&path, "names: [a]\n").unwrap();
        assert_eq!(read_text(&path, 11, None).unwrap(), "names: [a]\n");
        assert_eq!(
            read_text(&path, 10, None).unwrap_err(),
            "the file is 11 bytes, over the 10-byte limit"
        );
        assert_eq!(
            read_text(&path, 10, Some("--max-file-bytes")).unwrap_err(),
            "the file is 11 bytes, over the 10-byte limit (--max-file-bytes)"
        );
    }
}
