//! The objects a `tf.train.Example` states: the TF Object Detection API's layout
//! (`image/object/bbox/{xmin,ymin,xmax,ymax}`, `image/object/class/label` and `/text`,
//! `image/height`/`image/width`, `image/object/mask`, `image/segmentation/class/encoded`) and
//! tfds's (`objects/bbox` as one flat `[ymin, xmin, ymax, xmax]` list, `objects/label`), or keys
//! the user names.
//!
//! Guarantees:
//! - A record states objects when it holds the box feature(s); the float values are kept exactly
//!   as stored (f32 widened to f64). Negative coordinates and inverted boxes are kept as stated
//!   (health flags them).
//! - A record whose objects cannot be trusted is an error naming the feature and the reason, so
//!   that the source leaves the record out with a warning: a non-finite coordinate, box lists of
//!   different lengths (or a flat list not a multiple of 4), a class list of another length than
//!   the boxes, per-object masks of another count than the boxes, a mask whose header cannot be
//!   read or whose size is not the image's, a list longer than what a record over 16 MiB keeps.
//! - Class texts and crowd flags (`image/object/is_crowd`) are taken only when there is one per
//!   object; masks stored as anything but encoded
//!   images (the OD API's numerical float masks) are not read.

use std::collections::BTreeMap;

use super::Sizes;
use super::example::{Example, Feature, Kind};
use crate::size::Size;
use crate::source::annotations::BoxXyxy;

/// The OD API's box features, in the order `xmin, ymin, xmax, ymax`.
pub const OD_BOX_KEYS: [&str; 4] = [
    "image/object/bbox/xmin",
    "image/object/bbox/ymin",
    "image/object/bbox/xmax",
    "image/object/bbox/ymax",
];
/// The OD API's class ids.
pub const OD_CLASS_KEY: &str = "image/object/class/label";
/// The OD API's class names, one per object.
pub const OD_TEXT_KEY: &str = "image/object/class/text";
/// The OD API's crowd flags (COCO's `iscrowd`), one per object.
pub const OD_CROWD_KEY: &str = "image/object/is_crowd";
/// The OD API's per-object masks (one encoded PNG each).
pub const OD_MASK_KEY: &str = "image/object/mask";
/// The OD API's class-map PNG (semantic segmentation).
pub const CLASS_MAP_KEY: &str = "image/segmentation/class/encoded";
/// tfds's boxes: one flat list, `[ymin, xmin, ymax, xmax]` per object.
pub const TFDS_BOX_KEY: &str = "objects/bbox";
/// tfds's class ids.
pub const TFDS_CLASS_KEY: &str = "objects/label";

/// Which features hold the boxes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BoxKeys {
    /// Four float lists, `xmin, ymin, xmax, ymax`.
    Corners([String; 4]),
    /// One flat float list of `[ymin, xmin, ymax, xmax]` per object (tfds).
    FlatYxyx(String),
}

/// Which features a record's objects are read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectKeys {
    /// The boxes.
    pub boxes: BoxKeys,
    /// The int64 class ids.
    pub class: String,
}

impl ObjectKeys {
    /// The TF Object Detection API's keys.
    pub fn od_api() -> Self {
        Self {
            boxes: BoxKeys::Corners(OD_BOX_KEYS.map(str::to_owned)),
            class: OD_CLASS_KEY.to_owned(),
        }
    }

    /// tfds's keys.
    pub fn tfds() -> Self {
        Self {
            boxes: BoxKeys::FlatYxyx(TFDS_BOX_KEY.to_owned()),
            class: TFDS_CLASS_KEY.to_owned(),
        }
    }

    /// The keys `--bbox-keys` (four, or one flat list) and `--object-class-key` name; the class key
    /// defaults to the OD API's for four box keys and tfds's for one. `Err` says what is wrong.
    pub fn given(bbox_keys: Option<&[String]>, class_key: Option<&str>) -> Result<Self, String> {
        let keys = match bbox_keys {
            None => Self::od_api(),
            Some([one]) => Self {
                boxes: BoxKeys::FlatYxyx(one.clone()),
                ..Self::tfds()
            },
            Some([a, b, c, d]) => Self {
                boxes: BoxKeys::Corners([a.clone(), b.clone(), c.clone(), d.clone()]),
                ..Self::od_api()
            },
            Some(other) => {
                return Err(format!(
                    "--bbox-keys takes four features (xmin,ymin,xmax,ymax) or one flat [ymin, xmin, ymax, xmax] list, not {}",
                    other.len()
                ));
            }
        };
        Ok(match class_key {
            Some(class) => Self {
                class: class.to_owned(),
                ..keys
            },
            None => keys,
        })
    }

