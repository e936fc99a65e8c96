//! JSON Lines events: one JSON object per line, mapped onto the contract's columns by a
//! [`Mapping`] and typed exactly as a CSV record is. A line that is not one JSON object is
//! refused as `bad_json` with its exact bytes; a line whose event has only an anonymous id
//! as `anonymous_user`; a line one of whose rows cannot be typed is refused whole (one
//! reject, under the first row's reason), so that a line is always either staged or
//! rejected.

use std::io::Read;

use bytes::{Bytes, BytesMut};
use chrono::NaiveDate;
use retention_model::RejectReason;

use crate::{
    Mapping,
    clip::clip,
    mapping::{map_event, user_id_of},
    parse::{Limits, ParsedFile, RejectedRecord, Stop, emit_full_chunk, emit_last_chunk},
    spec::TableSpec,
    typed::{PGCOPY_HEADER, Refusal, encode_values, pg_days},
};

mod reader;

use reader::LineReader;

/// Parses JSON Lines `input` as `spec`'s (events) file for batch `batch`, handing PGCOPY
/// chunks to `emit` as [`crate::parse::parse`] does. There is no header: the first line is
/// line 1. The returned SHA-256 and byte count are left empty: the caller hashes the bytes
/// as they are on disk.
#[allow(clippy::too_many_arguments)]
pub(crate) fn parse_jsonl<R: Read>(
    input: R,
    spec: &TableSpec,
    batch: NaiveDate,
    limits: Limits,
    mapping: &Mapping,
    chunk_bytes: usize,
    mut emit: impl FnMut(Bytes) -> bool,
) -> Result<ParsedFile, Stop> {
    let mut reader = LineReader::new(input, limits.max_record_bytes);
    let batch_days = pg_days(batch);
    let mut out = BytesMut::with_capacity(chunk_bytes + 64 * 1024);
    out.extend_from_slice(PGCOPY_HEADER);
    let (mut read, mut encoded) = (0u64, 0u64);
    let mut rejects = Vec::new();
    while let Some(line) = reader.next_line().map_err(Stop::Io)? {
        read += 1;
        let mut user_id = None;
        let outcome = (|| -> Result<u64, Refusal> {
            if let Some(big) = &line.too_large {
                return Err(Refusal {
                    reason: RejectReason::RecordTooLarge,
                    detail: format!(
                        "the line is {} bytes (sha256 {}), more than the limit of {limit}; raw keeps its first {limit} bytes",
                        big.len,
                        big.sha256,
                        limit = line.raw.len()
                    ),
                });
            }
            let text = std::str::from_utf8(line.raw).map_err(|e| Refusal {
                reason: RejectReason::InvalidUtf8,
                detail: format!("invalid UTF-8 at byte {}", e.valid_up_to()),
            })?;
            let value: serde_json::Value = serde_json::from_str(text).map_err(|e| Refusal {
                reason: RejectReason::BadJson,
                detail: clip(&format!("not JSON: {e}")).to_string(),
            })?;
            if !value.is_object() {
                return Err(Refusal {
                    reason: RejectReason::BadJson,
                    detail: "not a JSON object".into(),
                });
            }
            user_id = user_id_of(mapping, &value);
            let rows = map_event(mapping, &value, line.line)?;
            let start = out.len();
            for row in &rows {
                let values: Vec<Option<&str>> = row.values.iter().map(|v| v.as_deref()).collect();
                if let Err(r) = encode_values(
                    spec,
                    row.source_line,
                    &values,
                    batch_days,
                    limits.max_field_bytes,
                    &mut out,
                ) {
                    out.truncate(start);
                    return Err(r);
                }
            }
            Ok(rows.len() as u64)
        })();
        match outcome {
            Ok(n) => encoded += n,
            Err(refusal) => rejects.push(RejectedRecord {
                line: line.line,
                reason: refusal.reason,
                detail: refusal.detail,
                raw: line.raw.to_vec(),
                user_id,
            }),
        }
        emit_full_chunk(&mut out, chunk_bytes, &mut emit)?;
    }
    emit_last_chunk(out, &mut emit)?;
    Ok(ParsedFile {
        read,
        encoded,
        expanded: (encoded + rejects.len() as u64).saturating_sub(read),
        rejects,
        bytes: 0,
        sha256: String::new(),
    })
}

#[cfg(test)]
mod tests;
