-- The marts: flat views over dw for BI tools, exactly the KPI definitions of docs/kpis.md.
-- Plain views, not materialized: they restate past periods by themselves when late events
-- arrive, need no refresh bookkeeping, and measured fast enough over a simulated year
-- (BENCHMARKS.md, retention-model). All dates are UTC dates of event_ts; weeks are ISO
-- weeks starting Monday.

CREATE VIEW marts.sales_weekly AS
SELECT date_trunc('week', event_date)::date                        AS week_start,
       extract(isoyear FROM event_date)::integer                   AS iso_year,
       extract(week FROM event_date)::integer                      AS iso_week,
       count(DISTINCT order_id)                                    AS orders,
       sum(quantity)::bigint                                       AS units,
       sum(quantity * unit_price)::numeric(14,2)                   AS revenue,
       round(sum(quantity * unit_price) / count(DISTINCT order_id), 2)::numeric(14,2) AS avg_order_value,
       count(*)                                                    AS purchase_events,
       count(DISTINCT user_id)                                     AS buyers
FROM dw.fact_user_events
WHERE event_type = 'purchase'
GROUP BY 1, 2, 3;
COMMENT ON VIEW marts.sales_weekly IS 'Sales per ISO week (weeks with at least one purchase): revenue = sum of quantity x unit_price over purchase events, orders = distinct order_id, units = sum of quantity, avg_order_value = revenue / orders (rounded to cents).';
COMMENT ON COLUMN marts.sales_weekly.week_start IS 'Monday of the ISO week.';
COMMENT ON COLUMN marts.sales_weekly.purchase_events IS 'Purchase events (order lines).';
COMMENT ON COLUMN marts.sales_weekly.buyers IS 'Distinct users with a purchase.';

CREATE VIEW marts.sales_monthly AS
SELECT date_trunc('month', event_date)::date                       AS month_start,
       count(DISTINCT order_id)                                    AS orders,
       sum(quantity)::bigint                                       AS units,
       sum(quantity * unit_price)::numeric(14,2)                   AS revenue,
       round(sum(quantity * unit_price) / count(DISTINCT order_id), 2)::numeric(14,2) AS avg_order_value,
       count(*)                                                    AS purchase_events,
       count(DISTINCT user_id)                                     AS buyers
FROM dw.fact_user_events
WHERE event_type = 'purchase'
GROUP BY 1;
COMMENT ON VIEW marts.sales_monthly IS 'Sales per calendar month (months with at least one purchase), same measures as sales_weekly.';
COMMENT ON COLUMN marts.sales_monthly.month_start IS 'First day of the month.';

CREATE VIEW marts.retention_cohorts AS
WITH users AS (
    -- One signup_date per user: that of the user's latest version.
    SELECT DISTINCT ON (user_id) user_id, date_trunc('week', signup_date)::date AS cohort_week
    FROM dw.dim_user
    WHERE signup_date IS NOT NULL
    ORDER BY user_id, valid_from DESC
),
cohorts AS (
    SELECT cohort_week, count(*) AS cohort_size FROM users GROUP BY cohort_week
),
activity AS (
    SELECT DISTINCT user_id, date_trunc('week', event_date)::date AS active_week
    FROM dw.fact_user_events
),
span AS (
    SELECT min(active_week) AS first_week, max(active_week) AS last_week FROM activity
),
grid AS (
    -- Every cohort x every week with facts, from the cohort's own week on.
    SELECT c.cohort_week, c.cohort_size, w::date AS activity_week
    FROM cohorts c
    CROSS JOIN span
    CROSS JOIN LATERAL generate_series(greatest(c.cohort_week, span.first_week), span.last_week, interval '7 days') AS w
),
retained AS (
    SELECT u.cohort_week, a.active_week, count(*) AS retained
    FROM activity a
    JOIN users u USING (user_id)
    WHERE a.active_week >= u.cohort_week
    GROUP BY u.cohort_week, a.active_week
)
SELECT g.cohort_week,
       ((g.activity_week - g.cohort_week) / 7)::integer         AS week_offset,
       g.activity_week,
       g.cohort_size,
       coalesce(r.retained, 0)                                  AS retained,
       coalesce(r.retained, 0)::double precision / g.cohort_size AS retention_rate
FROM grid g
LEFT JOIN retained r ON r.cohort_week = g.cohort_week AND r.active_week = g.activity_week;
COMMENT ON VIEW marts.retention_cohorts IS 'Retention by signup cohort: cohort_week = ISO week of the user''s signup_date (latest version in dim_user); for each week with facts from the cohort week on, retained = distinct cohort users with a fact event in that week; cohort_size counts every user of the cohort, deleted users included; retention_rate = retained / cohort_size.';
COMMENT ON COLUMN marts.retention_cohorts.week_offset IS 'Weeks since the cohort week (0 = the signup week).';
COMMENT ON COLUMN marts.retention_cohorts.activity_week IS 'Monday of the week the activity is counted in (cohort_week + 7 x week_offset).';

