//! `--layout nchw`, `--dtype float16` and `--format npz [--compress]`: numpy reads each as the NHWC
//! float32 export transposed and cast as numpy would; an `.npz` holds the `.npy` files byte for byte;
//! shards in these forms merge into the single export's bytes.

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.
mod common;

use std::io::Read as _;
use std::path::Path;

use common::{batchscope, batchscope_ok, pattern, read_npy, save};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// 7 images of 6x5 in two classes, resized to 4x3 so float values have fractions.
fn dataset(root: &Path) {
    for i in 0..7u32 {
        let class = if i < 4 { "cat" } else { "dog" };
        save(root, &format!("{class}/{i}.png"), &pattern(6, 5, i * 13));
    }
}

/// Exports `data` with `--image-size 4x3` and `extra` into `dir/name`; returns the folder.
fn export(data: &Path, dir: &Path, name: &str, extra: &[&str]) -> std::path::PathBuf {
    let out = dir.join(name);
    let mut args = vec!["export", s(data), "--out", s(&out), "--image-size", "4x3"];
    args.extend_from_slice(extra);
    batchscope_ok(&args);
    out
}

#[test]
fn npz_members_are_the_npy_files_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    dataset(&data);
    let npy = export(
        &data,
        dir.path(),
        "npy",
        &["--dtype", "float16", "--layout", "nchw"],
    );
    for (name, compress) in [("stored", &[][..]), ("deflated", &["--compress"][..])] {
        let mut extra = vec!["--dtype", "float16", "--layout", "nchw", "--format", "npz"];
        extra.extend_from_slice(compress);
        let npz = export(&data, dir.path(), name, &extra);
        assert!(!npz.join("images.npy").exists());
        let mut zip =
            zip::ZipArchive::new(std::fs::File::open(npz.join("arrays.npz")).unwrap()).unwrap();
        let names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
        assert_eq!(names, ["images.npy", "labels.npy"]);
        for member in ["images.npy", "labels.npy"] {
            let mut file = zip.by_name(member).unwrap();
            let method = file.compression();
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).unwrap();
            assert_eq!(bytes, std::fs::read(npy.join(member)).unwrap(), "{member}");
            let deflated = method == zip::CompressionMethod::Deflated;
            assert_eq!(deflated, !compress.is_empty(), "{name} {member}");
        }
        for other in ["manifest.csv", "class_names.json", "skipped.csv"] {
            assert_eq!(
                std::fs::read(npz.join(other)).unwrap(),
                std::fs::read(npy.join(other)).unwrap()
            );
        }
    }
    let images = read_npy(&npy.join("images.npy"));
    assert_eq!(
        (images.descr.as_str(), images.shape.as_slice()),
        ("<f2", &[7, 3, 4, 3][..])
    );
}

#[test]
fn shards_in_every_form_merge_into_the_single_export() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    dataset(&data);
    let forms: [&[&str]; 3] = [
        &["--layout", "nchw"],
        &["--dtype", "float16", "--scale", "1"],
        &[
            "--dtype",
            "float16",
            "--layout",
            "nchw",
            "--format",
            "npz",
            "--compress",
        ],
    ];
    for (n, form) in forms.iter().enumerate() {
        let single = export(&data, dir.path(), &format!("single-{n}"), form);
        let out = dir.path().join(format!("sharded-{n}"));
        for shard in ["0/3", "1/3", "2/3"] {
            let mut args = vec!["export", s(&data), "--out", s(&out), "--image-size", "4x3"];
            args.extend_from_slice(&["--shard", shard]);
            args.extend_from_slice(form);
            batchscope_ok(&args);
        }
        batchscope_ok(&["merge", s(&out)]);
        let mut names: Vec<_> = std::fs::read_dir(&single)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        for name in &names {
            assert!(
                std::fs::read(single.join(name)).unwrap() == std::fs::read(out.join(name)).unwrap(),
                "{name:?} of {form:?}"
            );
        }
        assert_eq!(std::fs::read_dir(&out).unwrap().count(), names.len());
    }
}

