//! What a merge and a rebuild report.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

/// What one merge did. `rows_out` ([`MergeStats::rows_out`]) counts dimension rows written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MergeStats {
    /// The dimension.
    pub dimension: String,
    /// The batch.
    pub batch: NaiveDate,
    /// The batch had been merged before with the same rows: nothing was done.
    pub already_merged: bool,
    /// Feed rows in the batch.
    pub rows_in: u64,
    /// Feed rows without natural key or effective time (not mergeable).
    pub rows_skipped: u64,
    /// Of those, rows written to the reject log (all of them when one is configured): the
    /// feed's rows are then all merged or quarantined, `rows_in = mergeable + quarantined`.
    pub rows_quarantined: u64,
    /// Rows identical to another row of the same key and time in the batch.
    pub duplicates: u64,
    /// Keys seen for the first time.
    pub new_keys: u64,
    /// Keys with a type-2 change.
    pub new_versions: u64,
    /// Deleted keys that came back (a new life).
    pub recreated: u64,
    /// Keys whose only change was to type-1 values.
    pub type1_updates: u64,
    /// Keys deleted (current version closed).
    pub deletions: u64,
    /// Deletions of keys without a current version (only erased).
    pub forgotten: u64,
    /// Of the deletions, keys closed because a full snapshot did not hold them
    /// ([`FeedMode::Snapshot`](crate::FeedMode::Snapshot)); left out of the JSON when 0.
    #[serde(skip_serializing_if = "is_zero")]
    pub absent: u64,
    /// Keys without change.
    pub noops: u64,
    /// Versions inserted.
    pub versions_inserted: u64,
    /// Versions closed.
    pub versions_closed: u64,
    /// Version rows whose type-1 values were rewritten.
    pub type1_rows: u64,
    /// Version rows whose personal data was erased.
    pub erased_versions: u64,
    /// Rows erased in the other places (`erase_in`).
    pub erased_elsewhere: u64,
    /// Column values where copies of erased values were replaced (`erase_copies_in`).
    pub erased_copies: u64,
    /// The earliest instant from which this merge changed history.
    pub earliest_change: Option<DateTime<Utc>>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl MergeStats {
    /// Dimension rows written (inserted, closed, or rewritten).
    pub fn rows_out(&self) -> u64 {
        self.versions_inserted + self.versions_closed + self.type1_rows + self.erased_versions
    }
}

/// What a rebuild did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RebuildStats {
    /// The dimension.
    pub dimension: String,
    /// History from this day on was removed and replayed.
    pub from: NaiveDate,
    /// The last batch replayed.
    pub through: NaiveDate,
    /// Versions created by the removed batches.
    pub versions_removed: u64,
    /// Versions closed by the removed batches, open again before the replay.
    pub versions_reopened: u64,
    /// Keys whose type-1 values were restored to the day before `from`.
    pub type1_restored: u64,
    /// The replayed batches, in order.
    pub replayed: Vec<MergeStats>,
    /// The earliest instant whose history changed (removed, reopened or replayed): facts
    /// looked up by point in time at or after it must be re-keyed.
    pub changed_since: Option<DateTime<Utc>>,
}
