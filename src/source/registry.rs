//! Every kind of source, registered in one table: how it recognises a path from the content, what it
//! takes (whether it decodes images, which source-specific options apply, its name in messages), and
//! how it opens. Detection tries the claims in table order; opening looks the kind up here. A new
//! kind of source is a module beside this one plus one line in [`SOURCES`] (and its `--source`
//! name in [`SourceKind`]): nothing outside `src/source/` changes.

use std::path::Path;

pub use super::probe::Probe;
use super::{
    Limits, SourceError, cifar, coco, export_folder, hf_arrow, open_stored, parquet, segmentation,
    tfrecord, voc, webdataset, yolo,
};
use crate::index::{self, DatasetIndex, WalkControl};
use crate::options::{IndexOptions, SourceKind};
use crate::validate::{SourceOption, Takes};

/// How a kind of source opens a path.
pub type Open =
    fn(&Path, &IndexOptions, Limits, &WalkControl<'_>) -> Result<DatasetIndex, SourceError>;

/// One kind of source, as registered.
pub struct Registration {
    /// Its `--source` name.
    pub kind: SourceKind,
    /// What it takes.
    pub takes: Takes,
    /// Whether a path is of this kind, from what [`Probe`] saw (tried in table order).
    pub claims: fn(&Probe) -> bool,
    /// Opens a path of this kind.
    pub open: Open,
    /// Whether `--class-names` names its integer labels once it is open ([`super::class_names`]);
    /// `false` for the image folder, whose opening picks its class subfolders by those names.
    pub names_labels: bool,
}

/// Every kind of source, in the order their claims are tried: the more specific first, the image
/// folder (any folder, or a path that does not exist, which it reports plainly) last.
pub static SOURCES: &[Registration] = &[
    SAVED,
    EXPORT_OR_NPY,
    NPZ,
    CIFAR,
    IDX,
    HF_ARROW,
    WEBDATASET,
    PARQUET,
    COCO,
    YOLO,
    VOC,
    SEGMENTATION,
    TFRECORD,
    FOLDER,
];

/// The registration of `kind`.
pub fn registration(kind: SourceKind) -> &'static Registration {
    SOURCES.iter().find(|r| r.kind == kind).unwrap_or(&FOLDER)
}

/// What a kind of decoded images takes: the image options, and `--max-file-bytes` for what it reads.
const fn decoded(accepts: &'static [SourceOption], what: &'static str) -> Takes {
    Takes {
        decodes_images: true,
        record_limit: true,
        accepts,
        what,
    }
}

/// What a kind of stored rows takes: none of the image options.
const fn stored(accepts: &'static [SourceOption], what: &'static str) -> Takes {
    Takes {
        decodes_images: false,
        record_limit: false,
        accepts,
        what,
    }
}

const SAVED: Registration = Registration {
    kind: SourceKind::Saved,
    takes: Takes {
        record_limit: true,
        ..stored(
            &[
                SourceOption::ClassNames,
                SourceOption::Batched,
                SourceOption::ImageKey,
                SourceOption::LabelKey,
                SourceOption::Layout,
            ],
            "saved tf.data datasets",
        )
    },
    claims: |p| {
        (p.is_dir && p.path.join("snapshot.metadata").is_file())
            || (p.is_file() && (p.name == "snapshot.metadata" || p.name == "dataset_spec.pb"))
    },
    open: |path, options, limits, control| {
        open_stored::open_saved(path, options, limits.max_record_bytes, control)
    },
    names_labels: true,
};

const EXPORT_OR_NPY: Registration = Registration {
    kind: SourceKind::Npy,
    takes: stored(
        &[
            SourceOption::ClassNames,
            SourceOption::ImageKey,
            SourceOption::LabelKey,
            SourceOption::Layout,
        ],
        ".npy arrays",
    ),
    claims: |p| {
        (p.is_dir && export_folder::is_export_folder(&p.path))
            || (p.is_file() && p.head.starts_with(b"\x93NUMPY"))
    },
    open: |path, options, _, _| open_stored::open_arrays(path, options),
    names_labels: true,
};

const NPZ: Registration = Registration {
    kind: SourceKind::Npz,
    takes: stored(
        &[
            SourceOption::ClassNames,
            SourceOption::ImageKey,
            SourceOption::LabelKey,
            SourceOption::Layout,
        ],
        ".npz archives",
    ),
    claims: |p| {
        p.is_file() && (p.head.starts_with(b"PK\x03\x04") || p.head.starts_with(b"PK\x05\x06"))
    },
    open: |path, options, _, _| open_stored::open_arrays(path, options),
    names_labels: true,
};

const CIFAR: Registration = Registration {
    kind: SourceKind::Cifar,
    takes: stored(&[SourceOption::ClassNames], "CIFAR batches"),
    claims: |p| {
        (p.is_file() && cifar::CifarKind::from_name(&p.path).is_some())
            || (p.is_dir
                && p.files
                    .iter()
                    .any(|f| cifar::CifarKind::from_name(f).is_some()))
    },
    open: |path, options, _, _| open_stored::open_cifar(path, options),
    names_labels: true,
};

