//! The transform step: conform a batch day's staged events into `dw.fact_user_events`,
//! quarantine what fails a rule, recompute the weekly summary of every (user, week) the day
//! touches, refresh the marts for what the batch changed, and record table statistics. The
//! marts are views (`0041_marts.sql`) over small `mart_state` tables (`0045_mart_state.sql`)
//! that `crates/model/sql/transform/marts.sql` updates in the same transaction for the days, weeks and
//! sessions the batch touched, so a mart read costs what the mart holds, not what the facts
//! hold, and is current as soon as the transaction commits.
//!
//! ```text
//! staging.events (batch D) ──► docs/conformance.md ──────┬─► quarantine.rejected_rows (stage 'transform')
//!                                                        └─► dw.fact_user_events (point-in-time user_sk/product_sk)
//!                                                              ├─► dw.fact_user_weekly_summary ─┐
//!                                                              └──────────────────────────────┴─► mart_state.* ──► marts.* (views)
//! ```
//!
//! Everything for day D runs in one transaction under the advisory lock of
//! `("transform", D)`; a re-run replaces exactly batch D's facts and transform rejects with
//! identical content, whatever days ran after it. The SQL is in `crates/model/sql/transform/day.sql`.
//!
//! ```no_run
//! # async fn demo(client: &mut tokio_postgres::Client) -> retention_model::Result<()> {
//! let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap_or_default();
//! let (stats, tables) = retention_model::transform::run_day_measured(client, day, None).await?;
//! println!("{} facts, {} rejected, {tables} tables measured", stats.facts_inserted, stats.rows_rejected());
//! # Ok(()) }
//! ```

use std::{collections::BTreeMap, time::Instant};

use chrono::NaiveDate;
use serde::Serialize;
use tokio_postgres::{Client, GenericClient, types::ToSql};

use crate::{
    Error, Result,
    ops::{RowCounts, lock_step_xact},
};

pub(crate) mod statements;

use statements::Statement;

/// The step's name in `ops.task_runs` and in its advisory lock.
pub const STEP: &str = "transform";

pub(crate) const DAY_SQL: &str = include_str!("../../sql/transform/day.sql");
pub(crate) const MARTS_SQL: &str = include_str!("../../sql/transform/marts.sql");
pub(crate) const RULES_SQL: &str = include_str!("../../sql/transform/rules.sql");
pub(crate) const KPIS_SQL: &str = include_str!("../../sql/transform/kpis.sql");
const TABLE_STATS_SQL: &str = include_str!("../../sql/transform/table_stats.sql");
pub(crate) const REBUILD_SQL: &str = include_str!("../../sql/transform/rebuild.sql");

/// The statements of `file` with its `-- @rules` marker replaced by the conformance rules
/// (`sql/transform/rules.sql`), which the day's transform and the rebuild share.
pub(crate) fn with_rules(file: &'static str) -> Vec<Statement> {
    statements::parse(file)
        .into_iter()
        .flat_map(|s| {
            if s.name == "rules" {
                statements::parse(RULES_SQL)
            } else {
                vec![s]
            }
        })
        .collect()
}

/// The name `retention rebuild` records itself under in `ops.task_runs`.
pub const REBUILD_STEP: &str = "rebuild";

/// The statements of `day.sql` that change the row count of a table only the transform
/// writes, and the sign of their row count: the net change `sql/transform/table_stats.sql`
/// carries those tables' counts by. A test checks that no other statement inserts into or
/// deletes from them.
const CARRIED: [(&str, &str, i64); 7] = [
    ("delete_facts", "dw.fact_user_events", -1),
    ("facts", "dw.fact_user_events", 1),
    ("delete_event_ids", "dw.fact_event_ids", -1),
    ("event_ids", "dw.fact_event_ids", 1),
    ("delete_summaries", "dw.fact_user_weekly_summary", -1),
    // An upsert: its count is the rows inserted and updated; the updated ones are counted
    // back out by summaries_kept.
    ("summaries", "dw.fact_user_weekly_summary", 1),
    ("summaries_kept", "dw.fact_user_weekly_summary", -1),
];

/// Small readable cuts of the marts, as (title, query) pairs whose columns are all text: what
/// `retention demo` prints.
pub fn kpi_queries() -> Vec<(&'static str, &'static str)> {
    statements::parse(KPIS_SQL)
        .into_iter()
        .map(|s| (s.name, s.sql))
        .collect()
}

