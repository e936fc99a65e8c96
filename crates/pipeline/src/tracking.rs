//! Run tracking: every step is one row in `ops.task_runs`, opened before its body runs and
//! closed after it with the status, counts and error, whichever way the body ends.

use chrono::NaiveDate;
use retention_model::ops::{RowCounts, RunStatus, TaskRun};
use tokio_postgres::Client;

use crate::Error;

/// What a step's body produced: its counts and the details worth recording.
#[derive(Debug, Default, Clone)]
pub struct Outcome {
    /// Rows in, out and rejected.
    pub counts: RowCounts,
    /// Step-specific figures, stored in the run's `details` and shown in its summary.
    pub details: serde_json::Map<String, serde_json::Value>,
}

impl Outcome {
    /// Adds a detail.
    pub fn with(mut self, key: &str, value: impl serde::Serialize) -> Self {
        self.details.insert(
            key.to_owned(),
            serde_json::to_value(value).unwrap_or(serde_json::Value::Null),
        );
        self
    }
}

/// Runs `body` as one recorded step of `date` on the run log of `client`. The body gets the
/// same client (mutably, for a transaction of its own) and the run id. Returns the outcome
/// and the run id.
pub async fn tracked<F>(
    client: &mut Client,
    step: &str,
    date: Option<NaiveDate>,
    body: F,
) -> Result<(Outcome, i64), Error>
where
    F: AsyncFnOnce(&mut Client, i64) -> Result<Outcome, Error>,
{
    let run = TaskRun::start(&*client, step, date).await?;
    let run_id = run.run_id();
    let result = body(client, run_id).await;
    let (status, counts, error, details) = match &result {
        Ok(o) => (
            RunStatus::Ok,
            o.counts,
            None,
            Some(serde_json::Value::Object(o.details.clone())),
        ),
        Err(e) => (
            match e.root() {
                Error::QualityFailed(_) => RunStatus::QualityFailed,
                _ => RunStatus::Error,
            },
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
    result.map(|o| (o, run_id))
}
