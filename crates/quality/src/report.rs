//! Results shaped like Great Expectations 1.x validation results, and the gate's verdict.
//!
//! This module measures and judges: what was observed for each expectation, whether it held,
//! and whether the gate passes. `ge_json` renders the same results as GE's JSON documents.

mod ge_json;

use chrono::NaiveDate;
use serde_json::Value;

use crate::suite::{Check, Expectation, Severity};

/// Why a result lists no unexpected values although it found some: the `"redacted"` field
/// of its GE `result`, and the reason its summary gives.
pub const REDACTED: &str = "personal column";

/// The batch being validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Batch {
    /// The logical day: the value of the suites' batch column, and what relative bounds are
    /// relative to.
    pub date: NaiveDate,
}

/// How a suite is executed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// One scan of the batch for all row-level expectations, one query per uniqueness check.
    #[default]
    SetBased,
    /// One query per expectation (for comparison).
    PerExpectation,
}

impl Strategy {
    /// `set-based` or `per-expectation`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SetBased => "set-based",
            Self::PerExpectation => "per-expectation",
        }
    }
}

/// What was measured for one expectation.
#[derive(Debug, Clone, PartialEq)]
pub enum Observed {
    /// A column-map expectation (every type but the row count).
    Map {
        /// Rows in the batch (GE's `element_count`).
        element_count: i64,
        /// Rows considered (GE's non-missing count); `None` for not-null, whose denominator
        /// is every row and which reports no missing figures.
        considered: Option<i64>,
        /// Unexpected rows.
        unexpected_count: i64,
        /// Up to 20 unexpected values (rows, for multi-column expectations); empty when
        /// `samples_withheld`.
        partial_unexpected_list: Vec<Value>,
        /// The expectation reads a personal column: its unexpected values were counted but
        /// never collected, and nothing reports them (the result says `"redacted"`).
        samples_withheld: bool,
    },
    /// The row-count expectation: GE reports only the observed value.
    RowCount {
        /// Rows in the batch.
        observed_value: i64,
    },
}

/// One expectation's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectationResult {
    /// The suite it belongs to.
    pub suite: String,
    /// The table validated (`schema.table`).
    pub table: String,
    /// The expectation as configured.
    pub expectation: Expectation,
    /// Whether it held.
    pub success: bool,
    /// What was measured.
    pub observed: Observed,
}

fn percent(part: i64, whole: i64) -> f64 {
    part as f64 / whole as f64 * 100.0
}

/// GE's `mostly` rule: the share of considered rows that hold is at least `mostly`
/// (inclusive); nothing to consider passes.
pub(crate) fn mostly_holds(considered: i64, unexpected: i64, mostly: f64) -> bool {
    considered == 0 || (considered - unexpected) as f64 / considered as f64 >= mostly
}

impl ExpectationResult {
    pub(crate) fn evaluate(
        suite: &str,
        table: &str,
        expectation: &Expectation,
        observed: Observed,
    ) -> Self {
        let success = match (&expectation.check, &observed) {
            (
                Check::RowCount {
                    min,
                    max,
                    strict_min,
                    strict_max,
                },
                Observed::RowCount { observed_value: n },
            ) => {
                let above = min.is_none_or(|m| if *strict_min { *n > m } else { *n >= m });
                let below = max.is_none_or(|m| if *strict_max { *n < m } else { *n <= m });
                above && below
            }
            (
                check,
                Observed::Map {
                    element_count,
                    considered,
                    unexpected_count,
                    ..
                },
            ) => {
                let mostly = check.mostly();
                *element_count == 0
                    || mostly_holds(
                        considered.unwrap_or(*element_count),
                        *unexpected_count,
                        mostly,
                    )
            }
            (_, Observed::RowCount { .. }) => false,
        };
        Self {
            suite: suite.to_owned(),
            table: table.to_owned(),
            expectation: expectation.clone(),
            success,
            observed,
        }
    }

    /// The column the expectation is about, if it has one.
    pub fn column(&self) -> Option<&str> {
        self.expectation.check.column()
    }

    /// The unexpected count (`None` for the row count).
    pub fn unexpected_count(&self) -> Option<i64> {
        match &self.observed {
            Observed::Map {
                unexpected_count, ..
            } => Some(*unexpected_count),
            Observed::RowCount { .. } => None,
        }
    }

