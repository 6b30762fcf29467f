//! `batchscope list` (issue 24): exact rows in CSV and JSON, each filter and sort through the
//! command line, the health columns on planted dark and light images, and the errors that name
//! what is wrong; `export --corrections` and `--only` (their errors name the path or class).

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.

mod common;

use std::path::Path;

use common::{batchscope, pattern, rgb, save};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `cat`: 0.png, 1.png, 2.png; `dog`: 3.png, 4.png; `emu`: deep/5.png. All 4 wide, 3 high.
fn folder(root: &Path) {
    for (i, rel) in [
        "cat/0.png",
        "cat/1.png",
        "cat/2.png",
        "dog/3.png",
        "dog/4.png",
        "emu/deep/5.png",
    ]
    .iter()
    .enumerate()
    {
        save(root, rel, &pattern(4, 3, i as u32));
    }
}

/// stdout of a run that must succeed.
fn stdout_of(args: &[&str]) -> String {
    let out = batchscope(args);
    assert!(
        out.status.success(),
        "batchscope {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// stderr of a run that must fail with `code`.
fn error_of(args: &[&str], code: i32) -> String {
    let out = batchscope(args);
    assert_eq!(out.status.code(), Some(code), "batchscope {args:?}");
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn list_csv_gives_every_sample_in_dataset_order() {
    let dir = tempfile::tempdir().unwrap();
    folder(dir.path());
    assert_eq!(
        stdout_of(&["list", s(dir.path()), "--format", "csv"]),
        "index,path,label,class_name,subset\n\
         0,cat/0.png,0,cat,\n\
         1,cat/1.png,0,cat,\n\
         2,cat/2.png,0,cat,\n\
         3,dog/3.png,1,dog,\n\
         4,dog/4.png,1,dog,\n\
         5,emu/deep/5.png,2,emu,\n"
    );
}

#[test]
fn list_filters_sorts_and_limits() {
    let dir = tempfile::tempdir().unwrap();
    folder(dir.path());
    let d = s(dir.path());
    let csv = |extra: &[&str]| {
        let mut args = vec!["list", d, "--format", "csv"];
        args.extend_from_slice(extra);
        let text = stdout_of(&args);
        text.lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(csv(&["--class", "dog", "--class", "emu"]), ["3", "4", "5"]);
    assert_eq!(csv(&["--class", "cat", "--path", "*/[12].png"]), ["1", "2"]);
    assert_eq!(csv(&["--path", "deep"]), ["5"]);
    assert_eq!(
        csv(&["--sort", "class", "--desc"]),
        ["5", "3", "4", "0", "1", "2"]
    );
    assert_eq!(
        csv(&["--sort", "path", "--desc", "--limit", "2"]),
        ["5", "4"]
    );
    assert_eq!(
        csv(&["--class", "cat", "--path", "dog"]),
        Vec::<String>::new()
    );
    // A split without a subset lists both sides: int(0.5 * 6) = 3 held out.
    assert_eq!(
        stdout_of(&[
            "list",
            d,
            "--format",
            "csv",
            "--validation-split",
            "0.5",
            "--path",
            "*/[03].png"
        ]),
        "index,path,label,class_name,subset\n0,cat/0.png,0,cat,training\n3,dog/3.png,1,dog,validation\n"
    );
    // With a subset, only its samples.
    assert_eq!(
        csv(&["--validation-split", "0.5", "--subset", "validation"]),
        ["3", "4", "5"]
    );
}

#[test]
fn list_json_rows() {
    let dir = tempfile::tempdir().unwrap();
    folder(dir.path());
    let text = stdout_of(&["list", s(dir.path()), "--format", "json", "--class", "emu"]);
    assert_eq!(
        text,
        "[\n  {\"index\":5,\"path\":\"emu/deep/5.png\",\"label\":2,\"class_name\":\"emu\",\"subset\":null}\n]\n"
    );
    let none = stdout_of(&[
        "list",
        s(dir.path()),
        "--format",
        "json",
        "--path",
        "nothing",
    ]);
    assert_eq!(none, "[]\n");
    let rows: serde_json::Value =
        serde_json::from_str(&stdout_of(&["list", s(dir.path()), "--format", "json"])).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 6);
}

#[test]
fn list_table_aligns_columns() {
    let dir = tempfile::tempdir().unwrap();
    folder(dir.path());
    assert_eq!(
        stdout_of(&["list", s(dir.path()), "--class", "dog"]),
        "index  path       label  class_name  subset\n\
         3      dog/3.png  1      dog\n\
         4      dog/4.png  1      dog\n"
    );
}

#[test]
fn list_health_measures_flags_and_sorts_by_them() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // A textured image of each brightness level: dark (below 40), mid, light (above 215).
    // Each with a texture of its own, so that no two are near duplicates.
    let textured = |base: u8, a: u32, b: u32| {
        rgb(16, 16, move |x, y| {
            let v = base.saturating_add(((x * a + y * b + x * y) % 16) as u8);
            [v, v.saturating_add(3), v]
        })
    };
    save(root, "a/dark.png", &textured(5, 7, 13));
    save(root, "a/mid.png", &textured(120, 3, 5));
    save(root, "b/light.png", &textured(230, 11, 2));
    save(root, "b/mid2.png", &textured(100, 1, 9));
    let d = s(root);
    let text = stdout_of(&[
        "list",
        d,
        "--format",
        "csv",
        "--health",
        "--no-cache",
        "--sort",
        "brightness",
    ]);
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "index,path,label,class_name,subset,brightness,sharpness,information,width,height,aspect_ratio,duplicate_group_size,leak,flags"
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let paths: Vec<&str> = rows.iter().map(|r| r[1]).collect();
    assert_eq!(
        paths,
        ["a/dark.png", "b/mid2.png", "a/mid.png", "b/light.png"]
    );
    let flags: Vec<&str> = rows.iter().map(|r| r[13]).collect();
    assert_eq!(flags, ["dark", "", "", "light"]);
    for r in &rows {
        assert_eq!(
            (r[8], r[9], r[10], r[11], r[12]),
            ("16", "16", "1.000", "0", "0")
        );
    }
    // --flag implies the pass; values OR, kinds AND.
    let only = |extra: &[&str]| {
        let mut args = vec!["list", d, "--format", "csv", "--no-cache"];
        args.extend_from_slice(extra);
        stdout_of(&args)
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(1).unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        only(&["--flag", "dark", "--flag", "light"]),
        ["a/dark.png", "b/light.png"]
    );
    assert_eq!(
        only(&["--flag", "dark", "--flag", "light", "--class", "b"]),
        ["b/light.png"]
    );
    assert_eq!(
        only(&["--sort", "brightness", "--desc", "--limit", "1"]),
        ["b/light.png"]
    );
    // JSON rows carry the same columns, as numbers and lists.
    let json: serde_json::Value = serde_json::from_str(&stdout_of(&[
        "list",
        d,
        "--format",
        "json",
        "--no-cache",
        "--flag",
        "light",
    ]))
    .unwrap();
    let row = &json.as_array().unwrap()[0];
    let keys: Vec<&str> = row
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 14, "{keys:?}");
    assert_eq!(row["path"], "b/light.png");
    assert_eq!(row["class_name"], "b");
    assert_eq!(row["flags"], serde_json::json!(["light"]));
    assert_eq!(
        (row["width"].as_u64(), row["aspect_ratio"].as_f64()),
        (Some(16), Some(1.0))
    );
    assert!(row["brightness"].as_f64().unwrap() > 215.0);
    assert_eq!(row["leak"], false);
}

#[test]
fn list_tags_come_from_a_corrections_file() {
    let dir = tempfile::tempdir().unwrap();
    folder(&dir.path().join("data"));
    let fixes = dir.path().join("fixes.csv");
    std::fs::write(
        &fixes,
        "path,new_class,tags\ncat/1.png,,odd;blurry\ndog/4.png,cat,blurry\nemu/deep/5.png,,keep\n",
    )
    .unwrap();
    let d = dir.path().join("data");
    let text = stdout_of(&[
        "list",
        s(&d),
        "--format",
        "csv",
        "--corrections",
        s(&fixes),
        "--tag",
        "blurry",
    ]);
    assert_eq!(
        text,
        "index,path,label,class_name,subset,tags\n1,cat/1.png,0,cat,,blurry;odd\n4,dog/4.png,1,dog,,blurry\n"
    );
}

#[test]
fn list_errors_name_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    folder(dir.path());
    let d = s(dir.path());
    assert_eq!(
        error_of(&["list", d, "--class", "cow"], 2),
        "batchscope: error: --class \"cow\" is not a class of this dataset; its classes are \"cat\", \"dog\", \"emu\"\n"
    );
    let err = error_of(&["list", d, "--flag", "fuzzy"], 2);
    assert!(
        err.contains("\"fuzzy\" is not a health finding: expected dark, light, blurry, low_information, grayscale, odd_aspect_ratio, odd_size, duplicate or leak"),
        "{err}"
    );
    let err = error_of(&["list", d, "--tag", "x"], 2);
    assert!(err.contains("--corrections"), "{err}");
    let missing = dir.path().join("nope.csv");
    let err = error_of(&["list", d, "--corrections", s(&missing), "--tag", "x"], 1);
    assert!(
        err.starts_with("batchscope: error: reading the corrections file: "),
        "{err}"
    );
    assert!(err.trim_end().ends_with(&format!("{missing:?}")), "{err}");
}

