//! Personal columns (`personal_columns`): their failures are counted as any other, but no
//! value of theirs is selected, reported, stored or summarised.

use retention_quality::{
    Batch, Strategy, Suite, TableSchema, compile, store_results, validate_with,
};
use retention_testing::TestDb;
use serde_json::{Value, json};

use crate::common::{day, nth, public, run};

/// `p` holds 10 people for 2026-03-10: ids 1..10, `email` `user<i>@x.io` except ids 1..3
/// (`NOT-AN-EMAIL-<i>`) and id 4 (null); `full_name` 'Ann Example' for ids 1..2 (a
/// duplicate), otherwise `Person <i>`; `age` i * 10.
async fn people() -> (TestDb, tokio_postgres::Client) {
    let db = TestDb::migrated().await;
    let client = db.client().await;
    client
        .batch_execute(
            "CREATE TABLE p (day date, id bigint, email text, full_name text, age int);
             INSERT INTO p
             SELECT '2026-03-10', i,
                    CASE WHEN i <= 3 THEN 'NOT-AN-EMAIL-' || i WHEN i = 4 THEN NULL ELSE 'user' || i || '@x.io' END,
                    CASE WHEN i <= 2 THEN 'Ann Example' ELSE 'Person ' || i END,
                    i * 10
             FROM generate_series(1, 10) AS i;",
        )
        .await
        .unwrap();
    (db, client)
}

const SUITE: &str = "name: people
table: public.p
batch: {column: day}
personal_columns: [email, full_name]
expectations:
  - {type: expect_column_values_to_match_regex, kwargs: {column: email, regex: '@'}}
  - {type: expect_column_values_to_be_unique, kwargs: {column: full_name}}
  - {type: expect_compound_columns_to_be_unique, kwargs: {column_list: [full_name, day]}}
  - {type: expect_column_pair_values_a_to_be_greater_than_b, kwargs: {column_A: full_name, column_B: email}}
  - {type: expect_column_values_to_be_in_set, kwargs: {column: email, value_set: [nobody]}}
  - {type: expect_column_values_to_not_be_null, kwargs: {column: email}}
  - {type: expect_column_values_to_be_between, kwargs: {column: age, max_value: 50}}
";

/// Every sample-bearing part of a GE result.
fn samples(result: &Value) -> (&Value, &Value, &Value) {
    (
        &result["partial_unexpected_list"],
        &result["partial_unexpected_counts"],
        &result["redacted"],
    )
}

#[tokio::test]
async fn personal_columns_are_counted_but_their_values_never_leave_the_table() {
    let (_db, client) = people().await;
    // `run` checks that both strategies give the same results.
    let report = run(&client, SUITE, "2026-03-10").await;
    let withheld = (&json!([]), &json!([]), &json!("personal column"));
    let counts: Vec<(bool, Option<i64>)> = report
        .results()
        .map(|r| (r.success, r.unexpected_count()))
        .collect();
    assert_eq!(
        counts,
        [
            (false, Some(3)),
            (false, Some(2)),
            (false, Some(2)),
            (false, Some(8)),
            (false, Some(9)),
            (false, Some(1)),
            (false, Some(5)),
        ]
    );
    for i in 0..6 {
        let r = nth(&report, i);
        assert_eq!(samples(&r.result_json()), withheld, "{}", r.summary());
        assert!(
            r.summary()
                .ends_with("; samples withheld (personal column)"),
            "{}",
            r.summary()
        );
    }
    assert_eq!(
        nth(&report, 0).summary(),
        "[critical] people.expect_column_values_to_match_regex email: 3 unexpected (33.333%); samples withheld (personal column)"
    );
    // A column that is not personal keeps its samples.
    let age = nth(&report, 6).result_json();
    assert_eq!(
        samples(&age),
        (
            &json!([60, 70, 80, 90, 100]),
            &json!([{"value": 60, "count": 1}, {"value": 70, "count": 1}, {"value": 80, "count": 1}, {"value": 90, "count": 1}, {"value": 100, "count": 1}]),
            &Value::Null
        )
    );

    // Nothing personal in the GE document, the summaries or the stored rows.
    let personal = ["NOT-AN-EMAIL", "Ann Example", "Person ", "@x.io"];
    let document = report.to_ge_json().to_string();
    let summaries: Vec<String> = report.results().map(|r| r.summary()).collect();
    store_results(&client, "ops.validation_results", None, &report)
        .await
        .unwrap();
    let stored: String = client
        .query_one(
            "SELECT string_agg(concat_ws(' ', result::text, observed_value::text, kwargs::text), ' ') FROM ops.validation_results",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    for text in [&document, &summaries.join("\n"), &stored] {
        for value in personal {
            assert!(!text.contains(value), "{value} in {text}");
        }
    }
}

#[tokio::test]
async fn the_sql_of_a_personal_expectation_selects_no_value() {
    let (_db, client) = people().await;
    let suite = Suite::from_yaml_str(SUITE, "people.yaml").unwrap();
    let schema = TableSchema::fetch(&client, &suite.table)
        .await
        .unwrap()
        .unwrap();
    let compiled = compile(&suite, &schema).unwrap();
    let with_samples: Vec<usize> = (0..compiled.samples.len())
        .filter(|&i| compiled.samples[i].is_some())
        .collect();
    assert_eq!(with_samples, [6], "only the age check has a sample query");
    for (i, q) in &compiled.uniqueness {
        assert!(
            !q.sql.contains("samples") && !q.sql.contains("to_jsonb"),
            "#{i}: {}",
            q.sql
        );
    }
    for q in &compiled.per_expectation {
        assert!(
            !q.sql.contains("to_jsonb") && !q.sql.contains("jsonb_build"),
            "{}",
            q.sql
        );
    }
}

#[tokio::test]
async fn personal_columns_come_from_ge_json_too_and_must_exist() {
    let (_db, client) = people().await;
    let ge = json!({
        "name": "people",
        "meta": {"retention": {"table": "public.p", "batch": {"column": "day"}, "personal_columns": ["email"]}},
        "expectations": [{"type": "expect_column_values_to_match_regex", "kwargs": {"column": "email", "regex": "@"}}]
    });
    let suite = Suite::from_json_str(&ge.to_string(), "people.json").unwrap();
    assert_eq!(suite.personal_columns, ["email"]);
    let batch = Batch {
        date: day("2026-03-10"),
    };
    let report = validate_with(
        &client,
        std::slice::from_ref(&suite),
        &batch,
        &public(Strategy::SetBased),
    )
    .await
    .unwrap();
    assert_eq!(
        samples(&nth(&report, 0).result_json()),
        (&json!([]), &json!([]), &json!("personal column"))
    );

    let misspelt = Suite::from_yaml_str(
        &SUITE.replace("[email, full_name]", "[emial]"),
        "people.yaml",
    )
    .unwrap();
    let err = validate_with(&client, &[misspelt], &batch, &public(Strategy::SetBased))
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "suite people.yaml: personal column `emial` does not exist in public.p"
    );
    let bad = Suite::from_yaml_str(&SUITE.replace("[email, full_name]", "email"), "people.yaml")
        .unwrap_err()
        .to_string();
    assert!(
        bad.ends_with("`personal_columns` must be a list of column names, not \"email\""),
        "{bad}"
    );
}
