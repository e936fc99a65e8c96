//! [`MergePlan::diff`]: the normalised, latest row of each key against what the dimension
//! holds, decided into one action (two for a key deleted and re-created within the batch).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{Action, CurrentState, KeyState, MergePlan, NewVersion, SourceRow};
use crate::{DimensionSpec, Error, Result, spec::normalise_value};

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
        Self::plan(spec, current, incoming, None)
    }

    /// Computes the actions of one batch of a full snapshot taken at `taken_at` (the batch
    /// day's start, [`FeedMode::Snapshot`](crate::FeedMode::Snapshot)), as [`diff`](Self::diff)
    /// does with one difference: a snapshot repeats every key each day with the time the
    /// source last changed it, so a row whose time is not after what the dimension holds for
    /// its key (its current version's start, or its deletion) is taken at `taken_at` when that
    /// is after it. An unchanged row is then a no-op, a changed one a new version at
    /// `taken_at`, a key that comes back a new life from `taken_at`, and a repeated deletion
    /// of a deleted key a no-op. Whether its personal values belong to an erased life is still
    /// decided by the row's own time. The keys absent from the snapshot come as deletion rows
    /// at `taken_at` (the executor finds them in SQL).
    pub fn diff_snapshot(
        spec: &DimensionSpec,
        current: &CurrentState,
        incoming: Vec<SourceRow>,
        taken_at: DateTime<Utc>,
    ) -> Result<Self> {
        Self::plan(spec, current, incoming, Some(taken_at))
    }

    fn plan(
        spec: &DimensionSpec,
        current: &CurrentState,
        incoming: Vec<SourceRow>,
        snapshot: Option<DateTime<Utc>>,
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
                    match decide(gone, state, erased_until, n2, &erase, snapshot) {
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
            match decide(row, state.as_ref(), erased_until, n2, &erase, snapshot) {
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
/// triple `(key, row time, the dimension's time for the key)`. `snapshot` is the time of a
/// full snapshot's batch ([`MergePlan::diff_snapshot`]).
fn decide(
    mut row: SourceRow,
    state: Option<&KeyState>,
    erased_until: Option<&DateTime<Utc>>,
    n2: usize,
    erase: &[usize],
    snapshot: Option<DateTime<Utc>>,
) -> std::result::Result<Action, (String, DateTime<Utc>, DateTime<Utc>)> {
    let key = row.key.clone();
    // Values effective at or before an erasure belong to an erased life.
    let erased = erased_until.is_some_and(|until| row.effective <= *until);
    if erased {
        for &i in erase {
            row.values[i] = None;
        }
    }
    if let Some(taken) = snapshot {
        let held = match state {
            Some(KeyState::Live { valid_from, .. }) => Some(*valid_from),
            Some(KeyState::Deleted { at }) => Some(*at),
            None => None,
        };
        if let Some(held) = held.filter(|held| row.effective <= *held) {
            if row.deleted && matches!(state, Some(KeyState::Deleted { .. })) {
                return Ok(Action::NoOp { key });
            }
            if taken > held {
                row.effective = taken;
            }
        }
    }
    let t = row.effective;
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
