//! TFRecord files of `tf.train.Example` as a dataset source: encoded images (PNG, JPEG, ...) with
//! int64 labels, handed to the loader as an [`EncodedImages`] store so they are decoded and preprocessed
//! exactly like image files.
//!
//! Guarantees:
//! - Opening reads every record once: both CRCs are checked, the Example is parsed to pick the image
//!   (`image`, `image/encoded`, or `--image-key`) and the label (`label`, `image/class/label`, or
//!   `--label-key`; none of them means no labels), and the image's header is probed, so
//!   [`EncodedImages::header`] needs no I/O.
//! - Samples are the usable records in reading order (files by name, records in file order), named
//!   `<file>#<record in file>`. Labels keep their int64 values ([`DatasetIndex::label_values`] is
//!   always set), so `labels.npy` holds what the records hold. Values that look like class indices
//!   (none negative, at least half of `0..=max` present) are their own classes; any others give one
//!   class per distinct value, in increasing order, so a categorical `labels.npy` never has a column
//!   per integer up to a large value (see `classes_of_labels`).
//! - Nothing bad is dropped silently: a bad CRC, a truncated file, a missing shard, an unreadable file,
//!   a record with no image (or, when the others have one, no label) is an index warning naming the
//!   file and the record. A record whose image bytes do not decode stays a sample: the loader reports
//!   it as skipped with the decoder's reason.
//! - Reads of a chunk of samples go through the files once, in record order, whatever order the
//!   samples were asked in, so a GZIP or ZLIB file is decompressed once per chunk, not once per sample.
//! - Detection records (the TF Object Detection API's `image/object/bbox/*`, tfds's `objects/bbox`,
//!   or `--bbox-keys`; see [`super::objects`]) give each sample its objects, the index its object
//!   classes ([`super::detection`]), and the store their masks ([`EncodedImages::masks`]). Image-level
//!   labels are then off unless `--label-key` names them; a record of a detection dataset with no box
//!   features is an image without objects; a record whose objects cannot be trusted is left out with
//!   a warning naming the record and why. Records over 16 MiB give their boxes and classes too (not
//!   their texts, nor a check of their masks' headers).

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};

use super::detection;
use super::framing::WHOLE_RECORD_BYTES;
use super::large_record::{Sizes, read_large_example};
use super::objects::{ObjectKeys, ObjectLayout, RecordMask, RecordObjects, masks_of, objects_of};
use super::{
    Example, ExampleError, Kept, LABEL_KEYS, ProblemReason, RecordIndex, RecordProblem,
    RecordReader, TfRecordError, image_of, label_of, parse_example,
};
use crate::decode;
use crate::index::{
    Access, DatasetIndex, EncodedImages, ImageHeader as Header, IndexWarning, RecordMasks, Sample,
    Store, WalkControl,
};
use crate::options::IndexOptions;
use crate::source::SourceError;
use crate::source::annotations::{MaskRef, Object, ObjectClasses, Objects, SharedObjects, Units};

/// Records are reported every this many.
const PROGRESS_EVERY: usize = 256;

/// One sample: a good record that holds an image feature.
struct EncodedRecord {
    /// Index into [`RecordIndex::records`].
    record: usize,
    /// Index into [`TfRecordImages::keys`]: the feature holding the image.
    key: usize,
    /// Length of the encoded image.
    image_bytes: u64,
    /// Its header, probed when the source was opened.
    header: Header,
}

/// The encoded images of indexed TFRecord files.
pub struct TfRecordImages {
    what: String,
    /// The image features found (usually one name for every record).
    keys: Vec<String>,
    samples: Vec<EncodedRecord>,
    /// One reader, so a chunk's records are read in one ordered pass through each file.
    reader: Mutex<RecordReader<Arc<RecordIndex>>>,
}

