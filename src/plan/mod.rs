//! The batch plan: a pure function of (index, options) that fixes the sample order, the split and the
//! batch boundaries once, so every pass (and every consumer) sees the same batches.

pub mod mt19937;
pub mod shard;

use std::ops::Range;

use crate::index::DatasetIndex;
use crate::options::{PlanOptions, Subset};

/// Which samples, in which order, cut into which batches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchPlan {
    /// Sample indices (into [`DatasetIndex::samples`]) in batch order.
    pub order: Vec<usize>,
    /// Samples per batch (the last may hold fewer).
    pub batch_size: usize,
    /// The seed the order was shuffled with, if it was.
    pub seed: Option<u32>,
    /// Where each batch ends (positions into `order`), when the source's own batches are shown
    /// instead of `batch_size` ones (a saved dataset of batches, in its stored order).
    pub ends: Option<Vec<usize>>,
}

/// Options that cannot work together, or values out of range.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    /// `batch_size` was 0.
    #[error("--batch-size must be at least 1")]
    ZeroBatchSize,
    /// `validation_split` outside (0, 1).
    #[error("--validation-split must be between 0 and 1 (exclusive), got {0}")]
    SplitOutOfRange(String),
    /// A split without a subset, or a subset without a split.
    #[error("--validation-split and --subset go together: give both or neither")]
    SplitWithoutSubset,
    /// Shuffling a split without a seed would let training and validation overlap between runs.
    #[error(
        "shuffling a validation split needs --seed, or training and validation files would differ between runs"
    )]
    ShuffledSplitWithoutSeed,
    /// Shuffling a compressed source, which can only be read forward: every row would decompress
    /// the file again from its start.
    #[error(
        "--shuffle needs rows read at random, but {0} is compressed and can only be read in order; export it once without --shuffle (the export's .npy files are read at random), then shuffle that export"
    )]
    SequentialOnly(String),
}

impl BatchPlan {
    /// Number of batches.
    pub fn batch_count(&self) -> usize {
        match &self.ends {
            Some(ends) => ends.len(),
            None => self.order.len().div_ceil(self.batch_size),
        }
    }

    /// Positions (into [`BatchPlan::order`]) of batch `k`.
    pub fn batch_range(&self, k: usize) -> Range<usize> {
        if let Some(ends) = &self.ends {
            let end = ends.get(k).copied().unwrap_or(self.order.len());
            let start = if k == 0 {
                0
            } else {
                ends.get(k - 1).copied().unwrap_or(end)
            };
            return start.min(end)..end;
        }
        let start = (k * self.batch_size).min(self.order.len());
        start..(start + self.batch_size).min(self.order.len())
    }

    /// Sample indices of batch `k`.
    pub fn batch(&self, k: usize) -> &[usize] {
        &self.order[self.batch_range(k)]
    }

