//! `retention load --date D [--snapshot] [--force]`: a day's landing files into staging.

use std::time::Instant;

use retention_loader::{LandingDay, LoadOptions, load_day};
use retention_model::ops::RowCounts;

use super::{Ctx, Outcome, tracked};
use crate::{cli::LoadArgs, error::CliError, report::Report};

pub async fn run(ctx: &Ctx, args: LoadArgs) -> Result<Report, CliError> {
    let started = Instant::now();
    let date = args.day.date;
    let db = ctx.db()?;
    let client = ctx.connect().await?;
    let (outcome, run_id) = tracked(&client, "load", Some(date), |run_id| async move {
        let fail = |e: retention_loader::Error| CliError::Runtime(e.to_string());
        let day = LandingDay::open(&ctx.global.data_dir, date, args.snapshot).map_err(fail)?;
        let options = LoadOptions {
            force: args.force,
            run_id: Some(run_id),
            ..LoadOptions::default()
        };
        let report = load_day(&db, &day, &options).await.map_err(fail)?;
        let mut o = Outcome {
            counts: RowCounts {
                rows_in: report.read(),
                rows_out: report.staged(),
                rows_rejected: report.rejected(),
            },
            ..Outcome::default()
        };
        o.details.insert("snapshot".into(), report.snapshot.into());
        o.details
            .insert("warehouse".into(), report.warehouse.into());
        o.details.insert(
            "files".into(),
            serde_json::to_value(&report.files).unwrap_or_default(),
        );
        Ok(o)
    })
    .await?;
    let detail = |k: &str| outcome.details.get(k).cloned();
    Ok(Report::ok(
        "load",
        Some(date),
        outcome.counts,
        started.elapsed().as_millis() as u64,
    )
    .with("run_id", run_id)
    .with("snapshot", detail("snapshot"))
    .with("warehouse", detail("warehouse"))
    .with("files", detail("files")))
}
