//! Fault injection for the tests, compiled only with the `test-hooks` feature (which `cargo test`
//! turns on through the crate's dev-dependency on itself). A build without it (`cargo build`,
//! `cargo install`, a release) has none of this: no environment lookups, no hook names in the binary,
//! and the call sites are `#[cfg]`-ed away, so nothing runs where a hook was.
//!
//! Two kinds of hooks stop the engine deterministically, so that tests wait for files, never for time:
//! - [`hold_file_for_tests`] holds a load at the opening of one file (in-process, or
//!   `BATCHSCOPE_TEST_HOLD_FILE` for a `batchscope` process);
//! - [`point`] holds or kills an export at a named point (`BATCHSCOPE_TEST_HOLD_AT`,
//!   `BATCHSCOPE_TEST_KILL_AT`).

use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// Paths held by [`hold_file_for_tests`], besides `$BATCHSCOPE_TEST_HOLD_FILE`.
static HELD: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
/// Whether [`HELD`] holds anything (so that runs with nothing held never take its lock).
static ANY_HELD: AtomicBool = AtomicBool::new(false);
/// Whether every hold has ended (see [`release_held_files`]).
static RELEASE_ALL: AtomicBool = AtomicBool::new(false);

/// Before `path` is opened (to decode it or read its header), the opening thread creates
/// `<path>.held` and then waits until `<path>.release` exists, checking every 5 ms. Tests use it to
/// hold a load or an export at a known point, deterministically: wait for `.held`, act (cancel, send a
/// signal, fill the disk), then create `.release`. The environment variable
/// `BATCHSCOPE_TEST_HOLD_FILE=<path>` does the same for a `batchscope` process. The path must be
/// spelled as the loader spells it (the dataset root as given, joined with the file's relative path).
/// A signal to the `batchscope` process also ends the hold, after the cancel flag is set
/// ([`release_held_files`]).
pub fn hold_file_for_tests(path: &Path) {
    if let Ok(mut held) = HELD.lock() {
        held.push(path.to_path_buf());
        ANY_HELD.store(true, Ordering::Relaxed);
    }
}

/// Ends every hold of [`hold_file_for_tests`] now and for the rest of the process. The command line's
/// signal handler calls it after setting its cancel flag, so a held export sees the interruption as
/// soon as it goes on (a no-op when nothing is held).
pub fn release_held_files() {
    RELEASE_ALL.store(true, Ordering::Relaxed);
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(suffix);
    PathBuf::from(name)
}

/// Waits here if `path` is held (see [`hold_file_for_tests`]); the file reader calls it before it
/// opens a file.
pub(crate) fn wait_if_held(path: &Path) {
    static FROM_ENV: OnceLock<Option<PathBuf>> = OnceLock::new();
    let from_env = FROM_ENV.get_or_init(|| {
        std::env::var_os("BATCHSCOPE_TEST_HOLD_FILE")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    });
    let held = from_env.as_deref() == Some(path)
        || ANY_HELD.load(Ordering::Relaxed)
            && HELD.lock().is_ok_and(|held| held.iter().any(|p| p == path));
    if !held {
        return;
    }
    let _ = File::create(with_suffix(path, ".held"));
    let release = with_suffix(path, ".release");
    // A test that ends removes its temp folder, release file included, perhaps before this loop saw
    // it: a held file that is gone ends the hold too, or a rayon worker would wait forever.
    while !release.exists() && path.exists() && !RELEASE_ALL.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A named point of an export (`after-first-rows`, `before-swap`, `after-swap`) or of a skip over a
/// stream (`skip-bytes`), where a test can
/// stop a real process:
/// - `BATCHSCOPE_TEST_KILL_AT=<point>`: the process sends itself SIGKILL (no destructors, no cleanup);
/// - `BATCHSCOPE_TEST_HOLD_AT=<point>` with `BATCHSCOPE_TEST_RELEASE_FILE=<path>`: creates
///   `<path>.held`, then waits until `<path>` exists.
pub(crate) fn point(point: &str) {
    if std::env::var_os("BATCHSCOPE_TEST_KILL_AT").is_some_and(|p| p == point) {
        // As a power cut or the OOM killer would: SIGKILL cannot be caught, so nothing runs after it.
        let _ =
            rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::KILL);
        std::process::abort(); // not reached
    }
    if std::env::var_os("BATCHSCOPE_TEST_HOLD_AT").is_some_and(|p| p == point)
        && let Some(release) = std::env::var_os("BATCHSCOPE_TEST_RELEASE_FILE").map(PathBuf::from)
    {
        let _ = File::create(with_suffix(&release, ".held"));
        while !release.exists() {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}
