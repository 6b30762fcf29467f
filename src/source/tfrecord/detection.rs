//! A TFRecord input as a detection dataset: once every record's objects are read
//! ([`super::objects`]), their class ids become contiguous class indices in id order, named by the
//! label map (`--label-map`, else the only `*label_map*.pbtxt` beside the records), else by tfds's
//! `<class feature>.labels.txt` beside them, else by the first `image/object/class/text` seen of
//! each id, else `class <id>`.
//!
//! With a names file, the classes are every id it names (so the indices do not depend on which ids a
//! shard happens to hold) and a record with an id it does not name is left out with a warning;
//! without one, the classes are the ids the records hold.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::label_map::{NamedIds, find_label_map, read_label_map, read_tfds_names};
use super::objects::{OD_CLASS_KEY, RecordObjects};
use crate::source::annotations::ObjectClasses;

/// Where the class names come from, for the description of the source.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Names {
    /// The names file read, if any.
    pub named: Option<NamedIds>,
    /// A note for the description when a label map beside the records was not used (there were
    /// several).
    pub note: Option<String>,
}

/// The names of the class ids of records in `dir` read with class feature `class_key`:
/// `label_map` when given (an error if it cannot be read), else the only label map in `dir` (one
/// that cannot be read is not used, and the note says why), else tfds's names file. `Err` names
/// the file and what is wrong with it.
pub fn names(dir: &Path, label_map: Option<&Path>, class_key: &str) -> Result<Names, String> {
    if let Some(path) = label_map {
        return Ok(Names {
            named: Some(read_label_map(path)?),
            note: None,
        });
    }
    let note = match find_label_map(dir) {
        Ok(Some(found)) => match read_label_map(&found) {
            Ok(named) => {
                return Ok(Names {
                    named: Some(named),
                    note: None,
                });
            }
            Err(why) => Some(format!("{why}; not used")),
        },
        Ok(None) => None,
        Err(several) => Some(several),
    };
    Ok(Names {
        named: read_tfds_names(dir, class_key)?,
        note,
    })
}

/// The classes of the records' objects (`None` for a record without objects), and each record's
/// class indices or why the record is left out (an id the names file does not name).
pub fn classes(
    records: &[Option<&RecordObjects>],
    names: &Names,
) -> (ObjectClasses, Vec<Result<Vec<u32>, String>>) {
    let classes = if let Some(named) = &names.named {
        ObjectClasses::from_ids(named.names.keys().copied(), |id| {
            named.names.get(&id).cloned()
        })
    } else {
        let mut texts: BTreeMap<i64, &str> = BTreeMap::new();
        for objects in records.iter().flatten() {
            for (id, text) in objects.ids.iter().zip(&objects.texts) {
                texts.entry(*id).or_insert(text);
            }
        }
        ObjectClasses::from_ids(
            records.iter().flatten().flat_map(|o| o.ids.iter().copied()),
            |id| texts.get(&id).map(|t| (*t).to_owned()),
        )
    };
    let indices = records
        .iter()
        .map(|objects| {
            objects.map_or(Ok(Vec::new()), |objects| {
                objects
                    .ids
                    .iter()
                    .map(|&id| {
                        classes.index_of(id).ok_or_else(|| {
                            let file = names
                                .named
                                .as_ref()
                                .map_or_else(PathBuf::new, |n| n.file.clone());
                            format!("class id {id} is not named in {file:?}")
                        })
                    })
                    .collect()
            })
        })
        .collect();
    (classes, indices)
}

/// How the objects were read, for the description of the source (`TF Object Detection API
/// objects, names from "label_map.pbtxt"`).
pub fn describe(class_key: &str, names: &Names) -> String {
    let layout = if class_key == OD_CLASS_KEY {
        "TF Object Detection API objects"
    } else {
        "objects"
    };
    let from = match &names.named {
        Some(file) => format!("names from {:?}", file.file.file_name().unwrap_or_default()),
        None if class_key == OD_CLASS_KEY => "names from image/object/class/text".to_owned(),
        None => "no names file".to_owned(),
    };
    match &names.note {
        Some(note) => format!("{layout}, {from} ({note})"),
        None => format!("{layout}, {from}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(ids: &[i64], texts: &[&str]) -> RecordObjects {
        RecordObjects {
            boxes: vec![crate::source::annotations::BoxXyxy::default(); ids.len()],
            ids: ids.to_vec(),
            texts: texts.iter().map(|t| (*t).to_owned()).collect(),
            ..RecordObjects::default()
        }
    }

    #[test]
    fn a_label_map_found_beside_the_records_that_does_not_parse_is_not_used_and_said() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("label_map.pbtxt"), "item { id: 1 }").unwrap();
        let names = names(dir.path(), None, OD_CLASS_KEY).unwrap();
        assert_eq!(names.named, None);
        let note = names.note.clone().unwrap();
        assert!(
            note.contains("label_map.pbtxt")
                && note.ends_with("item 1 (line 1) has no name; not used"),
            "{note}"
        );
        assert!(describe(OD_CLASS_KEY, &names).starts_with(
            "TF Object Detection API objects, names from image/object/class/text (label map"
        ));
        // Given by --label-map, the same file is an error.
        let given = super::names(
            dir.path(),
            Some(&dir.path().join("label_map.pbtxt")),
            OD_CLASS_KEY,
        );
        assert!(given.unwrap_err().contains("has no name"));
    }

    #[test]
    fn ids_become_indices_in_id_order_named_by_the_first_text() {
        let a = record(&[90, 1], &["toothbrush", "person"]);
        let b = record(&[1, 18], &["human", "dog"]);
        let (classes, indices) = classes(&[Some(&a), None, Some(&b)], &Names::default());
        assert_eq!(classes.ids, vec![1, 18, 90]);
        assert_eq!(classes.names, vec!["person", "dog", "toothbrush"]);
        assert_eq!(indices, vec![Ok(vec![2, 0]), Ok(vec![]), Ok(vec![0, 1])]);
    }

    #[test]
    fn a_names_file_gives_every_class_and_refuses_other_ids() {
        let names = Names {
            named: Some(NamedIds {
                names: [
                    (1, "cat".to_owned()),
                    (2, "dog".to_owned()),
                    (5, "cow".to_owned()),
                ]
                .into_iter()
                .collect(),
                file: PathBuf::from("label_map.pbtxt"),
            }),
            note: None,
        };
        let a = record(&[5], &["ignored"]);
        let b = record(&[1, 7], &[]);
        let (classes, indices) = classes(&[Some(&a), Some(&b)], &names);
        assert_eq!(classes.names, vec!["cat", "dog", "cow"]);
        assert_eq!(indices[0], Ok(vec![2]));
        assert_eq!(
            indices[1],
            Err("class id 7 is not named in \"label_map.pbtxt\"".to_owned())
        );
        assert_eq!(
            describe(OD_CLASS_KEY, &names),
            "TF Object Detection API objects, names from \"label_map.pbtxt\""
        );
    }
}
