//! The values of a statement's `$n` for a batch (the batch date, relative bounds, literals),
//! and running a statement with them.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use tokio_postgres::{Client, types::ToSql};

use crate::{
    compile::{Param, Query},
    error::{Error, Result},
    report::Batch,
    schema::ColumnKind,
};

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

/// Runs `q` with its parameters resolved for `batch`; `context` names it in errors.
pub(super) async fn run(
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

/// [`run`] for an aggregate: its one row.
pub(super) async fn run_one(
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
