//! The PostgreSQL executor: reads a batch and the state of its keys, runs the pure diff, and
//! applies the plan with set-based statements, all in one transaction under an advisory
//! lock per dimension.
//!
//! This module holds the two entry points, [`merge_batch`] and [`rebuild_from`], and what
//! they do around a merge (the lock, the surrogate keys, the statistics); `stats` is what
//! they report, `merge` merges one batch inside their transaction, and `copy` sends a plan's
//! actions to the server.

mod copy;
mod merge;
mod stats;

use chrono::{DateTime, NaiveDate, Utc};
use retention_pgsql::advisory_lock_key;
use tokio_postgres::{Client, Transaction};

pub use self::stats::{MergeStats, RebuildStats};
use self::{
    copy::copy_actions,
    merge::{load_state, merge_in, source_row},
};
use crate::{
    DimensionSpec, Error, FeedMode, Result, SourceRow,
    plan::restore_type1,
    spec::{column_ident, table_ident},
    sql::{ANALYZE_NEEDED, DimensionSql},
};

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
    let snapshot = spec.mode == FeedMode::Snapshot;
    // Read before the merged batches are forgotten: a snapshot's replay includes the empty
    // batches it merged.
    let batches: Vec<NaiveDate> = if snapshot {
        tx.query(&sql.rebuild_batches, &[&from, &through, &spec.name])
            .await?
    } else {
        tx.query(&sql.rebuild_batches, &[&from, &through]).await?
    }
    .iter()
    .map(|r| r.get(0))
    .collect();
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
        let actions = restore_type1(spec, &current, rows, snapshot);
        stats.type1_restored = actions.len() as u64;
        copy_actions(&tx, spec, &sql, &actions).await?;
        tx.execute(type1, &[&None::<NaiveDate>]).await?;
    }
    tx.execute(&sql.rebuild_forget, &[&spec.name, &from])
        .await?;
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
