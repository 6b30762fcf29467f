//! Webdataset tar shards opened as a dataset (`source::open`) and exported: samples grouped by key,
//! the image picked by extension, labels from `.cls`, `.txt` and `.json`, one file, a folder, a glob
//! and a brace pattern, gzip shards read forward (and refusing a shuffle), and hostile shards (a
//! member of the wrong size, a member claiming 5 GiB, a corrupt header). The shards are written
//! here with the `tar` crate; the last test has Python's `tarfile` write them (PAX headers, long
//! names, folders), skipped with a printed reason without `python3`.

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.

mod common;

use std::io::{Seek as _, SeekFrom, Write as _};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use batchscope::index::{DatasetIndex, WalkControl};
use batchscope::load::preprocess::Element;
use batchscope::load::spec::{self, SizeCheck};
use batchscope::options::{IndexOptions, LoadOptions, SourceKind};
use batchscope::source::{self, Limits, SourceError};
use common::{index_warnings, label_values, sample_labels};

/// Counts live bytes, so that a test can cap what opening a hostile shard may allocate.
#[global_allocator]
static ALLOC: cap::Cap<std::alloc::System> = cap::Cap::new(std::alloc::System, usize::MAX);

/// A plain tar holding `members` (name, bytes) in order.
fn tar_of(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, data) in members {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        builder
            .append_data(&mut header, name, data.as_slice())
            .unwrap();
    }
    builder.into_inner().unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn png(seed: u32) -> Vec<u8> {
    common::png_bytes(5, 4, seed)
}

/// The pixels of [`png`]`(seed)`, as the export writes them (RGB, height 4, width 5).
fn pixels(seed: u32) -> Vec<u8> {
    common::pattern(5, 4, seed).into_raw()
}

fn open(path: &Path, options: &IndexOptions) -> Result<DatasetIndex, SourceError> {
    common::open_dataset(path, options)
}

fn open_within(path: &Path, max_record_bytes: u64) -> Result<DatasetIndex, SourceError> {
    let never = AtomicBool::new(false);
    source::open_within(
        path,
        &IndexOptions::default(),
        Limits { max_record_bytes },
        &WalkControl {
            on_progress: &|_| {},
            cancel: &never,
        },
    )
}

fn names(index: &DatasetIndex) -> Vec<String> {
    index
        .samples
        .iter()
        .map(|s| s.rel_path.to_string_lossy().into_owned())
        .collect()
}

