//! Composes the stages for a consumer: index + options → plan → resolved sample shape → [`LoadSpec`].
//! The command line and the GUI both go through here, so "the same options" give the same batches.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::index::DatasetIndex;
use crate::load::loader::LoadSpec;
use crate::load::preprocess::{Element, Shape};
use crate::load::probe::{self, MixedSizes};
use crate::options::LoadOptions;
use crate::plan::{self, PlanError};
use crate::size::Size;

/// Why the batches of a dataset cannot be planned.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    /// The plan options are invalid.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// No image size was set and the images differ in size.
    #[error(transparent)]
    MixedSizes(#[from] MixedSizes),
    /// Cancelled while reading headers.
    #[error("cancelled while reading image headers")]
    Cancelled,
}

/// Keras's default `image_size`: what the viewer shows a folder of mixed sizes at.
pub const KERAS_DEFAULT_IMAGE_SIZE: Size = Size::square(256);

/// How many headers to read to find the native size when no image size is set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizeCheck {
    /// Every planned file: mixed sizes are an error before anything is loaded (export).
    AllFiles,
    /// The first `n` planned files: quick for huge folders; a later file of another size fails alone,
    /// with a reason that names both sizes (the viewer).
    First(usize),
}

/// Plans `index` with `options` and resolves the shape every sample will have. Without an image size,
/// reads headers of the planned files (as `check` says) to find their common native size.
pub fn prepare(
    index: Arc<DatasetIndex>,
    options: &LoadOptions,
    element: Element,
    check: SizeCheck,
    cancel: &AtomicBool,
) -> Result<LoadSpec, PrepareError> {
    let plan = plan::plan(&index, &options.plan)?;
    if let Some(rows) = index.store.rows() {
        // Stored rows keep their shape: the shape here is only how the viewer draws the image column.
        // A `(C, H, W)` row is drawn as the `(H, W, C)` image it holds.
        let shape = rows.image_shape().map_or(Shape::default(), |image| Shape {
            height: image.height,
            width: image.width,
            channels: image.channels,
        });
        return Ok(LoadSpec {
            index,
            plan: Arc::new(plan),
            preprocess: options.preprocess,
            shape,
            element,
        });
    }
    let size = if let Some(size) = options.preprocess.image_size {
        size
    } else {
        let probed = match check {
            SizeCheck::AllFiles => &plan.order[..],
            SizeCheck::First(n) => &plan.order[..n.min(plan.order.len())],
        };
        let headers = probe::headers(&index, probed, cancel).ok_or(PrepareError::Cancelled)?;
        probe::common_size(&index, probed, &headers)?.unwrap_or(Size::square(0))
    };
    Ok(LoadSpec {
        index,
        plan: Arc::new(plan),
        preprocess: options.preprocess,
        shape: Shape::of(size, options.preprocess.color_mode.channels()),
        element,
    })
}
