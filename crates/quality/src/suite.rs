//! Suites as written: YAML files of ours or Great Expectations 1.x suite JSON, parsed into
//! typed [`Expectation`]s. Parsing is strict: an unknown expectation type, a missing or
//! unknown kwarg, or a mistyped value is an error naming the file and the expectation.

use std::{
    fmt,
    path::{Path, PathBuf},
};

use serde_json::{Map, Value};

use crate::{
    clip::clip,
    error::{Error, Result},
    expr::DateExpr,
};

/// How much a failing expectation matters (as in Great Expectations 1.x).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Gates the pipeline: a failure stops the day.
    #[default]
    Critical,
    /// Reported and logged; the day goes on.
    Warning,
    /// Reported only.
    Info,
}

impl Severity {
    /// The lowercase name used in suites and results.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Critical => "critical",
            Self::Warning => "warning",
            Self::Info => "info",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "critical" => Some(Self::Critical),
            "warning" => Some(Self::Warning),
            "info" => Some(Self::Info),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A table named `schema.table` (or `table`, meaning `public.table`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRef {
    /// The schema.
    pub schema: String,
    /// The table.
    pub name: String,
}

impl TableRef {
    /// Splits `schema.table`; names with dots in them are not supported.
    pub fn parse(text: &str) -> Option<Self> {
        let parts: Vec<&str> = text.split('.').collect();
        let (schema, name) = match parts.as_slice() {
            [name] => ("public", *name),
            [schema, name] => (*schema, *name),
            _ => return None,
        };
        (!schema.is_empty() && !name.is_empty()).then(|| Self {
            schema: schema.to_owned(),
            name: name.to_owned(),
        })
    }
}

impl fmt::Display for TableRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.schema, self.name)
    }
}

/// Which rows form a batch: those whose `column` equals the batch date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchFilter {
    /// A column of the table (date, timestamp or text holding `YYYY-MM-DD`).
    pub column: String,
}

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

    /// Whether a uniqueness query (a GROUP BY of its own) is needed.
    pub fn is_uniqueness(&self) -> bool {
        matches!(self, Self::Unique { .. } | Self::CompoundUnique { .. })
    }
}

/// One expectation of a suite: its GE configuration as written and its typed check.
#[derive(Debug, Clone, PartialEq)]
pub struct Expectation {
    /// The GE expectation type, e.g. `expect_column_values_to_not_be_null`.
    pub expectation_type: String,
    /// The kwargs as written (reported back in results).
    pub kwargs: Map<String, Value>,
    /// Free-form metadata, passed through to results.
    pub meta: Value,
    /// The GE id, if the suite has one.
    pub id: Option<String>,
    /// How much a failure matters.
    pub severity: Severity,
    /// The typed check.
    pub check: Check,
}

/// A named set of expectations on one table.
#[derive(Debug, Clone, PartialEq)]
pub struct Suite {
    /// The suite's name.
    pub name: String,
    /// Where it came from (a file path), used in error messages.
    pub source: String,
    /// The table validated.
    pub table: TableRef,
    /// Which rows form a batch; `None` validates the whole table.
    pub batch: Option<BatchFilter>,
    /// The expectations, in file order.
    pub expectations: Vec<Expectation>,
    /// Whether the suite may have no expectations (`allow_empty: true`; GE JSON:
    /// `meta.retention.allow_empty`). An empty suite validates nothing and would pass the
    /// gate, so without this the engine refuses it ([`Error::EmptySuite`]).
    pub allow_empty: bool,
    /// Columns holding personal data (`personal_columns: [email, full_name]`; GE JSON:
    /// `meta.retention.personal_columns`). An expectation reading one of them
    /// ([`Suite::is_personal`]) is counted as any other, but its unexpected values are never
    /// selected, stored, logged or put in a message.
    pub personal_columns: Vec<String>,
}

/// Kwargs every expectation accepts that change nothing in how we evaluate it.
const IGNORED_KWARGS: [&str; 4] = [
    "result_format",
    "catch_exceptions",
    "include_config",
    "batch_id",
];

