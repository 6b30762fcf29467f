//! The reader targets: each writes one input as a dataset file (or as one file of a saved dataset's
//! folder) in a temp dir, opens it through `batchscope::source::open` as the command line and the
//! viewer do, and reads every sample back through the source contract. For every input:
//!
//! - nothing panics (and, in `tests/fuzz_parsers.rs`, nothing allocates beyond a budget proportional
//!   to the input: see `within_budget` there);
//! - opening is `Ok`, or an error whose message is one non-empty line that names the file (or the
//!   dataset's folder);
//! - stored rows: reading every row gives, per column, exactly `row_bytes × rows` bytes, or an error
//!   naming the file; reading the last row alone gives the same bytes as the whole read's tail;
//! - encoded images (TFRecord): one result per sample asked for, in order; a read image is no longer
//!   than the limit asked for; a failure is a non-empty reason; `read_one` agrees with `read`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use batchscope::export::exclude_list;
use batchscope::index::{DatasetIndex, Sample, WalkControl};
use batchscope::load::loader::LoadSpec;
use batchscope::load::preprocess::Element;
use batchscope::load::spec;
use batchscope::options::{IndexOptions, LoadOptions, SourceKind};
use batchscope::size::Size;
use batchscope::source::{self, contract::StoredRows};

use super::seeds;

/// The longest image the TFRecord target asks for (a longer one must be refused, not read).
const MAX_IMAGE_BYTES: u64 = 1 << 16;

/// A message as the user sees it: one non-empty line naming `named` (a file or folder name).
fn assert_names(message: &str, named: &str) {
    assert!(
        !message.trim().is_empty() && !message.contains('\n'),
        "bad error message {message:?}"
    );
    assert!(
        message.contains(named),
        "{message:?} does not name {named:?}"
    );
}

/// A message without its numbers (so that each kind of failure counts as one outcome).
fn kind_of(message: &str) -> String {
    message
        .chars()
        .filter(|c| !c.is_ascii_digit())
        .take(80)
        .collect()
}

/// Opens `path` as a `kind` dataset, as the command line does (no progress, no cancel).
fn open(path: &Path, kind: SourceKind) -> Result<DatasetIndex, source::SourceError> {
    let never = AtomicBool::new(false);
    let options = IndexOptions {
        source: Some(kind),
        ..IndexOptions::default()
    };
    source::open(
        path,
        &options,
        &WalkControl {
            on_progress: &|_| {},
            cancel: &never,
        },
    )
}

/// Opens `path` as `kind` and reads every row; errors must name `named`.
fn open_and_read_rows(path: &Path, kind: SourceKind, named: &str) -> String {
    let index = match open(path, kind) {
        Ok(index) => index,
        Err(err) => {
            let message = err.to_string();
            assert_names(&message, named);
            return format!("open: {}", kind_of(&message));
        }
    };
    let rows = index
        .store
        .rows()
        .unwrap_or_else(|| panic!("{kind:?} opened as encoded images"));
    let read = read_every_row(rows, index.samples.len(), named);
    format!("{read}{}", first_warning(&index))
}

/// The kind of the index's first warning (a skipped record, a missing shard), for the signature.
fn first_warning(index: &DatasetIndex) -> String {
    index
        .warnings
        .first()
        .map(|w| format!(", warned: {}", kind_of(&w.reason)))
        .unwrap_or_default()
}

/// Reads rows `0..n` of `rows`, then the last row alone, checking the byte counts.
fn read_every_row(rows: &dyn StoredRows, n: usize, named: &str) -> String {
    let columns = rows.columns();
    assert!(!columns.is_empty(), "a stored source without columns");
    let mut all = vec![Vec::new(); columns.len()];
    if let Err(message) = rows.read_rows(0..n, &mut all) {
        assert_names(&message, named);
        return format!("read: {}", kind_of(&message));
    }
    for (column, bytes) in columns.iter().zip(&all) {
        assert_eq!(
            bytes.len(),
            column.row_bytes() * n,
            "column {:?} of {n} rows of {:?}",
            column.name,
            column.row_shape
        );
    }
    if n > 0 {
        let mut last = vec![Vec::new(); columns.len()];
        match rows.read_rows(n - 1..n, &mut last) {
            Ok(()) => {
                for ((column, whole), one) in columns.iter().zip(&all).zip(&last) {
                    let tail = &whole[whole.len() - column.row_bytes()..];
                    assert_eq!(
                        tail,
                        &one[..],
                        "row {} of {:?} read twice",
                        n - 1,
                        column.name
                    );
                }
            }
            // A sequential source may refuse to go back, but must say so.
            Err(message) => assert_names(&message, named),
        }
    }
    let shapes: Vec<String> = columns
        .iter()
        .map(|c| format!("{}{:?}", c.dtype.descr(), c.row_shape.len()))
        .collect();
    format!("ok {n} rows {}", shapes.join(","))
}

