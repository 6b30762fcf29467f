//! The saved-dataset reader against TensorFlow itself: one Python process saves small datasets with
//! `tf.data.Dataset.save` (every compression, a single tensor, a tuple, a dict, nesting, batched with
//! and without `drop_remainder`, unbatched) and writes what numpy makes of them; every array must
//! match in dtype, shape and bytes. Skipped with a printed reason when TensorFlow is absent, a
//! failure under `BATCHSCOPE_REQUIRE_PYTHON=1`.

mod common;

use std::path::Path;

use batchscope::source::saved::{
    Compression, SavedDataset, SavedError, SpecError, detect_compression,
};

/// The cases `write_fixtures.py` writes: name, whether it is batched, the component paths.
const CASES: &[(&str, bool, &[&str])] = &[
    ("single", true, &[""]),
    ("tuple_drop_remainder", true, &["0", "1"]),
    ("dict", true, &["image", "label", "weight"]),
    ("unbatched", false, &["0", "1"]),
    ("nested", true, &["0", "1/d", "1/k"]),
];

const COMPRESSIONS: &[Compression] = &[Compression::None, Compression::Gzip, Compression::Snappy];

/// Reads one fixture and compares it with numpy's arrays; `Err` says what differs.
fn check_case(
    root: &Path,
    name: &str,
    compression: Compression,
    batched: bool,
    paths: &[&str],
) -> Result<(), String> {
    let dataset = SavedDataset::open(&root.join("saved")).map_err(|e| e.to_string())?;
    for file in dataset.files() {
        let detected = detect_compression(file).map_err(|e| e.to_string())?;
        if detected != compression {
            return Err(format!("detected {detected} compression in {file:?}"));
        }
    }
    let got_paths: Vec<&str> = dataset
        .components()
        .iter()
        .map(|c| c.path.as_str())
        .collect();
    if got_paths != paths {
        return Err(format!("component paths {got_paths:?}, expected {paths:?}"));
    }
    if dataset.is_batched(None) != batched {
        return Err(format!("guessed batched = {}", !batched));
    }
    let arrays = dataset.read_arrays(batched).map_err(|e| e.to_string())?;
    for (i, array) in arrays.iter().enumerate() {
        let expected = common::read_npy(&root.join("expected").join(format!("{i}.npy")));
        let shape: Vec<usize> = array.shape.iter().map(|&d| d as usize).collect();
        if (array.dtype.descr(), &shape) != (expected.descr.as_str(), &expected.shape) {
            return Err(format!(
                "{name} component {i}: {} {shape:?}, numpy has {} {:?}",
                array.dtype.descr(),
                expected.descr,
                expected.shape
            ));
        }
        if array.data != expected.data {
            return Err(format!("{name} component {i}: bytes differ from numpy's"));
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
        if let Err(e) = check_case(&case, name, Compression::None, false, &["0", "1"]) {
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

    // A damaged file: the error names the element being read and the file.
    let dataset = SavedDataset::open(&root.join("unbatched-NONE/saved")).unwrap();
    let file = dataset.files()[0].clone();
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&file, &bytes[..bytes.len() - 3]).unwrap();
    let err = dataset.read_arrays(false).unwrap_err();
    assert!(
        matches!(&err, SavedError::Record { index: 5, path, .. } if *path == file),
        "{err}"
    );
    let message = err.to_string();
    assert!(
        message.starts_with("element 5: ") && message.ends_with(&format!("{file:?}")),
        "{message}"
    );
}
