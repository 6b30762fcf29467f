//! Whether a saved tf.data dataset's elements are batches or samples, against TensorFlow and numpy:
//! one Python process saves a dataset per rule with `tf.data.Dataset.save` and writes what numpy makes
//! of its elements (`np.stack` and, where it can, `np.concatenate`); batchscope's export of each must
//! be the join its rule names, array for array in name, dtype, shape and bytes. A guess (one component
//! that is neither an image nor a batch of images) is a warning that names `--batched yes|no`, and
//! either flag gives numpy's other join, without the warning. Issue 21: `from_tensor_slices(x)` of
//! `(50, 28, 28)` images exported `(1400, 28)`. Skipped with a printed reason when TensorFlow is
//! absent, a failure under `BATCHSCOPE_REQUIRE_PYTHON=1`.

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.

mod common;

use std::path::Path;
use std::sync::OnceLock;

use batchscope::index::DatasetIndex;
use batchscope::options::IndexOptions;
use batchscope::source::saved::{Ambiguous, Batching, Reason, SavedDataset};

/// The fixture folder, written once per test binary; `None` (after saying why) without TensorFlow.
fn fixtures(test: &str) -> Option<&'static Path> {
    static DIR: OnceLock<Option<tempfile::TempDir>> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        if !common::python_module_importable("tensorflow") {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        common::run_python(
            include_str!("saved/write_batching.py"),
            &[dir.path().to_str().unwrap()],
        );
        Some(dir)
    });
    if dir.is_none() {
        common::skip_without_python("tensorflow", test);
    }
    dir.as_ref().map(tempfile::TempDir::path)
}

fn open_index(path: &Path, options: &IndexOptions) -> DatasetIndex {
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let control = batchscope::index::WalkControl {
        on_progress: &|_| {},
        cancel: &cancel,
    };
    batchscope::source::open(path, options, &control).unwrap()
}

fn given(batched: Option<bool>) -> IndexOptions {
    IndexOptions {
        batched,
        ..IndexOptions::default()
    }
}

/// How batchscope decides to read `case` on its own.
fn decided(root: &Path, case: &str) -> Batching {
    SavedDataset::open(&root.join(case).join("saved"))
        .unwrap()
        .batching(None)
}

/// Exports `case` with `--batched` as `batched` and asserts that the arrays, named `outputs` in
/// component order, are numpy's `join` (`stack` or `concatenate`) of the elements; returns each
/// array's descr and shape, and the export folder.
fn assert_exports_as(
    root: &Path,
    case: &str,
    batched: Option<bool>,
    join: &str,
    outputs: &[&str],
) -> (Vec<(String, Vec<usize>)>, std::path::PathBuf) {
    let out = root.join(format!("out-{case}-{batched:?}"));
    let report = common::export_source(&root.join(case).join("saved"), &out, given(batched))
        .unwrap_or_else(|e| panic!("{case} ({batched:?}): {e}"));
    let mut written: Vec<String> = report
        .files
        .iter()
        .filter_map(|(p, _)| Some(p.file_name()?.to_str()?.strip_suffix(".npy")?.to_owned()))
        .collect();
    written.sort_unstable();
    let mut wanted: Vec<&str> = outputs.to_vec();
    wanted.sort_unstable();
    assert_eq!(written, wanted, "{case} ({batched:?})");
    let mut arrays = Vec::new();
    for (i, output) in outputs.iter().enumerate() {
        let got = common::read_npy(&out.join(format!("{output}.npy")));
        let numpy = common::read_npy(&root.join(case).join(join).join(format!("{i}.npy")));
        assert_eq!(
            (&got.descr, &got.shape),
            (&numpy.descr, &numpy.shape),
            "{case} ({batched:?}) {output}: batchscope's, then np.{join}'s"
        );
        assert!(
            got.data == numpy.data,
            "{case} ({batched:?}) {output}: the bytes differ from np.{join}'s"
        );
        arrays.push((got.descr, got.shape));
    }
    (arrays, out)
}

fn shapes(arrays: &[(String, Vec<usize>)]) -> Vec<(&str, &[usize])> {
    arrays
        .iter()
        .map(|(descr, shape)| (descr.as_str(), shape.as_slice()))
        .collect()
}

/// A rule decided: no warning in the index, none in `skipped.csv`.
fn assert_no_warning(root: &Path, case: &str, out: &Path) {
    let index = open_index(&root.join(case).join("saved"), &IndexOptions::default());
    assert_eq!(index.warnings, [], "{case}");
    assert_eq!(common::skipped(out), Vec::<Vec<String>>::new(), "{case}");
}

