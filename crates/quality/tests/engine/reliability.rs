//! Hostile suites (issue 14): empty suites, suites on tables outside the allowed schemas,
//! queries that run too long, values too large to echo. Each is refused with a typed error
//! that names the suite, before anything runs where that is possible.

use std::time::Duration;

use retention_quality::{
    Batch, Error, Strategy, Suite, ValidationOptions, validate, validate_with,
};
use retention_testing::TestDb;

use crate::common::day;

fn batch() -> Batch {
    Batch {
        date: day("2026-01-01"),
    }
}

async fn staging_table() -> (TestDb, tokio_postgres::Client) {
    let db = TestDb::empty().await;
    let client = db.client().await;
    client
        .batch_execute(
            "CREATE SCHEMA staging; CREATE TABLE staging.t (x bigint, s text);
             INSERT INTO staging.t VALUES (1, 'a'), (2, NULL);",
        )
        .await
        .unwrap();
    (db, client)
}

#[tokio::test]
async fn an_empty_suite_is_refused_as_a_usage_error_naming_its_file() {
    let (_db, client) = staging_table().await;
    let suite = Suite::from_yaml_str(
        "name: s\ntable: staging.t\nexpectations: []\n",
        "suites/empty.yaml",
    )
    .unwrap();
    let err = validate(&client, &[suite], &batch(), Strategy::SetBased)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "suite suites/empty.yaml has no expectations: it would validate nothing and pass the gate; \
         add expectations, or set `allow_empty: true` (GE JSON: `meta.retention.allow_empty`) if that is intended"
    );
}

#[tokio::test]
async fn an_empty_suite_that_says_it_is_intended_validates_in_yaml_and_ge_json() {
    let (_db, client) = staging_table().await;
    let yaml = Suite::from_yaml_str(
        "name: s\ntable: staging.t\nallow_empty: true\nexpectations: []\n",
        "y.yaml",
    )
    .unwrap();
    let json = Suite::from_json_str(
        r#"{"name": "j", "expectations": [],
            "meta": {"retention": {"table": "staging.t", "allow_empty": true}}}"#,
        "j.json",
    )
    .unwrap();
    let report = validate(&client, &[yaml, json], &batch(), Strategy::SetBased)
        .await
        .unwrap();
    assert!(report.success());
    assert_eq!(
        report
            .suites
            .iter()
            .map(|s| (s.name.as_str(), s.row_count, s.results.len()))
            .collect::<Vec<_>>(),
        vec![("s", 2, 0), ("j", 2, 0)]
    );
    let bad = Suite::from_yaml_str(
        "name: s\ntable: staging.t\nallow_empty: 'yes'\nexpectations: []\n",
        "b.yaml",
    )
    .unwrap_err();
    assert_eq!(
        bad.to_string(),
        "suite b.yaml: `allow_empty` must be true or false, not \"yes\""
    );
}

#[tokio::test]
async fn suites_on_tables_outside_the_allowed_schemas_are_refused_before_anything_runs() {
    let (_db, client) = staging_table().await;
    for (table, schema) in [
        ("pg_catalog.pg_authid", "pg_catalog"),
        ("information_schema.tables", "information_schema"),
        ("public.t", "public"),
        ("t", "public"),
    ] {
        let ok = Suite::from_yaml_str(
            "name: fine\ntable: staging.t\nexpectations:\n  - {type: expect_column_values_to_not_be_null, kwargs: {column: x}}\n",
            "fine.yaml",
        )
        .unwrap();
        let suite = Suite::from_yaml_str(
            &format!(
                "name: s\ntable: {table}\nexpectations:\n  - {{type: expect_table_row_count_to_be_between, kwargs: {{min_value: 0}}}}\n"
            ),
            "suites/sneaky.yaml",
        )
        .unwrap();
        let err = validate(&client, &[ok, suite], &batch(), Strategy::SetBased)
            .await
            .unwrap_err();
        let shown = if table.contains('.') {
            table.to_owned()
        } else {
            format!("public.{table}")
        };
        assert_eq!(
            err.to_string(),
            format!(
                "suite suites/sneaky.yaml: table {shown} is in schema `{schema}`, which suites may not read (allowed: staging)"
            )
        );
    }
}

