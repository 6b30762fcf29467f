//! `batchscope merge OUT`: joins the N shards of one export (`--shard I/N`) in an output folder into the
//! files a single-process export would have written, byte for byte.
//!
//! Guarantees:
//! - every shard `0..N` must be there with its record and every file the record lists, at the size it
//!   lists; a shard of another export (another shard count, other options or another plan, told by the
//!   record's fingerprint) or of no record is refused, naming the file;
//! - the arrays are copied, never held: memory stays at a copy buffer whatever N and the shard sizes
//!   (file-to-file copies go through the kernel, `copy_file_range`);
//! - the merged files are written into a staging folder and swapped into place in one atomic step as
//!   an export's are (see `staging`), so a failed or killed merge leaves the shards as they were; the
//!   shards are removed by the swap, unless kept (`--keep-shards`: hard links into the new folder);
//! - a merge needs the folder alone: while a shard is still writing into it, the merge is refused;
//! - a cancel (Ctrl-C) is seen between pieces of at most 64 MiB and keeps nothing of the merge.

use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::record::{ShardRecord, read};
use super::staging::{self, Staging, entry_names};
use super::{ExportError, Names, io_err};
use crate::npy::{self, NpyDtype};
use crate::options::ArrayFormat;
use crate::plan::shard::{ShardSpec, parse_file_name};

/// What `merge` does.
#[derive(Clone, Debug)]
pub struct MergeOptions {
    /// The folder holding the shards, where the merged files are written.
    pub out: PathBuf,
    /// Keep the shard files beside the merged ones (removed by default).
    pub keep_shards: bool,
}

/// What a merge wrote.
#[derive(Clone, Debug)]
pub struct MergeReport {
    /// Shards joined.
    pub shards: usize,
    /// Rows of the merged arrays.
    pub rows: usize,
    /// Samples skipped by the shards.
    pub skipped: usize,
    /// Bytes of the merged arrays (headers included).
    pub array_bytes: u64,
    /// Boxes the shards left out because the crop cut them away whole.
    pub boxes_dropped: usize,
    /// The output folder's files, with sizes.
    pub files: Vec<(PathBuf, u64)>,
    /// Wall time.
    pub elapsed: Duration,
}

/// Why a merge was refused or failed. Nothing is changed in the folder when it is.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// The folder holds no shard record.
    #[error(
        "no shards to merge: the folder holds no shard record (shard-00000-of-0000N.json, written by `batchscope export --shard I/N`): {0:?}"
    )]
    NoShards(PathBuf),
    /// A shard of the expected count is missing (or has no record yet: not finished).
    #[error(
        "shard {shard} is missing or unfinished ({missing} of {count} shards missing): {file:?} is not there; run `batchscope export ... --shard {shard}` again"
    )]
    Missing {
        /// The first missing shard.
        shard: ShardSpec,
        /// How many are missing.
        missing: usize,
        /// The shard count.
        count: usize,
        /// Its record's path.
        file: PathBuf,
    },
    /// A file that belongs to another export than the others.
    #[error("{why}; remove it, or re-run that shard with the same options: {file:?}")]
    Foreign {
        /// What differs.
        why: String,
        /// The foreign file.
        file: PathBuf,
    },
    /// A shard file that is not what its record says.
    #[error("{why}: {file:?}")]
    Incomplete {
        /// What is wrong.
        why: String,
        /// The file.
        file: PathBuf,
    },
    /// Every shard is empty: no image could be read anywhere.
    #[error(
        "no image could be read: all {skipped} planned samples of the {count} shards were skipped (reasons in their skipped-*.csv)"
    )]
    NothingExported {
        /// Samples skipped.
        skipped: usize,
        /// Shards.
        count: usize,
    },
    /// Cancelled (Ctrl-C): the shards are as they were.
    #[error("merge cancelled; the shards are as they were")]
    Cancelled,
    /// Writing or swapping the merged files failed.
    #[error(transparent)]
    Export(#[from] ExportError),
}

