//! The pure diff core: current versions + one batch of feed rows → [`MergePlan`].
//!
//! Values travel as text (`Option<String>`, the column's `::text` form), so the core needs
//! no knowledge of column types; the executor casts them back to the target's types.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::{DimensionSpec, Error, Result, spec::normalise_value};

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

impl MergePlan {
    /// Computes the actions of one batch.
    ///
    /// Rows are normalised first; of several rows of one key the latest `effective` wins
    /// (the executor first splits a batch into [`rounds`], so that each distinct time of a key
    /// is applied in order and only identical rows are duplicates), and
    /// two latest rows that differ are an [`Error::AmbiguousDuplicate`]. A key deleted and
    /// re-created within the batch (a deletion row older than the latest, live row) gets two
    /// actions: its deletion first (closing and erasing the earlier life), then the new life.
    /// A row older than what the dimension already holds for its key (or as old, where it
    /// would need a new point in history) makes the batch [`Error::OutOfOrder`].
    pub fn diff(
        spec: &DimensionSpec,
        current: &CurrentState,
        incoming: Vec<SourceRow>,
    ) -> Result<Self> {
        let rows_in = incoming.len() as u64;
        let latest = latest_per_key(spec, incoming)?;
        let duplicates = rows_in - latest.len() as u64;
        let n2 = spec.type2.len();
        let erase = spec.erase_positions();
        let mut actions = Vec::with_capacity(latest.len());
        let mut stale = Vec::new();
        for (
            key,
            Latest {
                row,
                deleted_before,
            },
        ) in latest
        {
            let state = current.keys.get(&key);
            let erased_until = current.erased_until.get(&key);
            // A deletion earlier in the batch ends the life the latest row follows, unless
            // the dimension is already at or past the latest row (a re-plan of this batch,
            // or an out-of-order batch the latest row alone refuses).
            let deletion = deleted_before.filter(|_| match state {
                None => true,
                Some(KeyState::Live { valid_from, .. }) => *valid_from < row.effective,
                Some(KeyState::Deleted { at }) => *at < row.effective,
            });
            let state = match deletion {
                Some(at) => {
                    let gone = SourceRow {
                        key: key.clone(),
                        effective: at,
                        deleted: true,
                        values: row.values.clone(),
                    };
                    match decide(gone, state, erased_until, n2, &erase) {
                        Ok(action) => actions.push(action),
                        Err(old) => stale.push(old),
                    }
                    match state {
                        Some(KeyState::Live { .. }) => Some(KeyState::Deleted { at }),
                        other => other.cloned(),
                    }
                }
                None => state.cloned(),
            };
            match decide(row, state.as_ref(), erased_until, n2, &erase) {
                Ok(action) => actions.push(action),
                Err(old) => stale.push(old),
            }
        }
        if !stale.is_empty() {
            return Err(Error::out_of_order(&spec.name, stale));
        }
        Ok(Self {
            actions,
            rows_in,
            duplicates,
        })
    }

    /// Keys whose history the plan changes (anything but [`Action::NoOp`]).
    pub fn changes(&self) -> usize {
        self.actions
            .iter()
            .filter(|a| !matches!(a, Action::NoOp { .. }))
            .count()
    }
}

/// What one (normalised, latest) row does to its key in `state`; `Err` is the out-of-order
/// triple `(key, row time, the dimension's time for the key)`.
fn decide(
    mut row: SourceRow,
    state: Option<&KeyState>,
    erased_until: Option<&DateTime<Utc>>,
    n2: usize,
    erase: &[usize],
) -> std::result::Result<Action, (String, DateTime<Utc>, DateTime<Utc>)> {
    let key = row.key.clone();
    let t = row.effective;
    // Values effective at or before an erasure belong to an erased life.
    let erased = erased_until.is_some_and(|until| t <= *until);
    if erased {
        for &i in erase {
            row.values[i] = None;
        }
    }
    // A deletion without a version to close only erases; once done, it is a no-op.
    let forget = |key| {
        if erased {
            Action::NoOp { key }
        } else {
            Action::Forget { key, at: t }
        }
    };
    Ok(match state {
        None if row.deleted => forget(key),
        None => Action::NewKey(NewVersion::from_row(row, n2)),
        Some(KeyState::Deleted { at }) => {
            if t < *at || (t == *at && !row.deleted) {
                return Err((key, t, *at));
            } else if t == *at {
                Action::NoOp { key }
            } else if row.deleted {
                forget(key)
            } else {
                Action::Recreate(NewVersion::from_row(row, n2))
            }
        }
        Some(KeyState::Live {
            sk,
            valid_from,
            values,
        }) => {
            let type2_changed = values[..n2] != row.values[..n2];
            let needs_new_instant = row.deleted || type2_changed;
            if t < *valid_from || (t == *valid_from && needs_new_instant) {
                return Err((key, t, *valid_from));
            }
            if row.deleted {
                Action::Delete {
                    key,
                    close_sk: *sk,
                    at: t,
                }
            } else if type2_changed {
                Action::NewVersion {
                    close_sk: *sk,
                    version: NewVersion::from_row(row, n2),
                }
            } else if values[n2..] != row.values[n2..] {
                Action::Type1 {
                    key,
                    type1: row.values.split_off(n2),
                }
            } else {
                Action::NoOp { key }
            }
        }
    })
}

