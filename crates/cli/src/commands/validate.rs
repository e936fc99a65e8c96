//! `retention validate`: the quality gate on a day's staging batch. Runs the suites, stores
//! one row per expectation in `ops.validation_results`, optionally writes the GE-shaped
//! result file, and fails with exit code 3 when a critical expectation does not hold.

use std::time::Instant;

use retention_model::ops::{RowCounts, lock_step};
use retention_quality::{
    Batch, Severity, Strategy, Suite, ValidationOptions, store_results, validate_with,
};

use super::{Ctx, Outcome, tracked};
use crate::{cli, cli::ValidateArgs, error::CliError, report::Report};

/// Where the CLI stores results (the crate takes any table of this shape).
const RESULTS_TABLE: &str = "ops.validation_results";

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

pub async fn run(ctx: &Ctx, args: ValidateArgs) -> Result<Report, CliError> {
    let started = Instant::now();
    let date = args.day.date;
    let paths = if !args.suites.is_empty() {
        args.suites.clone()
    } else {
        ctx.config.expectations.clone()
    };
    let suites = if paths.is_empty() {
        tracing::debug!("no configured suites; using the built-in ones");
        BUILT_IN_SUITES
            .iter()
            .map(|(name, text)| Suite::from_yaml_str(text, name))
            .collect::<Result<Vec<_>, _>>()
    } else {
        Suite::load_all(&paths)
    }
    .map_err(|e| CliError::Usage(e.to_string()))?;
    if suites.is_empty() {
        return Err(CliError::Usage(format!(
            "no expectation suites in {paths:?}"
        )));
    }
    let strategy = match args.strategy {
        cli::Strategy::SetBased => Strategy::SetBased,
        cli::Strategy::PerExpectation => Strategy::PerExpectation,
    };
    let options = ValidationOptions {
        strategy,
        statement_timeout: (!args.statement_timeout.is_zero()).then_some(args.statement_timeout),
        ..ValidationOptions::default()
    };
    let client = ctx.connect().await?;
    lock_step(&client, "validate", Some(date)).await?;
    let options = &options;
    let client = &client;
    let (outcome, run_id) = tracked(client, "validate", Some(date), |run_id| async move {
        let report = validate_with(client, &suites, &Batch { date }, options)
            .await
            .map_err(|e| match e {
                retention_quality::Error::Db { .. }
                | retention_quality::Error::StatementTimeout { .. } => {
                    CliError::Runtime(e.to_string())
                }
                other => CliError::Usage(other.to_string()),
            })?;
        let stored = store_results(client, RESULTS_TABLE, Some(run_id), &report)
            .await
            .map_err(|e| CliError::Runtime(e.to_string()))?;
        if let Some(path) = &args.results_out {
            let text = serde_json::to_string_pretty(&report.to_ge_json())
                .map_err(|e| CliError::Runtime(e.to_string()))?;
            std::fs::write(path, text + "\n")
                .map_err(|e| CliError::Runtime(format!("cannot write {}: {e}", path.display())))?;
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
            return Err(CliError::QualityFailed(format!(
                "quality gate failed for {date}: {} critical expectation(s) did not hold\n{}",
                critical.len(),
                lines.join("\n")
            )));
        }
        let evaluated = report.results().count();
        let mut o = Outcome {
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
        };
        o.details
            .insert("strategy".into(), strategy.as_str().into());
        o.details.insert("evaluated".into(), evaluated.into());
        o.details.insert(
            "failed_warning".into(),
            report.failures(Severity::Warning).len().into(),
        );
        o.details.insert(
            "failed_info".into(),
            report.failures(Severity::Info).len().into(),
        );
        o.details.insert("results_stored".into(), stored.into());
        Ok(o)
    })
    .await?;
    let mut report = Report::ok(
        "validate",
        Some(date),
        outcome.counts,
        started.elapsed().as_millis() as u64,
    )
    .with("run_id", run_id);
    for (k, v) in outcome.details {
        report.extra.insert(k, v);
    }
    Ok(report)
}
