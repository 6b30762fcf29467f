//! One stored component: a serialized `TensorProto` checked against its component spec and turned
//! into raw little-endian bytes, from `tensor_content` (what TensorFlow writes) or the typed value
//! fields (with TensorFlow's rule for missing values).
//!
//! A shape is only as trustworthy as the record: the bytes it needs are checked against the record's
//! limit before anything is allocated, since a few typed values may stand for a whole tensor (the
//! last one repeats) and a 30-byte record can claim terabytes.

use prost::Message as _;

use super::proto;
use super::spec::{self, Component, Dtype};

/// One component of one element: values as little-endian bytes in row-major order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tensor {
    /// The dtype of the values.
    pub dtype: Dtype,
    /// The shape, outermost first.
    pub shape: Vec<u64>,
    /// `shape.product() * dtype.size()` bytes.
    pub data: Vec<u8>,
}

/// Decodes one record (a serialized `TensorProto`) as `component`; a tensor of more than
/// `max_bytes` bytes is refused before it is allocated.
pub fn decode_tensor(
    record: &[u8],
    component: &Component,
    max_bytes: u64,
) -> Result<Tensor, String> {
    let proto =
        proto::TensorProto::decode(record).map_err(|e| format!("not a TensorProto: {e}"))?;
    if spec::dtype_from_tf(proto.dtype) != Some(component.dtype) {
        return Err(format!(
            "stored dtype {} but the spec says {}",
            spec::tf_dtype_name(proto.dtype),
            component.dtype
        ));
    }
    let shape = proto
        .tensor_shape
        .as_ref()
        .map_or(Ok(Vec::new()), |s| {
            s.dim.iter().map(|d| u64::try_from(d.size)).collect()
        })
        .map_err(|_| "stored shape has an unknown dim".to_owned())?;
    let fits = shape.len() == component.shape.len()
        && shape
            .iter()
            .zip(&component.shape)
            .all(|(&got, want)| want.is_none_or(|want| want == got));
    if !fits {
        return Err(format!(
            "stored shape {shape:?} does not fit the spec's {}",
            spec_shape(&component.shape)
        ));
    }
    let count = shape
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d))
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| format!("stored shape {shape:?} is too large"))?;
    let data = values(proto, component.dtype, &shape, count, max_bytes)?;
    Ok(Tensor {
        dtype: component.dtype,
        shape,
        data,
    })
}

fn spec_shape(shape: &[Option<u64>]) -> String {
    let dims: Vec<String> = shape
        .iter()
        .map(|d| d.map_or_else(|| "None".to_owned(), |d| d.to_string()))
        .collect();
    format!("({})", dims.join(", "))
}

/// The `count` values of a tensor as little-endian bytes, from `tensor_content` or the typed field.
/// `shape` (of `count` values) is for messages.
fn values(
    proto: proto::TensorProto,
    dtype: Dtype,
    shape: &[u64],
    count: usize,
    max_bytes: u64,
) -> Result<Vec<u8>, String> {
    let len = count.checked_mul(dtype.size()).ok_or_else(|| {
        format!("stored shape {shape:?} of {dtype} is too large to count in bytes")
    })?;
    if len as u64 > max_bytes {
        return Err(format!(
            "stored shape {shape:?} of {dtype} needs {len} bytes, over the limit of {max_bytes} bytes per record (--max-file-bytes)"
        ));
    }
    if !proto.tensor_content.is_empty() || count == 0 {
        if proto.tensor_content.len() != len {
            return Err(format!(
                "tensor_content holds {} bytes, the shape needs {len}",
                proto.tensor_content.len()
            ));
        }
        return Ok(proto.tensor_content);
    }
    let typed: Vec<Vec<u8>> = match dtype {
        Dtype::Bool => le(&proto.bool_val, |&v| vec![u8::from(v)]),
        Dtype::U8 => le(&proto.int_val, |&v| (v as u8).to_le_bytes().to_vec()),
        Dtype::I8 => le(&proto.int_val, |&v| (v as i8).to_le_bytes().to_vec()),
        Dtype::U16 => le(&proto.int_val, |&v| (v as u16).to_le_bytes().to_vec()),
        Dtype::I16 => le(&proto.int_val, |&v| (v as i16).to_le_bytes().to_vec()),
        Dtype::I32 => le(&proto.int_val, |&v| v.to_le_bytes().to_vec()),
        Dtype::F16 => le(&proto.half_val, |&v| (v as u16).to_le_bytes().to_vec()),
        Dtype::U32 => le(&proto.uint32_val, |&v| v.to_le_bytes().to_vec()),
        Dtype::I64 => le(&proto.int64_val, |&v| v.to_le_bytes().to_vec()),
        Dtype::U64 => le(&proto.uint64_val, |&v| v.to_le_bytes().to_vec()),
        Dtype::F32 => le(&proto.float_val, |&v| v.to_le_bytes().to_vec()),
        Dtype::F64 => le(&proto.double_val, |&v| v.to_le_bytes().to_vec()),
    };
    if typed.len() > count {
        return Err(format!(
            "{} typed values for a shape of {count}",
            typed.len()
        ));
    }
    // TensorFlow's rule: missing values repeat the last one given, or are zero if none is.
    let fill = typed
        .last()
        .cloned()
        .unwrap_or_else(|| vec![0; dtype.size()]);
    let mut data = Vec::new();
    data.try_reserve_exact(len).map_err(|_| {
        format!("stored shape {shape:?} of {dtype} needs {len} bytes, more than can be allocated")
    })?;
    for i in 0..count {
        data.extend_from_slice(typed.get(i).unwrap_or(&fill));
    }
    Ok(data)
}

