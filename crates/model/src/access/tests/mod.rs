//! The roles against a real database: each one tried as `SET ROLE`, allowed and refused.

use retention_testing::TestDb;

use super::*;

/// Runs `sql` as `role` in its own transaction; the SQLSTATE it fails with, if it fails.
async fn as_role(c: &mut Client, role: &str, sql: &str) -> Option<String> {
    let tx = c.transaction().await.unwrap();
    tx.batch_execute(&format!("SET LOCAL ROLE {role}"))
        .await
        .unwrap();
    let out = tx
        .batch_execute(sql)
        .await
        .err()
        .map(|e| e.code().map(|c| c.code().to_owned()).unwrap_or_default());
    drop(tx);
    out
}

mod bi;
mod refusals;
mod writers;
