//! The shipped suites (`config/expectations/`), GE JSON input and stored results.

use std::path::PathBuf;

use retention_quality::{
    Batch, Severity, Strategy, Suite, TableSchema, compile, store_results, validate,
};
use retention_testing::TestDb;
use serde_json::json;

use crate::common::day;

fn default_suites() -> Vec<Suite> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../config/expectations");
    Suite::load_all(&[dir]).unwrap()
}

#[tokio::test]
async fn default_suites_compile_to_the_pinned_sql() {
    let db = TestDb::migrated().await;
    let client = db.client().await;
    let suites = default_suites();
    let names: Vec<&str> = suites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        ["staging_events", "staging_products", "staging_users"]
    );
    for suite in &suites {
        let schema = TableSchema::fetch(&client, &suite.table)
            .await
            .unwrap()
            .unwrap();
        let compiled = compile(suite, &schema).unwrap();
        let mut text = format!(
            "-- scan\n{}\n-- params {:?}\n",
            compiled.scan.sql, compiled.scan.params
        );
        for (i, q) in &compiled.uniqueness {
            text += &format!(
                "\n-- uniqueness of #{}\n{}\n-- params {:?}\n",
                i + 1,
                q.sql,
                q.params
            );
        }
        for (i, q) in compiled.samples.iter().enumerate() {
            if let Some(q) = q {
                text += &format!(
                    "\n-- samples of #{}\n{}\n-- params {:?}\n",
                    i + 1,
                    q.sql,
                    q.params
                );
            }
        }
        for (i, q) in compiled.per_expectation.iter().enumerate() {
            text += &format!(
                "\n-- per-expectation #{}\n{}\n-- params {:?}\n",
                i + 1,
                q.sql,
                q.params
            );
        }
        insta::assert_snapshot!(suite.name.clone(), text);
    }
}

