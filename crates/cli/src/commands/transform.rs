//! `retention transform --date D`: conform a day's events into facts, recompute the weekly
//! summary, refresh the marts for what the batch touched, and record table statistics.

use std::time::Instant;

use chrono::NaiveDate;
use retention_model::{
    ops::{RowCounts, RunStatus, TaskRun},
    transform::{self, TransformStats},
};
use tokio_postgres::Client;

use super::Ctx;
use crate::{cli::DayArgs, error::CliError, report::Report};

pub async fn run(ctx: &Ctx, args: DayArgs) -> Result<Report, CliError> {
    let started = Instant::now();
    let mut client = ctx.connect().await?;
    let (stats, run_id) = run_day(&mut client, args.date).await?;
    Ok(Report::ok(
        transform::STEP,
        Some(args.date),
        stats.counts(),
        started.elapsed().as_millis() as u64,
    )
    .with("run_id", run_id)
    .with("rejected", &stats.rejected)
    .with("facts_replaced", stats.facts_replaced)
    .with("weeks_recomputed", stats.weeks_recomputed)
    .with("marts_ms", stats.marts_ms))
}

/// The step as `retention run` calls it too: the transform and the table statistics,
/// recorded in `ops.task_runs`. (Not `tracked`: the transform needs the client mutably for
/// its transaction while the run log holds it.)
pub async fn run_day(
    client: &mut Client,
    date: NaiveDate,
) -> Result<(TransformStats, i64), CliError> {
    let run = TaskRun::start(&*client, transform::STEP, Some(date)).await?;
    let run_id = run.run_id();
    let result = body(client, date, run_id).await;
    let (status, counts, error, details) = match &result {
        Ok((stats, tables)) => (
            RunStatus::Ok,
            stats.counts(),
            None,
            Some(serde_json::json!({
                "rejected": stats.rejected,
                "facts_replaced": stats.facts_replaced,
                "weeks_recomputed": stats.weeks_recomputed,
                "marts_ms": stats.marts_ms,
                "tables_measured": tables,
            })),
        ),
        Err(e) => (
            RunStatus::Error,
            RowCounts::default(),
            Some(e.to_string()),
            None,
        ),
    };
    if let Err(e) = run
        .finish(&*client, status, counts, error.as_deref(), details.as_ref())
        .await
    {
        tracing::warn!("could not record the end of run {run_id}: {e}");
    }
    result.map(|(stats, _)| (stats, run_id))
}

async fn body(
    client: &mut Client,
    date: NaiveDate,
    run_id: i64,
) -> Result<(TransformStats, u64), CliError> {
    let stats = transform::run_day(client, date).await?;
    let tables = transform::record_table_stats(&*client, Some(run_id), Some(date)).await?;
    if stats.rows_staged == 0 {
        tracing::warn!("transform {date}: no staged events for this day (was it loaded?)");
    }
    tracing::info!(
        "transform {date}: {} staged, {} facts, {} quarantined {:?}, {} weeks recomputed, {tables} tables measured",
        stats.rows_staged,
        stats.facts_inserted,
        stats.rows_rejected(),
        stats.rejected,
        stats.weeks_recomputed
    );
    Ok((stats, tables))
}
