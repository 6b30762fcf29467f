//! Class and file order on trees built to catch every ordering rule Keras follows.

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.
mod common;

use batchscope::index::{self, IndexError};
use batchscope::options::{IndexOptions, LabelSource};
use common::{gray, write};

fn tiny(root: &std::path::Path, rel: &str) {
    common::save_as(root, rel, &gray(1, 1, |_, _| 0), image::ImageFormat::Png);
}

fn rel_paths(index: &index::DatasetIndex) -> Vec<String> {
    index
        .samples
        .iter()
        .map(|s| s.rel_path.to_string_lossy().into_owned())
        .collect()
}

#[test]
fn class_names_are_sorted_by_code_point_with_empty_and_without_hidden() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for class in ["a b", "émile", "_x", "a", "A", "2", "10"] {
        tiny(root, &format!("{class}/img.png"));
    }
    std::fs::create_dir_all(root.join("empty")).unwrap();
    tiny(root, ".hidden/img.png");
    tiny(root, "loose.png");
    let index = index::scan(root, &IndexOptions::default()).unwrap();
    assert_eq!(
        index.class_names,
        ["10", "2", "A", "_x", "a", "a b", "empty", "émile"]
    );
    let labels: Vec<_> = index.samples.iter().map(|s| s.label.unwrap()).collect();
    // "empty" (label 6) uses up a label but has no files; root files are ignored.
    assert_eq!(labels, [0, 1, 2, 3, 4, 5, 7]);
    assert_eq!(index.class_counts(), [1, 1, 1, 1, 1, 1, 0, 1]);
}

#[test]
fn files_follow_directory_byte_order_then_name() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for rel in [
        "c/z.png",
        "c/b.JPG",
        "c/sub/deep/x.png",
        "c/sub-2/y.jpeg",
        "c/sub/m.gif",
        "c/.hid/h.bmp",
        "c/.dot.png",
        "c/a.PnG",
    ] {
        tiny(root, rel);
    }
    write(root, "c/notes.txt", b"not an image");
    write(root, "c/pic.webp", b"RIFF");
    let index = index::scan(root, &IndexOptions::default()).unwrap();
    assert_eq!(
        rel_paths(&index),
        [
            // c itself first: its files by name (byte order: '.' < 'a' < 'b' < 'z').
            "c/.dot.png",
            "c/a.PnG",
            "c/b.JPG",
            "c/z.png",
            // then directories by full path: ".hid" < "sub" < "sub-2" < "sub/deep" ('-' < '/').
            "c/.hid/h.bmp",
            "c/sub/m.gif",
            "c/sub-2/y.jpeg",
            "c/sub/deep/x.png",
        ]
    );
}

#[test]
fn extra_formats_are_opt_in() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "c/a.webp", b"x");
    write(dir.path(), "c/b.TIFF", b"x");
    assert!(
        index::scan(dir.path(), &IndexOptions::default())
            .unwrap()
            .samples
            .is_empty()
    );
    let options = IndexOptions {
        extra_formats: true,
        ..IndexOptions::default()
    };
    assert_eq!(
        rel_paths(&index::scan(dir.path(), &options).unwrap()),
        ["c/a.webp", "c/b.TIFF"]
    );
}

#[test]
fn labels_none_takes_root_files_first_then_every_folder() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for rel in ["b.png", "a/x.png", "a.png", ".h/y.png"] {
        tiny(root, rel);
    }
    let options = IndexOptions {
        labels: LabelSource::None,
        ..IndexOptions::default()
    };
    let index = index::scan(root, &options).unwrap();
    assert_eq!(rel_paths(&index), ["a.png", "b.png", ".h/y.png", "a/x.png"]);
    assert!(index.class_names.is_empty());
    assert!(index.samples.iter().all(|s| s.label.is_none()));
}

#[test]
fn class_names_option_reorders_and_restricts() {
    let dir = tempfile::tempdir().unwrap();
    for class in ["cat", "dog", "eel"] {
        tiny(dir.path(), &format!("{class}/1.png"));
    }
    let options = IndexOptions {
        class_names: Some(vec!["eel".into(), "cat".into()]),
        ..IndexOptions::default()
    };
    let index = index::scan(dir.path(), &options).unwrap();
    assert_eq!(index.class_names, ["eel", "cat"]);
    assert_eq!(rel_paths(&index), ["eel/1.png", "cat/1.png"]);
    assert_eq!(index.samples[0].label, Some(0));

    let options = IndexOptions {
        class_names: Some(vec!["cow".into()]),
        ..IndexOptions::default()
    };
    let err = index::scan(dir.path(), &options).unwrap_err();
    assert!(matches!(err, IndexError::UnknownClass { .. }));
    assert_eq!(
        err.to_string(),
        "class \"cow\" is not a subdirectory of the dataset folder; the classes there are: cat, dog, eel"
    );
}

#[test]
fn symlinked_class_is_a_class_but_inner_links_need_follow_links() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("data");
    let outside = dir.path().join("outside");
    tiny(&outside, "o.png");
    tiny(&root, "real/r.png");
    std::os::unix::fs::symlink(&outside, root.join("linked")).unwrap();
    std::os::unix::fs::symlink(&outside, root.join("real/inner")).unwrap();
    // A loop: real/loop -> real.
    std::os::unix::fs::symlink(root.join("real"), root.join("real/loop")).unwrap();

    let index = index::scan(&root, &IndexOptions::default()).unwrap();
    assert_eq!(index.class_names, ["linked", "real"]);
    assert_eq!(rel_paths(&index), ["linked/o.png", "real/r.png"]);

    let options = IndexOptions {
        follow_links: true,
        ..IndexOptions::default()
    };
    let index = index::scan(&root, &options).unwrap();
    assert_eq!(
        rel_paths(&index),
        ["linked/o.png", "real/r.png", "real/inner/o.png"]
    );
    assert_eq!(index.warnings.len(), 1, "{:?}", index.warnings);
    assert!(index.warnings[0].reason.contains("symlink loop"));
    assert!(index.warnings[0].path.ends_with("real/loop"));
}

#[test]
fn missing_folder_and_file_root_are_errors_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let err = index::scan(&missing, &IndexOptions::default()).unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");
    let file = write(dir.path(), "f.png", b"x");
    assert!(matches!(
        index::scan(&file, &IndexOptions::default()),
        Err(IndexError::NotADirectory(_))
    ));
}

/// Issue 9: Keras takes a file by `name.lower().endswith(ext)`, so a file named exactly `.png` or `.JPG`
/// is an image to it (checked against TensorFlow 2.21: `c/.JPG`, `c/.hidden.png`, `c/.png`, `c/x.png`,
/// `c/.h/.gif` are taken, `c/png` is not). `Path::extension` sees no extension in `.png`.
#[test]
fn a_file_named_only_an_extension_is_taken_as_keras_does() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for rel in [
        "c/.png",
        "c/.JPG",
        "c/.hidden.png",
        "c/x.png",
        "c/.h/.gif",
        "c/png",
        "c/x.",
    ] {
        tiny(root, rel);
    }
    let index = index::scan(root, &IndexOptions::default()).unwrap();
    assert_eq!(
        rel_paths(&index),
        ["c/.JPG", "c/.hidden.png", "c/.png", "c/x.png", "c/.h/.gif"]
    );
    let options = IndexOptions {
        extra_formats: true,
        ..IndexOptions::default()
    };
    write(root, "c/.webp", b"x");
    let index = index::scan(root, &options).unwrap();
    assert!(rel_paths(&index).contains(&"c/.webp".to_owned()));
}