/// A folder for the corrections tests: three classes, nested folders, distinct 4x3 pictures.
fn class_folder(root: &Path) {
    for (i, rel) in [
        "cat/0.png",
        "cat/1.png",
        "cat/sub/7.png",
        "dog/3.png",
        "dog/4.png",
        "emu/6.png",
        "emu/deep/5.png",
    ]
    .iter()
    .enumerate()
    {
        save(root, rel, &pattern(4, 3, 100 + i as u32));
    }
}

fn export_to(src: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec!["export", s(src), "--out", s(out)];
    args.extend_from_slice(extra);
    let run = batchscope(&args);
    assert!(
        run.status.success(),
        "batchscope {args:?}: {}",
        String::from_utf8_lossy(&run.stderr)
    );
}

fn bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

const CORRECTIONS: &str = "path,old_class,new_class,exclude,tags\n\
    cat/1.png,cat,dog,0,\n\
    dog/4.png,dog,,1,blurry\n\
    emu/deep/5.png,emu,cat,0,\n\
    emu/6.png,emu,,0,keep\n";

#[test]
fn corrections_export_equals_the_export_of_the_folder_fixed_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    class_folder(&a);
    class_folder(&b);
    // b: the files physically moved between class folders, the excluded one deleted.
    std::fs::rename(b.join("cat/1.png"), b.join("dog/1.png")).unwrap();
    std::fs::remove_file(b.join("dog/4.png")).unwrap();
    std::fs::create_dir_all(b.join("cat/deep")).unwrap();
    std::fs::rename(b.join("emu/deep/5.png"), b.join("cat/deep/5.png")).unwrap();
    let fixes = dir.path().join("corrections.csv");
    std::fs::write(&fixes, CORRECTIONS).unwrap();
    for options in [
        &[][..],
        &[
            "--shuffle",
            "--seed",
            "3",
            "--validation-split",
            "0.3",
            "--subset",
            "training",
        ][..],
        &[
            "--shuffle",
            "--seed",
            "3",
            "--validation-split",
            "0.3",
            "--subset",
            "validation",
        ][..],
        &["--label-mode", "categorical"][..],
    ] {
        let (out_a, out_b) = (dir.path().join("out-a"), dir.path().join("out-b"));
        let mut with_fixes = vec!["--corrections", s(&fixes), "--overwrite"];
        with_fixes.extend_from_slice(options);
        export_to(&a, &out_a, &with_fixes);
        let mut plain = vec!["--overwrite"];
        plain.extend_from_slice(options);
        export_to(&b, &out_b, &plain);
        for file in ["images.npy", "labels.npy"] {
            assert!(
                bytes(&out_a.join(file)) == bytes(&out_b.join(file)),
                "{file} differs with {options:?}"
            );
        }
    }
    // Unshuffled: the manifest keeps each sample's own path and its label before the corrections.
    let out = dir.path().join("out-a");
    export_to(&a, &out, &["--corrections", s(&fixes), "--overwrite"]);
    assert_eq!(
        String::from_utf8(bytes(&out.join("manifest.csv"))).unwrap(),
        "index,path,label,class_name,original_label\n\
         0,cat/0.png,0,cat,0\n\
         1,emu/deep/5.png,0,cat,2\n\
         2,cat/sub/7.png,0,cat,0\n\
         3,cat/1.png,1,dog,0\n\
         4,dog/3.png,1,dog,1\n\
         5,emu/6.png,2,emu,2\n"
    );
    assert_eq!(
        String::from_utf8(bytes(&out.join("corrections_applied.csv"))).unwrap(),
        "path,old_class,new_class,exclude,applied\n\
         cat/1.png,cat,dog,0,1\n\
         dog/4.png,dog,dog,1,1\n\
         emu/deep/5.png,emu,cat,0,1\n\
         emu/6.png,emu,emu,0,1\n"
    );
    // Nothing in the dataset changed.
    assert!(a.join("dog/4.png").is_file() && a.join("cat/1.png").is_file());
}

