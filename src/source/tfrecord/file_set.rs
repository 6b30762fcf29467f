//! Which files a TFRecord input names: one file, a folder, or a file-name pattern (`dir/train-*`), and
//! which shards of a `NAME-0000i-of-0000N` set are missing.
//!
//! A folder is read as one dataset: its shard-named files if it has any (they must form one set, or
//! the error names the sets and how to pick one), otherwise its `*.tfrecord`/`*.tfrecords`/`*.tfrec`
//! files. Hidden files are never taken. Files come in byte order of their names, which is shard order
//! for zero-padded indices.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::TfRecordError;
use crate::source::shards::glob_match;

/// A shard named by the `-of-N` naming of its siblings that is not on disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissingShard {
    /// Where the shard would be.
    pub path: PathBuf,
    /// Its index, counted from 0.
    pub index: u64,
    /// How many shards the set names (`N` in `-of-N`).
    pub count: u64,
}

/// The files of an input, in reading order, and the shards its naming says are missing.
#[derive(Debug)]
pub struct Inputs {
    /// The files to read, in order.
    pub files: Vec<PathBuf>,
    /// Shards of the files' sets that are not there.
    pub missing: Vec<MissingShard>,
}

/// A file name split as `{prefix}-{index}-of-{count}{suffix}`.
#[derive(Debug, PartialEq, Eq)]
struct ShardName<'a> {
    prefix: &'a str,
    index: u64,
    index_width: usize,
    count_text: &'a str,
    count: u64,
    suffix: &'a str,
}

impl ShardName<'_> {
    /// The set this shard belongs to, as a pattern a user can pass back (`train-*-of-00016`).
    fn set(&self) -> String {
        format!("{}-*-of-{}{}", self.prefix, self.count_text, self.suffix)
    }
}

/// Splits `name` if it follows the `-0000i-of-0000N` shard naming (TensorFlow, tfds, TF-slim).
fn shard_name(name: &str) -> Option<ShardName<'_>> {
    let at = name.rfind("-of-")?;
    let before = &name[..at];
    let index_start = before.rfind(|c: char| !c.is_ascii_digit())? + 1;
    if index_start == before.len() || !before[..index_start].ends_with('-') {
        return None;
    }
    let after = &name[at + 4..];
    let count_len = after
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(after.len());
    if count_len == 0 {
        return None;
    }
    Some(ShardName {
        prefix: &before[..index_start - 1],
        index: before[index_start..].parse().ok()?,
        index_width: before.len() - index_start,
        count_text: &after[..count_len],
        count: after[..count_len].parse().ok()?,
        suffix: &after[count_len..],
    })
}

fn has_record_extension(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".tfrecord", ".tfrecords", ".tfrec"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

/// The non-hidden regular files of `dir` (symlinks followed) whose names pass `keep`, sorted.
fn files_in(dir: &Path, keep: impl Fn(&str) -> bool) -> Result<Vec<PathBuf>, TfRecordError> {
    crate::source::shards::regular_files(dir, keep).map_err(|source| TfRecordError::Io {
        path: dir.to_owned(),
        source,
    })
}

/// The shards that the naming of `files` says should exist and do not.
fn missing_shards(files: &[PathBuf]) -> Vec<MissingShard> {
    // Per set: its directory, a sample name for the spelling, the indices present.
    let mut sets: BTreeMap<(PathBuf, String), (Vec<u64>, usize, u64)> = BTreeMap::new();
    for path in files {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if let Some(shard) = shard_name(name) {
            let dir = path.parent().unwrap_or(Path::new("")).to_owned();
            let set = sets.entry((dir, shard.set())).or_insert((
                Vec::new(),
                shard.index_width,
                shard.count,
            ));
            set.0.push(shard.index);
        }
    }
    let mut missing = Vec::new();
    for ((dir, set), (present, width, count)) in sets {
        for index in (0..count).filter(|i| !present.contains(i)) {
            let name = set.replacen('*', &format!("{index:0width$}"), 1);
            missing.push(MissingShard {
                path: dir.join(name),
                index,
                count,
            });
        }
    }
    missing
}

/// The files `path` names, in reading order, and its missing shards.
pub fn resolve(path: &Path) -> Result<Inputs, TfRecordError> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let files = if name.contains(['*', '?']) {
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        files_in(dir, |candidate| {
            glob_match(name.as_bytes(), candidate.as_bytes())
        })?
    } else {
        let meta = std::fs::metadata(path).map_err(|source| TfRecordError::Io {
            path: path.to_owned(),
            source,
        })?;
        if meta.is_dir() {
            let sharded = files_in(path, |n| shard_name(n).is_some())?;
            if sharded.is_empty() {
                files_in(path, has_record_extension)?
            } else {
                let mut sets: Vec<String> = sharded
                    .iter()
                    .filter_map(|p| p.file_name()?.to_str().and_then(shard_name))
                    .map(|s| s.set())
                    .collect();
                sets.sort();
                sets.dedup();
                if sets.len() > 1 {
                    return Err(TfRecordError::AmbiguousShards {
                        sets,
                        path: path.to_owned(),
                    });
                }
                sharded
            }
        } else {
            vec![path.to_owned()]
        }
    };
    if files.is_empty() {
        return Err(TfRecordError::NoFiles {
            path: path.to_owned(),
        });
    }
    let missing = missing_shards(&files);
    Ok(Inputs { files, missing })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_names_split_into_their_parts() {
        let s = shard_name("mnist-train.tfrecord-00002-of-00016").unwrap();
        assert_eq!(s.prefix, "mnist-train.tfrecord");
        assert_eq!((s.index, s.index_width, s.count), (2, 5, 16));
        assert_eq!(s.set(), "mnist-train.tfrecord-*-of-00016");
        let s = shard_name("train-0003-of-0010.tfrec").unwrap();
        assert_eq!(
            (s.prefix, s.index, s.count, s.suffix),
            ("train", 3, 10, ".tfrec")
        );
        assert_eq!(shard_name("train.tfrecord"), None);
        assert_eq!(shard_name("train-of-00003"), None);
        assert_eq!(shard_name("train-x1-of-3"), None);
    }

    #[test]
    fn a_missing_shard_is_named_with_its_index() {
        let files = [
            PathBuf::from("d/train-00000-of-00003"),
            PathBuf::from("d/train-00002-of-00003"),
        ];
        assert_eq!(
            missing_shards(&files),
            [MissingShard {
                path: PathBuf::from("d/train-00001-of-00003"),
                index: 1,
                count: 3
            }]
        );
    }
}
