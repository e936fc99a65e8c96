//! The transform against a real database: rows inserted by hand into staging and the
//! dimensions, exact figures asserted.
#![allow(clippy::type_complexity)]

use chrono::NaiveDate;
use retention_testing::TestDb;
use tokio_postgres::Client;

use super::*;
use crate::EventType;

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// One staged event: (line, event_id, event_ts, user_id, session_id, event_type, product_id,
/// quantity, unit_price, order_id, device).
type Ev<'a> = (
    i64,
    Option<&'a str>,
    Option<&'a str>,
    Option<i64>,
    Option<&'a str>,
    &'a str,
    Option<i64>,
    Option<i64>,
    Option<&'a str>,
    Option<&'a str>,
    &'a str,
);

async fn stage(c: &Client, batch: &str, rows: &[Ev<'_>]) {
    let d = day(batch);
    c.batch_execute(&format!(
        "CREATE TABLE IF NOT EXISTS staging.events_{} PARTITION OF staging.events FOR VALUES IN ('{batch}')",
        d.format("%Y%m%d")
    ))
    .await
    .unwrap();
    c.execute("DELETE FROM staging.events WHERE batch_date = $1", &[&d])
        .await
        .unwrap();
    for (line, id, ts, user, session, ty, product, qty, price, order, device) in rows {
        c.execute(
            "INSERT INTO staging.events (batch_date, source_line, event_id, event_ts, user_id, session_id, event_type, \
             page_url, product_id, quantity, unit_price, order_id, device, country) \
             VALUES ($1, $2, $3, $4::text::timestamptz, $5, $6, $7, '/p', $8, $9, $10::text::numeric, $11, $12, 'DE')",
            &[&d, line, id, ts, user, session, ty, product, qty, price, order, device],
        )
        .await
        .unwrap();
    }
}

/// Dimension versions: user 1 changes plan at 2026-01-05 10:00; user 2 is deleted at
/// 2026-01-04 12:00; user 3 signs up in the week of 2026-01-05; product 10 changes price.
async fn dims(c: &Client) {
    c.batch_execute(
        "INSERT INTO dw.dim_user (user_sk, user_id, plan, signup_date, row_hash, valid_from, valid_to, is_current, is_deleted, batch_date, updated_in_batch) VALUES
           (101, 1, 'free', '2025-12-29', '\\x01', '2026-01-01 00:00Z', '2026-01-05 10:00Z', false, false, '2026-01-01', '2026-01-05'),
           (102, 1, 'pro',  '2025-12-29', '\\x02', '2026-01-05 10:00Z', 'infinity', true, false, '2026-01-05', '2026-01-05'),
           (201, 2, 'free', '2025-12-30', '\\x03', '2026-01-01 00:00Z', '2026-01-04 12:00Z', false, true, '2026-01-01', '2026-01-04'),
           (301, 3, 'free', '2026-01-06', '\\x04', '2026-01-06 08:00Z', 'infinity', true, false, '2026-01-06', '2026-01-06'),
           (901, 9, 'free', '2026-01-06', '\\x05', '2026-01-08 08:00Z', 'infinity', true, false, '2026-01-08', '2026-01-08');
         INSERT INTO dw.dim_product (product_sk, product_id, name, unit_price, row_hash, valid_from, valid_to, is_current, batch_date, updated_in_batch) VALUES
           (1001, 10, 'Mug', 5.00, '\\x01', '2026-01-01 00:00Z', '2026-01-06 00:00Z', false, '2026-01-01', '2026-01-06'),
           (1002, 10, 'Mug', 6.00, '\\x02', '2026-01-06 00:00Z', 'infinity', true, '2026-01-06', '2026-01-06'),
           (1101, 11, 'Pen', 2.50, '\\x03', '2026-01-01 00:00Z', 'infinity', true, '2026-01-01', '2026-01-01');",
    )
    .await
    .unwrap();
}

async fn reasons(c: &Client, batch: &str) -> Vec<(i64, String)> {
    c.query(
        "SELECT source_line, reason FROM quarantine.rejected_rows WHERE batch_date = $1 AND stage = 'transform' ORDER BY source_line",
        &[&day(batch)],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect()
}

#[tokio::test]
async fn sql_normalisation_agrees_with_event_type_normalize() {
    let db = TestDb::migrated().await;
    let c = db.client().await;
    let samples = [
        "page_view",
        " Page-View ",
        "PAGEVIEW",
        "pageview",
        "add to cart",
        "AddToCart",
        "Checkout",
        "checkout",
        "begin-checkout",
        "purchase\t",
        "\u{a0}click\u{3000}",
        "page__view",
        "refund",
        "",
        " ",
        "CLIC\u{212a}",
        "Produkt_view",
        "product view",
        "REMOVE-FROM-CART",
        "search ",
        "add_to_cart ",
        "ADD-TO-CART",
        "pageView",
    ];
    for s in samples {
        let sql: Option<String> = c
            .query_one("SELECT dw.normalize_event_type($1)", &[&s])
            .await
            .unwrap()
            .get(0);
        let rust = EventType::normalize(s).map(|t| t.as_str().to_owned());
        assert_eq!(sql, rust, "normalising {s:?}");
    }
    let null: Option<String> = c
        .query_one("SELECT dw.normalize_event_type(NULL)", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(null, None);
}

#[tokio::test]
async fn every_rule_rejects_with_its_reason_and_the_first_failing_rule_wins() {
    let db = TestDb::migrated().await;
    let mut c = db.client().await;
    dims(&c).await;
    let t = "2026-01-06T09:00:00Z";
    stage(
        &c,
        "2026-01-06",
        &[
            (
                2,
                Some("ok-1"),
                Some(t),
                Some(1),
                Some("s1"),
                "Page-View",
                None,
                None,
                None,
                None,
                "mobile",
            ),
            (
                3,
                Some("bad-type"),
                Some(t),
                None,
                Some("s1"),
                "refund",
                None,
                None,
                None,
                None,
                "mobile",
            ),
            (
                4,
                None,
                Some(t),
                None,
                Some("s1"),
                "click",
                None,
                None,
                None,
                None,
                "mobile",
            ),
            (
                5,
                Some(""),
                Some(t),
                Some(1),
                Some("s1"),
                "click",
                None,
                None,
                None,
                None,
                "mobile",
            ),
            (
                6,
                Some("no-user"),
                Some(t),
                None,
                Some("s1"),
                "click",
                None,
                None,
                None,
                None,
                "mobile",
            ),
            (
                7,
                Some("ghost"),
                Some(t),
                Some(77),
                Some("s1"),
                "click",
                Some(99),
                None,
                None,
                None,
                "mobile",
            ),
            (
                8,
                Some("no-product"),
                None,
                Some(1),
                Some("s1"),
                "product_view",
                Some(99),
                None,
                None,
                None,
                "mobile",
            ),
            (
                9,
                Some("late-ok"),
                Some("2025-12-30T00:00:00Z"),
                Some(1),
                Some("s1"),
                "click",
                None,
                None,
                None,
                None,
                "mobile",
            ),
            (
                10,
                Some("too-old"),
                Some("2025-12-29T23:59:59Z"),
                Some(1),
                Some("s1"),
                "click",
                None,
                None,
                None,
                None,
                "mobile",
            ),
            (
                11,
                Some("future"),
                Some("2026-01-07T00:00:00Z"),
                Some(1),
                Some("s1"),
                "click",
                None,
                None,
                None,
                None,
                "mobile",
            ),
            (
                12,
                Some("no-ts"),
                None,
                Some(1),
                Some("s1"),
                "click",
                None,
                None,
                None,
                None,
                "mobile",
            ),
            (
                13,
                Some("buy-ok"),
                Some(t),
                Some(1),
                Some("s1"),
                "purchase",
                Some(10),
                Some(2),
                Some("6.00"),
                Some("o1"),
                "mobile",
            ),
            (
                14,
                Some("buy-qty"),
                Some(t),
                Some(1),
                Some("s1"),
                "purchase",
                Some(10),
                Some(101),
                Some("6.00"),
                Some("o1"),
                "mobile",
            ),
            (
                15,
                Some("buy-free"),
                Some(t),
                Some(1),
                Some("s1"),
                "purchase",
                Some(10),
                Some(1),
                Some("0.00"),
                Some("o1"),
                "mobile",
            ),
            (
                16,
                Some("buy-noorder"),
                Some(t),
                Some(1),
                Some("s1"),
                "purchase",
                Some(10),
                Some(1),
                Some("6.00"),
                None,
                "mobile",
            ),
            (
                17,
                Some("buy-bad-ts"),
                None,
                Some(1),
                Some("s1"),
                "purchase",
                None,
                None,
                None,
                None,
                "mobile",
            ),
            (
                18,
                Some("ok-1"),
                Some(t),
                Some(1),
                Some("s1"),
                "page_view",
                None,
                None,
                None,
                None,
                "mobile",
            ),
            (
                19,
                Some("later-user"),
                Some(t),
                Some(9),
                Some("s1"),
                "click",
                None,
                None,
                None,
                None,
                "mobile",
            ),
        ],
    )
    .await;
    let stats = run_day(&mut c, day("2026-01-06")).await.unwrap();
    assert_eq!(
        reasons(&c, "2026-01-06").await,
        vec![
            (3, "unknown_event_type".to_owned()),
            (4, "missing_event_id".to_owned()),
            (5, "missing_event_id".to_owned()),
            (6, "missing_user_id".to_owned()),
            (7, "unknown_user".to_owned()),
            (8, "unknown_product".to_owned()),
            (10, "timestamp_out_of_range".to_owned()),
            (11, "timestamp_out_of_range".to_owned()),
            (12, "timestamp_out_of_range".to_owned()),
            (14, "invalid_purchase".to_owned()),
            (15, "invalid_purchase".to_owned()),
            (16, "invalid_purchase".to_owned()),
            (17, "timestamp_out_of_range".to_owned()),
            (18, "duplicate_event".to_owned()),
            (19, "unknown_user".to_owned()),
        ]
    );
    assert_eq!(stats.rows_staged, 18);
    assert_eq!(stats.facts_inserted, 3);
    assert_eq!(stats.rows_rejected(), 15);
    assert_eq!(stats.rejected.get("timestamp_out_of_range"), Some(&4));
    let facts: Vec<(String, String, i32, NaiveDate)> = c
        .query(
            "SELECT event_id, event_type, date_key, event_date FROM dw.fact_user_events ORDER BY event_id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    assert_eq!(
        facts,
        vec![
            (
                "buy-ok".to_owned(),
                "purchase".to_owned(),
                20260106,
                day("2026-01-06")
            ),
            (
                "late-ok".to_owned(),
                "click".to_owned(),
                20251230,
                day("2025-12-30")
            ),
            (
                "ok-1".to_owned(),
                "page_view".to_owned(),
                20260106,
                day("2026-01-06")
            ),
        ]
    );
    let (json, user): (serde_json::Value, Option<i64>) = c
        .query_one(
            "SELECT row_json, user_id FROM quarantine.rejected_rows WHERE source_line = 7",
            &[],
        )
        .await
        .map(|r| (r.get(0), r.get(1)))
        .unwrap();
    assert_eq!(user, Some(77));
    assert_eq!(json["event_id"], "ghost");
    assert_eq!(json["product_id"], 99);
    assert_eq!(json["event_type"], "click");
    assert!(json.get("reason").is_none());
}

#[tokio::test]
async fn surrogate_keys_are_the_versions_valid_at_the_event_time() {
    let db = TestDb::migrated().await;
    let mut c = db.client().await;
    dims(&c).await;
    let ev = |line, id, ts, user, product| -> Ev<'static> {
        (
            line,
            Some(id),
            Some(ts),
            Some(user),
            Some("s"),
            "product_view",
            product,
            None,
            None,
            None,
            "web",
        )
    };
    stage(
        &c,
        "2026-01-06",
        &[
            ev(2, "u1-before-first", "2025-12-31T23:00:00Z", 1, Some(10)),
            ev(3, "u1-v1", "2026-01-05T09:59:59Z", 1, Some(10)),
            ev(4, "u1-v2-at-boundary", "2026-01-05T10:00:00Z", 1, Some(11)),
            ev(5, "u2-after-deletion", "2026-01-06T10:00:00Z", 2, Some(10)),
            ev(6, "u3-before-signup", "2026-01-06T07:00:00Z", 3, None),
        ],
    )
    .await;
    run_day(&mut c, day("2026-01-06")).await.unwrap();
    let got: Vec<(String, i64, Option<i64>)> = c
        .query(
            "SELECT event_id, user_sk, product_sk FROM dw.fact_user_events ORDER BY source_line",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        got,
        vec![
            ("u1-before-first".to_owned(), 101, Some(1001)),
            ("u1-v1".to_owned(), 101, Some(1001)),
            ("u1-v2-at-boundary".to_owned(), 102, Some(1101)),
            ("u2-after-deletion".to_owned(), 201, Some(1002)),
            ("u3-before-signup".to_owned(), 301, None),
        ]
    );
}

/// Content of the tables the transform writes, without audit columns.
async fn checksum(c: &Client) -> Vec<String> {
    let mut out = Vec::new();
    for sql in [
        "SELECT md5(string_agg(f::text, '|' ORDER BY event_id)) FROM (SELECT event_id, event_date, date_key, batch_date, event_ts, user_id, user_sk, product_id, product_sk, session_id, event_type, quantity, unit_price, order_id, device, source_line FROM dw.fact_user_events) f",
        "SELECT md5(string_agg(q::text, '|' ORDER BY batch_date, source_line)) FROM (SELECT batch_date, stage, source_file, source_line, reason, detail, row_json, user_id FROM quarantine.rejected_rows) q",
        "SELECT md5(string_agg(s::text, '|' ORDER BY user_id, week_start)) FROM (SELECT user_id, week_start, user_sk, daily_events, total_events, active_days, purchases, revenue FROM dw.fact_user_weekly_summary) s",
    ] {
        let v: Option<String> = c.query_one(sql, &[]).await.unwrap().get(0);
        out.push(v.unwrap_or_default());
    }
    out
}

#[tokio::test]
async fn duplicates_are_caught_within_the_batch_and_against_earlier_batches_only_and_reruns_are_identical()
 {
    let db = TestDb::migrated().await;
    let mut c = db.client().await;
    dims(&c).await;
    let ev = |line, id, ts| -> Ev<'static> {
        (
            line,
            Some(id),
            Some(ts),
            Some(1),
            Some("s"),
            "click",
            None,
            None,
            None,
            None,
            "web",
        )
    };
    stage(
        &c,
        "2026-01-06",
        &[
            ev(2, "x", "2026-01-06T10:00:00Z"),
            ev(3, "y", "2026-01-06T11:00:00Z"),
        ],
    )
    .await;
    stage(
        &c,
        "2026-01-07",
        &[
            ev(2, "x", "2026-01-06T10:00:00Z"),
            ev(3, "z", "2026-01-07T10:00:00Z"),
            ev(4, "z", "2026-01-07T10:00:00Z"),
            ev(5, "x", "2026-01-07T12:00:00Z"),
        ],
    )
    .await;
    run_day(&mut c, day("2026-01-06")).await.unwrap();
    let second = run_day(&mut c, day("2026-01-07")).await.unwrap();
    assert_eq!(second.facts_inserted, 1);
    assert_eq!(
        reasons(&c, "2026-01-07").await,
        vec![
            (2, "duplicate_event".to_owned()),
            (4, "duplicate_event".to_owned()),
            (5, "duplicate_event".to_owned())
        ]
    );
    let before = checksum(&c).await;
    // Re-running the first day after the second must not see its own facts as earlier.
    let rerun = run_day(&mut c, day("2026-01-06")).await.unwrap();
    assert_eq!(rerun.facts_replaced, 2);
    assert_eq!(rerun.facts_inserted, 2);
    assert_eq!(rerun.rows_rejected(), 0);
    let rerun2 = run_day(&mut c, day("2026-01-07")).await.unwrap();
    assert_eq!(rerun2.facts_replaced, 1);
    assert_eq!(checksum(&c).await, before);
}

#[tokio::test]
async fn the_weekly_summary_counts_each_day_monday_first_for_every_touched_week() {
    let db = TestDb::migrated().await;
    let mut c = db.client().await;
    dims(&c).await;
    let ev = |line, id, ts, ty: &'static str, qty, price, order| -> Ev<'static> {
        (
            line,
            Some(id),
            Some(ts),
            Some(1),
            Some("s"),
            ty,
            Some(10),
            qty,
            price,
            order,
            "web",
        )
    };
    // Week of Monday 2026-01-05, plus a late event from the week before (2026-01-04, a Sunday).
    stage(
        &c,
        "2026-01-07",
        &[
            ev(
                2,
                "a",
                "2026-01-05T08:00:00Z",
                "product_view",
                None,
                None,
                None,
            ),
            ev(
                3,
                "b",
                "2026-01-05T09:00:00Z",
                "product_view",
                None,
                None,
                None,
            ),
            ev(
                4,
                "c",
                "2026-01-07T09:00:00Z",
                "purchase",
                Some(3),
                Some("6.00"),
                Some("o1"),
            ),
            ev(
                5,
                "d",
                "2026-01-07T09:00:01Z",
                "purchase",
                Some(1),
                Some("2.50"),
                Some("o1"),
            ),
            ev(
                6,
                "e",
                "2026-01-04T23:59:59Z",
                "product_view",
                None,
                None,
                None,
            ),
        ],
    )
    .await;
    let stats = run_day(&mut c, day("2026-01-07")).await.unwrap();
    assert_eq!(stats.weeks_recomputed, 2);
    let rows: Vec<(NaiveDate, i64, Vec<i32>, i32, i16, i32, String)> = c
        .query(
            "SELECT week_start, user_sk, daily_events, total_events, active_days, purchases, revenue::text FROM dw.fact_user_weekly_summary ORDER BY week_start",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5), r.get(6)))
        .collect();
    assert_eq!(
        rows,
        vec![
            (
                day("2025-12-29"),
                101,
                vec![0, 0, 0, 0, 0, 0, 1],
                1,
                1,
                0,
                "0.00".to_owned()
            ),
            (
                day("2026-01-05"),
                102,
                vec![2, 0, 2, 0, 0, 0, 0],
                4,
                2,
                2,
                "20.50".to_owned()
            ),
        ]
    );
    // A later day adds to the same week; the row is recomputed, not appended.
    stage(
        &c,
        "2026-01-08",
        &[ev(
            2,
            "f",
            "2026-01-08T08:00:00Z",
            "click",
            None,
            None,
            None,
        )],
    )
    .await;
    run_day(&mut c, day("2026-01-08")).await.unwrap();
    let daily: Vec<i32> = c
        .query_one(
            "SELECT daily_events FROM dw.fact_user_weekly_summary WHERE week_start = '2026-01-05'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(daily, vec![2, 0, 2, 1, 0, 0, 0]);
}

