//! The index-walk target: fuzz bytes describe a small folder tree with hostile names (bytes that are
//! not UTF-8, hidden files and folders, extensions in odd cases, a file named only `.png`, newlines,
//! 255-byte names), symlinks (loops to a folder above, to the root, to itself, to siblings, dangling)
//! and sockets named like images; the tree is built in a temp dir and indexed with random options.
//!
//! Properties, checked against a reference walk written here:
//! - the walk never panics and is deterministic (the same index twice, warnings included);
//! - the classes are the non-hidden folders (symlinked ones included) of the root in byte order, or the
//!   asked list in its order, with a duplicate or unknown name refused;
//! - within a class every real folder reachable from it (through symlinked folders only when following
//!   links) contributes each of its image files exactly once, and nothing else is listed;
//! - the files come folder by folder in byte order of the folder's path, then by name.

use std::collections::{BTreeSet, HashSet};
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt as _;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

use batchscope::index::{self, IndexError};
use batchscope::options::{IndexOptions, LabelSource};

use super::Bytes;

/// Name stems: plain, case, precomposed and decomposed accents, not UTF-8, hidden, spaces, newline.
const STEMS: &[&[u8]] = &[
    b"a",
    b"B",
    b"b",
    b"sub",
    b"sub-2",
    b"Z",
    b"_",
    b"\xc3\xa9",
    b"e\xcc\x81",
    b"\xff",
    b"caf\xe9",
    b"\xc3",
    b".hidden",
    b".",
    b" ",
    b"a\nb",
    b"\\",
    b"",
];
/// Extensions: Keras's, the extra ones, odd cases, and near misses.
const EXTENSIONS: &[&[u8]] = &[
    b".png",
    b".PNG",
    b".Jpg",
    b".jpeg",
    b".gif",
    b".bmp",
    b".webp",
    b".tif",
    b".TIFF",
    b".txt",
    b"",
    b".png.txt",
    b".png ",
    b"png",
    b".jpg",
];

fn name(input: &mut Bytes<'_>, with_extension: bool) -> OsString {
    let mut name = if input.below(24) == 0 {
        vec![b'x'; 251]
    } else {
        input.pick(STEMS).to_vec()
    };
    if with_extension {
        name.extend_from_slice(input.pick(EXTENSIONS));
    }
    if name.is_empty() || name == b"." || name == b".." {
        name = b"_.png".to_vec();
    }
    OsString::from(OsStr::from_bytes(&name))
}

/// A relative symlink target from `from` (a folder) to `to` (a folder), through `..`.
fn relative(from: &Path, to: &Path) -> PathBuf {
    let mut target = PathBuf::new();
    for _ in from.components() {
        target.push("..");
    }
    target.push(to);
    if target.as_os_str().is_empty() {
        target.push(".");
    }
    target
}

/// Builds the tree the bytes describe under `root`.
fn build(input: &mut Bytes<'_>, root: &Path) {
    std::fs::create_dir_all(root).unwrap();
    // Folders made so far (relative to the root), the root first.
    let mut dirs = vec![PathBuf::new()];
    let ops = 1 + input.below(40);
    for op in 0..ops {
        // The first few operations make folders, so that there is something to put files in.
        let kind = if op < 3 { 0 } else { input.below(10) };
        let parent = dirs[input.below(dirs.len())].clone();
        match kind {
            0..=2 => {
                let with_extension = input.below(4) == 0;
                let rel = parent.join(name(input, with_extension));
                if std::fs::create_dir(root.join(&rel)).is_ok() {
                    dirs.push(rel);
                }
            }
            3..=6 => {
                let rel = parent.join(name(input, true));
                let _ = std::fs::write(root.join(rel), [input.u8()]);
            }
            7 | 8 => {
                // A symlink to a folder: above it (a loop), itself, the root, or anywhere else.
                let to = dirs[input.below(dirs.len())].clone();
                let with_extension = input.below(3) == 0;
                let rel = parent.join(name(input, with_extension));
                let target = if input.bool() {
                    relative(&parent, &to)
                } else {
                    root.join(&to)
                };
                let _ = std::os::unix::fs::symlink(target, root.join(rel));
            }
            _ => {
                // A dangling symlink or a socket, named like an image.
                let rel = parent.join(name(input, true));
                if input.bool() {
                    let _ = std::os::unix::fs::symlink("missing/nothing.png", root.join(rel));
                } else {
                    let _ = std::os::unix::net::UnixListener::bind(root.join(rel));
                }
            }
        }
    }
}

