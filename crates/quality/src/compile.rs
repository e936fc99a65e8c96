//! The pure core: a suite and its table's schema in, SQL text and parameter descriptions
//! out. Identifiers are checked against the schema and quoted; every value (set members,
//! bounds, regexes, the batch date) becomes a `$n::text` parameter cast to the column's
//! comparison type, so nothing from a suite is ever spliced into SQL as a literal.
//!
//! ```text
//! set-based:       1 scan  ── count(*) FILTER (WHERE <unexpected_i>) for every row-level i
//!                  + 1 GROUP BY per uniqueness check (count and samples together)
//!                  + 1 sample query (LIMIT 20) per expectation that found unexpected values
//! per-expectation: 1 query per expectation (row count, considered, unexpected)
//! ```
//!
//! An expectation on a personal column ([`Suite::is_personal`]) gets no sample query and
//!
//! This module holds what a compiled suite is and [`compile`] itself; `checked` turns each
//! expectation into its SQL fragments, `builder` numbers the bound values of a statement, and
//! `literal` checks the values a suite gives against their column's type.

mod builder;
mod checked;
mod literal;

use std::fmt::Write as _;

use retention_pgsql::{quote_ident, quote_qualified};

use self::{builder::Builder, checked::Checked};
use crate::{
    clip::clip,
    error::{Error, Result},
    expr::DateExpr,
    schema::{ColumnKind, TableSchema},
    suite::Suite,
};

/// The most unexpected values reported per expectation (GE's `partial_unexpected_count`).
pub const PARTIAL_UNEXPECTED_COUNT: usize = 20;

/// A value bound to a query, resolved against the batch when the query runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    /// The batch date, bound as a `date` (as `YYYY-MM-DD` text for a text batch column).
    BatchDate(ColumnKind),
    /// A literal, already in the text form its cast parses.
    Text(String),
    /// A list of literals.
    TextArray(Vec<String>),
    /// A bound relative to the batch date, bound typed for a column of this kind (`date`,
    /// `timestamptz` at UTC, `timestamp`; text `YYYY-MM-DD` for text columns).
    Relative(DateExpr, ColumnKind),
}

/// One SQL statement and the values of its `$1..$n`.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The statement.
    pub sql: String,
    /// Its parameters, in order.
    pub params: Vec<Param>,
}

/// Where an expectation's figures come from in the set-based scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// Output column holding the rows considered (GE's non-missing count); `None` means all rows.
    pub considered: Option<usize>,
    /// Output column holding the unexpected count; `None` for the row-count expectation and
    /// for uniqueness checks (their count comes from [`CompiledSuite::uniqueness`]).
    pub unexpected: Option<usize>,
}

/// A suite compiled for one table.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledSuite {
    /// The one scan of the batch: column 0 is `count(*)`, then the columns [`Slot`]s name.
    pub scan: Query,
    /// One slot per expectation, in suite order.
    pub slots: Vec<Slot>,
    /// Per uniqueness check (by expectation index): one GROUP BY returning its unexpected
    /// count and up to 20 unexpected values (each duplicated value once per row, as GE lists
    /// them) as a `jsonb` array, so the set-based strategy needs no sample query for it. On
    /// a personal column, only the count.
    pub uniqueness: Vec<(usize, Query)>,
    /// Per expectation: a query returning up to 20 unexpected values as `jsonb` (`None` for
    /// not-null, which reports nulls, the row count, which reports none, and uniqueness
    /// checks, whose values come with their count, and expectations on personal columns).
    pub samples: Vec<Option<Query>>,
    /// Per expectation: one query returning `(row_count, considered, unexpected)` (and, for
    /// uniqueness checks not on a personal column, a fourth column with the samples).
    pub per_expectation: Vec<Query>,
}

/// Compiles `suite` against its table's `schema`: checks every column and value, and builds
/// all the statements either strategy needs.
pub fn compile(suite: &Suite, schema: &TableSchema) -> Result<CompiledSuite> {
    let suite_err = |message: String| Error::Suite {
        suite: suite.source.clone(),
        message,
    };
    let table = quote_qualified(&schema.table.schema, &schema.table.name);
    let batch_column = match &suite.batch {
        None => None,
        Some(b) => {
            let col = schema.column(&b.column).ok_or_else(|| {
                suite_err(format!(
                    "batch column `{}` does not exist in {}",
                    clip(&b.column),
                    schema.table
                ))
            })?;
            let cast = match col.kind {
                ColumnKind::Date => "date",
                ColumnKind::Text => "text",
                _ => {
                    return Err(suite_err(format!(
                        "batch column `{}` is {}; it must be a date (or text holding YYYY-MM-DD)",
                        b.column, col.declared_type
                    )));
                }
            };
            Some((quote_ident(&col.name), cast, col.kind))
        }
    };
    let from_where = |b: &mut Builder| match &batch_column {
        None => format!("FROM {table}"),
        Some((col, cast, kind)) => {
            let p = b.param(Param::BatchDate(*kind), cast);
            format!("FROM {table}\nWHERE {col} = {p}")
        }
    };
    // A misspelt personal column would silently let its values through.
    for c in &suite.personal_columns {
        if schema.column(c).is_none() {
            return Err(suite_err(format!(
                "personal column `{}` does not exist in {}",
                clip(c),
                schema.table
            )));
        }
    }
    let checked: Vec<Checked<'_>> = suite
        .expectations
        .iter()
        .enumerate()
        .map(|(i, e)| Checked::new(suite, schema, i, e))
        .collect::<Result<_>>()?;

    let mut scan = Builder::new();
    let mut scan_where = from_where(&mut scan);
    let mut select = String::from("SELECT count(*) AS row_count");
    let mut slots = Vec::with_capacity(checked.len());
    let mut next = 1;
    for (i, c) in checked.iter().enumerate() {
        let mut slot = Slot {
            considered: None,
            unexpected: None,
        };
        if let Some(considered) = c.considered() {
            write!(select, ",\n       {considered} AS e{}_considered", i + 1).ok();
            slot.considered = Some(next);
            next += 1;
        }
        if !c.is_uniqueness() {
            if let Some(cond) = c.unexpected(&mut scan) {
                write!(
                    select,
                    ",\n       count(*) FILTER (WHERE {cond}) AS e{}_unexpected",
                    i + 1
                )
                .ok();
                slot.unexpected = Some(next);
                next += 1;
            }
        }
        slots.push(slot);
    }
    scan_where.insert(0, '\n');
    let scan = scan.finish(select + &scan_where);

    let mut uniqueness = Vec::new();
    let mut samples = Vec::with_capacity(checked.len());
    let mut per_expectation = Vec::with_capacity(checked.len());
    for (i, c) in checked.iter().enumerate() {
        if c.is_uniqueness() {
            let mut b = Builder::new();
            let (with, unexpected, samples) = c.duplicated(&mut b, &from_where);
            let sql = match samples {
                Some(samples) => format!(
                    "{with}\nSELECT {unexpected} AS unexpected,\n       {samples} AS samples"
                ),
                None => format!("{with}\nSELECT {unexpected} AS unexpected"),
            };
            uniqueness.push((i, b.finish(sql)));
        }
        samples.push(c.sample(&from_where));
        per_expectation.push(c.single(&from_where));
    }
    Ok(CompiledSuite {
        scan,
        slots,
        uniqueness,
        samples,
        per_expectation,
    })
}
