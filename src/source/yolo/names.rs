//! The class names a YOLO folder states: `names` and `nc` of its `data.yaml` (see [`data_yaml`]),
//! else `classes.txt` at the root or in `labels/`, one name a line. A `data.yaml` that does not fit
//! what is read, or more than [`MAX_CLASSES`] names, refuses the folder with the file and line.

use std::path::Path;

use super::data_yaml::{self, Stated};
use super::{MAX_CLASSES, MAX_TEXT_BYTES, SourceError};
use crate::index::IndexWarning;
use crate::source::annotated_files::{self, warning};

/// The class names and `nc` the folder states (the first of `data.yaml`, `data.yml`,
/// `dataset.yaml`, else `classes.txt`); a names file that cannot be read is a warning, one that
/// reads as something other than class names an error.
pub(super) fn stated_names(
    root: &Path,
    labels: &Path,
    warnings: &mut Vec<IndexWarning>,
) -> Result<Stated, SourceError> {
    let refuse = |reason: String, path: &Path| SourceError::Unusable {
        reason,
        path: path.to_path_buf(),
    };
    for name in ["data.yaml", "data.yml", "dataset.yaml"] {
        let path = root.join(name);
        if !path.is_file() {
            continue;
        }
        match annotated_files::read_text(&path, MAX_TEXT_BYTES, None) {
            Ok(text) => {
                let (names, nc) = data_yaml::parse(&text)
                    .map_err(|e| refuse(format!("{e}; the class names cannot be read"), &path))?;
                if let (Some(names), Some(nc)) = (&names, nc)
                    && names.len() != nc
                {
                    warnings.push(warning(
                        &path,
                        format!("names lists {} classes but nc is {nc}", names.len()),
                    ));
                }
                return Ok((names, nc));
            }
            Err(reason) => warnings.push(warning(&path, reason)),
        }
    }
    for path in [root.join("classes.txt"), labels.join("classes.txt")] {
        if path.is_file() {
            match annotated_files::read_text(&path, MAX_TEXT_BYTES, None) {
                Ok(text) => return text_names(&text).map_err(|reason| refuse(reason, &path)),
                Err(reason) => warnings.push(warning(&path, reason)),
            }
        }
    }
    Ok((None, None))
}

/// The names of a `classes.txt`, one a line (blank lines skipped), or why there are too many.
fn text_names(text: &str) -> Result<Stated, String> {
    let mut names = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let name = line.trim().trim_start_matches('\u{feff}');
        if name.is_empty() {
            continue;
        }
        if names.len() == MAX_CLASSES {
            return Err(format!(
                "line {}: more than {MAX_CLASSES} names, the most classes a YOLO folder may have",
                n + 1
            ));
        }
        names.push(name.to_owned());
    }
    Ok((Some(names), None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_txt_names_one_a_line_up_to_the_limit() {
        assert_eq!(
            text_names("\u{feff}cat\n\n dog \n"),
            Ok((Some(vec!["cat".into(), "dog".into()]), None))
        );
        let many = "c\n".repeat(MAX_CLASSES + 1);
        assert_eq!(
            text_names(&many),
            Err(
                "line 1000001: more than 1000000 names, the most classes a YOLO folder may have"
                    .to_owned()
            )
        );
    }
}