impl TfRecordImages {
    fn read_one(
        &self,
        reader: &mut RecordReader<Arc<RecordIndex>>,
        sample: usize,
        max_bytes: u64,
    ) -> Result<Vec<u8>, String> {
        let s = self.samples.get(sample).ok_or_else(|| {
            format!(
                "sample {sample} is out of range: the source holds {}",
                self.samples.len()
            )
        })?;
        if s.image_bytes > max_bytes {
            return Err(format!(
                "the image is {} bytes, over the limit of {max_bytes} bytes per image (raise it with --max-file-bytes)",
                s.image_bytes
            ));
        }
        let mut data = reader.read(s.record).map_err(|e| match e {
            // The sample's name already says which file and record.
            TfRecordError::Record(problem) => problem.reason.to_string(),
            other => other.to_string(),
        })?;
        let key = Some(self.keys[s.key].as_str());
        if data.len() as u64 <= WHOLE_RECORD_BYTES {
            let example = parse_example(&data).map_err(|e| e.to_string())?;
            let (_, image) = image_of(&example, key).map_err(|e| e.to_string())?;
            return Ok(image.to_vec());
        }
        // A large record is not copied: its image is found in place and the rest cut away.
        let large = read_large_example(&mut &data[..], data.len() as u64, 0)
            .map_err(|why| format!("the record is not a tf.train.Example: {why}"))?;
        let (key, _) = image_of(&large.example, key).map_err(|e| e.to_string())?;
        let sizes = large.sizes.get(key).copied().unwrap_or_default();
        let start = sizes.first_offset as usize;
        data.truncate(start + sizes.first_bytes as usize);
        data.drain(..start);
        Ok(data)
    }
}

impl EncodedImages for TfRecordImages {
    fn access(&self) -> Access {
        Access::Together
    }

    fn read(&self, samples: &[usize], max_bytes: u64) -> Vec<Result<Vec<u8>, String>> {
        let mut order: Vec<usize> = (0..samples.len()).collect();
        order.sort_by_key(|&i| self.samples.get(samples[i]).map(|s| s.record));
        let mut out = vec![Ok(Vec::new()); samples.len()];
        let mut reader = self.reader.lock().unwrap_or_else(PoisonError::into_inner);
        for i in order {
            out[i] = self.read_one(&mut reader, samples[i], max_bytes);
        }
        out
    }

    fn header(&self, sample: usize, _path: &Path) -> Header {
        self.samples.get(sample).map_or_else(
            || Err(format!("sample {sample} is out of range")),
            |s| s.header.clone(),
        )
    }

    fn describe(&self) -> String {
        self.what.clone()
    }

    fn is_random_access(&self) -> bool {
        let reader = self.reader.lock().unwrap_or_else(PoisonError::into_inner);
        reader
            .index()
            .files
            .iter()
            .all(|f| f.compression == super::Compression::None)
    }

    fn masks(&self, sample: usize, max_bytes: u64) -> Result<RecordMasks, String> {
        let s = self.samples.get(sample).ok_or_else(|| {
            format!(
                "sample {sample} is out of range: the source holds {}",
                self.samples.len()
            )
        })?;
        let data = {
            let mut reader = self.reader.lock().unwrap_or_else(PoisonError::into_inner);
            reader.read(s.record).map_err(|e| match e {
                TfRecordError::Record(problem) => problem.reason.to_string(),
                other => other.to_string(),
            })?
        };
        let example = parse_example(&data).map_err(|e| e.to_string())?;
        masks_of(&example, max_bytes)
    }
}

/// What one record gave when it was parsed.
struct Parsed {
    record: usize,
    key: String,
    image_bytes: u64,
    header: Header,
    label: Option<i64>,
    /// The objects it states, when it holds box features.
    objects: Option<RecordObjects>,
    /// Those objects with class indices, once the dataset's classes are known.
    resolved: Option<SharedObjects>,
}

/// What opening takes from one record: the image's feature, length and header, its label, and its
/// objects.
type Picked = (String, u64, Header, Option<i64>, Option<RecordObjects>);

/// What opening reads of each record besides its image.
struct Wanted<'a> {
    image_key: Option<&'a str>,
    labels: bool,
    label_key: Option<&'a str>,
    objects: &'a ObjectLayout,
}

