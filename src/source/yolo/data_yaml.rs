//! The two keys of a YOLO `data.yaml` that batchscope reads, `names` and `nc`, by a hand parser of
//! the YAML subset YOLO tools write (a YAML library for two keys would be the larger risk).
//!
//! Read: `nc: <whole number>`, and `names:` as a flow list `[a, b]` or map `{0: a, 1: b}` (on one
//! line or over several), or as the lines below it, `- name` or `<index>: name`. A name is plain,
//! `'single-quoted'` (`''` is a quote) or `"double-quoted"` (every YAML escape, `\u732B` as `PyYAML`
//! writes non-ASCII names, read as YAML reads it; an escape YAML does not have is an error). A `#`
//! at a line's start or after a space or tab, outside quotes, starts a comment. A leading UTF-8 byte-order mark is skipped. Other top-level
//! keys, and the lines indented under them, are not read.
//!
//! What does not fit the subset — an unclosed bracket or quote, text after a list or a quoted name,
//! an empty name, a key that is not a class index, `names` that are neither a list nor a map, an
//! `nc` that is not a whole number, a class past [`MAX_CLASSES`] — is an error with its line, never
//! a guessed list.

use std::fmt;

use super::MAX_CLASSES;
use crate::source::annotated_files::quoted;

/// A `data.yaml` that does not fit the subset read: its line (from 1) and why.
#[derive(Debug, PartialEq, Eq)]
pub struct YamlError {
    /// The line, counted from 1.
    pub line: usize,
    /// What is wrong there.
    pub reason: String,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

/// What a `data.yaml` states: its `names` (a map's missing indices named `class <i>`) and its
/// `nc`, each `None` when not stated.
pub type Stated = (Option<Vec<String>>, Option<usize>);

/// `names` and `nc` of the `data.yaml` text `text` (see the module's doc).
pub fn parse(text: &str) -> Result<Stated, YamlError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (mut names, mut nc) = (None, None);
    let first = first_line(text);
    let mut at = 0;
    while at < text.len() {
        let line = line_at(text, at);
        let next = next_line(text, at);
        // A top-level flow map (JSON, which YAML also reads) or a complex key is not the subset:
        // refused, rather than read as a file without names.
        let content = line.strip_prefix("--- ").unwrap_or(line).trim_start();
        if at == first && content.starts_with(['{', '?']) {
            return Err(error(
                text,
                at,
                "a flow map or complex key at the top level is not read; write names: [...] on a line of its own",
            ));
        }
        let top_level = !line.starts_with([' ', '\t', '-', '#']);
        let Some((key, _)) = line.split_once(':').filter(|_| top_level) else {
            at = next;
            continue;
        };
        let value = at + key.len() + 1;
        // A key may be quoted ("names": as JSON writes it).
        let key_name = key.trim_end();
        let unquoted = ['"', '\'']
            .iter()
            .find_map(|&q| key_name.strip_prefix(q)?.strip_suffix(q))
            .unwrap_or(key_name);
        match unquoted {
            "nc" => {
                nc = Some(nc_value(text, value)?);
                at = next;
            }
            "names" => {
                let (stated, end) = names_value(text, value)?;
                names = stated;
                at = end;
            }
            _ => at = next,
        }
    }
    Ok((names, nc))
}

/// Where the first line holding more than blanks or a comment starts (the text's length when
/// none does).
fn first_line(text: &str) -> usize {
    let mut at = 0;
    while at < text.len() {
        let line = line_at(text, at).trim_start_matches([' ', '\t', '\r']);
        if !line.is_empty() && !line.starts_with('#') && line != "---" {
            return at;
        }
        at = next_line(text, at);
    }
    text.len()
}

/// One name as stated: by position (a list) or by class index (a map).
enum Item {
    Listed(String),
    Keyed(usize, String),
}

/// The value of `nc:` starting at `at`.
fn nc_value(text: &str, at: usize) -> Result<usize, YamlError> {
    let start = skip_blanks(text, at);
    if matches!(text[start..].chars().next(), None | Some('\n' | '\r' | '#')) {
        return Err(error(text, at, "nc has no value"));
    }
    let (value, end) = scalar(text, at, Context::Block)?;
    line_ends(text, end, "nc")?;
    class_count(&value).map_err(|reason| error(text, at, format!("nc {reason}")))
}

