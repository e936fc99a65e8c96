//! The pure core, applied by a small in-memory executor, against the reference.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use proptest::prelude::*;
use retention_scd::{
    Action, CurrentState, DimensionSpec, Error, KeyState, MergePlan, SourceRow, rounds,
};

use crate::model::{FeedRow, Version, check_history, day_start, feeds, user_spec};

/// The in-memory counterpart of the SQL statements, just enough to replay plans.
#[derive(Default)]
struct MemDim {
    versions: Vec<(i64, Version)>,
    erased_until: HashMap<String, DateTime<Utc>>,
}

impl MemDim {
    fn state(&self, keys: impl Iterator<Item = String>) -> CurrentState {
        let mut state = CurrentState::default();
        for key in keys {
            let latest = self
                .versions
                .iter()
                .filter(|(_, v)| v.key.to_string() == key)
                .max_by_key(|(_, v)| v.valid_from);
            if let Some((sk, v)) = latest {
                let s = if v.is_current {
                    KeyState::Live {
                        sk: *sk,
                        valid_from: v.valid_from,
                        values: v.values.clone(),
                    }
                } else {
                    assert!(v.is_deleted);
                    KeyState::Deleted {
                        at: v.valid_to.unwrap(),
                    }
                };
                state.keys.insert(key.clone(), s);
            }
            if let Some(t) = self.erased_until.get(&key) {
                state.erased_until.insert(key, *t);
            }
        }
        state
    }

    fn life_start(&self, key: i64) -> Option<DateTime<Utc>> {
        self.versions
            .iter()
            .filter(|(_, v)| v.key == key && v.is_deleted)
            .filter_map(|(_, v)| v.valid_to)
            .max()
    }

    fn rewrite_type1(&mut self, key: i64, n2: usize, type1: &[Option<String>]) {
        let start = self.life_start(key);
        for (_, v) in &mut self.versions {
            if v.key == key && start.is_none_or(|s| v.valid_from >= s) {
                v.values.truncate(n2);
                v.values.extend_from_slice(type1);
            }
        }
    }

    fn close(&mut self, sk: i64, at: DateTime<Utc>, deleted: bool) {
        let (_, v) = self.versions.iter_mut().find(|(s, _)| *s == sk).unwrap();
        v.valid_to = Some(at);
        v.is_current = false;
        v.is_deleted = deleted;
    }

    fn erase(&mut self, spec: &DimensionSpec, key: &str, at: DateTime<Utc>) {
        let t = self.erased_until.entry(key.to_owned()).or_insert(at);
        *t = (*t).max(at);
        for (_, v) in &mut self.versions {
            if v.key.to_string() == key && v.valid_from < at {
                for i in spec.erase_positions() {
                    v.values[i] = None;
                }
            }
        }
    }

    fn apply(&mut self, spec: &DimensionSpec, plan: &MergePlan) {
        let n2 = spec.type2.len();
        for a in &plan.actions {
            let insert = match a {
                Action::NewKey(v) | Action::Recreate(v) => Some(v),
                Action::NewVersion { close_sk, version } => {
                    self.close(*close_sk, version.valid_from, false);
                    let key = version.key.parse().unwrap();
                    self.rewrite_type1(key, n2, &version.values[n2..]);
                    Some(version)
                }
                Action::Type1 { key, type1 } => {
                    self.rewrite_type1(key.parse().unwrap(), n2, type1);
                    None
                }
                Action::Delete { key, close_sk, at } => {
                    self.close(*close_sk, *at, true);
                    self.erase(spec, key, *at);
                    None
                }
                Action::Forget { key, at } => {
                    self.erase(spec, key, *at);
                    None
                }
                Action::NoOp { .. } => None,
            };
            if let Some(v) = insert {
                let sk = self.versions.len() as i64 + 1;
                self.versions.push((
                    sk,
                    Version {
                        key: v.key.parse().unwrap(),
                        values: v.values.clone(),
                        valid_from: v.valid_from,
                        valid_to: None,
                        is_current: true,
                        is_deleted: false,
                    },
                ));
            }
        }
    }

    /// Merges a batch as the executor does: in rounds, one distinct time per key each.
    fn merge(&mut self, spec: &DimensionSpec, rows: &[FeedRow]) -> MergePlan {
        let incoming: Vec<SourceRow> = rows.iter().map(FeedRow::source_row).collect();
        let mut all = MergePlan::default();
        for round in rounds(incoming) {
            let state = self.state(round.iter().map(|r| r.key.clone()));
            let plan = MergePlan::diff(spec, &state, round).unwrap();
            self.apply(spec, &plan);
            all.rows_in += plan.rows_in;
            all.duplicates += plan.duplicates;
            all.actions.extend(plan.actions);
        }
        all
    }

