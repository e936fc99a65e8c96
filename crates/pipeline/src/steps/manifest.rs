//! `manifest`: writes `_manifest.json` for a day whose files another producer wrote, so that
//! `load` checks them as it checks a generated day. Touches no database.

use std::{path::PathBuf, time::Instant};

use chrono::NaiveDate;
use retention_model::{landing::day_dir, ops::RowCounts};

use crate::{Error, Pipeline, Result, Summary};

/// Which day's files to describe.
#[derive(Debug, Clone)]
pub struct ManifestRequest {
    /// The logical day the manifest is for.
    pub date: NaiveDate,
    /// The directory holding the day's files; default `DATA_DIR/dt=D`.
    pub landing: Option<PathBuf>,
    /// Replace an existing manifest (a generated day's too).
    pub force: bool,
}

impl ManifestRequest {
    /// The day's files under the pipeline's landing directory, never replacing a manifest.
    pub fn day(date: NaiveDate) -> Self {
        Self {
            date,
            landing: None,
            force: false,
        }
    }
}

impl Pipeline {
    /// Counts each landing file's records as `load` counts them, hashes its bytes, and writes
    /// the day's `_manifest.json` (without generator fields) atomically.
    pub async fn manifest(&self, req: &ManifestRequest) -> Result<Summary> {
        let started = Instant::now();
        let date = req.date;
        let dir = req
            .landing
            .clone()
            .unwrap_or_else(|| day_dir(&self.data_dir, date));
        let work_dir = dir.clone();
        let force = req.force;
        let manifest = tokio::task::spawn_blocking(move || {
            retention_loader::write_manifest(&work_dir, date, force)
        })
        .await
        .map_err(|e| Error::Runtime(format!("manifest thread failed: {e}")))?
        .map_err(|e| match e {
            retention_loader::Error::ManifestExists { .. } => Error::Usage(e.to_string()),
            e => Error::from(e),
        })?;
        let rows: u64 = manifest.files.values().map(|f| f.rows).sum();
        let elapsed = started.elapsed().as_millis() as u64;
        tracing::info!(
            "wrote {} for {date}: {rows} records in {} files",
            dir.join(retention_model::landing::MANIFEST_FILE).display(),
            manifest.files.len()
        );
        Ok(Summary::ok(
            "manifest",
            Some(date),
            RowCounts {
                rows_in: rows,
                rows_out: 0,
                rows_rejected: 0,
            },
            elapsed,
        )
        .with("dir", dir.display().to_string())
        .with("files", &manifest.files))
    }
}