    /// The feature whose presence says the record states objects.
    fn first_box_key(&self) -> &str {
        match &self.boxes {
            BoxKeys::Corners(keys) => &keys[0],
            BoxKeys::FlatYxyx(key) => key,
        }
    }

    /// The class-name texts beside the ids, for the OD API's ids.
    fn text_key(&self) -> Option<&'static str> {
        (self.class == OD_CLASS_KEY).then_some(OD_TEXT_KEY)
    }
}

/// How a record's objects are found: the keys given, or each record's own layout detected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ObjectLayout {
    /// The OD API's keys, else tfds's, whichever the record holds.
    Detect,
    /// The keys the user gave.
    Given(ObjectKeys),
}

impl ObjectLayout {
    /// The keys of `features`' layout, when it states objects.
    fn keys_of(&self, features: &BTreeMap<String, Feature>) -> Option<ObjectKeys> {
        let candidates = match self {
            Self::Detect => vec![ObjectKeys::od_api(), ObjectKeys::tfds()],
            Self::Given(keys) => vec![keys.clone()],
        };
        candidates
            .into_iter()
            .find(|k| features.contains_key(k.first_box_key()))
    }
}

/// Where a record's mask is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordMask {
    /// One class-map PNG ([`CLASS_MAP_KEY`]).
    ClassMap,
    /// One PNG per object ([`OD_MASK_KEY`]).
    PerObject,
}

/// The objects one record states, before their ids become class indices.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RecordObjects {
    /// Each object's box, normalised as stored.
    pub boxes: Vec<BoxXyxy>,
    /// Each object's class id.
    pub ids: Vec<i64>,
    /// Each object's class text, when the record has one per object.
    pub texts: Vec<String>,
    /// Each object's crowd flag (`image/object/is_crowd`), when the record has one per object.
    pub crowd: Vec<bool>,
    /// `image/height` and `image/width`, when both are there.
    pub stated_size: Option<Size>,
    /// Its mask, if it has one.
    pub mask: Option<RecordMask>,
    /// The feature its class ids came from.
    pub class_key: String,
}

/// The objects of `example`, when it states any: `Ok(None)` when it holds no box feature. `sizes`
/// are the real sizes of a large record's features (whose lists are cut, see
/// [`super::large_record`]); `image` is the image's size from its header, to check masks against.
pub fn objects_of(
    example: &Example,
    sizes: Option<&BTreeMap<String, Sizes>>,
    layout: &ObjectLayout,
    image: Option<Size>,
) -> Result<Option<RecordObjects>, String> {
    let Some(features) = example.features.as_ref().map(|f| &f.feature) else {
        return Ok(None);
    };
    let Some(keys) = layout.keys_of(features) else {
        return Ok(None);
    };
    let list = Lists { features, sizes };
    let boxes = match &keys.boxes {
        BoxKeys::Corners(names) => corners(&list, names)?,
        BoxKeys::FlatYxyx(name) => flat_yxyx(&list, name)?,
    };
    let ids = match list.int64s(&keys.class)? {
        Some(ids) => ids.to_vec(),
        None if boxes.is_empty() => Vec::new(),
        None => {
            return Err(format!(
                "{} box{} but no class feature {:?}",
                boxes.len(),
                if boxes.len() == 1 { "" } else { "es" },
                keys.class
            ));
        }
    };
    if ids.len() != boxes.len() {
        return Err(format!(
            "{} box{} but {} class id{} in {:?}",
            boxes.len(),
            if boxes.len() == 1 { "" } else { "es" },
            ids.len(),
            if ids.len() == 1 { "" } else { "s" },
            keys.class
        ));
    }
    let texts = keys
        .text_key()
        .and_then(|key| list.texts(key))
        .filter(|texts| texts.len() == ids.len())
        .unwrap_or_default();
    let crowd = match list.int64s(OD_CROWD_KEY) {
        Ok(Some(flags)) if flags.len() == ids.len() => flags.iter().map(|&f| f != 0).collect(),
        _ => Vec::new(),
    };
    let stated_size = match (
        list.one_int64("image/height"),
        list.one_int64("image/width"),
    ) {
        (Some(h), Some(w)) => match (u32::try_from(h), u32::try_from(w)) {
            (Ok(height), Ok(width)) => Some(Size { height, width }),
            _ => None,
        },
        _ => None,
    };
    let mask = mask_of(&list, boxes.len(), image)?;
    Ok(Some(RecordObjects {
        boxes,
        ids,
        texts,
        crowd,
        stated_size,
        mask,
        class_key: keys.class,
    }))
}

