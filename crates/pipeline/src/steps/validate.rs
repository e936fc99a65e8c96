//! `validate`: the quality gate on a day's staging batch. Runs the suites, stores one row per
//! expectation in `ops.validation_results`, optionally writes the GE-shaped result file, and
//! fails with [`Error::QualityFailed`] when a critical expectation does not hold.

use std::{path::PathBuf, time::Duration, time::Instant};

use chrono::NaiveDate;
use retention_model::ops::{RowCounts, lock_step};
use retention_quality::{
    Batch, Severity, Strategy, Suite, ValidationOptions, store_results, validate_with,
};

use crate::{Error, Outcome, Pipeline, Result, Summary, tracked};

/// Where results are stored (the quality crate takes any table of this shape).
const RESULTS_TABLE: &str = "ops.validation_results";

/// The default statement timeout of one suite query.
pub const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(300);

/// The project's default suites, built in for when no `config/retention.yaml` is found (the
/// binary run from another directory, or installed on its own), in the order a directory
/// of them loads.
const BUILT_IN_SUITES: [(&str, &str); 3] = [
    (
        "built-in staging_events.yaml",
        include_str!("../../../../config/expectations/staging_events.yaml"),
    ),
    (
        "built-in staging_products.yaml",
        include_str!("../../../../config/expectations/staging_products.yaml"),
    ),
    (
        "built-in staging_users.yaml",
        include_str!("../../../../config/expectations/staging_users.yaml"),
    ),
];

/// What to validate, and how.
#[derive(Debug, Clone)]
pub struct ValidateRequest {
    /// The day whose batch is checked.
    pub date: NaiveDate,
    /// Also write the Great-Expectations-shaped result JSON to this file.
    pub results_out: Option<PathBuf>,
    /// One scan per table, or one query per expectation.
    pub strategy: Strategy,
    /// Suite files to run instead of the configured ones (YAML or GE JSON).
    pub suites: Vec<PathBuf>,
    /// The longest one suite query may run; zero sets no limit.
    pub statement_timeout: Duration,
}

impl ValidateRequest {
    /// The configured suites on the day's batch, set-based, with the default timeout.
    pub fn day(date: NaiveDate) -> Self {
        Self {
            date,
            results_out: None,
            strategy: Strategy::SetBased,
            suites: Vec::new(),
            statement_timeout: DEFAULT_STATEMENT_TIMEOUT,
        }
    }
}

impl Pipeline {
    /// Runs the quality gate on the request's day.
    pub async fn validate(&self, req: &ValidateRequest) -> Result<Summary> {
        let started = Instant::now();
        let date = req.date;
        let suites = self.suites(&req.suites)?;
        let strategy = req.strategy;
        let options = ValidationOptions {
            strategy,
            statement_timeout: (!req.statement_timeout.is_zero()).then_some(req.statement_timeout),
            ..ValidationOptions::default()
        };
        let mut client = self.connect().await?;
        lock_step(&client, "validate", Some(date)).await?;
        let (outcome, run_id) = tracked(&mut client, "validate", Some(date), async |client, run_id| {
            let client = &*client;
            let report = validate_with(client, &suites, &Batch { date }, &options)
                .await
                .map_err(|e| match e {
                    retention_quality::Error::Db { .. }
                    | retention_quality::Error::StatementTimeout { .. } => {
                        Error::Runtime(e.to_string())
                    }
                    other => Error::Usage(other.to_string()),
                })?;
            let stored = store_results(client, RESULTS_TABLE, Some(run_id), &report)
                .await
                .map_err(|e| Error::Runtime(e.to_string()))?;
            if let Some(path) = &req.results_out {
                let text = serde_json::to_string_pretty(&report.to_ge_json())
                    .map_err(|e| Error::Runtime(e.to_string()))?;
                std::fs::write(path, text + "\n").map_err(|e| {
                    Error::Runtime(format!("cannot write {}: {e}", path.display()))
                })?;
            }
            for r in report
                .failures(Severity::Warning)
                .into_iter()
                .chain(report.failures(Severity::Info))
            {
                tracing::warn!("{}", r.summary());
            }
            let critical = report.critical_failures();
            if !critical.is_empty() {
                let lines: Vec<String> = critical
                    .iter()
                    .map(|r| format!("  - {}", r.summary()))
                    .collect();
                return Err(Error::QualityFailed(format!(
                    "quality gate failed for {date}: {} critical expectation(s) did not hold\n{}",
                    critical.len(),
                    lines.join("\n")
                )));
            }
            Ok(Outcome {
                counts: RowCounts {
                    rows_in: report
                        .suites
                        .iter()
                        .map(|s| s.row_count.max(0) as u64)
                        .sum(),
                    rows_out: 0,
                    rows_rejected: 0,
                },
                ..Outcome::default()
            }
            .with("strategy", strategy.as_str())
            .with("evaluated", report.results().count())
            .with("failed_warning", report.failures(Severity::Warning).len())
            .with("failed_info", report.failures(Severity::Info).len())
            .with("results_stored", stored))
        })
        .await?;
        Ok(Summary::ok(
            "validate",
            Some(date),
            outcome.counts,
            started.elapsed().as_millis() as u64,
        )
        .with("run_id", run_id)
        .with_details(outcome.details))
    }

    /// The suites to run: `paths` if given, else the configured ones, else the built-in ones.
    fn suites(&self, paths: &[PathBuf]) -> Result<Vec<Suite>> {
        let paths = if paths.is_empty() {
            &self.config.expectations[..]
        } else {
            paths
        };
        let suites = if paths.is_empty() {
            tracing::debug!("no configured suites; using the built-in ones");
            BUILT_IN_SUITES
                .iter()
                .map(|(name, text)| Suite::from_yaml_str(text, name))
                .collect::<Result<Vec<_>, _>>()
        } else {
            Suite::load_all(paths)
        }
        .map_err(|e| Error::Usage(e.to_string()))?;
        if suites.is_empty() {
            return Err(Error::Usage(format!("no expectation suites in {paths:?}")));
        }
        Ok(suites)
    }
}