#[tokio::test]
async fn table_stats_record_every_warehouse_table_with_its_delta() {
    let db = TestDb::migrated().await;
    let mut c = db.client().await;
    dims(&c).await;
    let ev = |line, id| -> Ev<'static> {
        (
            line,
            Some(id),
            Some("2026-01-06T10:00:00Z"),
            Some(1),
            Some("s"),
            "click",
            None,
            None,
            None,
            None,
            "web",
        )
    };
    stage(&c, "2026-01-06", &[ev(2, "a"), ev(3, "b")]).await;
    run_day(&mut c, day("2026-01-06")).await.unwrap();
    let n = record_table_stats(&c, None, Some(day("2026-01-06")))
        .await
        .unwrap();
    stage(&c, "2026-01-07", &[ev(2, "c")]).await;
    run_day(&mut c, day("2026-01-07")).await.unwrap();
    assert_eq!(
        record_table_stats(&c, None, Some(day("2026-01-07")))
            .await
            .unwrap(),
        n
    );
    let rows: Vec<(NaiveDate, i64, Option<i64>)> = c
        .query(
            "SELECT batch_date, row_count, delta FROM ops.table_stats WHERE table_name = 'dw.fact_user_events' ORDER BY stat_id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        rows,
        vec![
            (day("2026-01-06"), 2, None),
            (day("2026-01-07"), 3, Some(1))
        ]
    );
    let names: Vec<String> = c
        .query(
            "SELECT table_name FROM ops.table_stats WHERE batch_date = '2026-01-07' ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        names,
        [
            "dw.dim_date",
            "dw.dim_product",
            "dw.dim_user",
            "dw.fact_event_ids",
            "dw.fact_user_events",
            "dw.fact_user_weekly_summary",
            "quarantine.rejected_rows",
        ],
        "every quarantine, dw and marts table, no partitions, no staging (ops.load_audit has it)"
    );
    assert!(
        !names.iter().any(|n| n.starts_with("dw.fact_user_events_")),
        "partitions are not tables of their own"
    );
}