impl Suite {
    /// Reads a suite file: `.json` as Great Expectations suite JSON (the table in
    /// `meta.retention.table`, or a top-level `table`), anything else as our YAML.
    pub fn from_path(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        let is_json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let source = path.display().to_string();
        if is_json {
            Self::from_json_str(&text, &source)
        } else {
            Self::from_yaml_str(&text, &source)
        }
    }

    /// Parses our YAML suite format; `source` names the suite in errors.
    pub fn from_yaml_str(text: &str, source: &str) -> Result<Self> {
        let value: Value = serde_saphyr::from_str(text).map_err(|e| Error::Parse {
            path: PathBuf::from(source),
            message: clip(&e.to_string()).to_string(),
        })?;
        Self::from_value(&value, source)
    }

    /// Parses a Great Expectations 1.x suite JSON document (the table in
    /// `meta.retention.table`, or a top-level `table`); `source` names it in errors.
    pub fn from_json_str(text: &str, source: &str) -> Result<Self> {
        let value: Value = serde_json::from_str(text).map_err(|e| Error::Parse {
            path: PathBuf::from(source),
            message: clip(&e.to_string()).to_string(),
        })?;
        Self::from_value(&value, source)
    }

    /// Every suite in `paths`: files as given, directories' `*.yaml`, `*.yml` and `*.json`
    /// files in name order.
    pub fn load_all(paths: &[PathBuf]) -> Result<Vec<Self>> {
        let mut suites = Vec::new();
        for path in paths {
            let io = |source| Error::Io {
                path: path.clone(),
                source,
            };
            if path.is_dir() {
                let mut files = Vec::new();
                for entry in std::fs::read_dir(path).map_err(io)? {
                    let file = entry.map_err(io)?.path();
                    let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("");
                    if file.is_file() && matches!(ext, "yaml" | "yml" | "json") {
                        files.push(file);
                    }
                }
                files.sort();
                for file in files {
                    suites.push(Self::from_path(&file)?);
                }
            } else {
                suites.push(Self::from_path(path)?);
            }
        }
        Ok(suites)
    }

    /// Builds a suite from its parsed document; `source` names it in errors.
    pub fn from_value(doc: &Value, source: &str) -> Result<Self> {
        let parse = |message: String| Error::Parse {
            path: PathBuf::from(source),
            message,
        };
        let obj = doc
            .as_object()
            .ok_or_else(|| parse("a suite is a mapping with `table` and `expectations`".into()))?;
        let ours = obj
            .get("meta")
            .and_then(|m| m.get("retention"))
            .and_then(Value::as_object);
        let setting = |key: &str| obj.get(key).or_else(|| ours.and_then(|o| o.get(key)));
        let name = obj
            .get("name")
            .or_else(|| obj.get("expectation_suite_name"))
            .and_then(Value::as_str)
            .ok_or_else(|| parse("missing `name`".into()))?
            .to_owned();
        let table_text = setting("table")
            .and_then(Value::as_str)
            .ok_or_else(|| parse("missing `table` (GE JSON: `meta.retention.table`)".into()))?;
        let table = TableRef::parse(table_text).ok_or_else(|| {
            parse(format!(
                "`table: {}` is not `schema.table`",
                clip(table_text)
            ))
        })?;
        let batch = match setting("batch") {
            None | Some(Value::Null) => None,
            Some(b) => {
                let column = b
                    .get("column")
                    .and_then(Value::as_str)
                    .ok_or_else(|| parse("`batch` needs `column: <date column>`".into()))?;
                if let Some(extra) = b
                    .as_object()
                    .and_then(|o| o.keys().find(|k| *k != "column"))
                {
                    return Err(parse(format!("unknown key `batch.{}`", clip(extra))));
                }
                Some(BatchFilter {
                    column: column.to_owned(),
                })
            }
        };
        let list = obj
            .get("expectations")
            .and_then(Value::as_array)
            .ok_or_else(|| parse("missing `expectations` list".into()))?;
        let expectations = list
            .iter()
            .enumerate()
            .map(|(i, e)| Expectation::from_value(e, source, i))
            .collect::<Result<Vec<_>>>()?;
        let allow_empty = match setting("allow_empty") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(v) => {
                return Err(parse(format!(
                    "`allow_empty` must be true or false, not {}",
                    shown(v)
                )));
            }
        };
        let personal_columns = match setting("personal_columns") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|c| c.as_str().filter(|s| !s.is_empty()).map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| parse("`personal_columns` must list column names".into()))?,
            Some(v) => {
                return Err(parse(format!(
                    "`personal_columns` must be a list of column names, not {}",
                    shown(v)
                )));
            }
        };
        Ok(Self {
            name,
            source: source.to_owned(),
            table,
            batch,
            expectations,
            allow_empty,
            personal_columns,
        })
    }

    /// Whether `expectation` reads a personal column (for multi-column expectations: any of
    /// them), so that its unexpected values must never be collected.
    pub fn is_personal(&self, expectation: &Expectation) -> bool {
        expectation
            .check
            .columns()
            .iter()
            .any(|c| self.personal_columns.iter().any(|p| p == c))
    }
}

