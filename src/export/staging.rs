//! All-or-nothing output folders. An export writes into a staging folder beside its output folder
//! (same filesystem), fsyncs every file and the staging folder, then swaps the two folders in one
//! atomic step (`renameat2(RENAME_EXCHANGE)`) and removes the old contents.
//!
//! Guarantees, whatever instant the process is killed at:
//! - a reader of the output folder sees the complete old export or the complete new one, never a mix;
//! - leftovers (a killed run's staging folder, or the old export it had swapped out) are found by name
//!   beside the output folder and removed by the next export to it, once no live process holds them;
//! - two exports to one folder exclude each other: each holds an exclusive lock on the output folder
//!   (and on its staging folder) for its whole run, and the second is refused with a clear message;
//! - the output folder is checked to still be the one that was locked before the swap, so a folder
//!   deleted or replaced during the export fails the export instead of reporting success;
//! - the output folder holds only batchscope's files: anything else in it (a user's file, a subfolder, a
//!   `*.partial` left by an older version) is refused before anything is written, so a swap can never
//!   hide, revert or remove a user's file; a folder the run created is removed when it fails;
//! - the new folder takes the old one's permission bits (and owner, where the process may set it).

use std::fs::{self, File};
use std::io;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::{ExportError, OUTPUT_FILES, io_err};

/// Marks the staging folders of an output folder `out`: `.<out's name>.batchscope-<pid>-<n>`.
const STAGING_TAG: &str = ".batchscope-";

/// How long a busy output folder is tried again before the export is refused (see [`lock_folder_as`]).
const BUSY_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// Numbers the staging folders of one process.
static STAGING_COUNTER: AtomicU64 = AtomicU64::new(0);

/// An export's staging folder and its locks, from the checks before writing to the swap.
pub(super) struct Staging {
    out: PathBuf,
    dir: PathBuf,
    /// Held on the output folder for the whole run.
    out_lock: File,
    /// Held on the staging folder: a live owner, so other runs leave it alone.
    _dir_lock: File,
    /// Folders this run created for the output (deepest first), removed again if it fails.
    created: Vec<PathBuf>,
    /// Whether the output folder held batchscope files before this run.
    had_export: bool,
    committed: bool,
}

/// Whether `name` is a file an export writes into a folder whose entries are `names`: the fixed
/// names, and any `<array>.npy` beside a `manifest.csv` (an array source's export names its arrays
/// after the source's components).
pub(super) fn is_export_file(name: &str, names: &[String]) -> bool {
    OUTPUT_FILES.contains(&name)
        || crate::plan::shard::is_shard_file_name(name)
        || (is_npy(name) && names.iter().any(|n| n == "manifest.csv"))
}

/// Whether `name` is an `.npy` file name (as batchscope writes them: lower case).
fn is_npy(name: &str) -> bool {
    Path::new(name).extension().is_some_and(|e| e == "npy")
}

