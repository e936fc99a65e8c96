//! Surrogate keys valid at the event time, and duplicate events within a batch and across batches (reruns identical).
#![allow(clippy::type_complexity)]

use super::*;

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