/// `value` as a number of classes or a class index: a whole number below [`MAX_CLASSES`].
fn class_count(value: &str) -> Result<usize, String> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{} is not a whole number", quoted(value)));
    }
    value
        .parse::<usize>()
        .ok()
        .filter(|&n| n <= MAX_CLASSES)
        .ok_or_else(|| {
            format!("{value} is over {MAX_CLASSES}, the most classes a YOLO folder may have")
        })
}

/// The value of `names:` starting at `at`, and where the text after it starts.
fn names_value(text: &str, at: usize) -> Result<(Option<Vec<String>>, usize), YamlError> {
    let start = skip_blanks(text, at);
    let (items, end) = match text[start..].chars().next() {
        Some(open @ ('[' | '{')) => {
            let (items, end) = flow(text, start, open)?;
            line_ends(text, end, "names")?;
            (Some(items), next_line(text, end))
        }
        None | Some('\n' | '\r' | '#') => {
            let (items, end) = block(text, next_line(text, at))?;
            ((!items.is_empty()).then_some(items), end)
        }
        Some(_) => {
            return Err(error(
                text,
                start,
                "names is neither a list nor an index: name map ([a, b], - a lines, or 0: a lines)",
            ));
        }
    };
    Ok((items.map(|items| by_index(text, items)).transpose()?, end))
}

/// The class names of `items` (each with where it is stated in `text`): a list in its order, or a
/// map's names at their indices (`class <i>` for an index it does not name); an error where a list
/// and a map are mixed.
fn by_index(text: &str, items: Vec<(usize, Item)>) -> Result<Vec<String>, YamlError> {
    let keyed = matches!(items.first(), Some((_, Item::Keyed(..))));
    let mut names = Vec::new();
    for (at, item) in items {
        match item {
            Item::Listed(name) if !keyed => names.push(name),
            Item::Keyed(index, name) if keyed => {
                if names.len() <= index {
                    names.extend((names.len()..=index).map(|i| format!("class {i}")));
                }
                names[index] = name;
            }
            _ => {
                return Err(error(
                    text,
                    at,
                    "names mixes - name items and index: name pairs",
                ));
            }
        }
    }
    Ok(names)
}

/// The `- name` or `index: name` lines from `at` on (blank and comment lines among them skipped),
/// each with where it starts, and where the first line after them starts.
fn block(text: &str, mut at: usize) -> Result<(Vec<(usize, Item)>, usize), YamlError> {
    let mut items = Vec::new();
    while at < text.len() {
        let line = line_at(text, at);
        let next = next_line(text, at);
        let first = at + (line.len() - line.trim_start().len());
        let rest = &text[first..at + line.len()];
        if rest.is_empty() || rest.starts_with('#') {
            at = next;
            continue;
        }
        let is_item = rest == "-" || rest.starts_with("- ") || rest.starts_with("-\t");
        if first == at && !is_item {
            break;
        }
        let item = if is_item {
            let (name, end) = scalar(text, first + 1, Context::Block)?;
            line_ends(text, end, "the name")?;
            Item::Listed(name)
        } else {
            let Some((key, _)) = rest.split_once(':') else {
                return Err(error(
                    text,
                    first,
                    "neither a - name item nor an index: name pair",
                ));
            };
            let index = class_index(text, first, key.trim())?;
            let (name, end) = scalar(text, first + key.len() + 1, Context::Block)?;
            line_ends(text, end, "the name")?;
            Item::Keyed(index, name)
        };
        push(&mut items, text, first, item)?;
        at = next;
    }
    Ok((items, at))
}

