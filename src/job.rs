//! Composes the stages for a consumer: index + options → plan → resolved sample shape → [`LoadJob`].
//! The command line and the GUI both go through here, so "the same options" give the same batches.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::index::DatasetIndex;
use crate::loader::LoadJob;
use crate::options::LoadOptions;
use crate::plan::{self, PlanError};
use crate::preprocess::{Element, Shape};
use crate::probe::{self, MixedSizes};

/// Why the batches of a dataset cannot be planned.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
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

/// Plans `index` with `options` and resolves the shape every sample will have. Without an image size,
/// reads the headers of the planned files to find their common native size.
pub fn prepare(
    index: Arc<DatasetIndex>,
    options: &LoadOptions,
    element: Element,
    cancel: &AtomicBool,
) -> Result<LoadJob, JobError> {
    let plan = plan::plan(&index, &options.plan)?;
    let channels = options.preprocess.color_mode.channels();
    let (height, width) = if let Some((h, w)) = options.preprocess.image_size {
        (h as usize, w as usize)
    } else {
        let headers = probe::headers(&index, &plan.order, cancel).ok_or(JobError::Cancelled)?;
        let (h, w) = probe::common_size(&index, &plan.order, &headers)?.unwrap_or((0, 0));
        (h as usize, w as usize)
    };
    Ok(LoadJob {
        index,
        plan: Arc::new(plan),
        preprocess: options.preprocess,
        shape: Shape {
            height,
            width,
            channels,
        },
        element,
    })
}