/// Bytes copied between two looks at the cancel flag.
const PIECE: u64 = 64 << 20;

/// Joins the shards in `options.out` (see the module doc); setting `cancel` stops it, keeping nothing.
pub fn merge(options: &MergeOptions, cancel: &AtomicBool) -> Result<MergeReport, MergeError> {
    let started = Instant::now();
    let out = &staging::normalise_out(&options.out)?;
    let shards = check_shards(out)?;
    let first = &shards[0].1;
    let rows: usize = shards.iter().map(|(_, r)| r.rows).sum();
    let samples: usize = shards.iter().map(|(_, r)| r.samples).sum();
    if rows == 0 {
        return Err(MergeError::NothingExported {
            skipped: samples,
            count: shards.len(),
        });
    }
    let staging = Staging::begin(out, true)?;
    let dir = staging.dir().to_path_buf();
    let mut array_bytes = 0;
    let mut members = Vec::new();
    for (a, array) in first.arrays.iter().enumerate() {
        let path = dir.join(format!("{}.npy", array.name));
        array_bytes += merge_array(out, &shards, (a, rows), &path, cancel)?;
        members.push((format!("{}.npy", array.name), path));
    }
    if first.format == ArrayFormat::Npz {
        super::arrays::pack_npz(&dir.join("arrays.npz"), &members, first.compress)?;
        for (_, path) in &members {
            fs::remove_file(path).map_err(io_err("removing", path))?;
        }
    }
    merge_csv(out, &shards, "manifest", &dir.join("manifest.csv"), true)?;
    merge_csv(out, &shards, "skipped", &dir.join("skipped.csv"), false)?;
    merge_warnings(out, &shards, &dir.join("warnings.csv"))?;
    let mut shared = vec!["class_names.json"];
    if first.objects {
        shared.push("class_ids.json");
    }
    if first.excluded {
        shared.push("excluded.csv");
    }
    if first.corrections {
        shared.push("corrections_applied.csv");
    }
    for name in shared {
        let (from, to) = (out.join(name), dir.join(name));
        fs::copy(&from, &to).map_err(io_err("copying", &from))?;
        sync_file(&to)?;
    }
    if options.keep_shards {
        for (spec, record) in &shards {
            let names = Names { shard: Some(*spec) };
            let owned = record
                .files
                .iter()
                .map(|f| f.name.clone())
                .filter(|name| parse_file_name(name).is_some())
                .chain(names.record());
            for name in owned {
                let (from, to) = (out.join(&name), dir.join(&name));
                fs::hard_link(&from, &to).map_err(io_err("keeping (hard-linking)", &from))?;
            }
        }
    }
    if cancel.load(Ordering::Relaxed) {
        return Err(MergeError::Cancelled);
    }
    let files = staging.commit()?;
    Ok(MergeReport {
        shards: shards.len(),
        rows,
        skipped: samples - rows,
        array_bytes,
        boxes_dropped: shards.iter().map(|(_, r)| r.boxes_dropped).sum(),
        files,
        elapsed: started.elapsed(),
    })
}