impl NewVersion {
    fn from_row(row: SourceRow, n2: usize) -> Self {
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

/// The latest row of a key in a batch, and the time of the latest deletion before it when
/// that row is live (the key was deleted and re-created within the batch).
struct Latest {
    row: SourceRow,
    deleted_before: Option<DateTime<Utc>>,
}

/// Normalises every row and keeps the latest one per key (with the deletion it follows).
fn latest_per_key(
    spec: &DimensionSpec,
    incoming: Vec<SourceRow>,
) -> Result<BTreeMap<String, Latest>> {
    let steps = spec.normalisers();
    let mut latest: BTreeMap<String, SourceRow> = BTreeMap::new();
    let mut deletions: BTreeMap<String, Vec<DateTime<Utc>>> = BTreeMap::new();
    for mut row in incoming {
        if row.values.len() != steps.len() {
            return Err(Error::Config(format!(
                "dimension {}: a row has {} values, the spec {} columns",
                spec.name,
                row.values.len(),
                steps.len()
            )));
        }
        for (v, s) in row.values.iter_mut().zip(&steps) {
            *v = normalise_value(v.take(), s);
        }
        if row.deleted {
            deletions
                .entry(row.key.clone())
                .or_default()
                .push(row.effective);
        }
        match latest.get(&row.key) {
            Some(kept) if kept.effective > row.effective => {}
            Some(kept) if kept.effective == row.effective => {
                if kept.deleted != row.deleted || kept.values != row.values {
                    return Err(Error::AmbiguousDuplicate {
                        dimension: spec.name.clone(),
                        key: row.key,
                        effective: row.effective,
                    });
                }
            }
            _ => {
                latest.insert(row.key.clone(), row);
            }
        }
    }
    Ok(latest
        .into_iter()
        .map(|(key, row)| {
            let deleted_before = if row.deleted {
                None
            } else {
                deletions
                    .get(&key)
                    .and_then(|ts| ts.iter().filter(|t| **t < row.effective).max().copied())
            };
            (
                key,
                Latest {
                    row,
                    deleted_before,
                },
            )
        })
        .collect())
}

/// Splits a batch into rounds that [`MergePlan::diff`] applies one after the other: round
/// `k` holds, for every key, its rows at the key's `k`-th distinct effective time. So each
/// distinct effective time of a key in one batch becomes its own point in history (a type-2
/// version, a deletion, a new life) in time order, instead of the latest row hiding the
/// earlier ones; rows at the same time stay together, where identical rows are duplicates
/// and different ones are [`Error::AmbiguousDuplicate`]. Keys and rows keep their order.
pub fn rounds(incoming: Vec<SourceRow>) -> Vec<Vec<SourceRow>> {
    let mut times: HashMap<String, Vec<DateTime<Utc>>> = HashMap::new();
    for row in &incoming {
        times
            .entry(row.key.clone())
            .or_default()
            .push(row.effective);
    }
    for t in times.values_mut() {
        t.sort_unstable();
        t.dedup();
    }
    let mut rounds: Vec<Vec<SourceRow>> = Vec::new();
    for row in incoming {
        let k = times
            .get(&row.key)
            .and_then(|t| t.binary_search(&row.effective).ok())
            .unwrap_or(0);
        if rounds.len() <= k {
            rounds.resize_with(k + 1, Vec::new);
        }
        rounds[k].push(row);
    }
    rounds
}

/// For a rebuild: the type-1 values of each live key as its latest feed row before the
/// rebuild day gave them (normalised, erased where the register says so).
pub(crate) fn restore_type1(
    spec: &DimensionSpec,
    current: &CurrentState,
    rows: Vec<SourceRow>,
) -> Vec<Action> {
    let steps = spec.normalisers();
    let erase = spec.erase_positions();
    let n2 = spec.type2.len();
    let mut actions = Vec::new();
    for mut row in rows {
        let Some(KeyState::Live {
            valid_from, values, ..
        }) = current.keys.get(&row.key)
        else {
            continue;
        };
        // A row before the current version belongs to an earlier life or state.
        if row.effective < *valid_from || row.values.len() != steps.len() {
            continue;
        }
        for (v, s) in row.values.iter_mut().zip(&steps) {
            *v = normalise_value(v.take(), s);
        }
        if current
            .erased_until
            .get(&row.key)
            .is_some_and(|until| row.effective <= *until)
        {
            for &i in &erase {
                row.values[i] = None;
            }
        }
        if values[n2..] != row.values[n2..] {
            actions.push(Action::Type1 {
                type1: row.values.split_off(n2),
                key: row.key,
            });
        }
    }
    actions
}