/// Keras's `fname.lower().endswith(formats)`, written out.
fn is_image(name: &OsStr, extra: bool) -> bool {
    let lower = name.as_bytes().to_ascii_lowercase();
    let mut formats = vec![&b".bmp"[..], b".gif", b".jpeg", b".jpg", b".png"];
    if extra {
        formats.extend([&b".webp"[..], b".tif", b".tiff"]);
    }
    formats.iter().any(|f| lower.ends_with(f))
}

/// (device, inode) of what `path` names, following symlinks.
fn id(path: &Path) -> Option<(u64, u64)> {
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// The image files below `dir` as (real folder, name), each real folder once: the reference walk
/// (unordered, depth first), independent of the one under test.
fn reachable_files(dir: &Path, options: &IndexOptions) -> BTreeSet<((u64, u64), OsString)> {
    let mut files = BTreeSet::new();
    let mut seen = HashSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Some(key) = id(&dir) else { continue };
        if !seen.insert(key) {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let link = std::fs::symlink_metadata(&path)
                .unwrap()
                .file_type()
                .is_symlink();
            let is_dir = std::fs::metadata(&path).is_ok_and(|m| m.is_dir());
            if is_dir {
                if !link || options.follow_links {
                    stack.push(path);
                }
            } else if is_image(&entry.file_name(), options.extra_formats) {
                files.insert((key, entry.file_name()));
            }
        }
    }
    files
}

/// The class folders Keras takes: the root's non-hidden entries that are folders (through links too).
fn class_dirs(root: &Path) -> Vec<OsString> {
    let mut names: Vec<OsString> = std::fs::read_dir(root)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .filter(|n| !n.as_bytes().starts_with(b"."))
        .filter(|n| std::fs::metadata(root.join(n)).is_ok_and(|m| m.is_dir()))
        .collect();
    names.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    names
}

/// The class list to ask for, from the bytes: none, found ones in another order, a duplicate, or an
/// unknown name.
fn class_names(input: &mut Bytes<'_>, found: &[OsString]) -> Option<Vec<String>> {
    if input.below(3) != 0 || found.is_empty() {
        return None;
    }
    let mut names: Vec<String> = found
        .iter()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|_| input.bool())
        .collect();
    names.reverse();
    match input.below(4) {
        0 if !names.is_empty() => names.push(names[0].clone()),
        1 => names.push("no such class".into()),
        _ => {}
    }
    Some(names)
}

/// Indexes a tree described by `bytes`, built under `dir`; see the module docs for what is checked.
pub fn index_walk(bytes: &[u8], dir: &Path) -> String {
    let mut input = Bytes::new(bytes);
    let root = dir.join(OsStr::from_bytes(b"tree-\xff"));
    let _ = std::fs::remove_dir_all(&root);
    build(&mut input, &root);
    let found = class_dirs(&root);
    let options = IndexOptions {
        labels: if input.below(4) == 0 {
            LabelSource::None
        } else {
            LabelSource::Inferred
        },
        class_names: class_names(&mut input, &found),
        follow_links: input.bool(),
        extra_formats: input.bool(),
        ..IndexOptions::default()
    };
    let result = index::scan(&root, &options);
    let again = index::scan(&root, &options);
    let signature = match (&result, &again) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a, b, "two walks of one tree differ");
            check_index(a, &root, &options, &found);
            format!(
                "ok labeled {} classes {} links {} warnings {}",
                a.labeled,
                a.class_names.len().min(3),
                options.follow_links,
                a.warnings.len().min(2)
            )
        }
        (Err(a), Err(b)) => {
            assert_eq!(a.to_string(), b.to_string());
            check_error(a, &options, &found);
            format!(
                "err {}",
                std::mem::discriminant(a) == std::mem::discriminant(b)
            )
        }
        _ => panic!("two walks of one tree differ: {result:?} then {again:?}"),
    };
    std::fs::remove_dir_all(&root).unwrap();
    signature
}

