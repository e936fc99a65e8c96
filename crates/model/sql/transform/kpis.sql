-- The KPI tables `retention demo` prints: small, readable cuts of the marts. Every column
-- is cast to text so a generic printer can show them. Each starts with `-- @title`.

-- @Engagement (last 14 days)
SELECT event_date::text AS day, dau::text AS dau, wau::text AS wau, mau::text AS mau,
       coalesce(round(stickiness::numeric, 3)::text, '-') AS stickiness
FROM (SELECT * FROM marts.engagement_daily ORDER BY event_date DESC LIMIT 14) e
ORDER BY event_date;

-- @Retention cohorts (latest 6 signup weeks, retained share by week offset)
SELECT cohort_week::text AS cohort_week, max(cohort_size)::text AS size,
       coalesce(max(round(100 * retention_rate)::text || '%') FILTER (WHERE week_offset = 0), '') AS w0,
       coalesce(max(round(100 * retention_rate)::text || '%') FILTER (WHERE week_offset = 1), '') AS w1,
       coalesce(max(round(100 * retention_rate)::text || '%') FILTER (WHERE week_offset = 2), '') AS w2,
       coalesce(max(round(100 * retention_rate)::text || '%') FILTER (WHERE week_offset = 3), '') AS w3,
       coalesce(max(round(100 * retention_rate)::text || '%') FILTER (WHERE week_offset = 4), '') AS w4
FROM marts.retention_cohorts
WHERE cohort_week >= (SELECT max(activity_week) - 35 FROM marts.retention_cohorts)
GROUP BY cohort_week
ORDER BY cohort_week;

-- @Funnel (sessions: page view -> cart -> purchase, all devices)
SELECT event_date::text AS day, sessions::text AS sessions, views::text AS views, carts::text AS carts,
       purchases::text AS purchases,
       coalesce(round(100 * view_to_cart_rate::numeric, 1)::text || '%', '-') AS view_to_cart,
       coalesce(round(100 * cart_to_purchase_rate::numeric, 1)::text || '%', '-') AS cart_to_purchase,
       coalesce(round(100 * view_to_purchase_rate::numeric, 1)::text || '%', '-') AS conversion
FROM marts.funnel_daily
WHERE NOT by_device
ORDER BY event_date DESC
LIMIT 14;

-- @Weekly sales
SELECT week_start::text AS week, orders::text AS orders, units::text AS units, revenue::text AS revenue,
       avg_order_value::text AS avg_order_value, buyers::text AS buyers
FROM marts.sales_weekly
ORDER BY week_start;

-- @Top products (latest week)
SELECT rank::text AS rank, product_id::text AS product, coalesce(product_name, '') AS name,
       coalesce(category, '') AS category, product_views::text AS views, add_to_carts::text AS carts,
       units::text AS units, revenue::text AS revenue
FROM (
    SELECT * FROM marts.product_popularity_weekly
    WHERE week_start = (SELECT max(week_start) FROM marts.product_popularity_weekly)
    ORDER BY rank, product_id
    LIMIT 10
) top
ORDER BY top.rank, top.product_id;
