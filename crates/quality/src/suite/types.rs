//! Every expectation type the engine supports, registered once: its GE name, the kwargs it
//! takes, whether it has `mostly`, which rows GE counts it over, how its unexpected values are
//! sampled, and how its kwargs become a [`Check`]. The parser, the compiler, the fuzz test and
//! the crate documentation's list all read [`EXPECTATION_TYPES`]; what stays per type is its
//! [`Check`] variant and its SQL (`compile/checked.rs`: its columns against the table, the
//! condition of an unexpected row). See `docs/add-an-expectation-type.md`.

use serde_json::Value;

use super::{
    Check,
    expectation::{KwResult, Kwargs},
    shown,
};
use crate::clip::clip;

/// Which rows an expectation is evaluated over: its `element_count` less GE's `missing_count`,
/// the denominator of `unexpected_percent` and of `mostly`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Considered {
    /// Every row of the batch (not-null, and the row count).
    AllRows,
    /// The rows where its column is not null (value expectations).
    ColumnPresent,
    /// The rows where any column of the key is not null (compound uniqueness).
    AnyColumnPresent,
    /// The rows of a pair that `ignore_row_if` does not skip (both sides missing, or either).
    PairPresent,
}

/// How an expectation's unexpected values reach `partial_unexpected_list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Samples {
    /// None are reported (not-null reports nulls; the row count reports only its value).
    None,
    /// A query for up to 20 unexpected rows.
    Rows,
    /// The members of duplicated groups, from the uniqueness check's own `GROUP BY`.
    Grouped,
}

/// One supported expectation type.
#[derive(Clone, Copy)]
pub struct ExpectationType {
    /// The GE 1.x name, e.g. `expect_column_values_to_not_be_null`.
    pub name: &'static str,
    /// The kwargs it takes besides `mostly` (any other is refused, except those GE passes
    /// to every expectation: `result_format`, `catch_exceptions`, `include_config`,
    /// `batch_id`).
    pub kwargs: &'static [&'static str],
    /// Whether it takes `mostly` (from 0 to 1, default 1).
    pub mostly: bool,
    /// The rows it is evaluated over.
    pub considered: Considered,
    /// How its unexpected values are sampled.
    pub samples: Samples,
    parse: fn(&mut Kwargs<'_>, &str) -> KwResult<Check>,
}

impl std::fmt::Debug for ExpectationType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExpectationType")
            .field("name", &self.name)
            .field("kwargs", &self.kwargs)
            .field("mostly", &self.mostly)
            .field("considered", &self.considered)
            .field("samples", &self.samples)
            .finish_non_exhaustive()
    }
}

impl ExpectationType {
    /// Whether `key` is one of its kwargs.
    pub fn takes(&self, key: &str) -> bool {
        self.kwargs.contains(&key) || (self.mostly && key == "mostly")
    }

    pub(super) fn parse(&self, kwargs: &mut Kwargs<'_>) -> KwResult<Check> {
        (self.parse)(kwargs, self.name)
    }
}

/// The registered type of this name, if the engine supports it.
pub fn expectation_type(name: &str) -> Option<&'static ExpectationType> {
    EXPECTATION_TYPES.iter().find(|t| t.name == name)
}

const RANGE: &[&str] = &["min_value", "max_value", "strict_min", "strict_max"];

