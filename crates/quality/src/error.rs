//! The crate's one error type.

use std::{path::PathBuf, time::Duration};

use crate::clip::clip;

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
    /// A suite bound to a table ([`crate::TableBinding`]) names another table, or another
    /// batch column, than the binding.
    #[error("suite {suite} cannot be bound: {message}")]
    TableConflict {
        /// The suite file (or name).
        suite: String,
        /// What differs.
        message: String,
    },
    /// A relative bound such as `batch_date + 1 day` does not parse.
    #[error("invalid batch expression `{}`: {message}", clip(text))]
    Expression {
        /// The expression as written.
        text: String,
        /// What is wrong with it.
        message: String,
    },
    /// A suite has no expectations: it would validate nothing and pass the gate. Allowed
    /// only when the suite says so (`allow_empty: true`; GE JSON:
    /// `meta.retention.allow_empty`).
    #[error(
        "suite {suite} has no expectations: it would validate nothing and pass the gate; add expectations, or set `allow_empty: true` (GE JSON: `meta.retention.allow_empty`) if that is intended"
    )]
    EmptySuite {
        /// The suite file (or name).
        suite: String,
    },
    /// A suite targets a table outside the schemas the engine was allowed to read
    /// ([`crate::ValidationOptions::schemas`]); refused before any statement runs.
    #[error(
        "suite {suite}: table {table} is in schema `{schema}`, which suites may not read (allowed: {})",
        allowed.join(", ")
    )]
    SchemaNotAllowed {
        /// The suite file (or name).
        suite: String,
        /// The table, `schema.table` (clipped).
        table: String,
        /// Its schema (clipped).
        schema: String,
        /// The schemas suites may read.
        allowed: Vec<String>,
    },
    /// A statement of a suite ran longer than the statement timeout and the server cancelled
    /// it (SQLSTATE 57014).
    #[error(
        "suite {suite} on {table}: a query ran longer than the statement timeout of {} ms and was cancelled; raise the timeout or make the suite cheaper (a costly regex?)",
        timeout.as_millis()
    )]
    StatementTimeout {
        /// The suite file (or name).
        suite: String,
        /// The table it validates.
        table: String,
        /// The timeout that fired.
        timeout: Duration,
    },
    /// The results table is not a `schema.table` that exists.
    #[error("results table `{}` is not an existing schema.table", clip(.0))]
    ResultsTable(String),
    /// The database refused a query. The server's message is clipped when shown: it may
    /// quote a value.
    #[error("{context}: {}", clip(&db_message(source)))]
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

/// The server's message when there is one (the driver's own text says only "db error").
fn db_message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(d) => format!("{}: {}", d.severity(), d.message()),
        None => e.to_string(),
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
