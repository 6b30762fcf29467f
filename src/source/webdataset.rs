//! Webdataset tar shards as a dataset source: encoded images with labels, read as a stream (never
//! unpacked to disk) and handed to the loader as an [`EncodedImages`](crate::index::EncodedImages)
//! store, so they are decoded and preprocessed exactly like image files.
//!
//! Guarantees:
//! - An input is one `.tar`/`.tar.gz`/`.tgz` file, a folder of them, a glob (`dir/shard-*.tar`) or a
//!   brace pattern (`shard-{000000..000099}.tar`) ([`super::shards`]); a brace-named shard that is
//!   not there is a warning.
//! - Members are grouped into samples by key, as webdataset does: the member name up to the first
//!   dot of its last path part; a new key starts a new sample. The image is the first present of
//!   `.jpg .jpeg .png .webp .bmp` (or the extension `--image-key` names). The label is the `.cls`
//!   member (an integer as text), else the `.txt` member (text), else the `.json` member's `label`
//!   field; `--label-key NAME` reads the member with extension `NAME`, or else the `.json` field
//!   `NAME`. Integer labels keep their values as TFRecord labels do; text labels give one class per
//!   distinct text, in sorted order.
//! - Nothing bad is dropped silently: a sample without an image, an image over `--max-file-bytes`,
//!   an unreadable label, a missing label while others have one, a truncated or corrupt shard each
//!   are index warnings (so lines of `skipped.csv`) naming the shard and the sample's key.
//! - Plain tars are random access (their member offsets are indexed), so `--shuffle` works on them;
//!   a `.tar.gz` is read forward only and refuses a shuffle, as other compressed sources do.

mod scan;
mod store;

use std::path::Path;
use std::sync::Arc;

use self::scan::{Group, IMAGE_EXTS, Wanted};
use self::store::{Member, TarImages};
use super::probe::Probe;
use super::{SourceError, shards};
use crate::index::{DatasetIndex, IndexWarning, Sample, Store, WalkControl};
use crate::options::IndexOptions;

/// What the shards are called when an input names none.
const SHARDS: &str = "WebDataset shards (*.tar, *.tar.gz, *.tgz)";
/// Samples are reported every this many.
const PROGRESS_EVERY: usize = 256;

/// Whether a file name is a webdataset shard's (`.tar`, `.tar.gz`, `.tgz`).
pub fn is_shard_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [".tar", ".tar.gz", ".tgz"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

/// Whether detection takes `probe` as webdataset shards: a file, glob or brace pattern named like a
/// shard, or a folder holding one.
pub fn claims(probe: &Probe) -> bool {
    if probe.is_dir {
        probe.files.iter().any(|f| {
            f.file_name()
                .is_some_and(|n| is_shard_name(&n.to_string_lossy()))
        })
    } else {
        is_shard_name(&probe.name)
    }
}

/// A sample's label as stored.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Label {
    Int(i64),
    Text(String),
}

