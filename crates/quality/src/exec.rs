//! The thin executor: check what the suites may read, fetch the schema, compile, run the
//! statements in one read-only transaction with a statement timeout, build the report.

use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::Value;
use tokio_postgres::{Client, error::SqlState, types::ToSql};

use crate::{
    clip::clip,
    compile::{CompiledSuite, PARTIAL_UNEXPECTED_COUNT, Param, Query, compile},
    error::{Error, Result},
    report::{Batch, ExpectationResult, Observed, Strategy, SuiteReport, ValidationReport},
    schema::{ColumnKind, TableSchema},
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

async fn validate_suite(
    client: &Client,
    suite: &Suite,
    batch: &Batch,
    strategy: Strategy,
) -> Result<SuiteReport> {
    let started = Instant::now();
    let compiled = prepare(client, suite).await?;
    let table_shown = clip(&suite.table.to_string()).to_string();
    let context = |what: &str| format!("suite {} on {table_shown}: {what}", suite.source);
    let n = suite.expectations.len();
    // (row_count, considered, unexpected) per expectation.
    let mut figures: Vec<(i64, Option<i64>, Option<i64>)> = Vec::with_capacity(n);
    // Unexpected values that came with a uniqueness count (set-based only).
    let mut presampled: Vec<Option<Vec<Value>>> = vec![None; n];
    let row_count;
    match strategy {
        Strategy::SetBased => {
            let row = run_one(client, &compiled.scan, batch, &context("scan")).await?;
            row_count = row
                .try_get::<_, i64>(0)
                .map_err(Error::db(context("scan")))?;
            for slot in &compiled.slots {
                let get = |i: Option<usize>| i.map(|i| row.try_get::<_, i64>(i)).transpose();
                figures.push((
                    row_count,
                    get(slot.considered).map_err(Error::db(context("scan")))?,
                    get(slot.unexpected).map_err(Error::db(context("scan")))?,
                ));
            }
            // Two checks of the same key (a strict warning and a tolerant critical one) share
            // one GROUP BY.
            let mut done: Vec<(&Query, i64, Vec<Value>)> = Vec::new();
            for (i, q) in &compiled.uniqueness {
                let (count, values) = match done.iter().find(|(seen, ..)| *seen == q) {
                    Some((_, count, values)) => (*count, values.clone()),
                    None => {
                        let row = run_one(client, q, batch, &context("uniqueness")).await?;
                        let count: i64 =
                            row.try_get(0).map_err(Error::db(context("uniqueness")))?;
                        // No second column on a personal column: its values are not selected.
                        let values = if row.len() > 1 {
                            match row.try_get(1).map_err(Error::db(context("uniqueness")))? {
                                Value::Array(values) => values,
                                _ => Vec::new(),
                            }
                        } else {
                            Vec::new()
                        };
                        done.push((q, count, values.clone()));
                        (count, values)
                    }
                };
                presampled[*i] = Some(values);
                figures[*i].2 = Some(count);
            }
        }
        Strategy::PerExpectation => {
            let mut rows = None;
            for q in &compiled.per_expectation {
                let row = run_one(client, q, batch, &context("expectation")).await?;
                let read = |i| {
                    row.try_get::<_, Option<i64>>(i)
                        .map_err(Error::db(context("expectation")))
                };
                let total = read(0)?.unwrap_or(0);
                rows = Some(total);
                figures.push((total, read(1)?, read(2)?));
                if row.len() > 3 {
                    if let Value::Array(values) =
                        row.try_get(3).map_err(Error::db(context("expectation")))?
                    {
                        presampled[figures.len() - 1] = Some(values);
                    }
                }
            }
            row_count = match rows {
                Some(r) => r,
                None => {
                    let q = Query {
                        sql: compiled.scan.sql.clone(),
                        params: compiled.scan.params.clone(),
                    };
                    run_one(client, &q, batch, &context("scan"))
                        .await?
                        .try_get(0)
                        .map_err(Error::db(context("scan")))?
                }
            };
        }
    }
    let table = suite.table.to_string();
    let mut results = Vec::with_capacity(n);
    let mut sampled: Vec<(&Query, Vec<Value>)> = Vec::new();
    for (i, e) in suite.expectations.iter().enumerate() {
        let (total, considered, unexpected) = figures[i];
        let observed = match &e.check {
            Check::RowCount { .. } => Observed::RowCount {
                observed_value: total,
            },
            check => {
                let unexpected = unexpected.unwrap_or(0);
                let samples_withheld = suite.is_personal(e);
                let partial_unexpected_list = if unexpected == 0 || samples_withheld {
                    Vec::new()
                } else if let Some(values) = presampled[i].take() {
                    values
                } else if let Some(q) = &compiled.samples[i] {
                    match sampled.iter().find(|(seen, _)| *seen == q) {
                        Some((_, values)) => values.clone(),
                        None => {
                            let rows = run(client, q, batch, &context("samples")).await?;
                            let values = rows
                                .iter()
                                .map(|r| {
                                    r.try_get::<_, Option<Value>>(0)
                                        .map(Option::unwrap_or_default)
                                })
                                .collect::<Result<Vec<_>, _>>()
                                .map_err(Error::db(context("samples")))?;
                            sampled.push((q, values.clone()));
                            values
                        }
                    }
                } else {
                    vec![Value::Null; (unexpected as usize).min(PARTIAL_UNEXPECTED_COUNT)]
                };
                let considered = if matches!(check, Check::NotNull { .. }) {
                    None
                } else {
                    Some(considered.unwrap_or(total))
                };
                Observed::Map {
                    element_count: total,
                    considered,
                    unexpected_count: unexpected,
                    partial_unexpected_list,
                    samples_withheld,
                }
            }
        };
        results.push(ExpectationResult::evaluate(
            &suite.name,
            &table,
            e,
            observed,
        ));
    }
    tracing::info!(
        suite = %clip(&suite.name),
        table = %table_shown,
        rows = row_count,
        strategy = strategy.as_str(),
        failed = results.iter().filter(|r| !r.success).count(),
        "validated in {} ms",
        started.elapsed().as_millis()
    );
    Ok(SuiteReport {
        name: suite.name.clone(),
        table,
        row_count,
        results,
    })
}

/// A resolved parameter.
enum Bound {
    One(String),
    Many(Vec<String>),
    Date(NaiveDate),
    Timestamptz(DateTime<Utc>),
    Timestamp(NaiveDateTime),
}

fn resolve(params: &[Param], batch: &Batch) -> Vec<Bound> {
    params
        .iter()
        .map(|p| match p {
            Param::BatchDate(ColumnKind::Date) => Bound::Date(batch.date),
            Param::BatchDate(_) => Bound::One(batch.date.to_string()),
            Param::Text(t) => Bound::One(t.clone()),
            Param::TextArray(v) => Bound::Many(v.clone()),
            Param::Relative(expr, kind) => match kind {
                ColumnKind::Timestamptz => Bound::Timestamptz(expr.timestamp(batch.date).and_utc()),
                ColumnKind::Timestamp => Bound::Timestamp(expr.timestamp(batch.date)),
                ColumnKind::Date => Bound::Date(expr.date(batch.date)),
                _ => Bound::One(expr.date(batch.date).to_string()),
            },
        })
        .collect()
}

async fn run(
    client: &Client,
    q: &Query,
    batch: &Batch,
    context: &str,
) -> Result<Vec<tokio_postgres::Row>> {
    let bound = resolve(&q.params, batch);
    let refs: Vec<&(dyn ToSql + Sync)> = bound
        .iter()
        .map(|b| match b {
            Bound::One(s) => s as &(dyn ToSql + Sync),
            Bound::Many(v) => v as &(dyn ToSql + Sync),
            Bound::Date(d) => d as &(dyn ToSql + Sync),
            Bound::Timestamptz(t) => t as &(dyn ToSql + Sync),
            Bound::Timestamp(t) => t as &(dyn ToSql + Sync),
        })
        .collect();
    client
        .query(&q.sql, &refs)
        .await
        .map_err(Error::db(context.to_owned()))
}

async fn run_one(
    client: &Client,
    q: &Query,
    batch: &Batch,
    context: &str,
) -> Result<tokio_postgres::Row> {
    run(client, q, batch, context)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| Error::Suite {
            suite: context.to_owned(),
            message: "an aggregate query returned no row".into(),
        })
}