/// Every expectation type the engine supports.
pub const EXPECTATION_TYPES: &[ExpectationType] = &[
    ExpectationType {
        name: "expect_column_values_to_not_be_null",
        kwargs: &["column"],
        mostly: true,
        considered: Considered::AllRows,
        samples: Samples::None,
        parse: |k, _| {
            Ok(Check::NotNull {
                column: k.string("column")?,
                mostly: k.mostly()?,
            })
        },
    },
    ExpectationType {
        name: "expect_column_values_to_be_unique",
        kwargs: &["column"],
        mostly: true,
        considered: Considered::ColumnPresent,
        samples: Samples::Grouped,
        parse: |k, _| {
            Ok(Check::Unique {
                column: k.string("column")?,
                mostly: k.mostly()?,
            })
        },
    },
    ExpectationType {
        name: "expect_compound_columns_to_be_unique",
        kwargs: &["column_list", "ignore_row_if"],
        mostly: true,
        considered: Considered::AnyColumnPresent,
        samples: Samples::Grouped,
        parse: compound_unique,
    },
    ExpectationType {
        name: "expect_column_values_to_be_in_set",
        kwargs: &["column", "value_set"],
        mostly: true,
        considered: Considered::ColumnPresent,
        samples: Samples::Rows,
        parse: in_set,
    },
    ExpectationType {
        name: "expect_column_values_to_not_be_in_set",
        kwargs: &["column", "value_set"],
        mostly: true,
        considered: Considered::ColumnPresent,
        samples: Samples::Rows,
        parse: in_set,
    },
    ExpectationType {
        name: "expect_column_values_to_be_between",
        kwargs: &[
            "column",
            "min_value",
            "max_value",
            "strict_min",
            "strict_max",
        ],
        mostly: true,
        considered: Considered::ColumnPresent,
        samples: Samples::Rows,
        parse: between,
    },
    ExpectationType {
        name: "expect_column_values_to_match_regex",
        kwargs: &["column", "regex"],
        mostly: true,
        considered: Considered::ColumnPresent,
        samples: Samples::Rows,
        parse: regex,
    },
    ExpectationType {
        name: "expect_column_values_to_not_match_regex",
        kwargs: &["column", "regex"],
        mostly: true,
        considered: Considered::ColumnPresent,
        samples: Samples::Rows,
        parse: regex,
    },
    ExpectationType {
        name: "expect_table_row_count_to_be_between",
        kwargs: RANGE,
        mostly: false,
        considered: Considered::AllRows,
        samples: Samples::None,
        parse: row_count_between,
    },
    ExpectationType {
        name: "expect_table_row_count_to_equal",
        kwargs: &["value"],
        mostly: false,
        considered: Considered::AllRows,
        samples: Samples::None,
        parse: |k, _| {
            let value = k.count("value")?.ok_or("missing kwarg `value`")?;
            Ok(Check::RowCount {
                min: Some(value),
                max: Some(value),
                strict_min: false,
                strict_max: false,
            })
        },
    },
    ExpectationType {
        name: "expect_column_pair_values_a_to_be_greater_than_b",
        kwargs: &["column_A", "column_B", "or_equal", "ignore_row_if"],
        mostly: true,
        considered: Considered::PairPresent,
        samples: Samples::Rows,
        parse: pair_greater,
    },
];

