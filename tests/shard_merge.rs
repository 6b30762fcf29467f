//! `export --shard I/N` and `merge`: shards of several N (more than the batches, more than the samples,
//! with shuffle, split and `--drop-remainder`) merge into files byte-identical to the single export; a
//! missing or foreign shard is refused by name; a re-run shard replaces only its own files; each shard
//! is a `.npy` numpy memory-maps; `--shard auto` reads SLURM's and Kubernetes' variables.

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.
mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt as _;
use std::path::Path;
use std::process::{Command, Output};

use common::{batchscope, batchscope_ok, pattern, read_npy, save, write};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// 23 images in three classes (one named with a comma, so the CSV files quote), one of them a
/// zero-byte file that every export skips.
fn dataset(root: &Path) {
    for (class, n) in [("a", 9u32), ("b", 8), ("c", 6)] {
        for i in 0..n {
            let name = if class == "b" && i == 3 {
                format!("{class}/x,{i}.png")
            } else {
                format!("{class}/{i:02}.png")
            };
            save(
                root,
                &name,
                &pattern(5, 4, i * 7 + u32::from(class.as_bytes()[0])),
            );
        }
    }
    write(root, "c/99-empty.png", b"");
}

fn run_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_batchscope"));
    command.args(args);
    for var in [
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_COUNT",
        "SLURM_ARRAY_TASK_MIN",
        "JOB_COMPLETION_INDEX",
    ] {
        command.env_remove(var);
    }
    command.envs(env.iter().copied());
    command.output().unwrap()
}

/// Exports every shard of `count` with `options` into `out`.
fn export_shards(data: &Path, out: &Path, count: usize, options: &[&str]) {
    for i in 0..count {
        let shard = format!("{i}/{count}");
        let mut args = vec!["export", s(data), "--out", s(out), "--shard", &shard];
        args.extend_from_slice(options);
        batchscope_ok(&args);
    }
}

const SPLIT: [&str; 12] = [
    "--shuffle",
    "--seed",
    "7",
    "--validation-split",
    "0.3",
    "--subset",
    "training",
    "--batch-size",
    "4",
    "--drop-remainder",
    "--image-size",
    "3x5",
];

#[test]
fn shards_of_any_count_merge_into_the_single_export_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    dataset(&data);
    let float_split: Vec<&str> = SPLIT
        .iter()
        .copied()
        .chain(["--dtype", "float32"])
        .collect();
    // An exclude list (excluded.csv is shared by the shards) and a symlink loop, which indexing
    // reports at the top of every shard's skipped file (merge takes those rows once).
    let drop = dir.path().join("drop.txt");
    std::fs::write(&drop, "a/03.png\tdark\nc/02.png\n").unwrap();
    std::os::unix::fs::symlink("..", data.join("b/loop")).unwrap();
    let excluded = ["--exclude-list", s(&drop), "--follow-links"];
    // 24 files, 23 readable; the split keeps 16 of them (4 batches of 4), 15 readable.
    for options in [&["--batch-size", "5"][..], &float_split, &excluded] {
        let single = dir.path().join("single");
        let mut args = vec!["export", s(&data), "--out", s(&single), "--overwrite"];
        args.extend_from_slice(options);
        batchscope_ok(&args);
        let expected = common::files(&single);
        assert!(expected.contains_key("skipped.csv") && expected.contains_key("images.npy"));
        if options == excluded.as_slice() {
            assert!(expected.contains_key("excluded.csv"));
            let skipped = String::from_utf8_lossy(&expected["skipped.csv"]).into_owned();
            assert_eq!(skipped.matches("symlink loop").count(), 1, "{skipped}");
        }
        // 7 is more than the batches, 30 more than the samples (some shards are empty).
        for count in [1, 2, 3, 7, 30] {
            let out = dir
                .path()
                .join(format!("sharded-{count}-{}", options.len()));
            export_shards(&data, &out, count, options);
            let shards = common::files(&out);
            assert!(shards.contains_key(&format!("images-00000-of-{count:05}.npy")));
            assert!(shards.contains_key(&format!("shard-{:05}-of-{count:05}.json", count - 1)));
            batchscope_ok(&["merge", s(&out)]);
            let merged = common::files(&out);
            assert_eq!(
                merged.keys().collect::<Vec<_>>(),
                expected.keys().collect::<Vec<_>>(),
                "{count} shards of {options:?}"
            );
            for (name, bytes) in &expected {
                assert!(
                    merged[name] == *bytes,
                    "{name} differs after merging {count} shards of {options:?}"
                );
            }
        }
    }
}