/// The names of the entries of `dir`, lossy UTF-8.
pub(super) fn entry_names(dir: &Path) -> io::Result<Vec<String>> {
    fs::read_dir(dir)?
        .map(|entry| entry.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect()
}

/// The output path as the export uses it: a trailing `/` or `/.` dropped, and refused when it does not
/// end in a folder's name (`.`, `..`, `/`) or climbs out of a folder after entering it (`a/b/..`),
/// where the folders created and the folder swapped would not be the ones the user named.
pub(super) fn normalise_out(out: &Path) -> Result<PathBuf, ExportError> {
    use std::path::Component;
    let parts: Vec<Component<'_>> = out.components().collect();
    let named = matches!(parts.last(), Some(Component::Normal(_)));
    let climbs_back = parts
        .iter()
        .skip_while(|c| {
            matches!(
                c,
                Component::CurDir | Component::ParentDir | Component::RootDir
            )
        })
        .any(|c| matches!(c, Component::ParentDir));
    if !named || climbs_back {
        return Err(ExportError::OutNotNamed(out.to_path_buf()));
    }
    Ok(parts.iter().collect())
}

impl Staging {
    /// Checks, creates and locks the output folder, removes leftovers of killed runs beside it, and
    /// creates the staging folder.
    pub(super) fn begin(out: &Path, overwrite: bool) -> Result<Self, ExportError> {
        let created = create_out(out)?;
        let result = Self::lock_and_stage(out, overwrite, created.clone());
        if result.is_err() {
            remove_created(&created);
        }
        result
    }

    fn lock_and_stage(
        out: &Path,
        overwrite: bool,
        created: Vec<PathBuf>,
    ) -> Result<Self, ExportError> {
        let out_lock = lock_folder(out)?;
        let parent = parent_of(out);
        let prefix = staging_prefix(out)?;
        remove_leftovers(&parent, &prefix);
        let names = only_export_files(out)?;
        let had_export = !names.is_empty();
        if had_export && !overwrite {
            return Err(ExportError::OutNotEmpty(out.to_path_buf()));
        }
        same_filesystem(out, &parent)?;
        let (dir, dir_lock) = create_staging_dir(&parent, &prefix)?;
        Ok(Self {
            out: out.to_path_buf(),
            dir,
            out_lock,
            _dir_lock: dir_lock,
            created,
            had_export,
            committed: false,
        })
    }

    /// The staging folder.
    pub(super) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the export writes file `name` before the swap.
    pub(super) fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Whether the output folder held an earlier export.
    pub(super) fn had_export(&self) -> bool {
        self.had_export
    }

    /// Makes the staged files the output folder's contents in one atomic step. Every staged file must
    /// already be synced; this syncs the folders. Returns the output files with their sizes.
    pub(super) fn commit(mut self) -> Result<Vec<(PathBuf, u64)>, ExportError> {
        let out = self.out.clone();
        let dir = self.dir.clone();
        // Last, once everything is written: the folder may be read-only.
        if let Ok(out_meta) = self.out_lock.metadata() {
            keep_looks(&dir, &out_meta);
        }
        File::open(&dir)
            .and_then(|d| d.sync_all())
            .map_err(io_err("syncing the staging folder", &dir))?;
        self.check_out_is_ours()?;
        #[cfg(feature = "test-hooks")]
        crate::test_hooks::point("before-swap");
        swap(&dir, &out).map_err(io_err("swapping the new export into place", &out))?;
        // The folder swapped out must be the one this run locked: if another folder took its place
        // between the check and the swap, swap back and fail rather than hide that folder.
        if !self.is_locked_folder(&dir) {
            swap(&dir, &out).map_err(io_err("swapping back a replaced output folder", &out))?;
            return Err(ExportError::OutReplaced(out));
        }
        self.committed = true;
        #[cfg(feature = "test-hooks")]
        crate::test_hooks::point("after-swap");
        let parent = parent_of(&out);
        File::open(&parent)
            .and_then(|d| d.sync_all())
            .map_err(io_err("syncing the folder holding", &out))?;
        // The old export is now at the staging path. A kill from here on leaves it as a leftover that
        // the next export removes.
        remove_staged(&dir);
        let mut files = Vec::new();
        let mut names = entry_names(&out).unwrap_or_default();
        names.sort();
        for name in names {
            let path = out.join(name);
            if let Ok(meta) = fs::metadata(&path) {
                files.push((path, meta.len()));
            }
        }
        Ok(files)
    }

    /// Fails if the folder at the output path is no longer the one this run locked.
    fn check_out_is_ours(&self) -> Result<(), ExportError> {
        if self.is_locked_folder(&self.out) {
            Ok(())
        } else {
            Err(ExportError::OutReplaced(self.out.clone()))
        }
    }

    /// Whether `path` is the output folder this run locked (same device and inode).
    fn is_locked_folder(&self, path: &Path) -> bool {
        match (self.out_lock.metadata(), fs::symlink_metadata(path)) {
            (Ok(locked), Ok(now)) => now.dev() == locked.dev() && now.ino() == locked.ino(),
            _ => false,
        }
    }
}

impl Drop for Staging {
    /// An export that did not commit removes its staging folder and the folders it created.
    fn drop(&mut self) {
        if !self.committed {
            remove_staged(&self.dir);
            remove_created(&self.created);
        }
    }
}

/// Gives the staging folder the output folder's permission bits, and its owner where the process may
/// (root exporting into a user's folder keeps it the user's). Best effort: the export is complete
/// without it.
fn keep_looks(dir: &Path, out_meta: &fs::Metadata) {
    let _ = fs::set_permissions(dir, out_meta.permissions());
    let _ = std::os::unix::fs::chown(dir, Some(out_meta.uid()), Some(out_meta.gid()));
}

/// The folder holding `out` (`.` for a bare name).
pub(super) fn parent_of(out: &Path) -> PathBuf {
    match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Creates `out` and any missing parents; returns the folders created, deepest first.
pub(super) fn create_out(out: &Path) -> Result<Vec<PathBuf>, ExportError> {
    match fs::symlink_metadata(out) {
        Ok(meta) if meta.is_dir() => return Ok(Vec::new()),
        Ok(meta) if meta.file_type().is_symlink() => {
            return match fs::metadata(out) {
                Ok(target) if target.is_dir() => Err(ExportError::OutIsLink(out.to_path_buf())),
                Ok(_) => Err(ExportError::OutIsFile(out.to_path_buf())),
                Err(_) => Err(ExportError::OutIsLink(out.to_path_buf())),
            };
        }
        Ok(_) => return Err(ExportError::OutIsFile(out.to_path_buf())),
        Err(_) => {}
    }
    let mut missing = Vec::new();
    let mut dir = Some(out);
    while let Some(d) = dir {
        if d.as_os_str().is_empty() || fs::symlink_metadata(d).is_ok() {
            break;
        }
        missing.push(d.to_path_buf());
        dir = d.parent();
    }
    fs::create_dir_all(out).map_err(io_err("creating the output folder", out))?;
    Ok(missing)
}

/// Removes the folders in `created` (deepest first) that are empty.
pub(super) fn remove_created(created: &[PathBuf]) {
    for dir in created {
        if fs::remove_dir(dir).is_err() {
            break;
        }
    }
}

/// The name prefix of `out`'s staging folders beside it: `.<name>.batchscope-`.
pub(super) fn staging_prefix(out: &Path) -> Result<String, ExportError> {
    let name = out
        .file_name()
        .ok_or_else(|| ExportError::OutIsFile(out.to_path_buf()))?
        .to_string_lossy()
        .into_owned();
    Ok(format!(".{name}{STAGING_TAG}"))
}

/// The entries of `out`, refused if any is not batchscope's (an export's or a shard's file).
pub(super) fn only_export_files(out: &Path) -> Result<Vec<String>, ExportError> {
    let names = entry_names(out).map_err(io_err("reading the output folder", out))?;
    if let Some(other) = names.iter().find(|name| !is_export_file(name, &names)) {
        return Err(ExportError::OutHasOtherFiles {
            file: out.join(other),
            path: out.to_path_buf(),
        });
    }
    Ok(names)
}

/// Refuses an output folder on another filesystem than its parent (a mount point), where the staging
/// folder beside it could not be renamed into it.
pub(super) fn same_filesystem(out: &Path, parent: &Path) -> Result<(), ExportError> {
    let (out_meta, parent_meta) = (
        fs::metadata(out).map_err(io_err("reading the output folder", out))?,
        fs::metadata(parent).map_err(io_err("reading the folder holding", out))?,
    );
    if out_meta.dev() != parent_meta.dev() {
        return Err(ExportError::OutIsMountPoint(out.to_path_buf()));
    }
    Ok(())
}

/// Creates a staging folder `<prefix><pid>-<n>` in `parent` and locks it (a live owner: other runs
/// leave it alone); removed again if it cannot be locked.
pub(super) fn create_staging_dir(
    parent: &Path,
    prefix: &str,
) -> Result<(PathBuf, File), ExportError> {
    let dir = parent.join(format!(
        "{prefix}{}-{}",
        std::process::id(),
        STAGING_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    fs::create_dir(&dir).map_err(io_err(
        "creating the staging folder beside the output folder",
        &dir,
    ))?;
    match lock_folder(&dir) {
        Ok(lock) => Ok((dir, lock)),
        Err(err) => {
            let _ = fs::remove_dir(&dir);
            Err(err)
        }
    }
}

/// Opens `dir` and takes an exclusive lock on it, refusing if another process holds it. Retries
/// when the path was swapped between opening and locking, so the lock is on the folder now there.
fn lock_folder(dir: &Path) -> Result<File, ExportError> {
    lock_folder_as(dir, false)
}

/// [`lock_folder`], with a shared lock when `shared`: the shards of one export share their output
/// folder, while an export or a merge into it needs it alone.
///
/// A lock that is busy is tried again for up to [`BUSY_GRACE`]: a lock belongs to an open file
/// description, and a child process forked by another thread of this process (a test spawning
/// Python, an embedding application) shares the descriptions it inherits until it execs. So a lock
/// this process has just released can stay held for the milliseconds between that fork and exec;
/// a real second export holds it for its whole run and is still refused.
pub(super) fn lock_folder_as(dir: &Path, shared: bool) -> Result<File, ExportError> {
    let deadline = std::time::Instant::now() + BUSY_GRACE;
    loop {
        let file = File::open(dir).map_err(io_err("opening the output folder", dir))?;
        let locked = if shared {
            file.try_lock_shared()
        } else {
            file.try_lock()
        };
        match locked {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20));
                continue;
            }
            Err(fs::TryLockError::WouldBlock) => {
                return Err(ExportError::Busy(dir.to_path_buf()));
            }
            Err(fs::TryLockError::Error(err)) => {
                return Err(io_err("locking the output folder", dir)(err));
            }
        }
        let locked = file
            .metadata()
            .map_err(io_err("reading the output folder", dir))?;
        match fs::metadata(dir) {
            Ok(now) if now.dev() == locked.dev() && now.ino() == locked.ino() => return Ok(file),
            Ok(_) => {}
            Err(err) => return Err(io_err("reading the output folder", dir)(err)),
        }
    }
}

/// Removes staging folders named `<prefix>…` in `parent` whose owner is gone (their lock is free).
pub(super) fn remove_leftovers(parent: &Path, prefix: &str) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().starts_with(prefix) {
            continue;
        }
        let path = entry.path();
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        if !meta.is_dir() {
            continue;
        }
        // A live export holds its staging folder locked; a free lock means its owner died.
        if let Ok(file) = File::open(&path)
            && file.try_lock().is_ok()
        {
            remove_staged(&path);
        }
    }
}

