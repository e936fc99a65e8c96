//! The merge of one batch inside the caller's transaction: the feed's rows, the batch log
//! (a batch merged before is a no-op), the reject log, then the batch applied in rounds, each
//! planned by the pure diff and applied with set-based statements.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use sha2::{Digest, Sha256};
use tokio_postgres::{Row, Transaction, types::ToSql};

use super::{MergeStats, copy::copy_actions, earliest};
use crate::{
    Action, CurrentState, DimensionSpec, Error, FeedMode, KeyState, MergePlan, Result, SourceRow,
    Value,
    spec::table_ident,
    sql::{DimensionSql, JIT_OFF, JIT_RESTORE, PLACE_UNANALYSED},
};

/// A feed row from `source_rows` / `latest_before`; `None` when key or time is missing.
pub(super) fn source_row(r: &Row) -> Option<SourceRow> {
    row_from(r, 3)
}

/// A row of a snapshot batch (`source_rows_snapshot`) and whether it is the deletion of a
/// key absent from the snapshot; `None` when the key is missing.
fn snapshot_row(r: &Row) -> Option<(SourceRow, bool)> {
    Some((row_from(r, 4)?, r.get(3)))
}

/// Key, time and delete flag in the first three columns, the values from `first_value` on.
fn row_from(r: &Row, first_value: usize) -> Option<SourceRow> {
    let key: Option<String> = r.get(0);
    let effective: Option<DateTime<Utc>> = r.get(1);
    let values = (first_value..r.len())
        .map(|i| r.get::<_, Value>(i))
        .collect();
    Some(SourceRow {
        key: key?,
        effective: effective?,
        deleted: r.get(2),
        values,
    })
}

/// Rows fetched from the server at a time, and the size of the slices of keys a batch is
/// merged in: a snapshot of millions of keys is merged in slices of whole keys, so memory is
/// bounded by the slice, not the batch. A daily batch (thousands of rows) is one slice.
const SLICE_ROWS: usize = 50_000;

