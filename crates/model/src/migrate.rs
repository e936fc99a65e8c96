use std::time::Instant;

use chrono::NaiveDate;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio_postgres::Client;

use crate::{Error, Result, error::db_reason, ops::advisory_key};

/// One numbered SQL migration from `crates/model/migrations/NNNN_name.sql`.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// The number `NNNN`.
    pub version: u32,
    /// The `name` part of the file name.
    pub name: &'static str,
    /// The file name.
    pub file: &'static str,
    /// The SQL text.
    pub sql: &'static str,
}

impl Migration {
    /// SHA-256 of the SQL text, lower-case hex: what `ops.schema_migrations` records.
    pub fn checksum(&self) -> String {
        hex::encode(Sha256::digest(self.sql.as_bytes()))
    }

    /// Whether a warehouse that recorded `applied` for this migration has applied it: the
    /// checksum of today's text, or of an earlier text that differed from it only in comments
    /// ([`COMMENT_ONLY_EDITS`]).
    pub fn accepts(&self, applied: &str) -> bool {
        applied == self.checksum()
            || COMMENT_ONLY_EDITS
                .iter()
                .any(|(version, old)| *version == self.version && *old == applied)
    }
}

/// Checksums of earlier texts of applied migrations that differ from today's files only in
/// comment lines, so a warehouse that applied them is up to date. 0040 and 0041 once named a
/// document outside the repository in their first comment lines (now `docs/conformance.md`
/// and `docs/kpis.md`; the SQL is byte for byte the same).
pub const COMMENT_ONLY_EDITS: &[(u32, &str)] = &[
    (
        40,
        "b226f0a9038965c3212983449c6f16825294dc97e7a5b123231bb625db403c3a",
    ),
    (
        41,
        "c5390bfe4752133517affe401906d829c6d6a710850e357a6514369c55c9c289",
    ),
];

include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

/// A migration applied by this run.
#[derive(Debug, Clone, Serialize)]
pub struct AppliedMigration {
    /// Its version.
    pub version: u32,
    /// Its file name.
    pub file: String,
    /// How long it took.
    pub duration_ms: u64,
}

/// What [`migrate`] did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MigrationReport {
    /// Migrations applied now, in order.
    pub applied: Vec<AppliedMigration>,
    /// Migrations found already applied (and unchanged).
    pub already_applied: usize,
}

const BOOTSTRAP: &str = "
    CREATE SCHEMA IF NOT EXISTS ops;
    CREATE TABLE IF NOT EXISTS ops.schema_migrations (
        version     integer     PRIMARY KEY,
        name        text        NOT NULL,
        file        text        NOT NULL,
        checksum    text        NOT NULL,
        applied_at  timestamptz NOT NULL DEFAULT now(),
        duration_ms bigint      NOT NULL
    );
    COMMENT ON TABLE ops.schema_migrations IS 'Migrations applied by retention init: version, file, checksum, when.';";

/// Applies every pending migration of [`MIGRATIONS`]; see [`migrate_with`].
pub async fn migrate(client: &mut Client) -> Result<MigrationReport> {
    migrate_with(client, MIGRATIONS).await
}

/// Applies the pending `migrations` in version order, each in its own transaction, under a
/// session advisory lock so concurrent runs serialise. Already-applied migrations are
/// checked against their checksum: a changed file stops the run with its name.
pub async fn migrate_with(
    client: &mut Client,
    migrations: &[Migration],
) -> Result<MigrationReport> {
    let key = advisory_key("init", None);
    client
        .execute("SELECT pg_advisory_lock($1)", &[&key])
        .await?;
    let result = apply(client, migrations).await;
    // The lock dies with the session anyway; an unlock failure must not hide the result.
    if let Err(e) = client
        .execute("SELECT pg_advisory_unlock($1)", &[&key])
        .await
    {
        tracing::warn!("could not release the migration lock: {e}");
    }
    result
}

