//! A shard's record (`shard-00002-of-00004.json`): the options it was exported with, a fingerprint of
//! the whole plan, and what it wrote, so that `merge` can tell the shards of one export from a
//! foreign one and a complete shard from a half-written one.
//!
//! The fingerprint hashes (FNV-1a, 64 bits) the options that decide the output bytes and every planned
//! sample of the whole plan (not only the shard's), in order, with its label: two shards agree on it
//! exactly when they cut the same plan of the same options. File contents are not hashed (the sizes
//! are checked instead); the dataset's location is not either, so nodes may mount it at other paths.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{ExportError, ExportOptions, ExportPlan, manifest_path_bytes};
use crate::load::loader::LoadSpec;
use crate::options::{ArrayFormat, Scale};

/// The record's format version.
pub const RECORD_VERSION: u32 = 1;

/// What a shard wrote, and from what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardRecord {
    /// [`RECORD_VERSION`].
    pub version: u32,
    /// This shard's number (0-based).
    pub shard: usize,
    /// How many shards the export has.
    pub count: usize,
    /// The plan's fingerprint, 16 hex digits.
    pub fingerprint: String,
    /// The options that decide the output, as `name=value` words.
    pub options: String,
    /// Samples in the whole plan.
    pub plan_samples: usize,
    /// Samples in this shard's slice.
    pub samples: usize,
    /// Rows written (the slice's samples that loaded).
    pub rows: usize,
    /// The arrays' file format.
    pub format: ArrayFormat,
    /// Whether `.npz` members are deflated.
    pub compress: bool,
    /// Each array: name, numpy `descr`, shape of one row.
    pub arrays: Vec<RecordArray>,
    /// Each file the shard owns, with its size in bytes.
    pub files: Vec<RecordFile>,
    /// Rows at the top of the shard's `skipped` file that come from indexing (the same in every
    /// shard), not from its samples.
    pub warning_rows: usize,
    /// Whether the export wrote `excluded.csv` (shared by the shards).
    pub excluded: bool,
    /// Whether the export wrote `corrections_applied.csv` (shared by the shards).
    #[serde(default)]
    pub corrections: bool,
    /// The class names, as in `class_names.json`.
    pub class_names: Vec<String>,
    /// Whether the export annotates objects: it wrote `class_ids.json` (shared by the shards).
    #[serde(default)]
    pub objects: bool,
    /// Boxes this shard left out because the crop cut them away whole.
    #[serde(default)]
    pub boxes_dropped: usize,
}

impl ShardRecord {
    /// The record of the shard `options` name, exported from `job` (its slice) by `plan`, with `rows`
    /// rows written; the fingerprint, options and whole plan's size are left for the caller.
    pub(super) fn of(
        job: &LoadSpec,
        options: &ExportOptions,
        plan: &ExportPlan,
        rows: usize,
    ) -> Self {
        Self {
            version: RECORD_VERSION,
            shard: options.shard.map_or(0, |s| s.index),
            count: options.shard.map_or(1, |s| s.count),
            fingerprint: String::new(),
            options: String::new(),
            plan_samples: 0,
            samples: job.plan.len(),
            rows,
            format: options.arrays.format,
            compress: options.arrays.compress,
            arrays: plan
                .arrays
                .iter()
                .map(|a| RecordArray {
                    name: a.name.clone(),
                    descr: a.dtype.descr().to_owned(),
                    row_shape: a.shape[1..].to_vec(),
                })
                .collect(),
            files: Vec::new(),
            warning_rows: job.index.warnings.len(),
            excluded: !options.excluded.is_empty(),
            corrections: options.corrections.is_some(),
            class_names: super::exported_class_names(&job.index).to_vec(),
            objects: job.index.object_classes.is_some(),
            boxes_dropped: 0,
        }
    }
}

/// One array of a shard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordArray {
    /// Name without `.npy`.
    pub name: String,
    /// numpy `descr` (`|u1`, `<f4`).
    pub descr: String,
    /// Shape of one row.
    pub row_shape: Vec<usize>,
}

