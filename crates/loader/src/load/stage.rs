//! Staging one landing file: parsed on a blocking thread and streamed by binary COPY into a
//! new partition of its staging table, then checked against the manifest.

use std::{fs::File, pin::pin};

use bytes::Bytes;
use futures_util::SinkExt;
use retention_pgsql::quote_ident;
use tokio_postgres::Transaction;

use super::LoadOptions;
use crate::{
    Error, LandingDay, Result,
    clip::clip,
    error::db,
    parse::{Limits, ParsedFile, RejectedRecord, Stop},
    source::parse_any,
    spec::TableSpec,
    typed::{PGCOPY_HEADER, PGCOPY_TRAILER},
};

const CREATE_PARTITION: &str = include_str!("../../sql/create_partition.sql");
const COPY_STAGING: &str = include_str!("../../sql/copy_staging.sql");

/// PGCOPY bytes handed to the COPY sink at a time: large enough to amortise the channel,
/// small enough that parsing and the server overlap from the first rows.
const CHUNK_BYTES: usize = 128 * 1024;

/// A file staged into its new partition, not yet swapped in.
pub(super) struct Staged {
    pub(super) spec: &'static TableSpec,
    /// The file's name as on disk (`events.jsonl.gz`, …); the contract's name when the day
    /// has no such file.
    pub(super) file: &'static str,
    pub(super) new: String,
    pub(super) final_name: String,
    pub(super) read: u64,
    pub(super) staged: u64,
    /// Rows staged beyond one per record (JSON Lines items).
    pub(super) expanded: u64,
    pub(super) rejects: Vec<RejectedRecord>,
    /// The file's SHA-256 (verified against the manifest when the day has one), when the
    /// day has the file.
    pub(super) sha256: Option<String>,
    /// The manifest's record count, when the day has the file and a manifest.
    pub(super) manifest_rows: Option<u64>,
}

pub(super) async fn stage_file(
    tx: &Transaction<'_>,
    spec: &'static TableSpec,
    day: &LandingDay,
    options: &LoadOptions,
) -> Result<Staged> {
    let date = day.date();
    let final_name = format!("{}_{}", spec.table, date.format("%Y%m%d"));
    let new = format!("{final_name}_loading");
    let create = CREATE_PARTITION
        .replace("{new}", &quote_ident(&new))
        .replace("{parent}", &quote_ident(spec.table))
        .replace("{date}", &date.format("%Y-%m-%d").to_string());
    tx.batch_execute(&create)
        .await
        .map_err(db(format!("creating staging.{new}")))?;
    let columns: Vec<String> = spec.header.iter().map(|c| quote_ident(c)).collect();
    let copy = COPY_STAGING
        .replace("{new}", &quote_ident(&new))
        .replace("{columns}", &columns.join(", "));
    let context = format!("copying {} into staging.{}", spec.file, spec.table);
    let mut sink = pin!(
        tx.copy_in::<_, Bytes>(&copy)
            .await
            .map_err(db(context.clone()))?
    );
    let Some((entry, path, file)) = day.file(spec) else {
        sink.send(Bytes::from([PGCOPY_HEADER, PGCOPY_TRAILER].concat()))
            .await
            .map_err(db(context.clone()))?;
        let staged = sink.as_mut().finish().await.map_err(db(context))?;
        return Ok(Staged {
            spec,
            file: spec.file,
            new,
            final_name,
            read: 0,
            staged,
            expanded: 0,
            rejects: Vec::new(),
            sha256: None,
            manifest_rows: None,
        });
    };
    let (chunks, mut rx) = tokio::sync::mpsc::channel::<Bytes>(4);
    let limits = Limits {
        max_field_bytes: options.max_field_bytes,
        max_record_bytes: options.max_record_bytes,
    };
    let parse_path = path.clone();
    let mapping = options.mapping.clone();
    let parser = tokio::task::spawn_blocking(move || -> Result<ParsedFile, Stop> {
        let input = File::open(&parse_path).map_err(Stop::Io)?;
        parse_any(
            input,
            file,
            spec,
            date,
            limits,
            &mapping,
            CHUNK_BYTES,
            |b| chunks.blocking_send(b).is_ok(),
        )
    });
    let mut copy_error = None;
    while let Some(chunk) = rx.recv().await {
        if let Err(e) = sink.send(chunk).await {
            copy_error = Some(e);
            break;
        }
    }
    drop(rx);
    let parsed = parser
        .await
        .map_err(|_| Error::ParserFailed(spec.file.into()))?;
    if let Some(e) = copy_error {
        return Err(db(context)(e));
    }
    let parsed = parsed.map_err(|stop| stop_error(stop, file, &path))?;
    if let Some(entry) = entry {
        verify(file, entry.rows, &entry.sha256, &parsed)?;
    }
    let staged = sink.as_mut().finish().await.map_err(db(context))?;
    if staged != parsed.encoded {
        return Err(Error::Unbalanced {
            file: file.into(),
            read: parsed.encoded,
            staged,
            rejected: 0,
        });
    }
    tracing::info!(
        "{}: {} bytes, {} records read, {staged} staged, {} rejected",
        file,
        parsed.bytes,
        parsed.read,
        parsed.rejects.len()
    );
    Ok(Staged {
        spec,
        file,
        new,
        final_name,
        read: parsed.read,
        staged,
        expanded: parsed.expanded,
        rejects: parsed.rejects,
        manifest_rows: entry.map(|e| e.rows),
        sha256: Some(parsed.sha256),
    })
}

fn stop_error(stop: Stop, file: &str, path: &std::path::Path) -> Error {
    match stop {
        Stop::Io(source) => Error::Io {
            context: format!("reading {}", path.display()),
            source,
        },
        Stop::BadHeader(reason) => Error::BadHeader {
            file: file.into(),
            reason,
        },
        Stop::Cancelled => Error::ParserFailed(file.into()),
    }
}

/// The file must be the one the manifest describes: same bytes, same record count.
fn verify(file: &str, rows: u64, sha256: &str, parsed: &ParsedFile) -> Result<()> {
    let mismatch = |reason: String| Error::ManifestMismatch {
        file: file.into(),
        reason,
    };
    if !parsed.sha256.eq_ignore_ascii_case(sha256) {
        return Err(mismatch(format!(
            "SHA-256 is {}, the manifest says {}",
            parsed.sha256,
            clip(sha256)
        )));
    }
    if parsed.read != rows {
        return Err(mismatch(format!(
            "{} records, the manifest says {rows}",
            parsed.read
        )));
    }
    Ok(())
}
