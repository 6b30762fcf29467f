//! Looks for the Python modules the parity tests compare against (numpy, TensorFlow), so that a
//! missing one shows in `cargo test`'s own words: `tests/python_peers.rs` has one test per module,
//! marked `ignored` with the reason when the module is missing, which libtest prints on that test's
//! line and counts in its summary ("2 ignored"). The parity tests themselves still decide at run time
//! and print `SKIPPED <test>: <reason>` past libtest's capture.
//!
//! The answer is kept until `PYTHON` or `BATCHSCOPE_REQUIRE_PYTHON` changes (or this file): after
//! installing numpy, `touch build.rs` refreshes it. With `BATCHSCOPE_REQUIRE_PYTHON=1` (CI) nothing
//! is ignored, so a missing module fails the tests instead.

use std::process::Command;

const MODULES: [(&str, &str); 2] = [
    ("numpy", "batchscope_without_numpy"),
    ("tensorflow", "batchscope_without_tensorflow"),
];

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=PYTHON");
    println!("cargo::rerun-if-env-changed=BATCHSCOPE_REQUIRE_PYTHON");
    let required = std::env::var("BATCHSCOPE_REQUIRE_PYTHON").is_ok_and(|v| v == "1");
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    for (module, cfg) in MODULES {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
        // find_spec looks the module up without importing it (TensorFlow takes seconds to import).
        let found = Command::new(&python)
            .args([
                "-c",
                &format!("import importlib.util, sys; sys.exit(importlib.util.find_spec({module:?}) is None)"),
            ])
            .output()
            .is_ok_and(|o| o.status.success());
        if !found && !required {
            println!("cargo::rustc-cfg={cfg}");
        }
    }
}