/// Parses one record's Example as the scan kept it: its image (probed) and, when `labels` is on,
/// its label.
fn parse_record(data: Kept, wanted: &Wanted<'_>) -> Result<Picked, String> {
    match data {
        Kept::Whole(bytes) => {
            let example = parse_example(&bytes).map_err(|e| e.to_string())?;
            pick(&example, None, wanted)
        }
        Kept::Large(Ok(large)) => pick(&large.example, Some(&large.sizes), wanted),
        Kept::Large(Err(why)) => Err(format!("the record is not a tf.train.Example: {why}")),
    }
}

/// Picks the image (probed) and the label of `example`. `sizes` are the real sizes of a large
/// record's features, whose kept lists are cut short (see [`super::large_record`]).
fn pick(
    example: &Example,
    sizes: Option<&BTreeMap<String, Sizes>>,
    wanted: &Wanted<'_>,
) -> Result<Picked, String> {
    let Wanted {
        image_key,
        labels,
        label_key,
        objects,
    } = *wanted;
    let real_count = |e: ExampleError| {
        match (e, sizes) {
            (ExampleError::NotOneValue { key, count }, Some(sizes)) => ExampleError::NotOneValue {
                count: sizes.get(&key).map_or(count, |s| s.values as usize),
                key,
            },
            (e, _) => e,
        }
        .to_string()
    };
    let (key, image) = image_of(example, image_key).map_err(real_count)?;
    let label = if labels {
        label_of(example, label_key)
            .map_err(real_count)?
            .map(|(_, value)| value)
    } else {
        None
    };
    let header = decode::probe_bytes(image).map_err(|e| e.to_string());
    let image_bytes = sizes
        .and_then(|sizes| sizes.get(key))
        .map_or(image.len() as u64, |s| s.first_bytes);
    let image_size = header.as_ref().ok().map(|(_, size)| *size);
    let objects = objects_of(example, sizes, objects, image_size)?;
    Ok((key.to_owned(), image_bytes, header, label, objects))
}

/// A warning and where it goes among the others: missing shards first, then by file and record.
struct Placed {
    missing_shard: bool,
    record: Option<u64>,
    warning: IndexWarning,
}

fn problem_warning(problem: RecordProblem) -> Placed {
    let stops_the_file = matches!(
        problem.reason,
        ProblemReason::Truncated { .. }
            | ProblemReason::BadLengthCrc
            | ProblemReason::Unreadable(_)
    );
    let reason = match problem.record {
        Some(k) if stops_the_file => format!(
            "record {k}: {}; the records after it in this file are not read",
            problem.reason
        ),
        Some(k) => format!("record {k}: {}", problem.reason),
        None => problem.reason.to_string(),
    };
    Placed {
        missing_shard: matches!(problem.reason, ProblemReason::MissingShard { .. }),
        record: problem.record,
        warning: IndexWarning {
            path: problem.path,
            reason,
        },
    }
}
/// What the one pass over the records found: the index, the records that hold an image (in
/// order), and the good records that do not, with why.
struct Scan {
    records: RecordIndex,
    parsed: Vec<Parsed>,
    unusable: Vec<(usize, String)>,
    /// Notes on the dataset as a whole (a label map beside the records that is not used).
    notes: Vec<IndexWarning>,
}

