use std::path::PathBuf;

/// Everything that can go wrong in the model crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The connection settings could not be understood.
    #[error("invalid database settings: {0}")]
    Config(String),
    /// The server could not be reached or refused the connection.
    #[error("cannot connect to PostgreSQL at {target}: {reason}")]
    Connect {
        /// host, port, database and user (never the password).
        target: String,
        /// The server's or the network's reason.
        reason: String,
    },
    /// A statement failed.
    #[error("database error: {}", crate::error::db_reason(.0))]
    Db(#[from] tokio_postgres::Error),
    /// A migration already applied to this database no longer matches its file.
    #[error(
        "migration {file} was changed after it was applied (checksum {applied} in ops.schema_migrations, {current} now); restore the file and add a new migration instead"
    )]
    MigrationChanged {
        /// The migration's file name.
        file: String,
        /// Checksum recorded when it was applied.
        applied: String,
        /// Checksum of the file now.
        current: String,
    },
    /// The database has migrations this binary does not know (it is newer than the binary).
    #[error(
        "the database has migration {version} ({name}) that this binary does not know; upgrade retention"
    )]
    UnknownMigration {
        /// Version recorded in the database.
        version: i32,
        /// Its name.
        name: String,
    },
    /// A migration failed to apply.
    #[error("migration {file} failed: {reason}")]
    MigrationFailed {
        /// The migration's file name.
        file: String,
        /// The server's reason.
        reason: String,
    },
    /// A landing manifest could not be read or written.
    #[error("{path}: {reason}")]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// A re-run of a transform day found an event_id that a later batch accepted: its staging
    /// changed after later days were transformed, so the days no longer agree on which batch
    /// holds the event.
    #[error(
        "transform of {date}: event_id {event_id} was accepted by the later batch {later}; the staged events of {date} changed after {later} was transformed. Run `retention rebuild` to recompute every batch in one pass (the earliest batch then accepts it)"
    )]
    AcceptedLater {
        /// The batch day being transformed.
        date: chrono::NaiveDate,
        /// The first such event_id (in event_id order).
        event_id: String,
        /// The batch that accepted it.
        later: chrono::NaiveDate,
    },
    /// An I/O error outside the database.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// Result with the model crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The most useful one-line reason of a driver error: the server's message when there is one.
pub(crate) fn db_reason(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut s = format!("{}: {}", db.severity(), db.message());
        if let Some(detail) = db.detail() {
            s.push_str(&format!(" ({detail})"));
        }
        return s;
    }
    let mut s = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        let text = inner.to_string();
        if !s.contains(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        source = inner.source();
    }
    s
}