/// A day of 10,000 events in `staging.events` with known mess: 40 duplicated events, 20
/// missing user ids, 100 `PageView` variants and 10 unknown types, 10 timestamps in 2099, 80
/// late events (2 days old), 5 purchases with quantity 150 and 5 with price 0.
async fn messy_day(client: &tokio_postgres::Client) {
    client
        .batch_execute(
            "CREATE TABLE staging.events_20260310 PARTITION OF staging.events FOR VALUES IN ('2026-03-10');
             INSERT INTO staging.events (batch_date, source_line, event_id, event_ts, user_id, session_id,
                                         event_type, product_id, quantity, unit_price)
             SELECT '2026-03-10', i + 1, 'e' || i,
                    CASE WHEN i BETWEEN 200 AND 209 THEN timestamptz '2099-01-01 00:00+00'
                         WHEN i BETWEEN 300 AND 379 THEN timestamptz '2026-03-08 10:00+00'
                         ELSE timestamptz '2026-03-10 00:00+00' + i * interval '8 seconds' END,
                    CASE WHEN i < 20 THEN NULL ELSE i % 700 END,
                    's' || (i / 5),
                    CASE WHEN i BETWEEN 100 AND 199 THEN 'PageView'
                         WHEN i BETWEEN 400 AND 409 THEN 'teleport'
                         WHEN i % 10 = 0 THEN 'purchase' ELSE 'page_view' END,
                    CASE WHEN i % 10 = 0 THEN i % 300 END,
                    CASE WHEN i % 10 = 0 THEN CASE WHEN i BETWEEN 1000 AND 1040 THEN 150 ELSE 1 END END,
                    CASE WHEN i % 10 = 0 THEN CASE WHEN i BETWEEN 2000 AND 2040 THEN 0 ELSE 9.99 END END
             FROM generate_series(0, 9959) AS i;
             INSERT INTO staging.events
             SELECT * FROM staging.events WHERE event_id IN (SELECT 'e' || g FROM generate_series(5000, 5039) g);",
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_normal_messy_day_passes_with_warnings_and_a_broken_feed_fails() {
    let db = TestDb::migrated().await;
    let client = db.client().await;
    messy_day(&client).await;
    let events: Vec<Suite> = default_suites()
        .into_iter()
        .filter(|s| s.name == "staging_events")
        .collect();
    let batch = Batch {
        date: day("2026-03-10"),
    };
    let report = validate(&client, &events, &batch, Strategy::SetBased)
        .await
        .unwrap();
    assert!(
        report.gate_passed(),
        "{:#?}",
        report
            .critical_failures()
            .iter()
            .map(|r| r.summary())
            .collect::<Vec<_>>()
    );
    let warnings: Vec<(String, Option<&str>, Option<i64>)> = report
        .failures(Severity::Warning)
        .iter()
        .map(|r| {
            (
                r.expectation.expectation_type.clone(),
                r.column(),
                r.unexpected_count(),
            )
        })
        .collect();
    assert_eq!(
        warnings,
        [
            (
                "expect_column_values_to_be_unique".to_owned(),
                Some("event_id"),
                Some(80)
            ),
            (
                "expect_column_values_to_not_be_null".to_owned(),
                Some("user_id"),
                Some(20)
            ),
            (
                "expect_column_values_to_be_in_set".to_owned(),
                Some("event_type"),
                Some(110)
            ),
            (
                "expect_column_values_to_be_between".to_owned(),
                Some("event_ts"),
                Some(10)
            ),
            (
                "expect_column_values_to_be_between".to_owned(),
                Some("quantity"),
                Some(5)
            ),
            (
                "expect_column_values_to_be_between".to_owned(),
                Some("unit_price"),
                Some(5)
            ),
        ]
    );
    let row_count = report.results().next().unwrap().result_json();
    assert_eq!(row_count, json!({"observed_value": 10000}));

    client
        .execute("UPDATE staging.events SET user_id = NULL WHERE batch_date = '2026-03-10' AND source_line % 5 = 0", &[])
        .await
        .unwrap();
    let broken = validate(&client, &events, &batch, Strategy::SetBased)
        .await
        .unwrap();
    let critical: Vec<String> = broken
        .critical_failures()
        .iter()
        .map(|r| r.summary())
        .collect();
    assert_eq!(critical.len(), 1, "{critical:#?}");
    assert!(critical[0].starts_with("[critical] staging_events.expect_column_values_to_not_be_null user_id: 2016 unexpected (20.160%)"), "{}", critical[0]);
}

#[tokio::test]
async fn a_great_expectations_suite_json_runs_and_results_land_in_ops() {
    let db = TestDb::migrated().await;
    let client = db.client().await;
    messy_day(&client).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.json");
    std::fs::write(
        &path,
        json!({
            "name": "ge_events",
            "id": "7a1c5d3e-0000-4000-8000-000000000001",
            "meta": {"great_expectations_version": "1.24.1", "retention": {"table": "staging.events", "batch": {"column": "batch_date"}}},
            "notes": null,
            "expectations": [
                {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "user_id"}, "meta": {}, "id": "a1", "severity": "warning"},
                {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "event_id", "mostly": 0.999}, "meta": {"owner": "data"}, "id": "a2"},
                {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1, "max_value": 20000}, "meta": {}, "id": "a3", "severity": "critical"}
            ]
        })
        .to_string(),
    )
    .unwrap();
    let suites = Suite::load_all(&[dir.path().to_owned()]).unwrap();
    let report = validate(
        &client,
        &suites,
        &Batch {
            date: day("2026-03-10"),
        },
        Strategy::SetBased,
    )
    .await
    .unwrap();
    let ge = report.to_ge_json();
    assert_eq!(ge["success"], json!(false));
    assert_eq!(
        ge["statistics"],
        json!({"evaluated_expectations": 3, "successful_expectations": 1, "unsuccessful_expectations": 2, "success_percent": 1.0 / 3.0 * 100.0})
    );
    assert_eq!(
        ge["results"][1]["expectation_config"],
        json!({"type": "expect_column_values_to_be_unique", "kwargs": {"column": "event_id", "mostly": 0.999}, "meta": {"owner": "data"}, "id": "a2", "severity": "critical"})
    );
    assert_eq!(ge["results"][1]["result"]["unexpected_count"], json!(80));
    assert_eq!(report.critical_failures().len(), 1);

    let run_id: i64 = client
        .query_one("INSERT INTO ops.task_runs (step, batch_date) VALUES ('validate', '2026-03-10') RETURNING run_id", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        store_results(&client, "ops.validation_results", Some(run_id), &report)
            .await
            .unwrap(),
        3
    );
    let rows = client
        .query(
            "SELECT suite, table_name, expectation_type, column_name, severity, success, element_count,
                    unexpected_count, unexpected_percent, missing_count, observed_value, kwargs, batch_date::text
             FROM ops.validation_results WHERE run_id = $1 ORDER BY result_id",
            &[&run_id],
        )
        .await
        .unwrap();
    let got: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            json!([
                r.get::<_, String>(0),
                r.get::<_, String>(1),
                r.get::<_, String>(2),
                r.get::<_, Option<String>>(3),
                r.get::<_, String>(4),
                r.get::<_, bool>(5),
                r.get::<_, Option<i64>>(6),
                r.get::<_, Option<i64>>(7),
                r.get::<_, Option<f64>>(8),
                r.get::<_, Option<i64>>(9),
                r.get::<_, Option<serde_json::Value>>(10),
                r.get::<_, serde_json::Value>(11),
                r.get::<_, String>(12)
            ])
        })
        .collect();
    assert_eq!(
        got,
        [
            json!(["ge_events", "staging.events", "expect_column_values_to_not_be_null", "user_id", "warning", false, 10000, 20, 20.0 / 10000.0 * 100.0, null, null, {"column": "user_id"}, "2026-03-10"]),
            json!(["ge_events", "staging.events", "expect_column_values_to_be_unique", "event_id", "critical", false, 10000, 80, 80.0 / 10000.0 * 100.0, 0, null, {"column": "event_id", "mostly": 0.999}, "2026-03-10"]),
            json!(["ge_events", "staging.events", "expect_table_row_count_to_be_between", null, "critical", true, 10000, null, null, null, 10000, {"min_value": 1, "max_value": 20000}, "2026-03-10"]),
        ]
    );
}