/// Reads every record once: checks it, parses it, probes its image. A record longer than
/// `max_record_bytes` is checked as it streams past, never held, and left out with the limit.
fn scan(
    path: &Path,
    options: &IndexOptions,
    max_record_bytes: u64,
    control: &WalkControl<'_>,
) -> Result<Scan, SourceError> {
    let (labels_on, label_key) = (options.reads_labels(), options.label_key_read());
    let layout = object_layout(options).map_err(|reason| SourceError::Unusable {
        reason,
        path: path.to_path_buf(),
    })?;
    let wanted = Wanted {
        image_key: options.image_key.as_deref(),
        labels: labels_on,
        label_key,
        objects: &layout,
    };

    let mut parsed: Vec<Parsed> = Vec::new();
    let mut unusable: Vec<(usize, String)> = Vec::new();
    let mut seen = 0usize;
    let mut cancelled = false;
    let records = super::index_visiting(
        path,
        None,
        // 0 means "keep none" to index_visiting; a record of one byte holds no image either way.
        max_record_bytes.max(1),
        &mut |record, data| {
            if control.cancel.load(Ordering::Relaxed) {
                cancelled = true;
                return ControlFlow::Break(());
            }
            let k = seen;
            seen += 1;
            if seen.is_multiple_of(PROGRESS_EVERY) {
                (control.on_progress)(seen);
            }
            let result = match data {
                Some(data) => parse_record(data, &wanted),
                None => Err(format!(
                    "the record is {} bytes, over the limit of {max_record_bytes} bytes per image (raise it with --max-file-bytes)",
                    record.len,
                )),
            };
            match result {
                Ok((key, image_bytes, header, label, objects)) => parsed.push(Parsed {
                    record: k,
                    key,
                    image_bytes,
                    header,
                    label,
                    objects,
                    resolved: None,
                }),
                Err(reason) => unusable.push((k, reason)),
            }
            ControlFlow::Continue(())
        },
    )?;
    if cancelled || control.cancel.load(Ordering::Relaxed) {
        return Err(SourceError::Cancelled);
    }
    (control.on_progress)(seen);
    Ok(Scan {
        records,
        parsed,
        unusable,
        notes: Vec::new(),
    })
}

/// The index warnings of a scan, in reading order (missing shards first, then by file and record).
/// Labels are all or nothing: when some records have one, a record without one has no class, so it
/// is left out here (with a warning) and `true` is returned.
fn warnings_of(scan: &mut Scan) -> (Vec<IndexWarning>, bool) {
    let records = &scan.records;
    let record_warning = |k: usize, reason: String| {
        let r = records.records[k];
        Placed {
            missing_shard: false,
            record: Some(r.record_in_file),
            warning: IndexWarning {
                path: records.files[r.file].path.clone(),
                reason: format!("record {}: {reason}; it is left out", r.record_in_file),
            },
        }
    };
    let mut placed: Vec<Placed> = records
        .problems
        .iter()
        .cloned()
        .map(problem_warning)
        .collect();
    placed.extend(
        std::mem::take(&mut scan.unusable)
            .into_iter()
            .map(|(k, r)| record_warning(k, r)),
    );
    let labeled = scan.parsed.iter().any(|p| p.label.is_some());
    if labeled {
        let looked_for = LABEL_KEYS.map(|k| format!("{k:?}")).join(" or ");
        scan.parsed.retain(|p| {
            if p.label.is_none() {
                placed.push(record_warning(
                    p.record,
                    format!("no label feature ({looked_for}) while other records have one"),
                ));
            }
            p.label.is_some()
        });
    }
    placed.sort_by(|a, b| {
        (!a.missing_shard, &a.warning.path, a.record).cmp(&(
            !b.missing_shard,
            &b.warning.path,
            b.record,
        ))
    });
    (placed.into_iter().map(|p| p.warning).collect(), labeled)
}

/// The error when no record is usable, naming the first problem.
fn no_usable_record(path: &Path, warnings: &[IndexWarning]) -> SourceError {
    let reason = match warnings.first() {
        Some(first) => format!(
            "no usable record ({} problem{}; the first: {}{})",
            warnings.len(),
            if warnings.len() == 1 { "" } else { "s" },
            first.reason,
            if first.path == path {
                String::new()
            } else {
                format!(" in {:?}", first.path)
            }
        ),
        None => "the TFRecord files hold no records".to_owned(),
    };
    SourceError::Unusable {
        reason,
        path: path.to_path_buf(),
    }
}