CREATE VIEW marts.funnel_daily AS
WITH sessions AS (
    -- A session's day and device are those of its earliest event (ties: lowest event_id).
    SELECT session_id,
           (array_agg(event_date ORDER BY event_ts, event_id))[1] AS event_date,
           (array_agg(device ORDER BY event_ts, event_id))[1]     AS device,
           bool_or(event_type = 'page_view')                      AS viewed,
           bool_or(event_type = 'add_to_cart')                    AS carted,
           bool_or(event_type = 'purchase')                       AS purchased
    FROM dw.fact_user_events
    WHERE session_id IS NOT NULL
    GROUP BY session_id
),
counted AS (
    SELECT event_date,
           grouping(device) = 0                                           AS by_device,
           CASE WHEN grouping(device) = 1 THEN 'all' ELSE coalesce(device, 'unknown') END AS device,
           count(*)                                                       AS sessions,
           count(*) FILTER (WHERE viewed)                                 AS views,
           count(*) FILTER (WHERE viewed AND carted)                      AS carts,
           count(*) FILTER (WHERE viewed AND carted AND purchased)        AS purchases
    FROM sessions
    GROUP BY GROUPING SETS ((event_date), (event_date, device))
)
SELECT event_date, by_device, device, sessions, views, carts, purchases,
       carts::double precision / nullif(views, 0)     AS view_to_cart_rate,
       purchases::double precision / nullif(carts, 0) AS cart_to_purchase_rate,
       purchases::double precision / nullif(views, 0) AS view_to_purchase_rate
FROM counted;
COMMENT ON VIEW marts.funnel_daily IS 'Session funnel per day, overall (by_device false, device ''all'') and per device: a session (distinct session_id) is dated and attributed to a device by its earliest event (ties: lowest event_id); views = sessions with a page_view, carts = with a page_view and an add_to_cart, purchases = with a page_view, an add_to_cart and a purchase. Rates are NULL when their denominator is 0.';
COMMENT ON COLUMN marts.funnel_daily.device IS 'The session''s device; ''all'' on overall rows, ''unknown'' when the earliest event had none.';

CREATE VIEW marts.product_popularity_weekly AS
WITH weekly AS (
    SELECT date_trunc('week', event_date)::date                                        AS week_start,
           product_id,
           count(*) FILTER (WHERE event_type = 'product_view')                        AS product_views,
           count(*) FILTER (WHERE event_type = 'add_to_cart')                         AS add_to_carts,
           count(*) FILTER (WHERE event_type = 'purchase')                            AS purchases,
           coalesce(sum(quantity) FILTER (WHERE event_type = 'purchase'), 0)::bigint  AS units,
           coalesce(sum(quantity * unit_price) FILTER (WHERE event_type = 'purchase'), 0)::numeric(14,2) AS revenue
    FROM dw.fact_user_events
    WHERE product_id IS NOT NULL AND event_type IN ('product_view', 'add_to_cart', 'purchase')
    GROUP BY 1, 2
)
SELECT w.week_start, w.product_id, p.name AS product_name, p.category, p.brand,
       w.product_views, w.add_to_carts, w.purchases, w.units, w.revenue,
       rank() OVER (PARTITION BY w.week_start ORDER BY w.revenue DESC, w.units DESC) AS rank
FROM weekly w
LEFT JOIN LATERAL (
    SELECT name, category, brand FROM dw.dim_product d
    WHERE d.product_id = w.product_id ORDER BY d.valid_from DESC LIMIT 1
) p ON true;
COMMENT ON VIEW marts.product_popularity_weekly IS 'Per ISO week and product with product_view, add_to_cart or purchase events: product views, add-to-carts, purchase events, units and revenue; rank within the week by revenue, then units, descending (ties share a rank). Name, category and brand from the product''s latest version.';

CREATE VIEW marts.engagement_daily AS
WITH active AS (
    SELECT DISTINCT user_id, event_date FROM dw.fact_user_events
),
spans AS (
    SELECT user_id, event_date, lead(event_date) OVER (PARTITION BY user_id ORDER BY event_date) AS next_date
    FROM active
),
changes AS (
    -- A user counts in WAU over [d, d+7) and in MAU over [d, d+30) after each active day d,
    -- cut at their next active day (which opens the next span): +1/-1 steps, summed below.
    SELECT event_date AS day, 1 AS wau, 1 AS mau FROM spans
    UNION ALL
    SELECT least(event_date + 7, coalesce(next_date, event_date + 7)), -1, 0 FROM spans
    UNION ALL
    SELECT least(event_date + 30, coalesce(next_date, event_date + 30)), 0, -1 FROM spans
),
steps AS (
    SELECT day, sum(wau) AS wau, sum(mau) AS mau FROM changes GROUP BY day
),
dau AS (
    SELECT event_date, count(*) AS dau FROM active GROUP BY event_date
),
days AS (
    SELECT d.date, d.date_key FROM dw.dim_date d
    WHERE d.date BETWEEN (SELECT min(event_date) FROM active) AND (SELECT max(event_date) FROM active)
),
running AS (
    SELECT days.date, days.date_key, coalesce(dau.dau, 0) AS dau,
           sum(coalesce(steps.wau, 0)) OVER (ORDER BY days.date) AS wau,
           sum(coalesce(steps.mau, 0)) OVER (ORDER BY days.date) AS mau
    FROM days
    LEFT JOIN dau ON dau.event_date = days.date
    LEFT JOIN steps ON steps.day = days.date
)
SELECT date AS event_date, date_key, dau, wau::bigint AS wau, mau::bigint AS mau,
       dau::double precision / nullif(mau, 0) AS stickiness
FROM running;
COMMENT ON VIEW marts.engagement_daily IS 'Per day from the first to the last day with facts: DAU = users with a fact event that day, WAU = distinct users active in [d-6, d], MAU = in [d-29, d], stickiness = DAU / MAU.';
