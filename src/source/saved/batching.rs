//! Whether a saved dataset's elements are batches (their rows joined by `np.concatenate`) or single
//! samples (joined by `np.stack`), decided from the element spec alone, so that the arrays are the
//! ones numpy makes of the elements. The rules, first match wins:
//!
//! 1. a component that is a scalar per element (rank 0): samples, since a batch gives every
//!    component a leading dimension;
//! 2. a component whose leading dimension is unknown: batches, as `batch()` leaves it;
//! 3. several components sharing one fixed leading dimension: batches, as
//!    `batch(n, drop_remainder=True)` gives;
//! 4. several components whose fixed leading dimensions differ: samples, since no batch has that;
//! 5. one component shaped as an image, `(H, W)` or `(H, W, C)` with C 1, 3 or 4: one sample;
//!    shaped as a batch of them, `(N, H, W, C)`: a batch.
//!
//! Anything else (one component of shape `(n,)`, `(a, b, 5)`, rank 5, ...) could be either: it is
//! read as one sample per element, and [`Batching::doubt`] says so, why, and which `--batched`
//! changes it. `--batched yes|no` decides without a guess.

use std::fmt;

use super::spec::Component;

/// How the elements of a saved dataset are read, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batching {
    /// Whether each element is a batch of rows (concatenated) rather than one sample (stacked).
    pub batched: bool,
    /// The rule that decided it.
    pub reason: Reason,
}

/// The rule that decided how elements are read (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// `--batched yes|no` said so.
    Given,
    /// The element has no components: nothing to join either way.
    NoComponents,
    /// This component is a scalar per element.
    Scalar {
        /// The component, as shown to a user.
        component: String,
    },
    /// This component's leading dimension is unknown.
    UnknownLeading {
        /// The component, as shown to a user.
        component: String,
    },
    /// Every component has this many rows.
    SharedLeading {
        /// The fixed leading dimension.
        rows: u64,
    },
    /// The components' fixed leading dimensions differ.
    DifferentLeading,
    /// The one component is shaped as one image.
    Image,
    /// The one component is shaped as a batch of images.
    ImageBatch,
    /// No rule decides: each element is taken as one sample, a guess.
    Ambiguous(Ambiguous),
}

/// A single component whose shape fits no rule, so reading its elements as samples is a guess.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ambiguous {
    /// The component, as shown to a user.
    pub component: String,
    /// Its static shape (`None` is an unknown dim); the leading dim is known.
    pub shape: Vec<Option<u64>>,
}

impl fmt::Display for Ambiguous {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows = match self.shape.first() {
            Some(Some(n)) => n.to_string(),
            _ => "n".to_owned(),
        };
        write!(
            f,
            "each element is read as one sample (np.stack), a guess: component {:?} has shape {}, \
             which is neither an image ((H, W), or (H, W, C) with 1, 3 or 4 channels) nor a batch of \
             images ((N, H, W, C)), so each element may also be a batch of {rows} rows; \
             --batched yes reads the elements as batches (np.concatenate), --batched no keeps this \
             reading without this warning",
            self.component,
            shape_repr(&self.shape)
        )
    }
}

impl Batching {
    /// What to tell the user when the reading is a guess: the guess, why, and the `--batched` that
    /// changes it; `None` when a rule or the user decided.
    pub fn doubt(&self) -> Option<&Ambiguous> {
        match &self.reason {
            Reason::Ambiguous(ambiguous) => Some(ambiguous),
            _ => None,
        }
    }
}

/// Decides how the elements of a dataset with these components are read; `given` (`--batched`)
/// overrides the rules.
pub fn batching(components: &[Component], given: Option<bool>) -> Batching {
    let decided = |batched, reason| Batching { batched, reason };
    if let Some(batched) = given {
        return decided(batched, Reason::Given);
    }
    if let Some(c) = components.iter().find(|c| c.shape.is_empty()) {
        let component = c.display_name().to_owned();
        return decided(false, Reason::Scalar { component });
    }
    if let Some(c) = components.iter().find(|c| c.shape.first() == Some(&None)) {
        let component = c.display_name().to_owned();
        return decided(true, Reason::UnknownLeading { component });
    }
    // Every component now has a known leading dimension.
    let leading: Vec<u64> = components
        .iter()
        .filter_map(|c| c.shape.first().copied().flatten())
        .collect();
    match (components, leading.as_slice()) {
        ([], _) => decided(false, Reason::NoComponents),
        ([one], _) => single(one),
        (_, [rows, rest @ ..]) if rest.iter().all(|d| d == rows) => {
            decided(true, Reason::SharedLeading { rows: *rows })
        }
        _ => decided(false, Reason::DifferentLeading),
    }
}

