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

/// The counts the transform carries (its own tables: not counted, but the last exact count
/// plus its statements' inserts minus deletes) equal `count(*)` after new days, a re-run that
/// replaces a day's facts, and a late event that lands in another month's partition.
#[tokio::test]
async fn carried_table_counts_equal_a_full_count_after_new_days_reruns_and_late_events() {
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
    let carried = [
        "dw.fact_event_ids",
        "dw.fact_user_events",
        "dw.fact_user_weekly_summary",
    ];
    let check = async |c: &Client, when: &str| {
        for table in carried {
            let recorded: i64 = c
                .query_one(
                    "SELECT row_count FROM ops.table_stats WHERE table_name = $1 \
                     ORDER BY stat_id DESC LIMIT 1",
                    &[&table],
                )
                .await
                .unwrap()
                .get(0);
            let counted: i64 = c
                .query_one(&format!("SELECT count(*) FROM {table}"), &[])
                .await
                .unwrap()
                .get(0);
            assert_eq!(recorded, counted, "{table} after {when}");
        }
    };
    stage(
        &c,
        "2026-01-30",
        &[
            ev(2, "a", "2026-01-30T10:00:00Z"),
            ev(3, "b", "2026-01-30T11:00:00Z"),
        ],
    )
    .await;
    run_day_measured(&mut c, day("2026-01-30"), None)
        .await
        .unwrap();
    check(&c, "the first day (counted)").await;
    stage(
        &c,
        "2026-02-02",
        &[
            ev(2, "c", "2026-02-02T10:00:00Z"),
            // Late: January's partition, and a week the first day already touched.
            ev(3, "d", "2026-01-31T23:00:00Z"),
            ev(4, "e", "2026-02-01T09:00:00Z"),
        ],
    )
    .await;
    run_day_measured(&mut c, day("2026-02-02"), None)
        .await
        .unwrap();
    check(&c, "a second day with late events (carried)").await;
    // The first day again, with one event fewer: its facts are replaced.
    c.batch_execute(
        "DELETE FROM staging.events WHERE batch_date = '2026-01-30' AND event_id = 'b'",
    )
    .await
    .unwrap();
    run_day_measured(&mut c, day("2026-01-30"), None)
        .await
        .unwrap();
    check(&c, "a re-run that replaced the first day's facts").await;
    let base: i64 = c
        .query_one(
            "SELECT row_count FROM ops.table_row_counts WHERE table_name = 'dw.fact_user_events'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(base, 4, "a, c, d, e");
}

/// Every statement of the transform that inserts into or deletes from a table whose count it
/// carries is one of [`CARRIED`], with the sign of what it does.
#[test]
fn every_statement_changing_a_carried_table_is_counted_in_its_delta() {
    let mut found = Vec::new();
    for sql in [DAY_SQL, RULES_SQL, MARTS_SQL] {
        for s in statements::parse(sql) {
            let code: String = s
                .sql
                .lines()
                .filter(|l| !l.trim_start().starts_with("--"))
                .collect::<Vec<_>>()
                .join(" ");
            let mut tables: Vec<&str> = CARRIED.iter().map(|(_, t, _)| *t).collect();
            tables.dedup();
            for table in tables {
                for (verb, sign) in [
                    ("INSERT INTO", 1),
                    ("DELETE FROM", -1),
                    ("MERGE INTO", 0),
                    ("TRUNCATE", 0),
                ] {
                    let target = format!("{verb} {table} ");
                    if code.contains(&target) || code.ends_with(&format!("{verb} {table}")) {
                        found.push((s.name, table, sign));
                    }
                }
            }
        }
    }
    found.sort();
    let mut want = CARRIED.to_vec();
    want.sort();
    assert_eq!(found, want);
}