#[test]
fn forms_that_do_not_apply_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    dataset(&data);
    let out = dir.path().join("out");
    for (args, says) in [
        (&["--compress"][..], "--compress"),
        (&["--dtype", "uint8", "--scale", "1"][..], "--scale 1"),
    ] {
        let mut all = vec!["export", s(&data), "--out", s(&out)];
        all.extend_from_slice(args);
        let run = batchscope(&all);
        assert_eq!(run.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&run.stderr).contains(says));
    }
    // A stored array keeps its dtype and layout.
    let arrays = export(&data, dir.path(), "arrays", &[]);
    let run = batchscope(&[
        "export",
        s(&arrays.join("images.npy")),
        "--out",
        s(&out),
        "--layout",
        "nchw",
    ]);
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("--layout applies to decoded images"));
    // The per-file read cap is for image files; a stored array is read as stored (it was ignored).
    let run = batchscope(&[
        "export",
        s(&arrays.join("images.npy")),
        "--out",
        s(&out),
        "--max-file-bytes",
        "1K",
    ]);
    assert_eq!(run.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("--max-file-bytes applies to decoded images")
    );
    // --format npz applies to stored arrays too: the member is the stored array, byte for byte.
    let npz = dir.path().join("stored-npz");
    batchscope_ok(&[
        "export",
        s(&arrays.join("images.npy")),
        "--out",
        s(&npz),
        "--format",
        "npz",
    ]);
    let mut zip =
        zip::ZipArchive::new(std::fs::File::open(npz.join("arrays.npz")).unwrap()).unwrap();
    let mut member = Vec::new();
    zip.by_name("images.npy")
        .unwrap()
        .read_to_end(&mut member)
        .unwrap();
    assert_eq!(member, std::fs::read(arrays.join("images.npy")).unwrap());
}

#[test]
fn numpy_reads_nchw_float16_and_npz_as_the_float32_export_transposed_and_cast() {
    if !common::has_python_module(
        "numpy",
        "numpy_reads_nchw_float16_and_npz_as_the_float32_export_transposed_and_cast",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    dataset(&data);
    let f32_nhwc = export(&data, dir.path(), "f32", &["--dtype", "float32"]);
    let f32_1 = export(
        &data,
        dir.path(),
        "f32-1",
        &["--dtype", "float32", "--scale", "1"],
    );
    let u8_nhwc = export(&data, dir.path(), "u8", &[]);
    let u8_nchw = export(&data, dir.path(), "u8-nchw", &["--layout", "nchw"]);
    let f16 = export(&data, dir.path(), "f16", &["--dtype", "float16"]);
    let f16_1 = export(
        &data,
        dir.path(),
        "f16-1",
        &["--dtype", "float16", "--scale", "1"],
    );
    let f32_nchw_npz = export(
        &data,
        dir.path(),
        "f32-nchw-npz",
        &["--dtype", "float32", "--layout", "nchw", "--format", "npz"],
    );
    let f16_nchw_npz = export(
        &data,
        dir.path(),
        "f16-nchw-npz",
        &[
            "--dtype",
            "float16",
            "--layout",
            "nchw",
            "--format",
            "npz",
            "--compress",
        ],
    );
    let printed = common::run_python(
        r"
import sys, numpy as np
f32, f32_1, u8, u8_nchw, f16, f16_1, npz32, npz16 = sys.argv[1:]
x = np.load(f'{f32}/images.npy'); y = np.load(f'{f32}/labels.npy')
assert x.dtype == np.float32 and x.shape == (7, 4, 3, 3)
# Fractions survive: the float16 test is not only on integers.
assert (x != np.round(x)).any()
def same(a, b):
    assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, a.shape, b.dtype, b.shape)
    assert a.tobytes() == b.tobytes()
same(np.load(f'{u8_nchw}/images.npy'), np.load(f'{u8}/images.npy').transpose(0, 3, 1, 2))
same(np.load(f'{f16}/images.npy'), x.astype(np.float16))
same(np.load(f'{f16_1}/images.npy'), np.load(f'{f32_1}/images.npy').astype(np.float16))
with np.load(f'{npz32}/arrays.npz') as z:
    assert sorted(z.files) == ['images', 'labels']
    same(z['images'], x.transpose(0, 3, 1, 2))
    same(z['labels'], y)
with np.load(f'{npz16}/arrays.npz') as z:
    same(z['images'], x.transpose(0, 3, 1, 2).astype(np.float16))
    same(z['labels'], y)
print('ok', np.load(f'{f16}/images.npy').dtype)
",
        &[
            s(&f32_nhwc),
            s(&f32_1),
            s(&u8_nhwc),
            s(&u8_nchw),
            s(&f16),
            s(&f16_1),
            s(&f32_nchw_npz),
            s(&f16_nchw_npz),
        ],
    );
    assert_eq!(printed.trim(), "ok float16");
}
