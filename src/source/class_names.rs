//! Names given for the integer labels of any source but an image folder (`--class-names a,b,c`, the
//! viewer's Classes field): label `i` is called by the `i`-th name, in captions, histograms,
//! `inspect` and the export's `class_names.json` and `manifest.csv`. An image folder's classes are
//! named by its subfolders, and there the same option picks and orders them instead
//! ([`crate::index::scan_with`]).
//!
//! The names must cover the labels exactly: one name per class `0..K-1`, where `K` is the largest
//! label + 1 (or the number of the source's own names, such as CIFAR's `batches.meta.txt`, when it
//! has more). Fewer names would leave a label unnamed; more would name classes that the labels do
//! not have, which is as often a mistake (names for 1-based labels, a wrong list) as a split that
//! misses its last class. Either is an error naming both counts. Labels that are not integer classes
//! (floats, several values per row, none at all) and negative labels are refused with what they are.
//! Naming changes no stored value: the labels keep their values (TFRecord's int64 values too), only
//! the names change.

use crate::index::DatasetIndex;
use crate::validate::{Invalid, Opt, Reason, SourceOption};

/// Names `index`'s classes `0..K-1` with `names`, or says why they do not fit (and leaves `index`
/// as it was). Labels whose classes were their distinct values (TFRecord's, or stored values that
/// are not small class indices) become their values, so that class `i` is label `i`.
pub fn name_classes(index: &mut DatasetIndex, names: &[String]) -> Result<(), Invalid> {
    let classes = check(index, names)?;
    if let Some(values) = index.label_values.take() {
        for sample in &mut index.samples {
            sample.label = sample.label.and_then(|class| {
                let value = values.get(class as usize)?;
                u32::try_from(*value).ok()
            });
        }
        // Still the stored values (an export keeps them as int64), now equal to the classes.
        index.label_values = Some((0i64..).take(classes).collect());
    }
    index.class_names = names.to_vec();
    Ok(())
}

/// What [`name_classes`] would say of `names` for `index`, without naming anything: the number of
/// classes when they fit. The viewer asks it to show the reason beside its field.
pub fn check(index: &DatasetIndex, names: &[String]) -> Result<usize, Invalid> {
    let classes = classes(index)?;
    if names.len() == classes {
        Ok(classes)
    } else {
        Err(refuse(Reason::ClassCount {
            names: names.len(),
            classes,
        }))
    }
}

/// How many classes `0..K-1` the labels of `index` have (as many names as `--class-names` must
/// give), or why they cannot be named.
pub fn classes(index: &DatasetIndex) -> Result<usize, Invalid> {
    classes_of(index).map_err(refuse)
}

fn refuse(reason: Reason) -> Invalid {
    Invalid {
        option: Opt::Source(SourceOption::ClassNames),
        reason,
    }
}

/// Why `names` do not name `index`'s classes (`None` when no names are asked for, or when they
/// do): for the viewer, which opens a source without names that do not fit and says why beside
/// its field.
pub fn why_unnamed(index: &DatasetIndex, names: Option<&[String]>) -> Option<Invalid> {
    let names = names?;
    if index.class_names == names {
        return None;
    }
    check(index, names).err()
}

/// How many classes `0..K-1` the labels of `index` have, or what they are instead.
fn classes_of(index: &DatasetIndex) -> Result<usize, Reason> {
    if !index.labeled {
        return Err(Reason::NotIntegerLabels(not_classes(index)));
    }
    let Some(values) = &index.label_values else {
        return Ok(index.class_names.len());
    };
    let (Some(&min), Some(&max)) = (values.iter().min(), values.iter().max()) else {
        return Ok(0);
    };
    if min < 0 {
        return Err(Reason::NotIntegerLabels(format!(
            "the labels of {} include {min}",
            index.store.describe()
        )));
    }
    Ok(usize::try_from(max).map_or(usize::MAX, |m| m.saturating_add(1)))
}

