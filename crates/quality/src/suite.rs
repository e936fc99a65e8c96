//! Suites as written: YAML files of ours or Great Expectations 1.x suite JSON, parsed into
//! typed [`Expectation`]s. Parsing is strict: an unknown expectation type, a missing or
//! unknown kwarg, or a mistyped value is an error naming the file and the expectation.
//!
//! This module reads a suite document (its table, batch and settings); `types` registers every
//! supported expectation type, `check` holds what an expectation checks, typed, and
//! `expectation` parses one expectation and its kwargs.

mod check;
mod expectation;
#[cfg(test)]
mod tests;
mod types;

use std::{
    fmt,
    path::{Path, PathBuf},
};

use serde_json::{Map, Value};

use crate::{
    clip::clip,
    error::{Error, Result},
};

pub use check::{Bound, Check};
pub use types::{Considered, EXPECTATION_TYPES, ExpectationType, Samples, expectation_type};

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

/// The table a suite is bound to when its document does not name one, as Great Expectations
/// binds a suite to its data through a batch definition: GE 1.x suite JSON names no table.
/// See [`Suite::from_path_for_table`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableBinding {
    /// The table the suite validates. A suite that names another table is refused
    /// ([`Error::TableConflict`]).
    pub table: TableRef,
    /// Which rows form a batch, for a suite that names no batch of its own; `None` validates
    /// the whole table. A suite that names another batch column is refused
    /// ([`Error::TableConflict`]).
    pub batch: Option<BatchFilter>,
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

    /// Reads a suite file as [`Suite::from_path`] does, bound to `binding`'s table: a GE 1.x
    /// suite JSON as Great Expectations writes it, which names no table, runs unchanged.
    pub fn from_path_for_table(path: &Path, binding: &TableBinding) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        let is_json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let source = path.display().to_string();
        let value: Value = if is_json {
            serde_json::from_str(&text).map_err(|e| e.to_string())
        } else {
            serde_saphyr::from_str(&text).map_err(|e| e.to_string())
        }
        .map_err(|message| Error::Parse {
            path: PathBuf::from(&source),
            message: clip(&message).to_string(),
        })?;
        Self::from_value_bound(&value, &source, Some(binding))
    }

    /// Parses a suite document (YAML or GE JSON) bound to `binding`'s table; `source` names
    /// it in errors.
    pub fn from_str_for_table(text: &str, source: &str, binding: &TableBinding) -> Result<Self> {
        let value: Value = serde_saphyr::from_str(text).map_err(|e| Error::Parse {
            path: PathBuf::from(source),
            message: clip(&e.to_string()).to_string(),
        })?;
        Self::from_value_bound(&value, source, Some(binding))
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
        Self::from_value_bound(doc, source, None)
    }

    /// Builds a suite from its parsed document, bound to `binding`'s table when given.
    fn from_value_bound(doc: &Value, source: &str, binding: Option<&TableBinding>) -> Result<Self> {
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
        let named =
            match setting("table").and_then(Value::as_str) {
                Some(text) => Some(TableRef::parse(text).ok_or_else(|| {
                    parse(format!("`table: {}` is not `schema.table`", clip(text)))
                })?),
                None => None,
            };
        let table = match (named, binding) {
            (Some(named), Some(b)) if named != b.table => {
                return Err(Error::TableConflict {
                    suite: source.to_owned(),
                    message: format!(
                        "it names table {}, not {}, the table it is bound to",
                        clip(&named.to_string()),
                        clip(&b.table.to_string())
                    ),
                });
            }
            (Some(named), _) => named,
            (None, Some(b)) => b.table.clone(),
            (None, None) => {
                return Err(parse(
                    "missing `table` (GE JSON: `meta.retention.table`); a suite that names none \
                     (as Great Expectations writes it) must be bound to one (`validate --table`)"
                        .into(),
                ));
            }
        };
        let named_batch = match setting("batch") {
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
        let batch = match (named_batch, binding.and_then(|b| b.batch.as_ref())) {
            (Some(named), Some(bound)) if named != *bound => {
                return Err(Error::TableConflict {
                    suite: source.to_owned(),
                    message: format!(
                        "its batch column is `{}`, not `{}`, the one it is bound with",
                        clip(&named.column),
                        clip(&bound.column)
                    ),
                });
            }
            (Some(named), _) => Some(named),
            (None, bound) => bound.cloned(),
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
