//! The array sources (`.npy`, `.npz`, IDX, CIFAR binary, export folders) against fixtures numpy writes.
//! One Python run (`source_arrays.py`) writes every fixture into a temp dir shared by the tests here.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use batchscope::npy::NpyDtype;
use batchscope::options::IndexOptions;
use batchscope::source::arrays::{ArrayPick, LabelsPick, open_arrays, open_npy, open_npz};
use batchscope::source::cifar::{CifarFile, CifarKind, class_names};
use batchscope::source::export_folder::{is_export_folder, open_export_folder};
use batchscope::source::idx::{labels_path_for, open_idx, open_idx_pair};
use batchscope::source::rows::{ArrayError, RowReader};

/// The fixture folder, written once per test binary; `None` (after saying why) when numpy is missing.
fn fixtures(test: &str) -> Option<&'static Path> {
    static DIR: OnceLock<Option<tempfile::TempDir>> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        if !common::python_module_importable("numpy") {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        common::run_python(
            include_str!("source_arrays.py"),
            &[dir.path().to_str().unwrap()],
        );
        Some(dir)
    });
    if dir.is_none() {
        common::skip_without_python("numpy", test);
    }
    dir.as_ref().map(tempfile::TempDir::path)
}

fn u16s(bytes: &[u8]) -> Vec<u16> {
    bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect()
}