const IDX: Registration = Registration {
    kind: SourceKind::Idx,
    takes: stored(
        &[SourceOption::ClassNames, SourceOption::LabelsFile],
        "MNIST IDX files",
    ),
    claims: |p| {
        (p.is_file() && (super::is_idx_head(&p.head) || super::is_idx_name(&p.name)))
            || (p.is_dir
                && p.files.iter().any(|f| {
                    f.file_name().is_some_and(|n| {
                        let n = n.to_string_lossy();
                        super::is_idx_name(&n) && n.contains("images")
                    })
                }))
    },
    open: |path, options, _, _| open_stored::open_idx(path, options),
    names_labels: true,
};

const HF_ARROW: Registration = Registration {
    kind: SourceKind::Hf,
    takes: decoded(
        &[
            SourceOption::ClassNames,
            SourceOption::ImageKey,
            SourceOption::LabelKey,
            SourceOption::Layout,
            SourceOption::Split,
        ],
        "Hugging Face datasets folders",
    ),
    // A folder with `state.json` or `dataset_dict.json` (or `*.arrow` beside `dataset_info.json`),
    // or an `.arrow` file.
    claims: hf_arrow::claims,
    open: |path, options, limits, control| {
        hf_arrow::open_index(path, options, limits.max_record_bytes, control)
    },
    names_labels: true,
};

const WEBDATASET: Registration = Registration {
    kind: SourceKind::Wds,
    takes: decoded(
        &[
            SourceOption::ClassNames,
            SourceOption::ImageKey,
            SourceOption::LabelKey,
        ],
        "WebDataset shards",
    ),
    // Before TFRecord, which takes any file: a `.tar`, `.tar.gz` or `.tgz` name (or pattern).
    claims: webdataset::claims,
    open: |path, options, limits, control| {
        webdataset::open_index(path, options, limits.max_record_bytes, control)
    },
    names_labels: true,
};

const PARQUET: Registration = Registration {
    kind: SourceKind::Parquet,
    takes: decoded(
        &[
            SourceOption::ClassNames,
            SourceOption::ImageKey,
            SourceOption::LabelKey,
            SourceOption::Layout,
        ],
        "Parquet files",
    ),
    // Before TFRecord, which takes any file: `PAR1`, or a pattern of `.parquet` names.
    claims: parquet::claims,
    open: |path, options, limits, control| {
        parquet::open_index(path, options, limits.max_record_bytes, control)
    },
    names_labels: true,
};

const COCO: Registration = Registration {
    kind: SourceKind::Coco,
    takes: decoded(&[SourceOption::Split], "COCO files"),
    // Before TFRecord, which takes any file: a `.json` opening with `{` and naming `"images"`, or a
    // folder holding one (itself or in `annotations/`).
    claims: coco::claims,
    open: |path, options, limits, control| {
        coco::open_index(path, options, limits.max_record_bytes, control)
    },
    names_labels: false,
};

const YOLO: Registration = Registration {
    kind: SourceKind::Yolo,
    takes: decoded(&[SourceOption::Split], "YOLO folders"),
    // A folder holding `images/` and `labels/`.
    claims: yolo::claims,
    open: |path, options, _, control| yolo::open_index(path, options, control),
    names_labels: false,
};

const VOC: Registration = Registration {
    kind: SourceKind::Voc,
    takes: decoded(&[SourceOption::Split], "Pascal VOC folders"),
    // A folder holding `Annotations/` and `JPEGImages/`.
    claims: voc::claims,
    open: |path, options, limits, control| {
        voc::open_index(path, options, limits.max_record_bytes, control)
    },
    names_labels: false,
};

const SEGMENTATION: Registration = Registration {
    kind: SourceKind::Seg,
    takes: decoded(&[], "segmentation folders"),
    // A folder holding images/ and masks/, or VOC's JPEGImages/ and SegmentationClass/.
    claims: |p| p.is_dir && segmentation::layout_of(&p.path).is_some(),
    open: |path, _, _, control| segmentation::open_index(path, control),
    names_labels: false,
};

const TFRECORD: Registration = Registration {
    kind: SourceKind::Tfrecord,
    takes: decoded(
        &[
            SourceOption::ClassNames,
            SourceOption::ImageKey,
            SourceOption::LabelKey,
            SourceOption::BboxKeys,
            SourceOption::ObjectClassKey,
            SourceOption::LabelMap,
        ],
        "TFRecord files",
    ),
    // Any other file is read as TFRecords (their first record says whether it is one).
    claims: |p| {
        p.pattern
            || p.is_file()
            || (p.is_dir && p.files.iter().any(|f| tfrecord::looks_like_tfrecord(f)))
    },
    open: |path, options, limits, control| {
        let mut index =
            tfrecord::images::open_index(path, options, limits.max_record_bytes, control)?;
        if path.is_dir() {
            super::warn_about_subfolders(path, &mut index);
        }
        Ok(index)
    },
    names_labels: true,
};

/// The image folder's registration (also what a default [`crate::index::Store`] takes).
const FOLDER: Registration = Registration {
    kind: SourceKind::Folder,
    takes: super::folder::TAKES,
    // Any folder; and a path that is not there, which opening as a folder reports plainly.
    claims: |_| true,
    open: |path, options, _, control| Ok(index::scan_with(path, options, control)?),
    names_labels: false,
};
