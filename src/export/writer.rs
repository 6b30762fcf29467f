//! The open files of a running export (in its staging folder) and how a batch is written into them:
//! image rows, label rows per label mode, and manifest rows, all for the same samples in the same order.
//! Every file is synced to disk when finished, before the staging folder is swapped into place.

use std::borrow::Cow;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write as _};
use std::path::{Path, PathBuf};

use super::arrays::{ImageConvert, pack_npz};
use super::objects::{self, BoxOptions, OBJECT_ARRAYS};
use super::{
    ArrayOptions, ExportError, ExportPlan, Names, PlannedArray, io_err, manifest_path_bytes,
};
use crate::index::{DatasetIndex, IndexWarning};
use crate::load::loader::{Batch, LoadSpec, Pixels, SampleFailure};
use crate::npy::NpyWriter;
use crate::options::{ArrayFormat, LabelMode};

/// The open files of a running export.
pub(super) struct Writer {
    /// The folder the files are written into (the staging folder).
    dir: PathBuf,
    /// How the files are named (a shard's carry its number).
    names: Names,
    /// Every `.npy` file, with what it holds.
    arrays: Vec<(PlannedArray, NpyWriter)>,
    /// Layout and dtype of the images as written.
    convert: ImageConvert,
    arrays_options: ArrayOptions,
    label_mode: LabelMode,
    classes: usize,
    manifest: csv::Writer<BufWriter<File>>,
    manifest_path: PathBuf,
    /// With corrections applied, each sample's label before them (the manifest's `original_label`).
    corrections: Option<std::sync::Arc<super::corrections::CorrectionsApplied>>,
    /// The object count the annotation arrays are padded to, and the boxes' form.
    boxes: (usize, BoxOptions),
    pub(super) rows: usize,
    /// Boxes cropped away whole so far.
    pub(super) boxes_dropped: usize,
}

