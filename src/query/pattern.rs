//! The path filter: a substring, or a glob when the pattern holds `*`, `?` or `[`. A glob matches
//! the whole path as `manifest.csv` writes it (relative, `/`-separated): `*` matches any bytes,
//! `/` included (so `*.png` matches `cat/1.png`), `?` one byte, `[abc]`, `[a-z]` and `[!a-z]` one
//! byte of (or not of) the set. Matching works on bytes and allocates nothing.

/// A compiled path filter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathPattern {
    /// The path holds these bytes.
    Substring(Vec<u8>),
    /// The whole path matches this glob.
    Glob(Vec<u8>),
}

impl PathPattern {
    /// A glob if `pattern` holds `*`, `?` or `[`, else a substring.
    pub fn new(pattern: &str) -> Self {
        let bytes = pattern.as_bytes().to_vec();
        if bytes.iter().any(|b| matches!(b, b'*' | b'?' | b'[')) {
            Self::Glob(bytes)
        } else {
            Self::Substring(bytes)
        }
    }

    /// Whether `path` passes.
    pub fn matches(&self, path: &[u8]) -> bool {
        match self {
            Self::Substring(needle) => {
                needle.is_empty() || path.windows(needle.len()).any(|w| w == needle.as_slice())
            }
            Self::Glob(glob) => glob_matches(glob, path),
        }
    }
}

/// The set at `glob[at]` (just after `[`): whether `byte` is in it, and where the set ends (after
/// `]`); `None` for an unclosed `[`, which then matches itself.
fn class(glob: &[u8], at: usize, byte: u8) -> Option<(bool, usize)> {
    let mut i = at;
    let negate = matches!(glob.get(i), Some(b'!' | b'^'));
    if negate {
        i += 1;
    }
    let mut hit = false;
    let mut first = true;
    loop {
        let &c = glob.get(i)?;
        if c == b']' && !first {
            return Some((hit != negate, i + 1));
        }
        first = false;
        if glob.get(i + 1) == Some(&b'-') && glob.get(i + 2).is_some_and(|&e| e != b']') {
            let end = glob[i + 2];
            hit |= (c..=end).contains(&byte);
            i += 3;
        } else {
            hit |= c == byte;
            i += 1;
        }
    }
}

/// One glob step at `g` against `byte`: where the glob goes next if it matches.
fn step(glob: &[u8], g: usize, byte: u8) -> Option<usize> {
    match glob[g] {
        b'?' => Some(g + 1),
        b'[' => match class(glob, g + 1, byte) {
            Some((true, next)) => Some(next),
            Some((false, _)) => None,
            None => (byte == b'[').then_some(g + 1),
        },
        c => (c == byte).then_some(g + 1),
    }
}

/// Whether the whole `path` matches `glob` (backtracking to the last `*`: linear in practice,
/// `O(len(glob) * len(path))` at worst).
fn glob_matches(glob: &[u8], path: &[u8]) -> bool {
    let (mut g, mut p) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while p < path.len() {
        if g < glob.len() && glob[g] == b'*' {
            star = Some((g + 1, p));
            g += 1;
            continue;
        }
        if g < glob.len()
            && let Some(next) = step(glob, g, path[p])
        {
            g = next;
            p += 1;
            continue;
        }
        match star {
            Some((after, from)) => {
                g = after;
                p = from + 1;
                star = Some((after, from + 1));
            }
            None => return false,
        }
    }
    glob[g..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substring_and_glob() {
        let m = |pat: &str, path: &str| PathPattern::new(pat).matches(path.as_bytes());
        assert!(m("at/1", "cat/1.png"));
        assert!(!m("dog", "cat/1.png"));
        assert!(m("", "cat/1.png"));
        assert!(m("*.png", "cat/1.png"));
        assert!(!m("*.png", "cat/1.png.jpg"));
        assert!(m("cat/*", "cat/sub/1.png"));
        assert!(!m("cat/*", "dog/cat/1.png"));
        assert!(m("*/?.png", "cat/1.png"));
        assert!(!m("*/?.png", "cat/10.png"));
        assert!(m("c[a-c]t/*", "cat/1.png"));
        assert!(!m("c[!a]t/*", "cat/1.png"));
        assert!(m("c[!b]t/*", "cat/1.png"));
        assert!(m("[]]x", "]x"));
        assert!(m("a[b", "a[b"), "an unclosed [ matches itself");
        assert!(m("*a*a*a*b", "aaaaaaaaaaaaab"));
        assert!(!m("*a*a*a*b", "aaaaaaaaaaaaaa"));
        assert!(m("**", ""));
    }
}
