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

use std::{collections::BTreeMap, time::Duration};

use deadpool_postgres::Pool;
use retention_model::DbConfig;

use crate::{
    Erasure, Error, FileReport, LandingDay, LoadReport, Mapping, Result, error::db, pool,
    spec::TABLES, warehouse,
};

const DELETE_REJECTS: &str = include_str!("../../sql/delete_rejects.sql");
const INSERT_AUDIT: &str = include_str!("../../sql/insert_audit.sql");

mod publish;
mod stage;

use publish::{copy_rejects, swap_partition};
use stage::stage_file;

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
    /// Where an erased user's personal data is erased, of which the load applies the places
    /// it writes (a new staging partition, its rejects). Default [`Erasure::built_in`]; a
    /// pipeline passes [`Erasure::from_dimensions`] of its dimensions file.
    pub erasure: Erasure,
    /// How a JSON Lines events file maps onto the contract's columns (default
    /// [`Mapping::contract`]: the objects hold the columns under their own names).
    pub mapping: Mapping,
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
            erasure: Erasure::built_in(),
            mapping: Mapping::contract(),
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
        let tables: Vec<&str> = TABLES.iter().map(|t| t.table).collect();
        let erasure = options.erasure.plan(&tables)?;
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
        for erase in erasure.rejects() {
            tx.execute(erase, &[&date])
                .await
                .map_err(db("keeping erased users' rejects erased"))?;
        }
        let generator = day.manifest().map(|m| {
            serde_json::json!({
                "generator_version": m.generator_version,
                "seed": m.seed,
                "scale": m.scale,
                "config_hash": m.config_hash,
                "schema_version": m.schema_version,
                "snapshot": m.snapshot,
                "mess": m.mess,
            })
        });
        let checked_against = if day.manifest().is_some() {
            "manifest"
        } else {
            "loader"
        };
        let mut files = Vec::with_capacity(staged.len());
        for s in &staged {
            let rejected = s.rejects.len() as u64;
            if s.read + s.expanded != s.staged + rejected {
                return Err(Error::Unbalanced {
                    file: s.file.into(),
                    read: s.read,
                    staged: s.staged,
                    rejected,
                });
            }
            if let Some(sha256) = &s.sha256 {
                let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
                tx.execute(
                    INSERT_AUDIT,
                    &[
                        &options.run_id,
                        &date,
                        &s.file,
                        &n(s.read),
                        &n(s.staged),
                        &n(rejected),
                        &s.manifest_rows.map(n),
                        sha256,
                        &generator,
                        &checked_against,
                        &n(s.expanded),
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
                file: s.file.into(),
                table: format!("staging.{}", s.spec.table),
                present: s.sha256.is_some(),
                read: s.read,
                staged: s.staged,
                expanded: s.expanded,
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
            swap_partition(&tx, s, date, &erasure).await?;
        }
        tx.commit().await.map_err(db("committing the load"))?;
        Ok(LoadReport {
            date,
            snapshot: day.is_snapshot(),
            warehouse: check.as_str(),
            checked_against,
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