/// Three samples with `.cls` labels, one of them without an image, keys in a folder of the tar.
fn cls_shard() -> Vec<u8> {
    tar_of(&[
        ("s/000.png", png(0)),
        ("s/000.cls", b"2\n".to_vec()),
        ("s/000.json", br#"{"label": 9}"#.to_vec()),
        ("s/001.cls", b"0".to_vec()),
        ("s/001.txt", b"no picture".to_vec()),
        ("s/002.png", png(2)),
        ("s/002.cls", b"1".to_vec()),
    ])
}

#[test]
fn a_shard_exports_each_keys_image_and_cls_label_and_lists_a_sample_without_image() {
    let dir = tempfile::tempdir().unwrap();
    let shard = common::write(dir.path(), "train.tar", &cls_shard());
    assert_eq!(source::detect(&shard), SourceKind::Wds);
    let index = open(&shard, &IndexOptions::default()).unwrap();
    assert_eq!(names(&index), ["train.tar#s/000", "train.tar#s/002"]);
    assert_eq!(index.class_names, ["0", "1", "2"]);
    assert_eq!(sample_labels(&index), [Some(2), Some(1)]);
    assert_eq!(index.label_values, Some(vec![0, 1, 2]));
    assert!(index.store.capabilities().sequential_only.is_none());
    let no_image = r#"sample "s/001": no image (looked for .jpg .jpeg .png .webp .bmp; it holds .cls .txt); it is left out"#;
    assert_eq!(
        index_warnings(&index),
        [(shard.clone(), no_image.to_owned())]
    );

    let out = dir.path().join("out");
    let report = common::export_source(&shard, &out, IndexOptions::default()).unwrap();
    assert_eq!(report.exported, 2);
    let images = common::read_npy(&out.join("images.npy"));
    assert_eq!(
        (images.descr.as_str(), &images.shape[..]),
        ("|u1", &[2, 4, 5, 3][..])
    );
    assert_eq!(images.data, [pixels(0), pixels(2)].concat());
    assert_eq!(label_values(&out.join("labels.npy")), [2, 1]);
    assert_eq!(
        common::skipped(&out),
        [vec![
            shard.to_string_lossy().into_owned(),
            no_image.to_owned()
        ]]
    );
}

#[test]
fn the_command_line_exports_a_brace_pattern_of_shards() {
    let dir = tempfile::tempdir().unwrap();
    for k in 0..3u32 {
        let members = [
            (format!("{k}.png"), png(k)),
            (format!("{k}.cls"), k.to_string().into_bytes()),
        ];
        let members: Vec<(&str, Vec<u8>)> = members
            .iter()
            .map(|(n, b)| (n.as_str(), b.clone()))
            .collect();
        common::write(dir.path(), &format!("shard-{k:06}.tar"), &tar_of(&members));
    }
    let pattern = dir.path().join("shard-{000000..000002}.tar");
    let out = dir.path().join("out");
    let s = |p: &Path| p.to_str().unwrap().to_owned();
    common::batchscope_ok(&["export", &s(&pattern), "--out", &s(&out)]);
    let images = common::read_npy(&out.join("images.npy"));
    assert_eq!(images.data, [pixels(0), pixels(1), pixels(2)].concat());
    assert_eq!(label_values(&out.join("labels.npy")), [0, 1, 2]);
    // `--source wds` names it too; a shuffle of plain tars is allowed.
    let out2 = dir.path().join("out2");
    common::batchscope_ok(&[
        "export",
        &s(&pattern),
        "--source",
        "wds",
        "--shuffle",
        "--seed",
        "3",
        "--out",
        &s(&out2),
    ]);
    let mut got = label_values(&out2.join("labels.npy"));
    got.sort_unstable();
    assert_eq!(got, [0, 1, 2]);
}

#[test]
fn braces_globs_and_folders_name_the_same_shards_and_a_missing_one_is_warned() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("shards");
    for k in [0u32, 2] {
        let shard = tar_of(&[(&format!("k{k}.png"), png(k))]);
        common::write(&root, &format!("shard-{k:06}.tar"), &shard);
    }
    common::write(&root, "readme.md", b"not a shard");
    let expected = ["shard-000000.tar#k0", "shard-000002.tar#k2"];
    let braces = root.join("shard-{000000..000002}.tar");
    let glob = root.join("shard-*.tar");
    for path in [&braces, &glob, &root] {
        assert_eq!(source::detect(path), SourceKind::Wds, "{path:?}");
        let index = open(path, &IndexOptions::default()).unwrap();
        assert_eq!(names(&index), expected, "{path:?}");
        assert!(!index.labeled);
        assert!(index.class_names.is_empty());
    }
    let index = open(&braces, &IndexOptions::default()).unwrap();
    assert_eq!(
        index_warnings(&index),
        [(
            root.join("shard-000001.tar"),
            "not there: the pattern names it".to_owned()
        )]
    );
    assert!(
        open(&glob, &IndexOptions::default())
            .unwrap()
            .warnings
            .is_empty()
    );
    let none = open(&root.join("other-*.tar"), &IndexOptions::default()).unwrap_err();
    assert_eq!(
        none.to_string(),
        format!(
            "no WebDataset shards (*.tar, *.tar.gz, *.tgz) at {:?}",
            root.join("other-*.tar")
        )
    );
}

