//! Parsing one expectation (`{type, kwargs, meta, id, severity}`): its keys, its severity and
//! its kwargs, read through `Kwargs` so that every kwarg is typed and any kwarg not read is
//! refused.

use serde_json::{Map, Value};

use super::{Bound, Check, Expectation, Severity, label, shown};
use crate::{
    clip::clip,
    error::{Error, Result},
    expr::DateExpr,
};

/// Kwargs every expectation accepts that change nothing in how we evaluate it.
const IGNORED_KWARGS: [&str; 4] = [
    "result_format",
    "catch_exceptions",
    "include_config",
    "batch_id",
];

impl Expectation {
    /// Parses one `{type, kwargs, meta, id, severity}` item (`expectation_type` is accepted
    /// for older GE files).
    pub fn from_value(item: &Value, suite: &str, index: usize) -> Result<Self> {
        let ty = item
            .get("type")
            .or_else(|| item.get("expectation_type"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let err = |message: String| Error::Expectation {
            suite: suite.to_owned(),
            expectation: label(index, if ty.is_empty() { "?" } else { ty }),
            message,
        };
        let obj = item
            .as_object()
            .ok_or_else(|| err("an expectation is a mapping with `type` and `kwargs`".into()))?;
        if ty.is_empty() {
            return Err(err("missing `type`".into()));
        }
        for key in obj.keys() {
            if !matches!(
                key.as_str(),
                "type"
                    | "expectation_type"
                    | "kwargs"
                    | "meta"
                    | "id"
                    | "severity"
                    | "notes"
                    | "description"
                    | "rendered_content"
            ) {
                return Err(err(format!("unknown key `{}`", clip(key))));
            }
        }
        let kwargs = match obj.get("kwargs") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(_) => return Err(err("`kwargs` must be a mapping".into())),
        };
        let severity = match obj.get("severity") {
            None | Some(Value::Null) => Severity::default(),
            Some(v) => v.as_str().and_then(Severity::parse).ok_or_else(|| {
                err(format!(
                    "severity {} is not critical, warning or info",
                    shown(v)
                ))
            })?,
        };
        let id = obj.get("id").and_then(Value::as_str).map(str::to_owned);
        let meta = obj
            .get("meta")
            .cloned()
            .unwrap_or(Value::Object(Map::new()));
        let mut kw = Kwargs {
            map: &kwargs,
            used: Vec::new(),
        };
        let check = kw.check(ty).map_err(&err)?;
        if let Some(unknown) = kwargs
            .keys()
            .find(|k| !kw.used.contains(&k.as_str()) && !IGNORED_KWARGS.contains(&k.as_str()))
        {
            return Err(err(format!("unsupported kwarg `{}`", clip(unknown))));
        }
        Ok(Self {
            expectation_type: ty.to_owned(),
            kwargs,
            meta,
            id,
            severity,
            check,
        })
    }
}

/// Typed access to kwargs, remembering which were read so the rest can be refused.
struct Kwargs<'a> {
    map: &'a Map<String, Value>,
    used: Vec<&'static str>,
}

type KwResult<T> = std::result::Result<T, String>;