fn le<T>(values: &[T], bytes: impl Fn(&T) -> Vec<u8>) -> Vec<Vec<u8>> {
    values.iter().map(bytes).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn component(dtype: Dtype, shape: &[Option<u64>]) -> Component {
        Component {
            path: "x".to_owned(),
            dtype,
            shape: shape.to_vec(),
        }
    }

    fn shape(dims: &[i64]) -> proto::TensorShapeProto {
        proto::TensorShapeProto {
            dim: dims.iter().map(|&size| proto::Dim { size }).collect(),
            unknown_rank: false,
        }
    }

    #[test]
    fn typed_values_repeat_the_last_one_as_tensorflow_does() {
        let stored = proto::TensorProto {
            dtype: 3,
            tensor_shape: Some(shape(&[2, 2])),
            int_val: vec![-1, 7],
            ..Default::default()
        };
        let tensor = decode_tensor(
            &stored.encode_to_vec(),
            &component(Dtype::I32, &[None, Some(2)]),
            u64::MAX,
        )
        .unwrap();
        assert_eq!(tensor.shape, [2, 2]);
        let values: Vec<i32> = tensor
            .data
            .chunks_exact(4)
            .map(|c| i32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(values, [-1, 7, 7, 7]);
    }

    #[test]
    fn half_values_are_their_bits() {
        let stored = proto::TensorProto {
            dtype: 19,
            tensor_shape: Some(shape(&[1])),
            half_val: vec![0x3c00],
            ..Default::default()
        };
        let tensor = decode_tensor(
            &stored.encode_to_vec(),
            &component(Dtype::F16, &[Some(1)]),
            2,
        )
        .unwrap();
        assert_eq!(tensor.data, [0x00, 0x3c]);
    }

    #[test]
    fn a_tensor_that_does_not_fit_the_spec_is_refused() {
        let stored = proto::TensorProto {
            dtype: 4,
            tensor_shape: Some(shape(&[3])),
            tensor_content: vec![1, 2, 3],
            ..Default::default()
        };
        let record = stored.encode_to_vec();
        let err = decode_tensor(&record, &component(Dtype::U8, &[Some(4)]), u64::MAX).unwrap_err();
        assert!(err.contains("does not fit the spec's (4)"), "{err}");
        let err = decode_tensor(&record, &component(Dtype::I8, &[None]), u64::MAX).unwrap_err();
        assert!(
            err.contains("stored dtype uint8 but the spec says int8"),
            "{err}"
        );
        let short = proto::TensorProto {
            tensor_content: vec![1, 2],
            ..stored
        };
        let err = decode_tensor(
            &short.encode_to_vec(),
            &component(Dtype::U8, &[None]),
            u64::MAX,
        )
        .unwrap_err();
        assert!(err.contains("holds 2 bytes, the shape needs 3"), "{err}");
    }
}