fn compound_unique(k: &mut Kwargs<'_>, _: &str) -> KwResult<Check> {
    let columns = match k.get("column_list") {
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(|c| c.as_str().filter(|s| !s.is_empty()).map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or("kwarg `column_list` must list column names")?,
        Some(v) => {
            return Err(format!(
                "kwarg `column_list` must be a list, not {}",
                shown(v)
            ));
        }
        None => return Err("missing kwarg `column_list`".into()),
    };
    match k.get("ignore_row_if").and_then(Value::as_str) {
        None | Some("all_values_are_missing") => {}
        Some(other) => {
            return Err(format!(
                "ignore_row_if `{}` is not supported (only all_values_are_missing)",
                clip(other)
            ));
        }
    }
    Ok(Check::CompoundUnique {
        columns,
        mostly: k.mostly()?,
    })
}

fn in_set(k: &mut Kwargs<'_>, name: &str) -> KwResult<Check> {
    let column = k.string("column")?;
    let values = match k.get("value_set") {
        Some(Value::Array(items)) => items
            .iter()
            .filter(|v| !v.is_null())
            .map(|v| match v {
                Value::String(_) | Value::Number(_) | Value::Bool(_) => Ok(v.clone()),
                other => Err(format!("value_set item {} is not a scalar", shown(other))),
            })
            .collect::<KwResult<Vec<_>>>()?,
        Some(v) => {
            return Err(format!(
                "kwarg `value_set` must be a list, not {}",
                shown(v)
            ));
        }
        None => return Err("missing kwarg `value_set`".into()),
    };
    Ok(Check::InSet {
        column,
        values,
        negate: name.contains("not_be"),
        mostly: k.mostly()?,
    })
}

fn between(k: &mut Kwargs<'_>, _: &str) -> KwResult<Check> {
    let c = Check::Between {
        column: k.string("column")?,
        min: k.bound("min_value")?,
        max: k.bound("max_value")?,
        strict_min: k.flag("strict_min")?,
        strict_max: k.flag("strict_max")?,
        mostly: k.mostly()?,
    };
    if let Check::Between {
        min: None,
        max: None,
        ..
    } = c
    {
        return Err("min_value and max_value cannot both be missing".into());
    }
    Ok(c)
}

fn regex(k: &mut Kwargs<'_>, name: &str) -> KwResult<Check> {
    Ok(Check::Regex {
        column: k.string("column")?,
        regex: k.string("regex")?,
        negate: name.contains("not_match"),
        mostly: k.mostly()?,
    })
}

fn row_count_between(k: &mut Kwargs<'_>, _: &str) -> KwResult<Check> {
    let (min, max) = (k.count("min_value")?, k.count("max_value")?);
    if min.is_none() && max.is_none() {
        return Err("min_value and max_value cannot both be missing".into());
    }
    Ok(Check::RowCount {
        min,
        max,
        strict_min: k.flag("strict_min")?,
        strict_max: k.flag("strict_max")?,
    })
}

fn pair_greater(k: &mut Kwargs<'_>, _: &str) -> KwResult<Check> {
    let c = Check::PairGreater {
        a: k.string("column_A")?,
        b: k.string("column_B")?,
        or_equal: k.flag("or_equal")?,
        mostly: k.mostly()?,
    };
    match k.get("ignore_row_if").and_then(Value::as_str) {
        None | Some("both_values_are_missing") | Some("either_value_is_missing") => {}
        Some(other) => {
            return Err(format!("ignore_row_if `{}` is not supported", clip(other)));
        }
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, json};

    use super::*;

    #[test]
    fn names_are_unique_and_every_type_is_in_the_crate_documentation() {
        let doc = include_str!("../lib.rs");
        for (i, t) in EXPECTATION_TYPES.iter().enumerate() {
            assert!(
                EXPECTATION_TYPES[..i].iter().all(|u| u.name != t.name),
                "{} twice",
                t.name
            );
            let short = t.name.trim_start_matches("expect_column_values_to");
            assert!(
                doc.contains(t.name) || doc.contains(&format!("…{short}")),
                "{} is not in the crate doc's list of supported types",
                t.name
            );
            for kwarg in t.kwargs {
                assert!(
                    doc.contains(&format!("`{kwarg}`")) || *kwarg == "column",
                    "{kwarg}"
                );
            }
        }
    }

    /// Parsing reads only the kwargs a type declares: with every declared kwarg given a
    /// value of some shape, the kwargs read are among those declared.
    #[test]
    fn a_type_reads_only_the_kwargs_it_declares() {
        for t in EXPECTATION_TYPES {
            for value in [json!("x"), json!(1), json!(["a"]), json!(true), json!(null)] {
                let map: Map<String, Value> = t
                    .kwargs
                    .iter()
                    .chain(t.mostly.then_some(&"mostly"))
                    .map(|k| ((*k).to_owned(), value.clone()))
                    .collect();
                let mut kw = Kwargs::new(&map);
                let _ = t.parse(&mut kw);
                for used in kw.used() {
                    assert!(t.takes(used), "{} read undeclared kwarg {used}", t.name);
                }
            }
        }
    }
}
