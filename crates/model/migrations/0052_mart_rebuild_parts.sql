-- A mart registers itself in one place: its own migration. mart_state.rebuild() no longer
-- lists the mart_state tables; it runs, in name order, every function of mart_state named
-- rebuild_<NN>_<part>() (no arguments), and each part empties and refills the tables it
-- owns. A new mart adds its tables, its view and its rebuild part in one migration, and
-- nothing else names it: the tests find the marts and their state in the catalog.
--
-- The computation is 0045's, split at its tables, plus the products part (0046's fill, kept
-- since by triggers on dw.dim_product), so that rebuild() now recomputes every mart_state
-- table. The numbers give the order: a part may read what an earlier part wrote.

CREATE FUNCTION mart_state.rebuild_10_sessions() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE mart_state.sessions;
    INSERT INTO mart_state.sessions
    SELECT session_id,
           min(event_ts),
           (array_agg(event_id ORDER BY event_ts, event_id))[1],
           (array_agg(event_date ORDER BY event_ts, event_id))[1],
           (array_agg(device ORDER BY event_ts, event_id))[1],
           min(event_date), max(event_date), count(*),
           count(*) FILTER (WHERE event_type = 'page_view'),
           count(*) FILTER (WHERE event_type = 'add_to_cart'),
           count(*) FILTER (WHERE event_type = 'purchase')
    FROM dw.fact_user_events
    WHERE session_id IS NOT NULL
    GROUP BY session_id;
END
$$;

CREATE FUNCTION mart_state.rebuild_20_funnel_days() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE mart_state.funnel_days;
    INSERT INTO mart_state.funnel_days
    SELECT event_date, device, count(*),
           count(*) FILTER (WHERE page_views > 0),
           count(*) FILTER (WHERE page_views > 0 AND add_to_carts > 0),
           count(*) FILTER (WHERE page_views > 0 AND add_to_carts > 0 AND purchases > 0)
    FROM mart_state.sessions
    GROUP BY event_date, device;
END
$$;

CREATE FUNCTION mart_state.rebuild_30_sales_weeks() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE mart_state.sales_weeks;
    INSERT INTO mart_state.sales_weeks
    SELECT date_trunc('week', event_date)::date, count(DISTINCT order_id), sum(quantity),
           sum(quantity * unit_price),
           round(sum(quantity * unit_price) / count(DISTINCT order_id), 2),
           count(*), count(DISTINCT user_id)
    FROM dw.fact_user_events WHERE event_type = 'purchase'
    GROUP BY 1;
END
$$;

CREATE FUNCTION mart_state.rebuild_31_sales_months() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE mart_state.sales_months;
    INSERT INTO mart_state.sales_months
    SELECT date_trunc('month', event_date)::date, count(DISTINCT order_id), sum(quantity),
           sum(quantity * unit_price),
           round(sum(quantity * unit_price) / count(DISTINCT order_id), 2),
           count(*), count(DISTINCT user_id)
    FROM dw.fact_user_events WHERE event_type = 'purchase'
    GROUP BY 1;
END
$$;

CREATE FUNCTION mart_state.rebuild_40_product_weeks() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE mart_state.product_weeks;
    INSERT INTO mart_state.product_weeks
    SELECT date_trunc('week', event_date)::date, product_id,
           count(*) FILTER (WHERE event_type = 'product_view'),
           count(*) FILTER (WHERE event_type = 'add_to_cart'),
           count(*) FILTER (WHERE event_type = 'purchase'),
           coalesce(sum(quantity) FILTER (WHERE event_type = 'purchase'), 0),
           coalesce(sum(quantity * unit_price) FILTER (WHERE event_type = 'purchase'), 0)
    FROM dw.fact_user_events
    WHERE product_id IS NOT NULL AND event_type IN ('product_view', 'add_to_cart', 'purchase')
    GROUP BY 1, 2;
END
$$;

CREATE FUNCTION mart_state.rebuild_41_products() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE mart_state.products;
    INSERT INTO mart_state.products
    SELECT DISTINCT ON (product_id) product_id, name, category, brand
    FROM dw.dim_product
    ORDER BY product_id, valid_from DESC;
END
$$;

-- The queue of changed users is emptied: the cohorts are read afresh from dw.dim_user.
CREATE FUNCTION mart_state.rebuild_50_user_cohorts() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE mart_state.user_changes, mart_state.user_cohorts;
    INSERT INTO mart_state.user_cohorts
    SELECT DISTINCT ON (user_id) user_id, date_trunc('week', signup_date)::date
    FROM dw.dim_user
    WHERE signup_date IS NOT NULL
    ORDER BY user_id, valid_from DESC;
END
$$;

CREATE FUNCTION mart_state.rebuild_51_cohort_sizes() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE mart_state.cohort_sizes;
    INSERT INTO mart_state.cohort_sizes
    SELECT cohort_week, count(*) FROM mart_state.user_cohorts GROUP BY cohort_week;
END
$$;

CREATE FUNCTION mart_state.rebuild_60_activity_weeks() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE mart_state.activity_weeks;
    INSERT INTO mart_state.activity_weeks
    SELECT week_start, count(*) FROM dw.fact_user_weekly_summary GROUP BY week_start;
END
$$;

CREATE FUNCTION mart_state.rebuild_61_retention_cells() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE mart_state.retention_cells;
    INSERT INTO mart_state.retention_cells
    SELECT c.cohort_week, s.week_start, count(*)
    FROM dw.fact_user_weekly_summary s
    JOIN mart_state.user_cohorts c USING (user_id)
    WHERE s.week_start >= c.cohort_week
    GROUP BY 1, 2;
END
$$;

CREATE FUNCTION mart_state.rebuild_70_engagement_days() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE mart_state.engagement_days;
    INSERT INTO mart_state.engagement_days
    WITH active AS (
        SELECT s.user_id, s.week_start + (i - 1) AS day
        FROM dw.fact_user_weekly_summary s
        CROSS JOIN LATERAL generate_subscripts(s.daily_events, 1) AS i
        WHERE s.daily_events[i] > 0
    ),
    spans AS (
        SELECT day, lead(day) OVER (PARTITION BY user_id ORDER BY day) AS next_day FROM active
    ),
    changes AS (
        SELECT day, 1 AS dau, 1 AS wau, 1 AS mau FROM spans
        UNION ALL
        SELECT least(day + 7, coalesce(next_day, day + 7)), 0, -1, 0 FROM spans
        UNION ALL
        SELECT least(day + 30, coalesce(next_day, day + 30)), 0, 0, -1 FROM spans
    )
    SELECT day, sum(dau), sum(wau), sum(mau) FROM changes GROUP BY day
    HAVING sum(dau) <> 0 OR sum(wau) <> 0 OR sum(mau) <> 0;
END
$$;

CREATE OR REPLACE FUNCTION mart_state.rebuild() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    part regprocedure;
BEGIN
    FOR part IN
        SELECT p.oid::regprocedure
        FROM pg_proc p
        WHERE p.pronamespace = 'mart_state'::regnamespace
          AND p.proname ~ '^rebuild_[0-9]+_'
          AND p.pronargs = 0
        ORDER BY p.proname COLLATE "C"
    LOOP
        EXECUTE 'SELECT ' || part::text;
    END LOOP;
END
$$;
COMMENT ON FUNCTION mart_state.rebuild() IS 'Recomputes every mart_state table from dw: runs each mart_state.rebuild_<NN>_<part>() in name order (the full computation the transform keeps incrementally).';
