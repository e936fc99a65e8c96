//! The database side of a load: one transaction per day that stages each file into a new
//! partition by binary COPY, quarantines the refused records, audits, and swaps the new
//! partitions in for the old ones.
//!
//! ```text
//!  parser thread (spawn_blocking)            async task (one pooled connection)
//!  read 1 MiB ─► split records ─► type ──►   chunk ─► COPY staging.events_D_loading
//!  refused records kept aside   (mpsc, 4)            … users, products
//!                                                    rejects ─► COPY quarantine
//!                                                    audit, drop old + attach new, COMMIT
//! ```

use std::{collections::BTreeMap, fs::File, pin::pin, time::Duration};

use bytes::Bytes;
use chrono::NaiveDate;
use deadpool_postgres::Pool;
use futures_util::SinkExt;
use postgres_types::Type;
use retention_model::{DbConfig, Stage};
use tokio_postgres::{Transaction, binary_copy::BinaryCopyInWriter};

use crate::{
    Error, FileReport, LandingDay, LoadReport, Result,
    clip::clip,
    error::db,
    parse::{Limits, ParsedFile, RejectedRecord, Stop, parse},
    pool,
    spec::{TABLES, TableSpec},
    typed::{PGCOPY_HEADER, PGCOPY_TRAILER},
    warehouse::{self, Check},
};

const CREATE_PARTITION: &str = include_str!("../sql/create_partition.sql");
const COPY_STAGING: &str = include_str!("../sql/copy_staging.sql");
const DAY_PARTITIONS: &str = include_str!("../sql/day_partitions.sql");
const DROP_PARTITION: &str = include_str!("../sql/drop_partition.sql");
const ATTACH_PARTITION: &str = include_str!("../sql/attach_partition.sql");
pub(crate) const ERASE_USERS: &str = include_str!("../sql/erase_users.sql");
const DELETE_REJECTS: &str = include_str!("../sql/delete_rejects.sql");
const COPY_REJECTS: &str = include_str!("../sql/copy_rejects.sql");
pub(crate) const ERASE_REJECTS: &str = include_str!("../sql/erase_rejects.sql");
const INSERT_AUDIT: &str = include_str!("../sql/insert_audit.sql");

/// PGCOPY bytes handed to the COPY sink at a time: large enough to amortise the channel,
/// small enough that parsing and the server overlap from the first rows.
const CHUNK_BYTES: usize = 128 * 1024;

/// How a load behaves.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Load even if the day was generated with another seed, scale, schema version or
    /// config than the warehouse records.
    pub force: bool,
    /// The `ops.task_runs` row of this load, recorded with each `ops.load_audit` row.
    pub run_id: Option<i64>,
    /// Longest field accepted; a longer one quarantines its record as `field_too_large`.
    pub max_field_bytes: usize,
    /// Longest record read whole (default 2 MiB, more than any record that could be
    /// staged); a longer one is quarantined as `record_too_large` with only its first
    /// `max_record_bytes` in `raw`, so that a huge line never sits in memory whole.
    pub max_record_bytes: usize,
    /// Attempts to get a connection when the error is transient (refused, reset, server
    /// starting, too many connections), with doubling backoff from 100 ms.
    pub connect_attempts: u32,
    /// How long to wait for a pooled connection before giving up on an attempt.
    pub pool_wait: Duration,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            force: false,
            run_id: None,
            max_field_bytes: 64 * 1024,
            max_record_bytes: crate::csv::MAX_RECORD_BYTES,
            connect_attempts: 5,
            pool_wait: Duration::from_secs(30),
        }
    }
}

/// Loads landing days into a warehouse through a small connection pool.
#[derive(Debug, Clone)]
pub struct Loader {
    pool: Pool,
}

impl Loader {
    /// A loader with its own pool (two connections) for `db`.
    pub fn new(db: &DbConfig, options: &LoadOptions) -> Result<Self> {
        Ok(Self {
            pool: pool::build(db, options)?,
        })
    }

    /// A loader over an existing pool.
    pub fn with_pool(pool: Pool) -> Self {
        Self { pool }
    }

