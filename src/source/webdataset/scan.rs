//! One forward pass through each tar shard, member by member, grouping members into samples by key
//! as webdataset does, without unpacking anything to disk.
//!
//! Guarantees:
//! - Only the members a sample needs are read into memory: its image (at most the byte limit, else
//!   it is noted as too big and streamed past) and its label members (at most [`MAX_LABEL_BYTES`]).
//!   Every other member, whatever size its header declares, is streamed past with
//!   [`decode::skip_bytes`], so a member that claims 4 GiB is never allocated.
//! - Long names (GNU `L` members, PAX `path=` records) are read here, bounded by [`MAX_NAME_BYTES`],
//!   not by the tar crate, which would hold whatever size they declare.
//! - A shard that ends inside a member, or whose next header is corrupt, stops that shard's scan
//!   with a [`IndexWarning`] naming the member; the samples before it are kept, the sample being
//!   read is left out with its own warning.
//! - Cancelling (or the process stopping) is seen on the next read of the stream, so a scan stops
//!   within one buffer's worth of bytes, even inside a huge member.

use std::io::{self, BufRead as _, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::decode;
use crate::index::{ImageHeader as Header, IndexWarning};

/// The longest label member (`.cls`, `.txt`, `.json`) read.
pub const MAX_LABEL_BYTES: u64 = 1 << 20;
/// The longest member name (a GNU long name or a PAX header) read.
pub const MAX_NAME_BYTES: u64 = 1 << 16;
/// The image extensions, in the order the first present is picked.
pub const IMAGE_EXTS: [&str; 5] = ["jpg", "jpeg", "png", "webp", "bmp"];

/// One shard as read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TarFile {
    /// The file.
    pub path: PathBuf,
    /// Whether it is one gzip stream (`.tar.gz`), so readable only forward.
    pub gzip: bool,
}

/// Where a member's data is: `len` bytes at `offset` of its shard's (decompressed) stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemberRef {
    /// Index into the shards.
    pub file: usize,
    /// Byte offset of the data in the (decompressed) stream.
    pub offset: u64,
    /// Data length in bytes.
    pub len: u64,
}

/// The image of a sample: where it is and its header, or why it was not taken.
pub type ImageMember = Result<(MemberRef, Header), String>;

/// The members of one sample, as far as the scan kept them.
#[derive(Debug)]
pub struct Group {
    /// Index into the shards.
    pub file: usize,
    /// The key: the member names up to the first dot of their last part.
    pub key: String,
    /// Every member's extension, in the shard's order (for messages).
    pub exts: Vec<String>,
    /// The image picked so far, with its rank in the image extensions (lower is preferred).
    pub image: Option<(usize, ImageMember)>,
    /// The label members read: extension and bytes, or why they were not read.
    pub labels: Vec<(String, Result<Vec<u8>, String>)>,
}

/// What the scan reads of each sample.
pub struct Wanted<'a> {
    /// The image extension (`--image-key`); `None` takes the first of [`IMAGE_EXTS`].
    pub image_ext: Option<&'a str>,
    /// The extensions of label members to read (empty when labels are off).
    pub label_exts: Vec<String>,
    /// The longest image read (`--max-file-bytes`).
    pub max_image_bytes: u64,
}

impl Wanted<'_> {
    fn image_rank(&self, ext: &str) -> Option<usize> {
        match self.image_ext {
            Some(wanted) => (ext == wanted).then_some(0),
            None => IMAGE_EXTS.iter().position(|e| *e == ext),
        }
    }
}

/// What the pass over the shards found.
#[derive(Debug, Default)]
pub struct Scan {
    /// The shards that could be opened, in reading order.
    pub files: Vec<TarFile>,
    /// Every sample found, in reading order.
    pub groups: Vec<Group>,
    /// Shards that could not be read, or not to their end.
    pub problems: Vec<IndexWarning>,
}

/// The scan was cancelled.
#[derive(Debug)]
pub struct Cancelled;

/// A reader that fails once cancel is set or the process is stopping.
struct Guarded<'a, R> {
    inner: R,
    cancel: &'a AtomicBool,
}

impl<R: Seek> Seek for Guarded<'_, R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

impl<R: Read> Read for Guarded<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.cancel.load(Ordering::Relaxed) || decode::abandoned() {
            return Err(io::Error::other("not read: cancelled"));
        }
        self.inner.read(buf)
    }
}

/// Opens a shard's byte stream, gzip looked through; says whether it was gzip.
pub fn open_stream(path: &Path) -> io::Result<(Box<dyn Read + Send>, bool)> {
    let mut file = BufReader::new(decode::open_file(path)?);
    let gzip = file.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    Ok(if gzip {
        (Box::new(flate2::read::MultiGzDecoder::new(file)), true)
    } else {
        (Box::new(file), false)
    })
}

