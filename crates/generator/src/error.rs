use std::path::PathBuf;

use chrono::NaiveDate;

/// Why the generator could not do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration file could not be read.
    #[error("cannot read generator config {path}: {source}")]
    ReadConfig {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The configuration file is not valid YAML for [`crate::GeneratorConfig`]; the message
    /// points at the line and column.
    #[error("generator config {path}: {message}")]
    ParseConfig {
        /// The file.
        path: PathBuf,
        /// The parser's message, with the location in the file.
        message: String,
    },
    /// A configuration value is out of its allowed range.
    #[error("invalid generator setting {field}: {reason}")]
    InvalidSetting {
        /// The setting, as a YAML path (`mess.duplicate_event`).
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A date outside the simulated year was requested.
    #[error("{date} is outside the simulated horizon {first} .. {last}")]
    OutOfHorizon {
        /// The requested day.
        date: NaiveDate,
        /// First simulated day.
        first: NaiveDate,
        /// Last simulated day.
        last: NaiveDate,
    },
    /// Writing a landing file failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A worker thread writing a block of users panicked (a bug: nothing a user can cause).
    #[error("a generator worker thread panicked")]
    WorkerPanicked,
    /// Writing the manifest failed.
    #[error(transparent)]
    Manifest(#[from] retention_model::Error),
}

/// The generator's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
