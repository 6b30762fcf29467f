//! batchscope: turn an image-folder dataset into batches and `.npy` arrays with the exact semantics of
//! Keras's `image_dataset_from_directory`, in bounded memory, with every bad file reported instead of fatal.
//!
//! The data flows one way (see `DESIGN.md` in the project's shared notes), and the folders name the
//! stages: [`source`] (detect and index a dataset into a [`source::index::DatasetIndex`], through
//! one contract) → [`plan`] (order, split, batch bounds, shards) → [`load`] (decode and preprocess
//! on a background thread) → consumers: [`export`] (`.npy` files), [`health`] (duplicates, leaks,
//! flags), [`inspect`] (a summary), [`query`] (filter and sort the samples, the user's edits) and
//! the GUI in `app`. [`options`] and [`validate`] are what a user
//! asks, checked once; [`decode`] is the hardened reader and the decoders. Only `app` knows about
//! egui.

pub mod app;
pub mod background;
pub mod cli;
pub mod command_line;
pub mod decode;
pub mod describe;
pub mod export;
pub mod health;
pub mod inspect;
pub mod load;
pub mod npy;
pub mod options;
pub mod plan;
pub mod query;
pub mod size;
pub mod source;
pub mod synth;
#[cfg(feature = "test-hooks")]
#[doc(hidden)]
pub mod test_hooks;
pub mod validate;

/// The index of a dataset (see [`source::index`]), at the crate's top for the paths that name it.
pub use source::index;