/// One file of a shard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordFile {
    /// File name in the output folder.
    pub name: String,
    /// Size in bytes.
    pub bytes: u64,
}

/// The options of `job` and `options` that decide the output bytes, as `name=value` words.
pub(super) fn describe(job: &LoadSpec, options: &ExportOptions, plan: &ExportPlan) -> String {
    let p = &job.preprocess;
    let size = p
        .image_size
        .map_or_else(|| "native".to_owned(), |size| size.to_string());
    let arrays: Vec<String> = plan
        .arrays
        .iter()
        .map(|a| {
            let row: Vec<String> = a.shape[1..].iter().map(ToString::to_string).collect();
            format!("{}:{}:{}", a.name, a.dtype, row.join("x"))
        })
        .collect();
    // Only an annotated export has a box form (other exports keep their fingerprints).
    let boxes = if job.index.object_classes.is_some() {
        format!(
            " box_format={} box_units={}",
            options.boxes.format, options.boxes.units
        )
    } else {
        String::new()
    };
    format!(
        "color_mode={} image_size={size} interpolation={} fit={} dtype={} scale={} layout={} format={} compress={} label_mode={} arrays={}{boxes}",
        p.color_mode,
        p.interpolation,
        p.fit,
        options.arrays.dtype,
        if job.element.scale == Scale::To1 {
            "1"
        } else {
            "255"
        },
        options.arrays.layout,
        options.arrays.format,
        options.arrays.compress,
        options.label_mode,
        arrays.join(","),
    )
}

/// The fingerprint of the whole plan of `job` under `description` (see the module doc).
pub(super) fn fingerprint(job: &LoadSpec, description: &str) -> String {
    let mut hash = Fnv::default();
    hash.write(description.as_bytes());
    for name in super::exported_class_names(&job.index) {
        hash.write(name.as_bytes());
        hash.write(&[0xff]);
    }
    hash.write(&(job.plan.len() as u64).to_le_bytes());
    // A plan index with no sample (a bug elsewhere) is the loader's to report, not a panic here.
    for sample in job
        .plan
        .order
        .iter()
        .filter_map(|&i| job.index.samples.get(i))
    {
        hash.write(&manifest_path_bytes(&sample.rel_path));
        hash.write(&[0]);
        hash.write(&sample.label.map_or(-1, i64::from).to_le_bytes());
        if let Some(objects) = &sample.objects {
            hash.write(&(objects.objects.len() as u64).to_le_bytes());
        }
    }
    format!("{:016x}", hash.0)
}

/// Writes `record` as `name` in the staging folder `dir`, listing (with their sizes) the shard's
/// files already there, and syncs it.
pub(super) fn write(dir: &Path, name: &str, mut record: ShardRecord) -> Result<(), ExportError> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(super::io_err("reading the staging folder", dir))? {
        let entry = entry.map_err(super::io_err("reading the staging folder", dir))?;
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let meta = entry
            .metadata()
            .map_err(super::io_err("reading", &entry.path()))?;
        files.push(RecordFile {
            name: file_name,
            bytes: meta.len(),
        });
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    record.files = files;
    let path = dir.join(name);
    let mut json = serde_json::to_vec_pretty(&record).map_err(|e| ExportError::Io {
        action: "encoding",
        path: path.clone(),
        source: std::io::Error::other(e),
    })?;
    json.push(b'\n');
    let mut file = std::fs::File::create(&path).map_err(super::io_err("creating", &path))?;
    std::io::Write::write_all(&mut file, &json).map_err(super::io_err("writing", &path))?;
    file.sync_all().map_err(super::io_err("syncing", &path))
}

/// Reads a record.
pub fn read(path: &Path) -> Result<ShardRecord, ExportError> {
    let bytes = std::fs::read(path).map_err(super::io_err("reading", path))?;
    serde_json::from_slice(&bytes).map_err(|e| ExportError::Io {
        action: "reading the shard record",
        path: path.to_path_buf(),
        source: std::io::Error::other(e),
    })
}

/// FNV-1a, 64 bits.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}