#[test]
fn a_gzip_shard_reads_forward_and_refuses_a_shuffle() {
    let dir = tempfile::tempdir().unwrap();
    let shard = common::write(dir.path(), "train.tar.gz", &gzip(&cls_shard()));
    assert_eq!(source::detect(&shard), SourceKind::Wds);
    let index = open(&shard, &IndexOptions::default()).unwrap();
    assert_eq!(names(&index), ["train.tar.gz#s/000", "train.tar.gz#s/002"]);
    let images = index.store.images().unwrap();
    assert_eq!(images.describe(), "1 WebDataset shard, gzip");
    // Asked backwards and twice: each answer is its own image's bytes.
    let got: Vec<Vec<u8>> = images
        .read(&[1, 0, 1], u64::MAX)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(got, [png(2), png(0), png(2)]);
    let over = images.read(&[0], png(0).len() as u64 - 1);
    assert!(
        over[0].as_ref().unwrap_err().contains("over the limit of"),
        "{over:?}"
    );

    let mut options = LoadOptions::default();
    options.plan.shuffle = true;
    options.plan.seed = Some(5);
    let never = AtomicBool::new(false);
    let err = spec::prepare(
        Arc::new(index),
        &options,
        Element::default(),
        SizeCheck::AllFiles,
        &never,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with(
            "--shuffle needs rows read at random, but 1 WebDataset shard, gzip is compressed"
        ),
        "{err}"
    );
}

