//! A record too large to hold while the source is opened: its `tf.train.Example` read as it streams
//! past, keeping of it only what opening needs — every feature's name and kind, how many values each
//! list holds, the numbers of the int64 and float lists (up to [`KEPT_NUMBERS`] each: a detection
//! record's boxes and classes), and the first bytes of the first values of the bytes lists (enough to
//! tell an image's format and size). A 900 MB image feature is then checked,
//! and its header probed, in a megabyte, not held twice over (the record as read, and the parsed copy).
//!
//! The wire format is protobuf's, read with the field numbers of [`super::example`]'s messages and with
//! prost's rules where it matters to the choice of features: a repeated map entry replaces the earlier
//! one, a repeated message merges into it, a list of another kind replaces a feature's list, lists are
//! read packed or unpacked, unknown fields (groups included) are skipped, and keys must be UTF-8.

use std::collections::BTreeMap;
use std::io::Read;

use super::example::{BytesList, Example, Feature, Features, FloatList, Int64List, Kind};

/// Values kept of each bytes list: two tell "one value" from "several"; [`Sizes::values`] has the count.
const KEPT_VALUES: usize = 2;
/// Numbers kept of each int64 or float list (256 KiB at most): enough for the boxes and classes of
/// any detection record; [`Sizes::values`] says when a list was cut.
pub const KEPT_NUMBERS: usize = 1 << 16;
/// Longest feature name kept; a longer one is not an Example a reader of images should trust.
const MAX_KEY_BYTES: u64 = 64 * 1024;
/// Features kept; a record with more is refused rather than held.
const MAX_FEATURES: usize = 4096;
/// Nesting of groups skipped, as prost's recursion limit.
const MAX_DEPTH: u32 = 100;

/// The sizes of one feature that the cut [`LargeExample::example`] no longer shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sizes {
    /// Values in the feature's list.
    pub values: u64,
    /// Bytes of its first value, for a bytes list (0 otherwise).
    pub first_bytes: u64,
    /// Where its first value starts in the record, for a bytes list (0 otherwise).
    pub first_offset: u64,
}

/// What was kept of a large record's Example.
#[derive(Debug, Default, PartialEq)]
pub struct LargeExample {
    /// The features, each list cut to its first values, each kept bytes value to its first bytes.
    pub example: Example,
    /// The real sizes of each feature, by name.
    pub sizes: BTreeMap<String, Sizes>,
}

/// Reads the `len` bytes of a record from `input` as a `tf.train.Example`, keeping at most `head`
/// bytes of each bytes value. Reads no further than `len`, and may stop before it on a malformed
/// record (the caller streams past the rest). The error is what makes the bytes no Example.
pub fn read_large_example(
    input: &mut dyn Read,
    len: u64,
    head: usize,
) -> Result<LargeExample, String> {
    let mut wire = Wire {
        input,
        pos: 0,
        head,
    };
    let mut features = BTreeMap::new();
    let has_features = wire.example(len, &mut features)?;
    let mut large = LargeExample::default();
    let mut map = BTreeMap::new();
    for (key, (feature, sizes)) in features {
        large.sizes.insert(key.clone(), sizes);
        map.insert(key, feature);
    }
    if has_features {
        large.example.features = Some(Features { feature: map });
    }
    Ok(large)
}

/// A protobuf reader over a stream, with the position in the record.
struct Wire<'a> {
    input: &'a mut dyn Read,
    pos: u64,
    head: usize,
}

type Kept = BTreeMap<String, (Feature, Sizes)>;

