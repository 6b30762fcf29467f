//! Joining elements into one array per component, as numpy would: `np.concatenate` of batches
//! along their first axis, or `np.stack` of single samples on a new first axis.

use super::spec::Component;
use super::tensor::Tensor;

/// Adds one element's component to the array built so far.
pub fn append(array: &mut Option<Tensor>, tensor: Tensor, batched: bool) -> Result<(), String> {
    let (rows, row_shape) = if batched {
        let Some((&rows, inner)) = tensor.shape.split_first() else {
            return Err("a scalar cannot be a batch".to_owned());
        };
        (rows, inner.to_vec())
    } else {
        (1, tensor.shape.clone())
    };
    match array {
        None => {
            let mut shape = vec![rows];
            shape.extend_from_slice(&row_shape);
            *array = Some(Tensor {
                dtype: tensor.dtype,
                shape,
                data: tensor.data,
            });
        }
        Some(array) => {
            if array.shape[1..] != row_shape[..] {
                return Err(format!(
                    "rows of shape {row_shape:?} after rows of shape {:?}",
                    &array.shape[1..]
                ));
            }
            array.shape[0] += rows;
            array.data.extend_from_slice(&tensor.data);
        }
    }
    Ok(())
}

/// The array of a dataset without elements: no rows, unknown dims taken as 0.
pub fn empty_array(component: &Component, batched: bool) -> Tensor {
    let dims = component.shape.iter().map(|d| d.unwrap_or(0));
    let shape = if batched {
        std::iter::once(0).chain(dims.skip(1)).collect()
    } else {
        std::iter::once(0).chain(dims).collect()
    };
    Tensor {
        dtype: component.dtype,
        shape,
        data: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::saved::Dtype;

    fn tensor(shape: &[u64], data: &[u8]) -> Tensor {
        Tensor {
            dtype: Dtype::Uint8,
            shape: shape.to_vec(),
            data: data.to_vec(),
        }
    }

    #[test]
    fn batches_concatenate_and_samples_stack() {
        let mut batches = None;
        append(&mut batches, tensor(&[2, 1], &[1, 2]), true).unwrap();
        append(&mut batches, tensor(&[1, 1], &[3]), true).unwrap();
        assert_eq!(batches, Some(tensor(&[3, 1], &[1, 2, 3])));
        let mut samples = None;
        append(&mut samples, tensor(&[2], &[1, 2]), false).unwrap();
        append(&mut samples, tensor(&[2], &[3, 4]), false).unwrap();
        assert_eq!(samples, Some(tensor(&[2, 2], &[1, 2, 3, 4])));
    }

    #[test]
    fn rows_of_another_shape_do_not_join() {
        let mut batches = None;
        append(&mut batches, tensor(&[1, 2], &[1, 2]), true).unwrap();
        let err = append(&mut batches, tensor(&[1, 3], &[1, 2, 3]), true).unwrap_err();
        assert_eq!(err, "rows of shape [3] after rows of shape [2]");
        assert!(append(&mut None, tensor(&[], &[1]), true).is_err());
    }
}