/// `(key, extension)` of a member name as webdataset splits it: the key is everything up to the first
/// dot of the last path part, the extension the rest, lowercased. `None` when the last part has no
/// dot or starts with one.
pub fn split_name(name: &str) -> Option<(&str, String)> {
    let last = name.rfind('/').map_or(0, |i| i + 1);
    let dot = last + name[last..].find('.')?;
    (dot > last).then(|| (&name[..dot], name[dot + 1..].to_ascii_lowercase()))
}

/// Reads exactly `size` bytes of a member, or says how many the shard had.
fn read_member(entry: &mut dyn Read, size: u64) -> Result<Vec<u8>, String> {
    let mut data = Vec::with_capacity(size.min(1 << 20) as usize);
    entry
        .take(size)
        .read_to_end(&mut data)
        .map_err(|e| e.to_string())?;
    if (data.len() as u64) < size {
        return Err(truncated(size, data.len() as u64));
    }
    Ok(data)
}

/// Passes over a member's `size` bytes at `offset`: in a plain tar of `plain_len` bytes, the tar
/// reader seeks past them (a member that claims more than the file holds is truncated); in a
/// gzip stream they are read and dropped.
fn skip_member(
    entry: &mut dyn Read,
    size: u64,
    offset: u64,
    plain_len: Option<u64>,
) -> Result<(), String> {
    if let Some(len) = plain_len {
        let left = len.saturating_sub(offset);
        return if size > left {
            Err(truncated(size, left))
        } else {
            Ok(())
        };
    }
    let skipped = decode::skip_bytes(entry, size).map_err(|e| e.to_string())?;
    if skipped < size {
        return Err(truncated(size, skipped));
    }
    Ok(())
}

fn truncated(size: u64, found: u64) -> String {
    format!("truncated: the member declares {size} bytes, the file has {found}")
}

/// The `path` of a PAX extended header, if it has one.
fn pax_path(records: &[u8]) -> Option<Vec<u8>> {
    let mut path = None;
    for ext in tar::PaxExtensions::new(records).flatten() {
        if ext.key_bytes() == b"path" {
            path = Some(ext.value_bytes().to_vec());
        }
    }
    path
}

/// Scans every shard of `files` in order.
pub fn scan(
    files: Vec<PathBuf>,
    wanted: &Wanted<'_>,
    cancel: &AtomicBool,
    on_group: &mut dyn FnMut(usize),
) -> Result<Scan, Cancelled> {
    let mut scan = Scan::default();
    for path in files {
        let opened = decode::open_regular(&path).map_err(|e| e.to_string());
        let (mut reader, len) = match opened {
            Ok((file, len)) => (BufReader::new(file), len),
            Err(reason) => {
                scan.problems.push(IndexWarning {
                    path,
                    reason: format!("unreadable: {reason}"),
                });
                continue;
            }
        };
        let gzip = reader
            .fill_buf()
            .is_ok_and(|head| head.starts_with(&[0x1f, 0x8b]));
        let file = scan.files.len();
        scan.files.push(TarFile {
            path: path.clone(),
            gzip,
        });
        let mut shard = Shard {
            file,
            wanted,
            groups: &mut scan.groups,
            on_group,
        };
        let stopped = if gzip {
            let stream = flate2::read::MultiGzDecoder::new(reader);
            let mut archive = tar::Archive::new(Guarded {
                inner: stream,
                cancel,
            });
            archive
                .entries()
                .map_err(|e| (format!("not a tar file: {e}"), None))
                .and_then(|entries| shard.scan(entries, None))
        } else {
            let mut archive = tar::Archive::new(Guarded {
                inner: reader,
                cancel,
            });
            archive
                .entries_with_seek()
                .map_err(|e| (format!("not a tar file: {e}"), None))
                .and_then(|entries| shard.scan(entries, Some(len)))
        };
        if cancel.load(Ordering::Relaxed) || decode::abandoned() {
            return Err(Cancelled);
        }
        if let Err((reason, open_group)) = stopped {
            scan.problems.push(IndexWarning {
                path: path.clone(),
                reason: format!("{reason}; the rest of the file is not read"),
            });
            if let Some(key) = open_group {
                scan.problems.push(IndexWarning {
                    path,
                    reason: format!(
                        "sample {key:?}: the shard stops while its members are read; it is left out"
                    ),
                });
            }
        }
    }
    Ok(scan)
}

/// One shard being scanned: where its samples go.
struct Shard<'s, 'w> {
    file: usize,
    wanted: &'s Wanted<'w>,
    groups: &'s mut Vec<Group>,
    on_group: &'s mut dyn FnMut(usize),
}

/// Why a shard stopped early, and the key of the sample left open then (not kept).
type Stop = (String, Option<String>);

impl Shard<'_, '_> {
    fn push(&mut self, group: Group) {
        self.groups.push(group);
        (self.on_group)(self.groups.len());
    }

