//! Each expectation type on crafted tables whose answers are known by construction.

use retention_quality::Observed;
use retention_testing::TestDb;
use serde_json::{Value, json};

use crate::common::{nth, run};

/// `m` holds 100 rows for 2026-03-10 (ids 1..100) and 3 for 2026-03-11:
/// - `v`: null for ids 1..5, otherwise the id;
/// - `kind`: null for ids 1..2, 'bad' for ids 3..10, otherwise 'good';
/// - `ts`: 2026-03-10 12:00 UTC, except id 11 at 2026-03-11 00:00 and id 12 in 2026-02-01;
/// - `d`: the batch day, except id 13 a day later.
async fn crafted() -> (TestDb, tokio_postgres::Client) {
    let db = TestDb::empty().await;
    let client = db.client().await;
    client
        .batch_execute(
            "CREATE TABLE m (day date NOT NULL, id bigint, v bigint, kind text, ts timestamptz, d date,
                             price numeric(12,2)) PARTITION BY LIST (day);
             CREATE TABLE m_a PARTITION OF m FOR VALUES IN ('2026-03-10');
             CREATE TABLE m_b PARTITION OF m FOR VALUES IN ('2026-03-11');
             INSERT INTO m
             SELECT '2026-03-10', i,
                    CASE WHEN i <= 5 THEN NULL ELSE i END,
                    CASE WHEN i <= 2 THEN NULL WHEN i <= 10 THEN 'bad' ELSE 'good' END,
                    CASE i WHEN 11 THEN '2026-03-11 00:00:00+00' WHEN 12 THEN '2026-02-01 00:00:00+00'
                           ELSE '2026-03-10 12:00:00+00' END::timestamptz,
                    CASE WHEN i = 13 THEN date '2026-03-11' ELSE date '2026-03-10' END,
                    (i * 1.5)::numeric(12,2)
             FROM generate_series(1, 100) AS i;
             INSERT INTO m VALUES ('2026-03-11', 1, NULL, NULL, NULL, NULL, NULL),
                                  ('2026-03-11', 1, NULL, NULL, NULL, NULL, NULL),
                                  ('2026-03-11', 2, NULL, NULL, NULL, NULL, NULL);",
        )
        .await
        .unwrap();
    (db, client)
}

fn figures(r: &retention_quality::ExpectationResult) -> (bool, i64, i64, Option<i64>) {
    match &r.observed {
        Observed::Map {
            element_count,
            unexpected_count,
            ..
        } => (
            r.success,
            *element_count,
            *unexpected_count,
            r.missing_count(),
        ),
        Observed::RowCount { observed_value } => (r.success, *observed_value, 0, None),
    }
}

#[tokio::test]
async fn mostly_is_inclusive_and_not_null_counts_every_row() {
    let (_db, client) = crafted().await;
    // 5 nulls in 100 rows: 95% hold. For `kind` in {good}: 98 non-null, 8 'bad'.
    let report = run(
        &client,
        "name: s\ntable: public.m\nbatch: {column: day}\nexpectations:
  - {type: expect_column_values_to_not_be_null, kwargs: {column: v, mostly: 0.95}}
  - {type: expect_column_values_to_not_be_null, kwargs: {column: v, mostly: 0.951}}
  - {type: expect_column_values_to_not_be_null, kwargs: {column: v}}
  - {type: expect_column_values_to_be_in_set, kwargs: {column: kind, value_set: [good], mostly: 0.9183673469387755}}
  - {type: expect_column_values_to_be_in_set, kwargs: {column: kind, value_set: [good], mostly: 0.92}}
  - {type: expect_column_values_to_not_be_in_set, kwargs: {column: kind, value_set: [bad, null]}}
",
        "2026-03-10",
    )
    .await;
    assert_eq!(figures(nth(&report, 0)), (true, 100, 5, None));
    assert_eq!(figures(nth(&report, 1)), (false, 100, 5, None));
    assert_eq!(figures(nth(&report, 2)), (false, 100, 5, None));
    assert_eq!(nth(&report, 2).unexpected_percent(), Some(5.0));
    assert_eq!(
        nth(&report, 2).result_json()["partial_unexpected_list"],
        json!([null, null, null, null, null])
    );
    // 90/98 = 0.918367…: exactly at `mostly` passes, just above fails.
    assert_eq!(figures(nth(&report, 3)), (true, 100, 8, Some(2)));
    assert_eq!(figures(nth(&report, 4)), (false, 100, 8, Some(2)));
    assert_eq!(
        nth(&report, 4).unexpected_percent(),
        Some(8.0 / 98.0 * 100.0)
    );
    assert_eq!(figures(nth(&report, 5)), (false, 100, 8, Some(2)));
    assert_eq!(
        nth(&report, 5).result_json()["partial_unexpected_counts"],
        json!([{"value": "bad", "count": 8}])
    );
}

