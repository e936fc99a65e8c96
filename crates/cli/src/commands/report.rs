//! `retention report`: the warehouse as one self-contained HTML file (charts and their
//! numbers), made by `retention-report`. `demo` and `run --report` call [`write`].

use std::{
    path::{Path, PathBuf},
    time::Instant,
};

use chrono::{DateTime, NaiveDate, Utc};
use retention_model::ops::RowCounts;
use retention_report::ReportOptions;

use super::Ctx;
use crate::{cli::ReportArgs, error::CliError, report::Report};

pub async fn run(ctx: &Ctx, args: ReportArgs) -> Result<Report, CliError> {
    let started = Instant::now();
    let (path, events) = write(ctx, args.from, args.to, &args.out).await?;
    let mut report = Report::ok(
        "report",
        None,
        RowCounts::default(),
        started.elapsed().as_millis() as u64,
    )
    .with("out", path.display().to_string())
    .with("events", events);
    report.from = args.from;
    report.to = args.to;
    Ok(report)
}

/// Writes the report of `from..=to` (default: the whole warehouse) to `out`; returns its
/// absolute path and the number of events it covers.
pub async fn write(
    ctx: &Ctx,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    out: &Path,
) -> Result<(PathBuf, i64), CliError> {
    let db = ctx.db()?;
    let client = db.connect().await?;
    let options = ReportOptions {
        from,
        to,
        // Display of DbConfig: host, port, database and user, never the password.
        warehouse: db.to_string(),
        made_at: made_at(),
    };
    let report = retention_report::Report::load(&client, options).await?;
    let html = report.render()?;
    std::fs::write(out, html)
        .map_err(|e| CliError::Runtime(format!("cannot write {}: {e}", out.display())))?;
    let path = std::path::absolute(out).unwrap_or_else(|_| out.to_path_buf());
    eprintln!("Report written to {}", path.display());
    Ok((path, report.data.headline.events))
}

/// Now, or `SOURCE_DATE_EPOCH` (seconds) when set, for reproducible output.
fn made_at() -> DateTime<Utc> {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .and_then(|s| DateTime::from_timestamp(s, 0))
        .unwrap_or_else(Utc::now)
}
