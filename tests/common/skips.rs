//! Skipped tests, counted across test binaries, so that `cargo test` ends with one line that says how
//! many tests skipped, why, and what to do about it.
//!
//! libtest cannot mark a test skipped at run time: a test that cannot check (no numpy, not root) passes
//! and says `SKIPPED` beside its `ok`. Each integration test file is its own process, so no binary sees
//! the others' skips: each skip is recorded as one small file under the target's temp folder, in a
//! folder of the `cargo test` run (named after cargo's process id, the test binaries' parent), and
//! `tests/zz_skipped_summary.rs`, which cargo runs last (integration tests run in file name order),
//! reads them, prints the line and removes the folder (and those of runs whose cargo is gone).
//!
//! Only std here: the summary binary includes this file alone.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

/// One skipped test (or the skipped part of one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skip {
    /// The test binary, without cargo's hash (`tf_parity`).
    pub binary: String,
    /// The test's name.
    pub test: String,
    /// What is missing, in a few words: `numpy not found in python3`.
    pub cause: String,
    /// What to do about it: `python3 -m pip install ...`.
    pub hint: String,
}

/// The folder that holds the skips of every run, under `target_tmp` (cargo's `CARGO_TARGET_TMPDIR`).
pub fn root(target_tmp: &Path) -> PathBuf {
    target_tmp.join("skipped-tests")
}

/// The folder of one run's skips: `run` is the id of the process that runs the test binaries (cargo).
pub fn run_dir(target_tmp: &Path, run: u32) -> PathBuf {
    root(target_tmp).join(run.to_string())
}

/// The id of this process's parent: for a test binary under `cargo test`, cargo, the same for every
/// binary of one run.
pub fn this_run() -> u32 {
    std::os::unix::process::parent_id()
}

/// This test binary's name without cargo's `-<hash>` suffix.
pub fn this_binary() -> String {
    let exe = std::env::current_exe().unwrap_or_default();
    let stem = exe
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    match stem.rsplit_once('-') {
        Some((name, hash)) if hash.chars().all(|c| c.is_ascii_hexdigit()) => name.to_owned(),
        _ => stem,
    }
}

/// Records `skip` in `dir` (a run's folder). One file per binary and test: a test that says it skips
/// twice is counted once.
pub fn record(dir: &Path, skip: &Skip) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let name: String = format!("{}.{}", skip.binary, skip.test)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let text = [&skip.binary, &skip.test, &skip.cause, &skip.hint]
        .map(|field| field.replace('\n', " "))
        .join("\n");
    // Written whole under a temporary name, then renamed: the summary never reads half a record.
    let partial = dir.join(format!(".{name}.{}", std::process::id()));
    std::fs::write(&partial, text)?;
    std::fs::rename(&partial, dir.join(name))
}

/// Every skip recorded in `dir`, in file name order; none when the folder does not exist.
pub fn read(dir: &Path) -> Vec<Skip> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .collect();
    files.sort();
    files
        .iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(path).ok()?;
            let mut fields = text.split('\n').map(str::to_owned);
            Some(Skip {
                binary: fields.next()?,
                test: fields.next()?,
                cause: fields.next()?,
                hint: fields.next()?,
            })
        })
        .collect()
}

/// The one line `cargo test` ends with: how many tests skipped, each cause with its count (most
/// first), then each distinct hint once. `no tests skipped` when none did.
pub fn summary(skips: &[Skip]) -> String {
    if skips.is_empty() {
        return "no tests skipped".to_owned();
    }
    let mut causes: BTreeMap<&str, usize> = BTreeMap::new();
    let mut hints: Vec<&str> = Vec::new();
    for skip in skips {
        *causes.entry(&skip.cause).or_default() += 1;
        if !hints.contains(&skip.hint.as_str()) {
            hints.push(&skip.hint);
        }
    }
    let mut causes: Vec<(&str, usize)> = causes.into_iter().collect();
    causes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let causes: Vec<String> = if causes.len() == 1 {
        vec![causes[0].0.to_owned()]
    } else {
        causes
            .iter()
            .map(|(cause, n)| format!("{cause} ({n})"))
            .collect()
    };
    let n = skips.len();
    format!(
        "{n} test{} skipped: {}; {}",
        if n == 1 { "" } else { "s" },
        causes.join(", "),
        hints.join("; ")
    )
}

/// Removes the folders of runs whose process is gone (`alive` says whether a process id still runs),
/// except `keep`.
pub fn tidy(target_tmp: &Path, keep: u32, alive: impl Fn(u32) -> bool) {
    let Ok(entries) = std::fs::read_dir(root(target_tmp)) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let Some(run) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if run != keep && !alive(run) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Whether process `pid` still runs (Linux: its `/proc` entry exists).
pub fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}
