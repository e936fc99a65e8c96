//! The marts against the metric definitions, figure by figure.
#![allow(clippy::type_complexity)]

use super::*;

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

    // Per week and category: neither product has a category, so both count under NULL;
    // product 10's new version then gives it one, and its weeks move there, product 11's stay.
    let categories =
        async |c: &tokio_postgres::Client| -> Vec<(NaiveDate, Option<String>, i64, String)> {
            c.query(
            "SELECT week_start, category, products, revenue::text FROM marts.category_revenue_weekly ORDER BY 1, 2",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect()
        };
    assert_eq!(
        categories(&c).await,
        vec![
            (day("2025-12-29"), None, 1, s("10.00")),
            (day("2026-01-05"), None, 2, s("14.50")),
        ]
    );
    c.batch_execute(
        "UPDATE dw.dim_product SET valid_to = '2026-01-09 00:00Z', is_current = false WHERE product_sk = 1002;
         INSERT INTO dw.dim_product (product_sk, product_id, name, category, unit_price, row_hash, valid_from, valid_to, is_current, batch_date, updated_in_batch)
         VALUES (1003, 10, 'Mug', 'Books', 6.00, '\\x04', '2026-01-09 00:00Z', 'infinity', true, '2026-01-09', '2026-01-09')",
    )
    .await
    .unwrap();
    assert_eq!(
        categories(&c).await,
        vec![
            (day("2025-12-29"), None, 1, s("10.00")),
            (day("2026-01-05"), Some(s("Books")), 1, s("12.00")),
            (day("2026-01-05"), None, 1, s("2.50")),
        ]
    );

    // Each week's best products within a selection of categories (NULL: all; a NULL element:
    // the products without a category), newest week first.
    let top = async |c: &tokio_postgres::Client,
                     from: &str,
                     cats: Option<Vec<Option<&str>>>,
                     n: i32|
           -> Vec<(NaiveDate, i64, i64, Option<String>)> {
        c.query(
            "SELECT week_start, rank_in_selection, product_id, product_name \
             FROM marts.top_products_weekly($1, '2026-01-11', $2, $3)",
            &[&day(from), &cats, &n],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect()
    };
    assert_eq!(
        top(&c, "2025-12-29", None, 10).await,
        vec![
            (day("2026-01-05"), 1, 10, Some(s("Mug"))),
            (day("2026-01-05"), 2, 11, Some(s("Pen"))),
            (day("2025-12-29"), 1, 11, Some(s("Pen"))),
        ]
    );
    assert_eq!(
        top(&c, "2025-12-29", None, 1).await,
        vec![
            (day("2026-01-05"), 1, 10, Some(s("Mug"))),
            (day("2025-12-29"), 1, 11, Some(s("Pen")))
        ]
    );
    assert_eq!(
        top(&c, "2025-12-29", Some(vec![Some("Books")]), 10).await,
        vec![(day("2026-01-05"), 1, 10, Some(s("Mug")))]
    );
    assert_eq!(
        top(&c, "2025-12-29", Some(vec![None]), 10).await,
        vec![
            (day("2026-01-05"), 1, 11, Some(s("Pen"))),
            (day("2025-12-29"), 1, 11, Some(s("Pen")))
        ]
    );
    // The range starts at the Monday of its first day's week.
    assert_eq!(
        top(&c, "2026-01-07", Some(vec![Some("Toys")]), 10).await,
        vec![]
    );
    assert_eq!(top(&c, "2026-01-07", None, 10).await.len(), 2);

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
