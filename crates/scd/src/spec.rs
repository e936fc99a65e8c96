//! [`DimensionSpec`]: what a dimension is, read from YAML and validated before any SQL is
//! built from it (every identifier is checked and then double-quoted).
//!
//! This module holds the specification's types and the normalisation of values; `validate`
//! reads and checks a specification and quotes its identifiers.

#[cfg(test)]
mod tests;
mod validate;

use std::collections::BTreeMap;

use serde::Deserialize;

pub(crate) use self::validate::{column_ident, table_ident};

/// One dimension: where its feed is, which columns it tracks and how, and where personal
/// data must be erased when a key is deleted.
///
/// The target table must carry the SCD bookkeeping columns `row_hash bytea`,
/// `valid_from timestamptz`, `valid_to timestamptz`, `is_current boolean`,
/// `is_deleted boolean`, `batch_date date` and `updated_in_batch date`, beside the natural
/// key, the surrogate key (an identity column) and the attribute columns, which have the
/// same names in the source table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DimensionSpec {
    /// Short name, used in errors, the advisory lock and the batch log (`dim_user`).
    pub name: String,
    /// The SCD2 table, `schema.table`.
    pub target: String,
    /// The identity column of the target.
    pub surrogate_key: String,
    /// The natural key column, in both source and target.
    pub natural_key: String,
    /// The daily feed.
    pub source: SourceSpec,
    /// What a day's batch is: the day's changes (the default) or the full current state.
    #[serde(default)]
    pub mode: FeedMode,
    /// In [`FeedMode::Snapshot`], merge a batch without any row (which closes every key)
    /// instead of refusing it with [`Error::EmptySnapshot`](crate::Error::EmptySnapshot).
    #[serde(default)]
    pub allow_empty_snapshot: bool,
    /// Source column whose value becomes a version's `valid_from` (`updated_at`).
    pub effective_time: String,
    /// Source boolean column marking deletions, if the feed carries any.
    #[serde(default)]
    pub delete_flag: Option<String>,
    /// Tracked columns: a change makes a new version.
    pub type2: Vec<String>,
    /// Overwritten columns: a change rewrites every version of the key's current life.
    #[serde(default)]
    pub type1: Vec<String>,
    /// Columns set to NULL in every version of a key when it is deleted (personal data).
    #[serde(default)]
    pub erase_on_delete: Vec<String>,
    /// Clean-up applied to incoming values, per column, in the order given.
    #[serde(default)]
    pub normalise: BTreeMap<String, Vec<Normalise>>,
    /// Where merged batches (and erasures) are recorded.
    pub bookkeeping: Bookkeeping,
    /// Other tables holding the personal data of a deleted key.
    #[serde(default)]
    pub erase_in: Vec<ErasePlace>,
    /// Tables that may hold copies of personal values without their key (validation
    /// samples, error messages): the values a deletion erases are searched for there too.
    #[serde(default)]
    pub erase_copies_in: Vec<CopyPlace>,
}

/// What a day's batch of the feed holds (`mode:` in the specification).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedMode {
    /// The day's changes: a key without a row in the batch is unchanged, and only the delete
    /// flag deletes.
    #[default]
    Changes,
    /// The full current state, every day: a key without a row in the batch is closed as
    /// deleted at the batch day's start (the snapshot time), as dbt's
    /// `hard_deletes: invalidate`. A row without an effective time is taken at the snapshot
    /// time, and a row whose time is not after what the dimension already holds for its key
    /// (an unchanged row keeps its old time) makes any change it carries at the snapshot time.
    Snapshot,
}

/// The feed a dimension is merged from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    /// `schema.table`.
    pub table: String,
    /// The column naming the batch (logical day) a row arrived in.
    pub batch_column: String,
}