/// The items of the flow list or map that `open` (`[` or `{`) starts at `at`, each with where it
/// starts, and where the text after its closing bracket starts.
fn flow(text: &str, at: usize, open: char) -> Result<(Vec<(usize, Item)>, usize), YamlError> {
    let close = if open == '[' { ']' } else { '}' };
    let unclosed = || error(text, at, format!("the {open} of names is never closed"));
    let mut items = Vec::new();
    let mut pos = skip_space(text, at + 1);
    loop {
        match text[pos..].chars().next() {
            None => return Err(unclosed()),
            Some(c) if c == close => return Ok((items, pos + 1)),
            Some(_) => {}
        }
        let start = pos;
        let item = if open == '[' {
            let (name, end) = scalar(text, pos, Context::Flow)?;
            pos = end;
            Item::Listed(name)
        } else {
            let (key, end) = scalar(text, pos, Context::Flow)?;
            if !text[end..].starts_with(':') {
                return Err(error(
                    text,
                    start,
                    format!("{} is not an index: name pair", quoted(&key)),
                ));
            }
            let index = class_index(text, start, &key)?;
            let (name, end) = scalar(text, skip_space(text, end + 1), Context::Flow)?;
            pos = end;
            Item::Keyed(index, name)
        };
        push(&mut items, text, start, item)?;
        pos = skip_space(text, pos);
        match text[pos..].chars().next() {
            None => return Err(unclosed()),
            Some(',') => pos = skip_space(text, pos + 1),
            Some(c) if c == close => return Ok((items, pos + 1)),
            Some(found) => {
                let line_start = text[..pos].rfind('\n').map_or(0, |n| n + 1);
                let unindented = !text[line_start..].starts_with([' ', '\t']);
                return Err(if unindented && line_of(text, pos) != line_of(text, at) {
                    error(
                        text,
                        at,
                        format!(
                            "the {open} of names is not closed before line {}",
                            line_of(text, pos)
                        ),
                    )
                } else {
                    error(
                        text,
                        pos,
                        format!("expected , or {close} after a name, found {found:?}"),
                    )
                });
            }
        }
    }
}

/// Adds `item` (stated at `at`) to `items`, unless that makes more names than [`MAX_CLASSES`].
fn push(
    items: &mut Vec<(usize, Item)>,
    text: &str,
    at: usize,
    item: Item,
) -> Result<(), YamlError> {
    if items.len() == MAX_CLASSES {
        return Err(error(
            text,
            at,
            format!("more than {MAX_CLASSES} names, the most classes a YOLO folder may have"),
        ));
    }
    items.push((at, item));
    Ok(())
}

/// The class index `key` (stated at `at`) names.
fn class_index(text: &str, at: usize, key: &str) -> Result<usize, YamlError> {
    if key.is_empty() || !key.bytes().all(|b| b.is_ascii_digit()) {
        return Err(error(
            text,
            at,
            format!("class index {} is not a whole number", quoted(key)),
        ));
    }
    key.parse::<usize>()
        .ok()
        .filter(|&index| index < MAX_CLASSES)
        .ok_or_else(|| {
            error(
                text,
                at,
                format!(
                    "class {key} is not below {MAX_CLASSES}, the most classes a YOLO folder may have"
                ),
            )
        })
}

/// Where a scalar is: a block line (it ends at the line's end or a comment) or a flow collection
/// (also at `,`, a bracket, or `: `).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    Block,
    Flow,
}

/// The scalar at `at` (after spaces and tabs), unquoted, and where the text after it starts.
fn scalar(text: &str, at: usize, context: Context) -> Result<(String, usize), YamlError> {
    let start = skip_blanks(text, at);
    let rest = &text[start..];
    let quote = rest.chars().next().filter(|c| matches!(c, '\'' | '"'));
    let Some(quote) = quote else {
        let end = plain_end(text, start, context);
        let value = text[start..end].trim_end();
        if value.is_empty() {
            return Err(error(text, start, "an empty name"));
        }
        return Ok((value.to_owned(), end));
    };
    let mut value = String::new();
    let mut chars = rest.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\'' if quote == '\'' && chars.peek().is_some_and(|&(_, n)| n == '\'') => {
                chars.next();
                value.push('\'');
            }
            '\\' if quote == '"' => match chars.next() {
                // An escaped line break joins the lines, without the next one's indent.
                Some((_, '\r' | '\n')) => {
                    chars.next_if(|&(_, n)| n == '\n');
                    while chars.next_if(|&(_, n)| matches!(n, ' ' | '\t')).is_some() {}
                }
                Some((j, e)) => {
                    let (c, len) = escaped(e, &rest[j + e.len_utf8()..]).ok_or_else(|| {
                        error(text, start + j, format!("an unknown escape \\{e}"))
                    })?;
                    value.push(c);
                    for _ in 0..len {
                        chars.next();
                    }
                }
                None => break,
            },
            c if c == quote => return Ok((value, start + i + c.len_utf8())),
            '\n' if context == Context::Block => break,
            '\n' | '\r' if context == Context::Flow => {
                // A line break inside a quoted flow scalar folds to one space, as in YAML.
                let trimmed = value.trim_end_matches([' ', '\t']).len();
                value.truncate(trimmed);
                if c == '\n' {
                    value.push(' ');
                }
                while chars.next_if(|&(_, n)| matches!(n, ' ' | '\t')).is_some() {}
            }
            c => value.push(c),
        }
    }
    Err(error(text, start, "a quoted name is never closed"))
}

