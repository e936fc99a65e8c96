//! The pure core of a load: one landing file in, a stream of PGCOPY chunks and the list of
//! refused records out. No database here, so every rule is tested on bytes.

use std::io::Read;

use bytes::{Bytes, BytesMut};
use chrono::NaiveDate;

use retention_model::RejectReason;

use crate::{
    Error, LoadOptions,
    clip::{Clipped, clip},
    csv::RecordReader,
    source::{form_of, parse_any},
    spec::{TABLES, TableSpec},
    typed::{PGCOPY_HEADER, PGCOPY_TRAILER, encode_row, pg_days, user_id},
};

/// A record that was not staged, as it goes to `quarantine.rejected_rows`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRecord {
    /// The line the record starts on (the header is line 1).
    pub line: u64,
    /// Reason code (a [`Stage::Load`](retention_model::Stage::Load) one).
    pub reason: RejectReason,
    /// What was wrong.
    pub detail: String,
    /// The record's exact bytes (only its first bytes, up to the record limit, for a
    /// `record_too_large`).
    pub raw: Vec<u8>,
    /// Its user id, when that column parses.
    pub user_id: Option<i64>,
}

/// What parsing one landing file found (see [`parse_file`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedFile {
    /// Records read, header excluded.
    pub read: u64,
    /// Rows typed (encoded for COPY): what a load would stage.
    pub encoded: u64,
    /// Rows beyond one per record: a JSON Lines event with an items list gives one row per
    /// item (0 for CSV). `read + expanded = encoded + rejects` always holds.
    pub expanded: u64,
    /// Records refused.
    pub rejects: Vec<RejectedRecord>,
    /// Bytes read.
    pub bytes: u64,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
}

/// Why parsing stopped before the end of the file.
#[derive(Debug)]
pub(crate) enum Stop {
    /// Reading failed.
    Io(std::io::Error),
    /// The header is missing or wrong.
    BadHeader(String),
    /// The consumer of the chunks went away (the COPY failed).
    Cancelled,
}

/// The limits a parse applies to its input.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Longest field staged; a longer one refuses its record as `field_too_large`.
    pub max_field_bytes: usize,
    /// Longest record read whole; a longer one is refused as `record_too_large` and only
    /// its first `max_record_bytes` are kept.
    pub max_record_bytes: usize,
}

/// Parses `input` as `spec`'s file for batch `batch`, handing PGCOPY chunks of about
/// `chunk_bytes` to `emit` (which returns false to stop). The header must be exactly the
/// expected one.
/// Hands the PGCOPY bytes in `out` to `emit` once they fill a chunk; `Cancelled` when the
/// receiver has gone (the load is being abandoned).
pub(crate) fn emit_full_chunk(
    out: &mut BytesMut,
    chunk_bytes: usize,
    emit: &mut impl FnMut(Bytes) -> bool,
) -> Result<(), Stop> {
    if out.len() >= chunk_bytes {
        if !emit(out.split().freeze()) {
            return Err(Stop::Cancelled);
        }
        // One allocation per chunk rather than doubling (and copying) as rows arrive.
        out.reserve(chunk_bytes + 64 * 1024);
    }
    Ok(())
}

/// Ends the PGCOPY stream in `out` and hands over what is left.
pub(crate) fn emit_last_chunk(
    mut out: BytesMut,
    emit: &mut impl FnMut(Bytes) -> bool,
) -> Result<(), Stop> {
    out.extend_from_slice(PGCOPY_TRAILER);
    if emit(out.freeze()) {
        Ok(())
    } else {
        Err(Stop::Cancelled)
    }
}

pub(crate) fn parse<R: Read>(
    input: R,
    spec: &TableSpec,
    batch: NaiveDate,
    limits: Limits,
    chunk_bytes: usize,
    mut emit: impl FnMut(Bytes) -> bool,
) -> Result<ParsedFile, Stop> {
    let max_field_bytes = limits.max_field_bytes;
    let mut reader = RecordReader::with_max_record(input, limits.max_record_bytes);
    check_header(spec, &mut reader)?;
    let batch_days = pg_days(batch);
    let mut out = BytesMut::with_capacity(chunk_bytes + 64 * 1024);
    out.extend_from_slice(PGCOPY_HEADER);
    let (mut read, mut encoded) = (0u64, 0u64);
    let mut rejects = Vec::new();
    while let Some(rec) = reader.next_record().map_err(Stop::Io)? {
        read += 1;
        match encode_row(spec, &rec, batch_days, max_field_bytes, &mut out) {
            Ok(()) => encoded += 1,
            Err(refusal) => rejects.push(RejectedRecord {
                line: rec.line,
                reason: refusal.reason,
                detail: refusal.detail,
                raw: rec.raw.to_vec(),
                user_id: user_id(spec, &rec),
            }),
        }
        emit_full_chunk(&mut out, chunk_bytes, &mut emit)?;
    }
    emit_last_chunk(out, &mut emit)?;
    Ok(ParsedFile {
        read,
        encoded,
        expanded: 0,
        rejects,
        bytes: reader.bytes_read(),
        sha256: reader.finish_sha256(),
    })
}

