//! Sending a plan's actions to the server: binary COPY into `pg_temp.scd_actions`, which the
//! set-based statements read.

use tokio_postgres::{
    Transaction,
    binary_copy::BinaryCopyInWriter,
    types::{ToSql, Type},
};

use crate::{Action, DimensionSpec, Result, Value, sql::DimensionSql};

/// Sends the actions that change something into `pg_temp.scd_actions` by binary COPY.
pub(super) async fn copy_actions(
    tx: &Transaction<'_>,
    spec: &DimensionSpec,
    sql: &DimensionSql,
    actions: &[Action],
) -> Result<()> {
    tx.batch_execute(&sql.actions_table).await?;
    let n = spec.type2.len() + spec.type1.len();
    let mut types = vec![
        Type::TEXT,
        Type::TEXT,
        Type::INT8,
        Type::TIMESTAMPTZ,
        Type::BYTEA,
    ];
    types.extend(std::iter::repeat_n(Type::TEXT, n));
    let sink = tx.copy_in(&sql.actions_copy).await?;
    let writer = BinaryCopyInWriter::new(sink, &types);
    let mut writer = std::pin::pin!(writer);
    let nulls: Vec<Value> = vec![None; n];
    for a in actions {
        let (name, sk, effective, hash, values): (
            &str,
            Option<i64>,
            _,
            Option<&[u8]>,
            Vec<&Value>,
        ) = match a {
            Action::NewKey(v) | Action::Recreate(v) | Action::NewVersion { version: v, .. } => {
                let (name, sk) = match a {
                    Action::NewKey(_) => ("new_key", None),
                    Action::Recreate(_) => ("recreate", None),
                    Action::NewVersion { close_sk, .. } => ("new_version", Some(*close_sk)),
                    _ => unreachable!("matched above"),
                };
                (
                    name,
                    sk,
                    Some(v.valid_from),
                    Some(&v.row_hash[..]),
                    v.values.iter().collect(),
                )
            }
            Action::Type1 { type1, .. } => {
                let values = nulls[type1.len()..].iter().chain(type1).collect();
                ("type1", None, None, None, values)
            }
            Action::Delete { close_sk, at, .. } => (
                "delete",
                Some(*close_sk),
                Some(*at),
                None,
                nulls.iter().collect(),
            ),
            Action::Forget { at, .. } => ("forget", None, Some(*at), None, nulls.iter().collect()),
            Action::NoOp { .. } => continue,
        };
        let key = a.key();
        let mut row: Vec<&(dyn ToSql + Sync)> = vec![&name, &key, &sk, &effective, &hash];
        row.extend(values.iter().map(|v| *v as &(dyn ToSql + Sync)));
        writer.as_mut().write(&row).await?;
    }
    writer.finish().await?;
    tx.batch_execute("ANALYZE pg_temp.scd_actions").await?;
    Ok(())
}
