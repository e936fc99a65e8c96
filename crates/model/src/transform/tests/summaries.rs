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
    let ev = |line, id| click(line, id, "2026-01-06T10:00:00Z");
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
            click(2, "a", "2026-01-30T10:00:00Z"),
            click(3, "b", "2026-01-30T11:00:00Z"),
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
            click(2, "c", "2026-02-02T10:00:00Z"),
            // Late: January's partition, and a week the first day already touched.
            click(3, "d", "2026-01-31T23:00:00Z"),
            click(4, "e", "2026-02-01T09:00:00Z"),
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
/// carries is one of [`CARRIED`], with the sign of what it does. An upsert (`ON CONFLICT ... DO
/// UPDATE`) counts its updated rows too, so a `SELECT` of the same table's entries must count
/// them back out.
#[test]
fn every_statement_changing_a_carried_table_is_counted_in_its_delta() {
    let mut found = Vec::new();
    let mut upserted = Vec::new();
    let mut selects = Vec::new();
    for sql in [DAY_SQL, RULES_SQL, MARTS_SQL] {
        for s in statements::parse(sql) {
            let code: String = s
                .sql
                .lines()
                .filter(|l| !l.trim_start().starts_with("--"))
                .collect::<Vec<_>>()
                .join(" ");
            if code.trim_start().starts_with("SELECT") {
                selects.push(s.name);
            }
            let mut tables: Vec<&str> = CARRIED.iter().map(|(_, t, _)| *t).collect();
            tables.dedup();
            for table in tables {
                if code.contains(&format!("INSERT INTO {table} ")) && code.contains("DO UPDATE") {
                    upserted.push(table);
                }
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
    for table in upserted {
        let back: Vec<_> = CARRIED
            .iter()
            .filter(|(name, t, sign)| *t == table && *sign == -1 && selects.contains(name))
            .collect();
        assert_eq!(
            back.len(),
            1,
            "{table}: one SELECT counts the upsert's updates back out"
        );
        found.extend(back);
    }
    found.sort();
    let mut want = CARRIED.to_vec();
    want.sort();
    assert_eq!(found, want);
}

async fn week_of_user_1(c: &Client) -> (i64, Vec<i32>, i32, i16) {
    let r = c
        .query_one(
            "SELECT user_sk, daily_events, total_events, active_days FROM dw.fact_user_weekly_summary \
             WHERE user_id = 1 AND week_start = '2026-01-05'",
            &[],
        )
        .await
        .unwrap();
    (r.get(0), r.get(1), r.get(2), r.get(3))
}

/// A later batch adds its facts to the stored week without reading the week's other facts:
/// user_sk moves to a later event's version, not to an earlier (late) event's, and the result
/// equals the recomputation (a re-run of a middle day, and the rebuild).
#[tokio::test]
async fn later_batches_add_to_a_week_and_user_sk_follows_the_last_event() {
    let db = TestDb::migrated().await;
    let mut c = db.client().await;
    dims(&c).await;
    // User 1 is version 101 before 2026-01-05 10:00 and 102 from then on.
    stage(&c, "2026-01-06", &[click(1, "a", "2026-01-05T09:00:00Z")]).await;
    stage(&c, "2026-01-07", &[click(1, "b", "2026-01-07T08:00:00Z")]).await;
    stage(&c, "2026-01-08", &[click(1, "c", "2026-01-05T09:30:00Z")]).await;
    run_day(&mut c, day("2026-01-06")).await.unwrap();
    assert_eq!(
        week_of_user_1(&c).await,
        (101, vec![1, 0, 0, 0, 0, 0, 0], 1, 1)
    );
    run_day(&mut c, day("2026-01-07")).await.unwrap();
    assert_eq!(
        week_of_user_1(&c).await,
        (102, vec![1, 0, 1, 0, 0, 0, 0], 2, 2)
    );
    // A late event earlier in the week than the last one: counted, user_sk stays.
    run_day(&mut c, day("2026-01-08")).await.unwrap();
    assert_eq!(
        week_of_user_1(&c).await,
        (102, vec![2, 0, 1, 0, 0, 0, 0], 3, 2)
    );
    let incremental = checksum(&c).await;
    let rerun = run_day(&mut c, day("2026-01-07")).await.unwrap();
    assert_eq!((rerun.facts_replaced, rerun.weeks_recomputed), (1, 1));
    assert_eq!(
        checksum(&c).await,
        incremental,
        "a re-run recomputes the same week"
    );
    rebuild(&mut c).await.unwrap();
    assert_eq!(
        checksum(&c).await,
        incremental,
        "the rebuild recomputes the same week"
    );
}
