//! Which files a sharded input names, for the sources whose shards are plain files of one kind
//! (webdataset tars, Parquet files): one file, a folder, a file-name pattern (`dir/train-*.tar`), or
//! a brace pattern as webdataset and the Hugging Face Hub spell them (`shard-{000000..000099}.tar`,
//! `{train,test}.tar`).
//!
//! Guarantees: files come in byte order of their names within a folder or glob, and in the pattern's
//! order for braces; hidden files are never taken from a folder or glob; a brace-named file that is
//! not there is reported as missing, not dropped silently; a brace pattern naming more than
//! [`MAX_EXPANDED`] paths is refused before any is built.

use std::path::{Path, PathBuf};

/// The most paths a brace pattern may name.
pub const MAX_EXPANDED: usize = 1_000_000;

/// Why an input names no files.
#[derive(Debug, thiserror::Error)]
pub enum ShardError {
    /// The input path (or a folder's listing) cannot be read.
    #[error("cannot read {path:?}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The input names no file of the kind.
    #[error("no {what} at {path:?}")]
    NoFiles {
        /// The files looked for (`webdataset shards (*.tar, *.tar.gz, *.tgz)`).
        what: &'static str,
        /// The path.
        path: PathBuf,
    },
    /// A brace pattern that cannot be expanded (unbalanced, or naming too many paths).
    #[error("{reason} in the pattern {path:?}")]
    BadPattern {
        /// What is wrong.
        reason: String,
        /// The pattern.
        path: PathBuf,
    },
}

/// The files of an input, in reading order, and the brace-named files that are not there.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Shards {
    /// The files to read, in order.
    pub files: Vec<PathBuf>,
    /// Files a brace pattern names that do not exist.
    pub missing: Vec<PathBuf>,
}

/// Whether `name` matches `pattern`, where `*` is any run of characters and `?` any one character.
pub fn glob_match(pattern: &[u8], name: &[u8]) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some((b'*', rest)) => (0..=name.len()).any(|skip| glob_match(rest, &name[skip..])),
        Some((b'?', rest)) => !name.is_empty() && glob_match(rest, &name[1..]),
        Some((c, rest)) => name.first() == Some(c) && glob_match(rest, &name[1..]),
    }
}

/// Whether a path's last part is a pattern (`*`, `?`, or a brace group) rather than a name.
pub fn is_pattern(name: &str) -> bool {
    name.contains(['*', '?']) || (name.contains('{') && name.contains('}'))
}

/// The alternatives of one brace group's inside: `a,b,c`, or a numeric range `000..099` (padded to
/// the wider bound when either has a leading zero, as bash and webdataset's braceexpand do).
fn alternatives(inside: &str) -> Result<Vec<String>, String> {
    if let Some((lo, hi)) = inside.split_once("..")
        && !lo.is_empty()
        && lo.bytes().all(|b| b.is_ascii_digit())
        && !hi.is_empty()
        && hi.bytes().all(|b| b.is_ascii_digit())
    {
        let parse = |s: &str| {
            s.parse::<u64>()
                .map_err(|_| format!("the range bound {s:?} is too large"))
        };
        let (a, b) = (parse(lo)?, parse(hi)?);
        let count = a.abs_diff(b).saturating_add(1);
        if count > MAX_EXPANDED as u64 {
            return Err(format!(
                "the range {{{inside}}} names {count} paths, over {MAX_EXPANDED}"
            ));
        }
        let padded = lo.starts_with('0') || hi.starts_with('0');
        let width = if padded { lo.len().max(hi.len()) } else { 0 };
        let values: Box<dyn Iterator<Item = u64>> = if a <= b {
            Box::new(a..=b)
        } else {
            Box::new((b..=a).rev())
        };
        return Ok(values.map(|v| format!("{v:0width$}")).collect());
    }
    Ok(inside.split(',').map(str::to_owned).collect())
}

/// Every name a brace pattern spells, in order (`a{0..2}b` is `a0b a1b a2b`); a name without braces
/// is itself.
pub fn expand_braces(pattern: &str) -> Result<Vec<String>, String> {
    let Some(open) = pattern.find('{') else {
        if pattern.contains('}') {
            return Err("a '}' without its '{'".to_owned());
        }
        return Ok(vec![pattern.to_owned()]);
    };
    let close = pattern[open..]
        .find('}')
        .map(|c| open + c)
        .ok_or_else(|| "a '{' without its '}'".to_owned())?;
    let (head, inside, tail) = (
        &pattern[..open],
        &pattern[open + 1..close],
        &pattern[close + 1..],
    );
    if inside.contains('{') {
        return Err("nested braces".to_owned());
    }
    let choices = alternatives(inside)?;
    let rests = expand_braces(tail)?;
    if choices.len().saturating_mul(rests.len()) > MAX_EXPANDED {
        return Err(format!("the braces name over {MAX_EXPANDED} paths"));
    }
    let mut out = Vec::with_capacity(choices.len() * rests.len());
    for choice in &choices {
        for rest in &rests {
            out.push(format!("{head}{choice}{rest}"));
        }
    }
    Ok(out)
}

