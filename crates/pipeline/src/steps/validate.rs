//! `validate`: the quality gate on a day's staging batch. Runs the suites, stores one row per
//! expectation in `ops.validation_results`, optionally writes the GE-shaped result file, and
//! fails with [`Error::QualityFailed`] when a critical expectation does not hold.

use std::{path::PathBuf, time::Duration, time::Instant};

use chrono::NaiveDate;
use retention_model::ops::{RowCounts, lock_step};
use retention_quality::{
    Batch, BatchFilter, Severity, Strategy, Suite, TableBinding, TableRef, ValidationOptions,
    store_results, validate_with,
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
    /// Binds the request's `suites` to this table (`schema.table`), as Great Expectations
    /// binds a suite through a batch definition: a GE suite names no table. A suite that
    /// names another table is refused.
    pub table: Option<String>,
    /// The batch column of the bound table when its configuration gives none (a table that no
    /// configured suite validates).
    pub batch_column: Option<String>,
    /// Validate the whole table, not the day's batch.
    pub whole_table: bool,
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
            table: None,
            batch_column: None,
            whole_table: false,
        }
    }
}

impl Pipeline {
    /// Runs the quality gate on the request's day.
    pub async fn validate(&self, req: &ValidateRequest) -> Result<Summary> {
        let started = Instant::now();
        let date = req.date;
        let mut suites = match &req.table {
            Some(table) => self.bound_suites(req, table)?,
            None => self.suites(&req.suites)?,
        };
        if req.whole_table {
            for suite in &mut suites {
                suite.batch = None;
            }
        }
        let whole_table: Vec<String> = suites
            .iter()
            .filter(|s| s.batch.is_none())
            .map(|s| s.name.clone())
            .collect();
        for suite in suites.iter().filter(|s| s.batch.is_none()) {
            tracing::warn!(
                "suite {} validates the whole of {}, not the batch of {date}{}",
                suite.name,
                suite.table,
                if req.whole_table {
                    " (--whole-table)"
                } else {
                    ": no batch column (the suite names none, the table's configuration gives none, no --batch-column)"
                }
            );
        }
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
        .with_details(outcome.details)
        .with_if("whole_table", !whole_table.is_empty(), &whole_table))
    }

    /// The request's suite files bound to `table`, with the batch column: `--batch-column`,
    /// else the one the configured suites use for that table, else none (the whole table).
    fn bound_suites(&self, req: &ValidateRequest, table: &str) -> Result<Vec<Suite>> {
        if req.suites.is_empty() {
            return Err(Error::Usage(
                "--table binds the suites given with --suite; give at least one".into(),
            ));
        }
        let table_ref = TableRef::parse(table)
            .ok_or_else(|| Error::Usage(format!("--table {table:?} is not schema.table")))?;
        let column = match (&req.batch_column, req.whole_table) {
            (_, true) => None,
            (Some(c), false) => Some(c.clone()),
            (None, false) => self
                .suites(&[])?
                .into_iter()
                .find(|s| s.table == table_ref && s.batch.is_some())
                .and_then(|s| s.batch)
                .map(|b| b.column),
        };
        let binding = TableBinding {
            table: table_ref,
            batch: column.map(|column| BatchFilter { column }),
        };
        req.suites
            .iter()
            .map(|path| Suite::from_path_for_table(path, &binding))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::Usage(e.to_string()))
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