/// The shards of `out`, in order, checked to be all there, complete, and of one export.
fn check_shards(out: &Path) -> Result<Vec<(ShardSpec, ShardRecord)>, MergeError> {
    let names = entry_names(out).map_err(io_err("reading the output folder", out))?;
    let mut records = Vec::new();
    for name in &names {
        if let Some(("shard", spec, "json")) = parse_file_name(name) {
            let path = out.join(name);
            let record = read(&path).map_err(|e| MergeError::Incomplete {
                why: format!("unreadable shard record ({e})"),
                file: path.clone(),
            })?;
            if (record.shard, record.count) != (spec.index, spec.count) {
                return Err(MergeError::Incomplete {
                    why: format!(
                        "the record says it is shard {}/{}, not the one its name says",
                        record.shard, record.count
                    ),
                    file: path,
                });
            }
            records.push((spec, record, path));
        }
    }
    if records.is_empty() {
        return Err(MergeError::NoShards(out.to_path_buf()));
    }
    // The export most shards belong to is the one being merged; the others are foreign.
    records.sort_by_key(|(spec, _, _)| spec.index);
    let key = |r: &ShardRecord| (r.count, r.fingerprint.clone());
    let reference = records
        .iter()
        .max_by_key(|(spec, r, _)| {
            let members = records.iter().filter(|(_, o, _)| key(o) == key(r)).count();
            (members, std::cmp::Reverse(spec.index))
        })
        .map(|(_, r, path)| (r.clone(), path.clone()))
        .ok_or_else(|| MergeError::NoShards(out.to_path_buf()))?;
    let (reference, reference_path) = reference;
    let count = reference.count;
    for (_, record, path) in &records {
        if key(record) != key(&reference) {
            return Err(MergeError::Foreign {
                why: foreign_why(record, &reference, &reference_path),
                file: path.clone(),
            });
        }
    }
    for name in &names {
        if let Some((_, spec, _)) = parse_file_name(name)
            && spec.count != count
        {
            return Err(MergeError::Foreign {
                why: format!(
                    "this file belongs to an export in {} shards, but the shards here are {count}",
                    spec.count
                ),
                file: out.join(name),
            });
        }
    }
    let missing: Vec<usize> = (0..count)
        .filter(|i| !records.iter().any(|(spec, _, _)| spec.index == *i))
        .collect();
    if let Some(&first) = missing.first() {
        let shard = ShardSpec {
            index: first,
            count,
        };
        return Err(MergeError::Missing {
            shard,
            missing: missing.len(),
            count,
            file: out.join(shard.file_name("shard", "json")),
        });
    }
    for (_, record, _) in &records {
        check_files(out, record)?;
    }
    let names_path = out.join("class_names.json");
    let stored: Option<Vec<String>> = fs::read(&names_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    if stored.as_ref() != Some(&reference.class_names) {
        return Err(MergeError::Incomplete {
            why: "the class names differ from the shards' records (or cannot be read)".into(),
            file: names_path,
        });
    }
    Ok(records.into_iter().map(|(s, r, _)| (s, r)).collect())
}

/// Checks that every file `record` lists is in `out` at the size it lists.
fn check_files(out: &Path, record: &ShardRecord) -> Result<(), MergeError> {
    let count = record.count;
    for file in &record.files {
        let path = out.join(&file.name);
        match fs::metadata(&path) {
            Ok(meta) if meta.len() == file.bytes => {}
            Ok(meta) => {
                return Err(MergeError::Incomplete {
                    why: format!(
                        "shard {}/{count}'s record lists this file at {} bytes, but it holds {} (changed after the shard finished?)",
                        record.shard,
                        file.bytes,
                        meta.len()
                    ),
                    file: path,
                });
            }
            Err(e) => {
                return Err(MergeError::Incomplete {
                    why: format!(
                        "shard {}/{count}'s record lists this file, but it cannot be read ({e})",
                        record.shard
                    ),
                    file: path,
                });
            }
        }
    }
    Ok(())
}

/// Why `record` is not of the export `reference` (at `reference_path`) is.
fn foreign_why(record: &ShardRecord, reference: &ShardRecord, reference_path: &Path) -> String {
    let shown = reference_path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    if record.count != reference.count {
        return format!(
            "this shard belongs to an export in {} shards, but {shown} and the others are of one in {}",
            record.count, reference.count
        );
    }
    let ours: Vec<&str> = record.options.split(' ').collect();
    let differs: Vec<String> = reference
        .options
        .split(' ')
        .zip(&ours)
        .filter(|(a, b)| a != *b)
        .map(|(a, b)| format!("{b} (not {a})"))
        .collect();
    if differs.is_empty() {
        format!(
            "this shard was cut from another plan than {shown} (other files, order or labels: fingerprint {} vs {})",
            record.fingerprint, reference.fingerprint
        )
    } else {
        format!(
            "this shard was exported with other options than {shown}: {}",
            differs.join(", ")
        )
    }
}

/// Writes array number `a` of the shards as one `.npy` of `rows` rows at `path`; returns its bytes.
fn merge_array(
    out: &Path,
    shards: &[(ShardSpec, ShardRecord)],
    (a, rows): (usize, usize),
    path: &Path,
    cancel: &AtomicBool,
) -> Result<u64, MergeError> {
    let array = &shards[0].1.arrays[a];
    let (dtype, _) = npy::parse_descr(&array.descr).ok_or_else(|| MergeError::Incomplete {
        why: format!("the shard record names an unknown dtype {:?}", array.descr),
        file: out.join(shards[0].0.file_name("shard", "json")),
    })?;
    let shape: Vec<usize> = std::iter::once(rows)
        .chain(array.row_shape.iter().copied())
        .collect();
    let mut file = File::create(path).map_err(io_err("creating", path))?;
    let header = npy::header(dtype, &shape);
    file.write_all(&header).map_err(io_err("writing", path))?;
    let row_bytes = (array.row_shape.iter().product::<usize>() * dtype.size()) as u64;
    let mut total = header.len() as u64;
    for (spec, record) in shards {
        let names = Names { shard: Some(*spec) };
        let member = format!("{}.npy", array.name);
        let expected = record.rows as u64 * row_bytes;
        let copied = if record.format == ArrayFormat::Npz {
            let archive = out.join(names.file("arrays", "npz"));
            let opened = File::open(&archive).map_err(io_err("opening", &archive))?;
            let mut zip = zip::ZipArchive::new(BufReader::new(opened)).map_err(|e| {
                MergeError::Incomplete {
                    why: format!("not a readable .npz archive ({e})"),
                    file: archive.clone(),
                }
            })?;
            let mut reader = zip.by_name(&member).map_err(|e| MergeError::Incomplete {
                why: format!("no member {member:?} ({e})"),
                file: archive.clone(),
            })?;
            copy_rows(
                &mut reader,
                (record, dtype, &array.row_shape),
                &archive,
                &mut file,
                cancel,
            )?
        } else {
            let source = out.join(names.array(&array.name));
            let mut reader = File::open(&source).map_err(io_err("opening", &source))?;
            copy_rows(
                &mut reader,
                (record, dtype, &array.row_shape),
                &source,
                &mut file,
                cancel,
            )?
        };
        if copied != expected {
            let file = out.join(names.array(&array.name));
            return Err(MergeError::Incomplete {
                why: format!("holds {copied} bytes of rows, but its record says {expected}"),
                file,
            });
        }
        total += copied;
    }
    file.sync_all().map_err(io_err("syncing", path))?;
    Ok(total)
}

/// Checks the `.npy` header at the start of `reader` against the record, then copies its rows into
/// `to` in pieces, looking at `cancel` between them; returns the bytes copied.
fn copy_rows(
    reader: &mut impl Read,
    (record, dtype, row_shape): (&ShardRecord, NpyDtype, &[usize]),
    source: &Path,
    to: &mut File,
    cancel: &AtomicBool,
) -> Result<u64, MergeError> {
    let header = npy::read_header(reader).map_err(|e| MergeError::Incomplete {
        why: e.to_string(),
        file: source.to_path_buf(),
    })?;
    let shape: Vec<usize> = std::iter::once(record.rows)
        .chain(row_shape.iter().copied())
        .collect();
    if header.dtype != dtype || header.shape != shape || header.fortran_order {
        return Err(MergeError::Incomplete {
            why: format!(
                "holds {} {} but its record says {} {}",
                header.dtype,
                npy::shape_repr(&header.shape),
                dtype,
                npy::shape_repr(&shape)
            ),
            file: source.to_path_buf(),
        });
    }
    let mut copied = 0;
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(MergeError::Cancelled);
        }
        let piece = io::copy(&mut reader.by_ref().take(PIECE), to)
            .map_err(|e| MergeError::Export(io_err("copying", source)(e)))?;
        if piece == 0 {
            return Ok(copied);
        }
        copied += piece;
    }
}

