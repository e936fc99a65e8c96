//! The GE-shaped JSON of results: an expectation's `result` and `expectation_config`, its
//! whole `ExpectationValidationResult`, and the validation result of a batch with its
//! statistics.

use std::cmp::Ordering;

use serde_json::{Map, Value, json};

use super::{ExpectationResult, Observed, REDACTED, ValidationReport, percent};

impl ExpectationResult {
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
}
