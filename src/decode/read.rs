//! Reads an image file's bytes without trusting the file. A dataset folder may hold anything under an
//! image's name: a named pipe (reading it waits forever), a link to `/dev/zero` (endless), a socket, a
//! multi-gigabyte video. So a file is opened only if it is a regular file (checked before opening and
//! again on the open handle, which is opened non-blocking so that a pipe swapped in between cannot
//! hang us), its first bytes must name an image format before the rest is read, and no more than
//! `max_file_bytes` are ever read.
//!
//! It also holds the one test hook of the engine, [`hold_file_for_tests`]: tests use it to stop a
//! load at a known file until they let it go on (see its docs). It costs one lookup per file opened
//! when unused.

use std::ffi::OsString;
use std::fs::{File, Metadata};
use std::io::Read as _;
use std::os::unix::fs::{FileTypeExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use image::ImageFormat;

use super::DecodeError;

/// The default largest file read, in bytes (1 GiB); `--max-file-bytes` changes it.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 1 << 30;

/// Bytes read first to tell the format from the content.
const SNIFF_BYTES: u64 = 32;

/// What kind of non-regular file a path names, for the reason shown to the user.
fn kind_of(meta: &Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        None
    } else if t.is_dir() {
        Some("a folder")
    } else if t.is_fifo() {
        Some("a named pipe")
    } else if t.is_socket() {
        Some("a socket")
    } else if t.is_char_device() {
        Some("a character device")
    } else if t.is_block_device() {
        Some("a block device")
    } else {
        Some("not a regular file")
    }
}

/// Opens `path` for reading if it is a regular file (following symlinks), without ever blocking on
/// it; returns the file and its length.
pub fn open_regular(path: &Path) -> Result<(File, u64), DecodeError> {
    if let Some(kind) = kind_of(&std::fs::metadata(path)?) {
        return Err(DecodeError::NotRegular(kind));
    }
    wait_if_held(path);
    // O_NONBLOCK: if the path became a pipe since the check, opening it does not wait for a writer. On
    // a regular file the flag changes nothing.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    let meta = file.metadata()?;
    if let Some(kind) = kind_of(&meta) {
        return Err(DecodeError::NotRegular(kind));
    }
    Ok((file, meta.len()))
}

/// Reads a whole image file: a regular file whose first bytes are an image format's, of at most
/// `max_file_bytes` bytes. Returns the bytes and the format the content names.
pub fn read_image_file(
    path: &Path,
    max_file_bytes: u64,
) -> Result<(Vec<u8>, ImageFormat), DecodeError> {
    let (file, len) = open_regular(path)?;
    let mut bytes = Vec::new();
    let mut file = file.take(SNIFF_BYTES);
    file.read_to_end(&mut bytes)?;
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    let format = image::guess_format(&bytes).map_err(|_| DecodeError::UnknownFormat)?;
    if len > max_file_bytes {
        return Err(DecodeError::FileTooLarge {
            bytes: len,
            limit: max_file_bytes,
        });
    }
    // The length may have changed since it was read: read at most one byte past the limit to know.
    let read_so_far = bytes.len() as u64;
    let mut file = file
        .into_inner()
        .take(max_file_bytes.saturating_add(1).saturating_sub(read_so_far));
    bytes.reserve(
        usize::try_from(len)
            .unwrap_or(0)
            .saturating_sub(bytes.len()),
    );
    file.read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max_file_bytes {
        return Err(DecodeError::FileTooLarge {
            bytes: bytes.len() as u64,
            limit: max_file_bytes,
        });
    }
    Ok((bytes, format))
}

/// Reads through to `inner` until `left` bytes have been read, then reads as the end of the file. A
/// header probe reads through it: `image`'s JPEG decoder reads the whole file into memory to find the
/// size, and a multi-gigabyte file that starts like a JPEG must not be read whole to be listed; cut
/// short, it still finds a header in the first bytes. Seeking is passed through, so parsers that jump
/// to a header (a TIFF's IFD at the end of the file) still find it.
pub(super) struct ReadBudget<R> {
    inner: R,
    left: u64,
}

impl<R> ReadBudget<R> {
    /// `inner`, of which at most `max_bytes` are read.
    pub(super) fn new(inner: R, max_bytes: u64) -> Self {
        Self {
            inner,
            left: max_bytes,
        }
    }
}

impl<R: std::io::Read> std::io::Read for ReadBudget<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let max = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..max])?;
        self.left -= n as u64;
        Ok(n)
    }
}

impl<R: std::io::Seek> std::io::Seek for ReadBudget<R> {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// Paths held by [`hold_file_for_tests`], besides `$BATCHSCOPE_TEST_HOLD_FILE`.
static HELD: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
/// Whether [`HELD`] holds anything (so that normal runs never take its lock).
static ANY_HELD: AtomicBool = AtomicBool::new(false);

/// **Test-only hook.** Before `path` is opened (to decode it or read its header), the opening thread
/// creates `<path>.held` and then waits until `<path>.release` exists, checking every 5 ms. Tests use
/// it to hold a load or an export at a known point, deterministically: wait for `.held`, act (cancel,
/// send a signal, fill the disk), then create `.release`. The environment variable
/// `BATCHSCOPE_TEST_HOLD_FILE=<path>` does the same for a `batchscope` process. The path must be
/// spelled as the loader spells it (the dataset root as given, joined with the file's relative path).
/// A signal to the `batchscope` process also ends the hold, after the cancel flag is set
/// ([`release_held_files`]).
#[doc(hidden)]
pub fn hold_file_for_tests(path: &Path) {
    if let Ok(mut held) = HELD.lock() {
        held.push(path.to_path_buf());
        ANY_HELD.store(true, Ordering::Relaxed);
    }
}

/// Whether every hold has ended (see [`release_held_files`]).
static RELEASE_ALL: AtomicBool = AtomicBool::new(false);

/// Ends every hold of [`hold_file_for_tests`] now and for the rest of the process. The command line's
/// signal handler calls it after setting its cancel flag, so a held export sees the interruption as
/// soon as it goes on (a no-op when nothing is held).
#[doc(hidden)]
pub fn release_held_files() {
    RELEASE_ALL.store(true, Ordering::Relaxed);
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(suffix);
    PathBuf::from(name)
}

fn wait_if_held(path: &Path) {
    static FROM_ENV: OnceLock<Option<PathBuf>> = OnceLock::new();
    let from_env = FROM_ENV.get_or_init(|| {
        std::env::var_os("BATCHSCOPE_TEST_HOLD_FILE")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    });
    let held = from_env.as_deref() == Some(path)
        || ANY_HELD.load(Ordering::Relaxed)
            && HELD.lock().is_ok_and(|held| held.iter().any(|p| p == path));
    if !held {
        return;
    }
    let _ = File::create(with_suffix(path, ".held"));
    let release = with_suffix(path, ".release");
    // A test that ends removes its temp folder, release file included, perhaps before this loop saw
    // it: a held file that is gone ends the hold too, or a rayon worker would wait forever.
    while !release.exists() && path.exists() && !RELEASE_ALL.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(5));
    }
}
