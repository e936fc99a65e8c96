//! Running one suite on the batch with a strategy (one scan, or one query per expectation)
//! and turning the figures into GE results, fetching unexpected samples where they are needed
//! and allowed.

use std::time::Instant;

use serde_json::Value;
use tokio_postgres::Client;

use super::{
    bind::{run, run_one},
    prepare,
};
use crate::{
    clip::clip,
    compile::{PARTIAL_UNEXPECTED_COUNT, Query},
    error::{Error, Result},
    report::{Batch, ExpectationResult, Observed, Strategy, SuiteReport},
    suite::{Check, Suite},
};

/// Validates `batch` with one suite, inside the caller's validation transaction.
pub(super) async fn validate_suite(
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
