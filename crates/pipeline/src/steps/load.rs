//! `load`: a day's landing files into staging, the day replaced whole in one transaction.

use std::time::Instant;

use chrono::NaiveDate;
use retention_loader::{Erasure, LandingDay, LoadOptions, load_day};
use retention_model::{RejectReason, ops::RowCounts};

use super::scd::dimension_specs;
use crate::{Outcome, Pipeline, Result, Summary, tracked};

/// What to load.
#[derive(Debug, Clone, Copy)]
pub struct LoadRequest {
    /// The day.
    pub date: NaiveDate,
    /// Load even if the day was generated with another seed, scale or schema version.
    pub force: bool,
    /// Load the full snapshot as of the end of the day (`DATA_DIR/snapshots/dt=D/`).
    pub snapshot: bool,
    /// The day's producer writes no manifest: count and hash the files here, check them
    /// against nothing, and record that in `ops.load_audit.checked_against`.
    pub no_manifest: bool,
}

impl LoadRequest {
    /// The day's landing files, with the manifest's guards.
    pub fn day(date: NaiveDate) -> Self {
        Self {
            date,
            force: false,
            snapshot: false,
            no_manifest: false,
        }
    }
}

impl Pipeline {
    /// Loads the request's day into staging (rows that do not parse go to quarantine). The
    /// configured dimensions file says where the load erases an erased user's personal
    /// data, as it says it for `scd` ([`Erasure::from_dimensions`]).
    pub async fn load(&self, req: &LoadRequest) -> Result<Summary> {
        let started = Instant::now();
        let date = req.date;
        let erasure = Erasure::from_dimensions(&dimension_specs(&self.config)?)?;
        let mapping = self.config.event_mapping()?;
        let db = self.db()?;
        let mut client = self.connect().await?;
        let (outcome, run_id) = tracked(&mut client, "load", Some(date), async |_, run_id| {
            let day = if req.no_manifest {
                LandingDay::open_without_manifest(&self.data_dir, date, req.snapshot)?
            } else {
                LandingDay::open(&self.data_dir, date, req.snapshot)?
            };
            let options = LoadOptions {
                force: req.force,
                run_id: Some(run_id),
                erasure: erasure.clone(),
                mapping: mapping.clone(),
                ..LoadOptions::default()
            };
            let report = load_day(&db, &day, &options).await?;
            let anonymous: u64 = report
                .files
                .iter()
                .filter_map(|f| {
                    f.rejected_by_reason
                        .get(RejectReason::AnonymousUser.as_str())
                })
                .sum();
            Ok(Outcome {
                counts: RowCounts {
                    rows_in: report.read(),
                    rows_out: report.staged(),
                    rows_rejected: report.rejected(),
                },
                ..Outcome::default()
            }
            .with("snapshot", report.snapshot)
            .with("warehouse", report.warehouse)
            .with("checked_against", report.checked_against)
            .with("anonymous_events", anonymous)
            .with("files", &report.files))
        })
        .await?;
        let detail = |k: &str| outcome.details.get(k).cloned();
        Ok(Summary::ok(
            "load",
            Some(date),
            outcome.counts,
            started.elapsed().as_millis() as u64,
        )
        .with("run_id", run_id)
        .with("snapshot", detail("snapshot"))
        .with("warehouse", detail("warehouse"))
        .with("checked_against", detail("checked_against"))
        .with("anonymous_events", detail("anonymous_events"))
        .with("files", detail("files")))
    }
}