#[test]
fn issue_21_one_image_per_element_exports_as_np_stack() {
    let Some(root) = fixtures("issue_21_one_image_per_element_exports_as_np_stack") else {
        return;
    };
    for (case, descr, shape) in [
        ("images_hw", "|u1", &[50, 28, 28][..]),
        ("images_hwc", "|u1", &[50, 32, 32, 3]),
        ("images_gray", "<f4", &[6, 5, 7, 1]),
        ("images_rgba", "|u1", &[6, 4, 4, 4]),
    ] {
        let reading = decided(root, case);
        assert_eq!(
            (reading.batched, &reading.reason),
            (false, &Reason::Image),
            "{case}"
        );
        let (arrays, out) = assert_exports_as(root, case, None, "stack", &["images"]);
        assert_eq!(shapes(&arrays), [(descr, shape)], "{case}");
        assert_no_warning(root, case, &out);
    }
}

#[test]
fn a_batch_of_images_per_element_exports_as_np_concatenate() {
    let Some(root) = fixtures("a_batch_of_images_per_element_exports_as_np_concatenate") else {
        return;
    };
    for (case, descr, shape) in [
        ("image_batches", "|u1", &[12, 8, 8, 3][..]),
        ("gray_image_batches", "<f2", &[10, 6, 6, 1]),
    ] {
        let reading = decided(root, case);
        assert_eq!(
            (reading.batched, &reading.reason),
            (true, &Reason::ImageBatch),
            "{case}"
        );
        let (arrays, out) = assert_exports_as(root, case, None, "concatenate", &["images"]);
        assert_eq!(shapes(&arrays), [(descr, shape)], "{case}");
        assert_no_warning(root, case, &out);
    }
}

#[test]
fn a_scalar_component_means_one_sample_per_element() {
    let Some(root) = fixtures("a_scalar_component_means_one_sample_per_element") else {
        return;
    };
    let scalar = Reason::Scalar {
        component: "1".into(),
    };
    for (case, expected) in [
        ("scalar_label", [("<i2", &[6, 3, 3][..]), ("<i8", &[6])]),
        // Its image component has an unknown leading dim (None, 3): the scalar decides.
        (
            "scalar_beside_unknown",
            [("<f4", &[5, 2, 3]), ("<i4", &[5])],
        ),
    ] {
        let reading = decided(root, case);
        assert_eq!(
            (reading.batched, &reading.reason),
            (false, &scalar),
            "{case}"
        );
        let (arrays, out) = assert_exports_as(root, case, None, "stack", &["images", "labels"]);
        assert_eq!(shapes(&arrays), expected, "{case}");
        assert_no_warning(root, case, &out);
    }
}

#[test]
fn an_unknown_leading_dim_means_batches() {
    let Some(root) = fixtures("an_unknown_leading_dim_means_batches") else {
        return;
    };
    // `batch(4)` of 10 vectors: batches of 4, 4 and 2.
    let reading = decided(root, "unknown_leading");
    assert_eq!(
        (reading.batched, &reading.reason),
        (
            true,
            &Reason::UnknownLeading {
                component: "element".into()
            }
        )
    );
    let (arrays, out) =
        assert_exports_as(root, "unknown_leading", None, "concatenate", &["images"]);
    assert_eq!(shapes(&arrays), [("<f4", &[10, 5][..])]);
    assert_no_warning(root, "unknown_leading", &out);

    // (None, 2) beside a fixed (3,): the unknown dim decides.
    let reading = decided(root, "unknown_beside_fixed");
    assert_eq!(
        (reading.batched, &reading.reason),
        (
            true,
            &Reason::UnknownLeading {
                component: "0".into()
            }
        )
    );
    let (arrays, out) = assert_exports_as(
        root,
        "unknown_beside_fixed",
        None,
        "concatenate",
        &["images", "labels"],
    );
    assert_eq!(shapes(&arrays), [("<u2", &[12, 2][..]), ("|i1", &[12])]);
    assert_no_warning(root, "unknown_beside_fixed", &out);
}

#[test]
fn components_sharing_a_fixed_leading_dim_are_batches() {
    let Some(root) = fixtures("components_sharing_a_fixed_leading_dim_are_batches") else {
        return;
    };
    // A dict batched by 3 with drop_remainder: 4 batches of 13 rows, the last row dropped.
    let reading = decided(root, "shared_leading");
    assert_eq!(
        (reading.batched, &reading.reason),
        (true, &Reason::SharedLeading { rows: 3 })
    );
    let (arrays, out) = assert_exports_as(
        root,
        "shared_leading",
        None,
        "concatenate",
        &["extra", "image", "label"],
    );
    assert_eq!(
        shapes(&arrays),
        [("<f4", &[12, 2][..]), ("|u1", &[12, 4, 4]), ("<i8", &[12])]
    );
    assert_no_warning(root, "shared_leading", &out);
}

#[test]
fn components_with_different_fixed_leading_dims_are_samples() {
    let Some(root) = fixtures("components_with_different_fixed_leading_dims_are_samples") else {
        return;
    };
    // A (28, 28) image and its one-hot label (10,): no batch has 28 images and 10 labels.
    let reading = decided(root, "different_leading");
    assert_eq!(
        (reading.batched, &reading.reason),
        (false, &Reason::DifferentLeading)
    );
    let (arrays, out) = assert_exports_as(
        root,
        "different_leading",
        None,
        "stack",
        &["images", "labels"],
    );
    assert_eq!(
        shapes(&arrays),
        [("|u1", &[6, 28, 28][..]), ("<f4", &[6, 10])]
    );
    assert_no_warning(root, "different_leading", &out);
}

