//! What a load did, per landing file.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

/// What one landing file became.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileReport {
    /// Landing file name as on disk (`events.csv`, `events.jsonl.gz`, …).
    pub file: String,
    /// Staging table it was loaded into (`staging.events`, …).
    pub table: String,
    /// False when the day has no such file (a snapshot without events): its batch is empty.
    pub present: bool,
    /// Records read, header excluded.
    pub read: u64,
    /// Rows staged (as counted by the server).
    pub staged: u64,
    /// Rows staged beyond one per record: a JSON Lines event whose items list gives one row
    /// per item (0 for CSV). `read + expanded = staged + rejected`.
    pub expanded: u64,
    /// Records quarantined.
    pub rejected: u64,
    /// Quarantined records per reason code.
    pub rejected_by_reason: BTreeMap<String, u64>,
}

/// What a load did, per file. `read + expanded = staged + rejected` holds for every file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoadReport {
    /// The batch date.
    pub date: NaiveDate,
    /// Whether a snapshot was loaded.
    pub snapshot: bool,
    /// `recorded` (first simulated day loaded into the warehouse), `matches`, `forced`, or
    /// `unpinned` (the day carries no generator identity: another producer's files).
    pub warehouse: &'static str,
    /// `manifest` (each file's records and SHA-256 checked against the day's manifest) or
    /// `loader` (loaded without a manifest: the figures are the loader's own).
    pub checked_against: &'static str,
    /// Per landing file, in load order (events, users, products).
    pub files: Vec<FileReport>,
}

impl LoadReport {
    /// Records read over all files.
    pub fn read(&self) -> u64 {
        self.files.iter().map(|f| f.read).sum()
    }
    /// Rows staged over all files.
    pub fn staged(&self) -> u64 {
        self.files.iter().map(|f| f.staged).sum()
    }
    /// Records quarantined over all files.
    pub fn rejected(&self) -> u64 {
        self.files.iter().map(|f| f.rejected).sum()
    }
}
