//! Storing results: one row per expectation in a results table shaped like
//! `ops.validation_results` (the crate takes the table's name as configuration).

use retention_pgsql::quote_qualified;
use serde_json::{Value, json};
use tokio_postgres::Client;

use crate::{
    error::{Error, Result},
    report::{Observed, ValidationReport},
    schema::TableSchema,
    suite::TableRef,
};

/// Inserts one row per expectation of `report` into `results_table` (`schema.table`, which
/// must exist and have the columns of `ops.validation_results`), tagged with `run_id`.
/// Returns the rows written.
pub async fn store_results(
    client: &Client,
    results_table: &str,
    run_id: Option<i64>,
    report: &ValidationReport,
) -> Result<u64> {
    let table = TableRef::parse(results_table)
        .ok_or_else(|| Error::ResultsTable(results_table.to_owned()))?;
    if TableSchema::fetch(client, &table).await?.is_none() {
        return Err(Error::ResultsTable(results_table.to_owned()));
    }
    let rows: Vec<Value> = report
        .results()
        .map(|r| {
            // Only the row count has an observed value, and it is never a column's value:
            // nothing of a personal column gets here (`Suite::is_personal`).
            let observed_value = match &r.observed {
                Observed::RowCount { observed_value } => json!(observed_value),
                Observed::Map { .. } => Value::Null,
            };
            let element_count = match &r.observed {
                Observed::Map { element_count, .. } => Some(*element_count),
                Observed::RowCount { observed_value } => Some(*observed_value),
            };
            json!({
                "run_id": run_id,
                "batch_date": report.batch.date.to_string(),
                "suite": r.suite,
                "table_name": r.table,
                "expectation_type": r.expectation.expectation_type,
                "column_name": r.column(),
                "kwargs": r.expectation.kwargs,
                "severity": r.expectation.severity.as_str(),
                "success": r.success,
                "element_count": element_count,
                "unexpected_count": r.unexpected_count(),
                "unexpected_percent": r.unexpected_percent(),
                "missing_count": r.missing_count(),
                "observed_value": observed_value,
                "result": r.result_json(),
            })
        })
        .collect();
    let sql = include_str!("../sql/insert_results.sql").replace(
        "{results_table}",
        &quote_qualified(&table.schema, &table.name),
    );
    client
        .execute(&sql, &[&Value::Array(rows)])
        .await
        .map_err(Error::db(format!("storing results into {results_table}")))
}
