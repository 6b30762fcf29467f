//! The last line of `cargo test`: how many tests skipped in this run, and why (see
//! `tests/common/skips.rs`). cargo runs the integration tests in file name order, so this one, `zz_`,
//! runs after every other; it has no test harness (`harness = false` in Cargo.toml), so its line is
//! the last thing printed, after every `test result:` line (the crate has no doc tests).

#[path = "common/skips.rs"]
mod skips;

use std::path::Path;

fn main() {
    // `cargo test -- --list` (and tools that list tests first) expects tests, not a summary.
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let target_tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let run = skips::this_run();
    let dir = skips::run_dir(target_tmp, run);
    println!("{}", skips::summary(&skips::read(&dir)));
    let _ = std::fs::remove_dir_all(&dir);
    skips::tidy(target_tmp, run, skips::alive);
}
