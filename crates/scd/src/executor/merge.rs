//! The merge of one batch inside the caller's transaction: the feed's rows, the batch log
//! (a batch merged before is a no-op), the reject log, then the batch applied in rounds, each
//! planned by the pure diff and applied with set-based statements.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use sha2::{Digest, Sha256};
use tokio_postgres::{Row, Transaction, types::ToSql};

use super::{MergeStats, copy::copy_actions, earliest};
use crate::{
    Action, CurrentState, DimensionSpec, Error, KeyState, MergePlan, Result, SourceRow, Value,
    sql::DimensionSql,
};

/// A feed row from `source_rows` / `latest_before`; `None` when key or time is missing.
pub(super) fn source_row(r: &Row) -> Option<SourceRow> {
    let key: Option<String> = r.get(0);
    let effective: Option<DateTime<Utc>> = r.get(1);
    let values = (3..r.len()).map(|i| r.get::<_, Value>(i)).collect();
    Some(SourceRow {
        key: key?,
        effective: effective?,
        deleted: r.get(2),
        values,
    })
}

/// The merge of one batch inside the caller's transaction (which holds the lock).
pub(super) async fn merge_in(
    tx: &Transaction<'_>,
    spec: &DimensionSpec,
    sql: &DimensionSql,
    batch: NaiveDate,
) -> Result<MergeStats> {
    let rows = tx.query(&sql.source_rows, &[&batch]).await?;
    let mut stats = MergeStats {
        dimension: spec.name.clone(),
        batch,
        rows_in: rows.len() as u64,
        ..MergeStats::default()
    };
    let incoming: Vec<SourceRow> = rows.iter().filter_map(source_row).collect();
    stats.rows_skipped = stats.rows_in - incoming.len() as u64;
    let fingerprint = fingerprint(spec, &incoming, stats.rows_skipped);
    let merged: Option<String> = tx
        .query_opt(&sql.batch_merged, &[&spec.name, &batch])
        .await?
        .map(|r| r.get(0));
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
    // Each distinct time of a key is its own point in history: the batch is applied in
    // rounds, each seeing the dimension as the rounds before it left it.
    for round in crate::plan::rounds(incoming) {
        apply_round(tx, spec, sql, batch, round, &mut stats).await?;
    }
    let json = serde_json::to_value(&stats).unwrap_or_default();
    tx.execute(
        &sql.batch_record,
        &[&spec.name, &batch, &fingerprint, &json],
    )
    .await?;
    Ok(stats)
}

/// Plans and applies one round of a batch (at most one effective time per key), adding its
/// figures to `stats`.
async fn apply_round(
    tx: &Transaction<'_>,
    spec: &DimensionSpec,
    sql: &DimensionSql,
    batch: NaiveDate,
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
    let plan = MergePlan::diff(spec, &current, incoming)?;
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
        if let (Some(log), Some(versions)) = (&sql.erase_log, &sql.erase_versions) {
            tx.execute(log, &[&batch]).await?;
            // Copies kept without the key can only be found by value: gather the values
            // before they are erased.
            let copies = sql.erase_copies.as_ref().filter(|_| {
                plan.actions
                    .iter()
                    .any(|a| matches!(a, Action::Delete { .. } | Action::Forget { .. }))
            });
            if let Some(copies) = copies {
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
            if let Some(copies) = copies {
                for replace in &copies.replace {
                    stats.erased_copies += tx.execute(replace, &[]).await?;
                }
            }
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

/// sha256 over the batch's mergeable rows in a canonical order, leaving out the columns
/// erased on deletion (erasure rewrites them in the feed; that is not a change of the batch).
fn fingerprint(spec: &DimensionSpec, rows: &[SourceRow], skipped: u64) -> String {
    let erase = spec.erase_positions();
    let mut canon: Vec<String> = rows
        .iter()
        .map(|r| {
            let values: Vec<&Value> = r
                .values
                .iter()
                .enumerate()
                .filter(|(i, _)| !erase.contains(i))
                .map(|(_, v)| v)
                .collect();
            serde_json::json!([r.key, r.effective, r.deleted, values]).to_string()
        })
        .collect();
    canon.sort_unstable();
    let mut h = Sha256::new();
    h.update(skipped.to_be_bytes());
    for c in &canon {
        h.update(c.as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}
