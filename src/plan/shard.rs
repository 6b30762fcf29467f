//! Shards: shard `I` of `N` is the `I`-th of `N` contiguous, balanced ranges of a plan's final order
//! (after shuffle, split, `drop_remainder` and any exclude list), so that shards `0..N` concatenated in
//! order are the whole plan. Also the names of shard files (`images-00002-of-00004.npy`), in one place
//! for the exporter that writes them, `merge` that joins them and the sources that must not read them
//! as arrays of their own.
//!
//! Guarantees: the ranges cover `0..n` exactly once, in order; their lengths differ by at most one
//! (the first `n % N` shards hold the extra rows, as `numpy.array_split` does); a shard may be empty
//! when `N > n`.

use std::fmt;
use std::ops::Range;

/// Digits of the shard numbers in file names (`00002`), as TFRecord shards are named.
const DIGITS: usize = 5;

/// The largest shard count (the names hold five digits).
pub const MAX_SHARDS: usize = 99_999;

/// Shard `index` of `count` (0-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShardSpec {
    /// Which shard, `0..count`.
    pub index: usize,
    /// How many shards.
    pub count: usize,
}

/// A shard that cannot be (`--shard 4/4`, `0/0`, `a/b`).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "{given:?} is not a shard: expected I/N with 0 <= I < N <= {MAX_SHARDS} (shard I is 0-based), e.g. 0/4"
)]
pub struct BadShard {
    /// What was given.
    pub given: String,
}

impl ShardSpec {
    /// Shard `index` of `count`, checked.
    pub fn new(index: usize, count: usize) -> Result<Self, BadShard> {
        if count == 0 || count > MAX_SHARDS || index >= count {
            return Err(BadShard {
                given: format!("{index}/{count}"),
            });
        }
        Ok(Self { index, count })
    }

    /// Parses `I/N`.
    pub fn parse(text: &str) -> Result<Self, BadShard> {
        let bad = || BadShard {
            given: text.to_owned(),
        };
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (i, n) = (
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        Self::new(i, n).map_err(|_| bad())
    }

    /// The positions of this shard in a plan of `n` samples.
    pub fn range(self, n: usize) -> Range<usize> {
        let start = |k: usize| -> usize {
            let (base, extra) = (n / self.count, n % self.count);
            k * base + k.min(extra)
        };
        start(self.index)..start(self.index + 1)
    }

    /// The name of this shard's `stem` file: `images-00002-of-00004.npy`.
    pub fn file_name(self, stem: &str, ext: &str) -> String {
        format!(
            "{stem}-{:0DIGITS$}-of-{:0DIGITS$}.{ext}",
            self.index, self.count
        )
    }
}

/// `I/N`.
impl fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// A shard file's name taken apart: `images-00002-of-00004.npy` → (`images`, shard 2 of 4, `npy`).
/// `None` for any other name.
pub fn parse_file_name(name: &str) -> Option<(&str, ShardSpec, &str)> {
    let (rest, ext) = name.rsplit_once('.')?;
    let (rest, count) = rest.rsplit_once("-of-")?;
    let (stem, index) = rest.rsplit_once('-')?;
    let number = |s: &str| {
        (s.len() == DIGITS && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<usize>().ok())
            .flatten()
    };
    let spec = ShardSpec::new(number(index)?, number(count)?).ok()?;
    (!stem.is_empty() && !ext.is_empty()).then_some((stem, spec, ext))
}

/// Whether `name` is a shard file batchscope writes (arrays, archive, CSV files, the shard's record).
pub fn is_shard_file_name(name: &str) -> bool {
    parse_file_name(name).is_some_and(|(_, _, ext)| matches!(ext, "npy" | "npz" | "csv" | "json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_contiguous_balanced_and_cover_the_plan() {
        for n in 0..40 {
            for count in 1..12 {
                let ranges: Vec<_> = (0..count)
                    .map(|i| ShardSpec::new(i, count).unwrap().range(n))
                    .collect();
                assert_eq!(ranges[0].start, 0);
                assert_eq!(ranges[count - 1].end, n);
                for w in ranges.windows(2) {
                    assert_eq!(w[0].end, w[1].start);
                }
                let lens: Vec<usize> = ranges.iter().map(ExactSizeIterator::len).collect();
                let (lo, hi) = (lens.iter().min().unwrap(), lens.iter().max().unwrap());
                assert!(hi - lo <= 1, "n={n} count={count}: {lens:?}");
            }
        }
        // numpy.array_split(range(10), 4): sizes 3, 3, 2, 2.
        let sizes: Vec<usize> = (0..4)
            .map(|i| ShardSpec::new(i, 4).unwrap().range(10).len())
            .collect();
        assert_eq!(sizes, [3, 3, 2, 2]);
    }

    #[test]
    fn names_round_trip_and_bad_shards_are_refused() {
        let spec = ShardSpec::parse("2/4").unwrap();
        assert_eq!(spec.file_name("images", "npy"), "images-00002-of-00004.npy");
        assert_eq!(
            parse_file_name("manifest-00002-of-00004.csv"),
            Some(("manifest", spec, "csv"))
        );
        assert_eq!(parse_file_name("images-2-of-4.npy"), None);
        assert_eq!(parse_file_name("images-00004-of-00004.npy"), None);
        assert!(!is_shard_file_name("images.npy"));
        assert!(is_shard_file_name("shard-00000-of-00001.json"));
        for bad in ["4/4", "0/0", "a/b", "1", "-1/3", "0/100000"] {
            assert!(ShardSpec::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            ShardSpec::parse("x").unwrap_err().to_string(),
            "\"x\" is not a shard: expected I/N with 0 <= I < N <= 99999 (shard I is 0-based), e.g. 0/4"
        );
    }
}
