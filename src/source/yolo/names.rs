//! The class names a YOLO folder states: `names` and `nc` of its `data.yaml` (read by a hand parser
//! of those two keys: `names` as a list, inline or as `- name` lines, or as an `index: name` map,
//! inline or indented), else `classes.txt` at the root or in `labels/`, one name a line.

use std::path::Path;

use super::MAX_TEXT_BYTES;
use crate::index::IndexWarning;
use crate::source::annotated_files::{self, warning};

/// `names` and `nc` of a `data.yaml`: `names` as a list (`[a, b]`, or `- a` lines) or an
/// `index: name` map (inline `{0: a}` or indented lines); `None` for what it does not state.
pub fn yaml_names(text: &str) -> (Option<Vec<String>>, Option<usize>) {
    let unquote = |s: &str| {
        let s = s.trim();
        let quoted = s.len() >= 2
            && ((s.starts_with('\'') && s.ends_with('\''))
                || (s.starts_with('"') && s.ends_with('"')));
        if quoted { &s[1..s.len() - 1] } else { s }.to_owned()
    };
    let mut names: Option<Vec<(Option<usize>, String)>> = None;
    let mut nc = None;
    let mut in_names = false;
    for raw in text.lines() {
        let line = raw.trim_end();
        if line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let indented = line.starts_with([' ', '\t']) || line.starts_with('-');
        if in_names && indented {
            let item = line.trim();
            let list = names.get_or_insert_with(Vec::new);
            if let Some(name) = item.strip_prefix('-') {
                list.push((None, unquote(name)));
            } else if let Some((key, name)) = item.split_once(':') {
                list.push((key.trim().parse().ok(), unquote(name)));
            }
            continue;
        }
        in_names = false;
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key.trim() {
            "nc" => nc = value.parse().ok(),
            "names" if value.is_empty() => in_names = true,
            "names" => {
                let inner = value
                    .strip_prefix(['[', '{'])
                    .and_then(|v| v.strip_suffix([']', '}']))
                    .unwrap_or(value);
                let map = value.starts_with('{');
                names = Some(
                    split_items(inner)
                        .into_iter()
                        .map(|item| match item.split_once(':') {
                            Some((key, name)) if map => (key.trim().parse().ok(), unquote(name)),
                            _ => (None, unquote(&item)),
                        })
                        .collect(),
                );
            }
            _ => {}
        }
    }
    let names = names.map(|items| {
        if items.iter().all(|(key, _)| key.is_some()) {
            let len = items
                .iter()
                .filter_map(|(k, _)| *k)
                .max()
                .map_or(0, |m| m + 1);
            let mut by_index: Vec<String> = (0..len).map(|i| format!("class {i}")).collect();
            for (key, name) in items {
                if let Some(k) = key {
                    by_index[k] = name;
                }
            }
            by_index
        } else {
            items.into_iter().map(|(_, name)| name).collect()
        }
    });
    (names, nc)
}

/// The comma-separated items of an inline YAML list or map, commas inside quotes kept.
fn split_items(inner: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut current = String::new();
    let mut quote = None;
    for c in inner.chars() {
        match (c, quote) {
            ('\'' | '"', None) => {
                quote = Some(c);
                current.push(c);
            }
            (c, Some(q)) if c == q => {
                quote = None;
                current.push(c);
            }
            (',', None) => items.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    items.push(current);
    items
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The class names and `nc` the folder states, and the file they came from.
pub(super) fn stated_names(
    root: &Path,
    labels: &Path,
    warnings: &mut Vec<IndexWarning>,
) -> (Option<Vec<String>>, Option<usize>) {
    for name in ["data.yaml", "data.yml", "dataset.yaml"] {
        let path = root.join(name);
        if !path.is_file() {
            continue;
        }
        match annotated_files::read_text(&path, MAX_TEXT_BYTES) {
            Ok(text) => {
                let (names, nc) = yaml_names(&text);
                if let (Some(names), Some(nc)) = (&names, nc)
                    && names.len() != nc
                {
                    warnings.push(warning(
                        &path,
                        format!("names lists {} classes but nc is {nc}", names.len()),
                    ));
                }
                return (names, nc);
            }
            Err(reason) => warnings.push(warning(&path, reason)),
        }
    }
    for path in [root.join("classes.txt"), labels.join("classes.txt")] {
        if path.is_file() {
            match annotated_files::read_text(&path, MAX_TEXT_BYTES) {
                Ok(text) => {
                    let names: Vec<String> = text
                        .lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(str::to_owned)
                        .collect();
                    return (Some(names), None);
                }
                Err(reason) => warnings.push(warning(&path, reason)),
            }
        }
    }
    (None, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_read_from_each_yaml_form() {
        let list = "path: ../x\ntrain: images/train\nnc: 3\nnames: ['a', \"b, c\", d]\n";
        assert_eq!(
            yaml_names(list),
            (Some(vec!["a".into(), "b, c".into(), "d".into()]), Some(3))
        );
        let block = "names:\n  - cat\n  - 'dog'\n# end\nnc: 2\n";
        assert_eq!(
            yaml_names(block),
            (Some(vec!["cat".into(), "dog".into()]), Some(2))
        );
        let map = "names:\n  0: person\n  2: car\n";
        assert_eq!(
            yaml_names(map),
            (
                Some(vec!["person".into(), "class 1".into(), "car".into()]),
                None
            )
        );
        let inline_map = "names: {0: a, 1: 'b'}";
        assert_eq!(
            yaml_names(inline_map),
            (Some(vec!["a".into(), "b".into()]), None)
        );
        assert_eq!(yaml_names("nc: 4\n"), (None, Some(4)));
    }
}