/// Tables the merge writes its own records to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bookkeeping {
    /// Merged batches: `(dimension text, batch_date date, fingerprint text, stats jsonb,
    /// merged_at timestamptz)`, primary key `(dimension, batch_date)`.
    pub batches: String,
    /// The erasure register, required when `erase_on_delete` is not empty.
    #[serde(default)]
    pub erasures: Option<ErasureLog>,
    /// Where feed rows that cannot be merged are quarantined. Without it they are only
    /// counted ([`MergeStats::rows_skipped`](crate::MergeStats::rows_skipped)).
    #[serde(default)]
    pub rejects: Option<RejectLog>,
}

/// The quarantine for feed rows without a natural key or an effective time, with the
/// reason codes `missing_<natural_key>` and `missing_<effective_time>`
/// ([`DimensionSpec::reject_reasons`]). The table has the
/// columns `(batch_date date, stage text, source_file text, source_line bigint, reason text,
/// detail text, row_json jsonb)` and, if `key_column` is given, that column for the key.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RejectLog {
    /// `schema.table`.
    pub table: String,
    /// The value of its `stage` column for these rows.
    pub stage: String,
    /// The value of its `source_file` column (the feed's landing file).
    pub source_file: String,
    /// The source table's column holding each row's line in the landing file.
    pub line_column: String,
    /// A column of the quarantine table that receives the row's key when it has one, so
    /// erasure of that key reaches the quarantined row too.
    #[serde(default)]
    pub key_column: Option<String>,
}

/// The permanent register of erased keys, consulted by every write of personal data.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErasureLog {
    /// `schema.table`.
    pub table: String,
    /// Its natural key column.
    pub key_column: String,
    /// The deletion time: values effective at or before it stay erased.
    pub time_column: String,
    /// The batch that carried the deletion.
    pub batch_column: String,
}

/// A table with personal data of a key, erased when the key is deleted.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErasePlace {
    /// `schema.table`.
    pub table: String,
    /// The column holding the natural key.
    pub key_column: String,
    /// Rows of batches up to the deletion's batch are erased; later ones belong to a new life.
    pub batch_column: String,
    /// The rows' effective time, if they have one: rows of the deletion's own batch are then
    /// erased only up to the deletion (later rows of that batch are a new life of the key,
    /// deleted and re-created within the batch). Without it the whole batch is erased.
    #[serde(default)]
    pub time_column: Option<String>,
    /// Columns set to NULL.
    #[serde(default)]
    pub null_columns: Vec<String>,
    /// A jsonb column whose fields named like `erase_on_delete` columns become JSON null.
    #[serde(default)]
    pub json_column: Option<String>,
    /// Text or bytea columns emptied (kept non-NULL), e.g. raw rejected lines.
    #[serde(default)]
    pub empty_columns: Vec<String>,
}

/// A table where personal values may have been copied without their key, so that only the
/// values themselves can find them: validation samples, error messages. When keys are
/// deleted, the values their erasure removes (from the versions and the `erase_in` places,
/// trimmed, compared without regard to case) are replaced by `[erased]` here, in the same
/// transaction.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CopyPlace {
    /// `schema.table`.
    pub table: String,
    /// jsonb columns: every JSON string equal to an erased value becomes `"[erased]"` (the
    /// document keeps its shape).
    #[serde(default)]
    pub json_columns: Vec<String>,
    /// Text columns: every occurrence of an erased value of three characters or more (a
    /// shorter one would match inside unrelated words) becomes `[erased]`.
    #[serde(default)]
    pub text_columns: Vec<String>,
}

/// One clean-up step for an incoming value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Normalise {
    /// Strip leading and trailing whitespace.
    Trim,
    /// An empty string becomes NULL.
    EmptyNull,
    /// Lower-case.
    Lower,
    /// Upper-case.
    Upper,
}

/// Applies clean-up steps to one value.
pub fn normalise_value(value: Option<String>, steps: &[Normalise]) -> Option<String> {
    let mut v = value?;
    for step in steps {
        match step {
            Normalise::Trim => v = v.trim().to_owned(),
            Normalise::EmptyNull if v.is_empty() => return None,
            Normalise::EmptyNull => {}
            Normalise::Lower => v = v.to_lowercase(),
            Normalise::Upper => v = v.to_uppercase(),
        }
    }
    Some(v)
}