/// What the transform of one day did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TransformStats {
    /// The batch day.
    pub date: Option<NaiveDate>,
    /// Staged event rows of the batch.
    pub rows_staged: u64,
    /// Rows inserted into `dw.fact_user_events`.
    pub facts_inserted: u64,
    /// Rows quarantined, by reason code.
    pub rejected: BTreeMap<String, u64>,
    /// Facts of this batch replaced (non-zero on a re-run).
    pub facts_replaced: u64,
    /// (user, week) rows of `dw.fact_user_weekly_summary` recomputed.
    pub weeks_recomputed: u64,
    /// Time spent refreshing the marts' state (part of `duration_ms`), in milliseconds.
    pub marts_ms: u64,
    /// Wall time of the transaction, in milliseconds.
    pub duration_ms: u64,
}

impl TransformStats {
    /// Rows quarantined in total.
    pub fn rows_rejected(&self) -> u64 {
        self.rejected.values().sum()
    }

    /// The counts `ops.task_runs` records: staged in, facts out, quarantined.
    pub fn counts(&self) -> RowCounts {
        RowCounts {
            rows_in: self.rows_staged,
            rows_out: self.facts_inserted,
            rows_rejected: self.rows_rejected(),
        }
    }
}

/// Transforms batch day `date` in one transaction (see the module docs); returns its figures.
pub async fn run_day(client: &mut Client, date: NaiveDate) -> Result<TransformStats> {
    Ok(transform_day(client, date, None).await?.0)
}

/// [`run_day`], then, in the same transaction, appends the table statistics of run `run_id`
/// to `ops.table_stats` (see [`record_table_stats`]); returns the figures and how many
/// tables were measured. The tables only the transform writes are not counted but carried
/// from their last exact count by the transaction's own inserts and deletes
/// (`sql/transform/table_stats.sql`), so the cost does not grow with the warehouse.
pub async fn run_day_measured(
    client: &mut Client,
    date: NaiveDate,
    run_id: Option<i64>,
) -> Result<(TransformStats, u64)> {
    transform_day(client, date, Some(run_id)).await
}

async fn transform_day(
    client: &mut Client,
    date: NaiveDate,
    measure: Option<Option<i64>>,
) -> Result<(TransformStats, u64)> {
    let started = Instant::now();
    let tx = client.transaction().await?;
    lock_step_xact(&tx, STEP, Some(date)).await?;
    let mut stats = TransformStats {
        date: Some(date),
        ..TransformStats::default()
    };
    let mut carried: BTreeMap<&str, i64> = BTreeMap::new();
    for Statement { name, sql, bound } in with_rules(DAY_SQL) {
        let params: &[&(dyn ToSql + Sync)] = if bound { &[&date] } else { &[] };
        if name == "counts" {
            let row = tx.query_one(sql, params).await?;
            stats.rows_staged = to_u64(row.get("staged"));
            stats.facts_inserted = to_u64(row.get("facts"));
            stats.weeks_recomputed = to_u64(row.get("weeks"));
            let rejected: serde_json::Value = row.get("rejected");
            if let serde_json::Value::Object(map) = rejected {
                for (reason, n) in map {
                    stats.rejected.insert(reason, n.as_u64().unwrap_or(0));
                }
            }
        } else if name == "later_batch_conflict" {
            if let Some(row) = tx.query_opt(sql, params).await? {
                return Err(Error::AcceptedLater {
                    date,
                    event_id: row.get("event_id"),
                    later: row.get("batch_date"),
                });
            }
        } else {
            let n = tx.execute(sql, params).await?;
            if name == "delete_facts" {
                stats.facts_replaced = n;
            }
            for (statement, table, sign) in CARRIED {
                if statement == name {
                    *carried.entry(table).or_default() += sign * i64::try_from(n).unwrap_or(0);
                }
            }
            tracing::debug!(statement = name, rows = n, "transform {date}");
        }
    }
    let marts_started = Instant::now();
    for Statement { name, sql, bound } in statements::parse(MARTS_SQL) {
        let params: &[&(dyn ToSql + Sync)] = if bound { &[&date] } else { &[] };
        let n = tx.execute(sql, params).await?;
        tracing::debug!(statement = name, rows = n, "marts {date}");
    }
    stats.marts_ms = marts_started.elapsed().as_millis() as u64;
    let mut measured = 0;
    if let Some(run_id) = measure {
        let tables: Vec<&str> = carried.keys().copied().collect();
        let deltas: Vec<i64> = carried.values().copied().collect();
        let row = tx
            .query_one(TABLE_STATS_SQL, &[&run_id, &Some(date), &tables, &deltas])
            .await?;
        measured = u64::try_from(row.get::<_, i32>(0)).unwrap_or(0);
    }
    tx.commit().await?;
    stats.duration_ms = started.elapsed().as_millis() as u64;
    Ok((stats, measured))
}