impl Wire<'_> {
    fn byte(&mut self, end: u64) -> Result<u8, String> {
        if self.pos >= end {
            return Err("a value runs past the end of its message".to_owned());
        }
        let mut b = [0u8; 1];
        self.input
            .read_exact(&mut b)
            .map_err(|e| format!("the record ends early ({e})"))?;
        self.pos += 1;
        Ok(b[0])
    }

    fn varint(&mut self, end: u64) -> Result<u64, String> {
        let mut value = 0u64;
        for i in 0..10 {
            let b = self.byte(end)?;
            value |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("a varint longer than 10 bytes".to_owned())
    }

    fn skip(&mut self, n: u64, end: u64) -> Result<(), String> {
        if n > end - self.pos {
            return Err(format!(
                "a field of {n} bytes runs past the end of its message"
            ));
        }
        let skipped = crate::decode::skip_bytes(self.input, n).map_err(|e| e.to_string())?;
        self.pos += skipped;
        if skipped < n {
            return Err("the record ends early".to_owned());
        }
        Ok(())
    }

    fn read_into(&mut self, n: usize, out: &mut Vec<u8>) -> Result<(), String> {
        let start = out.len();
        out.resize(start + n, 0);
        self.input
            .read_exact(&mut out[start..])
            .map_err(|e| format!("the record ends early ({e})"))?;
        self.pos += n as u64;
        Ok(())
    }

    /// The next field's number and wire type, `None` at `end`.
    fn key(&mut self, end: u64) -> Result<Option<(u64, u8)>, String> {
        if self.pos == end {
            return Ok(None);
        }
        let key = self.varint(end)?;
        let field = key >> 3;
        if field == 0 {
            return Err("a field numbered 0".to_owned());
        }
        Ok(Some((field, (key & 7) as u8)))
    }

    /// The end of a length-delimited field starting here.
    fn delimited(&mut self, end: u64) -> Result<u64, String> {
        let n = self.varint(end)?;
        if n > end - self.pos {
            return Err(format!(
                "a field of {n} bytes runs past the end of its message"
            ));
        }
        Ok(self.pos + n)
    }

    fn skip_field(
        &mut self,
        field: u64,
        wire_type: u8,
        end: u64,
        depth: u32,
    ) -> Result<(), String> {
        match wire_type {
            0 => self.varint(end).map(drop),
            1 => self.skip(8, end),
            2 => {
                let field_end = self.delimited(end)?;
                self.skip(field_end - self.pos, end)
            }
            3 => {
                if depth >= MAX_DEPTH {
                    return Err("groups nested too deeply".to_owned());
                }
                loop {
                    match self.key(end)? {
                        None => return Err("a group without its end".to_owned()),
                        Some((f, 4)) if f == field => return Ok(()),
                        Some((f, t)) => self.skip_field(f, t, end, depth + 1)?,
                    }
                }
            }
            5 => self.skip(4, end),
            other => Err(format!("invalid wire type {other}")),
        }
    }

    fn expect(wire_type: u8, wanted: u8) -> Result<(), String> {
        if wire_type == wanted {
            Ok(())
        } else {
            Err(format!("invalid wire type {wire_type} (expected {wanted})"))
        }
    }

    /// `tensorflow.Example`: field 1 is its `Features` (repeats merge). Whether it has that field.
    fn example(&mut self, end: u64, kept: &mut Kept) -> Result<bool, String> {
        let mut has_features = false;
        while let Some((field, wire_type)) = self.key(end)? {
            if field == 1 {
                has_features = true;
                Self::expect(wire_type, 2)?;
                let features_end = self.delimited(end)?;
                self.features(features_end, kept)?;
            } else {
                self.skip_field(field, wire_type, end, 0)?;
            }
        }
        Ok(has_features)
    }

    /// `tensorflow.Features`: field 1 is a map entry (a repeated key replaces the earlier one).
    fn features(&mut self, end: u64, kept: &mut Kept) -> Result<(), String> {
        while let Some((field, wire_type)) = self.key(end)? {
            if field == 1 {
                Self::expect(wire_type, 2)?;
                let entry_end = self.delimited(end)?;
                let (key, feature) = self.entry(entry_end)?;
                kept.insert(key, feature);
                if kept.len() > MAX_FEATURES {
                    return Err(format!("more than {MAX_FEATURES} features in one record"));
                }
            } else {
                self.skip_field(field, wire_type, end, 0)?;
            }
        }
        Ok(())
    }

    /// A map entry: field 1 the name, field 2 the `Feature` (repeats merge).
    fn entry(&mut self, end: u64) -> Result<(String, (Feature, Sizes)), String> {
        let mut key = String::new();
        let mut feature = (Feature { kind: None }, Sizes::default());
        while let Some((field, wire_type)) = self.key(end)? {
            match field {
                1 => {
                    Self::expect(wire_type, 2)?;
                    let key_end = self.delimited(end)?;
                    let n = key_end - self.pos;
                    if n > MAX_KEY_BYTES {
                        return Err(format!(
                            "a feature name of {n} bytes (at most {MAX_KEY_BYTES} are read)"
                        ));
                    }
                    let mut bytes = Vec::new();
                    self.read_into(n as usize, &mut bytes)?;
                    key = String::from_utf8(bytes)
                        .map_err(|_| "a feature name that is not UTF-8".to_owned())?;
                }
                2 => {
                    Self::expect(wire_type, 2)?;
                    let feature_end = self.delimited(end)?;
                    self.feature(feature_end, &mut feature)?;
                }
                _ => self.skip_field(field, wire_type, end, 0)?,
            }
        }
        Ok((key, feature))
    }

    /// `tensorflow.Feature`: a oneof of a bytes (1), float (2) or int64 (3) list. A list of the kind
    /// already there merges into it; another kind replaces it.
    fn feature(&mut self, end: u64, (feature, sizes): &mut (Feature, Sizes)) -> Result<(), String> {
        while let Some((field, wire_type)) = self.key(end)? {
            if !(1..=3).contains(&field) {
                self.skip_field(field, wire_type, end, 0)?;
                continue;
            }
            Self::expect(wire_type, 2)?;
            let list_end = self.delimited(end)?;
            let same = matches!(
                (&feature.kind, field),
                (Some(Kind::BytesList(_)), 1)
                    | (Some(Kind::FloatList(_)), 2)
                    | (Some(Kind::Int64List(_)), 3)
            );
            if !same {
                *sizes = Sizes::default();
                feature.kind = Some(match field {
                    1 => Kind::BytesList(BytesList::default()),
                    2 => Kind::FloatList(FloatList::default()),
                    _ => Kind::Int64List(Int64List::default()),
                });
            }
            match &mut feature.kind {
                Some(Kind::BytesList(list)) => self.bytes_list(list_end, list, sizes)?,
                Some(Kind::FloatList(list)) => self.float_list(list_end, list, sizes)?,
                Some(Kind::Int64List(list)) => self.int64_list(list_end, list, sizes)?,
                None => unreachable!("the kind was set above"),
            }
        }
        Ok(())
    }

    fn bytes_list(
        &mut self,
        end: u64,
        list: &mut BytesList,
        sizes: &mut Sizes,
    ) -> Result<(), String> {
        while let Some((field, wire_type)) = self.key(end)? {
            if field != 1 {
                self.skip_field(field, wire_type, end, 0)?;
                continue;
            }
            Self::expect(wire_type, 2)?;
            let value_end = self.delimited(end)?;
            let n = value_end - self.pos;
            if sizes.values == 0 {
                sizes.first_bytes = n;
                sizes.first_offset = self.pos;
            }
            sizes.values += 1;
            if list.value.len() < KEPT_VALUES {
                let mut head = Vec::new();
                self.read_into(n.min(self.head as u64) as usize, &mut head)?;
                list.value.push(head);
            }
            self.skip(value_end - self.pos, end)?;
        }
        Ok(())
    }

    /// Float values are counted, and kept up to [`KEPT_NUMBERS`] (a detection record's boxes).
    fn float_list(
        &mut self,
        end: u64,
        list: &mut FloatList,
        sizes: &mut Sizes,
    ) -> Result<(), String> {
        while let Some((field, wire_type)) = self.key(end)? {
            match (field, wire_type) {
                (1, 2) => {
                    let values_end = self.delimited(end)?;
                    let n = values_end - self.pos;
                    if !n.is_multiple_of(4) {
                        return Err(format!("packed floats of {n} bytes, not a multiple of 4"));
                    }
                    sizes.values += n / 4;
                    let kept =
                        (n / 4).min((KEPT_NUMBERS - list.value.len().min(KEPT_NUMBERS)) as u64);
                    for _ in 0..kept {
                        self.float(list, end)?;
                    }
                    self.skip(values_end - self.pos, end)?;
                }
                (1, 5) => {
                    sizes.values += 1;
                    self.float(list, end)?;
                }
                (1, other) => return Self::expect(other, 2),
                _ => self.skip_field(field, wire_type, end, 0)?,
            }
        }
        Ok(())
    }

    /// One little-endian float, kept while the list holds fewer than [`KEPT_NUMBERS`].
    fn float(&mut self, list: &mut FloatList, end: u64) -> Result<(), String> {
        if list.value.len() >= KEPT_NUMBERS {
            return self.skip(4, end);
        }
        let mut bytes = [0u8; 4];
        for b in &mut bytes {
            *b = self.byte(end)?;
        }
        list.value.push(f32::from_le_bytes(bytes));
        Ok(())
    }

    fn int64_list(
        &mut self,
        end: u64,
        list: &mut Int64List,
        sizes: &mut Sizes,
    ) -> Result<(), String> {
        let mut keep = |value: u64, list: &mut Int64List| {
            sizes.values += 1;
            if list.value.len() < KEPT_NUMBERS {
                // int64 is a varint of the two's complement value.
                list.value.push(value.cast_signed());
            }
        };
        while let Some((field, wire_type)) = self.key(end)? {
            match (field, wire_type) {
                (1, 2) => {
                    let values_end = self.delimited(end)?;
                    while self.pos < values_end {
                        let value = self.varint(values_end)?;
                        keep(value, list);
                    }
                }
                (1, 0) => {
                    let value = self.varint(end)?;
                    keep(value, list);
                }
                (1, other) => return Self::expect(other, 2),
                _ => self.skip_field(field, wire_type, end, 0)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message as _;

    fn feature(kind: Kind) -> Feature {
        Feature { kind: Some(kind) }
    }

    fn example(features: Vec<(&str, Feature)>) -> Example {
        Example {
            features: Some(Features {
                feature: features
                    .into_iter()
                    .map(|(k, f)| (k.to_owned(), f))
                    .collect(),
            }),
        }
    }

    fn read(bytes: &[u8], head: usize) -> Result<LargeExample, String> {
        read_large_example(&mut &bytes[..], bytes.len() as u64, head)
    }

    #[test]
    fn a_large_example_keeps_heads_first_values_and_real_sizes() {
        let image: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
        let whole = example(vec![
            (
                "image/encoded",
                feature(Kind::BytesList(BytesList {
                    value: vec![image.clone()],
                })),
            ),
            (
                "label",
                feature(Kind::Int64List(Int64List {
                    value: vec![-3, 7, 70000],
                })),
            ),
            (
                "weights",
                feature(Kind::FloatList(FloatList {
                    value: vec![0.5; 9],
                })),
            ),
        ]);
        let bytes = whole.encode_to_vec();
        let large = read(&bytes, 100).unwrap();
        let features = &large.example.features.as_ref().unwrap().feature;
        assert_eq!(
            features["image/encoded"],
            feature(Kind::BytesList(BytesList {
                value: vec![image[..100].to_vec()]
            }))
        );
        assert_eq!(
            features["label"],
            feature(Kind::Int64List(Int64List {
                value: vec![-3, 7, 70000]
            }))
        );
        assert_eq!(
            features["weights"],
            feature(Kind::FloatList(FloatList {
                value: vec![0.5; 9]
            }))
        );
        let image_sizes = large.sizes["image/encoded"];
        assert_eq!((image_sizes.values, image_sizes.first_bytes), (1, 5000));
        let at = image_sizes.first_offset as usize;
        assert_eq!(bytes[at..at + 5000], image[..]);
        assert_eq!(large.sizes["label"].values, 3);
        assert_eq!(large.sizes["weights"].values, 9);
    }

    #[test]
    fn small_examples_read_as_prost_reads_them() {
        // With a head and a value count that cut nothing, the large reader equals prost's decode.
        let cases = [
            example(vec![]),
            example(vec![("empty", Feature { kind: None })]),
            example(vec![
                (
                    "a",
                    feature(Kind::BytesList(BytesList {
                        value: vec![b"xy".to_vec()],
                    })),
                ),
                (
                    "b",
                    feature(Kind::Int64List(Int64List {
                        value: vec![i64::MIN],
                    })),
                ),
            ]),
        ];
        for whole in cases {
            let bytes = whole.encode_to_vec();
            let large = read(&bytes, 1 << 20).unwrap();
            let decoded = Example::decode(&bytes[..]).unwrap();
            assert_eq!(large.example, decoded);
        }
    }

    #[test]
    fn unpacked_ints_unknown_fields_and_a_repeated_key_follow_prost() {
        // Features { entry "k" -> int64 [5] unpacked, unknown field 9 (varint), entry "k" -> bytes ["z"] }
        let entry_int: &[u8] = &[0x0a, 0x01, b'k', 0x12, 0x04, 0x1a, 0x02, 0x08, 0x05];
        let entry_bytes: &[u8] = &[0x0a, 0x01, b'k', 0x12, 0x05, 0x0a, 0x03, 0x0a, 0x01, b'z'];
        let mut features = vec![0x0a, entry_int.len() as u8];
        features.extend_from_slice(entry_int);
        features.extend_from_slice(&[0x48, 0x01]);
        features.extend_from_slice(&[0x0a, entry_bytes.len() as u8]);
        features.extend_from_slice(entry_bytes);
        let mut bytes = vec![0x0a, features.len() as u8];
        bytes.extend_from_slice(&features);
        let large = read(&bytes, 16).unwrap();
        assert_eq!(large.example, Example::decode(&bytes[..]).unwrap());
        assert_eq!(
            large.sizes["k"],
            Sizes {
                values: 1,
                first_bytes: 1,
                first_offset: bytes.len() as u64 - 1,
            }
        );
    }

    #[test]
    fn malformed_records_are_errors_not_panics() {
        // A length running past the record, a field numbered 0, a non-UTF-8 name, wire type 7.
        let cases: [&[u8]; 4] = [
            &[0x0a, 0x7f, 0x0a],
            &[0x00],
            &[0x0a, 0x05, 0x0a, 0x03, 0x0a, 0x01, 0xff],
            &[0x0f],
        ];
        for bytes in cases {
            assert!(read(bytes, 16).is_err(), "{bytes:?}");
            assert!(Example::decode(bytes).is_err(), "{bytes:?}");
        }
    }

    #[test]
    fn mutated_examples_never_panic_and_agree_with_prost_when_both_read_them() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut agreed = 0;
        for _ in 0..3000 {
            let mut features = Vec::new();
            for f in 0..next() % 4 {
                let key = format!("f{f}");
                let kind = match next() % 3 {
                    0 => Kind::BytesList(BytesList {
                        value: (0..next() % 3)
                            .map(|_| (0..next() % 20).map(|b| b as u8).collect())
                            .collect(),
                    }),
                    1 => Kind::FloatList(FloatList {
                        value: vec![1.5; (next() % 3) as usize],
                    }),
                    _ => Kind::Int64List(Int64List {
                        value: (0..next() % 3).map(|_| next().cast_signed()).collect(),
                    }),
                };
                features.push((key, feature(kind)));
            }
            let whole = example(
                features
                    .iter()
                    .map(|(k, f)| (k.as_str(), f.clone()))
                    .collect(),
            );
            let mut bytes = whole.encode_to_vec();
            if !bytes.is_empty() && next() % 2 == 0 {
                let at = (next() as usize) % bytes.len();
                bytes[at] ^= 1 << (next() % 8);
            }
            let large = read(&bytes, 64);
            if let (Ok(large), Ok(decoded)) = (large, Example::decode(&bytes[..])) {
                let cut_nothing = large.sizes.values().all(|s| s.values <= 2);
                // A flipped bit can make a float NaN, which equals nothing.
                let nan = format!("{decoded:?}").contains("NaN");
                if cut_nothing && !nan {
                    assert_eq!(large.example, decoded, "{bytes:?}");
                    agreed += 1;
                }
            }
        }
        assert!(agreed > 1000, "only {agreed} agreed");
    }
}
