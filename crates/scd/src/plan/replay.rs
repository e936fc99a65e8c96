//! Replaying history: a batch split into rounds, one per distinct time of a key, and the
//! type-1 values a rebuild restores.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{Action, CurrentState, KeyState, SourceRow};
use crate::{DimensionSpec, spec::normalise_value};

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
/// rebuild day gave them (normalised, erased where the register says so). In a snapshot
/// (`snapshot`) that row is the key's row in the latest batch, whatever its time: a
/// snapshot's rows keep the time the source last changed them, which may be before the
/// current version (taken at a later snapshot's time).
pub(crate) fn restore_type1(
    spec: &DimensionSpec,
    current: &CurrentState,
    rows: Vec<SourceRow>,
    snapshot: bool,
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
        if (!snapshot && row.effective < *valid_from) || row.values.len() != steps.len() {
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
