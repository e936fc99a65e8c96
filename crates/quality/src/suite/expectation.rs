//! Parsing one expectation (`{type, kwargs, meta, id, severity}`): its keys, its severity and
//! its kwargs, read through `Kwargs` so that every kwarg is typed and any kwarg not read is
//! refused.

use serde_json::{Map, Value};

use super::{Bound, Expectation, Severity, label, shown, types::expectation_type};
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
        let kind = expectation_type(ty)
            .ok_or_else(|| err(format!("unknown expectation type `{}`", clip(ty))))?;
        let check = kind.parse(&mut Kwargs::new(&kwargs)).map_err(&err)?;
        if let Some(unknown) = kwargs
            .keys()
            .find(|k| !kind.takes(k) && !IGNORED_KWARGS.contains(&k.as_str()))
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

/// Typed access to kwargs for a type's parser ([`super::types`]), remembering which were
/// read (a test checks they are the ones the type declares).
pub(super) struct Kwargs<'a> {
    map: &'a Map<String, Value>,
    used: Vec<&'static str>,
}

/// A kwarg's value, or what is wrong with it.
pub(super) type KwResult<T> = std::result::Result<T, String>;

impl<'a> Kwargs<'a> {
    pub(super) fn new(map: &'a Map<String, Value>) -> Self {
        Self {
            map,
            used: Vec::new(),
        }
    }

    #[cfg(test)]
    pub(super) fn used(&self) -> &[&'static str] {
        &self.used
    }

    pub(super) fn get(&mut self, key: &'static str) -> Option<&Value> {
        self.used.push(key);
        self.map.get(key).filter(|v| !v.is_null())
    }

    pub(super) fn string(&mut self, key: &'static str) -> KwResult<String> {
        match self.get(key) {
            Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            Some(v) => Err(format!(
                "kwarg `{key}` must be a non-empty string, not {}",
                shown(v)
            )),
            None => Err(format!("missing kwarg `{key}`")),
        }
    }

    pub(super) fn flag(&mut self, key: &'static str) -> KwResult<bool> {
        match self.get(key) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(format!(
                "kwarg `{key}` must be true or false, not {}",
                shown(v)
            )),
        }
    }

    pub(super) fn mostly(&mut self) -> KwResult<f64> {
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

    pub(super) fn count(&mut self, key: &'static str) -> KwResult<Option<i64>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v.as_i64().filter(|n| *n >= 0).map(Some).ok_or_else(|| {
                format!("kwarg `{key}` must be a whole number ≥ 0, not {}", shown(v))
            }),
        }
    }

    pub(super) fn bound(&mut self, key: &'static str) -> KwResult<Option<Bound>> {
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
}
