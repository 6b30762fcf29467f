//! Saved tf.data datasets against TensorFlow itself: one Python process saves small datasets with
//! `tf.data.Dataset.save` (every compression, a single tensor, a tuple, a dict, nesting, batched with
//! and without `drop_remainder`, unbatched) and writes what numpy makes of them (`np.concatenate`
//! over batches, `np.stack` over elements); batchscope's export of each must match array for array
//! in name, dtype, shape and bytes. Skipped with a printed reason when TensorFlow is absent, a
//! failure under `BATCHSCOPE_REQUIRE_PYTHON=1`.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use batchscope::options::IndexOptions;
use batchscope::source::saved::{
    Compression, SavedDataset, SavedError, SpecError, detect_compression,
};

/// The cases `write_fixtures.py` writes: name, whether it is batched, the output arrays in
/// component order (one tensor → images; a pair → images, labels; a dict → its keys; other tuples →
/// `component_i`).
const CASES: &[(&str, bool, &[&str])] = &[
    ("single", true, &["images"]),
    ("tuple_drop_remainder", true, &["images", "labels"]),
    ("dict", true, &["image", "label", "weight"]),
    ("unbatched", false, &["images", "labels"]),
    (
        "nested",
        true,
        &["component_0", "component_1", "component_2"],
    ),
];

const COMPRESSIONS: &[Compression] = &[Compression::None, Compression::Gzip, Compression::Snappy];

/// Exports one fixture and compares every array with numpy's; `Err` says what differs.
fn check_case(
    root: &Path,
    name: &str,
    compression: Compression,
    batched: bool,
    outputs: &[&str],
) -> Result<(), String> {
    let saved = root.join("saved");
    let dataset = SavedDataset::open(&saved).map_err(|e| e.to_string())?;
    for file in dataset.files() {
        let detected = detect_compression(file).map_err(|e| e.to_string())?;
        if detected != compression {
            return Err(format!("detected {detected} compression in {file:?}"));
        }
    }
    if dataset.is_batched(None) != batched {
        return Err(format!("guessed batched = {}", !batched));
    }
    let out = root.join("out");
    let report = common::export_source(&saved, &out, IndexOptions::default())?;
    let mut written: Vec<String> = report
        .files
        .iter()
        .filter_map(|(p, _)| {
            p.file_name()?
                .to_str()?
                .strip_suffix(".npy")
                .map(str::to_owned)
        })
        .collect();
    written.sort();
    let mut wanted: Vec<String> = outputs.iter().map(|s| (*s).to_owned()).collect();
    wanted.sort();
    if written != wanted {
        return Err(format!("wrote {written:?}, expected {wanted:?}"));
    }
    for (i, output) in outputs.iter().enumerate() {
        let got = common::read_npy(&out.join(format!("{output}.npy")));
        let expected = common::read_npy(&root.join("expected").join(format!("{i}.npy")));
        if (&got.descr, &got.shape) != (&expected.descr, &expected.shape) {
            return Err(format!(
                "{name} {output}: {} {:?}, numpy has {} {:?}",
                got.descr, got.shape, expected.descr, expected.shape
            ));
        }
        if got.data != expected.data {
            return Err(format!("{name} {output}: bytes differ from numpy's"));
        }
    }
    Ok(())
}

