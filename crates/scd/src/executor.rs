//! The PostgreSQL executor: reads a batch and the state of its keys, runs the pure diff, and
//! applies the plan with set-based statements, all in one transaction under an advisory
//! lock per dimension.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use retention_pgsql::advisory_lock_key;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio_postgres::{
    Client, Row, Transaction,
    binary_copy::BinaryCopyInWriter,
    types::{ToSql, Type},
};

use crate::{
    Action, CurrentState, DimensionSpec, Error, KeyState, MergePlan, Result, SourceRow, Value,
    plan::restore_type1,
    spec::{column_ident, table_ident},
    sql::{ANALYZE_NEEDED, DimensionSql},
};

/// What one merge did. `rows_out` ([`MergeStats::rows_out`]) counts dimension rows written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MergeStats {
    /// The dimension.
    pub dimension: String,
    /// The batch.
    pub batch: NaiveDate,
    /// The batch had been merged before with the same rows: nothing was done.
    pub already_merged: bool,
    /// Feed rows in the batch.
    pub rows_in: u64,
    /// Feed rows without natural key or effective time (not mergeable).
    pub rows_skipped: u64,
    /// Of those, rows written to the reject log (all of them when one is configured): the
    /// feed's rows are then all merged or quarantined, `rows_in = mergeable + quarantined`.
    pub rows_quarantined: u64,
    /// Rows identical to another row of the same key and time in the batch.
    pub duplicates: u64,
    /// Keys seen for the first time.
    pub new_keys: u64,
    /// Keys with a type-2 change.
    pub new_versions: u64,
    /// Deleted keys that came back (a new life).
    pub recreated: u64,
    /// Keys whose only change was to type-1 values.
    pub type1_updates: u64,
    /// Keys deleted (current version closed).
    pub deletions: u64,
    /// Deletions of keys without a current version (only erased).
    pub forgotten: u64,
    /// Keys without change.
    pub noops: u64,
    /// Versions inserted.
    pub versions_inserted: u64,
    /// Versions closed.
    pub versions_closed: u64,
    /// Version rows whose type-1 values were rewritten.
    pub type1_rows: u64,
    /// Version rows whose personal data was erased.
    pub erased_versions: u64,
    /// Rows erased in the other places (`erase_in`).
    pub erased_elsewhere: u64,
    /// Column values where copies of erased values were replaced (`erase_copies_in`).
    pub erased_copies: u64,
    /// The earliest instant from which this merge changed history.
    pub earliest_change: Option<DateTime<Utc>>,
}

impl MergeStats {
    /// Dimension rows written (inserted, closed, or rewritten).
    pub fn rows_out(&self) -> u64 {
        self.versions_inserted + self.versions_closed + self.type1_rows + self.erased_versions
    }
}

/// What a rebuild did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RebuildStats {
    /// The dimension.
    pub dimension: String,
    /// History from this day on was removed and replayed.
    pub from: NaiveDate,
    /// The last batch replayed.
    pub through: NaiveDate,
    /// Versions created by the removed batches.
    pub versions_removed: u64,
    /// Versions closed by the removed batches, open again before the replay.
    pub versions_reopened: u64,
    /// Keys whose type-1 values were restored to the day before `from`.
    pub type1_restored: u64,
    /// The replayed batches, in order.
    pub replayed: Vec<MergeStats>,
    /// The earliest instant whose history changed (removed, reopened or replayed): facts
    /// looked up by point in time at or after it must be re-keyed.
    pub changed_since: Option<DateTime<Utc>>,
}

/// Merges batch `batch` of the dimension's feed, in one transaction.
///
/// A batch merged before with the same rows is a no-op (`already_merged`); with different
/// rows it is [`Error::BatchChanged`]. Rows older than the history already held are
/// [`Error::OutOfOrder`], and nothing is written.
pub async fn merge_batch(
    client: &mut Client,
    spec: &DimensionSpec,
    batch: NaiveDate,
) -> Result<MergeStats> {
    let tx = client.transaction().await?;
    let sql = DimensionSql::prepare(&tx, spec).await?;
    lock(&tx, spec, &sql).await?;
    restart_surrogate_keys(&tx, spec).await?;
    let stats = merge_in(&tx, spec, &sql, batch).await?;
    tx.commit().await?;
    refresh_statistics(client, spec, stats.rows_out()).await?;
    Ok(stats)
}