/// The encoded-image store of the usable records.
fn store_of(records: RecordIndex, parsed: Vec<Parsed>, objects: Option<&str>) -> TfRecordImages {
    let mut keys: Vec<String> = Vec::new();
    let samples = parsed
        .into_iter()
        .map(|p| {
            let key = keys.iter().position(|k| *k == p.key).unwrap_or_else(|| {
                keys.push(p.key);
                keys.len() - 1
            });
            EncodedRecord {
                record: p.record,
                key,
                image_bytes: p.image_bytes,
                header: p.header,
            }
        })
        .collect();
    let mut compressions: Vec<String> = records
        .files
        .iter()
        .map(|f| f.compression.to_string())
        .collect();
    compressions.sort();
    compressions.dedup();
    let what = format!(
        "{} TFRecord file{}, {}{}",
        records.files.len(),
        if records.files.len() == 1 { "" } else { "s" },
        compressions.join("/"),
        objects.map(|o| format!("; {o}")).unwrap_or_default()
    );
    TfRecordImages {
        what,
        keys,
        samples,
        reader: Mutex::new(RecordReader::new(Arc::new(records))),
    }
}

/// The classes of TFRecord label values: the class of each value, the names, and each class's value.
///
/// Values that look like class indices (none negative, and at least half of `0..=max` present) are
/// their own classes, empty ones kept (as Keras keeps an empty class folder), so `class_names.json`
/// is indexed by the values. Any other values (`{0, 65535}`, `{-2, 7, 5000000000}`) give one class
/// per distinct value, in increasing order: a categorical export then has one column per value
/// present, not a column per integer up to the largest, and `class_names.json` names each column.
pub(crate) fn classes_of_labels(values: &[i64]) -> (Vec<u32>, Vec<String>, Vec<i64>) {
    let mut distinct = values.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    let (Some(&min), Some(&max)) = (distinct.first(), distinct.last()) else {
        return (Vec::new(), Vec::new(), Vec::new());
    };
    let indices = min >= 0 && u64::try_from(max).is_ok_and(|m| m < 2 * distinct.len() as u64);
    let classes: Vec<i64> = if indices {
        (0..=max).collect()
    } else {
        distinct
    };
    let labels = values
        .iter()
        .map(|v| classes.binary_search(v).unwrap_or(0) as u32)
        .collect();
    let names = classes.iter().map(i64::to_string).collect();
    (labels, names, classes)
}

/// Indexes the TFRecords at `path` (a file, a folder of shards, or a pattern) as encoded images with
/// labels. `control` is told every few hundred records and checked for cancel after each record. A
/// record longer than `max_record_bytes` is left out with a warning naming the limit.
pub fn open_index(
    path: &Path,
    options: &IndexOptions,
    max_record_bytes: u64,
    control: &WalkControl<'_>,
) -> Result<DatasetIndex, SourceError> {
    let mut scan = scan(path, options, max_record_bytes, control)?;
    let detection = read_objects(path, options, &mut scan)?;
    let (warnings, labeled) = warnings_of(&mut scan);
    let Scan {
        records,
        parsed,
        notes,
        ..
    } = scan;
    if parsed.is_empty() {
        return Err(no_usable_record(path, &warnings));
    }
    let (labels, class_names, label_values) = if labeled {
        let values: Vec<i64> = parsed.iter().filter_map(|p| p.label).collect();
        let (labels, names, values) = classes_of_labels(&values);
        (Some(labels), names, Some(values))
    } else {
        (None, Vec::new(), None)
    };
    let samples = parsed
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let r = records.records[p.record];
            Sample {
                objects: p.resolved.clone(),
                rel_path: crate::source::member_name(&records.files[r.file].path, r.record_in_file),
                label: labels.as_ref().map(|l| l[i]),
            }
        })
        .collect();
    Ok(DatasetIndex {
        root: path.to_path_buf(),
        class_names,
        samples,
        warnings,
        notes,
        labeled,
        store: Store::of_images(Arc::new(store_of(
            records,
            parsed,
            detection.as_ref().map(|(_, what)| what.as_str()),
        ))),
        label_values,
        object_classes: detection.map(|(classes, _)| classes),
    })
}