#[test]
fn an_ambiguous_element_is_read_as_samples_with_a_warning_naming_the_flag() {
    let Some(root) =
        fixtures("an_ambiguous_element_is_read_as_samples_with_a_warning_naming_the_flag")
    else {
        return;
    };
    // The guess (np.stack), then what --batched yes gives (np.concatenate).
    for (case, descr, stacked, concatenated) in [
        ("vectors", "<f4", &[7, 5][..], &[35][..]),
        ("gray_batches", "|u1", &[4, 5, 6, 6], &[20, 6, 6]),
        ("two_channels", "<i2", &[6, 4, 4, 2], &[24, 4, 2]),
        ("volumes", "|u1", &[3, 2, 4, 4, 5], &[6, 4, 4, 5]),
    ] {
        let saved = root.join(case).join("saved");
        let reading = decided(root, case);
        let element_shape: Vec<Option<u64>> =
            stacked[1..].iter().map(|&d| Some(d as u64)).collect();
        let guess = Ambiguous {
            component: "element".into(),
            shape: element_shape,
        };
        assert_eq!(
            reading,
            Batching {
                batched: false,
                reason: Reason::Ambiguous(guess.clone())
            },
            "{case}"
        );
        let (arrays, out) = assert_exports_as(root, case, None, "stack", &["images"]);
        assert_eq!(shapes(&arrays), [(descr, stacked)], "{case}");

        // The warning reaches the user through the index: inspect, the viewer and skipped.csv.
        let index = open_index(&saved, &IndexOptions::default());
        assert_eq!(index.warnings.len(), 1, "{case}: {:?}", index.warnings);
        let warning = &index.warnings[0];
        assert_eq!(warning.path, saved, "{case}");
        assert_eq!(warning.reason, guess.to_string(), "{case}");
        assert!(
            warning.reason.starts_with("each element is read as one sample (np.stack), a guess")
                && warning.reason.contains(&format!(
                    "a batch of {} rows; --batched yes reads the elements as batches (np.concatenate), --batched no keeps this reading",
                    stacked[1]
                )),
            "{case}: {}",
            warning.reason
        );
        assert_eq!(
            common::skipped(&out),
            [[saved.to_string_lossy().into_owned(), guess.to_string()]],
            "{case}"
        );

        // Either flag decides, and the warning goes.
        let (arrays, out) = assert_exports_as(root, case, Some(true), "concatenate", &["images"]);
        assert_eq!(shapes(&arrays), [(descr, concatenated)], "{case}");
        assert_eq!(common::skipped(&out), Vec::<Vec<String>>::new(), "{case}");
        let (arrays, out) = assert_exports_as(root, case, Some(false), "stack", &["images"]);
        assert_eq!(shapes(&arrays), [(descr, stacked)], "{case}");
        assert_eq!(common::skipped(&out), Vec::<Vec<String>>::new(), "{case}");
        for batched in [true, false] {
            let index = open_index(&saved, &given(Some(batched)));
            assert_eq!(index.warnings, [], "{case} --batched {batched}");
        }
    }
}

#[test]
fn inspect_and_export_print_the_guess_and_the_flag_that_changes_it() {
    let Some(root) = fixtures("inspect_and_export_print_the_guess_and_the_flag_that_changes_it")
    else {
        return;
    };
    let saved = root.join("gray_batches").join("saved");
    let saved = saved.to_str().unwrap();
    let guess = "each element is read as one sample (np.stack), a guess: component \"element\" has shape (5, 6, 6)";
    let flags = "--batched yes reads the elements as batches (np.concatenate), --batched no keeps this reading without this warning";

    let out = common::batchscope(&["inspect", saved]);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    for text in [&stdout, &stderr] {
        assert!(text.contains(guess) && text.contains(flags), "{text}");
    }
    assert!(
        stderr.starts_with("batchscope: warning: each element is read as one sample"),
        "{stderr}"
    );
    assert!(stdout.contains("4 elements, unbatched"), "{stdout}");

    let out_dir = root.join("cli-export");
    let stderr = common::batchscope_ok(&["export", saved, "--out", out_dir.to_str().unwrap()]);
    assert!(stderr.contains(guess) && stderr.contains(flags), "{stderr}");
    assert_eq!(
        common::read_npy(&out_dir.join("images.npy")).shape,
        [4, 5, 6, 6]
    );

    // --batched yes: batches of 5 rows, and nothing to warn about.
    let out = common::batchscope(&["inspect", saved, "--batched", "yes"]);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stdout.contains("4 batches, 20 rows"), "{stdout}");
    for text in [&stdout, &stderr] {
        assert!(!text.contains("--batched"), "{text}");
    }
}