/// The merge of one batch inside the caller's transaction (which holds the lock).
///
/// Two passes over the batch's rows, each streamed from a portal: the first fingerprints
/// them (a batch merged before is a no-op, a changed one an error, before anything is
/// written); the second, in key order, merges them a slice of whole keys at a time. Keys
/// are independent, so slices give the history one pass over the whole batch would; new
/// versions get their surrogate keys in key order within each round of each slice (for a
/// batch of one slice, or with one row per key like a snapshot, exactly the key order).
pub(super) async fn merge_in(
    tx: &Transaction<'_>,
    spec: &DimensionSpec,
    sql: &DimensionSql,
    batch: NaiveDate,
) -> Result<MergeStats> {
    let merged: Option<String> = tx
        .query_opt(&sql.batch_merged, &[&spec.name, &batch])
        .await?
        .map(|r| r.get(0));
    let mut print = Fingerprint::new(spec, merged.as_deref().is_some_and(is_legacy));
    let mut rows_in = 0u64;
    let mut skipped = 0u64;
    let statement = tx.prepare(&sql.source_rows).await?;
    let portal = tx.bind(&statement, &[&batch]).await?;
    loop {
        let rows = tx.query_portal(&portal, SLICE_ROWS as i32).await?;
        rows_in += rows.len() as u64;
        for r in &rows {
            match source_row(r) {
                Some(row) => print.add(&row),
                None => skipped += 1,
            }
        }
        if rows.len() < SLICE_ROWS {
            break;
        }
    }
    let fingerprint = print.finish(skipped);
    let mut stats = MergeStats {
        dimension: spec.name.clone(),
        batch,
        rows_in,
        rows_skipped: skipped,
        ..MergeStats::default()
    };
    match merged {
        Some(f) if f == fingerprint => {
            stats.already_merged = true;
            return Ok(stats);
        }
        Some(_) => {
            return Err(Error::BatchChanged {
                dimension: spec.name.clone(),
                batch,
            });
        }
        None => {}
    }
    let snapshot = (spec.mode == FeedMode::Snapshot).then(|| snapshot_time(batch));
    if snapshot.is_some() && !spec.allow_empty_snapshot && rows_in == skipped {
        return Err(Error::EmptySnapshot {
            dimension: spec.name.clone(),
            batch,
        });
    }
    if let (Some((delete, insert)), Some(log)) = (&sql.rejects, &spec.bookkeeping.rejects) {
        let params: [&(dyn ToSql + Sync); 3] = [&batch, &log.stage, &log.source_file];
        tx.execute(delete, &params).await?;
        stats.rows_quarantined = tx.execute(insert, &params).await?;
        if stats.rows_quarantined != stats.rows_skipped {
            return Err(Error::Schema(format!(
                "dimension {}: batch {batch} has {} rows without key or time but {} were quarantined",
                spec.name, stats.rows_skipped, stats.rows_quarantined
            )));
        }
    }
    let statement = tx.prepare(&sql.source_rows_by_key).await?;
    let portal = match &snapshot {
        Some(taken) => tx.bind(&statement, &[&batch, taken]).await?,
        None => tx.bind(&statement, &[&batch]).await?,
    };
    let mut slice: Vec<SourceRow> = Vec::new();
    loop {
        let rows = tx.query_portal(&portal, SLICE_ROWS as i32).await?;
        let last_fetch = rows.len() < SLICE_ROWS;
        if snapshot.is_some() {
            for (row, absent) in rows.iter().filter_map(snapshot_row) {
                stats.absent += u64::from(absent);
                slice.push(row);
            }
        } else {
            slice.extend(rows.iter().filter_map(source_row));
        }
        drop(rows);
        if last_fetch {
            break;
        }
        if slice.len() >= SLICE_ROWS {
            // Keep the last key's rows for the next slice: its later rows may follow.
            let last = slice.last().map(|r| r.key.clone()).unwrap_or_default();
            let cut = slice
                .iter()
                .rposition(|r| r.key != last)
                .map_or(0, |i| i + 1);
            if cut > 0 {
                let rest = slice.split_off(cut);
                let whole = std::mem::replace(&mut slice, rest);
                merge_slice(tx, spec, sql, batch, snapshot, whole, &mut stats).await?;
            }
        }
    }
    if !slice.is_empty() {
        merge_slice(tx, spec, sql, batch, snapshot, slice, &mut stats).await?;
    }
    let json = serde_json::to_value(&stats).unwrap_or_default();
    tx.execute(
        &sql.batch_record,
        &[&spec.name, &batch, &fingerprint, &json],
    )
    .await?;
    Ok(stats)
}

/// The time of a full snapshot's batch: the start (UTC) of its day. Keys absent from it are
/// closed then, and its rows without a time (or not newer than the dimension) take effect then.
pub(super) fn snapshot_time(batch: NaiveDate) -> DateTime<Utc> {
    batch.and_time(chrono::NaiveTime::MIN).and_utc()
}

/// Merges the rows of a slice of whole keys. Each distinct time of a key is its own point
/// in history: the slice is applied in rounds, each seeing the dimension as the rounds
/// before it left it. `snapshot` is the time of a full snapshot's batch.
async fn merge_slice(
    tx: &Transaction<'_>,
    spec: &DimensionSpec,
    sql: &DimensionSql,
    batch: NaiveDate,
    snapshot: Option<DateTime<Utc>>,
    rows: Vec<SourceRow>,
    stats: &mut MergeStats,
) -> Result<()> {
    for round in crate::plan::rounds(rows) {
        apply_round(tx, spec, sql, batch, snapshot, round, stats).await?;
    }
    Ok(())
}