/// The label of `group`, from its label members (see the module's rules); `None` when it has none.
fn label_of(group: &Group, label_key: Option<&str>) -> Result<Option<Label>, String> {
    let member = |ext: &str| group.labels.iter().find(|(e, _)| e == ext);
    let parse = |ext: &str, bytes: &Result<Vec<u8>, String>| {
        let bytes = bytes.as_ref().map_err(Clone::clone)?;
        let text = std::str::from_utf8(bytes)
            .map_err(|_| format!("its .{ext} member is not UTF-8 text"))?
            .trim();
        if ext == "cls" || ext.rsplit('.').next() == Some("cls") {
            text.parse::<i64>()
                .map(Label::Int)
                .map_err(|_| format!("its .{ext} member {text:?} is not an integer"))
        } else {
            Ok(Label::Text(text.to_owned()))
        }
    };
    let json_field = |field: &str| -> Result<Option<Label>, String> {
        let Some((_, bytes)) = member("json") else {
            return Ok(None);
        };
        let bytes = bytes.as_ref().map_err(Clone::clone)?;
        let value: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|e| format!("its .json member does not parse: {e}"))?;
        match value.get(field) {
            None => Ok(None),
            Some(serde_json::Value::Number(n)) => n
                .as_i64()
                .map(|v| Some(Label::Int(v)))
                .ok_or_else(|| format!("its .json field {field:?} is {n}, not an integer")),
            Some(serde_json::Value::String(s)) => Ok(Some(Label::Text(s.clone()))),
            Some(other) => Err(format!(
                "its .json field {field:?} is {other}, neither an integer nor text"
            )),
        }
    };
    if let Some(key) = label_key {
        return match member(key) {
            Some((ext, bytes)) => parse(ext, bytes).map(Some),
            None => json_field(key),
        };
    }
    for ext in ["cls", "txt"] {
        if let Some((ext, bytes)) = member(ext) {
            return parse(ext, bytes).map(Some);
        }
    }
    json_field("label")
}
/// The classes of the labels: the class of each sample, the names, and each class's stored value
/// (integers only; text labels are their names).
fn classes(labels: &[Label]) -> (Vec<u32>, Vec<String>, Option<Vec<i64>>) {
    let ints: Option<Vec<i64>> = labels
        .iter()
        .map(|l| match l {
            Label::Int(v) => Some(*v),
            Label::Text(_) => None,
        })
        .collect();
    if let Some(values) = ints {
        let (classes, names, values) = super::tfrecord::images::classes_of_labels(&values);
        return (classes, names, Some(values));
    }
    let texts: Vec<String> = labels
        .iter()
        .map(|l| match l {
            Label::Int(v) => v.to_string(),
            Label::Text(t) => t.clone(),
        })
        .collect();
    let mut names = texts.clone();
    names.sort();
    names.dedup();
    let classes = texts
        .iter()
        .map(|t| names.binary_search(t).unwrap_or(0) as u32)
        .collect();
    (classes, names, None)
}

/// A sample kept: its members, its image, its label.
type Kept = (Group, Member, Option<Label>);

/// The samples of `groups` that have an image and (when any has one) a label, and a warning for
/// each of the others.
fn usable(
    groups: Vec<Group>,
    files: &[scan::TarFile],
    image_key: Option<&str>,
    labels_on: bool,
    label_key: Option<&str>,
) -> (Vec<Kept>, Vec<IndexWarning>) {
    let mut left_out: Vec<IndexWarning> = Vec::new();
    let mut kept: Vec<(Group, Member, Option<Label>)> = Vec::new();
    for mut group in groups {
        let file = &files[group.file].path;
        let warn = |reason: String| IndexWarning {
            path: file.clone(),
            reason: format!("sample {:?}: {reason}; it is left out", group.key),
        };
        let image = match group.image.take() {
            None => {
                let looked_for = image_key.map_or_else(
                    || IMAGE_EXTS.map(|e| format!(".{e}")).join(" "),
                    |k| format!(".{k}"),
                );
                let holds = group
                    .exts
                    .iter()
                    .map(|e| format!(".{e}"))
                    .collect::<Vec<_>>()
                    .join(" ");
                left_out.push(warn(format!(
                    "no image (looked for {looked_for}; it holds {holds})"
                )));
                continue;
            }
            Some((_, Err(reason))) => {
                left_out.push(warn(reason));
                continue;
            }
            Some((_, Ok((at, header)))) => Member { at, header },
        };
        let label = if labels_on {
            match label_of(&group, label_key) {
                Ok(label) => label,
                Err(reason) => {
                    left_out.push(warn(reason));
                    continue;
                }
            }
        } else {
            None
        };
        kept.push((group, image, label));
    }
    let labeled = kept.iter().any(|(_, _, l)| l.is_some());
    if labeled {
        kept.retain(|(group, _, label)| {
            if label.is_none() {
                left_out.push(IndexWarning {
                    path: files[group.file].path.clone(),
                    reason: format!(
                        "sample {:?}: no label while other samples have one; it is left out",
                        group.key
                    ),
                });
            }
            label.is_some()
        });
    }
    (kept, left_out)
}

