//! The thin executor: fetch the schema, compile, run the statements, build the report.

use std::time::Instant;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::Value;
use tokio_postgres::{Client, types::ToSql};

use crate::{
    compile::{CompiledSuite, PARTIAL_UNEXPECTED_COUNT, Param, Query, compile},
    error::{Error, Result},
    report::{Batch, ExpectationResult, Observed, Strategy, SuiteReport, ValidationReport},
    schema::{ColumnKind, TableSchema},
    suite::{Check, Suite, label},
};

/// Validates `batch` with every suite, in order.
pub async fn validate(
    client: &Client,
    suites: &[Suite],
    batch: &Batch,
    strategy: Strategy,
) -> Result<ValidationReport> {
    let mut reports = Vec::with_capacity(suites.len());
    for suite in suites {
        reports.push(validate_suite(client, suite, batch, strategy).await?);
    }
    Ok(ValidationReport {
        batch: *batch,
        strategy,
        suites: reports,
    })
}

/// Reads the table's schema and compiles `suite` against it, checking its regexes on the
/// server (PostgreSQL's regex dialect is the one that will run them).
pub async fn prepare(client: &Client, suite: &Suite) -> Result<CompiledSuite> {
    let schema = TableSchema::fetch(client, &suite.table)
        .await?
        .ok_or_else(|| Error::Suite {
            suite: suite.source.clone(),
            message: format!("table {} does not exist", suite.table),
        })?;
    let compiled = compile(suite, &schema)?;
    for (i, e) in suite.expectations.iter().enumerate() {
        if let Check::Regex { regex, .. } = &e.check {
            if let Err(db) = client
                .query_one("SELECT ''::text ~ $1::text", &[regex])
                .await
            {
                return Err(Error::Expectation {
                    suite: suite.source.clone(),
                    expectation: label(i, &e.expectation_type),
                    message: format!(
                        "invalid regex `{regex}`: {}",
                        db.as_db_error()
                            .map_or(db.to_string(), |d| d.message().to_owned())
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
    let context = |what: &str| format!("suite {} on {}: {what}", suite.source, suite.table);
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
                        let values =
                            match row.try_get(1).map_err(Error::db(context("uniqueness")))? {
                                Value::Array(values) => values,
                                _ => Vec::new(),
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
                let partial_unexpected_list = if unexpected == 0 {
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
        suite = %suite.name,
        table = %table,
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
