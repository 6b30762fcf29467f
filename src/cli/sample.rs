//! The bundled sample dataset, which the README's examples open as `assets/sample`: from any other
//! folder than the clone, that relative path would not be there, so a command given it reads the
//! clone's copy (its path is compiled in), and says so. Any other path is read as given.

use std::path::{Component, Path, PathBuf};

/// The clone the binary was built from.
fn clone_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `dir` as the user gave it, or the bundled sample's copy of it when `dir` is `assets/sample` (or a
/// path inside it), relative, not in the current folder, and in the clone. The caller says which
/// it read.
pub fn dataset_path(dir: &Path) -> Option<PathBuf> {
    let inside: PathBuf = dir
        .components()
        .skip_while(|c| matches!(c, Component::CurDir))
        .collect();
    let bundled = clone_dir().join(&inside);
    (dir.is_relative()
        && inside.starts_with(Path::new("assets").join("sample"))
        && std::fs::symlink_metadata(dir).is_err()
        && bundled.exists())
    .then_some(bundled)
}

/// `dir`, or the bundled sample's copy of it ([`dataset_path`]), saying so on stderr.
pub fn resolve(dir: &Path) -> PathBuf {
    match dataset_path(dir) {
        Some(bundled) => {
            super::say(format_args!(
                "batchscope: note: no {dir:?} in the current folder; reading the bundled sample {bundled:?}"
            ));
            bundled
        }
        None => dir.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_missing_relative_path_into_the_sample_is_redirected() {
        let sample = clone_dir().join("assets").join("sample");
        assert!(sample.join("circles").is_dir(), "{sample:?}");
        // Tests run from the clone, where `assets/sample` is there: read as given.
        assert_eq!(dataset_path(Path::new("assets/sample")), None);
        assert_eq!(dataset_path(&sample), None);
        assert_eq!(dataset_path(Path::new("assets/sampel")), None);
        assert_eq!(dataset_path(Path::new("elsewhere/assets/sample")), None);
    }
}
