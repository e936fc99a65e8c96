//! Results shaped like Great Expectations 1.x validation results, and the gate's verdict.

use std::cmp::Ordering;

use chrono::NaiveDate;
use serde_json::{Map, Value, json};

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
                let mostly = mostly_of(check);
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

    /// The `result` object GE gives this expectation type (SUMMARY format).
    pub fn result_json(&self) -> Value {
        match &self.observed {
            Observed::RowCount { observed_value } => json!({ "observed_value": observed_value }),
            Observed::Map {
                element_count,
                considered,
                unexpected_count,
                partial_unexpected_list,
                samples_withheld,
            } => {
                let (n, u) = (*element_count, *unexpected_count);
                let some = |v: f64| if n > 0 { json!(v) } else { Value::Null };
                let mut r = Map::new();
                r.insert("element_count".into(), json!(n));
                r.insert("unexpected_count".into(), json!(u));
                r.insert(
                    "unexpected_percent".into(),
                    self.unexpected_percent().map_or(Value::Null, |p| json!(p)),
                );
                r.insert(
                    "partial_unexpected_list".into(),
                    json!(partial_unexpected_list),
                );
                if let Some(c) = considered {
                    r.insert("missing_count".into(), json!(n - c));
                    r.insert("missing_percent".into(), some(percent(n - c, n.max(1))));
                    r.insert(
                        "unexpected_percent_total".into(),
                        some(percent(u, n.max(1))),
                    );
                    r.insert(
                        "unexpected_percent_nonmissing".into(),
                        if n > 0 && *c > 0 {
                            json!(percent(u, *c))
                        } else {
                            Value::Null
                        },
                    );
                }
                r.insert(
                    "partial_unexpected_counts".into(),
                    partial_counts(partial_unexpected_list),
                );
                if *samples_withheld {
                    r.insert("redacted".into(), json!(REDACTED));
                }
                Value::Object(r)
            }
        }
    }

    /// The GE `expectation_config` object.
    pub fn expectation_config(&self) -> Value {
        let e = &self.expectation;
        json!({
            "type": e.expectation_type,
            "kwargs": e.kwargs,
            "meta": e.meta,
            "id": e.id,
            "severity": e.severity.as_str(),
        })
    }

    /// The whole GE `ExpectationValidationResult` object (plus the suite's name).
    pub fn to_ge_json(&self) -> Value {
        json!({
            "success": self.success,
            "expectation_config": self.expectation_config(),
            "result": self.result_json(),
            "meta": {},
            "exception_info": {
                "raised_exception": false,
                "exception_traceback": null,
                "exception_message": null,
            },
            "suite_name": self.suite,
        })
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

fn mostly_of(check: &Check) -> f64 {
    match check {
        Check::NotNull { mostly, .. }
        | Check::Unique { mostly, .. }
        | Check::CompoundUnique { mostly, .. }
        | Check::InSet { mostly, .. }
        | Check::Between { mostly, .. }
        | Check::Regex { mostly, .. }
        | Check::PairGreater { mostly, .. } => *mostly,
        Check::RowCount { .. } => 1.0,
    }
}

/// GE's `partial_unexpected_counts`: distinct values of the partial list by count, most
/// frequent first, ties in value order; objects are reported as the list of their values.
fn partial_counts(list: &[Value]) -> Value {
    let mut counts: Vec<(Value, u64)> = Vec::new();
    for v in list {
        let key = match v {
            Value::Object(m) => Value::Array(m.values().cloned().collect()),
            other => other.clone(),
        };
        match counts.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => *n += 1,
            None => counts.push((key, 1)),
        }
    }
    counts.sort_by(|(a, na), (b, nb)| nb.cmp(na).then_with(|| cmp_values(a, b)));
    Value::Array(
        counts
            .into_iter()
            .map(|(value, count)| json!({"value": value, "count": count}))
            .collect(),
    )
}

fn cmp_values(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Array(x), Value::Array(y)) => x
            .iter()
            .zip(y)
            .map(|(p, q)| cmp_values(p, q))
            .find(|o| o.is_ne())
            .unwrap_or_else(|| x.len().cmp(&y.len())),
        _ => a.to_string().cmp(&b.to_string()),
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

fn statistics<'a>(results: impl Iterator<Item = &'a ExpectationResult>) -> Value {
    let (mut evaluated, mut successful) = (0u64, 0u64);
    for r in results {
        evaluated += 1;
        successful += u64::from(r.success);
    }
    json!({
        "evaluated_expectations": evaluated,
        "successful_expectations": successful,
        "unsuccessful_expectations": evaluated - successful,
        "success_percent": if evaluated > 0 { json!(successful as f64 / evaluated as f64 * 100.0) } else { Value::Null },
    })
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

    /// The GE-shaped validation result: `success`, `statistics`, `results` (every suite's), and
    /// in `meta` the batch, the strategy and each suite's own success and statistics.
    pub fn to_ge_json(&self) -> Value {
        let suites: Vec<Value> = self
            .suites
            .iter()
            .map(|s| {
                json!({
                    "suite_name": s.name,
                    "table": s.table,
                    "row_count": s.row_count,
                    "success": s.results.iter().all(|r| r.success),
                    "statistics": statistics(s.results.iter()),
                })
            })
            .collect();
        json!({
            "success": self.success(),
            "statistics": statistics(self.results()),
            "results": self.results().map(ExpectationResult::to_ge_json).collect::<Vec<_>>(),
            "meta": {
                "batch_date": self.batch.date.to_string(),
                "strategy": self.strategy.as_str(),
                "gate_passed": self.gate_passed(),
                "suites": suites,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_counts_are_by_count_then_value_like_ge() {
        let list = [
            json!("b"),
            json!("a"),
            json!("b"),
            json!("c"),
            json!("a"),
            json!("z"),
        ];
        assert_eq!(
            partial_counts(&list),
            json!([{"value": "a", "count": 2}, {"value": "b", "count": 2}, {"value": "c", "count": 1}, {"value": "z", "count": 1}])
        );
        let rows = [json!({"c": "x", "d": 1}), json!({"c": "x", "d": 1})];
        assert_eq!(
            partial_counts(&rows),
            json!([{"value": ["x", 1], "count": 2}])
        );
    }

    #[test]
    fn mostly_is_inclusive_and_nothing_considered_passes() {
        assert!(mostly_holds(100, 5, 0.95));
        assert!(!mostly_holds(100, 5, 0.951));
        assert!(mostly_holds(0, 0, 1.0));
        assert!(!mostly_holds(1, 1, 0.0 + f64::EPSILON));
    }
}
