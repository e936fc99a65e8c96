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
}

impl CliError {
    /// The documented exit code.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            Self::Usage(_) => 2,
            Self::Runtime(_) => 1,
            Self::QualityFailed(_) => 3,
        })
    }

    /// The status word of the JSON line.
    pub fn status(&self) -> &'static str {
        match self {
            Self::QualityFailed(_) => "quality_failed",
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