    fn history(&self) -> Vec<Version> {
        self.versions.iter().map(|(_, v)| v.clone()).collect()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn core_history_matches_the_source_after_any_sequence_of_feeds(feeds in feeds(6, 4)) {
        let spec = user_spec();
        let mut dim = MemDim::default();
        for day in &feeds {
            dim.merge(&spec, day);
        }
        check_history(&spec, &feeds, &dim.history());
    }

    #[test]
    fn core_replanning_a_merged_batch_is_all_no_ops(feeds in feeds(4, 4)) {
        let spec = user_spec();
        let mut dim = MemDim::default();
        for day in &feeds {
            dim.merge(&spec, day);
        }
        // The last row of each key of the last batch again: what the dimension holds.
        let mut last: std::collections::BTreeMap<i64, FeedRow> = std::collections::BTreeMap::new();
        for r in feeds.last().unwrap() {
            last.insert(r.key, r.clone());
        }
        let again = dim.merge(&spec, &last.into_values().collect::<Vec<_>>());
        prop_assert_eq!(again.changes(), 0, "{:?}", again.actions);
    }
}

fn row(key: i64, minute: i64, deleted: bool, country: &str) -> SourceRow {
    SourceRow {
        key: key.to_string(),
        effective: day_start(0) + chrono::Duration::minutes(minute),
        deleted,
        values: [
            Some(country),
            Some("Berlin"),
            Some("web"),
            Some("free"),
            Some("ads"),
            Some("a@x.io"),
            Some("Ann"),
            None,
        ]
        .map(|v| v.map(str::to_owned))
        .to_vec(),
    }
}

#[test]
fn latest_row_of_a_key_in_a_batch_wins() {
    let spec = user_spec();
    let plan = MergePlan::diff(
        &spec,
        &CurrentState::default(),
        vec![
            row(1, 10, false, "DE"),
            row(1, 30, false, "IT"),
            row(1, 20, false, "FR"),
        ],
    )
    .unwrap();
    assert_eq!(plan.duplicates, 2);
    let [Action::NewKey(v)] = &plan.actions[..] else {
        panic!("{plan:?}")
    };
    assert_eq!(v.values[0].as_deref(), Some("IT"));
    assert_eq!(v.valid_from, day_start(0) + chrono::Duration::minutes(30));
}

#[test]
fn an_exact_tie_with_different_values_names_the_key() {
    let spec = user_spec();
    let err = MergePlan::diff(
        &spec,
        &CurrentState::default(),
        vec![row(7, 10, false, "DE"), row(7, 10, false, "FR")],
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::AmbiguousDuplicate { key, .. } if key == "7"),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "dimension dim_user: key 7 has two different rows effective at 2026-03-01 00:10:00 UTC in one batch; cannot tell which is latest"
    );
    // The same row twice is no ambiguity.
    let plan = MergePlan::diff(
        &spec,
        &CurrentState::default(),
        vec![row(7, 10, false, "DE"), row(7, 10, false, " de ")],
    )
    .unwrap();
    assert_eq!(plan.actions.len(), 1);
}

#[test]
fn rows_older_than_the_current_version_are_refused() {
    let spec = user_spec();
    let mut dim = MemDim::default();
    let mut d = vec![row(1, 100, false, "DE")];
    d[0].values[0] = Some("DE".into());
    let plan = MergePlan::diff(&spec, &CurrentState::default(), d).unwrap();
    dim.apply(&spec, &plan);
    let state = dim.state(["1".to_owned()].into_iter());
    let err = MergePlan::diff(&spec, &state, vec![row(1, 50, false, "FR")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "dimension dim_user: 1 row(s) are older than the versions already merged (key 1 at 2026-03-01 00:50:00 UTC but already 2026-03-01 01:40:00 UTC); merge batches in order or use --rebuild-from"
    );
    // At the same instant an identical row is a no-op, a different one a conflict.
    assert_eq!(
        MergePlan::diff(&spec, &state, vec![row(1, 100, false, "DE")])
            .unwrap()
            .changes(),
        0
    );
    assert!(MergePlan::diff(&spec, &state, vec![row(1, 100, false, "FR")]).is_err());
}

#[test]
fn a_value_reverting_makes_a_new_version_each_time() {
    let spec = user_spec();
    let mut dim = MemDim::default();
    for (m, c) in [(10, "DE"), (20, "FR"), (30, "DE")] {
        let rows = [row(1, m, false, c)];
        let state = dim.state(["1".to_owned()].into_iter());
        let plan = MergePlan::diff(&spec, &state, rows.to_vec()).unwrap();
        dim.apply(&spec, &plan);
    }
    let countries: Vec<_> = dim
        .history()
        .iter()
        .map(|v| v.values[0].clone().unwrap())
        .collect();
    assert_eq!(countries, ["DE", "FR", "DE"]);
}