#[tokio::test]
async fn the_marts_follow_the_metric_definitions_exactly() {
    let db = TestDb::migrated().await;
    let mut c = db.client().await;
    dims(&c).await;
    stage(
        &c,
        "2026-01-06",
        &[
            (
                2,
                Some("e1"),
                Some("2026-01-06T09:00:00Z"),
                Some(1),
                Some("s1"),
                "page_view",
                None,
                None,
                None,
                None,
                "mobile",
            ),
            (
                3,
                Some("e2"),
                Some("2026-01-06T09:01:00Z"),
                Some(1),
                Some("s1"),
                "add_to_cart",
                Some(10),
                None,
                None,
                None,
                "mobile",
            ),
            (
                4,
                Some("e3"),
                Some("2026-01-06T09:02:00Z"),
                Some(1),
                Some("s1"),
                "purchase",
                Some(10),
                Some(2),
                Some("6.00"),
                Some("o1"),
                "mobile",
            ),
            (
                5,
                Some("e4"),
                Some("2026-01-06T09:02:00Z"),
                Some(1),
                Some("s1"),
                "purchase",
                Some(11),
                Some(1),
                Some("2.50"),
                Some("o1"),
                "mobile",
            ),
            // s2 starts with two events at the same instant: the lower event_id (e5) decides the device.
            (
                6,
                Some("e50"),
                Some("2026-01-06T10:00:00Z"),
                Some(3),
                Some("s2"),
                "click",
                None,
                None,
                None,
                None,
                "tv",
            ),
            (
                7,
                Some("e5"),
                Some("2026-01-06T10:00:00Z"),
                Some(3),
                Some("s2"),
                "page_view",
                None,
                None,
                None,
                None,
                "web",
            ),
            (
                8,
                Some("e6"),
                Some("2026-01-06T10:05:00Z"),
                Some(3),
                Some("s2"),
                "add_to_cart",
                Some(10),
                None,
                None,
                None,
                "mobile",
            ),
            (
                9,
                Some("e8"),
                Some("2026-01-06T10:01:00Z"),
                Some(3),
                Some("s2"),
                "product_view",
                Some(10),
                None,
                None,
                None,
                "web",
            ),
            (
                10,
                Some("e7"),
                Some("2026-01-05T12:00:00Z"),
                Some(1),
                Some("s3"),
                "add_to_cart",
                Some(11),
                None,
                None,
                None,
                "web",
            ),
            (
                11,
                Some("e9"),
                Some("2025-12-31T08:00:00Z"),
                Some(2),
                Some("s4"),
                "page_view",
                None,
                None,
                None,
                None,
                "tablet",
            ),
            (
                12,
                Some("e10"),
                Some("2025-12-31T08:05:00Z"),
                Some(2),
                Some("s4"),
                "purchase",
                Some(11),
                Some(4),
                Some("2.50"),
                Some("o2"),
                "tablet",
            ),
        ],
    )
    .await;
    let stats = run_day(&mut c, day("2026-01-06")).await.unwrap();
    assert_eq!(stats.facts_inserted, 11);

    type Funnel = (
        NaiveDate,
        bool,
        String,
        i64,
        i64,
        i64,
        i64,
        Option<f64>,
        Option<f64>,
        Option<f64>,
    );
    let funnel: Vec<Funnel> = c
        .query(
            "SELECT * FROM marts.funnel_daily ORDER BY event_date, by_device, device",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.get(0),
                r.get(1),
                r.get(2),
                r.get(3),
                r.get(4),
                r.get(5),
                r.get(6),
                r.get(7),
                r.get(8),
                r.get(9),
            )
        })
        .collect();
    let s = |x: &str| x.to_owned();
    assert_eq!(
        funnel,
        vec![
            (
                day("2025-12-31"),
                false,
                s("all"),
                1,
                1,
                0,
                0,
                Some(0.0),
                None,
                Some(0.0)
            ),
            (
                day("2025-12-31"),
                true,
                s("tablet"),
                1,
                1,
                0,
                0,
                Some(0.0),
                None,
                Some(0.0)
            ),
            (
                day("2026-01-05"),
                false,
                s("all"),
                1,
                0,
                0,
                0,
                None,
                None,
                None
            ),
            (
                day("2026-01-05"),
                true,
                s("web"),
                1,
                0,
                0,
                0,
                None,
                None,
                None
            ),
            (
                day("2026-01-06"),
                false,
                s("all"),
                2,
                2,
                2,
                1,
                Some(1.0),
                Some(0.5),
                Some(0.5)
            ),
            (
                day("2026-01-06"),
                true,
                s("mobile"),
                1,
                1,
                1,
                1,
                Some(1.0),
                Some(1.0),
                Some(1.0)
            ),
            (
                day("2026-01-06"),
                true,
                s("web"),
                1,
                1,
                1,
                0,
                Some(1.0),
                Some(0.0),
                Some(0.0)
            ),
        ]
    );

    let sales: Vec<(NaiveDate, i64, i64, String, String)> = c
        .query("SELECT week_start, orders, units, revenue::text, avg_order_value::text FROM marts.sales_weekly ORDER BY 1", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .collect();
    assert_eq!(
        sales,
        vec![
            (day("2025-12-29"), 1, 4, s("10.00"), s("10.00")),
            (day("2026-01-05"), 1, 3, s("14.50"), s("14.50")),
        ]
    );
    let monthly: Vec<(NaiveDate, String)> = c
        .query(
            "SELECT month_start, revenue::text FROM marts.sales_monthly ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        monthly,
        vec![
            (day("2025-12-01"), s("10.00")),
            (day("2026-01-01"), s("14.50"))
        ]
    );

    let products: Vec<(NaiveDate, i64, i64, i64, i64, i64, String, i64)> = c
        .query(
            "SELECT week_start, product_id, product_views, add_to_carts, purchases, units, revenue::text, rank FROM marts.product_popularity_weekly ORDER BY 1, rank",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5), r.get(6), r.get(7)))
        .collect();
    assert_eq!(
        products,
        vec![
            (day("2025-12-29"), 11, 0, 0, 1, 4, s("10.00"), 1),
            (day("2026-01-05"), 10, 1, 2, 1, 2, s("12.00"), 1),
            (day("2026-01-05"), 11, 0, 1, 1, 1, s("2.50"), 2),
        ]
    );

    let engagement: Vec<(NaiveDate, i64, i64, i64, Option<f64>)> = c
        .query(
            "SELECT event_date, dau, wau, mau, stickiness FROM marts.engagement_daily ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .collect();
    assert_eq!(
        engagement,
        vec![
            (day("2025-12-31"), 1, 1, 1, Some(1.0)),
            (day("2026-01-01"), 0, 1, 1, Some(0.0)),
            (day("2026-01-02"), 0, 1, 1, Some(0.0)),
            (day("2026-01-03"), 0, 1, 1, Some(0.0)),
            (day("2026-01-04"), 0, 1, 1, Some(0.0)),
            (day("2026-01-05"), 1, 2, 2, Some(0.5)),
            (day("2026-01-06"), 2, 3, 3, Some(2.0 / 3.0)),
        ]
    );

    let cohorts: Vec<(NaiveDate, i32, i64, i64, f64)> = c
        .query("SELECT cohort_week, week_offset, cohort_size, retained, retention_rate FROM marts.retention_cohorts ORDER BY 1, 2", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .collect();
    assert_eq!(
        cohorts,
        vec![
            (day("2025-12-29"), 0, 2, 1, 0.5),
            (day("2025-12-29"), 1, 2, 1, 0.5),
            (day("2026-01-05"), 0, 2, 1, 0.5),
        ]
    );

    // The demo's KPI cuts run on these marts and each shows something.
    let kpis = kpi_queries();
    assert_eq!(kpis.len(), 5);
    for (title, sql) in kpis {
        let rows = c.query(sql, &[]).await.unwrap();
        assert!(!rows.is_empty(), "{title} is empty");
    }
}

#[tokio::test]
async fn a_day_past_the_calendar_extends_it_and_reaches_the_marts() {
    let db = TestDb::migrated().await;
    let mut c = db.client().await;
    dims(&c).await;
    // `init` made the calendar to 2027-12-31; this batch is months past it.
    let batch = "2028-03-01";
    stage(
        &c,
        batch,
        &[(
            2,
            Some("late-in-the-calendar"),
            Some("2028-03-01T09:00:00Z"),
            Some(1),
            Some("s"),
            "page_view",
            None,
            None,
            None,
            None,
            "web",
        )],
    )
    .await;
    let stats = run_day(&mut c, day(batch)).await.unwrap();
    assert_eq!(stats.facts_inserted, 1);
    let calendar: i64 = c
        .query_one(
            "SELECT count(*) FROM dw.dim_date WHERE date BETWEEN '2028-02-23' AND '2028-03-01'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(calendar, 8, "the batch's days are in the calendar");
    let row = c
        .query_one(
            "SELECT dau, wau, mau FROM marts.engagement_daily WHERE event_date = '2028-03-01'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        (
            row.get::<_, i64>(0),
            row.get::<_, i64>(1),
            row.get::<_, i64>(2)
        ),
        (1, 1, 1)
    );
}
