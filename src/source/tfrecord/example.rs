//! `tf.train.Example`, the record payload TensorFlow writes, and the choice of which of its features are
//! the encoded image and the label.
//!
//! The messages are written by hand with `prost` derives (no `protoc` at build time), with the field
//! numbers of TensorFlow's `tensorflow/core/example/example.proto` and `feature.proto`. Repeated numbers
//! are read both packed (what TensorFlow writes) and unpacked (what other writers may), as protobuf
//! requires.

use std::collections::BTreeMap;

use prost::Message as _;

/// `tensorflow.Example`: a record's named features.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Example {
    #[prost(message, optional, tag = "1")]
    pub features: Option<Features>,
}

/// `tensorflow.Features`: the map from a feature's name to its values (sorted by name here).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Features {
    #[prost(btree_map = "string, message", tag = "1")]
    pub feature: BTreeMap<String, Feature>,
}

/// `tensorflow.Feature`: one list of bytes, floats or 64-bit integers.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Feature {
    #[prost(oneof = "Kind", tags = "1, 2, 3")]
    pub kind: Option<Kind>,
}

/// The `kind` oneof of `tensorflow.Feature`.
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum Kind {
    #[prost(message, tag = "1")]
    BytesList(BytesList),
    #[prost(message, tag = "2")]
    FloatList(FloatList),
    #[prost(message, tag = "3")]
    Int64List(Int64List),
}

/// `tensorflow.BytesList`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct BytesList {
    #[prost(bytes = "vec", repeated, tag = "1")]
    pub value: Vec<Vec<u8>>,
}

/// `tensorflow.FloatList`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct FloatList {
    #[prost(float, repeated, tag = "1")]
    pub value: Vec<f32>,
}

/// `tensorflow.Int64List`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Int64List {
    #[prost(int64, repeated, tag = "1")]
    pub value: Vec<i64>,
}

impl Kind {
    /// The kind's name as TensorFlow spells it in `feature.proto`.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::BytesList(_) => "bytes_list",
            Kind::FloatList(_) => "float_list",
            Kind::Int64List(_) => "int64_list",
        }
    }
}

