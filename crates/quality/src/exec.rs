//! The thin executor: check what the suites may read, fetch the schema, compile, run the
//! statements in one read-only transaction with a statement timeout, build the report.
//!
//! This module holds the transaction and what is checked before it; `measure` runs one
//! suite's statements and turns their figures into results, and `bind` gives each statement
//! its parameters for the batch.

mod bind;
mod measure;

use std::time::Duration;

use tokio_postgres::{Client, error::SqlState};

use self::measure::validate_suite;
use crate::{
    clip::clip,
    compile::{CompiledSuite, compile},
    error::{Error, Result},
    report::{Batch, Strategy, ValidationReport},
    schema::TableSchema,
    suite::{Check, Suite, label},
};

const BEGIN_VALIDATION: &str = include_str!("../sql/begin_validation.sql");
const END_VALIDATION: &str = include_str!("../sql/end_validation.sql");

/// How [`validate_with`] runs suites, and what it lets them do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationOptions {
    /// One scan per table, or one query per expectation.
    pub strategy: Strategy,
    /// The schemas whose tables suites may read (default `staging`). A suite on any other
    /// table (`pg_catalog.pg_authid`, `information_schema.tables`, …) is refused with
    /// [`Error::SchemaNotAllowed`] before any statement runs: a suite file must not be a way
    /// to read what the connection can.
    pub schemas: Vec<String>,
    /// The longest any one statement may run (default five minutes), set with
    /// `SET LOCAL statement_timeout` in the validation transaction, since suites carry
    /// user-written regexes; `None` sets no limit. When it fires the error is
    /// [`Error::StatementTimeout`], naming the suite and its table.
    pub statement_timeout: Option<Duration>,
}

impl Default for ValidationOptions {
    fn default() -> Self {
        Self {
            strategy: Strategy::SetBased,
            schemas: vec!["staging".to_owned()],
            statement_timeout: Some(Duration::from_secs(5 * 60)),
        }
    }
}

/// Validates `batch` with every suite, in order, with `strategy` and the other
/// [`ValidationOptions`] at their defaults (tables in `staging` only, five-minute statement
/// timeout). See [`validate_with`].
pub async fn validate(
    client: &Client,
    suites: &[Suite],
    batch: &Batch,
    strategy: Strategy,
) -> Result<ValidationReport> {
    let options = ValidationOptions {
        strategy,
        ..ValidationOptions::default()
    };
    validate_with(client, suites, batch, &options).await
}

/// Validates `batch` with every suite, in order.
///
/// Before any statement runs, every suite is checked: its table must be in one of
/// `options.schemas`, and it must have expectations unless it says `allow_empty` (an empty
/// suite would pass the gate having checked nothing). Then all suites run in one read-only,
/// repeatable-read transaction of their own, with `options.statement_timeout`; call this
/// outside a transaction (the client's own is rolled back at the end).
pub async fn validate_with(
    client: &Client,
    suites: &[Suite],
    batch: &Batch,
    options: &ValidationOptions,
) -> Result<ValidationReport> {
    for suite in suites {
        check_allowed(suite, &options.schemas)?;
    }
    let timeout_ms = options
        .statement_timeout
        .map_or(0, |t| t.as_millis().clamp(1, i32::MAX as u128));
    client
        .batch_execute(&BEGIN_VALIDATION.replace("{timeout_ms}", &timeout_ms.to_string()))
        .await
        .map_err(Error::db("starting the validation transaction"))?;
    let mut reports = Vec::with_capacity(suites.len());
    let mut failure = None;
    for suite in suites {
        match validate_suite(client, suite, batch, options.strategy).await {
            Ok(report) => reports.push(report),
            Err(e) => {
                failure = Some(timed_out(e, suite, options.statement_timeout));
                break;
            }
        }
    }
    let ended = client
        .batch_execute(END_VALIDATION)
        .await
        .map_err(Error::db("ending the validation transaction"));
    if let Some(e) = failure {
        return Err(e);
    }
    ended?;
    Ok(ValidationReport {
        batch: *batch,
        strategy: options.strategy,
        suites: reports,
    })
}

/// Refuses a suite on a table outside `schemas`, and an empty suite that does not say it is
/// intended. Pure: runs before anything touches the database.
fn check_allowed(suite: &Suite, schemas: &[String]) -> Result<()> {
    if !schemas.contains(&suite.table.schema) {
        return Err(Error::SchemaNotAllowed {
            suite: suite.source.clone(),
            table: clip(&suite.table.to_string()).to_string(),
            schema: clip(&suite.table.schema).to_string(),
            allowed: schemas.to_vec(),
        });
    }
    if suite.expectations.is_empty() && !suite.allow_empty {
        return Err(Error::EmptySuite {
            suite: suite.source.clone(),
        });
    }
    Ok(())
}

/// A statement cancelled by the statement timeout (SQLSTATE 57014) becomes
/// [`Error::StatementTimeout`] for `suite`; other errors pass through.
fn timed_out(e: Error, suite: &Suite, timeout: Option<Duration>) -> Error {
    match (&e, timeout) {
        (Error::Db { source, .. }, Some(timeout))
            if source.code() == Some(&SqlState::QUERY_CANCELED) =>
        {
            Error::StatementTimeout {
                suite: suite.source.clone(),
                table: clip(&suite.table.to_string()).to_string(),
                timeout,
            }
        }
        _ => e,
    }
}

/// Reads the table's schema and compiles `suite` against it, checking its regexes on the
/// server (PostgreSQL's regex dialect is the one that will run them).
pub async fn prepare(client: &Client, suite: &Suite) -> Result<CompiledSuite> {
    let schema = TableSchema::fetch(client, &suite.table)
        .await?
        .ok_or_else(|| Error::Suite {
            suite: suite.source.clone(),
            message: format!("table {} does not exist", clip(&suite.table.to_string())),
        })?;
    let compiled = compile(suite, &schema)?;
    for (i, e) in suite.expectations.iter().enumerate() {
        if let Check::Regex { regex, .. } = &e.check {
            if let Err(db) = client
                .query_one("SELECT ''::text ~ $1::text", &[regex])
                .await
            {
                if db.code() == Some(&SqlState::QUERY_CANCELED) {
                    return Err(Error::db("checking a regex")(db));
                }
                return Err(Error::Expectation {
                    suite: suite.source.clone(),
                    expectation: label(i, &e.expectation_type),
                    message: format!(
                        "invalid regex `{}`: {}",
                        clip(regex),
                        clip(
                            &db.as_db_error()
                                .map_or(db.to_string(), |d| d.message().to_owned())
                        )
                    ),
                });
            }
        }
    }
    Ok(compiled)
}
