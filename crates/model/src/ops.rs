//! The run log and step locks: every step that touches the database records itself in
//! `ops.task_runs`, and takes an advisory lock for its (step, day) so that a second
//! concurrent run of the same step and day waits, then proceeds as a re-run.

use std::time::Instant;

use chrono::NaiveDate;
use serde::Serialize;
use tokio_postgres::GenericClient;

use crate::Result;

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Done.
    Ok,
    /// The quality gate failed (a critical expectation did not hold).
    QualityFailed,
    /// A runtime error stopped the step.
    Error,
    /// The process died before recording the end (set by [`mark_abandoned_runs`]).
    Abandoned,
}

impl RunStatus {
    /// The spelling stored in `ops.task_runs.status` and printed in the JSON line.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::QualityFailed => "quality_failed",
            Self::Error => "error",
            Self::Abandoned => "abandoned",
        }
    }
}

/// Row counts of a step: what came in, what it wrote, what it rejected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RowCounts {
    /// Rows read.
    pub rows_in: u64,
    /// Rows written.
    pub rows_out: u64,
    /// Rows rejected (quarantined or failed).
    pub rows_rejected: u64,
}

/// A run of one step, open in `ops.task_runs` until [`TaskRun::finish`].
#[derive(Debug)]
pub struct TaskRun {
    run_id: i64,
    started: Instant,
}

/// The machine's name for `ops.task_runs.host`: `HOSTNAME` when the shell exports it, else
/// the kernel's (`/proc/sys/kernel/hostname`, `/etc/hostname`), which is also what a Docker
/// container reports as its id. `None` when neither says.
pub fn host_name() -> Option<String> {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
}

impl TaskRun {
    /// Records the start of `step` for `batch_date` and returns the open run.
    ///
    /// First marks `abandoned` the runs whose process died without finishing them
    /// ([`mark_abandoned_runs`]). The new row and the session advisory lock on its run id
    /// are made in one statement, so no other session can see the row before the lock is
    /// held; the lock lasts until [`TaskRun::finish`] or the end of the connection, which is
    /// how a later sweep tells a live run from a dead one. Use a client whose session lasts
    /// the whole run.
    pub async fn start(
        client: &impl GenericClient,
        step: &str,
        batch_date: Option<NaiveDate>,
    ) -> Result<Self> {
        let abandoned = mark_abandoned_runs(client).await?;
        if abandoned > 0 {
            tracing::warn!(
                "marked {abandoned} run(s) abandoned in ops.task_runs: their process ended without recording its end"
            );
        }
        let host = host_name();
        let row = client
            .query_one(
                "WITH run AS (INSERT INTO ops.task_runs (step, batch_date, host, pid) VALUES ($1, $2, $3, $4) RETURNING run_id) \
                 SELECT run_id, pg_advisory_lock(ops.run_lock_class(), ops.run_lock_id(run_id))::text FROM run",
                // (`::text`: the driver has no Rust type for `void`, the lock's result.)
                &[&step, &batch_date, &host, &(std::process::id() as i32)],
            )
            .await?;
        Ok(Self {
            run_id: row.get(0),
            started: Instant::now(),
        })
    }

    /// The run's id in `ops.task_runs`.
    pub fn run_id(&self) -> i64 {
        self.run_id
    }

    /// Milliseconds since the run started.
    pub fn elapsed_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// Closes the run with its status, counts, optional error text and details.
    pub async fn finish(
        self,
        client: &impl GenericClient,
        status: RunStatus,
        counts: RowCounts,
        error: Option<&str>,
        details: Option<&serde_json::Value>,
    ) -> Result<()> {
        let to_i = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        client
            .execute(
                "UPDATE ops.task_runs SET finished_at = clock_timestamp(), duration_ms = $2, status = $3, \
                 rows_in = $4, rows_out = $5, rows_rejected = $6, error = $7, details = $8 WHERE run_id = $1",
                &[
                    &self.run_id,
                    &to_i(self.elapsed_ms()),
                    &status.as_str(),
                    &to_i(counts.rows_in),
                    &to_i(counts.rows_out),
                    &to_i(counts.rows_rejected),
                    &error,
                    &details,
                ],
            )
            .await?;
        client
            .execute(
                "SELECT pg_advisory_unlock(ops.run_lock_class(), ops.run_lock_id($1))",
                &[&self.run_id],
            )
            .await?;
        Ok(())
    }
}

/// Marks `abandoned` every `running` row of `ops.task_runs` whose run lock no session holds:
/// its process was killed, or its connection or the server went away, before it could record
/// its end. Returns how many. [`TaskRun::start`] calls it, so history heals at the next step.
pub async fn mark_abandoned_runs(client: &impl GenericClient) -> Result<u64> {
    let n: i32 = client
        .query_one("SELECT ops.mark_abandoned_runs()", &[])
        .await?
        .get(0);
    Ok(n.max(0) as u64)
}

/// A stable 64-bit advisory-lock key for `(namespace, day)`, derived by the project's one
/// lock-key function ([`retention_pgsql::advisory_lock_key`]).
pub fn advisory_key(namespace: &str, day: Option<NaiveDate>) -> i64 {
    match day {
        Some(day) => {
            retention_pgsql::advisory_lock_key(&["retention", namespace, &day.to_string()])
        }
        None => retention_pgsql::advisory_lock_key(&["retention", namespace]),
    }
}

/// Takes the transaction-scoped advisory lock of `(step, day)`: waits while another run of
/// the same step and day holds it; released at commit or rollback.
pub async fn lock_step_xact(
    client: &impl GenericClient,
    step: &str,
    day: Option<NaiveDate>,
) -> Result<()> {
    client
        .execute(
            "SELECT pg_advisory_xact_lock($1)",
            &[&advisory_key(step, day)],
        )
        .await?;
    Ok(())
}

/// Takes the session-scoped advisory lock of `(step, day)`; release it with
/// [`unlock_step`] (or by closing the connection).
pub async fn lock_step(
    client: &impl GenericClient,
    step: &str,
    day: Option<NaiveDate>,
) -> Result<()> {
    client
        .execute("SELECT pg_advisory_lock($1)", &[&advisory_key(step, day)])
        .await?;
    Ok(())
}

/// Releases the session-scoped lock taken by [`lock_step`].
pub async fn unlock_step(
    client: &impl GenericClient,
    step: &str,
    day: Option<NaiveDate>,
) -> Result<()> {
    client
        .execute("SELECT pg_advisory_unlock($1)", &[&advisory_key(step, day)])
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_name_is_known_without_hostname_in_the_environment() {
        // Processes started by Airflow or cron have no HOSTNAME; the kernel's name is used.
        let kernel = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
        let name = host_name().unwrap();
        assert!(!name.is_empty() && !name.contains('\n'));
        if std::env::var_os("HOSTNAME").is_none() {
            assert_eq!(name, kernel.trim());
        }
    }

    #[test]
    fn advisory_keys_differ_by_step_and_day() {
        let d1 = NaiveDate::from_ymd_opt(2026, 1, 1);
        let d2 = NaiveDate::from_ymd_opt(2026, 1, 2);
        assert_ne!(advisory_key("load", d1), advisory_key("load", d2));
        assert_ne!(advisory_key("load", d1), advisory_key("scd", d1));
        assert_eq!(advisory_key("load", d1), advisory_key("load", d1));
        // The value a running warehouse's other processes use: it must never drift.
        let jan1 = NaiveDate::from_ymd_opt(2026, 1, 1);
        assert_eq!(advisory_key("load", jan1), 2728490057334110576);
    }
}