fn i64s(bytes: &[u8]) -> Vec<i64> {
    bytes
        .chunks_exact(8)
        .map(|c| i64::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

fn f64s(bytes: &[u8]) -> Vec<f64> {
    bytes
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

/// Reads `reader`'s rows in the order `ranges` gives and checks each against the same rows of `expected`.
fn assert_rows(reader: &mut RowReader, expected: &[u8], ranges: &[std::ops::Range<usize>]) {
    let rb = reader.row_bytes();
    assert_eq!(expected.len(), reader.rows() * rb, "{:?}", reader.path());
    for r in ranges {
        let got = reader.read_rows(r.clone()).unwrap();
        assert_eq!(
            got,
            &expected[r.start * rb..r.end * rb],
            "rows {r:?} of {:?}",
            reader.path()
        );
    }
}

#[test]
fn npy_of_every_dtype_reads_the_bytes_numpy_wrote_in_any_row_order() {
    let Some(dir) = fixtures("npy_dtypes") else {
        return;
    };
    let cases: [(&str, NpyDtype, &[usize]); 12] = [
        ("u1", NpyDtype::U8, &[5, 4, 3, 2]),
        ("i1", NpyDtype::I8, &[6, 2, 2]),
        ("b1", NpyDtype::Bool, &[7, 3]),
        ("u2", NpyDtype::U16, &[7, 3]),
        ("i2_be", NpyDtype::I16, &[7, 3]),
        ("u4", NpyDtype::U32, &[4, 5]),
        ("i4", NpyDtype::I32, &[9]),
        ("u8", NpyDtype::U64, &[6]),
        ("i8_be", NpyDtype::I64, &[6]),
        ("f2", NpyDtype::F16, &[8, 2]),
        ("f4", NpyDtype::F32, &[3, 2, 2, 1]),
        ("f8_be", NpyDtype::F64, &[5, 2]),
    ];
    for (name, dtype, shape) in cases {
        let mut reader = open_npy(&dir.join(format!("npy/{name}.npy"))).unwrap();
        assert_eq!(reader.dtype(), dtype, "{name}");
        assert_eq!(reader.shape(), shape, "{name}");
        assert!(reader.is_random_access());
        let expected = std::fs::read(dir.join(format!("npy/{name}.bin"))).unwrap();
        let n = shape[0];
        assert_rows(
            &mut reader,
            &expected,
            &[n - 1..n, 0..1, 1..n - 1, 2..2, 0..n],
        );
    }
    // Spot values, independent of numpy's expected bytes.
    let mut u2 = open_npy(&dir.join("npy/u2.npy")).unwrap();
    assert_eq!(u16s(&u2.read_rows(6..7).unwrap()), [54018, 57019, 60020]);
    let mut i8_be = open_npy(&dir.join("npy/i8_be.npy")).unwrap();
    assert_eq!(
        i64s(&i8_be.read_rows(3..4).unwrap()),
        [-3 * (1i64 << 40) + 5]
    );
    let mut f8_be = open_npy(&dir.join("npy/f8_be.npy")).unwrap();
    assert_eq!(
        f64s(&f8_be.read_rows(4..5).unwrap()),
        [8.0 * std::f64::consts::PI, 9.0 * std::f64::consts::PI]
    );
}

#[test]
fn npy_format_versions_2_and_3_read_like_version_1() {
    let Some(dir) = fixtures("npy_versions") else {
        return;
    };
    for version in [2, 3] {
        let mut reader = open_npy(&dir.join(format!("npy/v{version}.npy"))).unwrap();
        assert_eq!(reader.dtype(), NpyDtype::I16);
        assert_eq!(reader.shape(), [4, 3, 2]);
        let row = reader.read_rows(2..3).unwrap();
        assert_eq!(u16s(&row), [12, 13, 14, 15, 16, 17]);
    }
}

#[test]
fn npy_refuses_fortran_order_objects_and_truncation_naming_the_file() {
    let Some(dir) = fixtures("npy_refusals") else {
        return;
    };
    for (name, expect) in [
        ("fortran", "Fortran"),
        ("object", "unsupported dtype |O"),
        ("truncated", "truncated"),
    ] {
        let path = dir.join(format!("npy/{name}.npy"));
        let err = open_npy(&path).unwrap_err();
        let message = err.to_string();
        assert!(message.contains(expect), "{name}: {message}");
        assert!(message.ends_with(&format!("{path:?}")), "{name}: {message}");
    }
    let mut reader = open_npy(&dir.join("npy/u1.npy")).unwrap();
    assert!(matches!(
        reader.read_rows(4..6),
        Err(ArrayError::OutOfRange { rows: 5, .. })
    ));
}

fn check_train_pair(path: &Path) {
    let mut set = open_arrays(path, &ArrayPick::default()).unwrap();
    assert_eq!(set.images_name, "x_train");
    assert_eq!(set.images.shape(), [10, 4, 4, 3]);
    assert_eq!(set.images.dtype(), NpyDtype::U8);
    let expected: Vec<u8> = (0..10 * 4 * 4 * 3).map(|i| (i % 251) as u8).collect();
    assert_rows(
        &mut set.images,
        &expected,
        &[7..10, 2..5, 0..1, 5..7, 0..10],
    );
    let (name, labels) = set.labels.as_mut().unwrap();
    assert_eq!(name, "y_train");
    assert_eq!(labels.dtype(), NpyDtype::I64);
    assert_eq!(i64s(&labels.read_rows(6..10).unwrap()), [0, 1, 2, 0]);
    assert_eq!(i64s(&labels.read_rows(0..3).unwrap()), [0, 1, 2]);
    assert!(set.class_names.is_none());
}

#[test]
fn npz_from_savez_picks_x_train_and_y_train_and_seeks_to_rows() {
    let Some(dir) = fixtures("npz_stored") else {
        return;
    };
    let path = dir.join("npz/stored.npz");
    check_train_pair(&path);
    let members = open_npz(&path).unwrap();
    let names: Vec<&str> = members.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["x_test", "y_test", "x_train", "y_train"]);
    assert!(members.iter().all(|(_, r)| r.is_random_access()));
}

#[test]
fn npz_from_savez_compressed_streams_rows_in_any_order() {
    let Some(dir) = fixtures("npz_deflated") else {
        return;
    };
    let path = dir.join("npz/deflated.npz");
    check_train_pair(&path);
    assert!(
        open_npz(&path)
            .unwrap()
            .iter()
            .all(|(_, r)| !r.is_random_access())
    );
}

#[test]
fn npz_overrides_pick_other_arrays_or_no_labels() {
    let Some(dir) = fixtures("npz_overrides") else {
        return;
    };
    let path = dir.join("npz/stored.npz");
    let pick = ArrayPick {
        images: Some("x_test".to_owned()),
        labels: LabelsPick::Named("y_test".to_owned()),
        ..ArrayPick::default()
    };
    let mut set = open_arrays(&path, &pick).unwrap();
    assert_eq!(set.images_name, "x_test");
    assert_eq!(set.images.read_rows(1..2).unwrap(), vec![7u8; 48]);
    let (_, labels) = set.labels.as_mut().unwrap();
    assert_eq!(i64s(&labels.read_rows(0..3).unwrap()), [2, 1, 0]);

    let off = ArrayPick {
        images: None,
        labels: LabelsPick::Off,
        ..ArrayPick::default()
    };
    assert!(open_arrays(&path, &off).unwrap().labels.is_none());

    let wrong = ArrayPick {
        images: None,
        labels: LabelsPick::Named("y_test".to_owned()),
        ..ArrayPick::default()
    };
    let err = open_arrays(&path, &wrong).unwrap_err().to_string();
    assert!(
        err.contains("have 3 rows, the images x_train ((10, 4, 4, 3) uint8) have 10"),
        "{err}"
    );

    // Without known names, shapes decide: numpy's arr_0 (4,) labels arr_1 (4, 2, 2) images.
    let set = open_arrays(&dir.join("npz/unnamed.npz"), &ArrayPick::default()).unwrap();
    assert_eq!(set.images_name, "arr_1");
    assert_eq!(set.labels.unwrap().0, "arr_0");
}

#[test]
fn npz_without_an_image_array_lists_the_arrays_it_has() {
    let Some(dir) = fixtures("npz_no_images") else {
        return;
    };
    let path = dir.join("npz/flat.npz");
    let err = open_arrays(&path, &ArrayPick::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "no image array (ndim 3 or 4) among weights ((5,) float32), bias ((2, 3) float64): {path:?}"
        )
    );
    let missing = ArrayPick {
        images: Some("x".to_owned()),
        labels: LabelsPick::Auto,
        ..ArrayPick::default()
    };
    let err = open_arrays(&path, &missing).unwrap_err().to_string();
    assert!(
        err.starts_with("no array named \"x\" among weights ((5,) float32), bias"),
        "{err}"
    );
}

#[test]
fn gzipped_mnist_images_pair_with_their_labels_and_keep_uint8() {
    let Some(dir) = fixtures("idx_gz") else {
        return;
    };
    let images = dir.join("mnist/train-images-idx3-ubyte.gz");
    assert_eq!(
        labels_path_for(&images),
        Some(dir.join("mnist/train-labels-idx1-ubyte.gz"))
    );
    let mut set = open_idx_pair(&images, None).unwrap();
    assert_eq!(set.images.dtype(), NpyDtype::U8);
    assert_eq!(set.images.shape(), [5, 4, 3]);
    assert!(!set.images.is_random_access());
    let expected: Vec<u8> = (0..5 * 4 * 3).map(|i| (i * 11 % 256) as u8).collect();
    assert_rows(&mut set.images, &expected, &[3..5, 0..2, 2..3, 4..5]);
    let (_, labels) = set.labels.as_mut().unwrap();
    assert_eq!(labels.dtype(), NpyDtype::U8);
    assert_eq!(labels.shape(), [5]);
    assert_eq!(labels.read_rows(0..5).unwrap(), [3, 1, 4, 1, 5]);
}

#[test]
fn raw_t10k_idx_and_wider_types_read_big_endian_values() {
    let Some(dir) = fixtures("idx_raw") else {
        return;
    };
    let mut set = open_idx_pair(&dir.join("mnist/t10k-images-idx3-ubyte"), None).unwrap();
    assert!(set.images.is_random_access());
    assert_eq!(set.images.shape(), [2, 4, 3]);
    assert_eq!(
        set.labels.as_mut().unwrap().1.read_rows(0..2).unwrap(),
        [3, 1]
    );
    // An explicit labels file wins over the naming convention.
    let explicit = open_idx_pair(
        &dir.join("mnist/train-images-idx3-ubyte.gz"),
        Some(&dir.join("mnist/t10k-labels-idx1-ubyte")),
    )
    .unwrap_err();
    assert!(explicit.to_string().contains("do not fit"), "{explicit}");

    let mut floats = open_idx(&dir.join("mnist/floats-idx2-double")).unwrap();
    assert_eq!(floats.dtype(), NpyDtype::F64);
    assert_eq!(f64s(&floats.read_rows(2..3).unwrap()), [1.0, 1.25]);
    let mut shorts = open_idx(&dir.join("mnist/shorts-idx2.gz")).unwrap();
    assert_eq!(shorts.dtype(), NpyDtype::I16);
    let row: Vec<i16> = u16s(&shorts.read_rows(1..2).unwrap())
        .into_iter()
        .map(u16::cast_signed)
        .collect();
    assert_eq!(row, [-600, -900]);
}

#[test]
fn truncated_and_bad_magic_idx_files_are_errors_naming_the_file() {
    let Some(dir) = fixtures("idx_errors") else {
        return;
    };
    for (name, expect) in [
        (
            "cut-images-idx3-ubyte",
            "truncated: the header describes 76 bytes, the data has 71",
        ),
        ("cut-images-idx3-ubyte.gz", "truncated"),
        ("bad-magic-idx3-ubyte", "bad magic number"),
    ] {
        let path = dir.join("mnist").join(name);
        let err = open_idx(&path).unwrap_err().to_string();
        assert!(err.contains(expect), "{name}: {err}");
        assert!(err.ends_with(&format!("{path:?}")), "{name}: {err}");
    }
}

fn cifar_pixel(record: usize, y: usize, x: usize, c: usize) -> u8 {
    ((c * 100 + y * 32 + x + 7 * record) % 256) as u8
}

#[test]
fn cifar10_planar_records_become_hwc_images() {
    let Some(dir) = fixtures("cifar10") else {
        return;
    };
    let path = dir.join("cifar/data_batch_1.bin");
    let mut file = CifarFile::open(&path, None).unwrap();
    assert_eq!(file.kind(), CifarKind::Cifar10);
    assert_eq!(file.rows(), 3);
    let rows = file.read_rows(1..3).unwrap();
    assert_eq!(rows.labels, [8, 7]);
    assert!(rows.coarse_labels.is_none());
    assert_eq!(rows.images_hwc.len(), 2 * 32 * 32 * 3);
    for (i, record) in [1, 2].into_iter().enumerate() {
        for (y, x) in [(0, 0), (0, 31), (5, 7), (31, 31)] {
            for c in 0..3 {
                let at = ((i * 32 + y) * 32 + x) * 3 + c;
                assert_eq!(
                    rows.images_hwc[at],
                    cifar_pixel(record, y, x, c),
                    "{record} {y} {x} {c}"
                );
            }
        }
    }
    let all = file.read_rows(0..3).unwrap();
    assert_eq!(&all.images_hwc[3072..], &rows.images_hwc[..]);
    assert_eq!(class_names(&path, CifarKind::Cifar10).unwrap()[9], "truck");

    let err = CifarFile::open(&dir.join("cifar/test_batch.bin"), None)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("size mismatch: 101 bytes"), "{err}");
}

