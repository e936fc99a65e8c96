use std::path::PathBuf;

use retention_model::landing::MANIFEST_FILE;

/// Everything that can stop a load. A row that cannot be typed is not an error: it goes to
/// quarantine and the load goes on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The day has no readable manifest (it is not complete), or the database settings
    /// could not be used.
    #[error(transparent)]
    Model(#[from] retention_model::Error),
    /// The manifest does not describe what was asked for (another day, not a snapshot, a
    /// file missing from its list).
    #[error("{dir}: {reason}")]
    BadManifest {
        /// The day directory.
        dir: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The day's directory has no `_manifest.json`: the day is not complete, or its
    /// producer writes none.
    #[error(
        "{}: no {MANIFEST_FILE}: the day is not complete, or its producer writes none. Once its files are complete, write one for them (`retention manifest --date {date}`), or load the day without one (`retention load --date {date} --no-manifest`: the loader counts and hashes the files itself)",
        dir.display()
    )]
    NoManifest {
        /// The day directory.
        dir: PathBuf,
        /// The day asked for.
        date: chrono::NaiveDate,
    },
    /// `_manifest.json` exists and writing one was not forced.
    #[error("{}: a manifest exists already; pass --force to replace it", path.display())]
    ManifestExists {
        /// The existing manifest.
        path: PathBuf,
    },
    /// A file the day needs is missing (listed in the manifest, or, without a manifest,
    /// one of the contract's files).
    #[error("{path}: the day needs this file, but it is missing")]
    MissingFile {
        /// The missing file.
        path: PathBuf,
    },
    /// A day directory holds more than one events file (`events.csv`, `events.csv.gz`,
    /// `events.jsonl`, `events.jsonl.gz`): which one is the day's is not for the loader to
    /// guess.
    #[error("{}: more than one events file ({}); a day has exactly one: remove the others", dir.display(), files.join(", "))]
    SeveralEventFiles {
        /// The day directory.
        dir: PathBuf,
        /// The events files found.
        files: Vec<String>,
    },
    /// The event mapping of the configuration (`mapping:`) cannot be used.
    #[error("event mapping: {0}")]
    Mapping(String),
    /// A file's content does not match its manifest entry (row count or SHA-256).
    #[error("{file}: does not match the manifest: {reason}; nothing was loaded")]
    ManifestMismatch {
        /// The landing file name.
        file: String,
        /// What differs.
        reason: String,
    },
    /// A file's header is missing or is not exactly the expected one.
    #[error("{file}: bad header: {reason}; nothing was loaded")]
    BadHeader {
        /// The landing file name.
        file: String,
        /// Expected and found.
        reason: String,
    },
    /// The day was generated with another seed, scale, schema version or config than the
    /// warehouse was built with.
    #[error(
        "the day was generated differently from this warehouse ({0}); load it into another warehouse, or pass --force"
    )]
    WarehouseMismatch(String),
    /// The accounting invariant rows read = staged + rejected did not hold.
    #[error(
        "{file}: {read} rows read but {staged} staged and {rejected} rejected; nothing was loaded"
    )]
    Unbalanced {
        /// The landing file name.
        file: String,
        /// Records parsed.
        read: u64,
        /// Rows the server reported copied.
        staged: u64,
        /// Rows quarantined.
        rejected: u64,
    },
    /// Reading a landing file failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being read.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A database statement failed (the transaction was rolled back).
    #[error("database error while {context}: {reason}")]
    Db {
        /// What was being done.
        context: String,
        /// The server's or the network's reason.
        reason: String,
    },
    /// No connection could be had from the pool (after retries for transient errors).
    #[error("cannot get a database connection: {0}")]
    Pool(String),
    /// A file name that is not one of the landing files (`events.csv` or another events
    /// form, `users.csv`, `products.csv`).
    #[error(
        "{0}: not a landing file (events.csv, events.csv.gz, events.jsonl, events.jsonl.gz, users.csv or products.csv)"
    )]
    UnknownFile(String),
    /// The erasure description ([`Erasure`](crate::Erasure)) cannot be applied: a name that
    /// is not a plain identifier, a place with nothing to erase, places without a register,
    /// or dimensions naming different registers. Nothing was loaded.
    #[error("erasure description: {0}")]
    Erasure(String),
    /// The parser thread stopped unexpectedly.
    #[error("the parser of {0} stopped unexpectedly")]
    ParserFailed(String),
}

/// Result with the loader's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Wraps a driver error with what was being done, keeping the server's message.
pub(crate) fn db(context: impl Into<String>) -> impl FnOnce(tokio_postgres::Error) -> Error {
    let context = context.into();
    move |e| Error::Db {
        context,
        reason: reason(&e),
    }
}

/// The most useful one-line reason of a driver error: the server's message when there is one
/// (clipped: a server message may quote a value).
pub(crate) fn reason(e: &tokio_postgres::Error) -> String {
    let s = match e.as_db_error() {
        Some(d) => format!("{}: {}", d.severity(), d.message()),
        None => {
            let mut s = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(inner) = source {
                s.push_str(": ");
                s.push_str(&inner.to_string());
                source = inner.source();
            }
            s
        }
    };
    crate::clip::clip(&s).to_string()
}
