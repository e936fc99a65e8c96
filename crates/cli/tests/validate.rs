//! `retention validate` as Airflow runs it: the gate's exit codes, the stderr summary, the
//! result file and the rows in `ops.validation_results`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{last_json_line, retention};
use retention_testing::TestDb;
use serde_json::Value;

const EVENTS_SUITE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../config/expectations/staging_events.yaml"
);

/// 1,000 events on 2026-03-10: 10 duplicated (20 non-unique rows), 5 missing user ids.
async fn day(db: &TestDb) -> tokio_postgres::Client {
    let client = db.client().await;
    client
        .batch_execute(
            "CREATE TABLE staging.events_20260310 PARTITION OF staging.events FOR VALUES IN ('2026-03-10');
             INSERT INTO staging.events (batch_date, source_line, event_id, event_ts, user_id, session_id, event_type)
             SELECT '2026-03-10', i + 1, 'e' || i, timestamptz '2026-03-10 00:00+00' + i * interval '1 minute',
                    CASE WHEN i < 5 THEN NULL ELSE i END, 's' || i, 'page_view'
             FROM generate_series(0, 989) AS i;
             INSERT INTO staging.events SELECT * FROM staging.events WHERE source_line BETWEEN 101 AND 110;",
        )
        .await
        .unwrap();
    client
}

#[tokio::test]
async fn a_normal_day_passes_the_gate_and_a_broken_feed_exits_3_naming_the_failure() {
    let db = TestDb::migrated().await;
    let client = day(&db).await;
    let url = db.url();
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results.json");
    let results_arg = results.to_str().unwrap();
    let args = [
        "validate",
        "--date",
        "2026-03-10",
        "--database-url",
        &url,
        "--suite",
        EVENTS_SUITE,
        "--results-out",
        results_arg,
    ];

    let out = retention(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = last_json_line(&out);
    assert_eq!(
        (
            line["status"].as_str(),
            line["rows_in"].as_u64(),
            line["evaluated"].as_u64(),
            line["failed_warning"].as_u64()
        ),
        (Some("ok"), Some(1000), Some(17), Some(2))
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("[warning] staging_events.expect_column_values_to_be_unique event_id: 20 unexpected (2.000%)"), "{stderr}");
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&results).unwrap()).unwrap();
    assert_eq!(
        (
            file["success"].as_bool(),
            file["meta"]["gate_passed"].as_bool()
        ),
        (Some(false), Some(true))
    );
    assert_eq!(file["results"].as_array().unwrap().len(), 17);

    client
        .execute(
            "UPDATE staging.events SET user_id = NULL WHERE source_line % 5 = 0",
            &[],
        )
        .await
        .unwrap();
    let out = retention(&args);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(last_json_line(&out)["status"], "quality_failed");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr
            .contains("quality gate failed for 2026-03-10: 1 critical expectation(s) did not hold"),
        "{stderr}"
    );
    assert!(stderr.contains("[critical] staging_events.expect_column_values_to_not_be_null user_id: 204 unexpected (20.400%); e.g. [null, null, null, null, null]"), "{stderr}");

    let runs = client
        .query(
            "SELECT r.status, count(v.*) FILTER (WHERE NOT v.success AND v.severity = 'critical')
             FROM ops.task_runs r JOIN ops.validation_results v USING (run_id)
             WHERE r.step = 'validate' GROUP BY r.run_id, r.status ORDER BY r.run_id",
            &[],
        )
        .await
        .unwrap();
    let runs: Vec<(String, i64)> = runs.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(
        runs,
        [("ok".to_owned(), 0), ("quality_failed".to_owned(), 1)]
    );
}

#[tokio::test]
async fn a_suite_naming_a_column_that_does_not_exist_is_a_usage_error() {
    let db = TestDb::migrated().await;
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("bad.yaml");
    std::fs::write(
        &suite,
        "name: bad\ntable: staging.events\nbatch: {column: batch_date}\nexpectations:\n  - {type: expect_column_values_to_not_be_null, kwargs: {column: 'x; DROP TABLE y'}}\n",
    )
    .unwrap();
    let out = retention(&[
        "validate",
        "--date",
        "2026-03-10",
        "--database-url",
        &db.url(),
        "--suite",
        suite.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("suite {}, expectation #1 (expect_column_values_to_not_be_null): column `x; DROP TABLE y` does not exist in staging.events", suite.display())),
        "{stderr}"
    );
}

/// The unexpected count of one expectation in a `--results-out` file.
fn unexpected(results: &Value, suite: &str, ty: &str, column: &str, severity: &str) -> u64 {
    let found: Vec<u64> = results["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            let c = &r["expectation_config"];
            r["suite_name"] == suite
                && c["type"] == ty
                && c["kwargs"]["column"] == column
                && c["severity"] == severity
        })
        .map(|r| r["result"]["unexpected_count"].as_u64().unwrap())
        .collect();
    assert_eq!(found.len(), 1, "{suite} {ty} {column} {severity}");
    found[0]
}

