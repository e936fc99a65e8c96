//! The CLI's one error type: every library error becomes one clear line and an exit code.

use std::process::ExitCode;

/// Why a command failed, and so which exit code it ends with.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Misuse the argument parser could not catch (exit 2).
    #[error("{0}")]
    Usage(String),
    /// A runtime failure: database, I/O, bad input that stops the step (exit 1).
    #[error("{0}")]
    Runtime(String),
    /// The quality gate failed (exit 3).
    #[error("{0}")]
    QualityFailed(String),
    /// A command over a range of days failed part-way: the error (whose exit code and status
    /// it keeps), with the range and the days as far as they went, for the JSON line.
    #[error("{error}")]
    InRange {
        /// What stopped the range.
        error: Box<CliError>,
        /// First day of the range.
        from: chrono::NaiveDate,
        /// Last day of the range.
        to: chrono::NaiveDate,
        /// The per-day array as far as it went (the failed day last, with its failed step).
        days: serde_json::Value,
    },
}

impl CliError {
    /// The documented exit code.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Self::Usage(_) => ExitCode::from(2),
            Self::Runtime(_) => ExitCode::from(1),
            Self::QualityFailed(_) => ExitCode::from(3),
            Self::InRange { error, .. } => error.exit_code(),
        }
    }

    /// The status word of the JSON line.
    pub fn status(&self) -> &'static str {
        match self {
            Self::QualityFailed(_) => "quality_failed",
            Self::InRange { error, .. } => error.status(),
            _ => "error",
        }
    }
}

impl From<retention_model::Error> for CliError {
    fn from(e: retention_model::Error) -> Self {
        Self::Runtime(e.to_string())
    }
}

impl From<tokio_postgres::Error> for CliError {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::Runtime(retention_model::Error::from(e).to_string())
    }
}

impl From<retention_report::Error> for CliError {
    fn from(e: retention_report::Error) -> Self {
        match e {
            retention_report::Error::Period { .. } => Self::Usage(e.to_string()),
            _ => Self::Runtime(e.to_string()),
        }
    }
}