#[test]
fn sharded_corrections_merge_to_the_single_export() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    class_folder(&a);
    let fixes = dir.path().join("corrections.csv");
    std::fs::write(&fixes, CORRECTIONS).unwrap();
    let whole = dir.path().join("whole");
    export_to(&a, &whole, &["--corrections", s(&fixes)]);
    let sharded = dir.path().join("sharded");
    for shard in ["0/2", "1/2"] {
        export_to(
            &a,
            &sharded,
            &["--corrections", s(&fixes), "--shard", shard],
        );
    }
    let merged = batchscope(&["merge", s(&sharded)]);
    assert!(
        merged.status.success(),
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
    for file in [
        "images.npy",
        "labels.npy",
        "manifest.csv",
        "corrections_applied.csv",
    ] {
        assert!(
            bytes(&whole.join(file)) == bytes(&sharded.join(file)),
            "{file} differs"
        );
    }
}

#[test]
fn corrections_errors_name_the_path_or_the_class() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    class_folder(&a);
    let fixes = dir.path().join("fix.csv");
    let out = dir.path().join("out");
    let run = |text: &str| {
        std::fs::write(&fixes, text).unwrap();
        error_of(
            &[
                "export",
                s(&a),
                "--out",
                s(&out),
                "--corrections",
                s(&fixes),
            ],
            1,
        )
    };
    assert_eq!(
        run("path,new_class\ncat/0.png,dog\ncat/9.png,dog\n"),
        format!(
            "batchscope: error: line 3 of the corrections file: \"cat/9.png\" is not a sample of this dataset (paths are relative to its root, with /, as in manifest.csv): {fixes:?}\n"
        )
    );
    assert_eq!(
        run("path,new_class\ncat/0.png,cow\n"),
        format!(
            "batchscope: error: line 2 of the corrections file: \"cow\" is not a class of this dataset; its classes are \"cat\", \"dog\", \"emu\": {fixes:?}\n"
        )
    );
    assert_eq!(
        run("path\ncat/0.png\n"),
        format!(
            "batchscope: error: the corrections file has no \"new_class\" column (its header must name path and new_class): {fixes:?}\n"
        )
    );
    assert!(!out.exists(), "a refused export writes nothing");
}

