//! The pure diff core: current versions + one batch of feed rows → [`MergePlan`].
//!
//! Values travel as text (`Option<String>`, the column's `::text` form), so the core needs
//! no knowledge of column types; the executor casts them back to the target's types.
//!
//! This module holds the plan's types; `diff` computes the plan of one batch, and `replay`
//! orders a batch into rounds and restores type-1 values for a rebuild.

mod diff;
mod replay;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

pub(crate) use self::replay::restore_type1;
pub use self::replay::rounds;

/// A column value in its text form; `None` is SQL NULL.
pub type Value = Option<String>;

/// One feed row, its values in [`DimensionSpec::columns`] order (type 2, then type 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRow {
    /// The natural key, as text.
    pub key: String,
    /// When the change took effect (the new version's `valid_from`, or the deletion time).
    pub effective: DateTime<Utc>,
    /// The feed says the key was deleted.
    pub deleted: bool,
    /// Type-2 then type-1 values.
    pub values: Vec<Value>,
}

/// What the dimension knows about a key before the batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyState {
    /// The key has a current version.
    Live {
        /// Surrogate key of the current version.
        sk: i64,
        /// Its start.
        valid_from: DateTime<Utc>,
        /// Its type-2 then type-1 values (type 1 is the same in every version of the life).
        values: Vec<Value>,
    },
    /// The key's last version was closed by a deletion at `at`.
    Deleted {
        /// The deletion time.
        at: DateTime<Utc>,
    },
}

/// Everything the diff needs to know about the keys of a batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CurrentState {
    /// The state of each known key.
    pub keys: HashMap<String, KeyState>,
    /// The latest erasure time of each erased key: values effective at or before it are
    /// personal data of an erased life and are never written.
    pub erased_until: HashMap<String, DateTime<Utc>>,
}

/// The change a batch makes to one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// First version of a key never seen.
    NewKey(NewVersion),
    /// A type-2 change: close version `close_sk` at the new version's start.
    NewVersion {
        /// The current version to close.
        close_sk: i64,
        /// The version that replaces it (its type-1 values also rewrite the current life).
        version: NewVersion,
    },
    /// A deleted key comes back: first version of a new life.
    Recreate(NewVersion),
    /// Only type-1 values changed: rewrite them in every version of the current life.
    Type1 {
        /// The natural key.
        key: String,
        /// The new type-1 values (type-1 columns only).
        type1: Vec<Value>,
    },
    /// Close the current version at the deletion time, mark it deleted, erase the key.
    Delete {
        /// The natural key.
        key: String,
        /// The current version to close.
        close_sk: i64,
        /// The deletion time.
        at: DateTime<Utc>,
    },
    /// A deletion of a key with no current version: nothing to close, but its personal data
    /// (in the feed, in quarantine) is still erased.
    Forget {
        /// The natural key.
        key: String,
        /// The deletion time.
        at: DateTime<Utc>,
    },
    /// Nothing changed.
    NoOp {
        /// The natural key.
        key: String,
    },
}

/// A version to insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVersion {
    /// The natural key.
    pub key: String,
    /// `valid_from`.
    pub valid_from: DateTime<Utc>,
    /// Type-2 then type-1 values, normalised, erased where the erasure register says so.
    pub values: Vec<Value>,
    /// sha256 over the type-2 values.
    pub row_hash: [u8; 32],
}

/// The actions for one batch in key order: one per distinct key, two (the deletion, then
/// the new life) for a key deleted and re-created within the batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MergePlan {
    /// One action per key (two for a key deleted and re-created within the batch).
    pub actions: Vec<Action>,
    /// Feed rows read.
    pub rows_in: u64,
    /// Rows superseded by a later row of the same key in the batch.
    pub duplicates: u64,
}

impl Action {
    /// The natural key the action is about.
    pub fn key(&self) -> &str {
        match self {
            Action::NewKey(v) | Action::Recreate(v) | Action::NewVersion { version: v, .. } => {
                &v.key
            }
            Action::Type1 { key, .. }
            | Action::Delete { key, .. }
            | Action::Forget { key, .. }
            | Action::NoOp { key } => key,
        }
    }

    /// The instant from which the action changes the dimension's history, if it does.
    pub fn effective(&self) -> Option<DateTime<Utc>> {
        match self {
            Action::NewKey(v) | Action::Recreate(v) | Action::NewVersion { version: v, .. } => {
                Some(v.valid_from)
            }
            Action::Delete { at, .. } => Some(*at),
            Action::Type1 { .. } | Action::Forget { .. } | Action::NoOp { .. } => None,
        }
    }
}

impl NewVersion {
    pub(super) fn from_row(row: SourceRow, n2: usize) -> Self {
        Self {
            row_hash: row_hash(&row.values[..n2]),
            key: row.key,
            valid_from: row.effective,
            values: row.values,
        }
    }
}

/// sha256 over type-2 values; NULL and every string encode distinctly (tag + length).
pub fn row_hash(type2: &[Value]) -> [u8; 32] {
    let mut h = Sha256::new();
    for v in type2 {
        match v {
            None => h.update([0u8]),
            Some(s) => {
                h.update([1u8]);
                h.update((s.len() as u64).to_be_bytes());
                h.update(s.as_bytes());
            }
        }
    }
    h.finalize().into()
}
