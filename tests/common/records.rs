//! Protobuf and record framing written byte by byte, with no schema: the varint writer, TensorFlow's
//! record framing (length, masked CRC-32C of the length, data, masked CRC-32C of the data),
//! `TensorProto`s and the two files of a saved tf.data dataset. Included by path (it is not a module
//! of `tests/common`, so that no test binary loads it twice) by the fuzz seeds (`tests/fuzz/`, also
//! built by `fuzz/`), `hostile_readers` and the `bombs` example, so a hostile input and a fuzz seed
//! are built the same way.

use std::path::{Path, PathBuf};

use batchscope::source::tfrecord::masked_crc;

/// A protobuf varint.
pub fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A length-delimited field `tag` holding `body`.
pub fn field(tag: u64, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    varint(tag << 3 | 2, &mut out);
    varint(body.len() as u64, &mut out);
    out.extend_from_slice(body);
    out
}

/// A varint field `tag`.
pub fn int_field(tag: u64, v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    varint(tag << 3, &mut out);
    varint(v, &mut out);
    out
}

/// One record framed as TensorFlow frames it.
pub fn framed(data: &[u8]) -> Vec<u8> {
    let len = (data.len() as u64).to_le_bytes();
    let mut out = len.to_vec();
    out.extend_from_slice(&masked_crc(&len).to_le_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(&masked_crc(data).to_le_bytes());
    out
}

/// A `TensorShapeProto` of `dims` (-1 unknown).
pub fn shape(dims: &[i64]) -> Vec<u8> {
    dims.iter()
        .flat_map(|&d| field(2, &int_field(1, d as u64)))
        .collect()
}

/// TensorFlow's `DataType` number of uint8.
pub const UINT8: u64 = 4;

/// A uint8 `TensorProto` of `dims`: `content` as `tensor_content`, or one typed value (7) when it is
/// empty.
pub fn tensor(dims: &[i64], content: &[u8]) -> Vec<u8> {
    let mut out = int_field(1, UINT8);
    out.extend(field(2, &shape(dims)));
    if content.is_empty() {
        out.extend(int_field(7, 7));
    } else {
        out.extend(field(4, content));
    }
    out
}

/// `snapshot.metadata` of an uncompressed, finalized version-2 snapshot (run `run`) of `elements`
/// elements of one uint8 component.
pub fn snapshot_metadata(elements: u64) -> Vec<u8> {
    let mut metadata = field(2, b"run");
    metadata.extend(int_field(4, 2));
    metadata.extend(int_field(5, UINT8));
    metadata.extend(int_field(6, elements));
    metadata.extend(int_field(1000, 1));
    metadata
}

/// `dataset_spec.pb`: one uint8 `tf.TensorSpec` of `dims` (-1 unknown).
pub fn dataset_spec(dims: &[i64]) -> Vec<u8> {
    let mut spec = field(2, &shape(dims));
    spec.extend(int_field(3, UINT8));
    field(33, &spec)
}

/// Where a saved dataset's one snapshot file is, under its root.
pub const SNAPSHOT_FILE: &str = "run/00000000.shard/00000000.snapshot";

/// Writes `snapshot.metadata` and `dataset_spec.pb` of a dataset of `elements` uint8 elements of
/// shape `dims`, and the run folder; returns the snapshot file to write.
pub fn saved_layout(root: &Path, dims: &[i64], elements: u64) -> PathBuf {
    std::fs::create_dir_all(root.join("run/00000000.shard")).unwrap();
    std::fs::write(root.join("snapshot.metadata"), snapshot_metadata(elements)).unwrap();
    std::fs::write(root.join("dataset_spec.pb"), dataset_spec(dims)).unwrap();
    root.join(SNAPSHOT_FILE)
}