    /// Number of samples in the plan.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether the plan holds no samples.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

/// Checks `options` on their own (before any folder is read).
pub fn validate(options: &PlanOptions) -> Result<(), PlanError> {
    if options.batch_size == 0 {
        return Err(PlanError::ZeroBatchSize);
    }
    match (options.validation_split, options.subset) {
        (None, None) => Ok(()),
        (Some(v), Some(_)) => {
            if !(v > 0.0 && v < 1.0) {
                return Err(PlanError::SplitOutOfRange(v.to_string()));
            }
            if options.shuffle && options.seed.is_none() {
                return Err(PlanError::ShuffledSplitWithoutSeed);
            }
            Ok(())
        }
        _ => Err(PlanError::SplitWithoutSubset),
    }
}

/// Why `options` leave no sample of `indexed` files, as a message that says what to change; `None` when
/// they leave some, or when there are no files to begin with.
pub fn empty_reason(indexed: usize, options: &PlanOptions) -> Option<String> {
    if indexed == 0 {
        return None;
    }
    let mut left = indexed;
    if let (Some(split), Some(subset)) = (options.validation_split, options.subset) {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let n_val = (split * indexed as f64) as usize;
        left = match subset {
            Subset::Training => indexed - n_val,
            Subset::Validation => n_val,
        };
        if left == 0 {
            let side = match subset {
                Subset::Training => "training",
                Subset::Validation => "validation",
            };
            return Some(format!(
                "the {side} subset is empty: --validation-split {split:?} of {indexed} files holds out int({split:?} * {indexed}) = {n_val}; use a split that leaves files on the {side} side"
            ));
        }
    }
    if options.drop_remainder && left < options.batch_size {
        return Some(format!(
            "no full batch: the {left} files fit in one partial batch of --batch-size {}, which --drop-remainder drops; use a smaller --batch-size or no --drop-remainder",
            options.batch_size
        ));
    }
    None
}

/// Plans the batches of `index`. Shuffling without a seed draws one from the clock and records it in
/// [`BatchPlan::seed`], so the order is still fixed for the plan's lifetime.
pub fn plan(index: &DatasetIndex, options: &PlanOptions) -> Result<BatchPlan, PlanError> {
    validate(options)?;
    if options.shuffle
        && let Some(source) = index.store.sequential_only()
    {
        return Err(PlanError::SequentialOnly(source));
    }
    let mut order: Vec<usize> = (0..index.samples.len()).collect();
    let seed = options
        .shuffle
        .then(|| options.seed.unwrap_or_else(clock_seed));
    if let Some(seed) = seed {
        mt19937::shuffle(&mut order, seed);
    }
    if let (Some(split), Some(subset)) = (options.validation_split, options.subset) {
        // Python's `int(validation_split * len(samples))`: float64 product, truncated.
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let n_val = (split * order.len() as f64) as usize;
        let n_train = order.len() - n_val;
        match subset {
            Subset::Training => order.truncate(n_train),
            Subset::Validation => {
                order.drain(..n_train);
            }
        }
    }
    if options.drop_remainder {
        let full = order.len() / options.batch_size * options.batch_size;
        order.truncate(full);
    }
    // A source's own batches are kept when nothing reorders or cuts its rows.
    let ends = match index.store.batch_rows() {
        Some(rows)
            if seed.is_none() && options.validation_split.is_none() && !options.drop_remainder =>
        {
            let mut at = 0;
            Some(
                rows.iter()
                    .filter(|&&n| n > 0)
                    .map(|n| {
                        at += n;
                        at
                    })
                    .collect(),
            )
        }
        _ => None,
    };
    Ok(BatchPlan {
        order,
        batch_size: options.batch_size,
        seed,
        ends,
    })
}

/// A seed in Keras's range for unseeded shuffles (`np.random.randint(1e6)`).
fn clock_seed() -> u32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    nanos % 1_000_000
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::Sample;

    fn index_of(n: usize) -> DatasetIndex {
        DatasetIndex {
            samples: (0..n)
                .map(|i| Sample {
                    objects: None,
                    rel_path: format!("{i}.png").into(),
                    label: Some(0),
                })
                .collect(),
            ..DatasetIndex::default()
        }
    }

    #[test]
    fn last_batch_is_partial_unless_dropped() {
        let index = index_of(10);
        let p = plan(
            &index,
            &PlanOptions {
                batch_size: 4,
                ..PlanOptions::default()
            },
        )
        .unwrap();
        assert_eq!(p.batch_count(), 3);
        assert_eq!(p.batch(2), &[8, 9]);
        let p = plan(
            &index,
            &PlanOptions {
                batch_size: 4,
                drop_remainder: true,
                ..PlanOptions::default()
            },
        )
        .unwrap();
        assert_eq!(p.batch_count(), 2);
        assert_eq!(p.batch(1), &[4, 5, 6, 7]);
    }

    #[test]
    fn split_takes_last_int_v_n_as_validation() {
        let index = index_of(10);
        let opts = |subset| PlanOptions {
            validation_split: Some(0.25),
            subset: Some(subset),
            ..PlanOptions::default()
        };
        let train = plan(&index, &opts(Subset::Training)).unwrap();
        let val = plan(&index, &opts(Subset::Validation)).unwrap();
        // int(0.25 * 10) == 2
        assert_eq!(train.order, (0..8).collect::<Vec<_>>());
        assert_eq!(val.order, [8, 9]);
    }

    #[test]
    fn shuffled_split_without_seed_is_refused() {
        let opts = PlanOptions {
            shuffle: true,
            validation_split: Some(0.2),
            subset: Some(Subset::Training),
            ..PlanOptions::default()
        };
        assert_eq!(
            plan(&index_of(5), &opts),
            Err(PlanError::ShuffledSplitWithoutSeed)
        );
    }
}