/// The folder `name` under `dir`, created by the first run (each run overwrites its files: removing
/// and creating folders would cost more than most runs do).
fn folder(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(&path).unwrap();
    path
}

/// `bytes` read as framed records (length, masked CRC-32C of the length, data, masked CRC-32C of
/// the data) with both CRCs made right, so that mutations reach the parsers behind the checksums; a
/// record longer than what is left is kept as it is.
fn with_crcs_fixed(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while rest.len() >= 12 {
        let len = u64::from_le_bytes(rest[..8].try_into().unwrap());
        let Some(data) = usize::try_from(len)
            .ok()
            .and_then(|len| rest.get(12..12 + len.checked_add(4)?))
        else {
            break;
        };
        let data = &data[..data.len() - 4];
        out.extend(super::records::framed(data));
        rest = &rest[12 + data.len() + 4..];
    }
    out.extend_from_slice(rest);
    out
}

/// TFRecord framing and `tf.train.Example` parsing: the rest of `bytes` as `data.tfrecord` (with its
/// records' CRCs made right when the first byte is odd, so that the Examples are parsed), every
/// sample's image read (together and one by one) and its header probed.
pub fn tfrecord(bytes: &[u8], dir: &Path) -> String {
    let dir = folder(dir, "tfrecord");
    let path = dir.join("data.tfrecord");
    let (fix, file) = bytes
        .split_first()
        .map_or((false, &[][..]), |(&b, f)| (b & 1 == 1, f));
    if fix {
        std::fs::write(&path, with_crcs_fixed(file)).unwrap();
    } else {
        std::fs::write(&path, file).unwrap();
    }
    let index = match open(&path, SourceKind::Tfrecord) {
        Ok(index) => index,
        Err(err) => {
            let message = err.to_string();
            assert_names(&message, "data.tfrecord");
            return format!("open: {}", kind_of(&message));
        }
    };
    read_every_image(&index)
}

/// Reads every sample of an encoded-images source back, in one `read` and one by one, checking the
/// limit, the reasons and the headers; returns the outcome signature.
fn read_every_image(index: &DatasetIndex) -> String {
    let images = index
        .store
        .images()
        .expect("the source holds encoded images");
    let n = index.samples.len();
    let samples: Vec<usize> = (0..n).collect();
    let read = images.read(&samples, MAX_IMAGE_BYTES);
    assert_eq!(read.len(), n, "{n} samples asked for");
    let mut outcome = format!(
        "ok {n} samples, labeled {}{}",
        index.labeled,
        first_warning(index)
    );
    for (i, result) in read.iter().enumerate() {
        let path = index.path(i);
        match result {
            Ok(image) => assert!(image.len() as u64 <= MAX_IMAGE_BYTES),
            Err(reason) => {
                assert!(!reason.trim().is_empty(), "empty reason for sample {i}");
                outcome = format!("read: {}", kind_of(reason));
            }
        }
        let one = images.read_one(i, &path, MAX_IMAGE_BYTES);
        assert_eq!(
            one.is_ok(),
            result.is_ok(),
            "sample {i}: {one:?} vs {result:?}"
        );
        if let (Ok(one), Ok(image)) = (&one, result) {
            assert_eq!(one, image, "sample {i} read twice");
        }
        match images.header(i, &path) {
            Ok((_, size)) => {
                assert!(size.width > 0 && size.height > 0, "sample {i}: {size:?}");
                outcome.push_str(&read_mask(index, i, size));
            }
            Err(reason) => assert!(!reason.trim().is_empty(), "empty header reason for {i}"),
        }
    }
    outcome
}

