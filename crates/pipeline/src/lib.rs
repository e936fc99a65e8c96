//! The retention pipeline as a library: configuration resolution, run tracking, each day's
//! steps (generate, load, validate, scd, transform), [`Pipeline::run`] over a range of days
//! with its bootstrap, the report and the demo's flow. [`Pipeline::run_range`] takes a
//! [`RunRequest`] whose [`Source`] says where the days come from: the simulator, or landing
//! files another producer wrote ([`Source::Files`]). Progress comes out as [`Event`]s that
//! the caller renders; every step returns a [`Summary`].
//!
//! The `retention` command is argument parsing and rendering over this crate; another Rust
//! program runs the pipeline the same way:
//!
//! ```no_run
//! # async fn week() -> retention_pipeline::Result<()> {
//! use retention_pipeline::{Pipeline, PipelineConfig, Sim};
//! let pipeline = Pipeline::new(
//!     Some("postgres://postgres@127.0.0.1:5432/retention".into()),
//!     PipelineConfig::built_in(),
//!     "./data",
//! );
//! let sim = Sim::default();
//! let from = pipeline.first_simulated_day(&sim)?;
//! let to = from + chrono::Days::new(6);
//! let days = pipeline.run(&sim, from, to, &mut |_event| {}).await?;
//! assert_eq!(days.len(), 7);
//! # Ok(()) }
//! ```

mod config;
mod demo;
mod error;
mod range;
mod sim;
mod source;
pub mod steps;
mod summary;
mod tracking;

use std::path::{Path, PathBuf};

use retention_model::DbConfig;
use tokio_postgres::Client;

pub use config::{DEFAULT_PATH as DEFAULT_CONFIG_PATH, PipelineConfig};
pub use demo::{Demo, DemoRequest};
pub use error::{Error, Result};
pub use range::{DayRecord, Event, FailedStep, RunRequest, STEPS, StepRecord, range_summary};
pub use sim::Sim;
pub use source::Source;
pub use summary::{Summary, parse_duration};
pub use tracking::{Outcome, tracked};

/// The pipeline over one warehouse and one landing directory, with its configuration.
#[derive(Debug, Clone)]
pub struct Pipeline {
    database_url: Option<String>,
    config: PipelineConfig,
    data_dir: PathBuf,
}

impl Pipeline {
    /// A pipeline on the warehouse at `database_url` (`None`: `DATABASE_URL`'s absence
    /// means the libpq `PG*` variables), with `config` and landing files under `data_dir`.
    pub fn new(
        database_url: Option<String>,
        config: PipelineConfig,
        data_dir: impl Into<PathBuf>,
    ) -> Self {
        Self {
            database_url,
            config,
            data_dir: data_dir.into(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &PipelineConfig {
        &self.config
    }

    /// Where landing files live (`DATA_DIR/dt=YYYY-MM-DD/`).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The URL given, if any.
    pub fn database_url(&self) -> Option<&str> {
        self.database_url.as_deref()
    }

    /// The database settings: the URL given, else the libpq `PG*` variables.
    pub fn db(&self) -> Result<DbConfig> {
        DbConfig::resolve(self.database_url.as_deref()).map_err(|e| Error::Usage(e.to_string()))
    }

    /// One connection to the warehouse.
    pub async fn connect(&self) -> Result<Client> {
        Ok(self.db()?.connect().await?)
    }
}