#[test]
fn a_missing_or_foreign_shard_is_refused_by_name_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    dataset(&data);
    let out = dir.path().join("out");
    for shard in ["0/3", "2/3"] {
        batchscope_ok(&["export", s(&data), "--out", s(&out), "--shard", shard]);
    }
    let before = common::files(&out);
    let missing = batchscope(&["merge", s(&out)]);
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert_eq!(missing.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("shard 1/3 is missing") && stderr.contains("shard-00001-of-00003.json"),
        "{stderr}"
    );
    assert_eq!(common::files(&out), before);

    // Shard 1 from other options: refused, naming it and what differs.
    batchscope_ok(&[
        "export",
        s(&data),
        "--out",
        s(&out),
        "--shard",
        "1/3",
        "--dtype",
        "float32",
    ]);
    let foreign = batchscope(&["merge", s(&out)]);
    let stderr = String::from_utf8_lossy(&foreign.stderr);
    assert_eq!(foreign.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("shard-00001-of-00003.json")
            && stderr.contains("dtype=float32 (not dtype=uint8)"),
        "{stderr}"
    );

    // Shard 1 of the same options but another plan (shuffled): refused by its fingerprint.
    batchscope_ok(&[
        "export",
        s(&data),
        "--out",
        s(&out),
        "--shard",
        "1/3",
        "--shuffle",
        "--seed",
        "3",
    ]);
    let stderr = String::from_utf8_lossy(&batchscope(&["merge", s(&out)]).stderr).into_owned();
    assert!(
        stderr.contains("another plan") && stderr.contains("shard-00001-of-00003.json"),
        "{stderr}"
    );

    // The right shard 1 and a stray shard of another count: the stray one is named.
    batchscope_ok(&["export", s(&data), "--out", s(&out), "--shard", "1/3"]);
    batchscope_ok(&["export", s(&data), "--out", s(&out), "--shard", "0/2"]);
    let stderr = String::from_utf8_lossy(&batchscope(&["merge", s(&out)]).stderr).into_owned();
    assert!(
        stderr.contains("in 2 shards") && stderr.contains("of-00002"),
        "{stderr}"
    );
    for name in common::files(&out)
        .keys()
        .filter(|n| n.contains("-of-00002"))
    {
        std::fs::remove_file(out.join(name)).unwrap();
    }
    batchscope_ok(&["merge", s(&out)]);
    assert_eq!(read_npy(&out.join("images.npy")).shape, [23, 4, 5, 3]);
}

#[test]
fn a_cancelled_merge_keeps_nothing_and_leaves_the_shards() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    dataset(&data);
    let out = dir.path().join("out");
    export_shards(&data, &out, 2, &[]);
    let before = common::files(&out);
    let options = batchscope::export::merge::MergeOptions {
        out: out.clone(),
        keep_shards: false,
    };
    let cancelled = std::sync::atomic::AtomicBool::new(true);
    let result = batchscope::export::merge::merge(&options, &cancelled);
    assert!(
        matches!(
            result,
            Err(batchscope::export::merge::MergeError::Cancelled)
        ),
        "{result:?}"
    );
    assert_eq!(common::files(&out), before);
    let beside = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(beside, 2, "no staging folder is left");
}

#[test]
fn a_truncated_shard_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    dataset(&data);
    let out = dir.path().join("out");
    export_shards(&data, &out, 2, &[]);
    let victim = out.join("images-00001-of-00002.npy");
    let bytes = std::fs::read(&victim).unwrap();
    std::fs::write(&victim, &bytes[..bytes.len() - 10]).unwrap();
    let stderr = String::from_utf8_lossy(&batchscope(&["merge", s(&out)]).stderr).into_owned();
    assert!(
        stderr.contains("images-00001-of-00002.npy") && stderr.contains("bytes"),
        "{stderr}"
    );
    assert!(!out.join("images.npy").exists());
}

#[test]
fn a_rerun_shard_replaces_only_its_own_files() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    dataset(&data);
    let out = dir.path().join("out");
    export_shards(&data, &out, 3, &[]);
    let inodes = |dir: &Path| -> BTreeMap<String, u64> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    e.metadata().unwrap().ino(),
                )
            })
            .collect()
    };
    let (before, bytes_before) = (inodes(&out), common::files(&out));
    batchscope_ok(&["export", s(&data), "--out", s(&out), "--shard", "1/3"]);
    let after = inodes(&out);
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>()
    );
    for (name, ino) in &after {
        let ours = name.contains("-00001-of-") || name == "class_names.json";
        assert_eq!(ours, *ino != before[name], "{name}");
    }
    assert_eq!(
        common::files(&out),
        bytes_before,
        "the same shard gives the same bytes"
    );
    // No staging folder is left beside the output folder.
    let beside: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(beside.len(), 2, "{beside:?}");
}