/// Reads sample `i`'s mask, if it has one (the OD API's record masks): a class map of the image's
/// `size`, or a non-empty reason; the outcome's part.
fn read_mask(index: &DatasetIndex, i: usize, size: Size) -> String {
    match batchscope::source::annotations::class_map(index, i, size, MAX_IMAGE_BYTES) {
        Ok(None) => String::new(),
        Ok(Some(map)) => {
            assert_eq!(map.size, size, "sample {i}'s mask");
            assert_eq!(map.values.len(), size.height as usize * size.width as usize);
            ", a mask".to_owned()
        }
        Err(reason) => {
            assert!(!reason.trim().is_empty(), "empty mask reason for {i}");
            format!(", mask: {}", kind_of(&reason))
        }
    }
}

/// A source of one file named `name` (a webdataset tar, a Parquet file, an Arrow stream) holding
/// `bytes`, opened as `kind`; every sample read back ([`read_every_image`], or
/// [`read_every_row`] when the file holds arrays).
fn one_file_of_images(bytes: &[u8], dir: &Path, name: &str, kind: SourceKind) -> String {
    let dir = folder(dir, &name.replace('.', "-"));
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    match open(&path, kind) {
        Ok(index) => match index.store.rows() {
            Some(rows) => {
                let read = read_every_row(rows, index.samples.len(), name);
                format!("rows: {read}{}", first_warning(&index))
            }
            None => read_every_image(&index),
        },
        Err(err) => {
            let message = err.to_string();
            assert_names(&message, name);
            format!("open: {}", kind_of(&message))
        }
    }
}

/// A webdataset shard (`.tar`).
pub fn webdataset(bytes: &[u8], dir: &Path) -> String {
    one_file_of_images(bytes, dir, "data.tar", SourceKind::Wds)
}

/// A Parquet file of the `Image` struct and a label.
pub fn parquet(bytes: &[u8], dir: &Path) -> String {
    one_file_of_images(bytes, dir, "data.parquet", SourceKind::Parquet)
}

/// An Arrow IPC stream of the `Image` struct and a label, as `save_to_disk` writes them.
pub fn arrow(bytes: &[u8], dir: &Path) -> String {
    one_file_of_images(bytes, dir, "data.arrow", SourceKind::Hf)
}

/// Snapshot records, `TensorProto`s, `snapshot.metadata` and `dataset_spec.pb`: the dataset of
/// [`seeds::saved_dataset`] with one file (chosen by the first byte) replaced by the rest of `bytes`.
pub fn saved(bytes: &[u8], dir: &Path) -> String {
    let root = folder(dir, "saved-root");
    let (which, file) = bytes
        .split_first()
        .map_or((0, &[][..]), |(&w, f)| (w % 3, f));
    let mut files = seeds::saved_dataset();
    files[usize::from(which)] = file.to_vec();
    let names = [
        "snapshot.metadata",
        "dataset_spec.pb",
        super::records::SNAPSHOT_FILE,
    ];
    std::fs::create_dir_all(root.join("run/00000000.shard")).unwrap();
    for (name, bytes) in names.iter().zip(&files) {
        std::fs::write(root.join(name), bytes).unwrap();
    }
    // A message names the dataset's folder or a file inside it: either way, its path holds the root.
    format!(
        "{which} {}",
        open_and_read_rows(&root, SourceKind::Saved, "saved-root")
    )
}

/// The `.npy` reader: `bytes` as `data.npy`.
pub fn npy(bytes: &[u8], dir: &Path) -> String {
    let path = folder(dir, "npy").join("data.npy");
    std::fs::write(&path, bytes).unwrap();
    open_and_read_rows(&path, SourceKind::Npy, "data.npy")
}

/// `.npz`, zip with CRC-32: `bytes` as `data.npz`.
pub fn npz(bytes: &[u8], dir: &Path) -> String {
    let path = folder(dir, "npz").join("data.npz");
    std::fs::write(&path, bytes).unwrap();
    open_and_read_rows(&path, SourceKind::Npz, "data.npz")
}