fn check_error(err: &IndexError, options: &IndexOptions, found: &[OsString]) {
    let wanted = options.class_names.as_deref().unwrap_or_else(|| {
        panic!("refused without a class list: {err}");
    });
    let lossy: Vec<String> = found
        .iter()
        .map(|n| n.to_string_lossy().into_owned())
        .collect();
    let duplicate = wanted
        .iter()
        .enumerate()
        .any(|(i, n)| wanted[..i].contains(n));
    let unknown = wanted.iter().any(|n| !lossy.contains(n));
    match err {
        IndexError::DuplicateClass(_) => assert!(duplicate),
        IndexError::UnknownClass { name, .. } => assert!(!lossy.contains(name)),
        other => panic!("unexpected error: {other}"),
    }
    assert!(duplicate || unknown, "{wanted:?} refused: {err}");
}

fn check_index(
    index: &index::DatasetIndex,
    root: &Path,
    options: &IndexOptions,
    found: &[OsString],
) {
    // The class folders, by their real names, in label order.
    let classes: Vec<Option<OsString>> = match (&options.labels, &options.class_names) {
        (LabelSource::None, _) => vec![None],
        (LabelSource::Inferred, None) => found.iter().cloned().map(Some).collect(),
        (LabelSource::Inferred, Some(wanted)) => {
            let mut seen = HashSet::new();
            assert!(
                wanted.iter().all(|n| seen.insert(n)),
                "took duplicate classes"
            );
            wanted
                .iter()
                .map(|n| {
                    found
                        .iter()
                        .find(|f| f.to_string_lossy() == n.as_str())
                        .cloned()
                })
                .map(|f| Some(f.expect("took an unknown class")))
                .collect()
        }
    };
    assert_eq!(index.labeled, options.labels == LabelSource::Inferred);
    if index.labeled {
        let lossy: Vec<String> = classes
            .iter()
            .map(|c| c.as_ref().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(index.class_names, lossy);
    }
    for (label, class) in classes.iter().enumerate() {
        let label = index.labeled.then_some(label as u32);
        let listed: Vec<&PathBuf> = index
            .samples
            .iter()
            .filter(|s| s.label == label)
            .map(|s| &s.rel_path)
            .collect();
        let prefix = class.as_ref().map_or_else(PathBuf::new, PathBuf::from);
        let mut got = BTreeSet::new();
        for rel in &listed {
            assert!(
                rel.is_relative() && rel.starts_with(&prefix),
                "{rel:?} outside {prefix:?}"
            );
            let name = rel.file_name().unwrap().to_owned();
            assert!(
                is_image(&name, options.extra_formats),
                "not an image name: {rel:?}"
            );
            let folder = id(root.join(rel).parent().unwrap()).unwrap();
            assert!(got.insert((folder, name)), "listed twice: {rel:?}");
        }
        assert_eq!(
            got,
            reachable_files(&root.join(&prefix), options),
            "class {class:?}: the files listed are not the reachable ones"
        );
        for pair in listed.windows(2) {
            let key = |p: &Path| {
                (
                    p.parent().unwrap().as_os_str().as_bytes().to_vec(),
                    p.file_name().unwrap().as_bytes().to_vec(),
                )
            };
            assert!(
                key(pair[0]) < key(pair[1]),
                "out of order: {:?} before {:?}",
                pair[0],
                pair[1]
            );
        }
    }
    let labels: Vec<Option<u32>> = index.samples.iter().map(|s| s.label).collect();
    assert!(
        labels
            .iter()
            .all(|l| l.map_or(0, |l| l as usize) < classes.len()),
        "a label with no class"
    );
    assert!(labels.is_sorted(), "samples are not class by class");
    for warning in &index.warnings {
        assert!(
            warning.path.starts_with(root),
            "warning outside the root: {warning:?}"
        );
        assert!(!warning.reason.is_empty());
    }
}