/// Names an expectation in errors: its position from 1 and its type (clipped).
pub(crate) fn label(index: usize, expectation_type: &str) -> String {
    format!("#{} ({})", index + 1, clip(expectation_type))
}

/// A JSON value of a suite as an error shows it: compact, clipped.
pub(crate) fn shown(v: &Value) -> String {
    clip(&v.to_string()).to_string()
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ge_suite_json_parses_with_defaults_and_kwargs_kept_as_written() {
        let suite = Suite::from_json_str(
            r#"{"name": "s", "id": "x", "notes": null,
                "meta": {"great_expectations_version": "1.24.1", "retention": {"table": "staging.events"}},
                "expectations": [
                  {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "c", "value_set": ["a", null, 1], "mostly": 0.5}, "meta": {}, "id": "e1"},
                  {"expectation_type": "expect_table_row_count_to_equal", "kwargs": {"value": 3}, "severity": "info"}
                ]}"#,
            "s.json",
        )
        .unwrap();
        assert_eq!(
            suite.table,
            TableRef {
                schema: "staging".into(),
                name: "events".into()
            }
        );
        assert_eq!(suite.batch, None);
        let [a, b] = suite.expectations.as_slice() else {
            panic!("two expectations")
        };
        assert_eq!(a.severity, Severity::Critical);
        assert_eq!(a.id.as_deref(), Some("e1"));
        assert_eq!(
            a.check,
            Check::InSet {
                column: "c".into(),
                values: vec![Value::from("a"), Value::from(1)],
                negate: false,
                mostly: 0.5
            }
        );
        assert_eq!(a.kwargs["value_set"], serde_json::json!(["a", null, 1]));
        assert_eq!(b.severity, Severity::Info);
        assert_eq!(
            b.check,
            Check::RowCount {
                min: Some(3),
                max: Some(3),
                strict_min: false,
                strict_max: false
            }
        );
    }

    #[test]
    fn unknown_keys_and_shapes_are_refused_with_their_position() {
        let err = |yaml: &str| {
            Suite::from_yaml_str(yaml, "x.yaml")
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err(
                "name: s\ntable: t\nexpectations:\n  - {type: expect_column_values_to_be_unique, kwargs: {column: c}, severty: warning}\n"
            ),
            "suite x.yaml, expectation #1 (expect_column_values_to_be_unique): unknown key `severty`"
        );
        assert_eq!(
            err("name: s\ntable: a.b.c\nexpectations: []\n"),
            "suite x.yaml: `table: a.b.c` is not `schema.table`"
        );
        assert_eq!(
            err("name: s\ntable: t\nbatch: {column: d, op: '>'}\nexpectations: []\n"),
            "suite x.yaml: unknown key `batch.op`"
        );
        assert_eq!(
            err(
                "name: s\ntable: t\nexpectations:\n  - {type: expect_column_values_to_be_between, kwargs: {column: c}}\n"
            ),
            "suite x.yaml, expectation #1 (expect_column_values_to_be_between): min_value and max_value cannot both be missing"
        );
    }
}