/// Parses landing file `file` (`events.csv`, `users.csv` or `products.csv`, or the events
/// in another form: `events.csv.gz`, `events.jsonl`, `events.jsonl.gz`) from `input`, its
/// bytes as on disk, as batch `batch`, with `options`' field and record limits and event
/// mapping, without a database: every record is typed as a load would type it and dropped.
/// For checking a file before loading it, and for the fuzz tests. Fails as a load would on
/// a wrong header, a read error or broken compression.
pub fn parse_file<R: Read>(
    input: R,
    file: &str,
    batch: NaiveDate,
    options: &LoadOptions,
) -> crate::Result<ParsedFile> {
    let spec = TABLES
        .iter()
        .find(|t| form_of(t, file).is_some())
        .ok_or_else(|| Error::UnknownFile(clip(file).to_string()))?;
    let limits = Limits {
        max_field_bytes: options.max_field_bytes,
        max_record_bytes: options.max_record_bytes,
    };
    parse_any(
        input,
        file,
        spec,
        batch,
        limits,
        &options.mapping,
        128 * 1024,
        |_| true,
    )
    .map_err(|stop| match stop {
        Stop::Io(source) => Error::Io {
            context: format!("reading {}", clip(file)),
            source,
        },
        Stop::BadHeader(reason) => Error::BadHeader {
            file: spec.file.into(),
            reason,
        },
        Stop::Cancelled => Error::ParserFailed(spec.file.into()),
    })
}

fn check_header<R: Read>(spec: &TableSpec, reader: &mut RecordReader<R>) -> Result<(), Stop> {
    let expected = spec.header.join(",");
    let Some(rec) = reader.next_record().map_err(Stop::Io)? else {
        return Err(Stop::BadHeader(format!(
            "the file is empty; expected the header {expected:?}"
        )));
    };
    let found: Vec<String> = rec
        .fields()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect();
    if rec.flaw.is_some()
        || rec.too_large.is_some()
        || found.len() != spec.header.len()
        || found != spec.header
    {
        let shown = match &rec.too_large {
            Some(big) => Clipped::of_prefix(rec.raw, big.len, &big.sha256),
            None => clip(rec.raw),
        };
        return Err(Stop::BadHeader(format!(
            "expected {expected:?}, found {}",
            shown.quoted()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        max_field_bytes: 100,
        max_record_bytes: 1000,
    };

    const HEADER: &str = "product_id,sku,name,category,brand,unit_price,is_active,updated_at";

    fn run(input: &[u8]) -> Result<(ParsedFile, Vec<u8>), Stop> {
        let mut copy = Vec::new();
        let day = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default();
        let parsed = parse(input, &TABLES[2], day, LIMITS, 16, |b| {
            copy.extend_from_slice(&b);
            true
        })?;
        Ok((parsed, copy))
    }

    #[test]
    fn header_only_file_gives_an_empty_copy_stream() {
        let (p, copy) = run(format!("{HEADER}\r\n").as_bytes()).unwrap();
        assert_eq!((p.read, p.encoded, p.rejects.len()), (0, 0, 0));
        assert_eq!(copy, [PGCOPY_HEADER, PGCOPY_TRAILER].concat());
    }

    #[test]
    fn wrong_reordered_or_missing_header_is_refused() {
        for input in [
            "".to_owned(),
            "sku,product_id,name,category,brand,unit_price,is_active,updated_at\n".to_owned(),
            "1,a,b,c,d,1.00,true,2025-01-01T00:00:00Z\n".to_owned(),
            format!("{HEADER},extra\n"),
        ] {
            assert!(
                matches!(run(input.as_bytes()), Err(Stop::BadHeader(_))),
                "{input:?}"
            );
        }
    }

    #[test]
    fn counts_every_record_as_staged_or_rejected_with_its_line() {
        let input = format!(
            "{HEADER}\n1,a,b,c,d,1.00,true,2025-01-01T00:00:00Z\n2,\"multi\nline\",b,c,d,x,true,\n3,a\n"
        );
        let (p, _) = run(input.as_bytes()).unwrap();
        assert_eq!((p.read, p.encoded), (3, 1));
        let got: Vec<(u64, &str)> = p
            .rejects
            .iter()
            .map(|r| (r.line, r.reason.as_str()))
            .collect();
        assert_eq!(got, vec![(3, "bad_number"), (5, "bad_field_count")]);
        assert_eq!(p.rejects[1].raw, b"3,a".to_vec());
    }

    #[test]
    fn stops_when_the_consumer_goes_away() {
        let input = format!("{HEADER}\n1,a,b,c,d,1.00,true,\n");
        let day = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default();
        let r = parse(input.as_bytes(), &TABLES[2], day, LIMITS, 1, |_| false);
        assert!(matches!(r, Err(Stop::Cancelled)));
    }
}
