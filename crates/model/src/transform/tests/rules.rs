//! Conformance: the SQL event-type normalisation, and every rule rejecting with its reason code (the first failing rule wins).
#![allow(clippy::type_complexity)]

use super::*;

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

/// The function must stay a single expression the planner inlines: called per row instead, it
/// made the transform's staging statement four times slower at scale (migration 0054).
#[tokio::test]
async fn sql_normalisation_is_inlined_by_the_planner() {
    let db = TestDb::migrated().await;
    let c = db.client().await;
    let plan: Vec<String> = c
        .query(
            "EXPLAIN (VERBOSE, COSTS OFF) SELECT dw.normalize_event_type(x) FROM (VALUES ('a'), ('b')) v(x)",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let plan = plan.join("\n");
    assert!(
        !plan.contains("normalize_event_type") && plan.contains("CASE"),
        "not inlined:\n{plan}"
    );
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

    // The one-pass rebuild applies every rule alike, with the same details.
    let before = checksum(&c).await;
    let rebuilt = rebuild(&mut c).await.unwrap();
    assert_eq!(rebuilt.batches, 1);
    assert_eq!(rebuilt.facts, 3);
    assert_eq!(checksum(&c).await, before);
}
