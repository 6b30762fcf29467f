//! The few TensorFlow protobuf messages a saved dataset is made of, written by hand with `prost`
//! derives (no `protoc`). Field numbers and types are those of TensorFlow's `.proto` files named on
//! each message; fields batchscope never reads are left out, which protobuf decoding allows.

/// `tensorflow.data.experimental.SnapshotMetadataRecord` (`core/protobuf/snapshot.proto`), the
/// content of `snapshot.metadata`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SnapshotMetadataRecord {
    /// Fingerprint of the graph that produced the snapshot.
    #[prost(string, tag = "1")]
    pub graph_hash: String,
    /// The run id: also the name of the folder that holds the shards.
    #[prost(string, tag = "2")]
    pub run_id: String,
    /// Creation time, microseconds since the epoch.
    #[prost(int64, tag = "3")]
    pub creation_timestamp: i64,
    /// Snapshot file format version (`tf.data.Dataset.save` writes 2).
    #[prost(int64, tag = "4")]
    pub version: i64,
    /// The `DataType` of each flat component of an element, in flattening order.
    #[prost(int32, repeated, tag = "5")]
    pub dtype: Vec<i32>,
    /// How many elements were written.
    #[prost(int64, tag = "6")]
    pub num_elements: i64,
    /// Whether the writer finished.
    #[prost(bool, tag = "1000")]
    pub finalized: bool,
}

/// `tensorflow.TensorShapeProto` (`core/framework/tensor_shape.proto`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct TensorShapeProto {
    /// The dimensions, outermost first; a size of -1 is unknown.
    #[prost(message, repeated, tag = "2")]
    pub dim: Vec<Dim>,
    /// The rank itself is unknown.
    #[prost(bool, tag = "3")]
    pub unknown_rank: bool,
}

/// `tensorflow.TensorShapeProto.Dim`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Dim {
    /// The size, or -1 when unknown.
    #[prost(int64, tag = "1")]
    pub size: i64,
}

/// `tensorflow.TensorProto` (`core/framework/tensor.proto`): one flat component of one element.
/// Values are either in `tensor_content` (little-endian, row-major) or in the typed field that
/// matches the dtype; TensorFlow's writer uses `tensor_content`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TensorProto {
    /// The `DataType` number.
    #[prost(int32, tag = "1")]
    pub dtype: i32,
    /// The shape; every size is known in a stored tensor.
    #[prost(message, optional, tag = "2")]
    pub tensor_shape: Option<TensorShapeProto>,
    /// Raw values, little-endian.
    #[prost(bytes = "vec", tag = "4")]
    pub tensor_content: Vec<u8>,
    /// `float16` / `bfloat16` values as their 16 bits.
    #[prost(int32, repeated, tag = "13")]
    pub half_val: Vec<i32>,
    /// `float32` values.
    #[prost(float, repeated, tag = "5")]
    pub float_val: Vec<f32>,
    /// `float64` values.
    #[prost(double, repeated, tag = "6")]
    pub double_val: Vec<f64>,
    /// `int32`, `int16`, `int8`, `uint16`, `uint8` values.
    #[prost(int32, repeated, tag = "7")]
    pub int_val: Vec<i32>,
    /// `string` values (only counted, to name them in an error).
    #[prost(bytes = "vec", repeated, tag = "8")]
    pub string_val: Vec<Vec<u8>>,
    /// `int64` values.
    #[prost(int64, repeated, tag = "10")]
    pub int64_val: Vec<i64>,
    /// `bool` values.
    #[prost(bool, repeated, tag = "11")]
    pub bool_val: Vec<bool>,
    /// `uint32` values.
    #[prost(uint32, repeated, tag = "16")]
    pub uint32_val: Vec<u32>,
    /// `uint64` values.
    #[prost(uint64, repeated, tag = "17")]
    pub uint64_val: Vec<u64>,
}

