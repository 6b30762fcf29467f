//! Reads an image file's bytes without trusting the file. A dataset folder may hold anything under an
//! image's name: a named pipe (reading it waits forever), a link to `/dev/zero` (endless), a socket, a
//! multi-gigabyte video. So a file is opened only if it is a regular file (checked before opening and
//! again on the open handle, which is opened non-blocking so that a pipe swapped in between cannot
//! hang us), its first bytes must name an image format before the rest is read, and no more than
//! `max_file_bytes` are ever read.
//!
//! With the `test-hooks` feature (tests only), a file the tests hold (`crate::test_hooks`) is waited
//! for before it is opened; without it, nothing is looked up.

use std::fs::{File, Metadata};
use std::io::Read as _;
use std::os::unix::fs::{FileTypeExt as _, OpenOptionsExt as _};
use std::path::Path;

use image::ImageFormat;

use super::DecodeError;

pub use crate::options::DEFAULT_MAX_FILE_BYTES;

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
    #[cfg(feature = "test-hooks")]
    crate::test_hooks::wait_if_held(path);
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

/// Opens a dataset file for reading, through [`open_regular`]: a named pipe, socket or device is an
/// error saying what it is (never a blocking open). For the readers of records and arrays, which
/// speak `io::Error`.
pub fn open_file(path: &Path) -> std::io::Result<File> {
    open_regular(path)
        .map(|(file, _)| file)
        .map_err(|e| match e {
            DecodeError::Io(io) => io,
            other => std::io::Error::other(other.to_string()),
        })
}

/// Reads a whole (small) dataset file, such as a metadata or spec file, through [`open_file`].
pub fn read_file(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    open_file(path)?.read_to_end(&mut bytes)?;
    Ok(bytes)
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

/// Reads and drops up to `n` bytes of `input` (all of it for `u64::MAX`); returns how many there
/// were. A piece of 1 MiB at a time, so that a process that is stopping ([`super::abandon_all`])
/// does not first stream past gigabytes (a GZIP record claiming 4 GiB of zeros takes seconds).
pub fn skip_bytes(input: &mut dyn std::io::Read, n: u64) -> std::io::Result<u64> {
    const PIECE: u64 = 1 << 20;
    #[cfg(feature = "test-hooks")]
    crate::test_hooks::point("skip-bytes");
    let mut skipped = 0;
    while skipped < n {
        if super::abandoned() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::Interrupted,
                "not read: the process is stopping",
            ));
        }
        let piece = std::io::copy(
            &mut input.take(PIECE.min(n - skipped)),
            &mut std::io::sink(),
        )?;
        if piece == 0 {
            break;
        }
        skipped += piece;
    }
    Ok(skipped)
}