/// How records state objects: the keys `--bbox-keys`/`--object-class-key` give, else detected.
fn object_layout(options: &IndexOptions) -> Result<ObjectLayout, String> {
    if options.bbox_keys.is_none() && options.object_class_key.is_none() {
        return Ok(ObjectLayout::Detect);
    }
    ObjectKeys::given(
        options.bbox_keys.as_deref(),
        options.object_class_key.as_deref(),
    )
    .map(ObjectLayout::Given)
}

/// When some record states objects, the dataset is a detection dataset: its image-level labels
/// are off unless `--label-key` asks for them, its class ids become class indices
/// ([`detection::classes`]), and a record with an id its names file does not name is left out.
/// Returns the classes and how the objects were read, for the description; `None` when no record
/// states objects (an error when the user named object keys or a label map).
fn read_objects(
    path: &Path,
    options: &IndexOptions,
    scan: &mut Scan,
) -> Result<Option<(ObjectClasses, String)>, SourceError> {
    let unusable = |reason: String| SourceError::Unusable {
        reason,
        path: path.to_path_buf(),
    };
    let Some(class_key) = scan
        .parsed
        .iter()
        .find_map(|p| p.objects.as_ref().map(|o| o.class_key.clone()))
    else {
        let given = [
            ("--bbox-keys", options.bbox_keys.is_some()),
            ("--object-class-key", options.object_class_key.is_some()),
            ("--label-map", options.label_map.is_some()),
        ];
        return match given.iter().find(|(_, given)| *given) {
            Some((flag, _)) if !scan.parsed.is_empty() => Err(unusable(format!(
                "{flag} was given, but no record holds boxes ({})",
                match &options.bbox_keys {
                    Some(keys) => keys.join(", "),
                    None => format!(
                        "{} or {}",
                        super::objects::OD_BOX_KEYS[0],
                        super::objects::TFDS_BOX_KEY
                    ),
                }
            ))),
            _ => Ok(None),
        };
    };
    if options.label_key.is_none() {
        for p in &mut scan.parsed {
            p.label = None;
        }
    }
    let dir = scan
        .records
        .files
        .first()
        .and_then(|f| f.path.parent())
        .map_or_else(|| path.to_path_buf(), Path::to_path_buf);
    let names =
        detection::names(&dir, options.label_map.as_deref(), &class_key).map_err(unusable)?;
    // Said where every note goes (stderr, the viewer's problems, the export's warnings.csv), not
    // only in the source's description: the classes are then the bare ids.
    if let Some(note) = &names.note {
        scan.notes.push(IndexWarning {
            path: dir.clone(),
            reason: note.clone(),
        });
    }
    let objects: Vec<Option<&RecordObjects>> =
        scan.parsed.iter().map(|p| p.objects.as_ref()).collect();
    let (mut classes, indices) = detection::classes(&objects, &names);
    let mut kept = Vec::with_capacity(scan.parsed.len());
    for (mut p, indices) in std::mem::take(&mut scan.parsed).into_iter().zip(indices) {
        match indices {
            Err(reason) => scan.unusable.push((p.record, reason)),
            Ok(indices) => {
                let stated = p.objects.take().unwrap_or_default();
                classes.has_masks |= stated.mask.is_some();
                p.resolved = Some(Arc::new(Objects {
                    objects: stated
                        .boxes
                        .iter()
                        .zip(indices)
                        .enumerate()
                        .map(|(i, (bbox, class))| Object {
                            bbox: *bbox,
                            class,
                            crowd: stated.crowd.get(i).copied().unwrap_or(false),
                        })
                        .collect(),
                    units: Units::Normalized,
                    stated_size: stated.stated_size,
                    mask: stated.mask.map(|mask: RecordMask| MaskRef::Record {
                        stored: mask == RecordMask::ClassMap,
                    }),
                }));
                kept.push(p);
            }
        }
    }
    scan.parsed = kept;
    Ok(Some((classes, detection::describe(&class_key, &names))))
}