    /// GE's `unexpected_percent`: of the considered rows (of all rows for not-null).
    pub fn unexpected_percent(&self) -> Option<f64> {
        match &self.observed {
            Observed::Map {
                element_count,
                considered,
                unexpected_count,
                ..
            } => {
                let whole = considered.unwrap_or(*element_count);
                (*element_count > 0 && whole > 0).then(|| percent(*unexpected_count, whole))
            }
            Observed::RowCount { .. } => None,
        }
    }

    /// GE's `missing_count` (rows not considered), where GE reports it.
    pub fn missing_count(&self) -> Option<i64> {
        match &self.observed {
            Observed::Map {
                element_count,
                considered: Some(c),
                ..
            } => Some(element_count - c),
            _ => None,
        }
    }

    /// One line for a human: type, column, what was unexpected, a few sample values.
    pub fn summary(&self) -> String {
        let e = &self.expectation;
        let target = match &e.check {
            Check::CompoundUnique { columns, .. } => format!("({})", columns.join(", ")),
            Check::PairGreater { a, b, .. } => format!("{a} > {b}"),
            check => check.column().unwrap_or("table").to_owned(),
        };
        let what = match &self.observed {
            Observed::RowCount { observed_value } => format!("observed row count {observed_value}"),
            Observed::Map {
                unexpected_count,
                samples_withheld: true,
                ..
            } => {
                let pct = self
                    .unexpected_percent()
                    .map_or("n/a".into(), |p| format!("{p:.3}%"));
                format!("{unexpected_count} unexpected ({pct}); samples withheld ({REDACTED})")
            }
            Observed::Map {
                unexpected_count,
                partial_unexpected_list,
                ..
            } => {
                let pct = self
                    .unexpected_percent()
                    .map_or("n/a".into(), |p| format!("{p:.3}%"));
                let samples: Vec<String> = partial_unexpected_list
                    .iter()
                    .take(5)
                    .map(|v| crate::clip::clip(&v.to_string()).to_string())
                    .collect();
                format!(
                    "{unexpected_count} unexpected ({pct}); e.g. [{}]",
                    samples.join(", ")
                )
            }
        };
        format!(
            "[{}] {}.{} {target}: {what}",
            e.severity,
            crate::clip::clip(&self.suite),
            e.expectation_type
        )
    }
}

/// One suite's results on one batch.
#[derive(Debug, Clone, PartialEq)]
pub struct SuiteReport {
    /// The suite's name.
    pub name: String,
    /// The table validated.
    pub table: String,
    /// Rows in the batch.
    pub row_count: i64,
    /// One result per expectation, in suite order.
    pub results: Vec<ExpectationResult>,
}

/// The outcome of validating a batch with one or more suites.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidationReport {
    /// The batch.
    pub batch: Batch,
    /// How it was executed.
    pub strategy: Strategy,
    /// Per suite, in the order given.
    pub suites: Vec<SuiteReport>,
}

impl ValidationReport {
    /// Every result of every suite.
    pub fn results(&self) -> impl Iterator<Item = &ExpectationResult> {
        self.suites.iter().flat_map(|s| s.results.iter())
    }

    /// GE's `success`: every expectation held, whatever its severity.
    pub fn success(&self) -> bool {
        self.results().all(|r| r.success)
    }

    /// The failed expectations whose severity is `critical`: the gate fails when any.
    pub fn critical_failures(&self) -> Vec<&ExpectationResult> {
        self.failures(Severity::Critical)
    }

    /// The failed expectations of one severity.
    pub fn failures(&self, severity: Severity) -> Vec<&ExpectationResult> {
        self.results()
            .filter(|r| !r.success && r.expectation.severity == severity)
            .collect()
    }

    /// Whether the quality gate passes (no critical failure).
    pub fn gate_passed(&self) -> bool {
        self.critical_failures().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mostly_is_inclusive_and_nothing_considered_passes() {
        assert!(mostly_holds(100, 5, 0.95));
        assert!(!mostly_holds(100, 5, 0.951));
        assert!(mostly_holds(0, 0, 1.0));
        assert!(!mostly_holds(1, 1, 0.0 + f64::EPSILON));
    }
}