/// IDX: `bytes` as `train-images-idx3-ubyte`, beside a good labels file of 3 labels.
pub fn idx(bytes: &[u8], dir: &Path) -> String {
    let dir = folder(dir, "idx");
    let path = dir.join("train-images-idx3-ubyte");
    std::fs::write(&path, bytes).unwrap();
    let labels = dir.join("train-labels-idx1-ubyte");
    if !labels.exists() {
        std::fs::write(labels, seeds::idx_labels()).unwrap();
    }
    open_and_read_rows(&path, SourceKind::Idx, "idx3-ubyte")
}

/// CIFAR: the rest of `bytes` as `data_batch_1.bin` (first byte even) or `train.bin` (odd).
pub fn cifar(bytes: &[u8], dir: &Path) -> String {
    let (which, file) = bytes
        .split_first()
        .map_or((0, &[][..]), |(&w, f)| (w % 2, f));
    let name = ["data_batch_1.bin", "train.bin"][usize::from(which)];
    let path = folder(dir, "cifar").join(name);
    std::fs::write(&path, file).unwrap();
    format!(
        "{which} {}",
        open_and_read_rows(&path, SourceKind::Cifar, name)
    )
}

/// The spec the command line applies an exclude list to: [`seeds::EXCLUDE_SAMPLES`] planned by
/// `prepare` (shuffled with a fixed seed, batches of 2; an image size set, so no file is probed).
fn exclude_job() -> LoadSpec {
    let index = DatasetIndex {
        samples: seeds::EXCLUDE_SAMPLES
            .iter()
            .map(|name| Sample {
                objects: None,
                rel_path: PathBuf::from(name),
                label: Some(0),
            })
            .collect(),
        ..DatasetIndex::default()
    };
    let mut options = LoadOptions::default();
    options.plan.shuffle = true;
    options.plan.seed = Some(1);
    options.plan.batch_size = 2;
    options.preprocess.image_size = Some(Size::square(4));
    spec::prepare(
        Arc::new(index),
        &options,
        Element::default(),
        spec::SizeCheck::AllFiles,
        &AtomicBool::new(false),
    )
    .unwrap()
}

/// The exclude list, read with [`exclude_list::apply_file`] (as `--exclude-list` is): the plan keeps its
/// order minus exactly the samples whose paths are lines of the list (whole, or before a tab), each
/// left out once with a reason; the line counts are the list's.
pub fn exclude_list(bytes: &[u8], dir: &Path) -> String {
    let path = folder(dir, "exclude").join("exclude.txt");
    std::fs::write(&path, bytes).unwrap();
    let job = exclude_job();
    let applied = exclude_list::apply_file(&job, &path).unwrap();
    let lines: Vec<&[u8]> = bytes
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(applied.lines, lines.len(), "non-blank lines");
    // The sample a line names, and its reason: the whole line is a path, else the part before its
    // last tab is, and the rest is the reason.
    let names = |line: &[u8]| -> Option<(usize, Option<String>)> {
        let index_of = |path: &[u8]| {
            seeds::EXCLUDE_SAMPLES
                .iter()
                .position(|s| s.as_bytes() == path)
        };
        if let Some(i) = index_of(line) {
            return Some((i, None));
        }
        let tab = line.iter().rposition(|&b| b == b'\t')?;
        let reason = String::from_utf8_lossy(&line[tab + 1..]).into_owned();
        index_of(&line[..tab]).map(|i| (i, Some(reason)))
    };
    let mut reasons = std::collections::HashMap::new();
    for line in &lines {
        if let Some((i, reason)) = names(line) {
            reasons
                .entry(i)
                .or_insert_with(|| reason.unwrap_or_else(|| "listed in exclude.txt".to_owned()));
        }
    }
    let expected: Vec<usize> = job
        .plan
        .order
        .iter()
        .copied()
        .filter(|i| !reasons.contains_key(i))
        .collect();
    assert_eq!(
        applied.job.plan.order, expected,
        "the plan minus the listed samples"
    );
    let excluded: Vec<(String, String)> = applied
        .excluded
        .iter()
        .map(|e| (e.rel_path.to_str().unwrap().to_owned(), e.reason.clone()))
        .collect();
    let expected_excluded: Vec<(String, String)> = job
        .plan
        .order
        .iter()
        .filter_map(|i| {
            Some((
                seeds::EXCLUDE_SAMPLES[*i].to_owned(),
                reasons.get(i)?.clone(),
            ))
        })
        .collect();
    assert_eq!(
        excluded, expected_excluded,
        "left out, in plan order, with the first line's reason"
    );
    let unmatched = lines.iter().filter(|l| names(l).is_none()).count();
    assert_eq!(applied.unmatched_count, unmatched, "lines naming no sample");
    assert!(applied.unmatched.len() <= applied.unmatched_count.min(10));
    format!(
        "excluded {} unmatched {}",
        applied.excluded.len(),
        applied.unmatched_count.min(3)
    )
}

