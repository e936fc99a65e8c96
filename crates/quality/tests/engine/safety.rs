//! Strictness: nothing a suite names reaches SQL unchecked, and every mistake is an error
//! that names the suite file and the expectation.

use retention_quality::{Batch, Error, Strategy, Suite, validate_with};
use retention_testing::TestDb;

use crate::common::{day, public};

async fn table() -> (TestDb, tokio_postgres::Client) {
    let db = TestDb::empty().await;
    let client = db.client().await;
    client
        .batch_execute("CREATE TABLE y (x bigint, s text); INSERT INTO y VALUES (1, 'a');")
        .await
        .unwrap();
    (db, client)
}

async fn error_of(client: &tokio_postgres::Client, yaml: &str) -> String {
    let suite = match Suite::from_yaml_str(yaml, "suites/bad.yaml") {
        Ok(s) => s,
        Err(e) => return e.to_string(),
    };
    let batch = Batch {
        date: day("2026-01-01"),
    };
    match validate_with(client, &[suite], &batch, &public(Strategy::SetBased)).await {
        Ok(_) => panic!("suite was accepted:\n{yaml}"),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn a_column_named_like_an_injection_is_refused_and_the_table_survives() {
    let (_db, client) = table().await;
    let msg = error_of(
        &client,
        "name: s\ntable: public.y\nexpectations:\n  - {type: expect_column_values_to_not_be_null, kwargs: {column: 'x; DROP TABLE y'}}\n",
    )
    .await;
    assert_eq!(
        msg,
        "suite suites/bad.yaml, expectation #1 (expect_column_values_to_not_be_null): column `x; DROP TABLE y` does not exist in public.y"
    );
    let n: i64 = client
        .query_one("SELECT count(*) FROM y", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
}

#[tokio::test]
async fn values_are_bound_not_spliced() {
    let (_db, client) = table().await;
    let suite = Suite::from_yaml_str(
        "name: s\ntable: public.y\nexpectations:\n  - {type: expect_column_values_to_be_in_set, kwargs: {column: s, value_set: [\"a'); DROP TABLE y; --\"]}}\n",
        "s.yaml",
    )
    .unwrap();
    let report = validate_with(
        &client,
        &[suite],
        &Batch {
            date: day("2026-01-01"),
        },
        &public(Strategy::SetBased),
    )
    .await
    .unwrap();
    assert_eq!(report.results().next().unwrap().unexpected_count(), Some(1));
    let n: i64 = client
        .query_one("SELECT count(*) FROM y", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
}

#[tokio::test]
async fn mistakes_are_errors_naming_the_suite_and_the_expectation() {
    let (_db, client) = table().await;
    let head = "name: s\ntable: public.y\nexpectations:\n  - {type: expect_column_values_to_not_be_null, kwargs: {column: x}}\n";
    let cases = [
        (
            "  - {type: expect_column_values_to_be_purple, kwargs: {column: x}}",
            "expectation #2 (expect_column_values_to_be_purple): unknown expectation type `expect_column_values_to_be_purple`",
        ),
        (
            "  - {type: expect_column_values_to_be_in_set, kwargs: {column: x}}",
            "expectation #2 (expect_column_values_to_be_in_set): missing kwarg `value_set`",
        ),
        (
            "  - {type: expect_column_values_to_be_unique, kwargs: {column: x, row_condition: 'x > 1'}}",
            "expectation #2 (expect_column_values_to_be_unique): unsupported kwarg `row_condition`",
        ),
        (
            "  - {type: expect_column_values_to_not_be_null, kwargs: {column: x, mostly: 1.5}}",
            "kwarg `mostly` must be a number from 0 to 1, not 1.5",
        ),
        (
            "  - {type: expect_column_values_to_be_between, kwargs: {column: x, min_value: 'batch_date + 1 fortnight'}}",
            "unknown unit",
        ),
        (
            "  - {type: expect_column_values_to_be_between, kwargs: {column: x, min_value: 'batch_date + 1 day'}}",
            "`batch_date + 1440 minutes` needs a date or timestamp column",
        ),
        (
            "  - {type: expect_column_values_to_be_between, kwargs: {column: x, min_value: 'ten'}}",
            "expectation #2 (expect_column_values_to_be_between): min_value: `ten` is not a valid Integer value",
        ),
        (
            "  - {type: expect_column_values_to_match_regex, kwargs: {column: s, regex: '(unclosed'}}",
            "expectation #2 (expect_column_values_to_match_regex): invalid regex `(unclosed`",
        ),
        (
            "  - {type: expect_column_values_to_not_be_null, kwargs: {column: x}, severity: fatal}",
            "severity \"fatal\" is not critical, warning or info",
        ),
    ];
    for (line, expected) in cases {
        let msg = error_of(&client, &format!("{head}{line}\n")).await;
        assert!(msg.starts_with("suite suites/bad.yaml"), "{msg}");
        assert!(
            msg.contains(expected),
            "{msg}\n  should contain: {expected}"
        );
    }
    let msg = error_of(
        &client,
        "name: s\ntable: public.nope\nallow_empty: true\nexpectations: []\n",
    )
    .await;
    assert_eq!(
        msg,
        "suite suites/bad.yaml: table public.nope does not exist"
    );
    let msg = error_of(
        &client,
        "name: s\ntable: public.y\nbatch: {column: day}\nallow_empty: true\nexpectations: []\n",
    )
    .await;
    assert_eq!(
        msg,
        "suite suites/bad.yaml: batch column `day` does not exist in public.y"
    );
}

#[tokio::test]
async fn results_table_must_exist() {
    let (_db, client) = table().await;
    let suite = Suite::from_yaml_str(
        "name: s\ntable: public.y\nallow_empty: true\nexpectations: []\n",
        "s.yaml",
    )
    .unwrap();
    let report = validate_with(
        &client,
        &[suite],
        &Batch {
            date: day("2026-01-01"),
        },
        &public(Strategy::SetBased),
    )
    .await
    .unwrap();
    for bad in ["ops.nope", "a.b.c", "y; DROP TABLE y"] {
        let err = retention_quality::store_results(&client, bad, None, &report)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::ResultsTable(_)), "{err}");
    }
}
