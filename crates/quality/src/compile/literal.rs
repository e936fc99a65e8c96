//! The values a suite gives (set members, bounds) checked against their column's type, so
//! that a bad one is an error naming its expectation instead of a failed scan.

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use serde_json::Value;

use crate::{clip::clip, schema::ColumnKind};

/// The type bound values are cast to for a column of `kind`.
pub(super) fn set_cast(kind: ColumnKind) -> &'static str {
    match kind {
        ColumnKind::Integer => "bigint",
        ColumnKind::Numeric => "numeric",
        ColumnKind::Float => "double precision",
        ColumnKind::Date => "date",
        ColumnKind::Timestamptz => "timestamptz",
        ColumnKind::Timestamp => "timestamp",
        ColumnKind::Bool => "boolean",
        ColumnKind::Text | ColumnKind::Other => "text",
    }
}

/// A literal's text and cast for a column of `kind`, refusing what the type cannot parse (so
/// the error names the expectation instead of failing the whole scan).
pub(super) fn literal(
    kind: ColumnKind,
    v: &Value,
) -> std::result::Result<(String, &'static str), String> {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => return Err(format!("{} is not a scalar", crate::suite::shown(other))),
    };
    let bad = || Err(format!("`{}` is not a valid {kind:?} value", clip(&text)));
    let cast = match kind {
        ColumnKind::Integer => {
            if text.parse::<i64>().is_ok() {
                "bigint"
            } else if text.parse::<f64>().is_ok_and(f64::is_finite) {
                "numeric"
            } else {
                return bad();
            }
        }
        ColumnKind::Numeric | ColumnKind::Float => {
            if !text.parse::<f64>().is_ok_and(f64::is_finite) {
                return bad();
            }
            set_cast(kind)
        }
        ColumnKind::Date => {
            if text.parse::<NaiveDate>().is_err() {
                return bad();
            }
            "date"
        }
        ColumnKind::Timestamptz | ColumnKind::Timestamp => {
            let ok = DateTime::parse_from_rfc3339(&text).is_ok()
                || DateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S%#z").is_ok()
                || NaiveDateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S").is_ok()
                || NaiveDateTime::parse_from_str(&text, "%Y-%m-%dT%H:%M:%S").is_ok()
                || text.parse::<NaiveDate>().is_ok();
            if !ok {
                return bad();
            }
            set_cast(kind)
        }
        ColumnKind::Bool => {
            if text != "true" && text != "false" {
                return bad();
            }
            "boolean"
        }
        ColumnKind::Text | ColumnKind::Other => "text",
    };
    Ok((text, cast))
}