/// Joins the shards' `stem` CSV files into `to`: one header row; the manifest's row numbers counted
/// on across shards (`renumber`); the indexing warnings at the top of every `skipped` file taken once.
/// Joins the shards' `warnings` files (a shard has one only when a file it exported was decoded with
/// a warning) into `to`, in shard order, with one header; writes nothing when no shard has one.
fn merge_warnings(
    out: &Path,
    shards: &[(ShardSpec, ShardRecord)],
    to: &Path,
) -> Result<(), MergeError> {
    let mut lines: Vec<Vec<u8>> = Vec::new();
    for (spec, record) in shards {
        let name = Names { shard: Some(*spec) }.file("warnings", "csv");
        if !record.files.iter().any(|f| f.name == name) {
            continue;
        }
        let path = out.join(&name);
        let bytes = fs::read(&path).map_err(io_err("reading", &path))?;
        let mut rows = bytes.split_inclusive(|&b| b == b'\n');
        let header = rows.next().unwrap_or_default();
        if lines.is_empty() {
            lines.push(header.to_vec());
        }
        lines.extend(rows.map(<[u8]>::to_vec));
    }
    if lines.is_empty() {
        return Ok(());
    }
    fs::write(to, lines.concat()).map_err(io_err("writing", to))?;
    sync_file(to)
}

