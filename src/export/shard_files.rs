//! Where one shard of an export is written: its own files (`images-00002-of-00004.npy`, `manifest-…`,
//! `skipped-…`, the record `shard-00002-of-00004.json`) beside the other shards' in one output folder,
//! which N processes share.
//!
//! Guarantees:
//! - the shard's files are written and synced in a staging folder beside the output folder (same
//!   filesystem), then renamed into it; the record goes last, and an earlier run's record of the same
//!   shard is removed first, so `merge` (which takes a shard only with its record, and checks every
//!   size the record lists) never joins a half-replaced shard or a mix of two runs;
//! - re-running a shard (a scheduler's retry) replaces that shard's files only, including ones an
//!   earlier run wrote in another format; other shards' files are never touched;
//! - shards of one output folder run at once (each holds a shared lock on it), while an export or a
//!   merge into it (which need it alone) is refused as busy, and the other way round;
//! - a killed shard leaves its staging folder, which the next run into that folder removes.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use super::staging::{
    create_out, create_staging_dir, entry_names, lock_folder_as, only_export_files, parent_of,
    remove_created, remove_leftovers, remove_staged, same_filesystem, staging_prefix,
};
use super::{ExportError, io_err};
use crate::plan::shard::{ShardSpec, parse_file_name};

/// The staging folder of one shard, and the locks it holds.
pub(super) struct ShardStaging {
    out: PathBuf,
    dir: PathBuf,
    spec: ShardSpec,
    /// Shared with the other shards of the folder for the whole run.
    _out_lock: File,
    /// Held on the staging folder: a live owner, so other runs leave it alone.
    _dir_lock: File,
    /// Folders this run created for the output (deepest first), removed again if it fails and they
    /// are still empty.
    created: Vec<PathBuf>,
    committed: bool,
}

impl ShardStaging {
    /// Creates and locks (shared) the output folder, removes dead runs' staging folders beside it, and
    /// creates this shard's staging folder.
    pub(super) fn begin(out: &Path, spec: ShardSpec) -> Result<Self, ExportError> {
        let created = create_out(out)?;
        let result = Self::lock_and_stage(out, spec, created.clone());
        if result.is_err() {
            remove_created(&created);
        }
        result
    }

    fn lock_and_stage(
        out: &Path,
        spec: ShardSpec,
        created: Vec<PathBuf>,
    ) -> Result<Self, ExportError> {
        let out_lock = lock_folder_as(out, true)?;
        let parent = parent_of(out);
        let prefix = staging_prefix(out)?;
        remove_leftovers(&parent, &prefix);
        only_export_files(out)?;
        same_filesystem(out, &parent)?;
        let (dir, dir_lock) = create_staging_dir(&parent, &prefix)?;
        remove_leftovers(&parent, &prefix);
        Ok(Self {
            out: out.to_path_buf(),
            dir,
            spec,
            _out_lock: out_lock,
            _dir_lock: dir_lock,
            created,
            committed: false,
        })
    }

    /// The staging folder.
    pub(super) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Moves the staged files into the output folder, the record (`record`, a file in the staging
    /// folder) last. Every staged file must already be synced. Returns the shard's files with sizes.
    pub(super) fn commit(mut self, record: &str) -> Result<Vec<(PathBuf, u64)>, ExportError> {
        let (out, dir) = (self.out.clone(), self.dir.clone());
        let sync_dir = |path: &Path| {
            File::open(path)
                .and_then(|d| d.sync_all())
                .map_err(io_err("syncing the folder", path))
        };
        sync_dir(&dir)?;
        let staged: BTreeSet<String> = entry_names(&dir)
            .map_err(io_err("reading the staging folder", &dir))?
            .into_iter()
            .filter(|name| name != record)
            .collect();
        // Unmake the earlier run of this shard first: without its record, merge refuses the shard
        // by name until this run's record is in place.
        let old_record = out.join(record);
        match fs::remove_file(&old_record) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                return Err(io_err("removing", &old_record)(e));
            }
            _ => {}
        }
        sync_dir(&out)?;
        for name in entry_names(&out).map_err(io_err("reading the output folder", &out))? {
            let ours = parse_file_name(&name).is_some_and(|(_, spec, _)| spec == self.spec);
            if ours && !staged.contains(&name) {
                let path = out.join(&name);
                fs::remove_file(&path).map_err(io_err("removing", &path))?;
            }
        }
        for name in &staged {
            let (from, to) = (dir.join(name), out.join(name));
            fs::rename(&from, &to).map_err(io_err("moving the shard's file into place", &to))?;
        }
        sync_dir(&out)?;
        let to = out.join(record);
        fs::rename(dir.join(record), &to)
            .map_err(io_err("moving the shard's record into place", &to))?;
        sync_dir(&out)?;
        self.committed = true;
        let _ = fs::remove_dir(&dir);
        let mut files = Vec::new();
        for name in staged.iter().map(String::as_str).chain([record]) {
            let path = out.join(name);
            if let Ok(meta) = fs::metadata(&path) {
                files.push((path, meta.len()));
            }
        }
        Ok(files)
    }
}

impl Drop for ShardStaging {
    /// A shard that did not commit removes its staging folder and the (empty) folders it created.
    fn drop(&mut self) {
        if !self.committed {
            remove_staged(&self.dir);
            remove_created(&self.created);
        }
    }
}
