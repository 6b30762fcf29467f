//! Asking the dataset a question: which samples pass a filter, in what order, and what the user
//! decided about them. Plain Rust (no egui): the viewer's Gallery and `batchscope list` use it the
//! same way.
//!
//! - [`Table`]: the samples the loader options keep (split and subset included), as columns built
//!   once: label, subset, path, and the health pass's measures and findings when one has run.
//! - [`Query`]: filters (class, subset, health finding, object class and object count of an
//!   annotated dataset, a set of samples, tag, path substring or glob; AND across kinds, OR within one) and a stable sort; [`Query::run`] gives sample indices.
//! - [`Edits`]: tags, new classes and exclusions by path, kept in a sidecar file per dataset and
//!   written out as `corrections.csv`; [`Corrections`] reads that file back.
//!
//! ```text
//! let table = Table::plan(&index, &options.plan)?;       // once per dataset and options
//! table.attach_health(&scan, &findings);                // when a health pass has run
//! let shown = Query { classes: vec![2], sort: SortKey::Brightness, ..Query::default() }
//!     .run(&table, &edits)?;                            // each time the filter changes
//! ```

pub mod corrections;
pub mod edits;
pub mod filter;
pub mod objects;
pub mod pattern;
pub mod table;

pub use corrections::{Correction, Corrections, CorrectionsError};
pub use edits::{Edit, Edits, EditsError};
pub use filter::{HealthFilter, Query, QueryError, SortKey};
pub use objects::{CountRange, parse_count_range};
pub use pattern::PathPattern;
pub use table::{Measures, Table};

#[cfg(test)]
mod tests;
