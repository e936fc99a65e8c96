//! Typing one CSV record into one PGCOPY binary row, or saying exactly why it cannot be.
//!
//! Everything the server would refuse in the middle of a COPY (invalid UTF-8, a NUL byte, a
//! number that overflows its column) is caught here, so one bad row is quarantined instead
//! of aborting the whole load.

use bytes::{BufMut, BytesMut};
use chrono::{DateTime, NaiveDate, Timelike};
use postgres_types::{ToSql, Type};
use retention_model::{Money, RejectReason};

use crate::{
    clip::clip,
    csv::{Flaw, Record},
    spec::{Kind, TableSpec},
};

/// Seconds from the Unix epoch to PostgreSQL's (2000-01-01 00:00 UTC).
const PG_EPOCH_SECS: i64 = 946_684_800;

/// The PGCOPY binary signature, flags and header extension length.
pub(crate) const PGCOPY_HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// The PGCOPY trailer: a field count of -1.
pub(crate) const PGCOPY_TRAILER: &[u8] = &[0xff, 0xff];

/// Why a record was not staged: a reason code (the key it is counted under in the manifest
/// and in quarantine) and a human detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    /// Reason code: one of [`RejectReason`]'s [`Stage::Load`](retention_model::Stage::Load)
    /// codes.
    pub reason: RejectReason,
    /// What exactly was wrong, naming the column.
    pub detail: String,
}

fn refuse(reason: RejectReason, detail: String) -> Refusal {
    Refusal { reason, detail }
}

/// Days from PostgreSQL's epoch to `date`, as a binary `date`.
pub(crate) fn pg_days(date: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default();
    (date - epoch).num_days() as i32
}

/// Appends one PGCOPY row for `rec` to `out`: `batch_date`, `source_line`, then the columns.
/// On refusal `out` is left as it was.
///
/// A record longer than the reader's limit is refused as `record_too_large` before anything
/// else. Its `raw` in quarantine is then exact only up to the limit (the reader never held
/// the rest); the detail gives the whole record's length and SHA-256 and says so. We chose
/// a truncated exact prefix over `bad_field_count` with all the bytes because keeping a
/// 200 MB line would cost the memory the limit exists to bound.
pub(crate) fn encode_row(
    spec: &TableSpec,
    rec: &Record<'_>,
    batch_days: i32,
    max_field_bytes: usize,
    out: &mut BytesMut,
) -> Result<(), Refusal> {
    if let Some(big) = &rec.too_large {
        return Err(refuse(
            RejectReason::RecordTooLarge,
            format!(
                "the record is {} bytes (sha256 {}), more than the limit of {limit}; raw keeps its first {limit} bytes",
                big.len,
                big.sha256,
                limit = rec.raw.len()
            ),
        ));
    }
    match rec.flaw {
        Some(Flaw::UnterminatedQuote) => {
            return Err(refuse(
                RejectReason::UnterminatedQuote,
                "a quoted field is not closed before the end of the file".into(),
            ));
        }
        Some(Flaw::TextAfterQuote) => {
            return Err(refuse(
                RejectReason::BadQuoting,
                "text follows the closing quote of a field".into(),
            ));
        }
        None => {}
    }
    if rec.len() != spec.kinds.len() {
        return Err(refuse(
            RejectReason::BadFieldCount,
            format!("expected {} fields, found {}", spec.kinds.len(), rec.len()),
        ));
    }
    let start = out.len();
    out.put_i16(spec.kinds.len() as i16 + 2);
    out.put_i32(4);
    out.put_i32(batch_days);
    out.put_i32(8);
    out.put_i64(rec.line as i64);
    // One UTF-8 and NUL scan over the record's unquoted bytes instead of one per field;
    // slicing the checked text at field ends still catches a sequence split by a comma.
    let data = rec.data();
    let whole = std::str::from_utf8(data).ok();
    let has_nul = data.contains(&0);
    for (i, &kind) in spec.kinds.iter().enumerate() {
        let range = rec.range(i);
        let field = &data[range.clone()];
        let text = whole.and_then(|w| w.get(range));
        let column = spec.header[i];
        if let Err(r) = encode_field(column, kind, field, text, has_nul, max_field_bytes, out) {
            out.truncate(start);
            return Err(r);
        }
    }
    Ok(())
}

/// Appends one PGCOPY row of `values` (one per column, `None` is NULL) to `out`, as
/// [`encode_row`] does for a CSV record: the values of a JSON Lines record after mapping.
/// On refusal `out` is left as it was.
pub(crate) fn encode_values(
    spec: &TableSpec,
    source_line: u64,
    values: &[Option<&str>],
    batch_days: i32,
    max_field_bytes: usize,
    out: &mut BytesMut,
) -> Result<(), Refusal> {
    let start = out.len();
    out.put_i16(spec.kinds.len() as i16 + 2);
    out.put_i32(4);
    out.put_i32(batch_days);
    out.put_i32(8);
    out.put_i64(i64::try_from(source_line).unwrap_or(i64::MAX));
    for (i, &kind) in spec.kinds.iter().enumerate() {
        let text = values.get(i).copied().flatten().unwrap_or("");
        let nul = text.contains('\0');
        let column = spec.header[i];
        if let Err(r) = encode_field(
            column,
            kind,
            text.as_bytes(),
            Some(text),
            nul,
            max_field_bytes,
            out,
        ) {
            out.truncate(start);
            return Err(r);
        }
    }
    Ok(())
}

