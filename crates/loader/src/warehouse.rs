//! `ops.warehouse`: the first load records what the data was generated with; later loads
//! refuse a day generated otherwise unless forced.

use retention_model::Manifest;
use tokio_postgres::Transaction;

use crate::{Error, Result, clip::clip, error::db};

const GET: &str = include_str!("../sql/warehouse_get.sql");
const RECORD: &str = include_str!("../sql/warehouse_record.sql");

/// What happened to `ops.warehouse`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Check {
    /// This load recorded the warehouse's identity.
    Recorded,
    /// The day matches the recorded identity.
    Matches,
    /// The day differs and `force` let it through.
    Forced,
}

/// Seeds are `u64`; the column is `bigint`: stored bit for bit.
fn seed_to_sql(seed: u64) -> i64 {
    i64::from_ne_bytes(seed.to_ne_bytes())
}

pub(crate) async fn check(tx: &Transaction<'_>, m: &Manifest, force: bool) -> Result<Check> {
    let row = tx
        .query_opt(GET, &[])
        .await
        .map_err(db("reading ops.warehouse"))?;
    let seed = seed_to_sql(m.seed);
    let version = i32::try_from(m.schema_version).unwrap_or(i32::MAX);
    let recorded = row.and_then(|r| {
        let s: Option<i64> = r.get(0);
        let sc: Option<f64> = r.get(1);
        let v: i32 = r.get(2);
        let h: Option<String> = r.get(3);
        Some((s?, sc?, v, h?))
    });
    if m.schema_version != retention_model::SCHEMA_VERSION && !force {
        return Err(Error::WarehouseMismatch(format!(
            "landing schema version {}, this loader reads version {}",
            m.schema_version,
            retention_model::SCHEMA_VERSION
        )));
    }
    let Some((r_seed, r_scale, r_version, r_hash)) = recorded else {
        tx.execute(RECORD, &[&seed, &m.scale, &version, &m.config_hash])
            .await
            .map_err(db("recording ops.warehouse"))?;
        return Ok(Check::Recorded);
    };
    let mut diffs = Vec::new();
    if r_seed != seed {
        diffs.push(format!(
            "seed {} vs warehouse {}",
            m.seed,
            u64::from_ne_bytes(r_seed.to_ne_bytes())
        ));
    }
    if r_scale != m.scale {
        diffs.push(format!("scale {} vs warehouse {r_scale}", m.scale));
    }
    if r_version != version {
        diffs.push(format!(
            "schema version {} vs warehouse {r_version}",
            m.schema_version
        ));
    }
    if r_hash != m.config_hash {
        diffs.push(format!(
            "config hash {} vs warehouse {}",
            clip(&m.config_hash),
            clip(&r_hash)
        ));
    }
    match (diffs.is_empty(), force) {
        (true, _) => Ok(Check::Matches),
        (false, true) => {
            tracing::warn!("loading despite a mismatch (--force): {}", diffs.join(", "));
            Ok(Check::Forced)
        }
        (false, false) => Err(Error::WarehouseMismatch(diffs.join(", "))),
    }
}
