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
