//! Dataset sources: one module per kind of stored dataset, each indexing its kind cheaply (offsets and
//! labels, no image decoding) so the plan and the loader can work on it like on an image folder.

pub mod tfrecord;