#[tokio::test]
async fn on_a_generated_loaded_day_every_unexpected_count_is_what_the_manifest_implies() {
    let db = TestDb::migrated().await;
    let client = db.client().await;
    let url = db.url();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let results = dir.path().join("results.json");
    let suites = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/expectations");
    let date = "2026-01-02";
    let steps: [&[&str]; 3] = [
        &[
            "generate",
            "--date",
            date,
            "--seed",
            "11",
            "--scale",
            "20",
            "--data-dir",
            data,
        ],
        &[
            "load",
            "--date",
            date,
            "--data-dir",
            data,
            "--database-url",
            &url,
        ],
        &[
            "validate",
            "--date",
            date,
            "--database-url",
            &url,
            "--suite",
            suites,
            "--results-out",
            results.to_str().unwrap(),
        ],
    ];
    for args in steps {
        let out = retention(args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join(format!("dt={date}/_manifest.json"))).unwrap(),
    )
    .unwrap();
    let mess = |kind: &str| manifest["mess"][kind].as_u64().unwrap();
    for kind in [
        "duplicate_event",
        "missing_user_id",
        "event_type_variant",
        "unknown_event_type",
        "timestamp_out_of_range",
        "late_event",
        "invalid_purchase",
    ] {
        assert!(
            mess(kind) > 0,
            "pick a day where {kind} happens: {}",
            manifest["mess"]
        );
    }
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&results).unwrap()).unwrap();
    let ev = |ty, col| unexpected(&r, "staging_events", ty, col, "warning");
    // GE's uniqueness rule: both members of each duplicated pair are unexpected.
    assert_eq!(
        ev("expect_column_values_to_be_unique", "event_id"),
        2 * mess("duplicate_event")
    );
    assert_eq!(
        ev("expect_column_values_to_not_be_null", "user_id"),
        mess("missing_user_id")
    );
    // Staging holds raw spellings: variants and unknown types are both outside the set.
    assert_eq!(
        ev("expect_column_values_to_be_in_set", "event_type"),
        mess("event_type_variant") + mess("unknown_event_type")
    );
    // Late events (1-3 days old) are inside the window; out-of-range ones are not.
    assert_eq!(
        ev("expect_column_values_to_be_between", "event_ts"),
        mess("timestamp_out_of_range")
    );
    // An invalid purchase has a bad quantity, a price not above 0, or no order id.
    let no_order: i64 = client
        .query_one(
            "SELECT count(*) FROM staging.events WHERE batch_date = $1::text::date AND event_type = 'purchase' AND order_id IS NULL",
            &[&date],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        ev("expect_column_values_to_be_between", "quantity")
            + ev("expect_column_values_to_be_between", "unit_price")
            + no_order as u64,
        mess("invalid_purchase")
    );
    assert_eq!(r["meta"]["gate_passed"], true);

    // The same day with a broken feed: a fifth of the events lose their user id.
    client
        .execute(
            "UPDATE staging.events SET user_id = NULL WHERE batch_date = $1::text::date AND source_line % 5 = 0",
            &[&date],
        )
        .await
        .unwrap();
    let out = retention(steps[2]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("[critical] staging_events.expect_column_values_to_not_be_null user_id: "),
        "{stderr}"
    );
}