/// What [`rebuild`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RebuildStats {
    /// Batches recomputed: every day with a successful transform in `ops.task_runs`.
    pub batches: u64,
    /// Staged event rows of those batches.
    pub rows_staged: u64,
    /// Facts before the rebuild.
    pub facts_before: u64,
    /// Facts after it.
    pub facts: u64,
    /// Rows quarantined, by reason code.
    pub rejected: BTreeMap<String, u64>,
    /// Weekly summary rows before the rebuild.
    pub weeks_before: u64,
    /// Weekly summary rows after it.
    pub weeks: u64,
    /// Wall time of the transaction, in milliseconds.
    pub duration_ms: u64,
}

impl RebuildStats {
    /// Rows quarantined in total.
    pub fn rows_rejected(&self) -> u64 {
        self.rejected.values().sum()
    }

    /// The counts `ops.task_runs` records: staged in, facts out, quarantined.
    pub fn counts(&self) -> RowCounts {
        RowCounts {
            rows_in: self.rows_staged,
            rows_out: self.facts,
            rows_rejected: self.rows_rejected(),
        }
    }
}

/// Recomputes the facts, the event_id register, the transform's rejects of events, the weekly
/// summary and every `mart_state` table from staging in one pass, in one transaction
/// (`sql/transform/rebuild.sql`), for every batch the transform has run. After days
/// transformed in date order it leaves the warehouse as the incremental transform left it;
/// use it after changing a conformance rule, or to check that claim.
pub async fn rebuild(client: &mut Client) -> Result<RebuildStats> {
    let started = Instant::now();
    let tx = client.transaction().await?;
    let mut stats = RebuildStats::default();
    for Statement { name, sql, .. } in with_rules(REBUILD_SQL) {
        if name == "counts" {
            let row = tx.query_one(sql, &[]).await?;
            stats.batches = to_u64(row.get("batches"));
            stats.rows_staged = to_u64(row.get("staged"));
            stats.facts = to_u64(row.get("facts"));
            stats.weeks = to_u64(row.get("weeks"));
            stats.facts_before = to_u64(row.get("facts_before"));
            stats.weeks_before = to_u64(row.get("weeks_before"));
            let rejected: serde_json::Value = row.get("rejected");
            if let serde_json::Value::Object(map) = rejected {
                for (reason, n) in map {
                    stats.rejected.insert(reason, n.as_u64().unwrap_or(0));
                }
            }
        } else {
            let statement_started = Instant::now();
            let n = tx.execute(sql, &[]).await?;
            tracing::debug!(
                statement = name,
                rows = n,
                ms = statement_started.elapsed().as_millis() as u64,
                "rebuild"
            );
        }
    }
    tx.commit().await?;
    stats.duration_ms = started.elapsed().as_millis() as u64;
    Ok(stats)
}

/// Appends to `ops.table_stats` the row count of every `quarantine`, `dw` and `marts` table
/// with its change since the previous measurement, each table counted; returns how many
/// tables. A transform measures with [`run_day_measured`] instead, which does not count the
/// tables it alone writes.
pub async fn record_table_stats(
    client: &impl GenericClient,
    run_id: Option<i64>,
    date: Option<NaiveDate>,
) -> Result<u64> {
    let row = client
        .query_one("SELECT ops.record_table_stats($1, $2)", &[&run_id, &date])
        .await?;
    Ok(u64::try_from(row.get::<_, i32>(0)).unwrap_or(0))
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

#[cfg(test)]
mod marts_tests;
#[cfg(test)]
mod tests;