/// The lists of one record's features, checked against a large record's real sizes.
struct Lists<'a> {
    features: &'a BTreeMap<String, Feature>,
    sizes: Option<&'a BTreeMap<String, Sizes>>,
}

impl Lists<'_> {
    /// Err when a large record's list was cut short of its `kept` values.
    fn whole(&self, key: &str, kept: usize) -> Result<(), String> {
        match self.sizes.and_then(|s| s.get(key)) {
            Some(s) if s.values > kept as u64 => Err(format!(
                "feature {key:?} holds {} values, more than the {kept} read of a record over 16 MiB",
                s.values
            )),
            _ => Ok(()),
        }
    }

    fn floats(&self, key: &str) -> Result<Option<&[f32]>, String> {
        match self.features.get(key).map(|f| &f.kind) {
            None => Ok(None),
            Some(Some(Kind::FloatList(list))) => {
                self.whole(key, list.value.len())?;
                Ok(Some(&list.value))
            }
            // An empty feature is an empty list of any kind.
            Some(None) => Ok(Some(&[])),
            Some(Some(other)) => Err(format!(
                "feature {key:?} is {}, expected float_list",
                other.name()
            )),
        }
    }

    fn int64s(&self, key: &str) -> Result<Option<&[i64]>, String> {
        match self.features.get(key).map(|f| &f.kind) {
            None => Ok(None),
            Some(Some(Kind::Int64List(list))) => {
                self.whole(key, list.value.len())?;
                Ok(Some(&list.value))
            }
            Some(None) => Ok(Some(&[])),
            Some(Some(other)) => Err(format!(
                "feature {key:?} is {}, expected int64_list",
                other.name()
            )),
        }
    }

    /// The texts of a bytes list, when it is whole.
    fn texts(&self, key: &str) -> Option<Vec<String>> {
        match self.features.get(key).map(|f| &f.kind) {
            Some(Some(Kind::BytesList(list))) => {
                self.whole(key, list.value.len()).ok()?;
                // A large record keeps only the heads of its bytes values.
                if self.sizes.is_some() {
                    return None;
                }
                Some(
                    list.value
                        .iter()
                        .map(|t| String::from_utf8_lossy(t).into_owned())
                        .collect(),
                )
            }
            _ => None,
        }
    }

    fn one_int64(&self, key: &str) -> Option<i64> {
        match self.features.get(key).map(|f| &f.kind) {
            Some(Some(Kind::Int64List(list))) if list.value.len() == 1 => Some(list.value[0]),
            _ => None,
        }
    }

    /// The encoded values of a bytes list (their real count for a large record, whose values are
    /// cut), or `None` when the feature is not a bytes list.
    fn bytes(&self, key: &str) -> Option<(usize, &[Vec<u8>])> {
        match self.features.get(key).map(|f| &f.kind) {
            Some(Some(Kind::BytesList(list))) => {
                let count = self
                    .sizes
                    .and_then(|s| s.get(key))
                    .map_or(list.value.len(), |s| {
                        usize::try_from(s.values).unwrap_or(usize::MAX)
                    });
                Some((count, &list.value))
            }
            _ => None,
        }
    }
}

const CORNER_NAMES: [&str; 4] = ["xmin", "ymin", "xmax", "ymax"];