async fn apply(client: &mut Client, migrations: &[Migration]) -> Result<MigrationReport> {
    client.batch_execute(BOOTSTRAP).await?;
    let rows = client
        .query(
            "SELECT version, name, checksum FROM ops.schema_migrations ORDER BY version",
            &[],
        )
        .await?;
    let mut report = MigrationReport::default();
    let mut applied_versions = Vec::with_capacity(rows.len());
    for row in rows {
        let version: i32 = row.get(0);
        let name: String = row.get(1);
        let checksum: String = row.get(2);
        let Some(m) = migrations
            .iter()
            .find(|m| i64::from(m.version) == i64::from(version))
        else {
            return Err(Error::UnknownMigration { version, name });
        };
        if !m.accepts(&checksum) {
            return Err(Error::MigrationChanged {
                file: m.file.to_owned(),
                applied: checksum,
                current: m.checksum(),
            });
        }
        applied_versions.push(m.version);
        report.already_applied += 1;
    }
    let mut pending: Vec<&Migration> = migrations
        .iter()
        .filter(|m| !applied_versions.contains(&m.version))
        .collect();
    pending.sort_by_key(|m| m.version);
    for m in pending {
        let started = Instant::now();
        let tx = client.transaction().await?;
        tx.batch_execute(m.sql)
            .await
            .map_err(|e| Error::MigrationFailed {
                file: m.file.to_owned(),
                reason: db_reason(&e),
            })?;
        let duration_ms = started.elapsed().as_millis() as u64;
        tx.execute(
            "INSERT INTO ops.schema_migrations (version, name, file, checksum, duration_ms) VALUES ($1, $2, $3, $4, $5)",
            &[&(m.version as i32), &m.name, &m.file, &m.checksum(), &(duration_ms as i64)],
        )
        .await?;
        tx.commit().await?;
        tracing::info!(
            version = m.version,
            file = m.file,
            duration_ms,
            "applied migration"
        );
        report.applied.push(AppliedMigration {
            version: m.version,
            file: m.file.to_owned(),
            duration_ms,
        });
    }
    Ok(report)
}

/// The calendar the warehouse covers: `dw.dim_date` rows and monthly fact partitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CalendarRange {
    /// First day (inclusive).
    pub first: NaiveDate,
    /// Last day (inclusive).
    pub last: NaiveDate,
}

impl Default for CalendarRange {
    /// 2025-01-01 to 2027-12-31: the default simulated year with a year of margin each side.
    fn default() -> Self {
        Self {
            first: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default(),
            last: NaiveDate::from_ymd_opt(2027, 12, 31).unwrap_or_default(),
        }
    }
}

/// Fills `dw.dim_date` and creates the monthly fact partitions for `range`; returns
/// (days added, partitions created). Idempotent.
pub async fn prepare_calendar(client: &Client, range: CalendarRange) -> Result<(u64, u64)> {
    if range.first > range.last {
        return Err(Error::Config(format!(
            "calendar range {} .. {} is empty",
            range.first, range.last
        )));
    }
    let days: i32 = client
        .query_one(
            "SELECT dw.fill_dim_date($1, $2)",
            &[&range.first, &range.last],
        )
        .await?
        .get(0);
    let parts: i32 = client
        .query_one(
            "SELECT dw.ensure_fact_partitions($1, $2)",
            &[&range.first, &range.last],
        )
        .await?
        .get(0);
    Ok((days.max(0) as u64, parts.max(0) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_in_order_without_gaps_in_names() {
        assert!(!MIGRATIONS.is_empty());
        for pair in MIGRATIONS.windows(2) {
            assert!(pair[0].version < pair[1].version);
        }
        for m in MIGRATIONS {
            assert!(
                m.file.starts_with(&format!("{:04}_", m.version)),
                "{}",
                m.file
            );
            assert_eq!(m.checksum().len(), 64);
        }
    }

    #[test]
    fn a_comment_only_edit_keeps_old_warehouses_up_to_date_and_nothing_else_does() {
        for (version, old) in COMMENT_ONLY_EDITS {
            let m = MIGRATIONS.iter().find(|m| m.version == *version);
            let Some(m) = m else {
                panic!("no migration {version}")
            };
            assert!(m.accepts(old) && m.accepts(&m.checksum()));
            assert_ne!(*old, m.checksum());
        }
        let other = MIGRATIONS.iter().find(|m| m.version == 1);
        assert!(other.is_some_and(|m| !m.accepts(COMMENT_ONLY_EDITS[0].1)));
        assert!(other.is_some_and(|m| !m.accepts(&"0".repeat(64))));
    }
}
