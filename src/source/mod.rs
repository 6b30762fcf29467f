//! Dataset sources other than image folders: one module per kind of stored dataset, each indexing its
//! kind cheaply (offsets and labels, no decoding) and reading rows on demand, keeping stored dtypes and
//! shapes. Not yet wired into the plan, the loader, the command line or the GUI (issue 11).

pub mod arrays;
pub mod cifar;
pub mod export_folder;
pub mod idx;
pub mod rows;
pub mod saved;
pub mod tfrecord;
