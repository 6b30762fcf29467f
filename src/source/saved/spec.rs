//! The element structure of a saved dataset (`dataset_spec.pb`, a `StructuredValue`) flattened the
//! way `tf.nest` flattens it: tuples and lists in order, dicts by sorted key, named tuples by field.
//! Each leaf is a component with a path, a dtype and a shape whose dims may be unknown.

use super::proto::{Kind, StructuredValue, TensorShapeProto};

/// A component's dtype: numpy's, so the bytes go to `.npy` as they are.
pub use crate::npy::NpyDtype as Dtype;

/// The dtype of TensorFlow's `DataType` number, or `None` for one batchscope cannot return as a plain
/// array (string, variant, complex, quantized, bfloat16, ...).
pub fn dtype_from_tf(number: i32) -> Option<Dtype> {
    Some(match number {
        1 => Dtype::F32,
        2 => Dtype::F64,
        3 => Dtype::I32,
        4 => Dtype::U8,
        5 => Dtype::I16,
        6 => Dtype::I8,
        9 => Dtype::I64,
        10 => Dtype::Bool,
        17 => Dtype::U16,
        19 => Dtype::F16,
        22 => Dtype::U32,
        23 => Dtype::U64,
        _ => return None,
    })
}

/// One flat component of an element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Component {
    /// Where it sits in the element: tuple indices and dict keys joined by `/` (`0`, `image`,
    /// `1/label`); empty when the element is a single tensor.
    pub path: String,
    /// Its dtype.
    pub dtype: Dtype,
    /// Its static shape, outermost first; `None` is an unknown dim.
    pub shape: Vec<Option<u64>>,
}

impl Component {
    /// The path as shown to a user: the path, or `element` for a single-tensor element.
    pub fn display_name(&self) -> &str {
        if self.path.is_empty() {
            "element"
        } else {
            &self.path
        }
    }
}

/// Why an element spec cannot be read as plain arrays.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// A component has a dtype batchscope does not return (string, variant, ...).
    #[error("component {path:?} has dtype {dtype}, which batchscope cannot export as an array")]
    UnsupportedDtype {
        /// The component's path (`element` for a single tensor).
        path: String,
        /// The TensorFlow dtype name.
        dtype: String,
    },
    /// A component is not a plain tensor (ragged, sparse, nested dataset, ...).
    #[error("component {path:?} is a {kind}, which batchscope cannot export as an array")]
    UnsupportedKind {
        /// The component's path (`element` for a single tensor).
        path: String,
        /// What it is.
        kind: String,
    },
    /// A shape of unknown rank.
    #[error("component {path:?} has a shape of unknown rank")]
    UnknownRank {
        /// The component's path (`element` for a single tensor).
        path: String,
    },
}

/// Flattens an element spec into its components, in `tf.nest` order.
pub fn components(spec: &StructuredValue) -> Result<Vec<Component>, SpecError> {
    let mut out = Vec::new();
    flatten(spec, "", &mut out)?;
    Ok(out)
}

fn join(prefix: &str, part: &str) -> String {
    if prefix.is_empty() {
        part.to_owned()
    } else {
        format!("{prefix}/{part}")
    }
}

fn shown(path: &str) -> String {
    if path.is_empty() {
        "element".to_owned()
    } else {
        path.to_owned()
    }
}

fn flatten(value: &StructuredValue, path: &str, out: &mut Vec<Component>) -> Result<(), SpecError> {
    match &value.kind {
        Some(Kind::TensorSpecValue(spec)) => {
            let dtype = dtype_from_tf(spec.dtype).ok_or_else(|| SpecError::UnsupportedDtype {
                path: shown(path),
                dtype: tf_dtype_name(spec.dtype),
            })?;
            let shape = static_shape(spec.shape.as_ref())
                .ok_or_else(|| SpecError::UnknownRank { path: shown(path) })?;
            out.push(Component {
                path: path.to_owned(),
                dtype,
                shape,
            });
        }
        Some(Kind::ListValue(list) | Kind::TupleValue(list)) => {
            for (i, item) in list.values.iter().enumerate() {
                flatten(item, &join(path, &i.to_string()), out)?;
            }
        }
        Some(Kind::DictValue(dict)) => {
            // A BTreeMap iterates in sorted key order, as `tf.nest` flattens dicts.
            for (key, item) in &dict.fields {
                flatten(item, &join(path, key), out)?;
            }
        }
        Some(Kind::NamedTupleValue(tuple)) => {
            for pair in &tuple.values {
                let item = pair.value.clone().unwrap_or_default();
                flatten(&item, &join(path, &pair.key), out)?;
            }
        }
        Some(Kind::TypeSpecValue(spec)) => {
            let kind = match spec.type_spec_class {
                1 => "sparse tensor".to_owned(),
                3 => "ragged tensor".to_owned(),
                4 => "tensor array".to_owned(),
                5 => "nested dataset".to_owned(),
                7 => "optional".to_owned(),
                _ if !spec.type_spec_class_name.is_empty() => spec.type_spec_class_name.clone(),
                n => format!("TypeSpec of class {n}"),
            };
            return Err(SpecError::UnsupportedKind {
                path: shown(path),
                kind,
            });
        }
        other => {
            let kind = match other {
                None | Some(Kind::NoneValue(_)) => "None",
                _ => "Python constant",
            };
            return Err(SpecError::UnsupportedKind {
                path: shown(path),
                kind: kind.to_owned(),
            });
        }
    }
    Ok(())
}

/// The dims of a spec shape (`None` = unknown), or `None` for an unknown rank.
fn static_shape(shape: Option<&TensorShapeProto>) -> Option<Vec<Option<u64>>> {
    let shape = shape?;
    if shape.unknown_rank {
        return None;
    }
    Some(
        shape
            .dim
            .iter()
            .map(|d| u64::try_from(d.size).ok())
            .collect(),
    )
}

/// TensorFlow's name of a `DataType` number, for messages.
pub fn tf_dtype_name(number: i32) -> String {
    if let Some(dtype) = dtype_from_tf(number) {
        return crate::npy::dtype_name(dtype).to_owned();
    }
    match number {
        7 => "string".to_owned(),
        8 => "complex64".to_owned(),
        14 => "bfloat16".to_owned(),
        18 => "complex128".to_owned(),
        20 => "resource".to_owned(),
        21 => "variant".to_owned(),
        n => format!("DataType {n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_an_unsupported_component() {
        use super::super::proto::{ListValue, TensorSpecProto};
        let leaf = |dtype| StructuredValue {
            kind: Some(Kind::TensorSpecValue(TensorSpecProto {
                name: String::new(),
                shape: Some(TensorShapeProto::default()),
                dtype,
            })),
        };
        let spec = StructuredValue {
            kind: Some(Kind::TupleValue(ListValue {
                values: vec![leaf(4), leaf(7)],
            })),
        };
        assert_eq!(
            components(&spec),
            Err(SpecError::UnsupportedDtype {
                path: "1".into(),
                dtype: "string".into()
            })
        );
    }
}