/// The character a YAML double-quoted escape `\<e>` stands for, given the text after `e`, and how
/// many characters of that text it also takes (the digits of `\x`, `\u` and `\U`); `None`
/// for an escape YAML does not have. `PyYAML`'s `yaml.dump` writes non-ASCII names as `\u` escapes.
fn escaped(e: char, after: &str) -> Option<(char, usize)> {
    let simple = match e {
        '0' => '\0',
        'a' => '\u{7}',
        'b' => '\u{8}',
        't' | '\t' => '\t',
        'n' => '\n',
        'v' => '\u{b}',
        'f' => '\u{c}',
        'r' => '\r',
        'e' => '\u{1b}',
        ' ' | '"' | '/' | '\\' => e,
        'N' => '\u{85}',
        '_' => '\u{a0}',
        'L' => '\u{2028}',
        'P' => '\u{2029}',
        'x' | 'u' | 'U' => {
            let digits = match e {
                'x' => 2,
                'u' => 4,
                _ => 8,
            };
            let hex = after.get(..digits)?;
            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            let c = char::from_u32(u32::from_str_radix(hex, 16).ok()?)?;
            return Some((c, digits));
        }
        _ => return None,
    };
    Some((simple, 0))
}

/// Where the plain scalar starting at `at` ends.
fn plain_end(text: &str, at: usize, context: Context) -> usize {
    let bytes = text.as_bytes();
    let mut end = at;
    while end < bytes.len() {
        let b = bytes[end];
        let after_blank = end > at && matches!(bytes[end - 1], b' ' | b'\t');
        let next_is_blank = bytes
            .get(end + 1)
            .is_none_or(|n| n.is_ascii_whitespace() || matches!(n, b',' | b']' | b'}'));
        let stops = match b {
            b'\n' | b'\r' => true,
            b'#' => after_blank,
            b',' | b'[' | b']' | b'{' | b'}' => context == Context::Flow,
            b':' => context == Context::Flow && next_is_blank,
            _ => false,
        };
        if stops {
            break;
        }
        end += 1;
    }
    end
}

/// An error unless the line holds only blanks or a comment after `at` (`what` is what ended
/// before it).
fn line_ends(text: &str, at: usize, what: &str) -> Result<(), YamlError> {
    let rest = skip_blanks(text, at);
    match text[rest..].chars().next() {
        None | Some('\n' | '\r') => Ok(()),
        Some('#') if text[..rest].ends_with([' ', '\t']) => Ok(()),
        Some(_) => Err(error(
            text,
            rest,
            format!(
                "text after {what}: {}",
                quoted(line_at(text, rest).trim_end_matches('\r'))
            ),
        )),
    }
}

/// `at` moved past spaces and tabs.
fn skip_blanks(text: &str, at: usize) -> usize {
    at + text[at..].len() - text[at..].trim_start_matches([' ', '\t']).len()
}

/// `at` moved past blanks, line breaks and comments (a `#` after a blank or at a line's start).
fn skip_space(text: &str, mut at: usize) -> usize {
    loop {
        let next = at + text[at..].len() - text[at..].trim_start().len();
        let comment_may_start = next > at || at == 0 || text[..at].ends_with('\n');
        if comment_may_start && text[next..].starts_with('#') {
            at = next_line(text, next);
        } else {
            return next;
        }
    }
}

/// The line starting at `at`, without its line break.
fn line_at(text: &str, at: usize) -> &str {
    let line = text[at..].split('\n').next().unwrap_or("");
    line.strip_suffix('\r').unwrap_or(line)
}

/// Where the line after the one holding `at` starts (the text's end when there is none).
fn next_line(text: &str, at: usize) -> usize {
    text[at..].find('\n').map_or(text.len(), |n| at + n + 1)
}

/// The line (from 1) holding `at`.
fn line_of(text: &str, at: usize) -> usize {
    text[..at].matches('\n').count() + 1
}