/// A suite query that runs past `--statement-timeout` is cancelled by the server: exit 1, a
/// message naming the suite, its table and the timeout, and the run recorded as an error.
#[tokio::test]
async fn a_suite_query_past_the_statement_timeout_fails_the_step_with_exit_1() {
    let db = TestDb::migrated().await;
    let client = day(&db).await;
    // Enough rows that no scan of them ends within a millisecond.
    client
        .batch_execute(
            "INSERT INTO staging.events (batch_date, source_line, event_id, event_ts, user_id, session_id, event_type)
             SELECT '2026-03-10', 1000 + i, repeat(md5(i::text), 4), timestamptz '2026-03-10 00:00+00', i, 's', 'page_view'
             FROM generate_series(1, 200000) AS i",
        )
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("slow.yaml");
    std::fs::write(
        &suite,
        "name: slow\ntable: staging.events\nbatch: {column: batch_date}\nexpectations:\n  - {type: expect_column_values_to_match_regex, kwargs: {column: event_id, regex: '^([0-9a-f]+)*[0-9a-f]*x$'}}\n",
    )
    .unwrap();
    let out = retention(&[
        "validate",
        "--date",
        "2026-03-10",
        "--database-url",
        &db.url(),
        "--suite",
        suite.to_str().unwrap(),
        "--statement-timeout",
        "1ms",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("a query ran longer than the statement timeout of 1 ms and was cancelled")
            && stderr.contains("on staging.events"),
        "{stderr}"
    );
    let status: String = client
        .query_one(
            "SELECT status FROM ops.task_runs WHERE step = 'validate' ORDER BY run_id DESC LIMIT 1",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(status, "error");
    // A duration that is not one is a usage error.
    let out = retention(&[
        "validate",
        "--date",
        "2026-03-10",
        "--statement-timeout",
        "soon",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

/// A Great Expectations 1.x suite exactly as GE 1.24 writes it: no table, no batch.
const GE_SUITE: &str = r#"{
  "name": "ge_events",
  "id": "0b7c6c1e-3f4e-4a55-9d1c-6a2f8e1d5b01",
  "expectations": [
    {
      "type": "expect_column_values_to_not_be_null",
      "kwargs": {"column": "user_id"},
      "meta": {},
      "id": "5d3e2a90-8f0b-4c1e-a6f2-0f9d3b7c2e11"
    }
  ],
  "meta": {"great_expectations_version": "1.24.1"},
  "notes": null
}"#;

/// `validate --table` binds a GE suite that names no table, and validates day D's batch:
/// two days are staged, the other day's null `user_id` does not fail D, fails its own day,
/// and fails D only when the whole table is asked for. A table no configured suite knows
/// takes `--batch-column` (30 rows of its 60), and without it is validated whole, which the
/// JSON line and stderr say.
#[tokio::test]
async fn a_great_expectations_suite_runs_unchanged_with_table_on_the_days_batch_only() {
    let db = TestDb::migrated().await;
    let client = db.client().await;
    client
        .batch_execute(
            "CREATE TABLE staging.events_20260310 PARTITION OF staging.events FOR VALUES IN ('2026-03-10');
             CREATE TABLE staging.events_20260311 PARTITION OF staging.events FOR VALUES IN ('2026-03-11');
             INSERT INTO staging.events (batch_date, source_line, event_id, user_id)
             SELECT d, i + 1, 'e' || i, CASE WHEN d = '2026-03-11' AND i = 7 THEN NULL ELSE i END
             FROM generate_series(0, 99) AS i, (VALUES (date '2026-03-10'), ('2026-03-11')) AS days(d);
             CREATE TABLE staging.feed (day date, user_id bigint);
             INSERT INTO staging.feed SELECT d, i
             FROM generate_series(0, 29) AS i, (VALUES (date '2026-03-10'), ('2026-03-11')) AS days(d);",
        )
        .await
        .unwrap();
    let url = db.url();
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("ge_events.json");
    std::fs::write(&suite, GE_SUITE).unwrap();
    let suite = suite.to_str().unwrap();
    let validate = |extra: &[&str]| {
        let mut args = vec!["validate", "--database-url", &url, "--suite", suite];
        args.extend(extra);
        retention(&args)
    };
    let code = |out: &std::process::Output| {
        (
            out.status.code(),
            last_json_line(out)["rows_in"].as_u64(),
            last_json_line(out)["whole_table"].clone(),
        )
    };

    let out = validate(&["--date", "2026-03-10"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("must be bound to one (`validate --table`)"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let day = validate(&["--table", "staging.events", "--date", "2026-03-10"]);
    assert_eq!(
        code(&day),
        (Some(0), Some(100), Value::Null),
        "{}",
        String::from_utf8_lossy(&day.stderr)
    );
    let other = validate(&["--table", "staging.events", "--date", "2026-03-11"]);
    assert_eq!(code(&other), (Some(3), Some(0), Value::Null));
    assert!(String::from_utf8_lossy(&other.stderr).contains(
        "[critical] ge_events.expect_column_values_to_not_be_null user_id: 1 unexpected (1.000%)"
    ));
    let whole = validate(&[
        "--table",
        "staging.events",
        "--date",
        "2026-03-10",
        "--whole-table",
    ]);
    assert_eq!(code(&whole), (Some(3), Some(0), Value::Null));
    assert!(String::from_utf8_lossy(&whole.stderr).contains(
        "suite ge_events validates the whole of staging.events, not the batch of 2026-03-10 (--whole-table)"
    ));
    let stored: Vec<(String, i64, i64)> = client
        .query(
            "SELECT batch_date::text, element_count, unexpected_count FROM ops.validation_results
             WHERE suite = 'ge_events' ORDER BY result_id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        stored,
        [
            ("2026-03-10".to_owned(), 100, 0),
            ("2026-03-11".to_owned(), 100, 1),
            ("2026-03-10".to_owned(), 200, 1)
        ]
    );

    let feed = validate(&[
        "--table",
        "staging.feed",
        "--date",
        "2026-03-10",
        "--batch-column",
        "day",
    ]);
    assert_eq!(code(&feed), (Some(0), Some(30), Value::Null));
    let unbatched = validate(&["--table", "staging.feed", "--date", "2026-03-10"]);
    assert_eq!(
        code(&unbatched),
        (Some(0), Some(60), serde_json::json!(["ge_events"]))
    );
    assert!(String::from_utf8_lossy(&unbatched.stderr).contains(
        "suite ge_events validates the whole of staging.feed, not the batch of 2026-03-10: no batch column"
    ));

    let named = dir.path().join("users.json");
    std::fs::write(
        &named,
        GE_SUITE.replace(
            r#""meta": {"great_expectations_version": "1.24.1"}"#,
            r#""meta": {"great_expectations_version": "1.24.1", "retention": {"table": "staging.users"}}"#,
        ),
    )
    .unwrap();
    let out = retention(&[
        "validate",
        "--database-url",
        &url,
        "--suite",
        named.to_str().unwrap(),
        "--table",
        "staging.events",
        "--date",
        "2026-03-10",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains(
        "cannot be bound: it names table staging.users, not staging.events, the table it is bound to"
    ));
}