#[test]
fn cifar100_records_carry_coarse_and_fine_labels() {
    let Some(dir) = fixtures("cifar100") else {
        return;
    };
    let mut file = CifarFile::open(&dir.join("cifar100/train.bin"), None).unwrap();
    assert_eq!(file.kind(), CifarKind::Cifar100);
    let rows = file.read_rows(0..2).unwrap();
    assert_eq!(rows.labels, [50, 51]);
    assert_eq!(rows.coarse_labels, Some(vec![10, 11]));
    assert_eq!(
        rows.images_hwc[(32 * 32 + 3) * 3 + 2],
        cifar_pixel(1, 0, 3, 2)
    );
}

#[test]
fn a_batchscope_export_folder_opens_with_its_class_names() {
    let Some(dir) = fixtures("export_folder") else {
        return;
    };
    let folder: PathBuf = dir.join("export");
    assert!(is_export_folder(&folder));
    assert!(!is_export_folder(&dir.join("npz")));
    let mut set = open_export_folder(&folder, &ArrayPick::default()).unwrap();
    assert_eq!(
        set.class_names.as_deref(),
        Some(&["cat".to_owned(), "dog".to_owned()][..])
    );
    assert_eq!(set.images.shape(), [4, 2, 2, 3]);
    assert_eq!(set.images.read_rows(3..4).unwrap()[0], 36);
    let (_, labels) = set.labels.as_mut().unwrap();
    assert_eq!(labels.dtype(), NpyDtype::I32);
    assert_eq!(labels.read_rows(1..3).unwrap(), [1, 0, 0, 0, 1, 0, 0, 0]);
}