fn corners(list: &Lists<'_>, names: &[String; 4]) -> Result<Vec<BoxXyxy>, String> {
    let mut columns: [&[f32]; 4] = [&[]; 4];
    for (column, key) in columns.iter_mut().zip(names) {
        *column = list
            .floats(key)?
            .ok_or_else(|| format!("no feature {key:?} beside {:?}", names[0]))?;
    }
    let lengths = columns.map(<[f32]>::len);
    if lengths.iter().any(|&n| n != lengths[0]) {
        return Err(format!(
            "the box lists differ in length ({})",
            CORNER_NAMES
                .iter()
                .zip(lengths)
                .map(|(name, n)| format!("{name} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    (0..lengths[0])
        .map(|i| {
            finite(
                i,
                [columns[0][i], columns[1][i], columns[2][i], columns[3][i]],
            )
        })
        .collect()
}

fn flat_yxyx(list: &Lists<'_>, key: &str) -> Result<Vec<BoxXyxy>, String> {
    let values = list.floats(key)?.unwrap_or_default();
    if !values.len().is_multiple_of(4) {
        return Err(format!(
            "feature {key:?} holds {} values, not 4 ([ymin, xmin, ymax, xmax]) per box",
            values.len()
        ));
    }
    values
        .chunks_exact(4)
        .enumerate()
        .map(|(i, v)| finite(i, [v[1], v[0], v[3], v[2]]))
        .collect()
}

/// A box from `[xmin, ymin, xmax, ymax]`, or why not (a coordinate that is no finite number, or
/// beyond [`MAX_COORDINATE`](crate::source::annotations::MAX_COORDINATE)).
fn finite(i: usize, xyxy: [f32; 4]) -> Result<BoxXyxy, String> {
    let [xmin, ymin, xmax, ymax] = xyxy.map(f64::from);
    BoxXyxy {
        xmin,
        ymin,
        xmax,
        ymax,
    }
    .checked()
    .map_err(|reason| format!("box {i}: {reason}"))
}

/// The record's mask: its class map, else its per-object masks (one per box), each checked to be an
/// image of the image's size where its header can be read now (not in a large record, whose values
/// are cut).
fn mask_of(
    list: &Lists<'_>,
    boxes: usize,
    image: Option<Size>,
) -> Result<Option<RecordMask>, String> {
    let check = |what: String, bytes: &[u8]| -> Result<(), String> {
        if list.sizes.is_some() {
            return Ok(());
        }
        let (_, size) =
            crate::decode::probe_bytes(bytes).map_err(|e| format!("{what} cannot be read: {e}"))?;
        match image {
            Some(image) if image != size => {
                Err(format!("{what} is {size} but its image is {image}"))
            }
            _ => Ok(()),
        }
    };
    if let Some((count, values)) = list.bytes(CLASS_MAP_KEY)
        && count > 0
    {
        if count != 1 {
            return Err(format!(
                "feature {CLASS_MAP_KEY:?} holds {count} values, not 1"
            ));
        }
        check(format!("the class map ({CLASS_MAP_KEY:?})"), &values[0])?;
        return Ok(Some(RecordMask::ClassMap));
    }
    let Some((count, values)) = list.bytes(OD_MASK_KEY) else {
        return Ok(None);
    };
    if count == 0 {
        return Ok(None);
    }
    if count != boxes {
        return Err(format!(
            "{boxes} box{} but {count} mask{} in {OD_MASK_KEY:?}",
            if boxes == 1 { "" } else { "es" },
            if count == 1 { "" } else { "s" },
        ));
    }
    for (i, bytes) in values.iter().enumerate() {
        check(format!("mask {i} ({OD_MASK_KEY:?})"), bytes)?;
    }
    Ok(Some(RecordMask::PerObject))
}

/// The encoded masks of a whole record's `example` (see [`crate::index::RecordMasks`]), each at
/// most `max_bytes`.
pub fn masks_of(example: &Example, max_bytes: u64) -> Result<crate::index::RecordMasks, String> {
    let empty = BTreeMap::new();
    let features = example.features.as_ref().map_or(&empty, |f| &f.feature);
    let list = Lists {
        features,
        sizes: None,
    };
    let over = |what: &str, bytes: &[u8]| -> Result<(), String> {
        if bytes.len() as u64 > max_bytes {
            return Err(format!(
                "{what} is {} bytes, over the limit of {max_bytes} bytes (raise it with --max-file-bytes)",
                bytes.len()
            ));
        }
        Ok(())
    };
    let mut masks = crate::index::RecordMasks::default();
    if let Some((1, values)) = list.bytes(CLASS_MAP_KEY) {
        over("the class map", &values[0])?;
        masks.class_map = Some(values[0].clone());
        return Ok(masks);
    }
    if let Some((_, values)) = list.bytes(OD_MASK_KEY) {
        for (i, bytes) in values.iter().enumerate() {
            over(&format!("mask {i}"), bytes)?;
        }
        masks.per_object = values.to_vec();
    }
    Ok(masks)
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // The stored f32 values are what is asserted.
mod tests {
    use super::super::example::{BytesList, Features, FloatList, Int64List};
    use super::*;

    fn floats(v: &[f32]) -> Feature {
        Feature {
            kind: Some(Kind::FloatList(FloatList { value: v.to_vec() })),
        }
    }

    fn ints(v: &[i64]) -> Feature {
        Feature {
            kind: Some(Kind::Int64List(Int64List { value: v.to_vec() })),
        }
    }

    fn bytes(v: &[&[u8]]) -> Feature {
        Feature {
            kind: Some(Kind::BytesList(BytesList {
                value: v.iter().map(|b| b.to_vec()).collect(),
            })),
        }
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

    fn od(xmin: &[f32], ymin: &[f32], xmax: &[f32], ymax: &[f32]) -> Vec<(&'static str, Feature)> {
        vec![
            (OD_BOX_KEYS[0], floats(xmin)),
            (OD_BOX_KEYS[1], floats(ymin)),
            (OD_BOX_KEYS[2], floats(xmax)),
            (OD_BOX_KEYS[3], floats(ymax)),
        ]
    }

    fn read(features: Vec<(&str, Feature)>) -> Result<Option<RecordObjects>, String> {
        objects_of(&example(features), None, &ObjectLayout::Detect, None)
    }

    #[test]
    fn od_api_records_give_boxes_ids_texts_and_size_as_stored() {
        let mut features = od(&[0.1, 0.5], &[0.2, 0.25], &[0.3, 0.75], &[0.4, 1.0]);
        features.push((OD_CLASS_KEY, ints(&[3, 1])));
        features.push((OD_TEXT_KEY, bytes(&[b"dog", b"cat"])));
        features.push(("image/height", ints(&[480])));
        features.push(("image/width", ints(&[640])));
        features.push((OD_CROWD_KEY, ints(&[0, 1])));
        let objects = read(features).unwrap().unwrap();
        assert_eq!(objects.crowd, vec![false, true]);
        assert_eq!(objects.boxes.len(), 2);
        assert_eq!(
            [
                objects.boxes[0].xmin,
                objects.boxes[0].ymin,
                objects.boxes[0].xmax,
                objects.boxes[0].ymax
            ],
            [0.1f32, 0.2, 0.3, 0.4].map(f64::from)
        );
        assert_eq!(objects.boxes[1].ymax, 1.0);
        assert_eq!(objects.ids, vec![3, 1]);
        assert_eq!(objects.texts, vec!["dog", "cat"]);
        assert_eq!(
            objects.stated_size,
            Some(Size {
                height: 480,
                width: 640
            })
        );
        assert_eq!(objects.mask, None);
    }

    #[test]
    fn tfds_records_are_yxyx_flat_lists() {
        let objects = read(vec![
            (TFDS_BOX_KEY, floats(&[0.1, 0.2, 0.3, 0.4])),
            (TFDS_CLASS_KEY, ints(&[7])),
        ])
        .unwrap()
        .unwrap();
        let b = objects.boxes[0];
        assert_eq!(
            [b.xmin, b.ymin, b.xmax, b.ymax],
            [0.2f32, 0.1, 0.4, 0.3].map(f64::from)
        );
        assert_eq!(objects.ids, vec![7]);
        assert_eq!(read(vec![("image/encoded", bytes(&[b"x"]))]), Ok(None));
        let odd = read(vec![(TFDS_BOX_KEY, floats(&[0.1; 7]))]).unwrap_err();
        assert!(odd.contains("holds 7 values, not 4"), "{odd}");
    }

    #[test]
    fn empty_lists_are_an_image_without_objects() {
        let mut features = od(&[], &[], &[], &[]);
        features.push((OD_CLASS_KEY, ints(&[])));
        assert_eq!(read(features).unwrap().unwrap().boxes, vec![]);
        // No class feature at all is fine without boxes too.
        assert_eq!(
            read(od(&[], &[], &[], &[])).unwrap().unwrap().ids,
            Vec::<i64>::new()
        );
    }

    #[test]
    fn hostile_objects_are_errors_that_say_why() {
        let mut nan = od(&[0.1], &[f32::NAN], &[0.3], &[0.4]);
        nan.push((OD_CLASS_KEY, ints(&[1])));
        assert_eq!(
            read(nan).unwrap_err(),
            "box 0: ymin is NaN, not a finite number"
        );
        let mut inf = od(&[0.1, f32::INFINITY], &[0.2; 2], &[0.3; 2], &[0.4; 2]);
        inf.push((OD_CLASS_KEY, ints(&[1, 1])));
        assert!(read(inf).unwrap_err().contains("box 1"));
        let mut ragged = od(&[0.1, 0.2], &[0.2; 2], &[0.3], &[0.4; 2]);
        ragged.push((OD_CLASS_KEY, ints(&[1, 1])));
        assert_eq!(
            read(ragged).unwrap_err(),
            "the box lists differ in length (xmin 2, ymin 2, xmax 1, ymax 2)"
        );
        let mut short = od(&[0.1, 0.2], &[0.2; 2], &[0.3; 2], &[0.4; 2]);
        short.push((OD_CLASS_KEY, ints(&[1])));
        assert_eq!(
            read(short).unwrap_err(),
            "2 boxes but 1 class id in \"image/object/class/label\""
        );
        let missing = read(od(&[0.1], &[0.2], &[0.3], &[0.4])).unwrap_err();
        assert_eq!(
            missing,
            "1 box but no class feature \"image/object/class/label\""
        );
        let mut wrong_kind = od(&[0.1], &[0.2], &[0.3], &[0.4]);
        wrong_kind.push((OD_CLASS_KEY, floats(&[1.0])));
        assert_eq!(
            read(wrong_kind).unwrap_err(),
            "feature \"image/object/class/label\" is float_list, expected int64_list"
        );
        // Negative and inverted boxes are kept as stated.
        let mut negative = od(&[-0.1], &[0.5], &[0.3], &[0.25]);
        negative.push((OD_CLASS_KEY, ints(&[1])));
        let b = read(negative).unwrap().unwrap().boxes[0];
        assert_eq!((b.xmin, b.ymax), (f64::from(-0.1f32), 0.25));
    }

    #[test]
    fn masks_must_be_one_per_box_and_the_image_size() {
        let png = |w: u32, h: u32| {
            let mut out = Vec::new();
            image::GrayImage::new(w, h)
                .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
                .unwrap();
            out
        };
        let image = Some(Size {
            height: 2,
            width: 3,
        });
        let with = |masks: Vec<Vec<u8>>| {
            let mut f = od(&[0.1, 0.2], &[0.2; 2], &[0.3; 2], &[0.4; 2]);
            f.push((OD_CLASS_KEY, ints(&[1, 2])));
            let refs: Vec<&[u8]> = masks.iter().map(Vec::as_slice).collect();
            f.push((OD_MASK_KEY, bytes(&refs)));
            objects_of(&example(f), None, &ObjectLayout::Detect, image)
        };
        assert_eq!(
            with(vec![png(3, 2), png(3, 2)]).unwrap().unwrap().mask,
            Some(RecordMask::PerObject)
        );
        assert_eq!(
            with(vec![png(3, 2)]).unwrap_err(),
            "2 boxes but 1 mask in \"image/object/mask\""
        );
        assert_eq!(
            with(vec![png(3, 2), png(4, 2)]).unwrap_err(),
            "mask 1 (\"image/object/mask\") is 2x4 but its image is 2x3"
        );
        let corrupt = with(vec![png(3, 2), b"not a png".to_vec()]).unwrap_err();
        assert!(
            corrupt.starts_with("mask 1 (\"image/object/mask\") cannot be read"),
            "{corrupt}"
        );
    }

    #[test]
    fn given_keys_are_four_corners_or_one_flat_list() {
        let keys = ObjectKeys::given(
            Some(&["a".into(), "b".into(), "c".into(), "d".into()]),
            Some("cls"),
        )
        .unwrap();
        assert_eq!(
            keys.boxes,
            BoxKeys::Corners(["a", "b", "c", "d"].map(str::to_owned))
        );
        assert_eq!(keys.class, "cls");
        assert_eq!(
            ObjectKeys::given(Some(&["boxes".into()]), None).unwrap(),
            ObjectKeys {
                boxes: BoxKeys::FlatYxyx("boxes".into()),
                class: TFDS_CLASS_KEY.into()
            }
        );
        let two = ObjectKeys::given(Some(&["a".into(), "b".into()]), None).unwrap_err();
        assert!(two.contains("not 2"), "{two}");
    }
}
