//! One expectation checked against the table's schema, and the SQL fragments it compiles
//! to: the rows it considers, the condition of an unexpected row, its GROUP BY (uniqueness),
//! its sample query and its per-expectation query.

use retention_pgsql::quote_ident;
use serde_json::Value;

use super::{
    PARTIAL_UNEXPECTED_COUNT, Param, Query,
    builder::Builder,
    literal::{literal, set_cast},
};
use crate::{
    clip::clip,
    error::{Error, Result},
    schema::{ColumnKind, TableSchema},
    suite::{Bound, Check, Considered, Expectation, ExpectationType, Samples, Suite, label},
};

/// An expectation whose columns exist, with quoted names and the casts its values need.
pub(super) struct Checked<'a> {
    pub(super) check: &'a Check,
    /// What the registry says of its type: the rows it considers, how it is sampled.
    ty: &'static ExpectationType,
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
    pub(super) fn new(
        suite: &Suite,
        schema: &TableSchema,
        index: usize,
        e: &'a Expectation,
    ) -> Result<Self> {
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
        let ty = crate::suite::expectation_type(&e.expectation_type).ok_or_else(|| {
            err(format!(
                "unknown expectation type `{}`",
                clip(&e.expectation_type)
            ))
        })?;
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
            ty,
            cols,
            values,
            either_missing,
            personal: suite.is_personal(e),
            kind,
        })
    }

    /// Whether the check is a uniqueness check: its own GROUP BY gives its count and samples.
    pub(super) fn is_uniqueness(&self) -> bool {
        self.ty.samples == Samples::Grouped
    }

    /// The aggregate counting rows GE considers (non-missing); `None` when it is every row.
    pub(super) fn considered(&self) -> Option<String> {
        match self.ty.considered {
            Considered::AllRows => None,
            Considered::ColumnPresent => Some(format!("count({})", self.cols[0])),
            Considered::AnyColumnPresent => {
                Some(format!("count(*) FILTER (WHERE {})", self.any_present()))
            }
            Considered::PairPresent => {
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
    pub(super) fn unexpected(&self, b: &mut Builder) -> Option<String> {
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

    pub(super) fn sample(&self, from_where: &dyn Fn(&mut Builder) -> String) -> Option<Query> {
        if self.personal {
            return None;
        }
        let mut b = Builder::new();
        match self.ty.samples {
            // Not-null reports nulls, the row count reports nothing, and uniqueness checks
            // get their values from the same GROUP BY as their count.
            Samples::None | Samples::Grouped => None,
            Samples::Rows => {
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
    pub(super) fn duplicated(
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
    pub(super) fn single(&self, from_where: &dyn Fn(&mut Builder) -> String) -> Query {
        let mut b = Builder::new();
        let considered = self.considered().unwrap_or_else(|| "count(*)".into());
        if self.is_uniqueness() {
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