    /// Loads `day` as its batch date, replacing that batch in `staging` and its load rejects
    /// in `quarantine` in one transaction: on any error nothing changes.
    pub async fn load(&self, day: &LandingDay, options: &LoadOptions) -> Result<LoadReport> {
        let mut conn = pool::connection(&self.pool, options).await?;
        let tx = conn
            .transaction()
            .await
            .map_err(db("starting the load transaction"))?;
        let date = day.date();
        retention_model::ops::lock_step_xact(&*tx, "load", Some(date)).await?;
        let check = warehouse::check(&tx, day.manifest(), options.force).await?;
        let mut staged = Vec::with_capacity(TABLES.len());
        for spec in &TABLES {
            staged.push(stage_file(&tx, spec, day, options).await?);
        }
        tx.execute(DELETE_REJECTS, &[&date])
            .await
            .map_err(db("clearing the day's load rejects"))?;
        let quarantined = copy_rejects(&tx, date, &staged).await?;
        tx.execute(ERASE_REJECTS, &[&date])
            .await
            .map_err(db("keeping erased users' rejects erased"))?;
        let generator = serde_json::json!({
            "generator_version": day.manifest().generator_version,
            "seed": day.manifest().seed,
            "scale": day.manifest().scale,
            "config_hash": day.manifest().config_hash,
            "schema_version": day.manifest().schema_version,
            "snapshot": day.manifest().snapshot,
            "mess": day.manifest().mess,
        });
        let mut files = Vec::with_capacity(staged.len());
        for s in &staged {
            let rejected = s.rejects.len() as u64;
            if s.read != s.staged + rejected {
                return Err(Error::Unbalanced {
                    file: s.spec.file.into(),
                    read: s.read,
                    staged: s.staged,
                    rejected,
                });
            }
            if let Some((rows, sha256)) = &s.manifest {
                let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
                tx.execute(
                    INSERT_AUDIT,
                    &[
                        &options.run_id,
                        &date,
                        &s.spec.file,
                        &n(s.read),
                        &n(s.staged),
                        &n(rejected),
                        &n(*rows),
                        sha256,
                        &generator,
                    ],
                )
                .await
                .map_err(db("writing ops.load_audit"))?;
            }
            let mut by_reason = BTreeMap::new();
            for r in &s.rejects {
                *by_reason.entry(r.reason.as_str().to_owned()).or_insert(0) += 1;
            }
            files.push(FileReport {
                file: s.spec.file.into(),
                table: format!("staging.{}", s.spec.table),
                present: s.manifest.is_some(),
                read: s.read,
                staged: s.staged,
                rejected,
                rejected_by_reason: by_reason,
            });
        }
        let total_rejects: u64 = files.iter().map(|f| f.rejected).sum();
        if quarantined != total_rejects {
            return Err(Error::Unbalanced {
                file: "quarantine.rejected_rows".into(),
                read: total_rejects,
                staged: 0,
                rejected: quarantined,
            });
        }
        for s in &staged {
            swap_partition(&tx, s, date).await?;
        }
        tx.commit().await.map_err(db("committing the load"))?;
        Ok(LoadReport {
            date,
            snapshot: day.is_snapshot(),
            warehouse: match check {
                Check::Recorded => "recorded",
                Check::Matches => "matches",
                Check::Forced => "forced",
            },
            files,
        })
    }
}

/// Loads `day` with a loader of its own: the one call a pipeline step needs.
pub async fn load_day(
    db: &DbConfig,
    day: &LandingDay,
    options: &LoadOptions,
) -> Result<LoadReport> {
    Loader::new(db, options)?.load(day, options).await
}

/// A file staged into its new partition, not yet swapped in.
struct Staged {
    spec: &'static TableSpec,
    new: String,
    final_name: String,
    read: u64,
    staged: u64,
    rejects: Vec<RejectedRecord>,
    /// Manifest rows and the verified SHA-256, when the day has the file.
    manifest: Option<(u64, String)>,
}

/// Quotes an identifier (ours are generated from table names and dates, and checked here).
fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

