//! `mode: snapshot` on random daily snapshots: the stored history equals the reference's for
//! the change feed the snapshots amount to (each key's row, and a deletion at the day's start
//! of each key that was live and is absent), re-merging every day changes nothing, and a
//! rebuild from any day gives the same history again.

use std::collections::BTreeMap;

use chrono::Duration;
use proptest::{prelude::*, test_runner::TestRunner};
use retention_scd::{FeedMode, Value, merge_batch, rebuild_from};
use retention_testing::TestDb;

use crate::{
    model::{FeedRow, check_history, day, day_start, user_spec, values},
    pg::{rows, stage_users, versions},
};

/// Up to five daily snapshots of up to four users (an empty one among them at times). A
/// row keeps its time while the user's values stay as they were the day before, as a
/// source's `updated_at` does; a changed row, or a user back after an absence, gets a time
/// within its day.
fn snapshots() -> impl Strategy<Value = Vec<Vec<FeedRow>>> {
    let day = prop::collection::btree_map(1..=4i64, values(), 0..=4);
    prop::collection::vec(day, 1..=5).prop_map(|days| {
        let mut before: BTreeMap<i64, FeedRow> = BTreeMap::new();
        let mut out = Vec::new();
        for (d, users) in days.into_iter().enumerate() {
            let mut rows = Vec::new();
            for (key, values) in users {
                let effective = match before.get(&key) {
                    Some(kept) if kept.values == values => kept.effective,
                    _ => day_start(d as u32) + Duration::minutes(60 + 7 * key),
                };
                rows.push(FeedRow {
                    key,
                    effective,
                    deleted: false,
                    values,
                });
            }
            before = rows.iter().map(|r| (r.key, r.clone())).collect();
            out.push(rows);
        }
        out
    })
}

/// The change feed the snapshots amount to, day by day in time order: a deletion at the
/// day's start for each key live the day before and absent, then each row that changes
/// something (a row as it was the day before changes nothing).
fn as_changes(snapshots: &[Vec<FeedRow>]) -> Vec<Vec<FeedRow>> {
    let mut live: BTreeMap<i64, Vec<Value>> = BTreeMap::new();
    let mut out = Vec::new();
    for (d, rows) in snapshots.iter().enumerate() {
        let mut day_rows = Vec::new();
        for (key, values) in &live {
            if !rows.iter().any(|r| r.key == *key) {
                day_rows.push(FeedRow {
                    key: *key,
                    effective: day_start(d as u32),
                    deleted: true,
                    values: values.clone(),
                });
            }
        }
        let mut changed: Vec<FeedRow> = rows
            .iter()
            .filter(|r| live.get(&r.key) != Some(&r.values))
            .cloned()
            .collect();
        changed.sort_by_key(|r| r.effective);
        day_rows.extend(changed);
        live = rows.iter().map(|r| (r.key, r.values.clone())).collect();
        out.push(day_rows);
    }
    out
}

#[test]
fn snapshot_history_matches_the_reference_and_survives_reruns_and_rebuilds() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut runner = TestRunner::new(ProptestConfig::with_cases(12));
    let strategy = (snapshots(), 0u32..5);
    runner
        .run(&strategy, |(snapshots, rebuild_day)| {
            rt.block_on(async {
                let mut spec = user_spec();
                spec.mode = FeedMode::Snapshot;
                spec.allow_empty_snapshot = true;
                let changes = as_changes(&snapshots);
                let db = TestDb::migrated().await;
                let mut c = db.client().await;
                for (d, feed) in snapshots.iter().enumerate() {
                    stage_users(&c, day(d as u32), feed).await;
                    merge_batch(&mut c, &spec, day(d as u32)).await.unwrap();
                }
                check_history(&spec, &changes, &versions(&c).await);

                let before = rows(&c).await;
                for d in 0..snapshots.len() {
                    let again = merge_batch(&mut c, &spec, day(d as u32)).await.unwrap();
                    prop_assert!(again.already_merged);
                }
                prop_assert_eq!(&rows(&c).await, &before);

                let last = snapshots.len() as u32 - 1;
                let from = rebuild_day.min(last);
                rebuild_from(&mut c, &spec, day(from), day(last))
                    .await
                    .unwrap();
                check_history(&spec, &changes, &versions(&c).await);
                Ok(())
            })
        })
        .unwrap();
}