#[test]
fn an_export_folder_whose_files_disagree_is_an_error_naming_the_file() {
    let Some(dir) = fixtures("export_mismatch") else {
        return;
    };
    let err = open_export_folder(&dir.join("export_short_manifest"), &ArrayPick::default())
        .unwrap_err()
        .to_string();
    let manifest = dir.join("export_short_manifest/manifest.csv");
    assert_eq!(err, format!("3 manifest rows for 4 images: {manifest:?}"));
    let err = open_export_folder(&dir.join("export_short_labels"), &ArrayPick::default())
        .unwrap_err()
        .to_string();
    let labels = dir.join("export_short_labels/labels.npy");
    assert_eq!(err, format!("3 labels for 4 images: {labels:?}"));
    let err = open_export_folder(&dir.join("mnist"), &ArrayPick::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("only when it is a batchscope export"), "{err}");
}

#[test]
fn an_npz_that_is_not_a_zip_is_an_error_naming_the_file() {
    let Some(dir) = fixtures("npz_garbage") else {
        return;
    };
    let path = dir.join("npz/garbage.npz");
    let err = open_arrays(&path, &ArrayPick::default()).unwrap_err();
    assert!(matches!(err, ArrayError::Zip { .. }), "{err}");
    assert!(err.to_string().ends_with(&format!("{path:?}")), "{err}");
}

/// Asserts that `out/<name>.npy` equals the numpy-written `expected` array: dtype, shape and bytes.
fn assert_same_array(out: &Path, name: &str, expected: &Path) {
    let got = common::read_npy(&out.join(format!("{name}.npy")));
    let want = common::read_npy(expected);
    assert_eq!(
        (&got.descr, &got.shape),
        (&want.descr, &want.shape),
        "{name}"
    );
    assert_eq!(got.data, want.data, "{name}");
}