fn merge_csv(
    out: &Path,
    shards: &[(ShardSpec, ShardRecord)],
    stem: &str,
    to: &Path,
    renumber: bool,
) -> Result<(), MergeError> {
    let file = File::create(to).map_err(io_err("creating", to))?;
    let mut writer = csv::Writer::from_writer(BufWriter::with_capacity(1 << 20, file));
    let write_err = |e: csv::Error| MergeError::Export(io_err("writing", to)(io::Error::other(e)));
    let mut row = 0usize;
    for (n, (spec, record)) in shards.iter().enumerate() {
        let path = out.join(Names { shard: Some(*spec) }.file(stem, "csv"));
        let opened = File::open(&path).map_err(io_err("opening", &path))?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(BufReader::new(opened));
        let read_err = |e: csv::Error| MergeError::Incomplete {
            why: format!("unreadable CSV ({e})"),
            file: path.clone(),
        };
        let mut records = reader.byte_records();
        let header = records.next().transpose().map_err(read_err)?;
        if n == 0
            && let Some(header) = &header
        {
            writer.write_byte_record(header).map_err(write_err)?;
        }
        let skip = if renumber || n == 0 {
            0
        } else {
            record.warning_rows
        };
        let mut rows_here = 0usize;
        for line in records.skip(skip) {
            let mut line = line.map_err(read_err)?;
            if renumber {
                let mut renumbered = csv::ByteRecord::new();
                renumbered.push_field(row.to_string().as_bytes());
                for field in line.iter().skip(1) {
                    renumbered.push_field(field);
                }
                line = renumbered;
            }
            writer.write_byte_record(&line).map_err(write_err)?;
            row += 1;
            rows_here += 1;
        }
        if renumber && rows_here != record.rows {
            return Err(MergeError::Incomplete {
                why: format!(
                    "holds {rows_here} rows, but the shard's arrays hold {}",
                    record.rows
                ),
                file: path,
            });
        }
    }
    let file = writer
        .into_inner()
        .map_err(|e| MergeError::Export(io_err("writing", to)(io::Error::other(e.to_string()))))?;
    let file = file
        .into_inner()
        .map_err(|e| MergeError::Export(io_err("writing", to)(e.into_error())))?;
    file.sync_all().map_err(io_err("syncing", to))?;
    Ok(())
}

fn sync_file(path: &Path) -> Result<(), MergeError> {
    File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| MergeError::Export(io_err("syncing", path)(e)))
}