impl Kwargs<'_> {
    fn get(&mut self, key: &'static str) -> Option<&Value> {
        self.used.push(key);
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn string(&mut self, key: &'static str) -> KwResult<String> {
        match self.get(key) {
            Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            Some(v) => Err(format!(
                "kwarg `{key}` must be a non-empty string, not {}",
                shown(v)
            )),
            None => Err(format!("missing kwarg `{key}`")),
        }
    }

    fn flag(&mut self, key: &'static str) -> KwResult<bool> {
        match self.get(key) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(format!(
                "kwarg `{key}` must be true or false, not {}",
                shown(v)
            )),
        }
    }

    fn mostly(&mut self) -> KwResult<f64> {
        match self.get("mostly") {
            None => Ok(1.0),
            Some(v) => v
                .as_f64()
                .filter(|m| (0.0..=1.0).contains(m))
                .ok_or_else(|| {
                    format!(
                        "kwarg `mostly` must be a number from 0 to 1, not {}",
                        shown(v)
                    )
                }),
        }
    }

    fn count(&mut self, key: &'static str) -> KwResult<Option<i64>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v.as_i64().filter(|n| *n >= 0).map(Some).ok_or_else(|| {
                format!("kwarg `{key}` must be a whole number ≥ 0, not {}", shown(v))
            }),
        }
    }

    fn bound(&mut self, key: &'static str) -> KwResult<Option<Bound>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if DateExpr::is_relative(s) => DateExpr::parse(s)
                .map(|e| Some(Bound::Relative(e)))
                .map_err(|e| format!("kwarg `{key}`: {e}")),
            Some(v @ (Value::String(_) | Value::Number(_))) => Ok(Some(Bound::Literal(v.clone()))),
            Some(v) => Err(format!(
                "kwarg `{key}` must be a number or a string, not {}",
                shown(v)
            )),
        }
    }

    fn check(&mut self, ty: &str) -> KwResult<Check> {
        Ok(match ty {
            "expect_column_values_to_not_be_null" => Check::NotNull {
                column: self.string("column")?,
                mostly: self.mostly()?,
            },
            "expect_column_values_to_be_unique" => Check::Unique {
                column: self.string("column")?,
                mostly: self.mostly()?,
            },
            "expect_compound_columns_to_be_unique" => {
                let columns = match self.get("column_list") {
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
                match self.get("ignore_row_if").and_then(Value::as_str) {
                    None | Some("all_values_are_missing") => {}
                    Some(other) => {
                        return Err(format!(
                            "ignore_row_if `{}` is not supported (only all_values_are_missing)",
                            clip(other)
                        ));
                    }
                }
                Check::CompoundUnique {
                    columns,
                    mostly: self.mostly()?,
                }
            }
            "expect_column_values_to_be_in_set" | "expect_column_values_to_not_be_in_set" => {
                let column = self.string("column")?;
                let values = match self.get("value_set") {
                    Some(Value::Array(items)) => items
                        .iter()
                        .filter(|v| !v.is_null())
                        .map(|v| match v {
                            Value::String(_) | Value::Number(_) | Value::Bool(_) => Ok(v.clone()),
                            other => {
                                Err(format!("value_set item {} is not a scalar", shown(other)))
                            }
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
                Check::InSet {
                    column,
                    values,
                    negate: ty.contains("not_be"),
                    mostly: self.mostly()?,
                }
            }
            "expect_column_values_to_be_between" => {
                let c = Check::Between {
                    column: self.string("column")?,
                    min: self.bound("min_value")?,
                    max: self.bound("max_value")?,
                    strict_min: self.flag("strict_min")?,
                    strict_max: self.flag("strict_max")?,
                    mostly: self.mostly()?,
                };
                if let Check::Between {
                    min: None,
                    max: None,
                    ..
                } = c
                {
                    return Err("min_value and max_value cannot both be missing".into());
                }
                c
            }
            "expect_column_values_to_match_regex" | "expect_column_values_to_not_match_regex" => {
                Check::Regex {
                    column: self.string("column")?,
                    regex: self.string("regex")?,
                    negate: ty.contains("not_match"),
                    mostly: self.mostly()?,
                }
            }
            "expect_table_row_count_to_be_between" => {
                let (min, max) = (self.count("min_value")?, self.count("max_value")?);
                if min.is_none() && max.is_none() {
                    return Err("min_value and max_value cannot both be missing".into());
                }
                Check::RowCount {
                    min,
                    max,
                    strict_min: self.flag("strict_min")?,
                    strict_max: self.flag("strict_max")?,
                }
            }
            "expect_table_row_count_to_equal" => {
                let value = self.count("value")?.ok_or("missing kwarg `value`")?;
                Check::RowCount {
                    min: Some(value),
                    max: Some(value),
                    strict_min: false,
                    strict_max: false,
                }
            }
            "expect_column_pair_values_a_to_be_greater_than_b" => {
                let c = Check::PairGreater {
                    a: self.string("column_A")?,
                    b: self.string("column_B")?,
                    or_equal: self.flag("or_equal")?,
                    mostly: self.mostly()?,
                };
                match self.get("ignore_row_if").and_then(Value::as_str) {
                    None | Some("both_values_are_missing") | Some("either_value_is_missing") => {}
                    Some(other) => {
                        return Err(format!("ignore_row_if `{}` is not supported", clip(other)));
                    }
                }
                c
            }
            other => return Err(format!("unknown expectation type `{}`", clip(other))),
        })
    }
}