    /// Scans the shard's members, appending its samples. `plain_len` is a plain tar's length (its
    /// members are then passed by seeking); `None` for a gzip stream.
    fn scan<R: Read>(
        &mut self,
        entries: tar::Entries<'_, R>,
        plain_len: Option<u64>,
    ) -> Result<(), Stop> {
        let mut current: Option<Group> = None;
        let mut long_name: Option<Vec<u8>> = None;
        for (k, entry) in entries.raw(true).enumerate() {
            let stop = |reason: String, current: &Option<Group>| {
                (
                    format!("member {k}: {reason}"),
                    current.as_ref().map(|g| g.key.clone()),
                )
            };
            let mut entry = entry.map_err(|e| stop(format!("unreadable header: {e}"), &current))?;
            let size = entry.size();
            let offset = entry.raw_file_position();
            let kind = entry.header().entry_type();
            if kind.is_gnu_longname() || kind.is_pax_local_extensions() {
                if size > MAX_NAME_BYTES {
                    return Err(stop(
                        format!("a long name of {size} bytes, over {MAX_NAME_BYTES}"),
                        &current,
                    ));
                }
                let bytes = read_member(&mut entry, size).map_err(|r| stop(r, &current))?;
                long_name = if kind.is_gnu_longname() {
                    Some(bytes.split(|&b| b == 0).next().unwrap_or(&[]).to_vec())
                } else {
                    pax_path(&bytes)
                };
                continue;
            }
            let name_bytes = long_name
                .take()
                .unwrap_or_else(|| entry.path_bytes().into_owned());
            let name = String::from_utf8_lossy(&name_bytes).into_owned();
            let split = split_name(&name).filter(|_| kind.is_file() || kind.is_contiguous());
            let Some((key, ext)) = split else {
                skip_member(&mut entry, size, offset, plain_len)
                    .map_err(|r| stop(format!("{name:?}: {r}"), &current))?;
                continue;
            };
            if current.as_ref().is_none_or(|g| g.key != key) {
                if let Some(done) = current.take() {
                    self.push(done);
                }
                current = Some(Group {
                    file: self.file,
                    key: key.to_owned(),
                    exts: Vec::new(),
                    image: None,
                    labels: Vec::new(),
                });
            }
            let Some(group) = current.as_mut() else {
                continue;
            };
            group.exts.push(ext.clone());
            let member = Member {
                name: &name,
                size,
                offset,
                plain_len,
            };
            take_member(group, &mut entry, &member, ext, self.wanted)
                .map_err(|r| stop(format!("{name:?}: {r}"), &current))?;
        }
        if let Some(done) = current {
            self.push(done);
        }
        Ok(())
    }
}

/// One member as its header says.
struct Member<'a> {
    name: &'a str,
    size: u64,
    offset: u64,
    plain_len: Option<u64>,
}

/// Reads what `group` needs of one member (its image, or a label member), or streams past it.
/// `Err` when the shard ends inside it.
fn take_member(
    group: &mut Group,
    entry: &mut dyn Read,
    member: &Member<'_>,
    ext: String,
    wanted: &Wanted<'_>,
) -> Result<(), String> {
    let &Member {
        name,
        size,
        offset,
        plain_len,
    } = member;
    let rank = wanted.image_rank(&ext);
    let take_image = rank.is_some_and(|r| group.image.as_ref().is_none_or(|(had, _)| r < *had));
    if let (true, Some(rank)) = (take_image, rank) {
        let image = if size > wanted.max_image_bytes {
            skip_member(entry, size, offset, plain_len)?;
            Err(format!(
                "the image {name:?} is {size} bytes, over the limit of {} bytes per image (raise it with --max-file-bytes)",
                wanted.max_image_bytes
            ))
        } else {
            let data = read_member(entry, size)?;
            let member = MemberRef {
                file: group.file,
                offset,
                len: size,
            };
            Ok((
                member,
                decode::probe_bytes(&data).map_err(|e| e.to_string()),
            ))
        };
        group.image = Some((rank, image));
    } else if wanted.label_exts.contains(&ext) {
        if size > MAX_LABEL_BYTES {
            skip_member(entry, size, offset, plain_len)?;
            let reason = format!("its .{ext} member is {size} bytes, over {MAX_LABEL_BYTES}");
            group.labels.push((ext, Err(reason)));
        } else {
            let data = read_member(entry, size)?;
            group.labels.push((ext, Ok(data)));
        }
    } else {
        skip_member(entry, size, offset, plain_len)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_at_the_first_dot_of_the_last_part() {
        assert_eq!(
            split_name("a/b.c/x.seg.PNG"),
            Some(("a/b.c/x", "seg.png".to_owned()))
        );
        assert_eq!(split_name("000001.jpg"), Some(("000001", "jpg".to_owned())));
        assert_eq!(split_name("dir/noext"), None);
        assert_eq!(split_name("dir/.hidden"), None);
    }
}