fn error(text: &str, at: usize, reason: impl Into<String>) -> YamlError {
    YamlError {
        line: line_of(text, at),
        reason: reason.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any text, however it mixes the subset's tokens, multi-byte characters and line ends,
        /// gives names or an error with a line inside the text, and never panics.
        #[test]
        fn any_text_gives_names_or_a_line_never_a_panic(
            pieces in proptest::collection::vec(
                prop_oneof![
                    Just("names:"), Just("nc:"), Just("["), Just("]"), Just("{"), Just("}"),
                    Just(","), Just(":"), Just("- "), Just("#"), Just(" # c"), Just("'"),
                    Just("\""), Just("\\"), Just("\n"), Just("\r\n"), Just("  "), Just("\t"),
                    Just("cat"), Just("é"), Just("猫"), Just("\u{feff}"), Just("0"), Just("99"),
                    Just("1000001"), Just("-1"), Just("download: |"),
                ],
                0..40,
            )
        ) {
            let text: String = pieces.concat();
            match parse(&text) {
                Ok((names, _)) => {
                    prop_assert!(names.is_none_or(|n| n.len() <= super::super::MAX_CLASSES));
                }
                Err(e) => prop_assert!(e.line >= 1 && e.line <= text.lines().count().max(1) + 1),
            }
        }
    }

    fn names(text: &str) -> Vec<String> {
        parse(text).unwrap().0.unwrap()
    }

    fn fails(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn names_are_read_from_each_form() {
        let list = "path: ../x\ntrain: images/train\nnc: 3\nnames: ['a', \"b, c\", d]\n";
        assert_eq!(
            parse(list),
            Ok((Some(vec!["a".into(), "b, c".into(), "d".into()]), Some(3)))
        );
        let block = "names:\n  - cat\n  - 'dog'\n# end\nnc: 2\n";
        assert_eq!(
            parse(block),
            Ok((Some(vec!["cat".into(), "dog".into()]), Some(2)))
        );
        assert_eq!(names("names:\n- cat\n- dog\n"), ["cat", "dog"]);
        assert_eq!(
            names("names:\n  0: person\n  2: car\n"),
            ["person", "class 1", "car"]
        );
        assert_eq!(names("names: {0: a, 1: 'b'}"), ["a", "b"]);
        assert_eq!(names("names: []\n"), Vec::<String>::new());
        assert_eq!(parse("nc: 4\n"), Ok((None, Some(4))));
        assert_eq!(parse("names:\nnc: 4\n"), Ok((None, Some(4))));
        // Keys other than names and nc are not read, nor what is indented under them.
        let other = "download: |\n  names: ['x'  # python, not yaml\n  nc: no\nnames: [a]\n";
        assert_eq!(parse(other), Ok((Some(vec!["a".into()]), None)));
        assert_eq!(names("names: [a, b,]\r\nnc: 2\r\n"), ["a", "b"]);
    }

    #[test]
    fn quoted_keys_are_read_and_a_top_level_flow_map_is_refused() {
        assert_eq!(names("\"names\": [cat, dog]\n'nc': 2\n"), ["cat", "dog"]);
        let refused = "line 1: a flow map or complex key at the top level is not read; write names: [...] on a line of its own";
        assert_eq!(
            fails("{\"names\": [\"cat\", \"dog\"], \"nc\": 2}\n"),
            refused
        );
        assert_eq!(fails("--- {names: [a, b]}\n"), refused);
        assert_eq!(
            fails("# a comment\n---\n? names\n: [a]\n"),
            refused.replace("line 1", "line 3")
        );
        // Further down, a flow map is another key's value, not the document.
        assert_eq!(names("names: [a]\nextra: {x: 1}\n"), ["a"]);
    }

    #[test]
    fn double_quoted_escapes_read_as_yaml_reads_them() {
        // As PyYAML's yaml.dump writes non-ASCII names (allow_unicode off).
        assert_eq!(
            names("names:\n- \"\\u732B\"\n- \"caf\\xE9\"\n- \"\\U0001F600 \\t\\/\\_x\"\n"),
            ["猫", "café", "😀 \t/\u{a0}x"]
        );
        // An escaped line break joins the lines without the next one's indent.
        assert_eq!(names("names: [\"a\\\n    b\"]\n"), ["ab"]);
        assert_eq!(
            fails("names: [\"a\\qb\"]\n"),
            "line 1: an unknown escape \\q"
        );
        assert_eq!(
            fails("names: [\"\\u12\"]\n"),
            "line 1: an unknown escape \\u"
        );
    }

    #[test]
    fn comments_are_not_part_of_names() {
        assert_eq!(names("names: [cat, dog] # two classes\n"), ["cat", "dog"]);
        assert_eq!(names("names:\n  - cat # feline\n  - dog\n"), ["cat", "dog"]);
        assert_eq!(names("names:\n  0: cat  # feline\n"), ["cat"]);
        assert_eq!(parse("nc: 2 # classes\n"), Ok((None, Some(2))));
        // A # inside a name, or inside quotes, is the name's.
        assert_eq!(
            names("names: [c#1, 'a # b', \"x, y\"]\n"),
            ["c#1", "a # b", "x, y"]
        );
        assert_eq!(names("names:\n  - 'a # b' # the comment\n"), ["a # b"]);
        assert_eq!(
            names("names: ['it''s', \"say \\\"hi\\\"\"]\n"),
            ["it's", "say \"hi\""]
        );
    }

    #[test]
    fn flow_lists_may_span_lines_and_a_bom_is_skipped() {
        assert_eq!(names("names: [cat,\n  dog]\n"), ["cat", "dog"]);
        assert_eq!(
            names("names: [\n  cat,  # feline\n  # a comment line\n  'dog'\n]\nnc: 2\n"),
            ["cat", "dog"]
        );
        assert_eq!(names("names: {0: a,\n  1: b}\n"), ["a", "b"]);
        assert_eq!(
            parse("\u{feff}names: [cat, dog]\nnc: 2\n"),
            Ok((Some(vec!["cat".into(), "dog".into()]), Some(2)))
        );
    }

    #[test]
    fn malformed_names_are_errors_with_their_line() {
        assert_eq!(
            fails("nc: 2\nnames: [cat, dog\n"),
            "line 2: the [ of names is never closed"
        );
        assert_eq!(
            fails("names: [cat, dog\nnc: 2\n"),
            "line 1: the [ of names is not closed before line 2"
        );
        assert_eq!(
            fails("names: {0: a\n"),
            "line 1: the { of names is never closed"
        );
        assert_eq!(
            fails("names: ['cat, dog]\n"),
            "line 1: a quoted name is never closed"
        );
        assert_eq!(
            fails("names:\n  - cat\n  - \"dog\n"),
            "line 3: a quoted name is never closed"
        );
        assert_eq!(
            fails("names: [cat] dog\n"),
            "line 1: text after names: \"dog\""
        );
        assert_eq!(
            fails("names: ['a' b]\n"),
            "line 1: expected , or ] after a name, found 'b'"
        );
        assert_eq!(fails("names: [a, , b]\n"), "line 1: an empty name");
        assert_eq!(
            fails("names: cat\n"),
            "line 1: names is neither a list nor an index: name map ([a, b], - a lines, or 0: a lines)"
        );
        assert_eq!(
            fails("names:\n  - a\n  1: b\n"),
            "line 3: names mixes - name items and index: name pairs"
        );
        assert_eq!(
            fails("names:\n  cat: 0\n"),
            "line 2: class index \"cat\" is not a whole number"
        );
        assert_eq!(
            fails("nc: three\n"),
            "line 1: nc \"three\" is not a whole number"
        );
    }

    #[test]
    fn class_counts_past_the_limit_are_errors() {
        assert_eq!(
            fails("nc: 3000000000\n"),
            "line 1: nc 3000000000 is over 1000000, the most classes a YOLO folder may have"
        );
        assert_eq!(
            fails("names:\n  0: cat\n  99999999999: bird\n"),
            "line 3: class 99999999999 is not below 1000000, the most classes a YOLO folder may have"
        );
        assert_eq!(
            fails("names: {1000000: a}\n"),
            "line 1: class 1000000 is not below 1000000, the most classes a YOLO folder may have"
        );
        assert_eq!(names("names: {999999: a}\n").len(), MAX_CLASSES);
        assert_eq!(parse("nc: 1000000\n"), Ok((None, Some(MAX_CLASSES))));
        let many = format!("names: [{}]\n", vec!["a"; MAX_CLASSES + 1].join(","));
        assert_eq!(
            fails(&many),
            "line 1: more than 1000000 names, the most classes a YOLO folder may have"
        );
    }
}