/// Why a record's payload gave no image (or label).
#[derive(Debug, thiserror::Error)]
pub enum ExampleError {
    /// The bytes are not a `tf.train.Example`.
    #[error("the record is not a tf.train.Example: {0}")]
    Decode(#[from] prost::DecodeError),
    /// No key was given and none of the usual ones fits.
    #[error(
        "no encoded-image feature: looked for {looked_for}, then for a single bytes feature holding an image; the record has {}",
        describe(present)
    )]
    NoImage {
        /// The keys tried, as the message spells them.
        looked_for: &'static str,
        /// The record's keys and their kinds.
        present: Vec<(String, &'static str)>,
    },
    /// A key that was asked for (or found) is not in the record.
    #[error("no feature {key:?} in the record; it has {}", describe(present))]
    Missing {
        key: String,
        present: Vec<(String, &'static str)>,
    },
    /// A feature holds another kind of list than the one needed.
    #[error("feature {key:?} is {found}, expected {expected}")]
    WrongKind {
        key: String,
        expected: &'static str,
        found: &'static str,
    },
    /// A feature that must hold one value holds another number of them.
    #[error("feature {key:?} holds {count} values, not 1")]
    NotOneValue { key: String, count: usize },
}

fn describe(present: &[(String, &'static str)]) -> String {
    if present.is_empty() {
        return "no features".to_owned();
    }
    present
        .iter()
        .map(|(key, kind)| format!("{key:?} ({kind})"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parses a record's bytes as a `tf.train.Example`.
pub fn parse_example(bytes: &[u8]) -> Result<Example, ExampleError> {
    Ok(Example::decode(bytes)?)
}

/// Which features hold the image and the label; `None` means "detect".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FeatureKeys {
    /// The encoded-image bytes feature. Detected: `image`, then `image/encoded`, then the only bytes
    /// feature whose value starts like an image file.
    pub image: Option<String>,
    /// The int64 label feature. Detected: `label`, then `image/class/label`; none of them means the
    /// records have no labels.
    pub label: Option<String>,
}

/// The image keys tried in order when none is given.
pub const IMAGE_KEYS: [&str; 2] = ["image", "image/encoded"];
/// The label keys tried in order when none is given.
pub const LABEL_KEYS: [&str; 2] = ["label", "image/class/label"];

/// One record's encoded image, its label, and the keys they came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageAndLabel<'a> {
    /// The encoded image file's bytes (PNG, JPEG, ...), not decoded.
    pub image: &'a [u8],
    /// The feature they came from.
    pub image_key: &'a str,
    /// The label, when the record has one.
    pub label: Option<i64>,
    /// The feature it came from.
    pub label_key: Option<&'a str>,
}

fn present(features: &BTreeMap<String, Feature>) -> Vec<(String, &'static str)> {
    features
        .iter()
        .map(|(k, f)| {
            (
                k.clone(),
                f.kind.as_ref().map_or("empty feature", Kind::name),
            )
        })
        .collect()
}

/// The single bytes value of feature `key`.
fn one_bytes<'a>(key: &str, feature: &'a Feature) -> Result<&'a [u8], ExampleError> {
    match &feature.kind {
        Some(Kind::BytesList(list)) => match list.value.as_slice() {
            [one] => Ok(one),
            values => Err(ExampleError::NotOneValue {
                key: key.to_owned(),
                count: values.len(),
            }),
        },
        other => Err(ExampleError::WrongKind {
            key: key.to_owned(),
            expected: "bytes_list",
            found: other.as_ref().map_or("empty feature", Kind::name),
        }),
    }
}

/// The single int64 value of feature `key`.
fn one_int64(key: &str, feature: &Feature) -> Result<i64, ExampleError> {
    match &feature.kind {
        Some(Kind::Int64List(list)) => match list.value.as_slice() {
            [one] => Ok(*one),
            values => Err(ExampleError::NotOneValue {
                key: key.to_owned(),
                count: values.len(),
            }),
        },
        other => Err(ExampleError::WrongKind {
            key: key.to_owned(),
            expected: "int64_list",
            found: other.as_ref().map_or("empty feature", Kind::name),
        }),
    }
}

/// Whether `bytes` start like an image file the decoder knows.
fn looks_like_image(bytes: &[u8]) -> bool {
    use image::ImageFormat as F;
    matches!(
        image::guess_format(bytes),
        Ok(F::Png | F::Jpeg | F::Gif | F::Bmp | F::WebP | F::Tiff)
    )
}

/// Picks the encoded image and the label of `example` by `keys` (see [`FeatureKeys`] for the detection).
pub fn image_and_label<'a>(
    example: &'a Example,
    keys: &FeatureKeys,
) -> Result<ImageAndLabel<'a>, ExampleError> {
    let (image_key, image) = image_of(example, keys.image.as_deref())?;
    let label = label_of(example, keys.label.as_deref())?;
    Ok(ImageAndLabel {
        image,
        image_key,
        label: label.map(|(_, value)| value),
        label_key: label.map(|(key, _)| key),
    })
}

fn features_of(example: &Example) -> &BTreeMap<String, Feature> {
    static EMPTY: BTreeMap<String, Feature> = BTreeMap::new();
    example.features.as_ref().map_or(&EMPTY, |f| &f.feature)
}

fn missing(key: &str, features: &BTreeMap<String, Feature>) -> ExampleError {
    ExampleError::Missing {
        key: key.to_owned(),
        present: present(features),
    }
}

/// The encoded image of `example` and its key: feature `key`, or detected (see [`FeatureKeys::image`]).
pub fn image_of<'a>(
    example: &'a Example,
    key: Option<&str>,
) -> Result<(&'a str, &'a [u8]), ExampleError> {
    let features = features_of(example);
    Ok(if let Some(key) = key {
        let (key, feature) = features
            .get_key_value(key)
            .ok_or_else(|| missing(key, features))?;
        (key.as_str(), one_bytes(key, feature)?)
    } else if let Some((key, feature)) = IMAGE_KEYS.iter().find_map(|k| features.get_key_value(*k))
    {
        (key.as_str(), one_bytes(key, feature)?)
    } else {
        let mut images = features.iter().filter_map(|(key, feature)| {
            one_bytes(key, feature)
                .ok()
                .filter(|bytes| looks_like_image(bytes))
                .map(|bytes| (key.as_str(), bytes))
        });
        match (images.next(), images.next()) {
            (Some(only), None) => only,
            _ => {
                return Err(ExampleError::NoImage {
                    looked_for: "\"image\" and \"image/encoded\"",
                    present: present(features),
                });
            }
        }
    })
}