/// Analyses the dimension when the merge wrote enough of it to make the planner's statistics
/// wrong (`sql/analyze_needed.sql`): without them, a dimension bootstrapped with millions
/// of versions is planned as if each key had thousands, and every later merge and point-in-
/// time lookup pays for it.
async fn refresh_statistics(client: &Client, spec: &DimensionSpec, written: u64) -> Result<()> {
    let target = table_ident(&spec.target)?;
    let written = i64::try_from(written).unwrap_or(i64::MAX);
    let needed: Option<bool> = client
        .query_opt(ANALYZE_NEEDED, &[&written, &target])
        .await?
        .and_then(|row| row.get(0));
    if needed == Some(true) {
        client.batch_execute(&format!("ANALYZE {target}")).await?;
    }
    Ok(())
}

/// Makes new surrogate keys follow the highest one the dimension holds. Sequences are not
/// transactional: a merge that inserted versions and was then rolled back (its process
/// killed, its connection or the server gone) has used up keys, and the re-run would key the
/// same versions differently from an uninterrupted merge. Under the dimension's lock nobody
/// else inserts. A surrogate key without a sequence is left alone.
async fn restart_surrogate_keys(tx: &Transaction<'_>, spec: &DimensionSpec) -> Result<()> {
    let target = table_ident(&spec.target)?;
    let sk = column_ident(&spec.surrogate_key)?;
    tx.execute(
        &format!(
            "SELECT setval(seq, coalesce((SELECT max({sk}) FROM {target}), 0) + 1, false) \
             FROM pg_get_serial_sequence($1, $2) AS seq WHERE seq IS NOT NULL"
        ),
        &[&target, &spec.surrogate_key],
    )
    .await?;
    Ok(())
}

/// Removes the dimension's history written by batches `from` and later, then replays the
/// stored feed batches `from..=through` in order, in one transaction.
///
/// Versions created from `from` on are deleted, versions closed from then on reopen, and
/// type-1 values go back to the latest feed row before `from`. Erasures are permanent:
/// the register keeps them and the replay consults it.
pub async fn rebuild_from(
    client: &mut Client,
    spec: &DimensionSpec,
    from: NaiveDate,
    through: NaiveDate,
) -> Result<RebuildStats> {
    if from > through {
        return Err(Error::RebuildRange { from, through });
    }
    let tx = client.transaction().await?;
    let sql = DimensionSql::prepare(&tx, spec).await?;
    lock(&tx, spec, &sql).await?;
    let keys: Vec<String> = tx
        .query(&sql.rebuild_keys, &[&from])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let removed = tx.query_one(&sql.rebuild_delete, &[&from]).await?;
    let reopened = tx.query_one(&sql.rebuild_reopen, &[&from]).await?;
    tx.execute(&sql.rebuild_audit, &[&from]).await?;
    let mut stats = RebuildStats {
        dimension: spec.name.clone(),
        from,
        through,
        versions_removed: removed.get::<_, i64>(0) as u64,
        versions_reopened: reopened.get::<_, i64>(0) as u64,
        changed_since: earliest([removed.get(1), reopened.get(1)]),
        ..RebuildStats::default()
    };
    if let (false, Some(type1)) = (keys.is_empty(), &sql.type1) {
        let current = load_state(&tx, &sql, &keys).await?;
        let rows: Vec<SourceRow> = tx
            .query(&sql.latest_before, &[&from, &keys])
            .await?
            .iter()
            .filter_map(source_row)
            .collect();
        let actions = restore_type1(spec, &current, rows);
        stats.type1_restored = actions.len() as u64;
        copy_actions(&tx, spec, &sql, &actions).await?;
        tx.execute(type1, &[&None::<NaiveDate>]).await?;
    }
    tx.execute(&sql.rebuild_forget, &[&spec.name, &from])
        .await?;
    let batches: Vec<NaiveDate> = tx
        .query(&sql.rebuild_batches, &[&from, &through])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    for batch in batches {
        let merged = merge_in(&tx, spec, &sql, batch).await?;
        stats.changed_since = earliest([stats.changed_since, merged.earliest_change]);
        stats.replayed.push(merged);
    }
    tx.commit().await?;
    let written = stats.replayed.iter().map(MergeStats::rows_out).sum();
    refresh_statistics(client, spec, written).await?;
    Ok(stats)
}

