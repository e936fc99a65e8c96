//! A day past the calendar extends it and reaches the marts.
#![allow(clippy::type_complexity)]

use super::*;

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