/// Removes a staging folder (or an old export swapped out to its name): batchscope's files only. Anything
/// else is left, and with it the folder: nothing a user might need is deleted.
pub(super) fn remove_staged(dir: &Path) {
    let Ok(names) = entry_names(dir) else {
        return;
    };
    for name in &names {
        let path = dir.join(name);
        // A staging folder (named by us) may be cut off before its manifest: its arrays are ours too.
        if (is_export_file(name, &names) || is_npy(name))
            && fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_file())
        {
            let _ = fs::remove_file(path);
        }
    }
    let _ = fs::remove_dir(dir);
}

/// Exchanges the folders at `a` and `b` atomically.
#[cfg(target_os = "linux")]
fn swap(a: &Path, b: &Path) -> io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    match renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE) {
        Ok(()) => Ok(()),
        // A filesystem without RENAME_EXCHANGE (some network filesystems): fall back to two renames.
        Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::NOSYS => {
            swap_by_renames(a, b)
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(target_os = "linux"))]
fn swap(a: &Path, b: &Path) -> io::Result<()> {
    swap_by_renames(a, b)
}

/// Two renames through a third name beside `a`. A kill between them leaves `b` missing (never a mix)
/// and the old export beside it under the staging prefix, where the next export finds it.
fn swap_by_renames(a: &Path, b: &Path) -> io::Result<()> {
    let aside = a.with_extension("old");
    debug_assert!(aside.to_string_lossy().contains(STAGING_TAG));
    fs::rename(b, &aside)?;
    fs::rename(a, b)?;
    fs::rename(&aside, a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    /// Another thread forking children (as the tests spawning Python do) briefly shares every open
    /// file description, the locks on them included; a lock just released must still be taken.
    #[test]
    fn a_lock_released_while_another_thread_spawns_children_is_taken_again() {
        let dir = tempfile::tempdir().unwrap();
        let stop = AtomicBool::new(false);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    let _ = std::process::Command::new("true").status();
                }
            });
            let outcome = (0..300).try_for_each(|_| {
                drop(lock_folder_as(dir.path(), true)?);
                drop(lock_folder(dir.path())?);
                Ok::<_, ExportError>(())
            });
            stop.store(true, Ordering::Relaxed);
            outcome.unwrap();
        });
    }

    #[test]
    fn a_folder_another_holder_keeps_locked_is_busy() {
        let dir = tempfile::tempdir().unwrap();
        let _held = lock_folder(dir.path()).unwrap();
        assert!(matches!(
            lock_folder_as(dir.path(), true),
            Err(ExportError::Busy(path)) if path == dir.path()
        ));
    }
}
