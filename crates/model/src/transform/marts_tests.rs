//! The marts' incremental refresh against a full recomputation: after every batch, re-run,
//! changed re-run, emptied batch and cohort move, `mart_state` equals what
//! `mart_state.rebuild()` computes from `dw` alone.

use chrono::{Days, NaiveDate};
use retention_testing::TestDb;
use tokio_postgres::Client;

use super::*;

fn start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 26).unwrap_or_default()
}

async fn assert_incremental_is_full(c: &mut Client, when: &str) {
    let (now, rebuilt) = retention_testing::mart_state_and_rebuilt(c).await;
    assert_eq!(now, rebuilt, "mart_state after {when}");
    assert!(now.values().all(|(n, _)| *n > 0), "{when}: {now:?}");
    // The products the triggers keep are each product's latest version.
    let stale: i64 = c
        .query_one(
            "SELECT count(*) FROM (SELECT DISTINCT ON (product_id) product_id, name, category, brand \
             FROM dw.dim_product ORDER BY product_id, valid_from DESC) d \
             FULL JOIN mart_state.products p USING (product_id) \
             WHERE (d.name, d.category, d.brand) IS DISTINCT FROM (p.name, p.category, p.brand)",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(stale, 0, "{when}: mart_state.products");
}

/// Forty users over four signup weeks (one without a signup date) and five products.
async fn dims(c: &Client) {
    c.batch_execute(
        "INSERT INTO dw.dim_user (user_id, signup_date, row_hash, valid_from, is_current, batch_date, updated_in_batch)
         SELECT u, CASE WHEN u = 40 THEN NULL ELSE DATE '2026-01-05' + (u % 4) * 7 END, '\\x01',
                '2026-01-01 00:00Z', true, '2026-01-01', '2026-01-01'
         FROM generate_series(1, 40) u;
         INSERT INTO dw.dim_product (product_id, name, category, unit_price, row_hash, valid_from, is_current, batch_date, updated_in_batch)
         SELECT p, 'P' || p, 'C' || (p % 2), p, '\\x01', '2026-01-01 00:00Z', true, '2026-01-01', '2026-01-01'
         FROM generate_series(10, 14) p;",
    )
    .await
    .unwrap();
}

/// A deterministic, varied batch for `day`: sessions that span midnight and batches, late
/// events up to a week back, NULL devices, purchases of several lines, `variant` shifting
/// which events exist so a re-run can change the batch.
async fn stage_batch(c: &Client, day: NaiveDate, variant: u32) {
    let key = day.format("%Y%m%d").to_string();
    c.batch_execute(&format!(
        "CREATE TABLE IF NOT EXISTS staging.events_{key} PARTITION OF staging.events FOR VALUES IN ('{day}');
         DELETE FROM staging.events WHERE batch_date = '{day}';
         INSERT INTO staging.events (batch_date, source_line, event_id, event_ts, user_id, session_id, event_type,
                                     page_url, product_id, quantity, unit_price, order_id, device, country)
         SELECT '{day}'::date, n + 1, 'e{key}-' || n,
                '{day}'::timestamptz + make_interval(hours => (n * 7) % 24, mins => n % 60)
                    - make_interval(days => CASE WHEN n % 9 = 0 THEN n % 8 ELSE 0 END),
                1 + (n * 13 + {variant}) % 40,
                's' || ((n * 13 + {variant}) % 40) || '-' || (extract(doy FROM '{day}'::date)::int / 2),
                (ARRAY['page_view', 'product_view', 'add_to_cart', 'purchase', 'click', 'search'])[1 + (n + {variant}) % 6],
                '/p', CASE WHEN n % 6 IN (1, 2, 3) THEN 10 + n % 5 END,
                CASE WHEN (n + {variant}) % 6 = 3 THEN 1 + n % 3 END,
                CASE WHEN (n + {variant}) % 6 = 3 THEN (5 + n % 4)::numeric END,
                CASE WHEN (n + {variant}) % 6 = 3 THEN 'o' || (n / 2) || '-{key}' END,
                (ARRAY['web', 'mobile', NULL, 'tablet'])[1 + n % 4], 'DE'
         FROM generate_series(0, 59 + {variant} * 7) n
         WHERE n % 11 <> {variant};"
    ))
    .await
    .unwrap();
}

#[tokio::test]
async fn the_marts_refresh_equals_a_full_recomputation_through_reruns_and_cohort_moves() {
    let db = TestDb::migrated().await;
    let mut c = db.client().await;
    dims(&c).await;
    let days: Vec<NaiveDate> = (0..10).map(|i| start() + Days::new(i)).collect();
    for &d in &days {
        stage_batch(&c, d, 0).await;
        let stats = run_day(&mut c, d).await.unwrap();
        assert!(stats.facts_inserted > 40, "{d}: {stats:?}");
        assert_incremental_is_full(&mut c, &format!("batch {d}")).await;
    }

    // A re-run with the same rows, then with different rows (some gone, some new, sessions'
    // first events moved), of a day in the middle: later batches stay as they are.
    run_day(&mut c, days[4]).await.unwrap();
    assert_incremental_is_full(&mut c, "an identical re-run").await;
    stage_batch(&c, days[4], 3).await;
    run_day(&mut c, days[4]).await.unwrap();
    assert_incremental_is_full(&mut c, "a re-run with changed rows").await;

    // A user's signup date corrected (type 1), one user gets a first signup date and one
    // loses it: their cohorts move with every week they were active.
    c.batch_execute(
        "UPDATE dw.dim_user SET signup_date = '2026-01-26', updated_in_batch = '2026-02-04' WHERE user_id = 7;
         UPDATE dw.dim_user SET signup_date = '2026-01-12', updated_in_batch = '2026-02-04' WHERE user_id = 40;
         UPDATE dw.dim_user SET signup_date = NULL, updated_in_batch = '2026-02-04' WHERE user_id = 9;",
    )
    .await
    .unwrap();
    // A product renamed and moved to another category (a new version).
    c.batch_execute(
        "UPDATE dw.dim_product SET valid_to = '2026-02-04 08:00Z', is_current = false WHERE product_id = 11;
         INSERT INTO dw.dim_product (product_id, name, category, unit_price, row_hash, valid_from, is_current, batch_date, updated_in_batch)
         VALUES (11, 'P11 new', 'C9', 11, '\\x02', '2026-02-04 08:00Z', true, '2026-02-04', '2026-02-04');",
    )
    .await
    .unwrap();
    let next = days[9] + Days::new(1);
    stage_batch(&c, next, 1).await;
    // Users 7 and 9 have no events in this batch: they move with weeks it does not recompute.
    c.batch_execute(&format!(
        "DELETE FROM staging.events WHERE batch_date = '{next}' AND user_id IN (7, 9)"
    ))
    .await
    .unwrap();
    run_day(&mut c, next).await.unwrap();
    assert_incremental_is_full(&mut c, "cohort moves").await;
    let queued: i64 = c
        .query_one("SELECT count(*) FROM mart_state.user_changes", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(queued, 0, "the transform consumed the queue");

    // A batch re-run with no rows at all: its sessions, days and weeks lose what it gave.
    c.batch_execute(&format!(
        "DELETE FROM staging.events WHERE batch_date = '{}'",
        days[6]
    ))
    .await
    .unwrap();
    let stats = run_day(&mut c, days[6]).await.unwrap();
    assert_eq!((stats.facts_inserted, stats.facts_replaced > 0), (0, true));
    assert_incremental_is_full(&mut c, "an emptied batch").await;

    // A lone batch weeks later, the only one with facts in its weeks and its month, then
    // emptied: those periods, their sales rows and their orders and buyers go entirely.
    let lone = NaiveDate::from_ymd_opt(2026, 3, 17).unwrap_or_default();
    stage_batch(&c, lone, 2).await;
    run_day(&mut c, lone).await.unwrap();
    assert_incremental_is_full(&mut c, "a lone batch").await;
    c.batch_execute(&format!(
        "DELETE FROM staging.events WHERE batch_date = '{lone}'"
    ))
    .await
    .unwrap();
    run_day(&mut c, lone).await.unwrap();
    assert_incremental_is_full(&mut c, "the lone batch emptied").await;
    let march: i64 = c
        .query_one(
            "SELECT (SELECT count(*) FROM mart_state.sales_months WHERE month_start = '2026-03-01')
                  + (SELECT count(*) FROM mart_state.sales_keys WHERE period_start >= '2026-03-01')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(march, 0, "no sales state is left for March");
    assert_top_products_are_a_window_over_the_mart(&mut c).await;
}

/// `marts.top_products_weekly` (products with revenue from an index, the others only when
/// too few) against a window over every product-week of the mart, for cuts that reach into
/// the products without revenue and for category selections.
async fn assert_top_products_are_a_window_over_the_mart(c: &mut Client) {
    // A week where products 10 and 13 are only viewed and 12 is bought.
    let quiet = start() + Days::new(21);
    let key = quiet.format("%Y%m%d").to_string();
    c.batch_execute(&format!(
        "CREATE TABLE staging.events_{key} PARTITION OF staging.events FOR VALUES IN ('{quiet}');
         INSERT INTO staging.events (batch_date, source_line, event_id, event_ts, user_id, session_id, event_type,
                                     page_url, product_id, device, country)
         SELECT '{quiet}'::date, n, 'q{key}-' || n, '{quiet}'::timestamptz + make_interval(hours => n),
                1 + n % 3, 'q' || n, 'product_view', '/p', CASE WHEN n % 2 = 0 THEN 10 ELSE 13 END, 'web', 'DE'
         FROM generate_series(1, 5) n;
         INSERT INTO staging.events (batch_date, source_line, event_id, event_ts, user_id, session_id, event_type,
                                     page_url, product_id, quantity, unit_price, order_id, device, country)
         VALUES ('{quiet}', 6, 'q{key}-6', '{quiet}'::timestamptz + interval '7 hours', 2, 'q6', 'purchase',
                 '/p', 12, 1, 5, 'q-order', 'web', 'DE');"
    ))
    .await
    .unwrap();
    run_day(c, quiet).await.unwrap();
    let c = &*c;
    let without_revenue: i64 = c
        .query_one(
            "SELECT count(*) FROM marts.product_popularity_weekly WHERE revenue = 0",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(
        without_revenue > 0,
        "the batches give product-weeks without revenue"
    );
    let selections: [Option<Vec<Option<&str>>>; 4] = [
        None,
        Some(vec![Some("C1")]),
        Some(vec![Some("C0"), None]),
        Some(vec![Some("none such")]),
    ];
    for categories in &selections {
        for n in [1, 2, 4, 10] {
            let query = |sql: &'static str| async move {
                c.query(sql, &[&start(), categories, &n])
                    .await
                    .unwrap()
                    .iter()
                    .map(|r| (r.get(0), r.get(1), r.get(2)))
                    .collect::<Vec<(NaiveDate, i64, i64)>>()
            };
            let got = query(
                "SELECT week_start, rank_in_selection, product_id \
                 FROM marts.top_products_weekly($1::date, $1::date + 35, $2::text[], $3::int)",
            )
            .await;
            let want = query(
                "SELECT week_start, min(position) OVER (PARTITION BY week_start, revenue, units), product_id \
                 FROM (SELECT *, row_number() OVER (PARTITION BY week_start ORDER BY revenue DESC, units DESC, product_id) AS position \
                       FROM marts.product_popularity_weekly \
                       WHERE week_start >= date_trunc('week', $1::date) AND week_start <= $1::date + 35 \
                         AND ($2::text[] IS NULL OR EXISTS (SELECT 1 FROM unnest($2::text[]) s WHERE s IS NOT DISTINCT FROM category))) r \
                 WHERE position <= $3::int ORDER BY week_start DESC, position",
            )
            .await;
            assert_eq!(got, want, "categories {categories:?}, {n} a week");
        }
    }
}

/// The marts are read from the catalog: every view of `marts` with the `mart_state` tables
/// it reads, and every `mart_state` table is behind some mart or feeds one (the cohorts, the
/// change queue and the sessions are internal).
#[tokio::test]
async fn the_catalog_lists_every_mart_and_the_state_behind_it() {
    let db = TestDb::migrated().await;
    let c = db.client().await;
    let marts = crate::marts::marts(&c).await.unwrap();
    let found: Vec<(&str, Vec<&str>)> = marts
        .iter()
        .map(|m| {
            (
                m.name.as_str(),
                m.state.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("category_revenue_weekly", vec!["category_weeks"]),
            ("engagement_daily", vec!["engagement_days"]),
            ("funnel_daily", vec!["funnel_days"]),
            (
                "product_popularity_weekly",
                vec!["product_weeks", "products"]
            ),
            (
                "retention_cohorts",
                vec!["activity_weeks", "cohort_sizes", "retention_cells"]
            ),
            ("sales_monthly", vec!["sales_months"]),
            ("sales_weekly", vec!["sales_weeks"]),
        ]
    );
    assert!(marts.iter().all(|m| !m.description.is_empty()), "{marts:?}");
    assert_eq!(marts[0].qualified(), "marts.category_revenue_weekly");
}
