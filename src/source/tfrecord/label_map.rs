//! Names of a detection dataset's class ids: a TF Object Detection API label map (`.pbtxt`, given
//! by `--label-map` or the only `*label_map*.pbtxt` beside the records), or tfds's
//! `<feature>.labels.txt` (`objects-label.labels.txt`, one name per line for ids `0..`).
//!
//! A label map is protobuf text: `item { id: 1 name: 'cat' display_name: "Cat" }` repeated, with
//! `#` comments; other fields (and nested messages such as `keypoints { .. }`) are skipped. As the OD
//! API's `create_category_index_from_labelmap` does by default, an item's `display_name` is its
//! name when it has one, else its `name`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Largest label map read (a label map of the 600 Open Images classes is about 60 KB).
const MAX_BYTES: u64 = 16 << 20;

/// Class names by source id, and the file they came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedIds {
    /// Each id's name.
    pub names: BTreeMap<i64, String>,
    /// The file read.
    pub file: PathBuf,
}

/// Reads the label map at `path`; `Err` names the file and says what is wrong.
pub fn read_label_map(path: &Path) -> Result<NamedIds, String> {
    let text = read_small(path)?;
    let names = parse_label_map(&text).map_err(|why| format!("label map {path:?}: {why}"))?;
    Ok(NamedIds {
        names,
        file: path.to_path_buf(),
    })
}

/// The only `*label_map*.pbtxt` in `dir`: `Ok(None)` when there is none, `Err` naming them when
/// there are several (the user picks one with `--label-map`).
pub fn find_label_map(dir: &Path) -> Result<Option<PathBuf>, String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(None);
    };
    let mut found: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("pbtxt"))
                && p.file_name().is_some_and(|n| {
                    n.to_string_lossy()
                        .to_ascii_lowercase()
                        .contains("label_map")
                })
        })
        .collect();
    found.sort();
    match found.len() {
        0 => Ok(None),
        1 => Ok(found.pop()),
        _ => Err(format!(
            "several label maps beside the records ({}); pick one with --label-map",
            found
                .iter()
                .map(|p| format!("{:?}", p.file_name().unwrap_or_default()))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// tfds's names of class feature `class_key` (`objects/label` → `objects-label.labels.txt` in
/// `dir`): line `i` names id `i`. `Ok(None)` when there is no such file.
pub fn read_tfds_names(dir: &Path, class_key: &str) -> Result<Option<NamedIds>, String> {
    let file = dir.join(format!("{}.labels.txt", class_key.replace('/', "-")));
    if !file.is_file() {
        return Ok(None);
    }
    let text = read_small(&file)?;
    let names = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .zip(0..)
        .map(|(name, id)| (id, name.to_owned()))
        .collect();
    Ok(Some(NamedIds { names, file }))
}

fn read_small(path: &Path) -> Result<String, String> {
    let (file, len) = crate::decode::open_regular(path).map_err(|e| format!("{e}: {path:?}"))?;
    if len > MAX_BYTES {
        return Err(format!(
            "{len} bytes, over the {MAX_BYTES} read of a names file: {path:?}"
        ));
    }
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(file, MAX_BYTES), &mut bytes)
        .map_err(|e| format!("{e}: {path:?}"))?;
    String::from_utf8(bytes).map_err(|_| format!("not UTF-8 text: {path:?}"))
}

#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    Text(String),
    Open,
    Close,
    Colon,
}

/// Parses label map text into names by id.
fn parse_label_map(text: &str) -> Result<BTreeMap<i64, String>, String> {
    parse_tokens(&lex(text)?)
}

/// Tokens of protobuf text.
fn lex(text: &str) -> Result<Vec<(usize, Token)>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line_no = n + 1;
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            match c {
                '#' => break,
                c if c.is_whitespace() || c == ',' || c == ';' => i += 1,
                '{' | '<' => {
                    out.push((line_no, Token::Open));
                    i += 1;
                }
                '}' | '>' => {
                    out.push((line_no, Token::Close));
                    i += 1;
                }
                ':' => {
                    out.push((line_no, Token::Colon));
                    i += 1;
                }
                '\'' | '"' => {
                    let quote = c;
                    let mut s = String::new();
                    i += 1;
                    let mut closed = false;
                    while i < chars.len() {
                        match chars[i] {
                            '\\' if i + 1 < chars.len() => {
                                s.push(match chars[i + 1] {
                                    'n' => '\n',
                                    't' => '\t',
                                    other => other,
                                });
                                i += 2;
                            }
                            q if q == quote => {
                                closed = true;
                                i += 1;
                                break;
                            }
                            other => {
                                s.push(other);
                                i += 1;
                            }
                        }
                    }
                    if !closed {
                        return Err(format!("line {line_no}: a string is not closed"));
                    }
                    out.push((line_no, Token::Text(s)));
                }
                _ => {
                    let start = i;
                    while i < chars.len()
                        && (chars[i].is_alphanumeric() || matches!(chars[i], '_' | '-' | '+' | '.'))
                    {
                        i += 1;
                    }
                    if i == start {
                        return Err(format!("line {line_no}: unexpected {c:?}"));
                    }
                    out.push((line_no, Token::Word(chars[start..i].iter().collect())));
                }
            }
        }
    }
    Ok(out)
}