#[test]
fn saved_datasets_read_as_numpy_sees_them() {
    if !common::has_python_module("tensorflow", "saved_datasets_read_as_numpy_sees_them") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::run_python(
        include_str!("saved/write_fixtures.py"),
        &[root.to_str().unwrap()],
    );

    let mut failures = Vec::new();
    let mut checked = 0;
    for &(name, batched, paths) in CASES {
        for &compression in COMPRESSIONS {
            let case = format!("{name}-{compression}");
            checked += 1;
            if let Err(e) = check_case(&root.join(&case), name, compression, batched, paths) {
                failures.push(format!("{case}: {e}"));
            }
        }
    }
    // How many snapshot files a checkpointed save writes depends on TensorFlow's timing (4 or 5 were
    // seen, 5 on an idle machine): at least two show that a shard of several files is read whole.
    for (name, at_least, at_most) in [("checkpointed", 2, 5), ("sharded", 3, 3)] {
        checked += 1;
        let case = root.join(name);
        if let Err(e) = check_case(&case, name, Compression::None, false, &["images", "labels"]) {
            failures.push(format!("{name}: {e}"));
        }
        let found = SavedDataset::open(&case.join("saved")).map(|d| d.files().len());
        if !found
            .as_ref()
            .is_ok_and(|&n| (at_least..=at_most).contains(&n))
        {
            failures.push(format!(
                "{name}: {found:?} snapshot files, expected {at_least} to {at_most}"
            ));
        }
    }
    assert_eq!(checked, 17);
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // What cannot be an array is refused when the dataset is opened, naming the component.
    let err = SavedDataset::open(&root.join("strings")).unwrap_err();
    assert!(
        matches!(&err, SavedError::Spec { source: SpecError::UnsupportedDtype { path, dtype }, .. }
            if path == "1" && dtype == "string"),
        "{err}"
    );
    let err = SavedDataset::open(&root.join("ragged")).unwrap_err();
    assert!(
        matches!(&err, SavedError::Spec { source: SpecError::UnsupportedKind { path, kind }, .. }
            if path == "element" && kind == "ragged tensor"),
        "{err}"
    );
    assert!(err.to_string().contains("ragged tensor"), "{err}");

    let err = SavedDataset::open(&root.join("version3")).unwrap_err();
    assert!(
        matches!(err, SavedError::UnsupportedVersion { version: 3, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("version 3"), "{err}");

    // The same refusals through the source an export opens, as one-line messages.
    let out = root.join("refused");
    let err =
        common::export_source(&root.join("version3"), &out, IndexOptions::default()).unwrap_err();
    assert!(
        err.contains("snapshot format version 3 is not supported"),
        "{err}"
    );
    let err =
        common::export_source(&root.join("strings"), &out, IndexOptions::default()).unwrap_err();
    assert!(err.contains("\"1\"") && err.contains("string"), "{err}");

    damaged_files_keep_their_good_elements(root);
    keys_and_shapes_are_checked(root);
}

/// Named components must exist; elements np.stack could not join are refused, naming the element.
fn keys_and_shapes_are_checked(root: &Path) {
    let saved = root.join("dict-NONE/saved");
    let out = root.join("keys");
    let misspelt = IndexOptions {
        image_key: Some("imgae".into()),
        ..IndexOptions::default()
    };
    let err = common::export_source(&saved, &out, misspelt).unwrap_err();
    assert!(
        err.contains("no component named \"imgae\"") && err.contains("image (image, uint8)"),
        "{err}"
    );
    let not_image = IndexOptions {
        image_key: Some("weight".into()),
        ..IndexOptions::default()
    };
    let err = common::export_source(&saved, &out, not_image).unwrap_err();
    assert!(err.contains("\"weight\" is not an image"), "{err}");
    // --label-key none: no classes (the arrays are still all exported, as stored).
    let no_labels = IndexOptions {
        label_key: Some("none".into()),
        ..IndexOptions::default()
    };
    common::export_source(&saved, &out, no_labels).unwrap();
    let names: Vec<String> =
        serde_json::from_str(&std::fs::read_to_string(out.join("class_names.json")).unwrap())
            .unwrap();
    assert!(names.is_empty(), "{names:?}");

    // (None, 5, 3) elements look like batches (an unknown leading dim) and concatenate fine; as
    // samples (--batched no) they cannot be stacked.
    let report =
        common::export_source(&root.join("varying"), &out, IndexOptions::default()).unwrap();
    assert_eq!(report.exported, 4 + 5 + 6);
    let samples = IndexOptions {
        batched: Some(false),
        ..IndexOptions::default()
    };
    let err = common::export_source(&root.join("varying"), &out, samples).unwrap_err();
    assert!(
        err.starts_with("element 1: component \"images\" has rows of shape [5, 5, 3] but earlier elements [4, 5, 3], so np.stack cannot join them"),
        "{err}"
    );
}

/// A damaged file: the good elements are exported, and skipped.csv names the file, the element and
/// the reason for the rest.
fn damaged_files_keep_their_good_elements(root: &Path) {
    let case = root.join("unbatched-NONE");
    let dataset = SavedDataset::open(&case.join("saved")).unwrap();
    let file = dataset.files()[0].clone();
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&file, &bytes[..bytes.len() - 3]).unwrap();
    let out = case.join("damaged");
    let report = common::export_source(&case.join("saved"), &out, IndexOptions::default()).unwrap();
    assert_eq!(report.exported, 5);
    let images = common::read_npy(&out.join("images.npy"));
    let expected = common::read_npy(&case.join("expected/0.npy"));
    assert_eq!(images.shape, [&[5][..], &expected.shape[1..]].concat());
    assert_eq!(images.data, expected.data[..images.data.len()]);
    let skipped = common::skipped(&out);
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0][0], file.to_string_lossy());
    assert!(
        skipped[0][1].starts_with("element 5: ") && skipped[0][1].contains("file ends inside"),
        "{skipped:?}"
    );

    // A flipped byte in a middle element's record: only that element is lost, the rest exported.
    let case = root.join("crc_middle");
    let out = case.join("out");
    let report = common::export_source(&case.join("saved"), &out, IndexOptions::default()).unwrap();
    assert_eq!(report.exported, 5);
    let labels = common::read_npy(&out.join("labels.npy"));
    let expected = common::read_npy(&case.join("expected/1.npy"));
    assert_eq!(
        labels.data,
        [&expected.data[..2], &expected.data[3..]].concat()
    );
    let skipped = common::skipped(&out);
    assert!(
        skipped[0][1].starts_with(
            "element 2: component \"0\": the record's data fails its CRC; it is left out"
        ),
        "{skipped:?}"
    );

    // A flipped byte inside a record's data fails its CRC: the elements before it are kept.
    let case = root.join("single-NONE");
    let dataset = SavedDataset::open(&case.join("saved")).unwrap();
    let file = dataset.files()[0].clone();
    let mut bytes = std::fs::read(&file).unwrap();
    let at = bytes.len() - 20;
    bytes[at] ^= 0xff;
    std::fs::write(&file, &bytes).unwrap();
    let out = case.join("flipped");
    let report = common::export_source(&case.join("saved"), &out, IndexOptions::default()).unwrap();
    // Batches of 4, 4 and 2: the last batch's record is the damaged one.
    assert_eq!(report.exported, 8);
    let skipped = common::skipped(&out);
    assert!(
        skipped[0][1].starts_with("element 2: ")
            && skipped[0][1].contains("fails its CRC; it is left out"),
        "{skipped:?}"
    );
}