async fn stage_file(
    tx: &Transaction<'_>,
    spec: &'static TableSpec,
    day: &LandingDay,
    options: &LoadOptions,
) -> Result<Staged> {
    let date = day.date();
    let final_name = format!("{}_{}", spec.table, date.format("%Y%m%d"));
    let new = format!("{final_name}_loading");
    let create = CREATE_PARTITION
        .replace("{new}", &quote(&new))
        .replace("{parent}", &quote(spec.table))
        .replace("{date}", &date.format("%Y-%m-%d").to_string());
    tx.batch_execute(&create)
        .await
        .map_err(db(format!("creating staging.{new}")))?;
    let columns: Vec<String> = spec.header.iter().map(|c| quote(c)).collect();
    let copy = COPY_STAGING
        .replace("{new}", &quote(&new))
        .replace("{columns}", &columns.join(", "));
    let context = format!("copying {} into staging.{}", spec.file, spec.table);
    let mut sink = pin!(
        tx.copy_in::<_, Bytes>(&copy)
            .await
            .map_err(db(context.clone()))?
    );
    let Some((entry, path)) = day.file(spec) else {
        sink.send(Bytes::from([PGCOPY_HEADER, PGCOPY_TRAILER].concat()))
            .await
            .map_err(db(context.clone()))?;
        let staged = sink.as_mut().finish().await.map_err(db(context))?;
        return Ok(Staged {
            spec,
            new,
            final_name,
            read: 0,
            staged,
            rejects: Vec::new(),
            manifest: None,
        });
    };
    let (chunks, mut rx) = tokio::sync::mpsc::channel::<Bytes>(4);
    let limits = Limits {
        max_field_bytes: options.max_field_bytes,
        max_record_bytes: options.max_record_bytes,
    };
    let parse_path = path.clone();
    let parser = tokio::task::spawn_blocking(move || -> Result<ParsedFile, Stop> {
        let file = File::open(&parse_path).map_err(Stop::Io)?;
        parse(file, spec, date, limits, CHUNK_BYTES, |b| {
            chunks.blocking_send(b).is_ok()
        })
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
    let parsed = parsed.map_err(|stop| stop_error(stop, spec, &path))?;
    verify(spec, entry.rows, &entry.sha256, &parsed)?;
    let staged = sink.as_mut().finish().await.map_err(db(context))?;
    if staged != parsed.encoded {
        return Err(Error::Unbalanced {
            file: spec.file.into(),
            read: parsed.encoded,
            staged,
            rejected: 0,
        });
    }
    tracing::info!(
        "{}: {} bytes, {} records read, {staged} staged, {} rejected",
        spec.file,
        parsed.bytes,
        parsed.read,
        parsed.rejects.len()
    );
    Ok(Staged {
        spec,
        new,
        final_name,
        read: parsed.read,
        staged,
        rejects: parsed.rejects,
        manifest: Some((entry.rows, parsed.sha256)),
    })
}

fn stop_error(stop: Stop, spec: &TableSpec, path: &std::path::Path) -> Error {
    match stop {
        Stop::Io(source) => Error::Io {
            context: format!("reading {}", path.display()),
            source,
        },
        Stop::BadHeader(reason) => Error::BadHeader {
            file: spec.file.into(),
            reason,
        },
        Stop::Cancelled => Error::ParserFailed(spec.file.into()),
    }
}

/// The file must be the one the manifest describes: same bytes, same record count.
fn verify(spec: &TableSpec, rows: u64, sha256: &str, parsed: &ParsedFile) -> Result<()> {
    let mismatch = |reason: String| Error::ManifestMismatch {
        file: spec.file.into(),
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

async fn copy_rejects(tx: &Transaction<'_>, date: NaiveDate, staged: &[Staged]) -> Result<u64> {
    let context = "copying rejects into quarantine.rejected_rows";
    let sink = tx.copy_in(COPY_REJECTS).await.map_err(db(context))?;
    let types = [
        Type::DATE,
        Type::TEXT,
        Type::TEXT,
        Type::INT8,
        Type::TEXT,
        Type::TEXT,
        Type::BYTEA,
        Type::INT8,
    ];
    let mut writer = pin!(BinaryCopyInWriter::new(sink, &types));
    for s in staged {
        for r in &s.rejects {
            let line = i64::try_from(r.line).unwrap_or(i64::MAX);
            writer
                .as_mut()
                .write(&[
                    &date,
                    &Stage::Load.as_str(),
                    &s.spec.file,
                    &line,
                    &r.reason.as_str(),
                    &r.detail,
                    &r.raw,
                    &r.user_id,
                ])
                .await
                .map_err(db(context))?;
        }
    }
    writer.finish().await.map_err(db(context))
}

/// Drops the batch's old partition(s) and attaches the new one under its final name.
async fn swap_partition(tx: &Transaction<'_>, s: &Staged, date: NaiveDate) -> Result<()> {
    if s.spec.table == "users" {
        let erase = ERASE_USERS.replace("{new}", &quote(&s.new));
        tx.execute(&erase, &[])
            .await
            .map_err(db("keeping erased users erased"))?;
    }
    let old = tx
        .query(DAY_PARTITIONS, &[&s.spec.table, &date])
        .await
        .map_err(db("finding the batch's old partition"))?;
    for row in old {
        let name: String = row.get(0);
        tx.batch_execute(&DROP_PARTITION.replace("{old}", &name))
            .await
            .map_err(db(format!("dropping {name}")))?;
    }
    let attach = ATTACH_PARTITION
        .replace("{new}", &quote(&s.new))
        .replace("{final}", &quote(&s.final_name))
        .replace("{parent}", &quote(s.spec.table))
        .replace("{date}", &date.format("%Y-%m-%d").to_string());
    tx.batch_execute(&attach)
        .await
        .map_err(db(format!("attaching staging.{}", s.final_name)))
}