/// The classes an export wrote, and the manifest's first row.
fn classes_and_first_row(out: &Path) -> (Vec<String>, Vec<String>) {
    let names: Vec<String> =
        serde_json::from_str(&std::fs::read_to_string(out.join("class_names.json")).unwrap())
            .unwrap();
    (names, common::manifest(out).remove(0))
}

#[test]
fn exports_of_npz_idx_and_cifar_keep_their_stored_arrays() {
    let Some(root) = fixtures("exports_of_npz_idx_and_cifar_keep_their_stored_arrays") else {
        return;
    };
    let out_root = tempfile::tempdir().unwrap();
    let expected = root.join("expected");
    let options = batchscope::options::IndexOptions::default;

    // Both .npz layouts: x_train/y_train picked by name, stored dtypes (uint8, int64) kept.
    for npz in ["stored.npz", "deflated.npz"] {
        let out = out_root.path().join(npz);
        let report = common::export_source(&root.join("npz").join(npz), &out, options()).unwrap();
        assert_eq!(report.exported, 10);
        assert_same_array(&out, "images", &expected.join("npz_images.npy"));
        assert_same_array(&out, "labels", &expected.join("npz_labels.npy"));
        let (names, first) = classes_and_first_row(&out);
        assert_eq!(names, ["0", "1", "2"]);
        assert_eq!(
            first,
            [
                "0".to_owned(),
                format!("{npz}/x_train#0"),
                "0".into(),
                "0".into()
            ]
        );
    }

    // Gzipped MNIST IDX: (N, 28, 28)-style 3-D images and uint8 labels stay as they are.
    let out = out_root.path().join("mnist");
    common::export_source(
        &root.join("mnist/train-images-idx3-ubyte.gz"),
        &out,
        options(),
    )
    .unwrap();
    assert_same_array(&out, "images", &expected.join("mnist_images.npy"));
    assert_same_array(&out, "labels", &expected.join("mnist_labels.npy"));
    let (names, first) = classes_and_first_row(&out);
    assert_eq!(names, ["0", "1", "2", "3", "4", "5"]);
    assert_eq!(first[1..], ["train-images-idx3-ubyte.gz#0", "3", "3"]);

    // A CIFAR-10 folder: the data batches, planar records turned HWC; class names from batches.meta.txt.
    let out = out_root.path().join("cifar");
    let report = common::export_source(&root.join("cifar"), &out, options()).unwrap();
    assert_eq!(report.exported, 3);
    assert_same_array(&out, "images", &expected.join("cifar_images.npy"));
    assert_same_array(&out, "labels", &expected.join("cifar_labels.npy"));
    let (names, first) = classes_and_first_row(&out);
    assert_eq!(names.len(), 10);
    assert_eq!(first[1..], ["data_batch_1.bin#0", "9", "truck"]);

    // A batchscope export reopened: the same arrays and class names come out again.
    let again = out_root.path().join("cifar-again");
    common::export_source(&out, &again, options()).unwrap();
    for name in ["images", "labels"] {
        assert_same_array(&again, name, &out.join(format!("{name}.npy")));
    }
    assert_eq!(classes_and_first_row(&again).0, names);

    // An .npz without an image array: a clear error naming the file and listing its arrays.
    let err = common::export_source(
        &root.join("npz/flat.npz"),
        &out_root.path().join("flat"),
        options(),
    )
    .unwrap_err();
    assert!(err.contains("flat.npz") && err.contains("weights"), "{err}");
}

#[test]
fn sources_are_detected_by_content() {
    use batchscope::options::SourceKind;
    use batchscope::source::detect;
    let Some(root) = fixtures("sources_are_detected_by_content") else {
        return;
    };
    let cases = [
        ("npz/stored.npz", SourceKind::Npz),
        ("npz/deflated.npz", SourceKind::Npz),
        ("npy/u1.npy", SourceKind::Npy),
        ("mnist/train-images-idx3-ubyte.gz", SourceKind::Idx),
        ("mnist/t10k-images-idx3-ubyte", SourceKind::Idx),
        ("mnist", SourceKind::Idx),
        ("cifar/data_batch_1.bin", SourceKind::Cifar),
        ("cifar", SourceKind::Cifar),
        ("export", SourceKind::Npy),
        ("no such thing", SourceKind::Folder),
    ];
    for (rel, kind) in cases {
        assert_eq!(detect(&root.join(rel)), kind, "{rel}");
    }
    // A renamed .npz is still a zip archive; an image folder is a folder.
    let dir = tempfile::tempdir().unwrap();
    let renamed = dir.path().join("data.bin");
    std::fs::copy(root.join("npz/stored.npz"), &renamed).unwrap();
    assert_eq!(detect(&renamed), SourceKind::Npz);
    common::save(dir.path(), "images/cat/a.png", &common::pattern(2, 2, 1));
    assert_eq!(detect(&dir.path().join("images")), SourceKind::Folder);
}

