//! `rebuild`: recompute the facts, the weekly summary and the marts' state from staging in one
//! pass, for every day the transform has run.

use std::time::Instant;

use retention_model::transform;

use crate::{Outcome, Pipeline, Result, Summary, tracked};

impl Pipeline {
    /// Rebuilds every transformed day's facts, weekly summary and marts from staging
    /// ([`transform::rebuild`]).
    pub async fn rebuild(&self) -> Result<Summary> {
        let started = Instant::now();
        let mut client = self.connect().await?;
        let (outcome, run_id) = tracked(
            &mut client,
            transform::REBUILD_STEP,
            None,
            async |client, _run_id| {
                let stats = transform::rebuild(client).await?;
                tracing::info!(
                    "rebuild: {} batches, {} staged, {} facts (were {}), {} quarantined {:?}, {} weekly summary rows (were {}), {} ms",
                    stats.batches,
                    stats.rows_staged,
                    stats.facts,
                    stats.facts_before,
                    stats.rows_rejected(),
                    stats.rejected,
                    stats.weeks,
                    stats.weeks_before,
                    stats.duration_ms
                );
                Ok(Outcome {
                    counts: stats.counts(),
                    ..Outcome::default()
                }
                .with("batches", stats.batches)
                .with("rejected", &stats.rejected)
                .with("facts_before", stats.facts_before)
                .with("weeks", stats.weeks)
                .with("weeks_before", stats.weeks_before))
            },
        )
        .await?;
        let mut summary = Summary::ok(
            transform::REBUILD_STEP,
            None,
            outcome.counts,
            started.elapsed().as_millis() as u64,
        )
        .with("run_id", run_id);
        for key in [
            "batches",
            "rejected",
            "facts_before",
            "weeks",
            "weeks_before",
        ] {
            summary = summary.with(key, outcome.details.get(key));
        }
        Ok(summary)
    }
}