#[test]
fn labels_come_from_txt_or_a_json_field_and_the_image_by_extension_order() {
    let dir = tempfile::tempdir().unwrap();
    let jpeg = common::jpeg_bytes(8, 8, 1);
    let shard = common::write(
        dir.path(),
        "t.tar",
        &tar_of(&[
            ("a.png", png(0)),
            ("a.jpg", jpeg.clone()),
            ("a.txt", b"dog\n".to_vec()),
            ("a.json", br#"{"y": 7, "name": "x"}"#.to_vec()),
            ("b.webp.unknown", b"ignored".to_vec()),
            ("b.png", png(1)),
            ("b.txt", b"cat".to_vec()),
            ("b.json", br#"{"y": -3}"#.to_vec()),
            ("c.PNG", png(2)),
            ("c.txt", b"dog".to_vec()),
            ("c.json", br#"{"y": "seven"}"#.to_vec()),
        ]),
    );
    let index = open(&shard, &IndexOptions::default()).unwrap();
    assert_eq!(index.class_names, ["cat", "dog"]);
    assert_eq!(sample_labels(&index), [Some(1), Some(0), Some(1)]);
    assert_eq!(index.label_values, None);
    // `.jpg` comes before `.png` in the order images are picked; extensions are lowercased.
    let images = index.store.images().unwrap();
    let header = |k| images.header(k, Path::new("")).unwrap().0;
    assert_eq!(
        [header(0), header(1), header(2)],
        [
            image::ImageFormat::Jpeg,
            image::ImageFormat::Png,
            image::ImageFormat::Png
        ]
    );
    assert_eq!(images.read(&[0], u64::MAX)[0].as_ref().unwrap(), &jpeg);

    // `--label-key y` reads the JSON field; one of its values is text, so every label is read as
    // text, one class per distinct text in sorted order.
    let options = IndexOptions {
        label_key: Some("y".to_owned()),
        ..IndexOptions::default()
    };
    let index = open(&shard, &options).unwrap();
    assert_eq!(index.class_names, ["-3", "7", "seven"]);
    assert_eq!(sample_labels(&index), [Some(1), Some(0), Some(2)]);

    // `--label-key name`: only `a` has it, so the others are left out, each with why.
    let options = IndexOptions {
        label_key: Some("name".to_owned()),
        ..IndexOptions::default()
    };
    let index = open(&shard, &options).unwrap();
    assert_eq!(names(&index), ["t.tar#a"]);
    assert_eq!(index.class_names, ["x"]);
    let left_out = |key: &str| {
        (
            shard.clone(),
            format!("sample {key:?}: no label while other samples have one; it is left out"),
        )
    };
    assert_eq!(index_warnings(&index), [left_out("b"), left_out("c")]);

    // `--label-key none`: no labels at all.
    let options = IndexOptions {
        label_key: Some("none".to_owned()),
        ..IndexOptions::default()
    };
    let index = open(&shard, &options).unwrap();
    assert!(!index.labeled);
    assert_eq!(sample_labels(&index), [None, None, None]);
}

#[test]
fn a_cls_that_is_not_an_integer_leaves_its_sample_out() {
    let dir = tempfile::tempdir().unwrap();
    let shard = common::write(
        dir.path(),
        "t.tar",
        &tar_of(&[
            ("a.png", png(0)),
            ("a.cls", b"4".to_vec()),
            ("b.png", png(1)),
            ("b.cls", b"four".to_vec()),
        ]),
    );
    let index = open(&shard, &IndexOptions::default()).unwrap();
    assert_eq!(names(&index), ["t.tar#a"]);
    assert_eq!(
        index_warnings(&index),
        [(
            shard.clone(),
            r#"sample "b": its .cls member "four" is not an integer; it is left out"#.to_owned()
        )]
    );
}

#[test]
fn a_truncated_member_keeps_the_samples_before_it_and_names_the_member() {
    let dir = tempfile::tempdir().unwrap();
    let whole = tar_of(&[
        ("a.png", png(0)),
        ("a.cls", b"0".to_vec()),
        ("b.png", png(1)),
        ("b.cls", b"1".to_vec()),
    ]);
    // The file ends 10 bytes into b.png's data: its header claims more than the file holds. Before
    // it: a.png's header and data, a.cls's header and data, b.png's header.
    let b_data = 512 + png(0).len().div_ceil(512) * 512 + 2 * 512 + 512;
    let cut = b_data + 10;
    for (name, bytes) in [
        ("cut.tar", whole[..cut].to_vec()),
        ("cut.tar.gz", gzip(&whole[..cut])),
    ] {
        let shard = common::write(dir.path(), name, &bytes);
        let index = open(&shard, &IndexOptions::default()).unwrap();
        assert_eq!(names(&index), [format!("{name}#a")], "{name}");
        let b_size = png(1).len();
        assert_eq!(
            index_warnings(&index),
            [
                (
                    shard.clone(),
                    format!(
                        r#"member 2: "b.png": truncated: the member declares {b_size} bytes, the file has 10; the rest of the file is not read"#
                    )
                ),
                (
                    shard.clone(),
                    r#"sample "b": the shard stops while its members are read; it is left out"#
                        .to_owned()
                ),
            ],
            "{name}"
        );
    }

    // A header whose size is a block too large: the next "header" is a.cls's data, so the shard
    // stops there, naming the member; the sample read so far is left out.
    let mut short = whole.clone();
    let mut header = tar::Header::from_byte_slice(&short[..512]).clone();
    header.set_size(png(0).len() as u64 + 512);
    header.set_cksum();
    short[..512].copy_from_slice(header.as_bytes());
    let shard = common::write(dir.path(), "short.tar", &short);
    let err = open(&shard, &IndexOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("no usable sample (2 problems; the first: member 1: unreadable header:"),
        "{err}"
    );
}

#[test]
fn a_member_claiming_5_gib_is_passed_without_being_held() {
    const HUGE: u64 = 5 << 30;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.tar");
    // a: a sample; b.png: a header claiming 5 GiB over a hole (a sparse file, nothing on disk);
    // c: a sample after it.
    let a = tar_of(&[("a.png", png(0)), ("a.cls", b"0".to_vec())]);
    let c = tar_of(&[("c.png", png(2)), ("c.cls", b"1".to_vec())]);
    let mut b = tar::Header::new_gnu();
    b.set_path("b.png").unwrap();
    b.set_size(HUGE);
    b.set_mode(0o644);
    b.set_cksum();
    let mut file = std::fs::File::create(&path).unwrap();
    let a_members = a.len() - 1024; // without its two end blocks
    file.write_all(&a[..a_members]).unwrap();
    file.write_all(b.as_bytes()).unwrap();
    file.seek(SeekFrom::Current(i64::try_from(HUGE).unwrap()))
        .unwrap();
    file.write_all(&c).unwrap();
    drop(file);

    // Within the default limit (1 GiB per image): b is left out by its size, and c is still found.
    let budget = ALLOC.allocated() + (256 << 20);
    ALLOC.set_limit(budget).unwrap();
    let opened = open_within(&path, 1 << 30);
    ALLOC.set_limit(usize::MAX).unwrap();
    let index = opened.unwrap();
    assert_eq!(names(&index), ["huge.tar#a", "huge.tar#c"]);
    assert_eq!(
        index_warnings(&index),
        [(
            path.clone(),
            format!(
                r#"sample "b": the image "b.png" is {HUGE} bytes, over the limit of 1073741824 bytes per image (raise it with --max-file-bytes); it is left out"#
            )
        )]
    );

    // With no limit, a gzip shard whose member claims 5 GiB and ends early is read only as far as
    // it goes, never allocated at its claimed size.
    let mut cut = a[..a_members].to_vec();
    cut.extend_from_slice(b.as_bytes());
    cut.extend_from_slice(&[7u8; 3000]);
    let gz = common::write(dir.path(), "huge.tar.gz", &gzip(&cut));
    ALLOC.set_limit(budget).unwrap();
    let opened = open_within(&gz, u64::MAX);
    ALLOC.set_limit(usize::MAX).unwrap();
    let index = opened.unwrap();
    assert_eq!(names(&index), ["huge.tar.gz#a"]);
    assert_eq!(
        index_warnings(&index)[0].1,
        format!(
            r#"member 2: "b.png": truncated: the member declares {HUGE} bytes, the file has 3000; the rest of the file is not read"#
        )
    );
}

#[test]
fn cancelling_stops_opening() {
    let dir = tempfile::tempdir().unwrap();
    let shard = common::write(dir.path(), "t.tar", &cls_shard());
    let cancelled = AtomicBool::new(true);
    let err = source::open(
        &shard,
        &IndexOptions::default(),
        &WalkControl {
            on_progress: &|_| {},
            cancel: &cancelled,
        },
    )
    .unwrap_err();
    assert!(err.is_cancelled(), "{err}");
}

const PYTHON_TARFILE: &str = r#"
import io, os, sys, tarfile
src, out = sys.argv[1], sys.argv[2]
long_dir = "a-folder-name-long-enough-that-the-member-names-need-a-pax-header-" + "x" * 60
members = []
for k in range(3):
    members.append((f"{long_dir}/sample{k}.png", open(os.path.join(src, f"{k}.png"), "rb").read()))
    members.append((f"{long_dir}/sample{k}.cls", str(10 + k).encode()))
for name, mode in [("py.tar", "w"), ("py.tar.gz", "w:gz")]:
    with tarfile.open(os.path.join(out, name), mode, format=tarfile.PAX_FORMAT) as tar:
        folder = tarfile.TarInfo(long_dir)
        folder.type = tarfile.DIRTYPE
        tar.addfile(folder)
        for member, data in members:
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
"#;

#[test]
fn shards_written_by_python_tarfile_read_as_written() {
    let test = "shards_written_by_python_tarfile_read_as_written";
    if !common::has_python_module("tarfile", test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    for k in 0..3u32 {
        common::write(&src, &format!("{k}.png"), &png(k));
    }
    common::run_python(
        PYTHON_TARFILE,
        &[src.to_str().unwrap(), dir.path().to_str().unwrap()],
    );
    for name in ["py.tar", "py.tar.gz"] {
        let shard = dir.path().join(name);
        let index = open(&shard, &IndexOptions::default()).unwrap();
        assert_eq!(index.samples.len(), 3, "{name}");
        assert!(
            names(&index)[0].ends_with("x/sample0"),
            "{name}: {:?}",
            names(&index)
        );
        assert!(index.warnings.is_empty(), "{name}: {:?}", index.warnings);
        let out = dir.path().join(format!("out-{name}"));
        common::export_source(&shard, &out, IndexOptions::default()).unwrap();
        let images = common::read_npy(&out.join("images.npy"));
        assert_eq!(
            images.data,
            [pixels(0), pixels(1), pixels(2)].concat(),
            "{name}"
        );
        assert_eq!(
            label_values(&out.join("labels.npy")),
            [10, 11, 12],
            "{name}"
        );
    }
}