#[test]
fn merge_keep_shards_leaves_them_and_the_folder_still_opens_as_an_export() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    dataset(&data);
    let out = dir.path().join("out");
    export_shards(&data, &out, 2, &[]);
    let shards = common::files(&out);
    batchscope_ok(&["merge", s(&out), "--keep-shards"]);
    let merged = common::files(&out);
    for (name, bytes) in &shards {
        assert_eq!(&merged[name], bytes, "{name}");
    }
    assert!(merged.contains_key("images.npy"));
    // The kept shards are not read as columns of the merged export.
    let again = dir.path().join("again");
    batchscope_ok(&["export", s(&out), "--out", s(&again)]);
    assert_eq!(common::files(&again)["images.npy"], merged["images.npy"]);
    // Merging a folder without shards says so.
    let stderr = String::from_utf8_lossy(&batchscope(&["merge", s(&again)]).stderr).into_owned();
    assert!(stderr.contains("no shards to merge"), "{stderr}");
}

#[test]
fn shard_auto_reads_the_schedulers_variables() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    dataset(&data);
    let out = dir.path().join("out");
    let export = ["export", s(&data), "--out", s(&out), "--shard", "auto"];
    // A SLURM array --array=1-2: task ids 1 and 2 are shards 0 and 1.
    for id in ["1", "2"] {
        let done = run_env(
            &export,
            &[
                ("SLURM_ARRAY_TASK_ID", id),
                ("SLURM_ARRAY_TASK_COUNT", "2"),
                ("SLURM_ARRAY_TASK_MIN", "1"),
            ],
        );
        assert!(
            done.status.success(),
            "{}",
            String::from_utf8_lossy(&done.stderr)
        );
    }
    assert!(out.join("images-00001-of-00002.npy").is_file());
    batchscope_ok(&["merge", s(&out)]);
    assert_eq!(read_npy(&out.join("images.npy")).shape, [23, 4, 5, 3]);

    let k8s = dir.path().join("k8s");
    let export = [
        "export",
        s(&data),
        "--out",
        s(&k8s),
        "--shard",
        "auto",
        "--num-shards",
        "3",
    ];
    let done = run_env(&export, &[("JOB_COMPLETION_INDEX", "2")]);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert!(k8s.join("shard-00002-of-00003.json").is_file());

    let nothing = run_env(&export, &[]);
    assert_eq!(nothing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&nothing.stderr).contains("SLURM_ARRAY_TASK_ID"));
    let no_count = run_env(&export[..6], &[("JOB_COMPLETION_INDEX", "0")]);
    assert_eq!(no_count.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_count.stderr).contains("--num-shards"));
    let bad = batchscope(&["export", s(&data), "--out", s(&out), "--shard", "3/3"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("\"3/3\" is not a shard"));
}

#[test]
fn each_shard_is_a_npy_numpy_memory_maps() {
    if !common::has_python_module("numpy", "each_shard_is_a_npy_numpy_memory_maps") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    dataset(&data);
    let out = dir.path().join("out");
    export_shards(&data, &out, 3, &SPLIT);
    let single = dir.path().join("single");
    let mut args = vec!["export", s(&data), "--out", s(&single)];
    args.extend_from_slice(&SPLIT);
    batchscope_ok(&args);
    let printed = common::run_python(
        r"
import sys, numpy as np
out, single = sys.argv[1], sys.argv[2]
parts = [np.load(f'{out}/images-{i:05d}-of-00003.npy', mmap_mode='r') for i in range(3)]
labels = [np.load(f'{out}/labels-{i:05d}-of-00003.npy', mmap_mode='r') for i in range(3)]
assert all(isinstance(p, np.memmap) for p in parts)
whole = np.load(f'{single}/images.npy')
assert np.array_equal(np.concatenate(parts), whole)
assert np.array_equal(np.concatenate(labels), np.load(f'{single}/labels.npy'))
print([p.shape[0] for p in parts], whole.dtype, whole.shape)
",
        &[s(&out), s(&single)],
    );
    assert_eq!(printed.trim(), "[6, 5, 4] uint8 (15, 3, 5, 3)");
}

#[test]
fn the_scheduler_recipes_in_docs_agree_with_the_flags() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    let k8s = std::fs::read_to_string(docs.join("k8s_indexed_job.yaml")).unwrap();
    // The Job's completions and --num-shards must agree, or shards would be missing or overlap.
    assert!(k8s.contains("completionMode: Indexed") && k8s.contains("completions: 16"));
    assert!(
        k8s.contains("- --num-shards\n            - \"16\""),
        "{k8s}"
    );
    assert!(k8s.contains("- --shard\n            - auto"));
    let slurm = docs.join("slurm_export.sh");
    let text = std::fs::read_to_string(&slurm).unwrap();
    assert!(text.contains("#SBATCH --array=0-15") && text.contains("--shard auto"));
    let syntax = Command::new("bash").arg("-n").arg(&slurm).output().unwrap();
    assert!(
        syntax.status.success(),
        "{}",
        String::from_utf8_lossy(&syntax.stderr)
    );
}
