//! The pipeline's one error type: every library error becomes one clear message, sorted by
//! whose fault it is, so that a command line can map it to its exit code.

/// Why a pipeline operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request or the configuration is wrong (bad dates, settings or files): the caller
    /// must change what it asked for. A command line maps it to its usage exit code.
    #[error("{0}")]
    Usage(String),
    /// A failure while working: database, I/O, bad input that stops the step.
    #[error("{0}")]
    Runtime(String),
    /// The quality gate failed: a critical expectation did not hold on the day's batch.
    #[error("{0}")]
    QualityFailed(String),
    /// An operation over a range of days failed part-way: the error (whose kind it keeps),
    /// with the range and the days as far as they went.
    #[error("{error}")]
    InRange {
        /// What stopped the range.
        error: Box<Error>,
        /// First day of the range.
        from: chrono::NaiveDate,
        /// Last day of the range.
        to: chrono::NaiveDate,
        /// The per-day array as far as it went (the failed day last, with its failed step).
        days: serde_json::Value,
    },
}

impl Error {
    /// The status word recorded for a failure (`quality_failed` or `error`).
    pub fn status(&self) -> &'static str {
        match self {
            Self::QualityFailed(_) => "quality_failed",
            Self::InRange { error, .. } => error.status(),
            _ => "error",
        }
    }

    /// The innermost error, past any range that wraps it.
    pub fn root(&self) -> &Error {
        match self {
            Self::InRange { error, .. } => error.root(),
            other => other,
        }
    }

    /// The same error with `context` before its message (kind and range kept).
    pub(crate) fn context(self, context: &str) -> Self {
        let say = |m: String| format!("{context}: {m}");
        match self {
            Self::Usage(m) => Self::Usage(say(m)),
            Self::Runtime(m) => Self::Runtime(say(m)),
            Self::QualityFailed(m) => Self::QualityFailed(say(m)),
            Self::InRange { error, .. } => error.context(context),
        }
    }
}

/// The pipeline's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<retention_model::Error> for Error {
    fn from(e: retention_model::Error) -> Self {
        Self::Runtime(e.to_string())
    }
}

impl From<tokio_postgres::Error> for Error {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::Runtime(retention_model::Error::from(e).to_string())
    }
}

impl From<retention_report::Error> for Error {
    fn from(e: retention_report::Error) -> Self {
        match e {
            retention_report::Error::Period { .. } => Self::Usage(e.to_string()),
            _ => Self::Runtime(e.to_string()),
        }
    }
}

impl From<retention_scd::Error> for Error {
    fn from(e: retention_scd::Error) -> Self {
        match e {
            retention_scd::Error::Config(_) | retention_scd::Error::RebuildRange { .. } => {
                Self::Usage(e.to_string())
            }
            e => Self::Runtime(e.to_string()),
        }
    }
}

impl From<retention_generator::Error> for Error {
    /// Bad settings and dates outside the horizon are the caller's; the rest are runtime.
    fn from(e: retention_generator::Error) -> Self {
        use retention_generator::Error as G;
        match e {
            G::OutOfHorizon { .. }
            | G::InvalidSetting { .. }
            | G::ParseConfig { .. }
            | G::ReadConfig { .. } => Self::Usage(e.to_string()),
            e => Self::Runtime(e.to_string()),
        }
    }
}

impl From<retention_loader::Error> for Error {
    /// An erasure description the dimensions file cannot give is the caller's; the rest are
    /// runtime.
    fn from(e: retention_loader::Error) -> Self {
        match e {
            retention_loader::Error::Erasure(_) => Self::Usage(e.to_string()),
            e => Self::Runtime(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_outside_the_horizon_is_a_usage_error() {
        let date = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
        let e = retention_generator::Error::OutOfHorizon {
            date: date(2027, 1, 1),
            first: date(2026, 1, 1),
            last: date(2026, 12, 31),
        };
        assert!(
            matches!(Error::from(e), Error::Usage(m) if m.contains("2026-01-01 .. 2026-12-31"))
        );
    }

    #[test]
    fn context_keeps_the_kind_and_unwraps_a_range() {
        let e = Error::InRange {
            error: Box::new(Error::QualityFailed("gate".into())),
            from: chrono::NaiveDate::MIN,
            to: chrono::NaiveDate::MIN,
            days: serde_json::Value::Null,
        };
        assert_eq!(e.status(), "quality_failed");
        let e = e.context("day 2026-01-02, step validate");
        assert!(
            matches!(&e, Error::QualityFailed(m) if m == "day 2026-01-02, step validate: gate")
        );
    }
}