fn parse_tokens(tokens: &[(usize, Token)]) -> Result<BTreeMap<i64, String>, String> {
    let mut names = BTreeMap::new();
    let mut i = 0;
    let mut items = 0;
    while i < tokens.len() {
        let (line, token) = &tokens[i];
        let Token::Word(word) = token else {
            return Err(format!("line {line}: expected an item"));
        };
        i += 1;
        if matches!(tokens.get(i), Some((_, Token::Colon))) {
            i += 1;
        }
        if word != "item" {
            i = skip_value(tokens, i)?;
            continue;
        }
        if !matches!(tokens.get(i), Some((_, Token::Open))) {
            return Err(format!("line {line}: expected '{{' after item"));
        }
        i += 1;
        items += 1;
        let (mut id, mut name, mut display) = (None, None, None);
        loop {
            let Some((field_line, token)) = tokens.get(i) else {
                return Err(format!("item {items} (line {line}) is not closed"));
            };
            i += 1;
            let field = match token {
                Token::Close => break,
                Token::Word(w) => w.clone(),
                _ => return Err(format!("line {field_line}: expected a field name")),
            };
            if matches!(tokens.get(i), Some((_, Token::Colon))) {
                i += 1;
            }
            match (field.as_str(), tokens.get(i)) {
                ("id", Some((l, Token::Word(v)))) => {
                    id = Some(
                        v.parse::<i64>()
                            .map_err(|_| format!("line {l}: id {v:?} is not an integer"))?,
                    );
                    i += 1;
                }
                ("name", Some((_, Token::Text(v) | Token::Word(v)))) => {
                    name = Some(v.clone());
                    i += 1;
                }
                ("display_name", Some((_, Token::Text(v) | Token::Word(v)))) => {
                    display = Some(v.clone());
                    i += 1;
                }
                _ => i = skip_value(tokens, i)?,
            }
        }
        let id = id.ok_or_else(|| format!("item {items} (line {line}) has no id"))?;
        let Some(name) = display.or(name) else {
            return Err(format!("item {items} (line {line}) has no name"));
        };
        if names.insert(id, name).is_some() {
            return Err(format!(
                "id {id} is named twice (item {items}, line {line})"
            ));
        }
    }
    if names.is_empty() {
        return Err("no item { id: .. name: .. }".to_owned());
    }
    Ok(names)
}

/// Skips one value (a word, a string, or a `{ .. }` message) starting at `i`.
fn skip_value(tokens: &[(usize, Token)], mut i: usize) -> Result<usize, String> {
    match tokens.get(i) {
        Some((_, Token::Open)) => {
            let mut depth = 0usize;
            while let Some((_, t)) = tokens.get(i) {
                i += 1;
                match t {
                    Token::Open => depth += 1,
                    Token::Close => {
                        depth -= 1;
                        if depth == 0 {
                            return Ok(i);
                        }
                    }
                    _ => {}
                }
            }
            Err("a message is not closed".to_owned())
        }
        Some((_, Token::Word(_) | Token::Text(_))) => Ok(i + 1),
        Some((line, _)) => Err(format!("line {line}: expected a value")),
        None => Err("the file ends where a value was expected".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_maps_name_ids_with_display_names_first() {
        let text = "# classes\nitem {\n  id: 1\n  name: 'cat'\n}\nitem { name: \"dog\" id: 3 display_name: \"Hund \\\"1\\\"\" }\nitem {\n id: 2 name: 'x'\n keypoints { id: 0 label: 'nose' }\n}\n";
        let names = parse_label_map(text).unwrap();
        assert_eq!(
            names.into_iter().collect::<Vec<_>>(),
            vec![
                (1, "cat".to_owned()),
                (2, "x".to_owned()),
                (3, "Hund \"1\"".to_owned())
            ]
        );
    }

    #[test]
    fn bad_label_maps_say_where() {
        assert_eq!(
            parse_label_map("item { name: 'a' }").unwrap_err(),
            "item 1 (line 1) has no id"
        );
        assert_eq!(
            parse_label_map("item { id: 1 name: 'a' }\nitem { id: 1 name: 'b' }").unwrap_err(),
            "id 1 is named twice (item 2, line 2)"
        );
        assert_eq!(
            parse_label_map("item { id: x1 name: 'a' }").unwrap_err(),
            "line 1: id \"x1\" is not an integer"
        );
        assert_eq!(
            parse_label_map("item { id: 1 name: 'a }").unwrap_err(),
            "line 1: a string is not closed"
        );
        assert_eq!(
            parse_label_map("item { id: 1 name: 'a'").unwrap_err(),
            "item 1 (line 1) is not closed"
        );
        assert!(parse_label_map("").is_err());
    }

    #[test]
    fn the_label_map_beside_the_records_is_found_when_it_is_the_only_one() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(find_label_map(dir.path()), Ok(None));
        std::fs::write(
            dir.path().join("coco_label_map.pbtxt"),
            "item { id: 1 name: 'a' }",
        )
        .unwrap();
        std::fs::write(dir.path().join("notes.pbtxt"), "").unwrap();
        assert_eq!(
            find_label_map(dir.path()),
            Ok(Some(dir.path().join("coco_label_map.pbtxt")))
        );
        std::fs::write(dir.path().join("label_map.pbtxt"), "").unwrap();
        assert_eq!(
            find_label_map(dir.path()).unwrap_err(),
            "several label maps beside the records (\"coco_label_map.pbtxt\", \"label_map.pbtxt\"); pick one with --label-map"
        );
    }

    #[test]
    fn tfds_names_are_one_per_line_from_id_0() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_tfds_names(dir.path(), "objects/label"), Ok(None));
        std::fs::write(dir.path().join("objects-label.labels.txt"), "cat\ndog\n").unwrap();
        let named = read_tfds_names(dir.path(), "objects/label")
            .unwrap()
            .unwrap();
        assert_eq!(
            named.names.into_iter().collect::<Vec<_>>(),
            vec![(0, "cat".to_owned()), (1, "dog".to_owned())]
        );
    }
}
