//! `erase_copies_in`: a deletion also finds the erased values where they were copied without
//! their key — validation samples and error messages — and replaces them, in the same
//! transaction, leaving every other value and the documents' shape alone.

use retention_testing::TestDb;
use serde_json::{Value, json};
use tokio_postgres::Client;

use crate::model::day;
use crate::pg::{deleted, merge, stage_users, user};

/// A stored validation result and a failed run that quoted unexpected values of both users
/// (as they were before suites declared the columns personal).
async fn copies(c: &Client) {
    let result = json!({
        "element_count": 3,
        "unexpected_count": 3,
        "partial_unexpected_list": [" A@X.io ", "b@x.io", "ANN.NEW@X.IO"],
        "partial_unexpected_counts": [
            {"value": " A@X.io ", "count": 1},
            {"value": "ANN.NEW@X.IO", "count": 1},
            {"value": "b@x.io", "count": 1}
        ]
    });
    let pair =
        json!({"partial_unexpected_list": [["Ann Smith", "Bob Jones"]], "note": "Ann Smithers"});
    c.execute(
        "INSERT INTO ops.validation_results (batch_date, suite, table_name, expectation_type, kwargs, severity, success, observed_value, result) \
         VALUES ('2026-03-01', 'staging_users', 'staging.users', 'expect_column_values_to_match_regex', '{}', 'critical', false, NULL, $1), \
                ('2026-03-01', 'staging_users', 'staging.users', 'expect_column_pair_values_a_to_be_greater_than_b', '{}', 'info', false, $2, $2)",
        &[&result, &pair],
    )
    .await
    .unwrap();
    c.execute(
        "INSERT INTO ops.task_runs (step, batch_date, status, error, details) \
         VALUES ('validate', '2026-03-01', 'quality_failed', $1, $2)",
        &[
            &"quality gate failed: email: 3 unexpected; e.g. [\" A@X.io \", \"b@x.io\", \"ann.new@x.io\"] (annual report)",
            &json!({"first": "ann smith"}),
        ],
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_deletion_replaces_its_values_in_samples_and_error_messages_and_nothing_else() {
    let db = TestDb::migrated().await;
    let mut c = db.client().await;
    stage_users(
        &c,
        day(0),
        &[
            user(1, 0, 10, "DE", "free", " A@X.io ", "Ann Smith"),
            user(2, 0, 10, "FR", "free", "b@x.io", "Bob Jones"),
        ],
    )
    .await;
    // A type-1 change: the dimension then only knows the new address; staging still has the
    // old one, and the erasure finds both.
    stage_users(
        &c,
        day(1),
        &[user(1, 1, 9, "DE", "free", "ann.new@x.io", "Ann Smith")],
    )
    .await;
    copies(&c).await;
    merge(&mut c, 0).await;
    merge(&mut c, 1).await;
    let before: i64 = c
        .query_one(
            "SELECT count(*) FROM ops.validation_results WHERE result::text LIKE '%[erased]%'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(before, 0, "nothing is replaced before a deletion");

    stage_users(
        &c,
        day(2),
        &[deleted(user(
            1,
            2,
            8,
            "DE",
            "free",
            "ann.new@x.io",
            "Ann Smith",
        ))],
    )
    .await;
    let del = merge(&mut c, 2).await;
    // Both results, the pair's observed_value, the error and the details.
    assert_eq!((del.deletions, del.erased_copies), (1, 5));

    let results: Vec<(Option<Value>, Value)> = c
        .query(
            "SELECT observed_value, result FROM ops.validation_results ORDER BY result_id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let pair =
        json!({"partial_unexpected_list": [["[erased]", "Bob Jones"]], "note": "Ann Smithers"});
    assert_eq!(
        results,
        [
            (
                None,
                json!({
                    "element_count": 3,
                    "unexpected_count": 3,
                    "partial_unexpected_list": ["[erased]", "b@x.io", "[erased]"],
                    "partial_unexpected_counts": [
                        {"value": "[erased]", "count": 1},
                        {"value": "[erased]", "count": 1},
                        {"value": "b@x.io", "count": 1}
                    ]
                })
            ),
            (Some(pair.clone()), pair),
        ]
    );
    let run: (String, Value) = c
        .query_one("SELECT error, details FROM ops.task_runs", &[])
        .await
        .map(|r| (r.get(0), r.get(1)))
        .unwrap();
    assert_eq!(
        run,
        (
            "quality gate failed: email: 3 unexpected; e.g. [\" [erased] \", \"b@x.io\", \"[erased]\"] (annual report)"
                .to_owned(),
            json!({"first": "[erased]"})
        )
    );

    // Merging a batch again finds nothing more to do.
    let again = merge(&mut c, 2).await;
    assert!(again.already_merged);
}