/// A TFRecord record `len | masked_crc(len) | data | masked_crc(data)`.
fn tfrecord_record(data: &[u8]) -> Vec<u8> {
    use batchscope::source::tfrecord::masked_crc;
    let len = (data.len() as u64).to_le_bytes();
    let mut out = len.to_vec();
    out.extend(masked_crc(&len).to_le_bytes());
    out.extend_from_slice(data);
    out.extend(masked_crc(data).to_le_bytes());
    out
}

#[test]
fn tfrecord_length_near_u64_max_with_a_valid_crc_is_a_truncation_not_an_overflow_panic() {
    use batchscope::source::tfrecord::{self, ProblemReason, masked_crc};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.tfrecord");
    let mut bytes = tfrecord_record(b"first");
    bytes.extend(tfrecord_record(b"second"));
    let good_len = bytes.len() as u64;
    for huge in [u64::MAX, u64::MAX - 15, u64::MAX - 16] {
        let mut file = bytes.clone();
        let lb = huge.to_le_bytes();
        file.extend(lb);
        file.extend(masked_crc(&lb).to_le_bytes());
        file.extend([b'x'; 100]);
        std::fs::write(&path, &file).unwrap();
        let index = tfrecord::index(&path, None).unwrap();
        assert_eq!(index.records.len(), 2, "{huge}");
        assert_eq!(
            (index.records[1].offset, index.records[1].len),
            (21 + 12, 6)
        );
        assert_eq!(index.problems.len(), 1, "{huge}: {:?}", index.problems);
        let problem = &index.problems[0];
        assert_eq!((problem.record, problem.offset), (Some(2), Some(good_len)));
        assert_eq!(
            problem.reason,
            ProblemReason::Truncated {
                expected_bytes: u64::MAX,
                found_bytes: 112
            },
            "{huge}"
        );
        assert_eq!(tfrecord::read_record(&index, 1).unwrap(), b"second");
    }
}

/// Opens `path` as the command line does (detection included).
fn open_source(
    path: &Path,
    options: &IndexOptions,
) -> Result<batchscope::index::DatasetIndex, String> {
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let control = batchscope::index::WalkControl {
        on_progress: &|_| {},
        cancel: &cancel,
    };
    batchscope::source::open(path, options, &control).map_err(|e| e.to_string())
}

/// The `.npy` files of an export folder, by name.
fn npy_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| Path::new(n).extension().is_some_and(|e| e == "npy"))
        .collect();
    names.sort();
    names
}

#[test]
fn a_single_npy_that_is_not_3d_or_4d_exports_as_stored_instead_of_no_image_array() {
    let Some(root) = fixtures("npy_any") else {
        return;
    };
    let out_root = tempfile::tempdir().unwrap();
    // None of them has an image's row shape ((H, W) or (H, W, C)), so the viewer draws none.
    for name in ["flat", "vector", "five_d"] {
        let path = root.join(format!("npy_any/{name}.npy"));
        let index = open_source(&path, &IndexOptions::default()).unwrap();
        let Some(rows) = index.store.rows() else {
            panic!("{name}: not stored rows");
        };
        assert_eq!(rows.image_column(), None, "{name}");
        let out = out_root.path().join(name);
        let report = common::export_source(&path, &out, IndexOptions::default()).unwrap();
        assert_eq!(report.exported, if name == "five_d" { 2 } else { 10 });
        assert_eq!(npy_names(&out), ["images.npy"], "{name}");
        assert_same_array(&out, "images", &path);
    }
    let vector = common::read_npy(&out_root.path().join("vector/images.npy"));
    assert_eq!(vector.shape, [10]);
    assert_eq!(vector.descr, "<i4");
    assert_eq!(
        vector.data[4..8],
        (-7i32).to_le_bytes(),
        "row 1 of np.arange(10) * -7"
    );
}

