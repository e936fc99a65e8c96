//! Applying a [`Mapping`] to one JSON object: the contract rows it gives (one, or one per
//! element of its items list), or why it is refused.

use std::borrow::Cow;

use chrono::{DateTime, SecondsFormat};
use retention_model::{RejectReason, landing::EVENTS_HEADER};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{EVENT_ID, EVENT_TS, EVENT_TYPE, Mapping, Path, TimeFormat, USER_ID};
use crate::{clip::clip, typed::Refusal};

/// `source_line` of the rows a line gives after its first: element `i` of line `n`'s list
/// is staged with `n + i * ITEM_LINE_STRIDE`, so that every staged row has its own
/// `source_line` (the transform's rejects are keyed by it) while a line that gives one row,
/// and every element 0, keep the physical line: `source_line % ITEM_LINE_STRIDE` is always
/// the line.
pub const ITEM_LINE_STRIDE: u64 = 1_000_000_000_000;

/// One contract row: its `source_line` and the twelve columns as text (`None` is NULL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MappedRow<'a> {
    pub(crate) source_line: u64,
    pub(crate) values: Vec<Option<Cow<'a, str>>>,
}

/// The value at `path` in `v`, if any (see the module doc of `mapping` for the syntax).
fn lookup<'a>(v: &'a Value, path: &Path) -> Option<&'a Value> {
    let mut cur = v;
    for seg in path {
        cur = match cur {
            Value::Object(m) => m.get(seg)?,
            Value::Array(a) => match seg.parse::<usize>() {
                Ok(i) => a.get(i)?,
                Err(_) => unwrap_param(
                    a.iter()
                        .find(|e| e.get("key").and_then(Value::as_str) == Some(seg.as_str()))?
                        .get("value")?,
                ),
            },
            _ => return None,
        };
    }
    Some(cur)
}

/// GA4's `{string_value, int_value, float_value, double_value}`: the one that is set.
fn unwrap_param(v: &Value) -> &Value {
    const KINDS: [&str; 4] = ["string_value", "int_value", "double_value", "float_value"];
    match v {
        Value::Object(m) if !m.is_empty() && m.keys().all(|k| KINDS.contains(&k.as_str())) => KINDS
            .iter()
            .filter_map(|k| m.get(*k))
            .find(|x| !x.is_null())
            .unwrap_or(v),
        _ => v,
    }
}

/// A JSON value as the text a CSV field would hold; `None` for null and `""`.
fn text(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        other => Some(Cow::Owned(other.to_string())),
    }
}

/// The first of `paths` holding a value in `v`.
fn first<'a>(v: &'a Value, paths: &[Path]) -> Option<Cow<'a, str>> {
    paths.iter().find_map(|p| lookup(v, p).and_then(text))
}

/// The user id of object `v` under `mapping`, when it parses: kept with a refused line so
/// that erasure can find it.
pub(crate) fn user_id_of(mapping: &Mapping, v: &Value) -> Option<i64> {
    first(v, &mapping.fields[USER_ID])?.trim().parse().ok()
}

/// The rows object `v` (line `line` of its file) gives under `mapping`.
pub(crate) fn map_event<'a>(
    mapping: &Mapping,
    v: &'a Value,
    line: u64,
) -> Result<Vec<MappedRow<'a>>, Refusal> {
    let mut values: Vec<Option<Cow<'a, str>>> =
        mapping.fields.iter().map(|paths| first(v, paths)).collect();
    if values[USER_ID].is_none() && first(v, &mapping.anonymous_id).is_some() {
        {
            return Err(Refusal {
                reason: RejectReason::AnonymousUser,
                detail: format!(
                    "no user id ({}), only an anonymous id ({}): not a known user's event",
                    shown(&mapping.fields[USER_ID]),
                    shown(&mapping.anonymous_id)
                ),
            });
        }
    }
    let name = first(v, &mapping.event_name);
    let event_type = name.map(|n| match mapping.event_types.get(n.as_ref()) {
        Some(t) => Cow::Owned(t.clone()),
        None => n,
    });
    if values[EVENT_ID].is_none() && !mapping.event_id_hash.is_empty() {
        let mut h = Sha256::new();
        for (i, p) in mapping.event_id_hash.iter().enumerate() {
            if i > 0 {
                h.update([0x1f]);
            }
            if let Some(t) = lookup(v, p).and_then(text) {
                h.update(t.as_bytes());
            }
        }
        let hex = hex::encode(h.finalize());
        values[EVENT_ID] = Some(Cow::Owned(hex[..32].to_owned()));
    }
    if let Some(ts) = values[EVENT_TS].take() {
        values[EVENT_TS] = Some(timestamp(mapping.timestamp, ts)?);
    }
    let expand = mapping.items.as_ref().filter(|items| {
        event_type
            .as_deref()
            .is_some_and(|t| items.events.contains(t))
    });
    values[EVENT_TYPE] = event_type;
    let elements = expand
        .and_then(|items| lookup(v, &items.path))
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty());
    let (Some(items), Some(elements)) = (expand, elements) else {
        return Ok(vec![MappedRow {
            source_line: line,
            values,
        }]);
    };
    let mut rows = Vec::with_capacity(elements.len());
    for (i, element) in elements.iter().enumerate() {
        let mut row = values.clone();
        for (column, paths) in &items.fields {
            if let Some(t) = first(element, paths) {
                row[*column] = Some(t);
            }
        }
        row[EVENT_ID] = row[EVENT_ID]
            .as_ref()
            .map(|id| Cow::Owned(format!("{id}:{i}")));
        rows.push(MappedRow {
            source_line: line + i as u64 * ITEM_LINE_STRIDE,
            values: row,
        });
    }
    Ok(rows)
}

fn shown(paths: &[Path]) -> String {
    let names: Vec<String> = paths.iter().map(|p| p.join(".")).collect();
    names.join(" / ")
}

/// `event_ts` as RFC 3339 text, converted from epoch units when the source writes those.
fn timestamp(format: TimeFormat, ts: Cow<'_, str>) -> Result<Cow<'_, str>, Refusal> {
    let (unit, per_second) = match format {
        TimeFormat::Rfc3339 => return Ok(ts),
        TimeFormat::UnixMicros => ("microseconds", 1_000_000),
        TimeFormat::UnixMillis => ("milliseconds", 1_000),
        TimeFormat::UnixSeconds => ("seconds", 1),
    };
    let refuse = || Refusal {
        reason: RejectReason::BadTimestamp,
        detail: format!(
            "{}: {} is not a whole number of {unit} since 1970-01-01 in range",
            EVENTS_HEADER[EVENT_TS],
            clip(ts.as_ref()).quoted()
        ),
    };
    let n: i64 = ts.trim().parse().map_err(|_| refuse())?;
    let micros = n.checked_mul(1_000_000 / per_second).ok_or_else(refuse)?;
    let at = DateTime::from_timestamp_micros(micros).ok_or_else(refuse)?;
    Ok(Cow::Owned(at.to_rfc3339_opts(SecondsFormat::AutoSi, true)))
}