impl Writer {
    pub(super) fn create(
        dir: &Path,
        names: Names,
        job: &LoadSpec,
        plan: &ExportPlan,
        options: &super::ExportOptions,
        max_objects: usize,
    ) -> Result<Self, ExportError> {
        let (label_mode, arrays_options) = (options.label_mode, options.arrays);
        let corrections = options.corrections.clone();
        let mut arrays = Vec::with_capacity(plan.arrays.len());
        for array in &plan.arrays {
            let path = dir.join(names.array(&array.name));
            let writer = NpyWriter::create(&path, array.dtype, job.plan.len(), &array.shape[1..])
                .map_err(io_err("creating", &path))?;
            arrays.push((array.clone(), writer));
        }
        let manifest_path = dir.join(names.file("manifest", "csv"));
        let file = File::create(&manifest_path).map_err(io_err("creating", &manifest_path))?;
        let mut manifest = csv::Writer::from_writer(BufWriter::new(file));
        let mut header = vec!["index", "path", "label", "class_name"];
        if corrections.is_some() {
            header.push("original_label");
        }
        manifest
            .write_record(header)
            .map_err(|e| csv_err(e, &manifest_path))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            names,
            arrays,
            convert: ImageConvert::new(job.shape, arrays_options),
            arrays_options,
            label_mode,
            classes: job.index.class_names.len(),
            manifest,
            manifest_path,
            corrections,
            boxes: (max_objects, options.boxes),
            rows: 0,
            boxes_dropped: 0,
        })
    }

    /// Writes the good rows of `batch` of `job`; `stop` is looked at between pieces of the image
    /// bytes. Returns the samples whose mask row is zeros, and why.
    pub(super) fn write_batch(
        &mut self,
        batch: &Batch,
        job: &LoadSpec,
        stop: &dyn Fn() -> bool,
    ) -> Result<Vec<SampleFailure>, ExportError> {
        if batch.samples.is_empty() {
            return Ok(Vec::new());
        }
        let index = &job.index;
        let (label_mode, classes) = (self.label_mode, self.classes);
        for (array, writer) in &mut self.arrays {
            if OBJECT_ARRAYS.contains(&array.name.as_str()) && array.column.is_none() {
                continue;
            }
            let bytes: Cow<'_, [u8]> = match (&batch.pixels, array.column, array.name.as_str()) {
                (Pixels::Columns(columns), Some(c), _) => {
                    Cow::Borrowed(columns.get(c).map_or(&[][..], Vec::as_slice))
                }
                (Pixels::U8(v), None, "images") => self.convert.u8_rows(v),
                (Pixels::F32(v), None, "images") => self.convert.f32_rows(v),
                _ => Cow::Owned(label_bytes(batch, index, label_mode, classes)),
            };
            let path = self.dir.join(self.names.array(&array.name));
            write_rows(writer, &bytes, batch.samples.len(), &path, stop)?;
        }
        let mut masks_zeroed = Vec::new();
        if index.object_classes.is_some() {
            // A slice of rows at a time: one image with 300,000 boxes pads every row to 300,000,
            // and a whole chunk of such rows would be gigabytes.
            let (m, form) = self.boxes;
            let row_bytes = m * 20 + job.shape.height * job.shape.width;
            let slice = (OBJECT_SLICE_BYTES / row_bytes.max(1)).max(1);
            let mut start = 0;
            while start < batch.samples.len() {
                let rows = start..(start + slice).min(batch.samples.len());
                let object_rows = objects::rows(batch, job, rows.clone(), m, form);
                for (array, writer) in &mut self.arrays {
                    if OBJECT_ARRAYS.contains(&array.name.as_str()) && array.column.is_none() {
                        let path = self.dir.join(self.names.array(&array.name));
                        let bytes = object_rows.of(&array.name);
                        write_rows(writer, bytes, rows.len(), &path, stop)?;
                    }
                }
                self.boxes_dropped += object_rows.dropped;
                masks_zeroed.extend(object_rows.warnings);
                start = rows.end;
            }
        }
        for &i in &batch.samples {
            let sample = &index.samples[i];
            let row = self.rows.to_string();
            let path = manifest_path_bytes(&sample.rel_path);
            let (label, class) = match sample.label {
                Some(l) => (
                    index.label_value(l).to_string(),
                    index
                        .class_names
                        .get(l as usize)
                        .cloned()
                        .unwrap_or_default(),
                ),
                None => (String::new(), String::new()),
            };
            let mut record: Vec<&[u8]> =
                vec![row.as_bytes(), &path, label.as_bytes(), class.as_bytes()];
            let original;
            if let Some(applied) = &self.corrections {
                original = applied
                    .original_labels
                    .get(i)
                    .copied()
                    .flatten()
                    .map(|l| index.label_value(l).to_string())
                    .unwrap_or_default();
                record.push(original.as_bytes());
            }
            self.manifest
                .write_record(record)
                .map_err(|e| csv_err(e, &self.manifest_path))?;
            self.rows += 1;
        }
        Ok(masks_zeroed)
    }

    /// Finishes and syncs every file: the arrays (packed into one `.npz` with that format), the
    /// manifest, the class names and `skipped.csv`.
    pub(super) fn finish(
        self,
        skipped: &[SampleFailure],
        index: &DatasetIndex,
    ) -> Result<(), ExportError> {
        let mut members = Vec::new();
        for (array, writer) in self.arrays {
            let path = self.dir.join(self.names.array(&array.name));
            writer.finish().map_err(io_err("finishing", &path))?;
            members.push((format!("{}.npy", array.name), path));
        }
        if self.arrays_options.format == ArrayFormat::Npz {
            let archive = self.dir.join(self.names.file("arrays", "npz"));
            pack_npz(&archive, &members, self.arrays_options.compress)?;
            for (_, path) in &members {
                fs::remove_file(path).map_err(io_err("removing", path))?;
            }
        }
        let manifest = self.manifest.into_inner().map_err(|e| ExportError::Io {
            action: "finishing",
            path: self.manifest_path.clone(),
            source: io::Error::other(e.to_string()),
        })?;
        sync(manifest, &self.manifest_path)?;

        write_json(
            &self.dir.join("class_names.json"),
            &super::exported_class_names(index),
        )?;
        if let Some(classes) = &index.object_classes {
            write_json(&self.dir.join("class_ids.json"), &classes.ids)?;
        }

        write_skipped(
            &self.dir.join(self.names.file("skipped", "csv")),
            &index.warnings,
            skipped,
        )
    }

    /// Closes and removes the files written so far (an export that will not keep its arrays).
    pub(super) fn abandon(self) -> Result<(), ExportError> {
        let mut names: Vec<String> = self
            .arrays
            .iter()
            .map(|(a, _)| self.names.array(&a.name))
            .collect();
        names.push(self.names.file("manifest", "csv"));
        let dir = self.dir.clone();
        drop(self);
        for name in names {
            let path = dir.join(&name);
            match fs::remove_file(&path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => {
                    return Err(io_err("removing", &path)(e));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// Writes `value` as JSON into `path` and syncs it.
fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<(), ExportError> {
    let json = serde_json::to_vec(value).map_err(|e| ExportError::Io {
        action: "encoding",
        path: path.to_path_buf(),
        source: io::Error::other(e),
    })?;
    let mut file = File::create(path).map_err(io_err("creating", path))?;
    file.write_all(&json).map_err(io_err("writing", path))?;
    file.sync_all().map_err(io_err("syncing", path))
}

/// Writes `skipped.csv` (`path,reason`: what indexing could not read — folders, bad records — then
/// one row per sample that failed, in plan order) and syncs it.
pub(super) fn write_skipped(
    path: &Path,
    warnings: &[IndexWarning],
    skipped: &[SampleFailure],
) -> Result<(), ExportError> {
    write_reasons(path, index_then_samples(warnings, skipped))
}

/// Writes `warnings.csv` (`path,reason`: the source's `notes` on samples it kept as they are, then
/// the exported samples a decoder or the annotation arrays warned of, in plan order) and syncs it.
pub(super) fn write_warned(
    path: &Path,
    notes: &[IndexWarning],
    warned: &[SampleFailure],
) -> Result<(), ExportError> {
    write_reasons(path, index_then_samples(notes, warned))
}

/// The `path,reason` rows of what the index says (its paths as they are) and then of samples (their
/// paths as the manifest writes them).
fn index_then_samples<'a>(
    said: &'a [IndexWarning],
    samples: &'a [SampleFailure],
) -> impl Iterator<Item = (Vec<u8>, &'a String)> {
    let said = said
        .iter()
        .map(|w| (w.path.as_os_str().as_encoded_bytes().to_vec(), &w.reason));
    said.chain(
        samples
            .iter()
            .map(|f| (manifest_path_bytes(&f.rel_path), &f.reason)),
    )
}

/// Writes `excluded.csv` (`path,reason`: the samples the user's exclude list left out, in plan order)
/// and syncs it.
pub(super) fn write_excluded(
    path: &Path,
    excluded: &[super::exclude_list::Excluded],
) -> Result<(), ExportError> {
    write_reasons(
        path,
        excluded
            .iter()
            .map(|e| (manifest_path_bytes(&e.rel_path), &e.reason)),
    )
}

/// Writes a `path,reason` CSV file and syncs it.
fn write_reasons<'a>(
    path: &Path,
    rows: impl Iterator<Item = (Vec<u8>, &'a String)>,
) -> Result<(), ExportError> {
    let file = File::create(path).map_err(io_err("creating", path))?;
    let mut csv = csv::Writer::from_writer(BufWriter::new(file));
    csv.write_record(["path", "reason"])
        .map_err(|e| csv_err(e, path))?;
    for (row_path, reason) in rows {
        csv.write_record([row_path.as_slice(), reason.as_bytes()])
            .map_err(|e| csv_err(e, path))?;
    }
    let file = csv.into_inner().map_err(|e| ExportError::Io {
        action: "finishing",
        path: path.to_path_buf(),
        source: io::Error::other(e.to_string()),
    })?;
    sync(file, path)
}

/// Flushes a buffered file and syncs it to disk.
fn sync(file: BufWriter<File>, path: &Path) -> Result<(), ExportError> {
    let file = file
        .into_inner()
        .map_err(|e| io_err("finishing", path)(e.into_error()))?;
    file.sync_all().map_err(io_err("syncing", path))
}

fn csv_err(err: csv::Error, path: &Path) -> ExportError {
    let source = match err.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    };
    ExportError::Io {
        action: "writing",
        path: path.to_path_buf(),
        source,
    }
}

/// The most bytes of annotation rows (boxes, classes and masks) built at once.
const OBJECT_SLICE_BYTES: usize = 8 << 20;

/// Appends `rows` whole rows (`bytes`) to `writer`, the `.npy` file at `path`; `stop` is looked at
/// between pieces.
fn write_rows(
    writer: &mut NpyWriter,
    bytes: &[u8],
    rows: usize,
    path: &Path,
    stop: &dyn Fn() -> bool,
) -> Result<(), ExportError> {
    // No box in the whole plan: `(N, 0, 4)` rows hold no byte to count.
    let written = if writer.row_len() == 0 {
        writer.add_empty_rows(rows)
    } else {
        writer.write_rows_until(bytes, stop)
    };
    written.map_err(|source| {
        if source.kind() == io::ErrorKind::Interrupted {
            ExportError::Cancelled
        } else {
            ExportError::Io {
                action: "writing",
                path: path.to_path_buf(),
                source,
            }
        }
    })
}

/// The label rows of `batch`'s good samples in `mode`'s encoding.
fn label_bytes(batch: &Batch, index: &DatasetIndex, mode: LabelMode, classes: usize) -> Vec<u8> {
    let mut bytes = Vec::new();
    for &i in &batch.samples {
        let label = index.samples[i].label.unwrap_or(0);
        match mode {
            LabelMode::Int if index.label_values.is_some() => {
                bytes.extend_from_slice(&index.label_value(label).to_le_bytes());
            }
            LabelMode::Int => {
                bytes.extend_from_slice(&i32::try_from(label).unwrap_or(i32::MAX).to_le_bytes());
            }
            LabelMode::Categorical => {
                for c in 0..classes {
                    let hot = if c == label as usize { 1.0f32 } else { 0.0 };
                    bytes.extend_from_slice(&hot.to_le_bytes());
                }
            }
            #[allow(clippy::cast_precision_loss)]
            LabelMode::Binary => bytes.extend_from_slice(&(label as f32).to_le_bytes()),
            LabelMode::None => {}
        }
    }
    bytes
}