/// A `corrections.csv`, read with [`batchscope::query::Corrections::parse`] and applied with
/// [`batchscope::export::corrections::apply`] to the exclude target's samples (classes `a` and
/// `b`): a file is read or refused with its name and a line; read, every row names one path once;
/// applied, each relabelled sample has its new class and each excluded one is gone (or leaves the
/// plan, for a source read by number), or the error names the path or class that does not fit.
pub fn corrections(bytes: &[u8], dir: &Path) -> String {
    use batchscope::export::corrections::{ApplyError, apply};
    use batchscope::query::Corrections;
    let file = folder(dir, "corrections").join("corrections.csv");
    let parsed = match Corrections::parse(bytes, &file) {
        Ok(parsed) => parsed,
        Err(err) => {
            let text = err.to_string();
            assert!(text.ends_with(&format!("{file:?}")), "{text}");
            return text
                .split(':')
                .next()
                .unwrap_or_default()
                .chars()
                .take(40)
                .collect();
        }
    };
    let mut seen = std::collections::HashSet::new();
    for row in &parsed.rows {
        assert!(!row.path.is_empty(), "an empty path is refused");
        assert!(
            seen.insert(row.path.clone()),
            "a path corrected twice is refused"
        );
        assert!(row.line >= 2, "rows come after the header");
    }
    let index = DatasetIndex {
        class_names: vec!["a".into(), "b".into()],
        samples: seeds::EXCLUDE_SAMPLES
            .iter()
            .enumerate()
            .map(|(i, name)| Sample {
                objects: None,
                rel_path: PathBuf::from(name),
                label: Some(i as u32 % 2),
            })
            .collect(),
        labeled: true,
        ..DatasetIndex::default()
    };
    match apply(&index, &parsed) {
        Ok((corrected, _)) => {
            let by_path = index.store.samples_are_files();
            for row in &parsed.rows {
                let found = corrected
                    .samples
                    .iter()
                    .find(|s| s.rel_path.as_os_str().as_encoded_bytes() == row.path.as_slice());
                match (found, row.exclude && by_path) {
                    (None, true) => {}
                    (Some(s), false) => {
                        if let Some(class) = &row.new_class {
                            let label = s.label.unwrap() as usize;
                            assert_eq!(&index.class_names[label], class, "the new class");
                        }
                    }
                    (found, _) => panic!("{:?}: found {found:?}", row.path),
                }
            }
            let gone = parsed.rows.iter().filter(|r| r.exclude && by_path).count();
            assert_eq!(corrected.samples.len(), index.samples.len() - gone);
            format!("applied {}", parsed.rows.len().min(3))
        }
        Err(err @ ApplyError::UnmatchedPath { .. }) => {
            let ApplyError::UnmatchedPath { path, .. } = &err else {
                unreachable!()
            };
            assert!(!seeds::EXCLUDE_SAMPLES.contains(&path.as_str()) || path.contains('\u{fffd}'));
            "unmatched path".to_owned()
        }
        Err(err @ ApplyError::UnknownClass { .. }) => {
            let ApplyError::UnknownClass { class, .. } = &err else {
                unreachable!()
            };
            assert!(class != "a" && class != "b", "{err}");
            "unknown class".to_owned()
        }
        Err(err) => panic!("labels are on: {err}"),
    }
}
