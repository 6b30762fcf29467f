//! Loading: from a planned batch of samples to its pixels. [`spec`] composes a dataset's index and
//! the options into what the loader needs ([`spec::LoadSpec`]: the plan and the resolved sample
//! shape, reading headers through [`probe`] when no image size is set); [`loader`] decodes and
//! preprocesses batches on a background thread; [`preprocess`] and [`resize`] turn one decoded
//! image into its row, as Keras and TensorFlow would; [`check`] finds, from headers and file ends,
//! the samples that will fail before their batch is read.

pub mod check;
pub mod loader;
pub mod preprocess;
pub mod probe;
pub mod resize;
pub mod spec;