/// `tensorflow.StructuredValue` (`core/protobuf/struct.proto`), the content of `dataset_spec.pb`:
/// the element structure. Only the kinds an element spec uses are decoded.
#[derive(Clone, PartialEq, prost::Message)]
pub struct StructuredValue {
    /// Which kind of value this is.
    #[prost(oneof = "Kind", tags = "1, 11, 12, 13, 14, 33, 34, 51, 52, 53, 54")]
    pub kind: Option<Kind>,
}

/// The kinds of `StructuredValue` an element spec is built from.
// The variants keep the names of the proto's oneof fields, which all end in `_value`.
#[allow(clippy::enum_variant_names)]
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum Kind {
    /// `None`.
    #[prost(message, tag = "1")]
    NoneValue(NoneValue),
    /// A Python float.
    #[prost(double, tag = "11")]
    Float64Value(f64),
    /// A Python int.
    #[prost(sint64, tag = "12")]
    Int64Value(i64),
    /// A Python string.
    #[prost(string, tag = "13")]
    StringValue(String),
    /// A Python bool.
    #[prost(bool, tag = "14")]
    BoolValue(bool),
    /// A `tf.TensorSpec`: one flat component.
    #[prost(message, tag = "33")]
    TensorSpecValue(TensorSpecProto),
    /// Any other `TypeSpec` (ragged, sparse, nested dataset, ...).
    #[prost(message, tag = "34")]
    TypeSpecValue(TypeSpecProto),
    /// A Python list.
    #[prost(message, tag = "51")]
    ListValue(ListValue),
    /// A Python tuple.
    #[prost(message, tag = "52")]
    TupleValue(ListValue),
    /// A Python dict.
    #[prost(message, tag = "53")]
    DictValue(DictValue),
    /// A named tuple.
    #[prost(message, tag = "54")]
    NamedTupleValue(NamedTupleValue),
}

/// `tensorflow.NoneValue`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct NoneValue {}

/// `tensorflow.ListValue` and `tensorflow.TupleValue` (same wire layout).
#[derive(Clone, PartialEq, prost::Message)]
pub struct ListValue {
    /// The items, in order.
    #[prost(message, repeated, tag = "1")]
    pub values: Vec<StructuredValue>,
}

/// `tensorflow.DictValue`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct DictValue {
    /// The entries (`tf.nest` flattens them in sorted key order).
    #[prost(btree_map = "string, message", tag = "1")]
    pub fields: std::collections::BTreeMap<String, StructuredValue>,
}

/// `tensorflow.NamedTupleValue`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct NamedTupleValue {
    /// The named tuple's type name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// The fields, in declaration order.
    #[prost(message, repeated, tag = "2")]
    pub values: Vec<PairValue>,
}

/// `tensorflow.PairValue`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PairValue {
    /// The field name.
    #[prost(string, tag = "1")]
    pub key: String,
    /// The field value.
    #[prost(message, optional, tag = "2")]
    pub value: Option<StructuredValue>,
}

/// `tensorflow.TensorSpecProto`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TensorSpecProto {
    /// The spec's name, if any.
    #[prost(string, tag = "1")]
    pub name: String,
    /// The static shape (dims of -1 are unknown).
    #[prost(message, optional, tag = "2")]
    pub shape: Option<TensorShapeProto>,
    /// The `DataType` number.
    #[prost(int32, tag = "3")]
    pub dtype: i32,
}

/// `tensorflow.TypeSpecProto`: kept only to name the kind in an error.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TypeSpecProto {
    /// The `TypeSpecClass` number (e.g. 2 = sparse, 3 = ragged).
    #[prost(int32, tag = "1")]
    pub type_spec_class: i32,
    /// The registered class name, for registered type specs.
    #[prost(string, tag = "3")]
    pub type_spec_class_name: String,
    /// How many flat tensors this value takes.
    #[prost(int32, tag = "4")]
    pub num_flat_components: i32,
}