/// The error when no sample is usable, naming the first problem.
fn no_usable_sample(path: &Path, warnings: &[IndexWarning]) -> SourceError {
    let reason = match warnings.first() {
        Some(first) => format!(
            "no usable sample ({} problem{}; the first: {} in {:?})",
            warnings.len(),
            if warnings.len() == 1 { "" } else { "s" },
            first.reason,
            first.path
        ),
        None => "the webdataset shards hold no samples".to_owned(),
    };
    SourceError::Unusable {
        reason,
        path: path.to_path_buf(),
    }
}

/// Indexes the webdataset shards at `path` (a file, a folder, a glob or a brace pattern) as encoded
/// images with labels, streaming through each shard once. `control` is told every few hundred
/// samples and checked on every read of the stream. An image over `max_record_bytes` is left out
/// with a warning naming the limit.
pub fn open_index(
    path: &Path,
    options: &IndexOptions,
    max_record_bytes: u64,
    control: &WalkControl<'_>,
) -> Result<DatasetIndex, SourceError> {
    let inputs = shards::resolve(path, is_shard_name, SHARDS)?;
    let (labels_on, label_key) = (options.reads_labels(), options.label_key_read());
    let label_exts = match label_key {
        _ if !labels_on => Vec::new(),
        Some(key) => vec![key.to_ascii_lowercase(), "json".to_owned()],
        None => ["cls", "txt", "json"].map(str::to_owned).to_vec(),
    };
    let wanted = Wanted {
        image_ext: options.image_key.as_deref(),
        label_exts,
        max_image_bytes: max_record_bytes,
    };
    let mut on_group = |n: usize| {
        if n.is_multiple_of(PROGRESS_EVERY) {
            (control.on_progress)(n);
        }
    };
    let scan = scan::scan(inputs.files, &wanted, control.cancel, &mut on_group)
        .map_err(|scan::Cancelled| SourceError::Cancelled)?;
    (control.on_progress)(scan.groups.len());

    let (kept, left_out) = usable(
        scan.groups,
        &scan.files,
        options.image_key.as_deref(),
        labels_on,
        label_key,
    );
    // Missing shards first, then each shard's left-out samples and then why it stopped, in order.
    let mut warnings: Vec<IndexWarning> = inputs
        .missing
        .into_iter()
        .map(|path| IndexWarning {
            path,
            reason: "not there: the pattern names it".to_owned(),
        })
        .collect();
    let mut per_file = left_out;
    per_file.extend(scan.problems);
    per_file.sort_by(|a, b| a.path.cmp(&b.path));
    warnings.extend(per_file);

    if kept.is_empty() {
        return Err(no_usable_sample(path, &warnings));
    }
    let labeled = kept.iter().any(|(_, _, l)| l.is_some());
    let (classes, class_names, label_values) = if labeled {
        let labels: Vec<Label> = kept.iter().filter_map(|(_, _, l)| l.clone()).collect();
        let (classes, names, values) = classes(&labels);
        (Some(classes), names, values)
    } else {
        (None, Vec::new(), None)
    };
    let samples = kept
        .iter()
        .enumerate()
        .map(|(i, (group, _, _))| Sample {
            objects: None,
            rel_path: super::member_name(&scan.files[group.file].path, &group.key),
            label: classes.as_ref().map(|c| c[i]),
        })
        .collect();
    let gzip = scan.files.iter().filter(|f| f.gzip).count();
    let what = format!(
        "{} WebDataset shard{}{}",
        scan.files.len(),
        if scan.files.len() == 1 { "" } else { "s" },
        if gzip > 0 { ", gzip" } else { "" }
    );
    let members = kept.into_iter().map(|(_, member, _)| member).collect();
    Ok(DatasetIndex {
        root: path.to_path_buf(),
        class_names,
        samples,
        warnings,
        notes: Vec::new(),
        labeled,
        store: Store::of_images(Arc::new(TarImages::new(what, scan.files, members))),
        label_values,
        object_classes: None,
    })
}