fn earliest(times: impl IntoIterator<Item = Option<DateTime<Utc>>>) -> Option<DateTime<Utc>> {
    times.into_iter().flatten().min()
}

/// Takes the dimension's transaction-scoped advisory lock: one merge or rebuild of a target
/// table at a time. The key is `["retention-scd", target]` (as the specification writes the
/// target), the one every version of the crate has used.
async fn lock(tx: &Transaction<'_>, spec: &DimensionSpec, sql: &DimensionSql) -> Result<()> {
    let key = advisory_lock_key(&["retention-scd", &spec.target]);
    tx.execute(sql.lock, &[&key]).await?;
    Ok(())
}

/// A feed row from `source_rows` / `latest_before`; `None` when key or time is missing.
fn source_row(r: &Row) -> Option<SourceRow> {
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
async fn merge_in(
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
async fn load_state(
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

/// Sends the actions that change something into `pg_temp.scd_actions` by binary COPY.
async fn copy_actions(
    tx: &Transaction<'_>,
    spec: &DimensionSpec,
    sql: &DimensionSql,
    actions: &[Action],
) -> Result<()> {
    tx.batch_execute(&sql.actions_table).await?;
    let n = spec.type2.len() + spec.type1.len();
    let mut types = vec![
        Type::TEXT,
        Type::TEXT,
        Type::INT8,
        Type::TIMESTAMPTZ,
        Type::BYTEA,
    ];
    types.extend(std::iter::repeat_n(Type::TEXT, n));
    let sink = tx.copy_in(&sql.actions_copy).await?;
    let writer = BinaryCopyInWriter::new(sink, &types);
    let mut writer = std::pin::pin!(writer);
    let nulls: Vec<Value> = vec![None; n];
    for a in actions {
        let (name, sk, effective, hash, values): (
            &str,
            Option<i64>,
            _,
            Option<&[u8]>,
            Vec<&Value>,
        ) = match a {
            Action::NewKey(v) | Action::Recreate(v) | Action::NewVersion { version: v, .. } => {
                let (name, sk) = match a {
                    Action::NewKey(_) => ("new_key", None),
                    Action::Recreate(_) => ("recreate", None),
                    Action::NewVersion { close_sk, .. } => ("new_version", Some(*close_sk)),
                    _ => unreachable!("matched above"),
                };
                (
                    name,
                    sk,
                    Some(v.valid_from),
                    Some(&v.row_hash[..]),
                    v.values.iter().collect(),
                )
            }
            Action::Type1 { type1, .. } => {
                let values = nulls[type1.len()..].iter().chain(type1).collect();
                ("type1", None, None, None, values)
            }
            Action::Delete { close_sk, at, .. } => (
                "delete",
                Some(*close_sk),
                Some(*at),
                None,
                nulls.iter().collect(),
            ),
            Action::Forget { at, .. } => ("forget", None, Some(*at), None, nulls.iter().collect()),
            Action::NoOp { .. } => continue,
        };
        let key = a.key();
        let mut row: Vec<&(dyn ToSql + Sync)> = vec![&name, &key, &sk, &effective, &hash];
        row.extend(values.iter().map(|v| *v as &(dyn ToSql + Sync)));
        writer.as_mut().write(&row).await?;
    }
    writer.finish().await?;
    tx.batch_execute("ANALYZE pg_temp.scd_actions").await?;
    Ok(())
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