#[test]
fn only_exports_the_listed_samples_in_plan_order() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    class_folder(&a);
    // What list writes is what --only reads.
    let listed = stdout_of(&[
        "list",
        s(&a),
        "--format",
        "csv",
        "--path",
        "*/[1357].png",
        "--sort",
        "path",
        "--desc",
    ]);
    let only = dir.path().join("only.csv");
    std::fs::write(&only, &listed).unwrap();
    let out = dir.path().join("out");
    export_to(&a, &out, &["--only", s(&only)]);
    let paths: Vec<String> = common::manifest(&out)
        .iter()
        .map(|r| r[1].clone())
        .collect();
    assert_eq!(
        paths,
        ["cat/1.png", "cat/sub/7.png", "dog/3.png", "emu/deep/5.png"]
    );
    // One path per line gives the same arrays; sharded and merged too.
    let lines = dir.path().join("only.txt");
    std::fs::write(
        &lines,
        "emu/deep/5.png\ncat/1.png\n\ndog/3.png\ncat/sub/7.png\n",
    )
    .unwrap();
    let out2 = dir.path().join("out2");
    export_to(&a, &out2, &["--only", s(&lines)]);
    let sharded = dir.path().join("sharded");
    for shard in ["0/3", "1/3", "2/3"] {
        export_to(&a, &sharded, &["--only", s(&lines), "--shard", shard]);
    }
    assert!(batchscope(&["merge", s(&sharded)]).status.success());
    for file in ["images.npy", "labels.npy", "manifest.csv"] {
        assert!(bytes(&out.join(file)) == bytes(&out2.join(file)), "{file}");
        assert!(
            bytes(&out.join(file)) == bytes(&sharded.join(file)),
            "{file} (merged)"
        );
    }
    // A path that names no sample is an error naming it.
    std::fs::write(&lines, "cat/1.png\ncat/nope.png\n").unwrap();
    let err = error_of(
        &[
            "export",
            s(&a),
            "--out",
            s(&dir.path().join("out3")),
            "--only",
            s(&lines),
        ],
        1,
    );
    assert_eq!(
        err,
        format!(
            "batchscope: error: 1 of 2 paths of the --only list name no sample of this export (first: \"cat/nope.png\"; paths are relative to the dataset root, with /, as in manifest.csv): {lines:?}\n"
        )
    );
}

