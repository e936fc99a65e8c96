//! The read-only BI role.

use super::*;

#[tokio::test]
async fn the_bi_role_reads_marts_and_ops_and_nothing_else_and_writes_nothing() {
    let db = TestDb::migrated().await;
    let mut c = db.client().await;
    grant_bi_role(&c, DEFAULT_BI_ROLE).await.unwrap();
    // Again: init runs it every time.
    assert!(!grant_bi_role(&c, DEFAULT_BI_ROLE).await.unwrap());
    let relations: Vec<(String, String)> = c
        .query(
            "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname IN ('marts', 'ops') AND c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition \
             ORDER BY 1, 2",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert!(relations.len() >= 13, "{relations:?}");
    for (schema, rel) in &relations {
        let columns = if rel == "validation_results" {
            "result_id, suite, expectation_type, column_name, kwargs, severity, success, unexpected_count"
        } else {
            "*"
        };
        let sql = format!("SELECT {columns} FROM {schema}.{rel} LIMIT 1");
        assert_eq!(as_role(&mut c, "retention_bi", &sql).await, None, "{sql}");
    }
    let denied = [
        "SELECT * FROM staging.events LIMIT 1",
        "SELECT * FROM staging.users LIMIT 1",
        "SELECT * FROM quarantine.rejected_rows LIMIT 1",
        "SELECT email FROM dw.dim_user LIMIT 1",
        "SELECT * FROM dw.fact_user_events LIMIT 1",
        "SELECT * FROM mart_state.sessions LIMIT 1",
        "SELECT result FROM ops.validation_results LIMIT 1",
        "SELECT observed_value FROM ops.validation_results LIMIT 1",
        "INSERT INTO ops.task_runs (step) VALUES ('x')",
        "DELETE FROM ops.table_stats",
        "UPDATE marts.sales_weekly SET orders = 0",
        "CREATE TABLE marts.mine (x int)",
        "CREATE TABLE ops.mine (x int)",
        "SELECT mart_state.rebuild()",
    ];
    for sql in denied {
        assert_eq!(
            as_role(&mut c, "retention_bi", sql).await.as_deref(),
            Some("42501"),
            "{sql} must be refused for lack of privilege"
        );
    }
    // Objects created later in ops and marts are readable without another init.
    c.batch_execute("CREATE TABLE ops.later (x int); CREATE VIEW marts.later AS SELECT 1 AS x")
        .await
        .unwrap();
    for sql in ["SELECT * FROM ops.later", "SELECT * FROM marts.later"] {
        assert_eq!(as_role(&mut c, "retention_bi", sql).await, None, "{sql}");
    }
}