/// What the labels of an index without classes are, for the message.
fn not_classes(index: &DatasetIndex) -> String {
    let Some(rows) = index.store.rows() else {
        return format!("{} has no integer label", index.store.describe());
    };
    let Some(column) = rows.label_column().and_then(|l| rows.columns().get(l)) else {
        return format!("{} has no label array", rows.describe());
    };
    let dims: Vec<String> = std::iter::once("N".to_owned())
        .chain(column.row_shape.iter().map(usize::to_string))
        .collect();
    let shape = if dims.len() == 1 {
        "(N,)".to_owned()
    } else {
        format!("({})", dims.join(", "))
    };
    format!(
        "the labels {:?} of {} are {} {shape}, not integer classes",
        column.name,
        rows.describe(),
        column.dtype
    )
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::index::Sample;

    fn index_of(labels: &[u32], classes: usize, values: Option<Vec<i64>>) -> DatasetIndex {
        DatasetIndex {
            class_names: (0..classes).map(|c| c.to_string()).collect(),
            samples: labels
                .iter()
                .map(|&l| Sample {
                    objects: None,
                    rel_path: PathBuf::from("x"),
                    label: Some(l),
                })
                .collect(),
            labeled: true,
            label_values: values,
            ..DatasetIndex::default()
        }
    }

    fn names(n: &str) -> Vec<String> {
        n.split(',').map(str::to_owned).collect()
    }

    #[test]
    fn names_replace_the_class_values_and_keep_the_labels() {
        let mut index = index_of(&[2, 0, 1, 2], 3, None);
        name_classes(&mut index, &names("cat,dog,eel")).unwrap();
        assert_eq!(index.class_names, ["cat", "dog", "eel"]);
        let labels: Vec<_> = index.samples.iter().map(|s| s.label).collect();
        assert_eq!(labels, [Some(2), Some(0), Some(1), Some(2)]);
        assert_eq!(index.label_values, None);
    }

    #[test]
    fn sparse_values_become_their_own_classes() {
        // TFRecord labels {0, 4} (one class per distinct value): named as labels 0..4.
        let mut index = index_of(&[1, 0, 1], 2, Some(vec![0, 4]));
        let err = check(&index, &names("a,b")).unwrap_err();
        assert_eq!(
            err.for_command_line(),
            "--class-names gives 2 names but the labels run 0..4 (5 classes)"
        );
        name_classes(&mut index, &names("a,b,c,d,e")).unwrap();
        let labels: Vec<_> = index.samples.iter().map(|s| s.label).collect();
        assert_eq!(labels, [Some(4), Some(0), Some(4)]);
        assert_eq!(index.label_values, Some(vec![0, 1, 2, 3, 4]));
        assert_eq!(index.class_counts(), [1, 0, 0, 0, 2]);
    }

    #[test]
    fn more_or_fewer_names_than_classes_name_both_counts() {
        let mut index = index_of(&[0, 4], 5, None);
        let before = index.clone();
        let err = name_classes(&mut index, &names("a,b,c")).unwrap_err();
        assert_eq!(
            err.for_command_line(),
            "--class-names gives 3 names but the labels run 0..4 (5 classes)"
        );
        assert_eq!(
            err.for_viewer(),
            "class names gives 3 names but the labels run 0..4 (5 classes)"
        );
        assert_eq!(index, before);
        let index = index_of(&[0], 1, None);
        assert_eq!(
            check(&index, &names("a,b")).unwrap_err().for_command_line(),
            "--class-names gives 2 names but the labels run 0..0 (1 class)"
        );
    }

    #[test]
    fn negative_values_and_missing_labels_are_refused_with_what_they_are() {
        let index = index_of(&[0, 1], 2, Some(vec![-1, 3]));
        let err = check(&index, &names("a,b")).unwrap_err();
        assert!(
            err.for_command_line()
                .starts_with("--class-names names integer labels 0..K-1, and the labels of "),
            "{}",
            err.for_command_line()
        );
        assert!(err.for_command_line().ends_with(" include -1"));
        let unlabeled = DatasetIndex::default();
        assert!(matches!(
            check(&unlabeled, &names("a")).unwrap_err().reason,
            Reason::NotIntegerLabels(_)
        ));
    }
}