/// The non-hidden regular files of `dir` (symlinks followed) whose names pass `keep`, sorted.
fn files_in(dir: &Path, keep: impl Fn(&str) -> bool) -> Result<Vec<PathBuf>, ShardError> {
    regular_files(dir, keep).map_err(|source| ShardError::Io {
        path: dir.to_owned(),
        source,
    })
}

/// The non-hidden regular files of `dir` (symlinks followed) whose names pass `keep`, sorted; the
/// listing behind every set of shards (TFRecord's too).
pub(crate) fn regular_files(
    dir: &Path,
    keep: impl Fn(&str) -> bool,
) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if !name.starts_with('.') && keep(&name) && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// The folder a pattern's last part is matched in.
fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// The files `path` names, in reading order: a file is itself; a folder gives its files whose names
/// pass `is_shard`; a glob or brace pattern in the last part gives the files it matches (a brace
/// name that is not there is listed in [`Shards::missing`]). `what` names the files for the error
/// when there are none.
pub fn resolve(
    path: &Path,
    is_shard: impl Fn(&str) -> bool,
    what: &'static str,
) -> Result<Shards, ShardError> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let mut shards = Shards::default();
    if is_pattern(name) {
        let dir = parent_of(path);
        let names = expand_braces(name).map_err(|reason| ShardError::BadPattern {
            reason,
            path: path.to_owned(),
        })?;
        for one in names {
            if one.contains(['*', '?']) {
                shards.files.extend(files_in(dir, |candidate| {
                    glob_match(one.as_bytes(), candidate.as_bytes())
                })?);
            } else if dir.join(&one).is_file() {
                shards.files.push(dir.join(one));
            } else {
                shards.missing.push(dir.join(one));
            }
        }
    } else {
        let meta = std::fs::metadata(path).map_err(|source| ShardError::Io {
            path: path.to_owned(),
            source,
        })?;
        if meta.is_dir() {
            shards.files = files_in(path, is_shard)?;
        } else {
            shards.files.push(path.to_owned());
        }
    }
    if shards.files.is_empty() {
        return Err(ShardError::NoFiles {
            what,
            path: path.to_owned(),
        });
    }
    Ok(shards)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn braces_expand_ranges_with_their_padding_and_lists_in_order() {
        assert_eq!(
            expand_braces("shard-{000008..000011}.tar").unwrap(),
            [
                "shard-000008.tar",
                "shard-000009.tar",
                "shard-000010.tar",
                "shard-000011.tar"
            ]
        );
        assert_eq!(expand_braces("{9..11}").unwrap(), ["9", "10", "11"]);
        assert_eq!(expand_braces("{2..0}").unwrap(), ["2", "1", "0"]);
        assert_eq!(
            expand_braces("{a,b}-{0..1}.tar").unwrap(),
            ["a-0.tar", "a-1.tar", "b-0.tar", "b-1.tar"]
        );
        assert_eq!(expand_braces("plain.tar").unwrap(), ["plain.tar"]);
    }

    #[test]
    fn bad_or_huge_braces_are_refused_before_expanding() {
        assert!(
            expand_braces("a{0..1")
                .unwrap_err()
                .contains("without its '}'")
        );
        assert!(expand_braces("a}").unwrap_err().contains("without its '{'"));
        assert!(expand_braces("{{a}}").unwrap_err().contains("nested"));
        let huge = expand_braces("{0..99999999999}").unwrap_err();
        assert!(huge.contains("over 1000000"), "{huge}");
        let product = expand_braces("{0..9999}{0..9999}").unwrap_err();
        assert!(product.contains("over 1000000"), "{product}");
    }

    #[test]
    fn glob_matches_stars_and_question_marks() {
        assert!(glob_match(b"train-*", b"train-00000-of-00003"));
        assert!(glob_match(b"*-of-0000?", b"train-00000-of-00003"));
        assert!(!glob_match(b"train-*", b"test-00000-of-00003"));
        assert!(glob_match(b"*", b""));
    }

    #[test]
    fn a_brace_pattern_lists_the_files_it_names_that_are_missing() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["s-0.tar", "s-2.tar", ".hidden.tar", "notes.txt"] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        let braces = resolve(&dir.path().join("s-{0..2}.tar"), |_| true, "tars").unwrap();
        assert_eq!(
            braces,
            Shards {
                files: vec![dir.path().join("s-0.tar"), dir.path().join("s-2.tar")],
                missing: vec![dir.path().join("s-1.tar")],
            }
        );
        let folder = resolve(dir.path(), |n| n.starts_with("s-"), "tars").unwrap();
        assert_eq!(
            folder.files,
            [dir.path().join("s-0.tar"), dir.path().join("s-2.tar")]
        );
        let glob = resolve(&dir.path().join("*.txt"), |_| true, "tars").unwrap();
        assert_eq!(glob.files, [dir.path().join("notes.txt")]);
        let none = resolve(&dir.path().join("*.parquet"), |_| true, "tars").unwrap_err();
        assert!(
            matches!(none, ShardError::NoFiles { what: "tars", .. }),
            "{none}"
        );
    }
}
