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
//! its GROUP BY returns only the count: its values are never selected.

use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use retention_pgsql::{quote_ident, quote_qualified};
use serde_json::Value;

use crate::{
    clip::clip,
    error::{Error, Result},
    expr::DateExpr,
    schema::{ColumnKind, TableSchema},
    suite::{Bound, Check, Expectation, Suite, label},
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

/// A statement under construction: numbers parameters as they are added.
struct Builder {
    params: Vec<Param>,
    /// Each parameter's cast and its SQL text, to reuse `$n` for an equal value.
    rendered: Vec<(&'static str, String)>,
}

impl Builder {
    fn new() -> Self {
        Self {
            params: Vec::new(),
            rendered: Vec::new(),
        }
    }

    /// The SQL text of value `p` cast to `cast`. An equal value with the same cast reuses its
    /// `$n`, so that a strict and a tolerant expectation on the same column compile to the
    /// same aggregate, which PostgreSQL computes once.
    fn param(&mut self, p: Param, cast: &'static str) -> String {
        if let Some(i) =
            (0..self.params.len()).find(|&i| self.params[i] == p && self.rendered[i].0 == cast)
        {
            return self.rendered[i].1.clone();
        }
        let typed = matches!(p, Param::BatchDate(_) | Param::Relative(..));
        let array = matches!(p, Param::TextArray(_));
        self.params.push(p);
        let n = self.params.len();
        // Text to date/timestamp casts are only stable (they read DateStyle and TimeZone), so
        // PostgreSQL would redo them for every row: a scalar subquery makes them an InitPlan,
        // computed once. Values Rust computes (batch dates, relative bounds) are bound typed.
        let once = matches!(cast, "date" | "timestamptz" | "timestamp");
        let text = match (typed, array, cast, once) {
            (true, _, _, _) => format!("${n}::{cast}"),
            (false, true, "text", _) => format!("${n}::text[]"),
            (false, true, _, true) => format!("(SELECT (${n}::text[])::{cast}[])"),
            (false, true, _, false) => format!("(${n}::text[])::{cast}[]"),
            (false, false, "text", _) => format!("${n}::text"),
            (false, false, _, true) => format!("(SELECT (${n}::text)::{cast})"),
            (false, false, _, false) => format!("(${n}::text)::{cast}"),
        };
        self.rendered.push((cast, text.clone()));
        text
    }

    fn finish(self, sql: String) -> Query {
        Query {
            sql,
            params: self.params,
        }
    }
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
        if !c.check.is_uniqueness() {
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
        if c.check.is_uniqueness() {
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

/// An expectation whose columns exist, with quoted names and the casts its values need.
struct Checked<'a> {
    check: &'a Check,
    /// Quoted column names: the column, `[A, B]` for pairs, the list for compound keys.
    cols: Vec<String>,
    /// Cast and literal text of each value (set members, bounds, regex).
    values: Vec<(Param, &'static str)>,
    /// For pairs: whether a row with one null side is ignored (`either_value_is_missing`).
    either_missing: bool,
    /// It reads a personal column: its values are counted, never selected.
    personal: bool,
    /// The first column's kind (values of `Other` columns compare as text).
    kind: Option<ColumnKind>,
}

impl<'a> Checked<'a> {
    fn new(suite: &Suite, schema: &TableSchema, index: usize, e: &'a Expectation) -> Result<Self> {
        let err = |message: String| Error::Expectation {
            suite: suite.source.clone(),
            expectation: label(index, &e.expectation_type),
            message,
        };
        let col = |name: &str| {
            schema.column(name).ok_or_else(|| {
                err(format!(
                    "column `{}` does not exist in {}",
                    clip(name),
                    schema.table
                ))
            })
        };
        let mut cols = Vec::new();
        let mut values = Vec::new();
        let mut either_missing = false;
        let kind = e
            .check
            .column()
            .and_then(|c| schema.column(c))
            .map(|c| c.kind);
        match &e.check {
            Check::NotNull { column, .. } | Check::Unique { column, .. } => {
                cols.push(quote_ident(&col(column)?.name))
            }
            Check::CompoundUnique { columns, .. } => {
                for c in columns {
                    cols.push(quote_ident(&col(c)?.name));
                }
            }
            Check::InSet {
                column,
                values: set,
                ..
            } => {
                let c = col(column)?;
                cols.push(quote_ident(&c.name));
                let mut texts = Vec::with_capacity(set.len());
                let mut cast = set_cast(c.kind);
                for v in set {
                    let (text, value_cast) =
                        literal(c.kind, v).map_err(|m| err(format!("value_set: {m}")))?;
                    if value_cast == "numeric" {
                        cast = "numeric";
                    }
                    texts.push(text);
                }
                values.push((Param::TextArray(texts), cast));
            }
            Check::Between {
                column, min, max, ..
            } => {
                let c = col(column)?;
                if c.kind == ColumnKind::Other || c.kind == ColumnKind::Bool {
                    return Err(err(format!(
                        "column `{column}` is {}: no range comparison",
                        c.declared_type
                    )));
                }
                cols.push(quote_ident(&c.name));
                for (key, bound) in [("min_value", min), ("max_value", max)] {
                    let Some(bound) = bound else { continue };
                    let v = match bound {
                        Bound::Literal(v) => {
                            let (text, cast) =
                                literal(c.kind, v).map_err(|m| err(format!("{key}: {m}")))?;
                            (Param::Text(text), cast)
                        }
                        Bound::Relative(expr) => match c.kind {
                            ColumnKind::Date | ColumnKind::Text if expr.is_whole_days() => {
                                (Param::Relative(*expr, c.kind), set_cast(c.kind))
                            }
                            ColumnKind::Timestamptz | ColumnKind::Timestamp => {
                                (Param::Relative(*expr, c.kind), set_cast(c.kind))
                            }
                            _ => {
                                return Err(err(format!(
                                    "{key}: `{expr}` needs a date or timestamp column (whole days for dates), and `{column}` is {}",
                                    c.declared_type
                                )));
                            }
                        },
                    };
                    values.push(v);
                }
            }
            Check::Regex { column, regex, .. } => {
                cols.push(quote_ident(&col(column)?.name));
                values.push((Param::Text(regex.clone()), "text"));
            }
            Check::RowCount { .. } => {}
            Check::PairGreater { a, b, .. } => {
                let (ca, cb) = (col(a)?, col(b)?);
                cols.push(quote_ident(&ca.name));
                cols.push(quote_ident(&cb.name));
                either_missing = e.kwargs.get("ignore_row_if").and_then(Value::as_str)
                    == Some("either_value_is_missing");
            }
        }
        Ok(Self {
            check: &e.check,
            cols,
            values,
            either_missing,
            personal: suite.is_personal(e),
            kind,
        })
    }

    /// The aggregate counting rows GE considers (non-missing); `None` when it is every row.
    fn considered(&self) -> Option<String> {
        match self.check {
            Check::NotNull { .. } | Check::RowCount { .. } => None,
            Check::Unique { .. }
            | Check::InSet { .. }
            | Check::Between { .. }
            | Check::Regex { .. } => Some(format!("count({})", self.cols[0])),
            Check::CompoundUnique { .. } => {
                Some(format!("count(*) FILTER (WHERE {})", self.any_present()))
            }
            Check::PairGreater { .. } => {
                let join = if self.either_missing { " AND " } else { " OR " };
                let present: Vec<String> = self
                    .cols
                    .iter()
                    .map(|c| format!("{c} IS NOT NULL"))
                    .collect();
                Some(format!("count(*) FILTER (WHERE {})", present.join(join)))
            }
        }
    }

    fn any_present(&self) -> String {
        let present: Vec<String> = self
            .cols
            .iter()
            .map(|c| format!("{c} IS NOT NULL"))
            .collect();
        present.join(" OR ")
    }

    /// The row-level condition of an unexpected row. It is NULL (so not counted) whenever
    /// the value is null, which is how GE leaves nulls out of value expectations.
    fn unexpected(&self, b: &mut Builder) -> Option<String> {
        let c = self.cols.first();
        let mut value = |i: usize| {
            let (p, cast) = &self.values[i];
            b.param(p.clone(), cast)
        };
        Some(match self.check {
            Check::NotNull { .. } => format!("{} IS NULL", c?),
            Check::InSet { negate, .. } => {
                let set = value(0);
                let lhs = if self.kind == Some(ColumnKind::Other) {
                    format!("{}::text", c?)
                } else {
                    c?.clone()
                };
                if *negate {
                    format!("{lhs} = ANY({set})")
                } else {
                    format!("{lhs} <> ALL({set})")
                }
            }
            Check::Between {
                min,
                max,
                strict_min,
                strict_max,
                ..
            } => {
                let mut parts = Vec::new();
                let mut i = 0;
                if min.is_some() {
                    parts.push(format!(
                        "{} {} {}",
                        c?,
                        if *strict_min { "<=" } else { "<" },
                        value(i)
                    ));
                    i += 1;
                }
                if max.is_some() {
                    parts.push(format!(
                        "{} {} {}",
                        c?,
                        if *strict_max { ">=" } else { ">" },
                        value(i)
                    ));
                }
                format!("({})", parts.join(" OR "))
            }
            Check::Regex { negate, .. } => {
                let re = value(0);
                if *negate {
                    format!("{}::text ~ {re}", c?)
                } else {
                    format!("NOT ({}::text ~ {re})", c?)
                }
            }
            Check::PairGreater { or_equal, .. } => {
                format!(
                    "NOT ({} {} {})",
                    self.cols[0],
                    if *or_equal { ">=" } else { ">" },
                    self.cols[1]
                )
            }
            Check::RowCount { .. } | Check::Unique { .. } | Check::CompoundUnique { .. } => {
                return None;
            }
        })
    }

    fn key_list(&self) -> String {
        self.cols.join(", ")
    }

    /// `from_where` narrowed to rows whose key has no null (those never count as duplicates).
    fn duplicated_filter(&self, from_where: &str) -> String {
        let not_null: Vec<String> = self
            .cols
            .iter()
            .map(|c| format!("{c} IS NOT NULL"))
            .collect();
        let joiner = if from_where.contains("\nWHERE ") {
            " AND "
        } else {
            "\nWHERE "
        };
        format!(
            "{}{joiner}{}",
            from_where.replace('\n', "\n      "),
            not_null.join(" AND ")
        )
    }

    /// How GE reports one unexpected row of this expectation.
    fn reported(&self, b: &mut Builder) -> String {
        match self.check {
            Check::CompoundUnique { columns, .. } => {
                let pairs: Vec<String> = columns
                    .iter()
                    .zip(&self.cols)
                    .map(|(name, quoted)| {
                        format!("{}, {quoted}", b.param(Param::Text(name.clone()), "text"))
                    })
                    .collect();
                format!("jsonb_build_object({})", pairs.join(", "))
            }
            Check::PairGreater { .. } => {
                format!("jsonb_build_array({}, {})", self.cols[0], self.cols[1])
            }
            _ => format!("to_jsonb({})", self.cols[0]),
        }
    }

    fn sample(&self, from_where: &dyn Fn(&mut Builder) -> String) -> Option<Query> {
        if self.personal {
            return None;
        }
        let mut b = Builder::new();
        match self.check {
            // Not-null reports nulls, the row count reports nothing, and uniqueness checks
            // get their values from the same GROUP BY as their count.
            Check::NotNull { .. }
            | Check::RowCount { .. }
            | Check::Unique { .. }
            | Check::CompoundUnique { .. } => None,
            _ => {
                let reported = self.reported(&mut b);
                let fw = from_where(&mut b);
                let cond = self.unexpected(&mut b)?;
                let joiner = if fw.contains("\nWHERE ") {
                    "\n  AND "
                } else {
                    "\nWHERE "
                };
                Some(b.finish(format!(
                    "SELECT {reported}\n{fw}{joiner}{cond}\nLIMIT {PARTIAL_UNEXPECTED_COUNT}"
                )))
            }
        }
    }

    /// For uniqueness checks: a `WITH duplicated AS (…)` grouping the batch by the key, and
    /// the expressions of the unexpected count and of up to 20 unexpected values over it
    /// (none for a personal column).
    fn duplicated(
        &self,
        b: &mut Builder,
        from_where: &dyn Fn(&mut Builder) -> String,
    ) -> (String, String, Option<String>) {
        let reported = (!self.personal).then(|| self.reported(b));
        let fw = from_where(b);
        let key = self.key_list();
        let with = format!(
            "WITH duplicated AS (\n    SELECT {key}, count(*) AS n\n    {}\n    GROUP BY {key}\n    HAVING count(*) > 1)",
            self.duplicated_filter(&fw).replace("\n      ", "\n    "),
        );
        let unexpected = "(SELECT coalesce(sum(n), 0)::bigint FROM duplicated)".to_owned();
        let samples = reported.map(|reported| format!(
            "(SELECT coalesce(jsonb_agg(v), '[]')\n        FROM (SELECT {reported} AS v\n              FROM duplicated CROSS JOIN generate_series(1, n)\n              LIMIT {PARTIAL_UNEXPECTED_COUNT}) AS members)"
        ));
        (with, unexpected, samples)
    }

    /// The per-expectation strategy's query: `(row_count, considered, unexpected)`, plus the
    /// samples for uniqueness checks (which come with the grouping anyway).
    fn single(&self, from_where: &dyn Fn(&mut Builder) -> String) -> Query {
        let mut b = Builder::new();
        let considered = self.considered().unwrap_or_else(|| "count(*)".into());
        if self.check.is_uniqueness() {
            let (with, unexpected, samples) = self.duplicated(&mut b, from_where);
            let fw = from_where(&mut b);
            let samples = samples.map_or(String::new(), |s| format!(",\n       {s} AS samples"));
            return b.finish(format!(
                "{with}\nSELECT count(*) AS row_count,\n       {considered} AS considered,\n       {unexpected} AS unexpected{samples}\n{fw}"
            ));
        }
        let unexpected = match self.unexpected(&mut b) {
            Some(cond) => format!("count(*) FILTER (WHERE {cond})"),
            None => "NULL::bigint".into(),
        };
        let fw = from_where(&mut b);
        b.finish(format!(
            "SELECT count(*) AS row_count,\n       {considered} AS considered,\n       {unexpected} AS unexpected\n{fw}"
        ))
    }
}

/// The type bound values are cast to for a column of `kind`.
fn set_cast(kind: ColumnKind) -> &'static str {
    match kind {
        ColumnKind::Integer => "bigint",
        ColumnKind::Numeric => "numeric",
        ColumnKind::Float => "double precision",
        ColumnKind::Date => "date",
        ColumnKind::Timestamptz => "timestamptz",
        ColumnKind::Timestamp => "timestamp",
        ColumnKind::Bool => "boolean",
        ColumnKind::Text | ColumnKind::Other => "text",
    }
}

/// A literal's text and cast for a column of `kind`, refusing what the type cannot parse (so
/// the error names the expectation instead of failing the whole scan).
fn literal(kind: ColumnKind, v: &Value) -> std::result::Result<(String, &'static str), String> {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => return Err(format!("{} is not a scalar", crate::suite::shown(other))),
    };
    let bad = || Err(format!("`{}` is not a valid {kind:?} value", clip(&text)));
    let cast = match kind {
        ColumnKind::Integer => {
            if text.parse::<i64>().is_ok() {
                "bigint"
            } else if text.parse::<f64>().is_ok_and(f64::is_finite) {
                "numeric"
            } else {
                return bad();
            }
        }
        ColumnKind::Numeric | ColumnKind::Float => {
            if !text.parse::<f64>().is_ok_and(f64::is_finite) {
                return bad();
            }
            set_cast(kind)
        }
        ColumnKind::Date => {
            if text.parse::<NaiveDate>().is_err() {
                return bad();
            }
            "date"
        }
        ColumnKind::Timestamptz | ColumnKind::Timestamp => {
            let ok = DateTime::parse_from_rfc3339(&text).is_ok()
                || DateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S%#z").is_ok()
                || NaiveDateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S").is_ok()
                || NaiveDateTime::parse_from_str(&text, "%Y-%m-%dT%H:%M:%S").is_ok()
                || text.parse::<NaiveDate>().is_ok();
            if !ok {
                return bad();
            }
            set_cast(kind)
        }
        ColumnKind::Bool => {
            if text != "true" && text != "false" {
                return bad();
            }
            "boolean"
        }
        ColumnKind::Text | ColumnKind::Other => "text",
    };
    Ok((text, cast))
}
