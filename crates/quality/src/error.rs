//! The crate's one error type.

use std::path::PathBuf;

/// Why a suite could not be loaded, compiled, run or stored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A suite file or directory could not be read.
    #[error("cannot read suite {}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// A suite file is not valid YAML or JSON, or is not shaped like a suite.
    #[error("suite {}: {message}", path.display())]
    Parse {
        /// The suite file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// An expectation is invalid: unknown type, missing or bad kwarg, unknown column, a value
    /// the column's type cannot hold, an invalid regex.
    #[error("suite {suite}, expectation {expectation}: {message}")]
    Expectation {
        /// The suite file (or name, for suites built in code).
        suite: String,
        /// Which expectation: its position (from 1) and type.
        expectation: String,
        /// What is wrong with it.
        message: String,
    },
    /// A suite-level setting is invalid: the table does not exist, the batch column is unknown.
    #[error("suite {suite}: {message}")]
    Suite {
        /// The suite file (or name).
        suite: String,
        /// What is wrong with it.
        message: String,
    },
    /// A relative bound such as `batch_date + 1 day` does not parse.
    #[error("invalid batch expression `{text}`: {message}")]
    Expression {
        /// The expression as written.
        text: String,
        /// What is wrong with it.
        message: String,
    },
    /// The results table is not a `schema.table` that exists.
    #[error("results table `{0}` is not an existing schema.table")]
    ResultsTable(String),
    /// The database refused a query.
    #[error("{context}: {source}")]
    Db {
        /// What was being done.
        context: String,
        /// The database error.
        source: tokio_postgres::Error,
    },
}

impl Error {
    pub(crate) fn db(context: impl Into<String>) -> impl FnOnce(tokio_postgres::Error) -> Self {
        let context = context.into();
        move |source| Self::Db { context, source }
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
