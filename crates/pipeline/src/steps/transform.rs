//! `transform`: conform a day's events into facts, recompute the weekly summary, refresh the
//! marts for what the batch touched, and record table statistics.

use std::time::Instant;

use chrono::NaiveDate;
use retention_model::transform;

use crate::{Outcome, Pipeline, Result, Summary, tracked};

impl Pipeline {
    /// Transforms day `date`.
    pub async fn transform(&self, date: NaiveDate) -> Result<Summary> {
        let started = Instant::now();
        let mut client = self.connect().await?;
        let (outcome, run_id) = tracked(
            &mut client,
            transform::STEP,
            Some(date),
            async |client, run_id| {
                let (stats, tables) =
                    transform::run_day_measured(client, date, Some(run_id)).await?;
                if stats.rows_staged == 0 {
                    tracing::warn!(
                        "transform {date}: no staged events for this day (was it loaded?)"
                    );
                }
                tracing::info!(
                    "transform {date}: {} staged, {} facts, {} quarantined {:?}, {} weeks recomputed, {tables} tables measured",
                    stats.rows_staged,
                    stats.facts_inserted,
                    stats.rows_rejected(),
                    stats.rejected,
                    stats.weeks_recomputed
                );
                Ok(Outcome {
                    counts: stats.counts(),
                    ..Outcome::default()
                }
                .with("rejected", &stats.rejected)
                .with("facts_replaced", stats.facts_replaced)
                .with("weeks_recomputed", stats.weeks_recomputed)
                .with("marts_ms", stats.marts_ms)
                .with("tables_measured", tables))
            },
        )
        .await?;
        let mut summary = Summary::ok(
            transform::STEP,
            Some(date),
            outcome.counts,
            started.elapsed().as_millis() as u64,
        )
        .with("run_id", run_id);
        for key in ["rejected", "facts_replaced", "weeks_recomputed", "marts_ms"] {
            summary = summary.with(key, outcome.details.get(key));
        }
        Ok(summary)
    }
}
