//! `--class-names` on sources whose labels are integers (issue 22, item 5): the names reach
//! `inspect`, `class_names.json` and `manifest.csv`; a count that differs names both counts; labels
//! that are not integer classes are refused saying what they are. Every fixture is written here,
//! byte by byte (`.npz`, a saved tf.data dataset, TFRecords, IDX, CIFAR), so no Python is needed.
//! Also `inspect assets/sample` from outside the clone (issue 22, item 9).
#![allow(clippy::unwrap_used)]

mod common;
#[path = "common/records.rs"]
#[allow(dead_code)]
mod records;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use batchscope::npy::{self, NpyDtype};
use records::{field, framed, int_field, shape};

/// An `.npy` file of `dtype` and `shape` holding `data`.
fn npy_file(dtype: NpyDtype, dims: &[usize], data: &[u8]) -> Vec<u8> {
    [npy::header(dtype, dims), data.to_vec()].concat()
}

/// `n` uint8 images of 4x4x3 (image `i` filled with `i`).
fn pixels(n: usize) -> Vec<u8> {
    (0..n).flat_map(|i| [i as u8; 48]).collect()
}

fn int64s(values: &[i64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// `dir/data.npz` holding `images` (N, 4, 4, 3) uint8 and `labels` as given.
fn npz(dir: &Path, labels: &[u8]) -> PathBuf {
    let path = dir.join("data.npz");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("images.npy", options).unwrap();
    zip.write_all(&npy_file(NpyDtype::U8, &[6, 4, 4, 3], &pixels(6)))
        .unwrap();
    zip.start_file("labels.npy", options).unwrap();
    zip.write_all(labels).unwrap();
    zip.finish().unwrap();
    path
}

/// Labels 0..4 of six rows, as int64.
fn five_classes() -> Vec<u8> {
    npy_file(NpyDtype::I64, &[6], &int64s(&[0, 1, 2, 3, 4, 0]))
}

fn run(args: &[&str]) -> (bool, Option<i32>, String, String) {
    let out = common::batchscope(args);
    (
        out.status.success(),
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn export_ok(source: &Path, out: &Path, names: &str) {
    common::batchscope_ok(&[
        "export",
        source.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--class-names",
        names,
    ]);
}

fn class_names_json(out: &Path) -> String {
    std::fs::read_to_string(out.join("class_names.json")).unwrap()
}

/// The (label, class name) columns of the manifest.
fn manifest_classes(out: &Path) -> Vec<(String, String)> {
    common::manifest(out)
        .into_iter()
        .map(|row| (row[2].clone(), row[3].clone()))
        .collect()
}

fn pairs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[test]
fn npz_labels_take_the_names_in_inspect_class_names_json_and_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let data = npz(dir.path(), &five_classes());
    let (ok, _, stdout, stderr) = run(&[
        "inspect",
        data.to_str().unwrap(),
        "--class-names",
        "cat,dog,eel,fox,gnu",
    ]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains(
            "classes    5\n     0  cat  2\n     1  dog  1\n     2  eel  1\n     3  fox  1\n     4  gnu  1\n"
        ),
        "{stdout}"
    );

    let out = dir.path().join("out");
    export_ok(&data, &out, "cat,dog,eel,fox,gnu");
    assert_eq!(class_names_json(&out), r#"["cat","dog","eel","fox","gnu"]"#);
    assert_eq!(
        manifest_classes(&out),
        pairs(&[
            ("0", "cat"),
            ("1", "dog"),
            ("2", "eel"),
            ("3", "fox"),
            ("4", "gnu"),
            ("0", "cat")
        ])
    );
    // The stored labels are copied as they were: only the names change.
    let labels = common::read_npy(&out.join("labels.npy"));
    assert_eq!(labels.descr, "<i8");
    assert_eq!(labels.data, int64s(&[0, 1, 2, 3, 4, 0]));

    // Without names, the classes are the values, as before.
    let plain = dir.path().join("plain");
    common::batchscope_ok(&[
        "export",
        data.to_str().unwrap(),
        "--out",
        plain.to_str().unwrap(),
    ]);
    assert_eq!(class_names_json(&plain), r#"["0","1","2","3","4"]"#);
}

#[test]
fn a_count_that_differs_from_the_classes_is_an_error_naming_both_counts() {
    let dir = tempfile::tempdir().unwrap();
    let data = npz(dir.path(), &five_classes());
    let out = dir.path().join("out");
    for (names, given) in [("a,b,c", "3 names"), ("a,b,c,d,e,f", "6 names")] {
        let (ok, code, _, stderr) = run(&[
            "export",
            data.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--class-names",
            names,
        ]);
        assert!(!ok);
        assert_eq!(code, Some(2), "a usage error: {stderr}");
        assert_eq!(
            stderr,
            format!(
                "batchscope: error: --class-names gives {given} but the labels run 0..4 (5 classes): {data:?}\n"
            )
        );
        assert!(!out.exists(), "nothing is written");
    }
}

#[test]
fn labels_that_are_not_integer_classes_are_refused_saying_what_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let floats: Vec<u8> = (0..6)
        .flat_map(|v| (v as f32 * 0.5).to_le_bytes())
        .collect();
    let data = npz(dir.path(), &npy_file(NpyDtype::F32, &[6], &floats));
    let (ok, code, _, stderr) = run(&["inspect", data.to_str().unwrap(), "--class-names", "a,b"]);
    assert!(!ok);
    assert_eq!(code, Some(2));
    assert!(
        stderr.starts_with(
            "batchscope: error: --class-names names integer labels 0..K-1, and the labels \"labels\" of the arrays of data.npz are float32 (N,), not integer classes: "
        ),
        "{stderr}"
    );

    // `--labels none` leaves nothing to name.
    let ints_dir = dir.path().join("ints");
    std::fs::create_dir(&ints_dir).unwrap();
    let ints = npz(&ints_dir, &five_classes());
    let (ok, code, _, stderr) = run(&[
        "inspect",
        ints.to_str().unwrap(),
        "--labels",
        "none",
        "--class-names",
        "a,b,c,d,e",
    ]);
    assert!(!ok);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("--class-names needs labels (a folder's subfolders, a source's label array), not --labels none"),
        "{stderr}"
    );
}

/// A `TensorProto` of TensorFlow `dtype` (4 uint8, 9 int64) and `dims`, holding `content`.
fn tensor(dtype: u64, dims: &[i64], content: &[u8]) -> Vec<u8> {
    let mut out = int_field(1, dtype);
    out.extend(field(2, &shape(dims)));
    out.extend(field(4, content));
    out
}

/// A saved tf.data dataset of `(image, label)` pairs, unbatched: 4x4x3 uint8 images, int64 labels.
fn saved_pairs(root: &Path, labels: &[i64]) {
    let n = labels.len() as u64;
    std::fs::create_dir_all(root.join("run/00000000.shard")).unwrap();
    let mut metadata = field(2, b"run");
    metadata.extend(int_field(4, 2));
    metadata.extend(int_field(5, 4));
    metadata.extend(int_field(5, 9));
    metadata.extend(int_field(6, n));
    metadata.extend(int_field(1000, 1));
    std::fs::write(root.join("snapshot.metadata"), metadata).unwrap();
    let spec = |dims: &[i64], dtype: u64| {
        let mut spec = field(2, &shape(dims));
        spec.extend(int_field(3, dtype));
        field(1, &field(33, &spec))
    };
    let tuple = field(52, &[spec(&[4, 4, 3], 4), spec(&[], 9)].concat());
    std::fs::write(root.join("dataset_spec.pb"), tuple).unwrap();
    let snapshot: Vec<u8> = labels
        .iter()
        .enumerate()
        .flat_map(|(i, &label)| {
            [
                framed(&tensor(4, &[4, 4, 3], &[i as u8; 48])),
                framed(&tensor(9, &[], &label.to_le_bytes())),
            ]
            .concat()
        })
        .collect();
    std::fs::write(root.join(records::SNAPSHOT_FILE), snapshot).unwrap();
}

/// A `tf.train.Example` of a PNG `image` and an int64 `label`.
fn example(image: &[u8], label: u64) -> Vec<u8> {
    let entry = |key: &str, feature: Vec<u8>| {
        field(1, &[field(1, key.as_bytes()), field(2, &feature)].concat())
    };
    let mut packed = Vec::new();
    records::varint(label, &mut packed);
    field(
        1,
        &[
            entry("image", field(1, &field(1, image))),
            entry("label", field(3, &field(1, &packed))),
        ]
        .concat(),
    )
}

fn png(seed: u32) -> Vec<u8> {
    common::png_bytes(4, 4, seed)
}

#[test]
fn a_saved_dataset_names_its_labels() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("saved");
    saved_pairs(&saved, &[2, 0, 1, 2]);
    let out = dir.path().join("out");
    export_ok(&saved, &out, "low,mid,high");
    assert_eq!(class_names_json(&out), r#"["low","mid","high"]"#);
    assert_eq!(
        manifest_classes(&out),
        pairs(&[("2", "high"), ("0", "low"), ("1", "mid"), ("2", "high")])
    );
    let (ok, code, _, stderr) = run(&[
        "inspect",
        saved.to_str().unwrap(),
        "--class-names",
        "low,mid",
    ]);
    assert!(!ok);
    assert_eq!(code, Some(2));
    assert_eq!(
        stderr,
        format!(
            "batchscope: error: --class-names gives 2 names but the labels run 0..2 (3 classes): {saved:?}\n"
        )
    );
}

#[test]
fn tfrecord_labels_far_apart_are_named_as_labels_0_to_the_largest() {
    // Labels {0, 5}: without names, one class per value (2 classes); with names, labels 0..5.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("train.tfrecord");
    let records: Vec<u8> = [0u64, 5, 5, 0]
        .iter()
        .enumerate()
        .flat_map(|(i, &label)| framed(&example(&png(i as u32), label)))
        .collect();
    std::fs::write(&file, records).unwrap();

    let plain = dir.path().join("plain");
    common::batchscope_ok(&[
        "export",
        file.to_str().unwrap(),
        "--out",
        plain.to_str().unwrap(),
    ]);
    assert_eq!(class_names_json(&plain), r#"["0","5"]"#);

    let (ok, code, _, stderr) = run(&["inspect", file.to_str().unwrap(), "--class-names", "a,b"]);
    assert!(!ok);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("--class-names gives 2 names but the labels run 0..5 (6 classes)"),
        "{stderr}"
    );

    let out = dir.path().join("out");
    export_ok(&file, &out, "a,b,c,d,e,f");
    assert_eq!(class_names_json(&out), r#"["a","b","c","d","e","f"]"#);
    // The stored int64 values are kept; the manifest names them.
    let labels = common::read_npy(&out.join("labels.npy"));
    assert_eq!(labels.descr, "<i8");
    assert_eq!(labels.data, int64s(&[0, 5, 5, 0]));
    assert_eq!(
        manifest_classes(&out),
        pairs(&[("0", "a"), ("5", "f"), ("5", "f"), ("0", "a")])
    );
}

fn idx(type_code: u8, dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, type_code, dims.len() as u8];
    for d in dims {
        out.extend(d.to_be_bytes());
    }
    out.extend_from_slice(data);
    out
}

#[test]
fn idx_and_cifar_labels_take_names() {
    let dir = tempfile::tempdir().unwrap();
    let mnist = dir.path().join("mnist");
    common::write(
        &mnist,
        "train-images-idx3-ubyte",
        &idx(0x08, &[3, 4, 4], &[7; 48]),
    );
    common::write(
        &mnist,
        "train-labels-idx1-ubyte",
        &idx(0x08, &[3], &[1, 0, 1]),
    );
    let out = dir.path().join("mnist-out");
    export_ok(&mnist, &out, "zero,one");
    assert_eq!(class_names_json(&out), r#"["zero","one"]"#);
    assert_eq!(
        manifest_classes(&out),
        pairs(&[("1", "one"), ("0", "zero"), ("1", "one")])
    );

    // CIFAR-10 records labelled 3 and 9: labels 0..9, ten names.
    let cifar = dir.path().join("cifar");
    let record = |label: u8| [vec![label], vec![label; 3072]].concat();
    common::write(&cifar, "data_batch_1.bin", &[record(3), record(9)].concat());
    let names = "plane,car,bird,cat,deer,dog,frog,horse,ship,truck";
    let out = dir.path().join("cifar-out");
    export_ok(&cifar, &out, names);
    assert_eq!(
        class_names_json(&out),
        r#"["plane","car","bird","cat","deer","dog","frog","horse","ship","truck"]"#
    );
    assert_eq!(
        manifest_classes(&out),
        pairs(&[("3", "cat"), ("9", "truck")])
    );
    let (ok, code, _, stderr) = run(&["inspect", cifar.to_str().unwrap(), "--class-names", "a"]);
    assert!(!ok);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("--class-names gives 1 name but the labels run 0..9 (10 classes)"),
        "{stderr}"
    );
}

#[test]
fn inspect_assets_sample_works_from_outside_the_clone() {
    // README's `batchscope inspect assets/sample`, typed in another folder.
    let elsewhere = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_batchscope"))
        .args(["inspect", "assets/sample"])
        .current_dir(elsewhere.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let bundled = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample");
    assert!(
        stdout.starts_with(&format!(
            "dataset    {}\nsource     image folder\nsamples    48\n",
            bundled.display()
        )),
        "{stdout}"
    );
    assert_eq!(
        stderr,
        format!(
            "batchscope: note: no \"assets/sample\" in the current folder; reading the bundled sample {bundled:?}\n"
        )
    );

    // Any other missing path is still an error naming it.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_batchscope"))
        .args(["inspect", "assets/sampel"])
        .current_dir(elsewhere.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("\"assets/sampel\""),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

// ---- the viewer: the Classes field names a stored source's labels ----

fn ready_names(app: &batchscope::app::BatchscopeApp) -> Option<Vec<String>> {
    let ready = app.session.as_ref()?.ready()?;
    app.session.as_ref()?.current_batch()?;
    Some(ready.index.class_names.clone())
}

fn names_of(names: &str) -> Vec<String> {
    names.split(',').map(str::to_owned).collect()
}

/// The loader settings' Classes field, found by the text it holds.
fn classes_field<'t>(
    h: &'t egui_kittest::Harness<'static, batchscope::app::BatchscopeApp>,
    text: &str,
) -> egui_kittest::Node<'t> {
    use egui_kittest::kittest::Queryable as _;
    h.get_all_by_role(egui::accesskit::Role::TextInput)
        .find(|n| n.value().as_deref() == Some(text))
        .unwrap_or_else(|| panic!("no text field holding {text:?}"))
}

#[test]
fn the_viewer_names_npz_labels_and_says_why_a_count_does_not_fit() {
    use egui_kittest::kittest::Queryable as _;
    let dir = tempfile::tempdir().unwrap();
    let data = npz(dir.path(), &five_classes());
    let mut settings = batchscope::app::Settings::default();
    settings.load.index.class_names = Some(names_of("cat,dog,eel"));
    let mut h = common::gui::harness_with(&data, settings);
    common::gui::step_until(&mut h, "the batch", |app| ready_names(app).is_some());
    // Three names for five classes: shown without them, the reason in red beside the field.
    assert_eq!(
        ready_names(h.state()).unwrap(),
        names_of("0,1,2,3,4"),
        "names that do not fit are left out"
    );
    h.get_by_label("class names gives 3 names but the labels run 0..4 (5 classes)");
    assert_eq!(
        h.get_all_by_label("0").count(),
        2,
        "captions are the values"
    );
    // The line under the field is always there: the rows below stay where they were (issue 22, 8).
    let links = h.get_by_label("follow symlinked folders").rect();

    // Five names typed into the field, then Enter: the captions and the histogram's classes take them.
    classes_field(&h, "cat,dog,eel").focus();
    h.step();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.step();
    classes_field(&h, "cat,dog,eel").type_text("cat,dog,eel,fox,gnu");
    h.step();
    h.key_press(egui::Key::Enter);
    common::gui::step_until(&mut h, "the named batch", |app| {
        ready_names(app).is_some_and(|n| n == names_of("cat,dog,eel,fox,gnu"))
    });
    assert_eq!(h.get_all_by_label("0 cat").count(), 2);
    assert_eq!(h.get_all_by_label("4 gnu").count(), 1);
    assert_eq!(h.state().batch_histogram(), [2, 1, 1, 1, 1]);
    assert!(
        h.query_by_label_contains("class names gives").is_none(),
        "the error is gone once the names fit"
    );
    h.get_by_label("labels 0..4: 5 names");
    assert_eq!(h.get_by_label("follow symlinked folders").rect(), links);
}

#[test]
fn the_viewer_names_a_saved_dataset_and_refuses_float_labels_beside_the_field() {
    use egui_kittest::kittest::{NodeT as _, Queryable as _};
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("saved");
    saved_pairs(&saved, &[2, 0, 1, 2]);
    let mut settings = batchscope::app::Settings::default();
    settings.load.index.class_names = Some(names_of("low,mid,high"));
    let mut h = common::gui::harness_with(&saved, settings.clone());
    common::gui::step_until(&mut h, "the batch", |app| ready_names(app).is_some());
    assert_eq!(ready_names(h.state()).unwrap(), names_of("low,mid,high"));
    assert_eq!(h.get_all_by_label("2 high").count(), 2);
    assert_eq!(h.get_all_by_label("0 low").count(), 1);
    assert_eq!(h.state().batch_histogram(), [1, 1, 2]);

    // Float labels: the dataset opens, unnamed, and the field says what its labels are.
    let floats: Vec<u8> = (0..6)
        .flat_map(|v| (v as f32 * 0.5).to_le_bytes())
        .collect();
    let data = npz(dir.path(), &npy_file(NpyDtype::F32, &[6], &floats));
    let mut h = common::gui::harness_with(&data, settings);
    common::gui::step_until(&mut h, "the batch", |app| ready_names(app).is_some());
    let why = "class names names integer labels 0..K-1, and the labels \"labels\" of the arrays of data.npz are float32 (N,), not integer classes";
    h.get_by_label(why);
    let disabled_fields = |h: &egui_kittest::Harness<'_, batchscope::app::BatchscopeApp>| {
        h.get_all_by_role(egui::accesskit::Role::TextInput)
            .filter(|n| n.accesskit_node().is_disabled())
            .count()
    };
    assert_eq!(disabled_fields(&h), 0, "names set can still be cleared");

    // Without names set, the field is disabled there, saying why.
    let mut h = common::gui::harness_with(&data, batchscope::app::Settings::default());
    common::gui::step_until(&mut h, "the batch", |app| ready_names(app).is_some());
    h.get_by_label(why);
    assert_eq!(disabled_fields(&h), 1);
}