/// `text` is the field already checked as UTF-8, when the record-wide check could tell.
fn encode_field(
    column: &str,
    kind: Kind,
    field: &[u8],
    text: Option<&str>,
    may_have_nul: bool,
    max_field_bytes: usize,
    out: &mut BytesMut,
) -> Result<(), Refusal> {
    if field.len() > max_field_bytes {
        return Err(refuse(
            RejectReason::FieldTooLarge,
            format!(
                "{column}: {} bytes, more than the limit of {max_field_bytes}",
                field.len()
            ),
        ));
    }
    let text = match text {
        Some(t) => Ok(t),
        None => std::str::from_utf8(field),
    };
    let text = text.map_err(|e| {
        refuse(
            RejectReason::InvalidUtf8,
            format!("{column}: invalid UTF-8 at byte {}", e.valid_up_to()),
        )
    })?;
    if may_have_nul && field.contains(&0) {
        return Err(refuse(
            RejectReason::NulByte,
            format!("{column}: contains a NUL byte"),
        ));
    }
    if kind == Kind::Text {
        if text.is_empty() {
            out.put_i32(-1);
        } else {
            out.put_i32(text.len() as i32);
            out.put_slice(field);
        }
        return Ok(());
    }
    let value = text.trim();
    if value.is_empty() {
        out.put_i32(-1);
        return Ok(());
    }
    match kind {
        Kind::Text => {}
        Kind::Int8 => {
            let n: i64 = value.parse().map_err(|_| {
                refuse(
                    RejectReason::BadNumber,
                    format!("{column}: {} is not a 64-bit integer", clip(value).quoted()),
                )
            })?;
            out.put_i32(8);
            out.put_i64(n);
        }
        Kind::Money => {
            let m: Money = value
                .parse()
                .map_err(|e| refuse(RejectReason::BadNumber, money_detail(column, value, &e)))?;
            let at = out.len();
            out.put_i32(0);
            m.to_sql(&Type::NUMERIC, out)
                .map_err(|e| refuse(RejectReason::BadNumber, format!("{column}: {e}")))?;
            let len = (out.len() - at - 4) as i32;
            out[at..at + 4].copy_from_slice(&len.to_be_bytes());
        }
        Kind::Timestamp => {
            let ts = DateTime::parse_from_rfc3339(value).map_err(|e| {
                refuse(
                    RejectReason::BadTimestamp,
                    format!(
                        "{column}: {} is not an RFC 3339 timestamp ({e})",
                        clip(value).quoted()
                    ),
                )
            })?;
            // chrono accepts second 60 as a leap second (a nanosecond field of a second or
            // more), and it would roll over into the next minute, maybe the next day: a
            // timestamp we cannot store as written is refused instead. Hour 24 and minute 60
            // are already refused by the parser.
            if ts.nanosecond() >= 1_000_000_000 {
                return Err(refuse(
                    RejectReason::BadTimestamp,
                    format!(
                        "{column}: {} has a leap second (:60), which would roll over into the next minute",
                        clip(value).quoted()
                    ),
                ));
            }
            // Rounded to the microsecond, as the server does with text input.
            let micros = (ts.timestamp() - PG_EPOCH_SECS) * 1_000_000
                + i64::from(ts.timestamp_subsec_nanos() + 500) / 1000;
            out.put_i32(8);
            out.put_i64(micros);
        }
        Kind::Date => {
            let d = NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|e| {
                refuse(
                    RejectReason::BadTimestamp,
                    format!(
                        "{column}: {} is not a YYYY-MM-DD date ({e})",
                        clip(value).quoted()
                    ),
                )
            })?;
            out.put_i32(4);
            out.put_i32(pg_days(d));
        }
        Kind::Bool => {
            let b = parse_bool(value).ok_or_else(|| {
                refuse(
                    RejectReason::BadBoolean,
                    format!("{column}: {} is not a boolean", clip(value).quoted()),
                )
            })?;
            out.put_i32(1);
            out.put_u8(u8::from(b));
        }
    }
    Ok(())
}

/// The detail of a refused amount. `MoneyError`'s own message echoes the whole value, so
/// only its kind is used and the value is clipped.
fn money_detail(column: &str, value: &str, e: &retention_model::MoneyError) -> String {
    use retention_model::MoneyError as M;
    let what = match e {
        M::Empty => "is empty",
        M::NotANumber(_) => "is not a decimal number",
        M::TooPrecise(_) => "has more than two decimals",
        M::OutOfRange(_) => "does not fit numeric(12,2)",
        _ => "is not a money amount",
    };
    format!("{column}: {} {what}", clip(value).quoted())
}

/// The spellings PostgreSQL's `boolean` input accepts.
fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "t" | "true" | "y" | "yes" | "on" | "1" => Some(true),
        "f" | "false" | "n" | "no" | "off" | "0" => Some(false),
        _ => None,
    }
}

/// The user id of a record, when its `user_id` column parses: kept with quarantined rows so
/// that erasure can find them.
pub(crate) fn user_id(spec: &TableSpec, rec: &Record<'_>) -> Option<i64> {
    let i = spec.user_id?;
    if i >= rec.len() {
        return None;
    }
    std::str::from_utf8(rec.field(i)).ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests;
