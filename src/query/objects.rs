//! The objects of an annotated dataset as query columns: each row's object count and the distinct
//! classes of its objects (one flat list with an end offset per row), built once with the
//! [`Table`](super::Table), so that filtering a million rows by object class or count reads plain
//! numbers. [`CountRange`] is the count filter and its command-line spelling (`2..5`, `3..`, `..1`,
//! `0`: inclusive bounds).

use std::fmt;

use crate::index::Sample;

/// The objects of a table's rows.
#[derive(Clone, Debug, Default)]
pub(crate) struct ObjectColumns {
    /// Objects in each row's image (0 for a sample without annotations).
    pub count: Vec<u32>,
    /// Row `r`'s distinct object classes, ascending, are `classes[end[r-1]..end[r]]`.
    classes: Vec<u32>,
    end: Vec<usize>,
    /// The object class names, in class order.
    pub names: Vec<String>,
}

impl ObjectColumns {
    /// Empty columns for the object classes `names`.
    pub fn new(names: Vec<String>) -> Self {
        Self {
            names,
            ..Self::default()
        }
    }

    /// Adds the next row, of `sample`.
    pub fn push(&mut self, sample: &Sample) {
        let objects = sample
            .objects
            .as_deref()
            .map_or(&[][..], |o| &o.objects[..]);
        self.count
            .push(u32::try_from(objects.len()).unwrap_or(u32::MAX));
        let start = self.classes.len();
        self.classes.extend(objects.iter().map(|o| o.class));
        self.classes[start..].sort_unstable();
        let mut kept = start;
        for i in start..self.classes.len() {
            if i == start || self.classes[i] != self.classes[kept - 1] {
                self.classes[kept] = self.classes[i];
                kept += 1;
            }
        }
        self.classes.truncate(kept);
        self.end.push(kept);
    }

    /// Row `row`'s distinct object classes, ascending.
    pub fn classes_of(&self, row: usize) -> &[u32] {
        let start = if row == 0 { 0 } else { self.end[row - 1] };
        &self.classes[start..self.end[row]]
    }
}

/// A range of object counts, both ends included (`max: None`: no upper end).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CountRange {
    /// The fewest objects.
    pub min: u32,
    /// The most objects, if bounded.
    pub max: Option<u32>,
}

impl CountRange {
    /// Whether `n` is in the range.
    pub fn contains(&self, n: u32) -> bool {
        n >= self.min && self.max.is_none_or(|max| n <= max)
    }
}

impl fmt::Display for CountRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.max {
            Some(max) if max == self.min => write!(f, "{max}"),
            Some(max) => write!(f, "{}..{max}", self.min),
            None => write!(f, "{}..", self.min),
        }
    }
}

/// A count range as the command line spells it: `MIN..MAX`, `MIN..`, `..MAX` (both ends
/// included) or one number.
pub fn parse_count_range(s: &str) -> Result<CountRange, String> {
    let number = |v: &str| {
        v.trim()
            .parse::<u32>()
            .map_err(|_| format!("{s:?} is not an object count range: expected MIN..MAX, MIN.., ..MAX or N (whole numbers, both ends included)"))
    };
    let range = match s.split_once("..") {
        None => {
            let n = number(s)?;
            CountRange {
                min: n,
                max: Some(n),
            }
        }
        Some((lo, hi)) => CountRange {
            min: if lo.trim().is_empty() { 0 } else { number(lo)? },
            max: if hi.trim().is_empty() {
                None
            } else {
                Some(number(hi)?)
            },
        },
    };
    if range.max.is_some_and(|max| max < range.min) {
        return Err(format!(
            "{s:?} is an empty object count range: its maximum is below its minimum"
        ));
    }
    Ok(range)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_ranges_include_both_ends() {
        let r = |min, max| CountRange { min, max };
        assert_eq!(parse_count_range("2..5"), Ok(r(2, Some(5))));
        assert_eq!(parse_count_range("3.."), Ok(r(3, None)));
        assert_eq!(parse_count_range("..1"), Ok(r(0, Some(1))));
        assert_eq!(parse_count_range("0"), Ok(r(0, Some(0))));
        assert!(parse_count_range("5..2").unwrap_err().contains("empty"));
        assert!(parse_count_range("a..2").unwrap_err().contains("MIN..MAX"));
        assert!(parse_count_range("-1").is_err());
        assert!(r(2, Some(5)).contains(2) && r(2, Some(5)).contains(5));
        assert!(!r(2, Some(5)).contains(6) && !r(2, None).contains(1));
        assert_eq!(r(2, None).to_string(), "2..");
        assert_eq!(r(4, Some(4)).to_string(), "4");
    }
}
