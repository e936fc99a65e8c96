//! What an expectation checks: its GE type and kwargs, typed ([`Check`]), and the bounds of
//! a range ([`Bound`]), literal or relative to the batch date.

use serde_json::Value;

use crate::expr::DateExpr;

/// A bound of `expect_column_values_to_be_between`: a literal or relative to the batch date.
#[derive(Debug, Clone, PartialEq)]
pub enum Bound {
    /// A number, or a string the column's type parses (a date, a timestamp, text).
    Literal(Value),
    /// `batch_date ± offset`.
    Relative(DateExpr),
}

/// What an expectation checks, with its kwargs typed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Check {
    /// `expect_column_values_to_not_be_null` (denominator: all rows).
    NotNull {
        /// Column.
        column: String,
        /// Fraction of rows that must hold.
        mostly: f64,
    },
    /// `expect_column_values_to_be_unique` (every member of a duplicated group is unexpected).
    Unique {
        /// Column.
        column: String,
        /// Fraction of non-null values that must hold.
        mostly: f64,
    },
    /// `expect_compound_columns_to_be_unique` (rows with every column null are ignored; rows
    /// with some null never match another row).
    CompoundUnique {
        /// Columns, unique together.
        columns: Vec<String>,
        /// Fraction of considered rows that must hold.
        mostly: f64,
    },
    /// `expect_column_values_to_be_in_set` / `expect_column_values_to_not_be_in_set`.
    InSet {
        /// Column.
        column: String,
        /// The set (nulls in it are ignored).
        values: Vec<Value>,
        /// `true` for the `not_be_in_set` form.
        negate: bool,
        /// Fraction of non-null values that must hold.
        mostly: f64,
    },
    /// `expect_column_values_to_be_between`.
    Between {
        /// Column.
        column: String,
        /// Lower bound, if any.
        min: Option<Bound>,
        /// Upper bound, if any.
        max: Option<Bound>,
        /// Lower bound excluded.
        strict_min: bool,
        /// Upper bound excluded.
        strict_max: bool,
        /// Fraction of non-null values that must hold.
        mostly: f64,
    },
    /// `expect_column_values_to_match_regex` / `expect_column_values_to_not_match_regex`
    /// (PostgreSQL `~` syntax, unanchored, as GE compiles it).
    Regex {
        /// Column.
        column: String,
        /// The pattern.
        regex: String,
        /// `true` for the `not_match` form.
        negate: bool,
        /// Fraction of non-null values that must hold.
        mostly: f64,
    },
    /// `expect_table_row_count_to_be_between` / `expect_table_row_count_to_equal`.
    RowCount {
        /// Lower bound, if any.
        min: Option<i64>,
        /// Upper bound, if any.
        max: Option<i64>,
        /// Lower bound excluded.
        strict_min: bool,
        /// Upper bound excluded.
        strict_max: bool,
    },
    /// `expect_column_pair_values_a_to_be_greater_than_b` (rows where either side is null
    /// are skipped).
    PairGreater {
        /// Column A.
        a: String,
        /// Column B.
        b: String,
        /// `A >= B` instead of `A > B`.
        or_equal: bool,
        /// Fraction of considered rows that must hold.
        mostly: f64,
    },
}

impl Check {
    /// The column the result is about, for single-column expectations (or column A).
    pub fn column(&self) -> Option<&str> {
        match self {
            Self::NotNull { column, .. }
            | Self::Unique { column, .. }
            | Self::InSet { column, .. }
            | Self::Between { column, .. }
            | Self::Regex { column, .. } => Some(column),
            Self::PairGreater { a, .. } => Some(a),
            Self::CompoundUnique { .. } | Self::RowCount { .. } => None,
        }
    }

    /// Every column the expectation reads (none for the row count).
    pub fn columns(&self) -> Vec<&str> {
        match self {
            Self::NotNull { column, .. }
            | Self::Unique { column, .. }
            | Self::InSet { column, .. }
            | Self::Between { column, .. }
            | Self::Regex { column, .. } => vec![column],
            Self::PairGreater { a, b, .. } => vec![a, b],
            Self::CompoundUnique { columns, .. } => columns.iter().map(String::as_str).collect(),
            Self::RowCount { .. } => Vec::new(),
        }
    }

    /// Its `mostly` (1 for the row count, which has none).
    pub fn mostly(&self) -> f64 {
        match self {
            Self::NotNull { mostly, .. }
            | Self::Unique { mostly, .. }
            | Self::CompoundUnique { mostly, .. }
            | Self::InSet { mostly, .. }
            | Self::Between { mostly, .. }
            | Self::Regex { mostly, .. }
            | Self::PairGreater { mostly, .. } => *mostly,
            Self::RowCount { .. } => 1.0,
        }
    }
}