#[test]
fn a_zero_size_row_dimension_is_refused_at_open_naming_the_file_and_shape() {
    let Some(root) = fixtures("zero_row") else {
        return;
    };
    let out_root = tempfile::tempdir().unwrap();
    for (name, file) in [
        ("zero_row.npy", root.join("zero_row/zero_row.npy")),
        ("zero_row.npz", root.join("zero_row/zero_row.npz/x.npy")),
    ] {
        let out = out_root.path().join(name);
        let err = common::export_source(
            &root.join("zero_row").join(name),
            &out,
            IndexOptions::default(),
        )
        .unwrap_err();
        assert!(
            err.contains("((5, 0, 3) uint8) has a zero-size row dimension"),
            "{name}: {err}"
        );
        assert!(err.ends_with(&format!("{file:?}")), "{name}: {err}");
        assert!(!err.contains("write_rows"), "{name}: {err}");
        assert!(!out.exists(), "{name}: nothing is written");
    }
}

#[test]
fn npz_conventional_labels_of_another_row_count_are_an_error_not_dropped_silently() {
    let Some(root) = fixtures("npz_short_labels") else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let path = root.join("npz/short_y.npz");
    let err =
        common::export_source(&path, &out.path().join("a"), IndexOptions::default()).unwrap_err();
    assert_eq!(
        err,
        format!(
            "the labels y ((20,) int64) have 20 rows, the images x ((30, 2, 2) uint8) have 30: {path:?}"
        )
    );
    // Images found by shape, labels by their conventional name.
    let path = root.join("npz/short_labels.npz");
    let err = open_arrays(&path, &ArrayPick::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("the labels labels ((20,) int64) have 20 rows, the images data ((30, 2, 2) uint8) have 30"),
        "{err}"
    );
    // Saying there are no labels exports the images alone.
    let off = ArrayPick {
        images: None,
        labels: LabelsPick::Off,
        ..ArrayPick::default()
    };
    assert!(open_arrays(&path, &off).unwrap().labels.is_none());
}

/// Exports `folder`, re-exports the export, and checks the two exports hold the same `.npy` files
/// byte for byte and the same class names; returns the first export.
fn export_twice(folder: &Path, out_root: &Path, name: &str) -> PathBuf {
    let once = out_root.join(format!("{name}-once"));
    let twice = out_root.join(format!("{name}-twice"));
    common::export_source(folder, &once, IndexOptions::default()).unwrap();
    common::export_source(&once, &twice, IndexOptions::default()).unwrap();
    assert_eq!(npy_names(&twice), npy_names(&once), "{name}");
    for file in npy_names(&once) {
        assert_eq!(
            std::fs::read(twice.join(&file)).unwrap(),
            std::fs::read(once.join(&file)).unwrap(),
            "{name}: {file}"
        );
    }
    assert_eq!(
        classes_and_first_row(&twice).0,
        classes_and_first_row(&once).0,
        "{name}"
    );
    once
}

#[test]
fn reexporting_an_export_of_a_dict_or_nested_saved_dataset_or_cifar100_keeps_every_array() {
    let Some(root) = fixtures("reexport") else {
        return;
    };
    let out_root = tempfile::tempdir().unwrap();
    let out = out_root.path();

    // A dict dataset's export: image, label and meta_w, named as they were.
    let dict = root.join("export_dict");
    assert!(is_export_folder(&dict));
    let once = export_twice(&dict, out, "dict");
    assert_eq!(npy_names(&once), ["image.npy", "label.npy", "meta_w.npy"]);
    for name in ["image", "label", "meta_w"] {
        assert_same_array(&once, name, &dict.join(format!("{name}.npy")));
    }
    assert_eq!(classes_and_first_row(&once).0, ["a", "b", "c"]);
    let index = open_source(&dict, &IndexOptions::default()).unwrap();
    let labels: Vec<_> = index.samples.iter().map(|s| s.label).collect();
    assert_eq!(labels, [Some(2), Some(0), Some(1), Some(2)]);

    // A nested dataset's export: component_0 (image-shaped) and two more columns.
    let nested = root.join("export_nested");
    assert!(is_export_folder(&nested));
    let once = export_twice(&nested, out, "nested");
    assert_eq!(
        npy_names(&once),
        ["component_0.npy", "component_1.npy", "component_2.npy"]
    );
    assert_same_array(&once, "component_0", &nested.join("component_0.npy"));
    assert_same_array(&once, "component_2", &nested.join("component_2.npy"));
    let component_1 = common::read_npy(&once.join("component_1.npy"));
    assert_eq!(component_1.shape, [4]);
    assert_eq!(i64s(&component_1.data), [7, 8, 9, 10]);
    let index = open_source(&nested, &IndexOptions::default()).unwrap();
    let Some(rows) = index.store.rows() else {
        panic!("not stored rows");
    };
    assert_eq!(rows.image_column(), Some(0));
    assert_eq!(rows.columns()[0].name, "component_0");

    // A CIFAR-100 export keeps coarse_labels.npy when re-exported.
    let once = export_twice(&root.join("cifar100/train.bin"), out, "cifar100");
    assert_eq!(
        npy_names(&once),
        ["coarse_labels.npy", "images.npy", "labels.npy"]
    );
    assert_eq!(
        common::read_npy(&once.join("coarse_labels.npy")).data,
        [10, 11]
    );

    // Every column must have the manifest's rows.
    let short = root.join("export_dict_short_meta");
    let err = open_export_folder(&short, &ArrayPick::default())
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        format!("3 rows for 4 images: {:?}", short.join("meta_w.npy"))
    );
    // A folder with the export's text files but no .npy is not an export.
    let empty = tempfile::tempdir().unwrap();
    for file in ["class_names.json", "manifest.csv"] {
        std::fs::copy(dict.join(file), empty.path().join(file)).unwrap();
    }
    assert!(!is_export_folder(empty.path()));
}

