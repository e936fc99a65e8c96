//! The weekly summary and the table stats the transform records.
#![allow(clippy::type_complexity)]

use super::*;

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
