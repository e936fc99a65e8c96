//! retention-scd: SCD Type 2 history for any dimension described by configuration.
//!
//! - [`DimensionSpec`] says what a dimension is: target and source tables, natural and
//!   surrogate keys, tracked (type 2) and overwritten (type 1) columns, the effective-time
//!   column, the delete flag, the columns erased on deletion and where else they live (by
//!   key, and copies of their values kept without it), per-column normalisation, and its
//!   [`FeedMode`]: a day's batch holds the day's changes, or the full current state (a key
//!   absent from it is closed as deleted). [`DimensionSpec::list_from_yaml`] reads a file of
//!   them.
//! - [`MergePlan::diff`] is the pure core: the current state of the batch's keys plus the
//!   batch's rows → one [`Action`] per key (new key, new version, type-1 update, close on
//!   delete, no-op, ...; a key deleted and re-created within the batch gets its deletion and
//!   its new life). No database involved.
//! - [`merge_batch`] is the PostgreSQL executor: in one transaction, under an advisory lock
//!   per dimension, it reads the batch and the keys' current versions, runs the diff, sends
//!   the actions by binary COPY into a temporary table and applies them with a handful of
//!   set-based statements (close, type-1 rewrite, insert, erase). [`rebuild_from`] removes
//!   history from a day on and replays the stored batches.
//!
//! ```text
//!  staging batch ──► normalise, latest row per key ──┐
//!                                                     ├─► MergePlan::diff ─► COPY actions ─► UPDATE/INSERT
//!  current versions + erasure register (those keys) ──┘
//! ```
//!
//! In [`FeedMode::Snapshot`] the keys absent from a batch are found in SQL and streamed with
//! its rows, so memory does not grow with the dimension; an empty snapshot is refused
//! ([`Error::EmptySnapshot`]) unless the specification allows it.
//!
//! Guarantees: a batch already merged is a no-op (`bookkeeping.batches`), even after later
//! batches; a batch older than the history it would change is refused
//! ([`Error::OutOfOrder`]); erased personal data never comes back, because every write
//! consults the erasure register.
//!
//! ```no_run
//! # async fn run(client: &mut tokio_postgres::Client) -> retention_scd::Result<()> {
//! use retention_scd::{DimensionSpec, merge_batch};
//! let specs = DimensionSpec::list_from_yaml(&std::fs::read_to_string("config/dimensions.yaml")?)?;
//! let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 2).unwrap();
//! for spec in &specs {
//!     let stats = merge_batch(client, spec, day).await?;
//!     println!("{}: {} new versions", spec.name, stats.new_versions);
//! }
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

use chrono::{DateTime, NaiveDate, Utc};

mod executor;
mod plan;
mod spec;
mod sql;

pub use executor::{MergeStats, RebuildStats, merge_batch, rebuild_from};
pub use plan::{
    Action, CurrentState, KeyState, MergePlan, NewVersion, SourceRow, Value, rounds, row_hash,
};
pub use spec::{
    Bookkeeping, CopyPlace, DimensionSpec, ErasePlace, ErasureLog, FeedMode, Normalise, RejectLog,
    SourceSpec, normalise_value,
};

/// What can go wrong merging a dimension.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The dimension specification is invalid.
    #[error("configuration: {0}")]
    Config(String),
    /// The database does not have what the specification names.
    #[error("schema: {0}")]
    Schema(String),
    /// Two rows of one key in one batch share the latest effective time but differ.
    #[error(
        "dimension {dimension}: key {key} has two different rows effective at {effective} in one batch; cannot tell which is latest"
    )]
    AmbiguousDuplicate {
        /// The dimension.
        dimension: String,
        /// The natural key.
        key: String,
        /// The tied effective time.
        effective: DateTime<Utc>,
    },
    /// The batch would change history before what the dimension already holds.
    #[error(
        "dimension {dimension}: {count} row(s) are older than the versions already merged ({examples}); merge batches in order or use --rebuild-from"
    )]
    OutOfOrder {
        /// The dimension.
        dimension: String,
        /// How many keys are affected.
        count: usize,
        /// The first few: key, row time and the time the dimension already holds.
        examples: String,
    },
    /// A batch merged before now has different feed rows.
    #[error(
        "dimension {dimension}: batch {batch} was merged before and its feed has changed since; use --rebuild-from {batch}"
    )]
    BatchChanged {
        /// The dimension.
        dimension: String,
        /// The batch.
        batch: NaiveDate,
    },
    /// A batch of a dimension in snapshot mode has no row to merge: merged, it would close
    /// every key (a producer that failed to export would delete the whole dimension).
    #[error(
        "dimension {dimension}: the snapshot batch {batch} has no rows; it would close every key as deleted (set allow_empty_snapshot: true if the source is really empty)"
    )]
    EmptySnapshot {
        /// The dimension.
        dimension: String,
        /// The batch.
        batch: NaiveDate,
    },
    /// A rebuild was asked to start after the day it ends on.
    #[error("--rebuild-from {from} is after the batch {through}")]
    RebuildRange {
        /// The first day to rebuild.
        from: NaiveDate,
        /// The last batch.
        through: NaiveDate,
    },
    /// A database statement failed: the server's message when there is one (the driver's
    /// own text is only "db error"), else the driver's reason and its causes.
    #[error("database: {}", db_reason(.0))]
    Db(#[from] tokio_postgres::Error),
    /// Reading a file failed.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

/// The one-line reason of a driver error: severity, message and detail of the server's error
/// (a terminated connection says so), else the driver's text with its causes.
fn db_reason(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut s = format!("{}: {}", db.severity(), db.message());
        if let Some(detail) = db.detail() {
            s.push_str(&format!(" ({detail})"));
        }
        return s;
    }
    let mut s = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        let text = inner.to_string();
        if !s.contains(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        source = inner.source();
    }
    s
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    fn out_of_order(
        dimension: &str,
        mut stale: Vec<(String, DateTime<Utc>, DateTime<Utc>)>,
    ) -> Self {
        stale.sort();
        let examples = stale
            .iter()
            .take(5)
            .map(|(k, t, held)| format!("key {k} at {t} but already {held}"))
            .collect::<Vec<_>>()
            .join("; ");
        Error::OutOfOrder {
            dimension: dimension.to_owned(),
            count: stale.len(),
            examples,
        }
    }
}