#[tokio::test]
async fn between_bounds_can_be_relative_to_the_batch_date() {
    let (_db, client) = crafted().await;
    let report = run(
        &client,
        r#"name: s
table: public.m
batch: {column: day}
expectations:
  - {type: expect_column_values_to_be_between, kwargs: {column: ts, min_value: "batch_date - 7 days", max_value: "batch_date + 1 day"}}
  - {type: expect_column_values_to_be_between, kwargs: {column: ts, min_value: "batch_date - 7 days", max_value: "batch_date + 1 day", strict_max: true}}
  - {type: expect_column_values_to_be_between, kwargs: {column: ts, max_value: "batch_date + 12 hours"}}
  - {type: expect_column_values_to_be_between, kwargs: {column: d, min_value: "batch_date", max_value: "batch_date"}}
  - {type: expect_column_values_to_be_between, kwargs: {column: ts, min_value: "2026-03-01", max_value: "2026-03-11T00:00:00Z"}}
  - {type: expect_column_values_to_be_between, kwargs: {column: v, min_value: 6, max_value: 99}}
  - {type: expect_column_values_to_be_between, kwargs: {column: v, min_value: 6, max_value: 100, strict_min: true, strict_max: true}}
  - {type: expect_column_values_to_be_between, kwargs: {column: price, min_value: 1.5, max_value: 149.99}}
"#,
        "2026-03-10",
    )
    .await;
    // id 12 is 37 days early; id 11 is exactly at batch_date + 1 day (inclusive unless strict).
    assert_eq!(figures(nth(&report, 0)), (false, 100, 1, Some(0)));
    assert_eq!(
        nth(&report, 0).result_json()["partial_unexpected_list"],
        json!(["2026-02-01T00:00:00+00:00"])
    );
    assert_eq!(figures(nth(&report, 1)), (false, 100, 2, Some(0)));
    assert_eq!(figures(nth(&report, 2)), (false, 100, 1, Some(0)));
    assert_eq!(figures(nth(&report, 3)), (false, 100, 1, Some(0)));
    assert_eq!(
        nth(&report, 3).result_json()["partial_unexpected_list"],
        json!(["2026-03-11"])
    );
    assert_eq!(figures(nth(&report, 4)), (false, 100, 1, Some(0)));
    // v is 6..=100 where not null: only 100 is above 99; strict bounds exclude 6 and 100.
    assert_eq!(figures(nth(&report, 5)), (false, 100, 1, Some(5)));
    assert_eq!(
        nth(&report, 5).result_json()["partial_unexpected_list"],
        json!([100])
    );
    assert_eq!(figures(nth(&report, 6)), (false, 100, 2, Some(5)));
    // price = id * 1.5: only 150.00 is above 149.99.
    assert_eq!(figures(nth(&report, 7)), (false, 100, 1, Some(0)));
    assert_eq!(
        nth(&report, 7).result_json()["partial_unexpected_list"],
        json!([150.0])
    );
}

#[tokio::test]
async fn the_batch_filter_sees_only_its_day_and_an_empty_batch_passes() {
    let (_db, client) = crafted().await;
    let yaml = "name: s\ntable: public.m\nbatch: {column: day}\nexpectations:
  - {type: expect_column_values_to_be_unique, kwargs: {column: id}}
  - {type: expect_compound_columns_to_be_unique, kwargs: {column_list: [id, v]}}
  - {type: expect_table_row_count_to_equal, kwargs: {value: 3}}
  - {type: expect_column_values_to_not_be_null, kwargs: {column: v}}
  - {type: expect_column_values_to_match_regex, kwargs: {column: kind, regex: '^good$'}}
  - {type: expect_table_row_count_to_be_between, kwargs: {min_value: 1}}
";
    let next_day = run(&client, yaml, "2026-03-11").await;
    // ids 1,1,2: the two 1s are unexpected; (id, v) is never compared (v is null everywhere).
    assert_eq!(figures(nth(&next_day, 0)), (false, 3, 2, Some(0)));
    assert_eq!(figures(nth(&next_day, 1)), (true, 3, 0, Some(0)));
    assert_eq!(figures(nth(&next_day, 2)), (true, 3, 0, None));
    assert_eq!(figures(nth(&next_day, 3)), (false, 3, 3, None));
    // Every kind is null: nothing considered, so the value expectation passes.
    assert_eq!(figures(nth(&next_day, 4)), (true, 3, 0, Some(3)));
    assert_eq!(nth(&next_day, 4).unexpected_percent(), None);

    let empty = run(&client, yaml, "2026-03-12").await;
    for i in [0, 1, 3, 4] {
        let r = nth(&empty, i);
        assert!(r.success, "{}", r.summary());
        assert_eq!(r.result_json()["element_count"], json!(0));
        assert_eq!(r.result_json()["unexpected_percent"], Value::Null);
    }
    assert_eq!(nth(&empty, 2).result_json(), json!({"observed_value": 0}));
    assert!(!nth(&empty, 2).success);
    assert!(!nth(&empty, 5).success);
    assert_eq!(empty.critical_failures().len(), 2);
}

#[tokio::test]
async fn regexes_and_their_negations_skip_nulls() {
    let (_db, client) = crafted().await;
    let report = run(
        &client,
        r"name: s
table: public.m
batch: {column: day}
expectations:
  - {type: expect_column_values_to_match_regex, kwargs: {column: kind, regex: 'oo'}}
  - {type: expect_column_values_to_not_match_regex, kwargs: {column: kind, regex: '^b', mostly: 0.9}}
  - {type: expect_column_values_to_match_regex, kwargs: {column: v, regex: '^\d$'}}
",
        "2026-03-10",
    )
    .await;
    assert_eq!(figures(nth(&report, 0)), (false, 100, 8, Some(2)));
    // 90 of 98 hold: 0.918 ≥ 0.9.
    assert_eq!(figures(nth(&report, 1)), (true, 100, 8, Some(2)));
    // v = 6..9 match one digit; 10..100 do not (91 values), nulls are skipped.
    assert_eq!(figures(nth(&report, 2)), (false, 100, 91, Some(5)));
    assert_eq!(
        nth(&report, 2).result_json()["partial_unexpected_list"]
            .as_array()
            .unwrap()
            .len(),
        20
    );
}