/// The int64 label of `example` and its key: feature `key` (an error when absent), or the first of
/// [`LABEL_KEYS`] present (`None` when there is none: the record has no label).
pub fn label_of<'a>(
    example: &'a Example,
    key: Option<&str>,
) -> Result<Option<(&'a str, i64)>, ExampleError> {
    let features = features_of(example);
    Ok(if let Some(key) = key {
        let (key, feature) = features
            .get_key_value(key)
            .ok_or_else(|| missing(key, features))?;
        Some((key.as_str(), one_int64(key, feature)?))
    } else if let Some((key, feature)) = LABEL_KEYS.iter().find_map(|k| features.get_key_value(*k))
    {
        Some((key.as_str(), one_int64(key, feature)?))
    } else {
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    fn example(features: Vec<(&str, Kind)>) -> Example {
        Example {
            features: Some(Features {
                feature: features
                    .into_iter()
                    .map(|(k, kind)| (k.to_owned(), Feature { kind: Some(kind) }))
                    .collect(),
            }),
        }
    }

    fn bytes(v: &[u8]) -> Kind {
        Kind::BytesList(BytesList {
            value: vec![v.to_vec()],
        })
    }

    fn int(v: i64) -> Kind {
        Kind::Int64List(Int64List { value: vec![v] })
    }

    #[test]
    fn int64_lists_decode_packed_and_unpacked() {
        // Packed (TensorFlow): field 1, wire type 2, 4 bytes of varints 1, 2, 300.
        let packed = [0x0a, 0x04, 0x01, 0x02, 0xac, 0x02];
        assert_eq!(Int64List::decode(&packed[..]).unwrap().value, [1, 2, 300]);
        // Unpacked: field 1, wire type 0, once per value; -1 is ten varint bytes.
        let unpacked = [
            0x08, 0x07, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
        ];
        assert_eq!(Int64List::decode(&unpacked[..]).unwrap().value, [7, -1]);
    }

    #[test]
    fn keys_are_detected_in_order_and_overridden() {
        let e = example(vec![
            ("image", bytes(b"a")),
            ("image/encoded", bytes(b"b")),
            ("label", int(3)),
            ("image/class/label", int(4)),
        ]);
        let got = image_and_label(&e, &FeatureKeys::default()).unwrap();
        assert_eq!((got.image, got.label), (&b"a"[..], Some(3)));
        let keys = FeatureKeys {
            image: Some("image/encoded".into()),
            label: Some("image/class/label".into()),
        };
        let got = image_and_label(&e, &keys).unwrap();
        assert_eq!((got.image, got.label), (&b"b"[..], Some(4)));
    }

    #[test]
    fn a_single_image_like_bytes_feature_is_taken_when_no_usual_key_exists() {
        let e = example(vec![("name", bytes(b"cat")), ("jpeg", bytes(PNG_MAGIC))]);
        let got = image_and_label(&e, &FeatureKeys::default()).unwrap();
        assert_eq!((got.image_key, got.label), ("jpeg", None));
    }

    #[test]
    fn no_image_names_the_keys_present() {
        let e = example(vec![("name", bytes(b"cat")), ("y", int(1))]);
        let err = image_and_label(&e, &FeatureKeys::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "no encoded-image feature: looked for \"image\" and \"image/encoded\", then for a single \
             bytes feature holding an image; the record has \"name\" (bytes_list), \"y\" (int64_list)"
        );
        let e = example(vec![("image", bytes(b"a")), ("label", bytes(b"cat"))]);
        let err = image_and_label(&e, &FeatureKeys::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "feature \"label\" is bytes_list, expected int64_list"
        );
    }
}