/// The free-space check counts what corrections add: the estimate is the bytes written.
#[test]
fn corrections_export_estimate_is_the_bytes_written() {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    class_folder(&a);
    let fixes = dir.path().join("corrections.csv");
    std::fs::write(&fixes, CORRECTIONS).unwrap();
    let cancel = Arc::new(AtomicBool::new(false));
    let control = batchscope::index::WalkControl {
        on_progress: &|_| {},
        cancel: &cancel,
    };
    let options = batchscope::options::LoadOptions::default();
    let index = batchscope::source::open(&a, &options.index, &control).unwrap();
    let corrections = batchscope::query::Corrections::read(&fixes).unwrap();
    let (index, pending) = batchscope::export::corrections::apply(&index, &corrections).unwrap();
    let job = batchscope::load::spec::prepare(
        Arc::new(index),
        &options,
        batchscope::load::preprocess::Element::default(),
        batchscope::load::spec::SizeCheck::AllFiles,
        &cancel,
    )
    .unwrap();
    let (job, applied) = pending.finish(&job);
    let plan = batchscope::export::plan_export(&job, batchscope::options::LabelMode::Int).unwrap();
    let expected = plan.total_bytes + batchscope::export::corrections::extra_bytes(&job, &applied);
    let export_options = batchscope::export::ExportOptions {
        out: dir.path().join("out"),
        label_mode: batchscope::options::LabelMode::Int,
        overwrite: false,
        strict: false,
        queue_bytes: 64 << 20,
        excluded: Vec::new(),
        arrays: batchscope::export::ArrayOptions::default(),
        shard: None,
        corrections: Some(Arc::new(applied)),
        boxes: batchscope::export::BoxOptions::default(),
    };
    let report =
        batchscope::export::export(&Arc::new(job), &export_options, &mut |_| {}, &cancel).unwrap();
    let written: u64 = report.files.iter().map(|(_, len)| len).sum();
    assert_eq!(expected, written, "{:?}", report.files);
    assert!(
        report
            .files
            .iter()
            .any(|(p, _)| p.ends_with("corrections_applied.csv"))
    );
}
