//! `ops.warehouse`: the first load of a simulated day records what the data was generated
//! with; later loads refuse a day generated otherwise unless forced. A day whose manifest
//! carries no generator fields (another producer's files) is checked for its schema version
//! only.

use retention_model::Manifest;
use tokio_postgres::Transaction;

use crate::{Error, Result, clip::clip, error::db};

const GET: &str = include_str!("../sql/warehouse_get.sql");
const RECORD: &str = include_str!("../sql/warehouse_record.sql");
const KEEP_VERSION: &str = include_str!("../sql/warehouse_keep_version.sql");

/// What happened to `ops.warehouse`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Check {
    /// This load recorded the warehouse's identity.
    Recorded,
    /// The day matches the recorded identity.
    Matches,
    /// The day differs and `force` let it through.
    Forced,
    /// The day carries no generator identity (no manifest, or one without generator
    /// fields): only its schema version was checked.
    Unpinned,
}

impl Check {
    /// The word a load report gives.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Recorded => "recorded",
            Self::Matches => "matches",
            Self::Forced => "forced",
            Self::Unpinned => "unpinned",
        }
    }
}

/// Seeds are `u64`; the column is `bigint`: stored bit for bit.
fn seed_to_sql(seed: u64) -> i64 {
    i64::from_ne_bytes(seed.to_ne_bytes())
}

/// The identity a warehouse recorded: each generator field may be missing.
struct Recorded {
    seed: Option<i64>,
    scale: Option<f64>,
    version: i32,
    hash: Option<String>,
}

/// Checks the day's manifest (`None`: loaded without one) against `ops.warehouse`, recording
/// the identity on the first simulated day.
pub(crate) async fn check(
    tx: &Transaction<'_>,
    manifest: Option<&Manifest>,
    force: bool,
) -> Result<Check> {
    let version = manifest.map_or(retention_model::SCHEMA_VERSION, |m| m.schema_version);
    let sql_version = i32::try_from(version).unwrap_or(i32::MAX);
    if version != retention_model::SCHEMA_VERSION && !force {
        return Err(Error::WarehouseMismatch(format!(
            "landing schema version {version}, this loader reads version {}",
            retention_model::SCHEMA_VERSION
        )));
    }
    let row = tx
        .query_opt(GET, &[])
        .await
        .map_err(db("reading ops.warehouse"))?;
    let recorded = row.map(|r| Recorded {
        seed: r.get(0),
        scale: r.get(1),
        version: r.get(2),
        hash: r.get(3),
    });
    let pinned = recorded
        .as_ref()
        .is_some_and(|r| r.seed.is_some() || r.scale.is_some() || r.hash.is_some());
    let generated = manifest.filter(|m| m.has_generator_fields());
    let version_diff = recorded
        .as_ref()
        .filter(|r| r.version != sql_version)
        .map(|r| format!("schema version {version} vs warehouse {}", r.version));
    let mut diffs = Vec::new();
    let check = match (generated, recorded.as_ref().filter(|_| pinned)) {
        (Some(m), None) => {
            let seed = m.seed.map(seed_to_sql);
            tx.execute(RECORD, &[&seed, &m.scale, &sql_version, &m.config_hash])
                .await
                .map_err(db("recording ops.warehouse"))?;
            return Ok(Check::Recorded);
        }
        (None, _) => {
            diffs.extend(version_diff);
            tx.execute(KEEP_VERSION, &[&sql_version])
                .await
                .map_err(db("recording ops.warehouse"))?;
            Check::Unpinned
        }
        (Some(m), Some(r)) => {
            if let (Some(seed), Some(r_seed)) = (m.seed, r.seed)
                && seed_to_sql(seed) != r_seed
            {
                diffs.push(format!(
                    "seed {seed} vs warehouse {}",
                    u64::from_ne_bytes(r_seed.to_ne_bytes())
                ));
            }
            if let (Some(scale), Some(r_scale)) = (m.scale, r.scale)
                && scale != r_scale
            {
                diffs.push(format!("scale {scale} vs warehouse {r_scale}"));
            }
            diffs.extend(version_diff);
            if let (Some(hash), Some(r_hash)) = (&m.config_hash, &r.hash)
                && hash != r_hash
            {
                diffs.push(format!(
                    "config hash {} vs warehouse {}",
                    clip(hash),
                    clip(r_hash)
                ));
            }
            Check::Matches
        }
    };
    match (diffs.is_empty(), force) {
        (true, _) => Ok(check),
        (false, true) => {
            tracing::warn!("loading despite a mismatch (--force): {}", diffs.join(", "));
            Ok(Check::Forced)
        }
        (false, false) => Err(Error::WarehouseMismatch(diffs.join(", "))),
    }
}