/// Plans and applies one round of a batch (at most one effective time per key), adding its
/// figures to `stats`.
async fn apply_round(
    tx: &Transaction<'_>,
    spec: &DimensionSpec,
    sql: &DimensionSql,
    batch: NaiveDate,
    snapshot: Option<DateTime<Utc>>,
    incoming: Vec<SourceRow>,
    stats: &mut MergeStats,
) -> Result<()> {
    let keys: Vec<String> = incoming
        .iter()
        .map(|r| r.key.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let current = load_state(tx, sql, &keys).await?;
    let plan = match snapshot {
        Some(taken) => MergePlan::diff_snapshot(spec, &current, incoming, taken)?,
        None => MergePlan::diff(spec, &current, incoming)?,
    };
    stats.duplicates += plan.duplicates;
    for a in &plan.actions {
        let counter = match a {
            Action::NewKey(_) => &mut stats.new_keys,
            Action::NewVersion { .. } => &mut stats.new_versions,
            Action::Recreate(_) => &mut stats.recreated,
            Action::Type1 { .. } => &mut stats.type1_updates,
            Action::Delete { .. } => &mut stats.deletions,
            Action::Forget { .. } => &mut stats.forgotten,
            Action::NoOp { .. } => &mut stats.noops,
        };
        *counter += 1;
        stats.earliest_change = earliest([stats.earliest_change, a.effective()]);
    }
    if plan.changes() > 0 {
        copy_actions(tx, spec, sql, &plan.actions).await?;
        stats.versions_closed += tx.execute(&sql.close, &[&batch]).await?;
        if let Some(type1) = &sql.type1 {
            stats.type1_rows += tx.execute(type1, &[&Some(batch)]).await?;
        }
        stats.versions_inserted += tx.execute(&sql.insert, &[&batch]).await?;
        // The erasure statements act only on the round's deletions: a round without any
        // skips them, since each one is planned over every partition of a place (at the end
        // of a default year, 16-20 ms apiece for 365 partitions of staging.users whatever it
        // finds: BENCHMARKS.md, issue 13).
        let erasing = plan
            .actions
            .iter()
            .any(|a| matches!(a, Action::Delete { .. } | Action::Forget { .. }));
        if let (true, Some(log), Some(versions)) = (erasing, &sql.erase_log, &sql.erase_versions) {
            tx.execute(log, &[&batch]).await?;
            // The erasures probe by key: JIT off while they run (sql/jit_off.sql says why).
            analyse_places(tx, spec).await?;
            let jit: String = tx.query_one(JIT_OFF, &[]).await?.get(0);
            // Copies kept without the key can only be found by value: gather the values
            // before they are erased.
            if let Some(copies) = &sql.erase_copies {
                tx.batch_execute(copies.values_table).await?;
                tx.execute(&copies.from_versions, &[]).await?;
                for gather in &copies.from_places {
                    tx.execute(gather, &[&batch]).await?;
                }
            }
            stats.erased_versions += tx.execute(versions, &[]).await?;
            for place in &sql.erase_places {
                stats.erased_elsewhere += tx.execute(place, &[&batch]).await?;
            }
            if let Some(copies) = &sql.erase_copies {
                for replace in &copies.replace {
                    stats.erased_copies += tx.execute(replace, &[]).await?;
                }
            }
            tx.execute(JIT_RESTORE, &[&jit]).await?;
        }
    }
    Ok(())
}

/// Analyses each table the erasures probe by key that has no statistics on its key column
/// (`sql/place_unanalysed.sql`), before the erasure plans its statements on it.
async fn analyse_places(tx: &Transaction<'_>, spec: &DimensionSpec) -> Result<()> {
    for place in &spec.erase_in {
        let table = table_ident(&place.table)?;
        let unanalysed: Option<bool> = tx
            .query_opt(PLACE_UNANALYSED, &[&table, &place.key_column])
            .await?
            .and_then(|row| row.get(0));
        if unanalysed == Some(true) {
            tx.batch_execute(&format!("ANALYZE {table}")).await?;
        }
    }
    Ok(())
}

/// The latest version of each key, and the erasure register's word on each.
pub(super) async fn load_state(
    tx: &Transaction<'_>,
    sql: &DimensionSql,
    keys: &[String],
) -> Result<CurrentState> {
    let mut state = CurrentState::default();
    for r in tx.query(&sql.current_state, &[&keys]).await? {
        let key: String = r.get(0);
        let (is_current, is_deleted): (bool, bool) = (r.get(4), r.get(5));
        let s = if is_current {
            KeyState::Live {
                sk: r.get(1),
                valid_from: r.get(2),
                values: (6..r.len()).map(|i| r.get::<_, Value>(i)).collect(),
            }
        } else if is_deleted {
            KeyState::Deleted { at: r.get(3) }
        } else {
            return Err(Error::Schema(format!(
                "key {key}: its latest version is closed but neither current nor deleted"
            )));
        };
        state.keys.insert(key, s);
    }
    if let Some(erasures) = &sql.erasures {
        for r in tx.query(erasures, &[&keys]).await? {
            state.erased_until.insert(r.get(0), r.get(1));
        }
    }
    Ok(state)
}

/// The prefix of a fingerprint made by [`Fingerprint`]'s order-free sum; one without it was
/// written by an earlier version, which sorted the rows (see [`Fingerprint::new`]).
const FINGERPRINT_V2: &str = "v2:";

fn is_legacy(stored: &str) -> bool {
    !stored.starts_with(FINGERPRINT_V2)
}

/// A fingerprint of a batch's mergeable rows, leaving out the columns erased on deletion
/// (erasure rewrites them in the feed; that is not a change of the batch): it tells a
/// re-delivered batch (a no-op) from a changed one (an error).
///
/// Each row's canonical JSON is hashed with SHA-256 and the digests are added as four
/// 64-bit lanes, so the rows can be streamed in any order and never held; the row count and
/// the count of rows without key or time are hashed in. A batch recorded by an earlier
/// version has a fingerprint over the sorted rows (`legacy`): to compare with it, that one
/// is computed instead, which holds the rows' canonical text in memory.
struct Fingerprint {
    erase: Vec<usize>,
    legacy: Option<Vec<String>>,
    lanes: [u64; 4],
    rows: u64,
}

impl Fingerprint {
    fn new(spec: &DimensionSpec, legacy: bool) -> Self {
        Self {
            erase: spec.erase_positions(),
            legacy: legacy.then(Vec::new),
            lanes: [0; 4],
            rows: 0,
        }
    }

    fn add(&mut self, r: &SourceRow) {
        let values: Vec<&Value> = r
            .values
            .iter()
            .enumerate()
            .filter(|(i, _)| !self.erase.contains(i))
            .map(|(_, v)| v)
            .collect();
        let canon = serde_json::json!([r.key, r.effective, r.deleted, values]).to_string();
        self.rows += 1;
        match &mut self.legacy {
            Some(all) => all.push(canon),
            None => {
                let digest = Sha256::digest(canon.as_bytes());
                for (lane, bytes) in self.lanes.iter_mut().zip(digest.chunks_exact(8)) {
                    let mut b = [0u8; 8];
                    b.copy_from_slice(bytes);
                    *lane = lane.wrapping_add(u64::from_be_bytes(b));
                }
            }
        }
    }

    fn finish(self, skipped: u64) -> String {
        let mut h = Sha256::new();
        h.update(skipped.to_be_bytes());
        match self.legacy {
            Some(mut canon) => {
                canon.sort_unstable();
                for c in &canon {
                    h.update(c.as_bytes());
                    h.update(b"\n");
                }
                hex::encode(h.finalize())
            }
            None => {
                h.update(self.rows.to_be_bytes());
                for lane in self.lanes {
                    h.update(lane.to_be_bytes());
                }
                format!("{FINGERPRINT_V2}{}", hex::encode(h.finalize()))
            }
        }
    }
}