#[test]
fn a_truncated_cifar_batch_keeps_its_whole_records_and_missing_batches_are_warnings() {
    let Some(root) = fixtures("cifar_cut") else {
        return;
    };
    let dir = root.join("cifar_cut");
    let index = open_source(&dir, &IndexOptions::default()).unwrap();
    assert_eq!(index.samples.len(), 3 + 2 + 1);
    let rel: Vec<String> = index
        .samples
        .iter()
        .map(|s| s.rel_path.to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        rel,
        [
            "data_batch_1.bin#0",
            "data_batch_1.bin#1",
            "data_batch_1.bin#2",
            "data_batch_2.bin#0",
            "data_batch_2.bin#1",
            "data_batch_4.bin#0"
        ]
    );
    let labels: Vec<_> = index.samples.iter().map(|s| s.label.unwrap()).collect();
    assert_eq!(labels, [1, 2, 3, 2, 3, 4]);
    let warnings: Vec<(PathBuf, String)> = index
        .warnings
        .iter()
        .map(|w| (w.path.clone(), w.reason.clone()))
        .collect();
    let missing = "missing: CIFAR-10's training set has data_batch_1.bin to data_batch_5.bin";
    assert_eq!(
        warnings,
        [
            (dir.join("data_batch_3.bin"), missing.to_owned()),
            (dir.join("data_batch_5.bin"), missing.to_owned()),
            (
                dir.join("data_batch_2.bin"),
                "truncated: 7146 bytes is not a whole number of 3073-byte Cifar10 records: 2 whole records kept, the last 1000 bytes (part of record 3) left out".to_owned()
            ),
        ]
    );
    // The kept records export with their pixels: record 1 of batch 2 is planes(21).
    let out = tempfile::tempdir().unwrap();
    let out = out.path().join("cut");
    let report = common::export_source(&dir, &out, IndexOptions::default()).unwrap();
    assert_eq!(report.exported, 6);
    let images = common::read_npy(&out.join("images.npy"));
    assert_eq!(images.shape, [6, 32, 32, 3]);
    let at =
        |row: usize, y: usize, x: usize, c: usize| images.data[((row * 32 + y) * 32 + x) * 3 + c];
    assert_eq!(at(4, 5, 7, 2), cifar_pixel(21, 5, 7, 2));
    assert_eq!(at(5, 31, 31, 0), cifar_pixel(40, 31, 31, 0));
}

#[test]
fn an_image_key_naming_no_column_of_an_export_folder_or_npy_is_refused_listing_them() {
    let Some(root) = fixtures("image_key") else {
        return;
    };
    let with_key = |key: &str| IndexOptions {
        image_key: Some(key.to_owned()),
        ..IndexOptions::default()
    };
    let dict = root.join("export_dict");
    let err = open_source(&dict, &with_key("x")).unwrap_err();
    assert_eq!(
        err,
        format!(
            "no array named \"x\" among image ((4, 2, 2, 3) uint8), label ((4,) int64), meta_w ((4, 2) float32): {dict:?}"
        )
    );
    let npy = root.join("npy/u1.npy");
    let err = open_source(&npy, &with_key("x")).unwrap_err();
    assert_eq!(
        err,
        format!("no array named \"x\" among images ((5, 4, 3, 2) uint8): {npy:?}")
    );
    let labels = IndexOptions {
        label_key: Some("y".to_owned()),
        ..IndexOptions::default()
    };
    let err = open_source(&npy, &labels).unwrap_err();
    assert!(
        err.starts_with("no array named \"y\" among images"),
        "{err}"
    );
    // Naming a column that is there picks it.
    assert!(open_source(&npy, &with_key("images")).is_ok());
    let index = open_source(&dict, &with_key("image")).unwrap();
    assert_eq!(index.samples.len(), 4);
}
