//! `retention scd --date D [--rebuild-from D0]`: merge the day's user and product feeds into
//! the SCD Type 2 dimensions described by the configuration's `dimensions:` file (the
//! project's own copy is built in for when no configuration file is found).

use std::time::Instant;

use chrono::{DateTime, NaiveDate, Utc};
use retention_model::ops::RowCounts;
use retention_scd::DimensionSpec;
use serde_json::{Value, json};
use tokio_postgres::Client;

use super::{Ctx, Outcome, tracked};
use crate::{cli::ScdArgs, config::PipelineConfig, error::CliError, report::Report};

const BUILT_IN: &str = include_str!("../../../../config/dimensions.yaml");
const FACT_BATCHES_SINCE: &str = include_str!("../../../../sql/scd/fact_batches_since.sql");

pub async fn run(ctx: &Ctx, args: ScdArgs) -> Result<Report, CliError> {
    let started = Instant::now();
    let date = args.day.date;
    let specs = dimension_specs(&ctx.config)?;
    if let Some(from) = args.rebuild_from.filter(|from| *from > date) {
        return Err(CliError::Usage(format!(
            "--rebuild-from {from} is after --date {date}"
        )));
    }
    let client = ctx.connect().await?;
    let (outcome, run_id) = tracked(&client, "scd", Some(date), |_| async {
        // The merge needs its own connection: it runs a transaction while `tracked` holds
        // the run log's.
        let mut work = ctx.connect().await?;
        merge_day(&mut work, &specs, date, args.rebuild_from).await
    })
    .await?;
    let mut report = Report::ok(
        "scd",
        Some(date),
        outcome.counts,
        started.elapsed().as_millis() as u64,
    )
    .with("run_id", run_id);
    for (k, v) in outcome.details {
        report = report.with(&k, v);
    }
    Ok(report)
}

/// The dimensions: the configuration's `dimensions:` file (default `dimensions.yaml` beside
/// the configuration file), or the project's built-in copy when no configuration file was
/// found. A configured file that cannot be read is an error, never a silent fallback.
pub fn dimension_specs(config: &PipelineConfig) -> Result<Vec<DimensionSpec>, CliError> {
    if config.dimensions.as_os_str().is_empty() {
        tracing::debug!("no configuration file; using the built-in dimensions");
        return DimensionSpec::list_from_yaml(BUILT_IN).map_err(scd_error);
    }
    let path = &config.dimensions;
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::Usage(format!(
            "cannot read the dimensions file {} (the configuration's `dimensions:`): {e}",
            path.display()
        ))
    })?;
    DimensionSpec::list_from_yaml(&text).map_err(|e| match scd_error(e) {
        CliError::Usage(m) => CliError::Usage(format!("{}: {m}", path.display())),
        other => other,
    })
}

/// Merges batch `date` into every dimension (or rebuilds them from `rebuild_from` through
/// `date`); the step as `retention run` calls it.
pub async fn merge_day(
    client: &mut Client,
    specs: &[DimensionSpec],
    date: NaiveDate,
    rebuild_from: Option<NaiveDate>,
) -> Result<Outcome, CliError> {
    let mut o = Outcome::default();
    let mut dims = serde_json::Map::new();
    let mut changed_since: Option<DateTime<Utc>> = None;
    for spec in specs {
        let merges = match rebuild_from {
            Some(from) => {
                let r = retention_scd::rebuild_from(client, spec, from, date)
                    .await
                    .map_err(scd_error)?;
                changed_since = changed_since.into_iter().chain(r.changed_since).min();
                dims.insert(spec.name.clone(), json!(r));
                r.replayed
            }
            None => {
                let m = retention_scd::merge_batch(client, spec, date)
                    .await
                    .map_err(scd_error)?;
                dims.insert(spec.name.clone(), json!(m));
                vec![m]
            }
        };
        for m in &merges {
            tracing::info!(
                "{} {}: {} rows in, {} new keys, {} new versions, {} type-1 updates, {} deletions{}",
                spec.name,
                m.batch,
                m.rows_in,
                m.new_keys,
                m.new_versions,
                m.type1_updates,
                m.deletions,
                if m.already_merged {
                    " (already merged)"
                } else {
                    ""
                }
            );
            o.counts = RowCounts {
                rows_in: o.counts.rows_in + m.rows_in,
                rows_out: o.counts.rows_out + m.rows_out(),
                rows_rejected: o.counts.rows_rejected + m.rows_skipped,
            };
        }
    }
    o.details.insert("dimensions".into(), Value::Object(dims));
    if rebuild_from.is_some() {
        // The transform owns the facts: name the batches it must run again to re-key them.
        let days: Vec<NaiveDate> = match changed_since {
            Some(t) => client
                .query(FACT_BATCHES_SINCE, &[&t])
                .await?
                .iter()
                .map(|r| r.get(0))
                .collect(),
            None => Vec::new(),
        };
        if !days.is_empty() {
            tracing::warn!(
                "dimension history changed from {changed_since:?}: re-run `retention transform` for {days:?}"
            );
        }
        o.details.insert("facts_to_rerun".into(), json!(days));
    }
    Ok(o)
}

fn scd_error(e: retention_scd::Error) -> CliError {
    match e {
        retention_scd::Error::Config(_) | retention_scd::Error::RebuildRange { .. } => {
            CliError::Usage(e.to_string())
        }
        e => CliError::Runtime(e.to_string()),
    }
}