/// The rule for a single component with a fixed leading dimension.
fn single(component: &Component) -> Batching {
    let is_channels = |c: &Option<u64>| matches!(c, Some(1 | 3 | 4));
    let (batched, reason) = match component.shape.as_slice() {
        [_, _] => (false, Reason::Image),
        [_, _, c] if is_channels(c) => (false, Reason::Image),
        [_, _, _, c] if is_channels(c) => (true, Reason::ImageBatch),
        shape => (
            false,
            Reason::Ambiguous(Ambiguous {
                component: component.display_name().to_owned(),
                shape: shape.to_vec(),
            }),
        ),
    };
    Batching { batched, reason }
}

/// A spec shape as Python prints it: `(5,)`, `(None, 28, 28)`.
fn shape_repr(shape: &[Option<u64>]) -> String {
    let dims: Vec<String> = shape
        .iter()
        .map(|d| d.map_or_else(|| "None".to_owned(), |d| d.to_string()))
        .collect();
    match dims.as_slice() {
        [one] => format!("({one},)"),
        _ => format!("({})", dims.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::npy::NpyDtype;

    fn component(path: &str, shape: &[Option<u64>]) -> Component {
        Component {
            path: path.to_owned(),
            dtype: NpyDtype::U8,
            shape: shape.to_vec(),
        }
    }

    fn one(shape: &[Option<u64>]) -> Batching {
        batching(&[component("", shape)], None)
    }

    fn is_batched(components: &[Component], given: Option<bool>) -> bool {
        batching(components, given).batched
    }

    /// The assertions of the first guess that still hold. Two of its assertions pinned readings the
    /// rules now change: `[(None,), (3,)]` was unbatched (an unknown leading dim now reads as
    /// batches), and one `(28, 28)` per element was a batch of 28 rows (the bug: it is one image).
    #[test]
    fn batched_guess() {
        let unknown = [component("0", &[None, Some(4)]), component("1", &[None])];
        assert!(is_batched(&unknown, None));
        assert!(!is_batched(&unknown, Some(false)));
        let dropped = [
            component("0", &[Some(2), Some(4)]),
            component("1", &[Some(2)]),
        ];
        assert!(is_batched(&dropped, None));
        let scalar_label = [component("0", &[Some(4), Some(4)]), component("1", &[])];
        assert!(!is_batched(&scalar_label, None));
        assert!(is_batched(&scalar_label, Some(true)));
        assert!(!is_batched(&[], None));
    }

    #[test]
    fn a_scalar_component_means_samples_even_beside_an_unknown_leading_dim() {
        let scalar_beside_unknown = [component("0", &[None, Some(3)]), component("1", &[])];
        assert_eq!(
            batching(&scalar_beside_unknown, None),
            Batching {
                batched: false,
                reason: Reason::Scalar {
                    component: "1".into()
                }
            }
        );
        let only_a_scalar = one(&[]);
        assert_eq!(
            only_a_scalar.reason,
            Reason::Scalar {
                component: "element".into()
            }
        );
        assert!(!only_a_scalar.batched);
    }

    #[test]
    fn an_unknown_leading_dim_means_batches_beside_fixed_ones() {
        let mixed = [
            component("image", &[Some(3), Some(2)]),
            component("label", &[None]),
        ];
        assert_eq!(
            batching(&mixed, None),
            Batching {
                batched: true,
                reason: Reason::UnknownLeading {
                    component: "label".into()
                }
            }
        );
        // One component of (None, 28, 28): what `batch(n)` makes of 28x28 images.
        let single = one(&[None, Some(28), Some(28)]);
        assert!(single.batched);
        assert_eq!(single.doubt(), None);
    }

    #[test]
    fn components_sharing_a_fixed_leading_dim_are_batches() {
        let dropped = [
            component("0", &[Some(8), Some(28), Some(28)]),
            component("1", &[Some(8)]),
            component("2", &[Some(8), Some(10)]),
        ];
        assert_eq!(
            batching(&dropped, None),
            Batching {
                batched: true,
                reason: Reason::SharedLeading { rows: 8 }
            }
        );
    }

    #[test]
    fn components_whose_fixed_leading_dims_differ_are_samples() {
        // An image and its one-hot label: no batch has 28 images and 10 labels.
        let image_and_one_hot = [
            component("0", &[Some(28), Some(28)]),
            component("1", &[Some(10)]),
        ];
        assert_eq!(
            batching(&image_and_one_hot, None),
            Batching {
                batched: false,
                reason: Reason::DifferentLeading
            }
        );
    }

    #[test]
    fn one_image_per_element_is_a_sample_and_a_batch_of_images_is_a_batch() {
        for shape in [
            &[Some(28), Some(28)][..],
            &[Some(32), Some(32), Some(3)],
            &[Some(5), Some(7), Some(1)],
            &[Some(2), Some(2), Some(4)],
            // Rank 2 is an image whatever its width.
            &[Some(4), None],
        ] {
            assert_eq!(
                one(shape),
                Batching {
                    batched: false,
                    reason: Reason::Image
                },
                "{shape:?}"
            );
        }
        for channels in [1, 3, 4] {
            let shape = [Some(16), Some(32), Some(32), Some(channels)];
            assert_eq!(
                one(&shape),
                Batching {
                    batched: true,
                    reason: Reason::ImageBatch
                },
                "{shape:?}"
            );
        }
    }

    #[test]
    fn other_single_components_are_a_guess_of_samples() {
        for shape in [
            &[Some(5)][..],
            &[Some(8), Some(28), Some(28)],
            &[Some(28), Some(28), Some(2)],
            &[Some(28), Some(28), None],
            &[Some(4), Some(8), Some(8), Some(2)],
            &[Some(2), Some(3), Some(4), Some(5), Some(3)],
        ] {
            let guess = one(shape);
            assert!(!guess.batched, "{shape:?}");
            assert_eq!(
                guess.doubt(),
                Some(&Ambiguous {
                    component: "element".into(),
                    shape: shape.to_vec()
                }),
                "{shape:?}"
            );
        }
        // Decided readings carry no doubt, and neither does --batched.
        assert_eq!(one(&[Some(28), Some(28)]).doubt(), None);
        let given = batching(&[component("", &[Some(5)])], Some(false));
        assert_eq!((given.batched, given.doubt()), (false, None));
    }

    /// From a `dataset_spec.pb` message as TensorFlow writes it (built here, with -1 for an unknown
    /// dim) through its flattening to the reading.
    #[test]
    fn reads_a_spec_message() {
        use super::super::proto::{
            DictValue, Dim, Kind, ListValue, StructuredValue, TensorShapeProto, TensorSpecProto,
        };
        use super::super::spec::components;
        let tensor = |dims: &[i64]| StructuredValue {
            kind: Some(Kind::TensorSpecValue(TensorSpecProto {
                name: String::new(),
                shape: Some(TensorShapeProto {
                    dim: dims.iter().map(|&size| Dim { size }).collect(),
                    unknown_rank: false,
                }),
                dtype: 4,
            })),
        };
        let read = |spec: &StructuredValue| batching(&components(spec).unwrap(), None);
        // `from_tensor_slices(x)` of (50, 28, 28): one image per element.
        assert_eq!(read(&tensor(&[28, 28])).reason, Reason::Image);
        // `.batch(32)` of it.
        assert_eq!(
            read(&tensor(&[-1, 28, 28])).reason,
            Reason::UnknownLeading {
                component: "element".into()
            }
        );
        // A dict flattens by sorted key: the scalar "label" is named.
        let dict = StructuredValue {
            kind: Some(Kind::DictValue(DictValue {
                fields: [("label", tensor(&[])), ("image", tensor(&[-1, 4]))]
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect(),
            })),
        };
        assert_eq!(
            read(&dict),
            Batching {
                batched: false,
                reason: Reason::Scalar {
                    component: "label".into()
                }
            }
        );
        let pair = StructuredValue {
            kind: Some(Kind::TupleValue(ListValue {
                values: vec![tensor(&[8, 28, 28, 1]), tensor(&[8])],
            })),
        };
        assert_eq!(read(&pair).reason, Reason::SharedLeading { rows: 8 });
    }

    #[test]
    fn a_guess_says_what_it_guessed_why_and_which_flag_changes_it() {
        let guess = batching(&[component("x", &[Some(8), Some(28), None])], None);
        assert_eq!(
            guess.doubt().map(ToString::to_string).as_deref(),
            Some(
                "each element is read as one sample (np.stack), a guess: component \"x\" has shape \
                 (8, 28, None), which is neither an image ((H, W), or (H, W, C) with 1, 3 or 4 \
                 channels) nor a batch of images ((N, H, W, C)), so each element may also be a \
                 batch of 8 rows; --batched yes reads the elements as batches (np.concatenate), \
                 --batched no keeps this reading without this warning"
            )
        );
        let vector = one(&[Some(5)]).doubt().map(ToString::to_string);
        assert!(
            vector
                .as_deref()
                .is_some_and(|m| m.contains("component \"element\" has shape (5,),")
                    && m.contains("a batch of 5 rows")),
            "{vector:?}"
        );
    }
}
