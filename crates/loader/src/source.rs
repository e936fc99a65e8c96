//! The forms a landing file takes on disk: the contract's CSV, and for the events also CSV
//! compressed with gzip and JSON Lines, plain or compressed. A day has exactly one events
//! file. Whatever the form, the manifest's entry is the file as it is on disk: its SHA-256
//! is that of the bytes on disk (compressed when compressed) and its `rows` the records read.

use std::{io::Read, path::Path};

use bytes::Bytes;
use chrono::NaiveDate;
use flate2::read::MultiGzDecoder;
use retention_model::landing::EVENTS_FILE;
use sha2::{Digest, Sha256};

use crate::{
    Error, Mapping, Result,
    jsonl::parse_jsonl,
    parse::{Limits, ParsedFile, Stop, parse},
    spec::TableSpec,
};

/// The names an events file may have, in the order they are looked for: CSV, CSV
/// compressed with gzip, JSON Lines, JSON Lines compressed with gzip.
pub const EVENTS_FILES: [&str; 4] = [
    EVENTS_FILE,
    "events.csv.gz",
    "events.jsonl",
    "events.jsonl.gz",
];

/// How a file's bytes are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Form {
    jsonl: bool,
    gzip: bool,
}

/// The form of file `name` for `spec`, if `name` is one of the names its file may have
/// (only the events file has other forms than the contract's CSV).
pub(crate) fn form_of(spec: &TableSpec, name: &str) -> Option<Form> {
    if name == spec.file {
        return Some(Form {
            jsonl: false,
            gzip: false,
        });
    }
    if spec.file != EVENTS_FILE || !EVENTS_FILES.contains(&name) {
        return None;
    }
    Some(Form {
        jsonl: name.contains(".jsonl"),
        gzip: name.ends_with(".gz"),
    })
}

/// The events files present in `dir`; more than one is refused.
pub(crate) fn events_file_in(dir: &Path) -> Result<Option<&'static str>> {
    let present: Vec<&'static str> = EVENTS_FILES
        .into_iter()
        .filter(|f| dir.join(f).is_file())
        .collect();
    match present[..] {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        _ => Err(Error::SeveralEventFiles {
            dir: dir.to_path_buf(),
            files: present.iter().map(|f| (*f).to_owned()).collect(),
        }),
    }
}

/// The path of the contract's events file in `dir`, for an error saying it is missing.
pub(crate) fn missing_events(dir: &Path) -> Error {
    Error::MissingFile {
        path: dir.join(EVENTS_FILE),
    }
}

/// Counts and hashes what is read through it.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Parses `input`, the bytes of file `name` as they are on disk, as `spec`'s file in the
/// form its name says ([`parse`] for CSV, [`parse_jsonl`] for JSON Lines, through gzip for
/// `.gz`). The SHA-256 and byte count are those of `input`'s bytes.
#[allow(clippy::too_many_arguments)]
pub(crate) fn parse_any<R: Read>(
    input: R,
    name: &str,
    spec: &TableSpec,
    batch: NaiveDate,
    limits: Limits,
    mapping: &Mapping,
    chunk_bytes: usize,
    emit: impl FnMut(Bytes) -> bool,
) -> Result<ParsedFile, Stop> {
    let form = form_of(spec, name).unwrap_or(Form {
        jsonl: false,
        gzip: false,
    });
    if !form.jsonl && !form.gzip {
        return parse(input, spec, batch, limits, chunk_bytes, emit);
    }
    let mut hashed = Hashing {
        inner: input,
        hasher: Sha256::new(),
        bytes: 0,
    };
    let mut parsed = match (form.jsonl, form.gzip) {
        (true, false) => parse_jsonl(&mut hashed, spec, batch, limits, mapping, chunk_bytes, emit),
        (true, true) => parse_jsonl(
            MultiGzDecoder::new(&mut hashed),
            spec,
            batch,
            limits,
            mapping,
            chunk_bytes,
            emit,
        ),
        (false, _) => parse(
            MultiGzDecoder::new(&mut hashed),
            spec,
            batch,
            limits,
            chunk_bytes,
            emit,
        ),
    }?;
    // The decoder stops at the end of the compressed data: whatever follows is still the
    // file's and counts in its hash.
    std::io::copy(&mut hashed, &mut std::io::sink()).map_err(Stop::Io)?;
    parsed.sha256 = hex::encode(hashed.hasher.finalize());
    parsed.bytes = hashed.bytes;
    Ok(parsed)
}
