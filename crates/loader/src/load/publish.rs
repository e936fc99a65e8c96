//! Publishing a staged day inside the load's transaction: the refused records copied into
//! quarantine, then each new partition swapped in for the batch's old one (after erasing what
//! an erased user's reloaded rows would bring back).

use std::pin::pin;

use chrono::NaiveDate;
use postgres_types::Type;
use retention_model::Stage;
use tokio_postgres::{Transaction, binary_copy::BinaryCopyInWriter};

use retention_pgsql::quote_ident;

use super::stage::Staged;
use crate::{Result, erasure::Plan, error::db};

const DAY_PARTITIONS: &str = include_str!("../../sql/day_partitions.sql");
const DROP_PARTITION: &str = include_str!("../../sql/drop_partition.sql");
const ATTACH_PARTITION: &str = include_str!("../../sql/attach_partition.sql");
const COPY_REJECTS: &str = include_str!("../../sql/copy_rejects.sql");
const ANALYZE_PARTITION: &str = include_str!("../../sql/analyze_partition.sql");

pub(super) async fn copy_rejects(
    tx: &Transaction<'_>,
    date: NaiveDate,
    staged: &[Staged],
) -> Result<u64> {
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
                    &s.file,
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

/// Erases in the new partition what the erasure places of its table say (an erased user's
/// reloaded rows must not bring their data back), gathers its planner statistics, drops the
/// batch's old partition(s) and attaches the new one under its final name.
pub(super) async fn swap_partition(
    tx: &Transaction<'_>,
    s: &Staged,
    date: NaiveDate,
    erasure: &Plan,
) -> Result<()> {
    for erase in erasure.staging(s.spec.table, &s.new)? {
        tx.execute(&erase, &[&date]).await.map_err(db(format!(
            "keeping erased users erased in staging.{}",
            s.spec.table
        )))?;
    }
    tx.batch_execute(&ANALYZE_PARTITION.replace("{new}", &quote_ident(&s.new)))
        .await
        .map_err(db(format!("analysing staging.{}", s.new)))?;
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
        .replace("{new}", &quote_ident(&s.new))
        .replace("{final}", &quote_ident(&s.final_name))
        .replace("{parent}", &quote_ident(s.spec.table))
        .replace("{date}", &date.format("%Y-%m-%d").to_string());
    tx.batch_execute(&attach)
        .await
        .map_err(db(format!("attaching staging.{}", s.final_name)))
}
