//! `report`: the warehouse as one self-contained HTML file (charts and their numbers), made
//! by `retention-report`.

use std::{
    path::{Path, PathBuf},
    time::Instant,
};

use chrono::{DateTime, NaiveDate, Utc};
use retention_model::ops::RowCounts;
use retention_report::ReportOptions;

use crate::{Error, Pipeline, Result, Summary};

/// Which days to report on, and where to write it.
#[derive(Debug, Clone)]
pub struct ReportRequest {
    /// First day (default: the warehouse's first day with data).
    pub from: Option<NaiveDate>,
    /// Last day, inclusive (default: the warehouse's last day with data).
    pub to: Option<NaiveDate>,
    /// The HTML file to write.
    pub out: PathBuf,
}

impl Pipeline {
    /// Writes the report; its summary names the file (`out`) and the events it covers.
    pub async fn report(&self, req: &ReportRequest) -> Result<Summary> {
        let started = Instant::now();
        let (path, events) = self.write_report(req.from, req.to, &req.out).await?;
        let mut summary = Summary::ok(
            "report",
            None,
            RowCounts::default(),
            started.elapsed().as_millis() as u64,
        )
        .with("out", path.display().to_string())
        .with("events", events);
        summary.from = req.from;
        summary.to = req.to;
        Ok(summary)
    }

    /// Writes the report of `from..=to` (default: the whole warehouse) to `out`; returns its
    /// absolute path and the number of events it covers.
    pub async fn write_report(
        &self,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        out: &Path,
    ) -> Result<(PathBuf, i64)> {
        let db = self.db()?;
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
            .map_err(|e| Error::Runtime(format!("cannot write {}: {e}", out.display())))?;
        let path = std::path::absolute(out).unwrap_or_else(|_| out.to_path_buf());
        tracing::debug!("report written to {}", path.display());
        Ok((path, report.data.headline.events))
    }
}

/// Now, or `SOURCE_DATE_EPOCH` (seconds) when set, for reproducible output.
fn made_at() -> DateTime<Utc> {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .and_then(|s| DateTime::from_timestamp(s, 0))
        .unwrap_or_else(Utc::now)
}