#[tokio::test]
async fn a_statement_longer_than_the_timeout_is_cancelled_with_an_error_naming_suite_and_table() {
    let (_db, client) = staging_table().await;
    client
        .batch_execute(
            "INSERT INTO staging.t SELECT g, repeat(md5(g::text), 8) FROM generate_series(1, 200000) g",
        )
        .await
        .unwrap();
    let suite = Suite::from_yaml_str(
        "name: slow\ntable: staging.t\nexpectations:\n  - {type: expect_column_values_to_match_regex, kwargs: {column: s, regex: '^([0-9a-f]+)*[0-9a-f]*x$'}}\n",
        "suites/slow.yaml",
    )
    .unwrap();
    let options = ValidationOptions {
        statement_timeout: Some(Duration::from_millis(1)),
        ..ValidationOptions::default()
    };
    let err = validate_with(&client, std::slice::from_ref(&suite), &batch(), &options)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::StatementTimeout { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "suite suites/slow.yaml on staging.t: a query ran longer than the statement timeout of 1 ms and was cancelled; raise the timeout or make the suite cheaper (a costly regex?)"
    );
    // The transaction is over and the setting was local to it: the connection is as before.
    let timeout: String = client
        .query_one("SHOW statement_timeout", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(timeout, "0");
    let report = validate(&client, &[suite], &batch(), Strategy::SetBased)
        .await
        .unwrap();
    assert_eq!(report.suites[0].row_count, 200_002);
}

#[tokio::test]
async fn huge_values_in_a_suite_are_echoed_cut_with_their_length_and_hash() {
    let (_db, client) = staging_table().await;
    let huge = "c".repeat(1 << 20);
    let bounded = |msg: String| {
        // At most two clipped echoes (the type is in the label and in the message).
        assert!(msg.len() < 1000, "{} bytes: {}", msg.len(), &msg[..1000]);
        // The value itself, its JSON form (two quotes more) or `staging.` and it.
        assert!(
            ["1048576", "1048578", "1048584"]
                .iter()
                .any(|n| msg.contains(&format!("… ({n} bytes, sha256 "))),
            "{msg}"
        );
        msg
    };
    let column = Suite::from_yaml_str(
        &format!(
            "name: s\ntable: staging.t\nexpectations:\n  - {{type: expect_column_values_to_not_be_null, kwargs: {{column: {huge}}}}}\n"
        ),
        "suites/huge.yaml",
    )
    .unwrap();
    let msg = bounded(
        validate(&client, &[column], &batch(), Strategy::SetBased)
            .await
            .unwrap_err()
            .to_string(),
    );
    assert!(
        msg.starts_with(&format!(
            "suite suites/huge.yaml, expectation #1 (expect_column_values_to_not_be_null): column `{}… (1048576 bytes, sha256 ",
            "c".repeat(200)
        )),
        "{msg}"
    );
    for yaml in [
        format!("name: s\ntable: staging.t\nexpectations:\n  - {{type: {huge}}}\n"),
        format!(
            "name: s\ntable: staging.t\nexpectations:\n  - {{type: expect_column_values_to_be_in_set, kwargs: {{column: s, value_set: {huge}}}}}\n"
        ),
    ] {
        bounded(
            Suite::from_yaml_str(&yaml, "h.yaml")
                .and_then(|_| Err(Error::ResultsTable("parsed".into())))
                .map_err(|e| e.to_string())
                .unwrap_or_else(|e| e)
                .to_owned(),
        );
    }
    let table = Suite::from_yaml_str(
        &format!(
            "name: s\ntable: staging.{huge}\nexpectations:\n  - {{type: expect_table_row_count_to_be_between, kwargs: {{min_value: 0}}}}\n"
        ),
        "suites/huge.yaml",
    )
    .unwrap();
    let msg = bounded(
        validate(&client, &[table], &batch(), Strategy::SetBased)
            .await
            .unwrap_err()
            .to_string(),
    );
    assert!(
        msg.starts_with(&format!(
            "reading the columns of staging.{}…",
            "c".repeat(192)
        )),
        "{msg}"
    );
}
