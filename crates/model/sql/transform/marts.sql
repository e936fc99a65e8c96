-- The marts' refresh for one batch day ($1), in the transform's transaction right after
-- day.sql: it updates mart_state (migration 0045) for exactly what the batch changed, so its
-- cost follows the batch, not the warehouse. Inputs from day.sql: t_old_facts (the batch's
-- facts before this run, non-empty only on a re-run), t_new_facts (the facts it inserted), t_touched (the (user, week) pairs
-- whose weekly summary was recomputed) and t_sum_old (those summaries before). The result
-- equals mart_state.rebuild() over the same dw (tested), so reads of marts.* see the same
-- numbers as the plain views of 0041 did.
--
-- Tables that grow with the history (dw.fact_user_weekly_summary, mart_state.sessions,
-- mart_state.user_cohorts) are read per key of the batch through a LATERAL subquery with
-- OFFSET 0, which the planner cannot flatten into a join. As plain joins it hashed the batch's
-- keys and scanned the whole table every day: 1.1-1.4 s per statement by day 86 of a
-- --scale 210 year, and growing (BENCHMARKS.md, issue 13).

-- @analyze_new_facts
-- The columns the statements below filter, group or join t_new_facts by; statistics of the
-- others (event_id, order_id, ...) only cost the ANALYZE time: 90-103 ms against 121-199 ms
-- for all twelve at --scale 210 (BENCHMARKS.md, issue 13).
ANALYZE t_new_facts (event_date, event_type, product_id, session_id);

-- @sales_delta
-- The batch's purchase facts (+1) and a re-run's previous ones (-1), once for their week and
-- once for their month. Orders and buyers are distinct counts: the periods are not recomputed
-- from their facts (every purchase of the month, more each day) but kept by key in
-- mart_state.sales_keys (migration 0059).
CREATE TEMP TABLE t_sales_delta ON COMMIT DROP AS
SELECT g.grain, g.period_start, f.sign, f.order_id, f.user_id, f.quantity, f.unit_price
FROM (SELECT -1 AS sign, event_date, order_id, user_id, quantity, unit_price
      FROM t_old_facts WHERE event_type = 'purchase'
      UNION ALL
      SELECT 1, event_date, order_id, user_id, quantity, unit_price
      FROM t_new_facts WHERE event_type = 'purchase') f
CROSS JOIN LATERAL (VALUES ('week', date_trunc('week', f.event_date)::date),
                           ('month', date_trunc('month', f.event_date)::date)) AS g(grain, period_start);

-- @sales_keys_changed
-- Each order and buyer whose purchase facts in a period the batch changes, with that number
-- before and after; the state is read by one index probe per key (see the top of the file).
CREATE TEMP TABLE t_sales_keys ON COMMIT DROP AS
SELECT d.grain, d.period_start, d.kind, d.key, coalesce(s.purchases, 0) AS before,
       coalesce(s.purchases, 0) + d.delta AS after
FROM (SELECT t.grain, t.period_start, k.kind, k.key, sum(t.sign) AS delta
      FROM t_sales_delta t
      CROSS JOIN LATERAL (VALUES ('order', t.order_id), ('buyer', t.user_id::text)) AS k(kind, key)
      WHERE k.key IS NOT NULL
      GROUP BY 1, 2, 3, 4
      HAVING sum(t.sign) <> 0) d
LEFT JOIN LATERAL (
    SELECT s.purchases FROM mart_state.sales_keys s
    WHERE s.grain = d.grain AND s.period_start = d.period_start AND s.kind = d.kind AND s.key = d.key
    OFFSET 0
) s ON true;

-- @sales_keys_delete
-- Keys left without a purchase fact (only a re-run that drops facts has any).
DELETE FROM mart_state.sales_keys s
USING (SELECT grain, period_start, kind, array_agg(key) AS keys
       FROM t_sales_keys WHERE after = 0 GROUP BY 1, 2, 3) t
WHERE s.grain = t.grain AND s.period_start = t.period_start AND s.kind = t.kind
  AND s.key = ANY (t.keys);

-- @sales_keys_upsert
-- A negative count (state out of step with the facts) fails the table's CHECK: the day rolls back.
INSERT INTO mart_state.sales_keys AS s (grain, period_start, kind, key, purchases)
SELECT grain, period_start, kind, key, after FROM t_sales_keys WHERE after <> 0
ORDER BY grain, period_start, kind, key
ON CONFLICT (grain, period_start, kind, key) DO UPDATE SET purchases = excluded.purchases;

-- @sales_periods
-- Per touched week and month: the change of every measure. Orders and buyers change by the
-- keys that appeared (none before) minus those that went (none after).
CREATE TEMP TABLE t_sales_periods ON COMMIT DROP AS
SELECT p.grain, p.period_start, coalesce(k.orders, 0) AS orders, p.units, p.revenue,
       p.purchase_events, coalesce(k.buyers, 0) AS buyers
FROM (SELECT grain, period_start, coalesce(sum(sign * quantity), 0) AS units,
             coalesce(sum(sign * quantity * unit_price), 0) AS revenue, sum(sign) AS purchase_events
      FROM t_sales_delta GROUP BY 1, 2) p
LEFT JOIN (SELECT grain, period_start,
                  count(*) FILTER (WHERE kind = 'order' AND before = 0)
                  - count(*) FILTER (WHERE kind = 'order' AND after = 0) AS orders,
                  count(*) FILTER (WHERE kind = 'buyer' AND before = 0)
                  - count(*) FILTER (WHERE kind = 'buyer' AND after = 0) AS buyers
           FROM t_sales_keys GROUP BY 1, 2) k USING (grain, period_start);

-- @sales_weeks
-- Added to the week's row; avg_order_value from the new totals (0 only in a proposed row that
-- the conflict replaces, or in a row @sales_weeks_empty deletes).
INSERT INTO mart_state.sales_weeks AS w
SELECT period_start, orders, units, revenue, coalesce(round(revenue / nullif(orders, 0), 2), 0),
       purchase_events, buyers
FROM t_sales_periods WHERE grain = 'week'
ON CONFLICT (week_start) DO UPDATE SET
    orders = w.orders + excluded.orders,
    units = w.units + excluded.units,
    revenue = w.revenue + excluded.revenue,
    avg_order_value = coalesce(round((w.revenue + excluded.revenue) / nullif(w.orders + excluded.orders, 0), 2), 0),
    purchase_events = w.purchase_events + excluded.purchase_events,
    buyers = w.buyers + excluded.buyers;

-- @sales_weeks_empty
DELETE FROM mart_state.sales_weeks
WHERE purchase_events = 0 AND week_start IN (SELECT period_start FROM t_sales_periods WHERE grain = 'week');

-- @sales_months
INSERT INTO mart_state.sales_months AS m
SELECT period_start, orders, units, revenue, coalesce(round(revenue / nullif(orders, 0), 2), 0),
       purchase_events, buyers
FROM t_sales_periods WHERE grain = 'month'
ON CONFLICT (month_start) DO UPDATE SET
    orders = m.orders + excluded.orders,
    units = m.units + excluded.units,
    revenue = m.revenue + excluded.revenue,
    avg_order_value = coalesce(round((m.revenue + excluded.revenue) / nullif(m.orders + excluded.orders, 0), 2), 0),
    purchase_events = m.purchase_events + excluded.purchase_events,
    buyers = m.buyers + excluded.buyers;

-- @sales_months_empty
DELETE FROM mart_state.sales_months
WHERE purchase_events = 0 AND month_start IN (SELECT period_start FROM t_sales_periods WHERE grain = 'month');

-- @product_weeks
-- Every measure is a count or a sum: minus the batch's previous facts, plus its new ones.
MERGE INTO mart_state.product_weeks AS p
USING (
    SELECT date_trunc('week', f.event_date)::date AS week_start, f.product_id,
           sum(f.sign) FILTER (WHERE f.event_type = 'product_view')              AS product_views,
           sum(f.sign) FILTER (WHERE f.event_type = 'add_to_cart')               AS add_to_carts,
           sum(f.sign) FILTER (WHERE f.event_type = 'purchase')                  AS purchases,
           sum(f.sign * f.quantity) FILTER (WHERE f.event_type = 'purchase')     AS units,
           sum(f.sign * f.quantity * f.unit_price) FILTER (WHERE f.event_type = 'purchase') AS revenue
    FROM (SELECT -1 AS sign, * FROM t_old_facts UNION ALL SELECT 1, * FROM t_new_facts) f
    WHERE f.product_id IS NOT NULL AND f.event_type IN ('product_view', 'add_to_cart', 'purchase')
    GROUP BY 1, 2
) d ON p.week_start = d.week_start AND p.product_id = d.product_id
WHEN MATCHED THEN UPDATE SET
    product_views = p.product_views + coalesce(d.product_views, 0),
    add_to_carts  = p.add_to_carts + coalesce(d.add_to_carts, 0),
    purchases     = p.purchases + coalesce(d.purchases, 0),
    units         = p.units + coalesce(d.units, 0),
    revenue       = p.revenue + coalesce(d.revenue, 0)
WHEN NOT MATCHED THEN INSERT VALUES (d.week_start, d.product_id, coalesce(d.product_views, 0),
    coalesce(d.add_to_carts, 0), coalesce(d.purchases, 0), coalesce(d.units, 0), coalesce(d.revenue, 0));

-- @product_weeks_empty
DELETE FROM mart_state.product_weeks
WHERE product_views = 0 AND add_to_carts = 0 AND purchases = 0
  AND week_start IN (SELECT date_trunc('week', event_date)::date FROM t_old_facts);

-- @category_weeks_touched
-- The weeks whose product rows the batch changed: regrouped whole from those rows (one week's
-- products, not the history), since a product row that appeared or went changes a count.
CREATE TEMP TABLE t_category_weeks ON COMMIT DROP AS
SELECT date_trunc('week', event_date)::date AS week_start FROM t_old_facts WHERE product_id IS NOT NULL
UNION
SELECT date_trunc('week', event_date)::date FROM t_new_facts WHERE product_id IS NOT NULL;

-- @category_weeks_delete
DELETE FROM mart_state.category_weeks WHERE week_start IN (SELECT week_start FROM t_category_weeks);

-- @category_weeks
INSERT INTO mart_state.category_weeks
SELECT w.week_start, p.category, count(*), sum(w.revenue)
FROM mart_state.product_weeks w
LEFT JOIN mart_state.products p ON p.product_id = w.product_id
WHERE w.week_start IN (SELECT week_start FROM t_category_weeks)
GROUP BY 1, 2;

-- @sessions_touched
-- Sessions with facts in this batch, now or before. One whose facts this run replaced (a
-- re-run) is rescanned from the facts; the others merge the batch's facts into their state.
CREATE TEMP TABLE t_sessions ON COMMIT DROP AS
SELECT session_id, bool_or(old) AS rescan
FROM (SELECT DISTINCT session_id, true AS old FROM t_old_facts WHERE session_id IS NOT NULL
      UNION ALL
      SELECT DISTINCT session_id, false FROM t_new_facts WHERE session_id IS NOT NULL) s
GROUP BY session_id;

-- @analyze_sessions
ANALYZE t_sessions;

-- @sessions_before
-- One probe of the state's hash index (0061) per touched session (see the top of the file), in
-- no particular order: a session_id's bucket is that of its hash, so the key order that kept
-- consecutive probes on the same pages of the B-tree key before 0061 only costs the sort.
-- With each row's ctid, by which @sessions_delete finds it again (nothing else writes the state
-- in between: this transaction holds the transform's lock).
CREATE TEMP TABLE t_sessions_old ON COMMIT DROP AS
SELECT s.*
FROM (SELECT session_id FROM t_sessions) t
CROSS JOIN LATERAL (
    SELECT s.ctid AS state_ctid, s.* FROM mart_state.sessions s WHERE s.session_id = t.session_id OFFSET 0
) s;

-- @sessions_after
-- A session's facts all lie in its old first_day..last_day or in this batch's window.
CREATE TEMP TABLE t_sessions_new ON COMMIT DROP AS
WITH batch AS (
    SELECT session_id, min(event_ts) AS first_ts,
           (array_agg(event_id ORDER BY event_ts, event_id))[1]   AS first_event_id,
           (array_agg(event_date ORDER BY event_ts, event_id))[1] AS event_date,
           (array_agg(device ORDER BY event_ts, event_id))[1]     AS device,
           min(event_date) AS first_day, max(event_date) AS last_day, count(*) AS facts,
           count(*) FILTER (WHERE event_type = 'page_view')   AS page_views,
           count(*) FILTER (WHERE event_type = 'add_to_cart') AS add_to_carts,
           count(*) FILTER (WHERE event_type = 'purchase')    AS purchases
    FROM t_new_facts
    WHERE session_id IN (SELECT session_id FROM t_sessions WHERE NOT rescan)
    GROUP BY session_id
),
rescan AS (
    SELECT t.session_id,
           least(o.first_day, $1::date - 7) AS lo, greatest(o.last_day, $1::date) AS hi
    FROM t_sessions t LEFT JOIN t_sessions_old o USING (session_id)
    WHERE t.rescan
)
SELECT b.session_id,
       CASE WHEN o.session_id IS NULL OR (b.first_ts, b.first_event_id) < (o.first_ts, o.first_event_id)
            THEN b.first_ts ELSE o.first_ts END AS first_ts,
       CASE WHEN o.session_id IS NULL OR (b.first_ts, b.first_event_id) < (o.first_ts, o.first_event_id)
            THEN b.first_event_id ELSE o.first_event_id END AS first_event_id,
       CASE WHEN o.session_id IS NULL OR (b.first_ts, b.first_event_id) < (o.first_ts, o.first_event_id)
            THEN b.event_date ELSE o.event_date END AS event_date,
       CASE WHEN o.session_id IS NULL OR (b.first_ts, b.first_event_id) < (o.first_ts, o.first_event_id)
            THEN b.device ELSE o.device END AS device,
       least(b.first_day, o.first_day) AS first_day,
       greatest(b.last_day, o.last_day) AS last_day,
       b.facts + coalesce(o.facts, 0) AS facts,
       b.page_views + coalesce(o.page_views, 0) AS page_views,
       b.add_to_carts + coalesce(o.add_to_carts, 0) AS add_to_carts,
       b.purchases + coalesce(o.purchases, 0) AS purchases
FROM batch b LEFT JOIN t_sessions_old o USING (session_id)
UNION ALL
SELECT f.session_id, min(f.event_ts),
       (array_agg(f.event_id ORDER BY f.event_ts, f.event_id))[1],
       (array_agg(f.event_date ORDER BY f.event_ts, f.event_id))[1],
       (array_agg(f.device ORDER BY f.event_ts, f.event_id))[1],
       min(f.event_date), max(f.event_date), count(*),
       count(*) FILTER (WHERE f.event_type = 'page_view'),
       count(*) FILTER (WHERE f.event_type = 'add_to_cart'),
       count(*) FILTER (WHERE f.event_type = 'purchase')
FROM rescan r
JOIN dw.fact_user_events f ON f.session_id = r.session_id AND f.event_date BETWEEN r.lo AND r.hi
WHERE f.event_date >= (SELECT min(lo) FROM rescan) AND f.event_date <= (SELECT max(hi) FROM rescan)
GROUP BY f.session_id;

-- @sessions_delete
-- The touched sessions that had a state are exactly t_sessions_old's (most of a day's are new),
-- deleted where @sessions_before found them: a TID scan, no index probe. By session_id, a hash
-- index serves `= ANY (array)` only as a bitmap scan whose heap recheck compares every row with
-- the whole array: 3,000 old sessions took 108 ms against 8 ms by ctid, and it grows with the
-- square of their number (a re-run touches every session of its batch again).
DELETE FROM mart_state.sessions s
WHERE s.ctid = ANY (ARRAY(SELECT state_ctid FROM t_sessions_old));

-- @sessions_insert
INSERT INTO mart_state.sessions SELECT * FROM t_sessions_new;

-- @funnel_days
-- Each session counts once, on its day and device: minus its state before, plus after.
MERGE INTO mart_state.funnel_days AS f
USING (
    SELECT event_date, device, sum(sign) AS sessions,
           sum(sign) FILTER (WHERE page_views > 0) AS views,
           sum(sign) FILTER (WHERE page_views > 0 AND add_to_carts > 0) AS carts,
           sum(sign) FILTER (WHERE page_views > 0 AND add_to_carts > 0 AND purchases > 0) AS purchases
    FROM (SELECT -1 AS sign, event_date, device, page_views, add_to_carts, purchases FROM t_sessions_old
          UNION ALL
          SELECT 1, event_date, device, page_views, add_to_carts, purchases FROM t_sessions_new) s
    GROUP BY event_date, device
) d ON f.event_date = d.event_date AND f.device IS NOT DISTINCT FROM d.device
WHEN MATCHED THEN UPDATE SET
    sessions  = f.sessions + d.sessions,
    views     = f.views + coalesce(d.views, 0),
    carts     = f.carts + coalesce(d.carts, 0),
    purchases = f.purchases + coalesce(d.purchases, 0)
WHEN NOT MATCHED THEN INSERT VALUES (d.event_date, d.device, d.sessions, coalesce(d.views, 0),
    coalesce(d.carts, 0), coalesce(d.purchases, 0));

-- @funnel_days_empty
DELETE FROM mart_state.funnel_days
WHERE sessions = 0 AND event_date IN (SELECT event_date FROM t_sessions_old);

-- @summaries_new
CREATE TEMP TABLE t_sum_new ON COMMIT DROP AS
SELECT s.user_id, s.week_start, s.daily_events
FROM dw.fact_user_weekly_summary s
JOIN (SELECT DISTINCT user_id, week_start FROM t_touched) k
  ON s.user_id = k.user_id AND s.week_start = k.week_start;

-- @analyze_summaries
ANALYZE t_sum_old, t_sum_new;

-- @cohort_queue
-- Users whose dim_user rows changed since the last transform (queued by a trigger): their
-- signup week is read again. The rows read here are removed at the end, and only those.
CREATE TEMP TABLE t_queue ON COMMIT DROP AS
SELECT change_id, user_id FROM mart_state.user_changes;

-- @analyze_queue
ANALYZE t_queue;

-- @cohort_moves
-- A user's cohort is the week of the signup_date of their latest version that has one: one
-- index probe per queued user (a day queues thousands; measured faster than one ordered
-- scan, which only the millions of a bootstrap would repay).
CREATE TEMP TABLE t_moves ON COMMIT DROP AS
SELECT q.user_id, c.cohort_week AS old_week, n.cohort_week AS new_week
FROM (SELECT DISTINCT user_id FROM t_queue) q
LEFT JOIN mart_state.user_cohorts c USING (user_id)
LEFT JOIN LATERAL (
    SELECT date_trunc('week', d.signup_date)::date AS cohort_week
    FROM dw.dim_user d
    WHERE d.user_id = q.user_id AND d.signup_date IS NOT NULL
    ORDER BY d.valid_from DESC
    LIMIT 1
) n ON true
WHERE c.cohort_week IS DISTINCT FROM n.cohort_week;

-- @analyze_moves
ANALYZE t_moves;

-- @cohort_sizes
MERGE INTO mart_state.cohort_sizes AS c
USING (
    SELECT week, sum(n) AS n FROM (
        SELECT old_week AS week, -1 AS n FROM t_moves WHERE old_week IS NOT NULL
        UNION ALL
        SELECT new_week, 1 FROM t_moves WHERE new_week IS NOT NULL) m
    GROUP BY week
) d ON c.cohort_week = d.week
WHEN MATCHED AND c.cohort_size + d.n = 0 THEN DELETE
WHEN MATCHED THEN UPDATE SET cohort_size = c.cohort_size + d.n
WHEN NOT MATCHED THEN INSERT VALUES (d.week, d.n);

-- @retention_cells
-- A summary row (user, week) counts once in (the user's cohort, week) when week >= cohort.
-- Users who moved cohort: every summary row they had before this run leaves the old cohort
-- and enters the new one; then, with the cohorts as they are now, the replaced summaries are
-- subtracted and the new ones added.
MERGE INTO mart_state.retention_cells AS r
USING (
    -- The summary per moved user and user_cohorts per user with a replaced summary, by key
    -- (see the top of the file).
    WITH moved_rows AS (
        SELECT s.user_id, s.week_start
        FROM t_moves m
        CROSS JOIN LATERAL (
            SELECT s.user_id, s.week_start FROM dw.fact_user_weekly_summary s
            WHERE s.user_id = m.user_id
            OFFSET 0
        ) s
        WHERE NOT EXISTS (SELECT 1 FROM t_sum_new n WHERE n.user_id = s.user_id AND n.week_start = s.week_start)
        UNION ALL
        SELECT o.user_id, o.week_start FROM t_sum_old o JOIN t_moves m USING (user_id)
    ),
    cohort AS (
        -- The cohort of each user with a replaced summary, as it is after the moves.
        SELECT u.user_id, CASE WHEN m.user_id IS NULL THEN c.cohort_week ELSE m.new_week END AS cohort_week
        FROM (SELECT user_id FROM t_sum_old UNION SELECT user_id FROM t_sum_new) u
        LEFT JOIN t_moves m USING (user_id)
        LEFT JOIN LATERAL (
            SELECT c.cohort_week FROM mart_state.user_cohorts c WHERE c.user_id = u.user_id OFFSET 0
        ) c ON true
    ),
    changes AS (
        SELECT m.old_week AS cohort_week, r.week_start, -1 AS n
        FROM moved_rows r JOIN t_moves m USING (user_id)
        WHERE m.old_week IS NOT NULL AND r.week_start >= m.old_week
        UNION ALL
        SELECT m.new_week, r.week_start, 1
        FROM moved_rows r JOIN t_moves m USING (user_id)
        WHERE m.new_week IS NOT NULL AND r.week_start >= m.new_week
        UNION ALL
        SELECT c.cohort_week, o.week_start, -1
        FROM t_sum_old o JOIN cohort c USING (user_id)
        WHERE o.week_start >= c.cohort_week
        UNION ALL
        SELECT c.cohort_week, n.week_start, 1
        FROM t_sum_new n JOIN cohort c USING (user_id)
        WHERE n.week_start >= c.cohort_week
    )
    SELECT cohort_week, week_start, sum(n) AS n FROM changes GROUP BY 1, 2 HAVING sum(n) <> 0
) d ON r.cohort_week = d.cohort_week AND r.activity_week = d.week_start
WHEN MATCHED AND r.retained + d.n = 0 THEN DELETE
WHEN MATCHED THEN UPDATE SET retained = r.retained + d.n
WHEN NOT MATCHED THEN INSERT VALUES (d.cohort_week, d.week_start, d.n);

-- @user_cohorts_delete
DELETE FROM mart_state.user_cohorts c USING t_moves m WHERE c.user_id = m.user_id;

-- @user_cohorts_insert
INSERT INTO mart_state.user_cohorts SELECT user_id, new_week FROM t_moves WHERE new_week IS NOT NULL;

-- @cohort_queue_done
DELETE FROM mart_state.user_changes u USING t_queue q WHERE u.change_id = q.change_id;

-- @activity_weeks
MERGE INTO mart_state.activity_weeks AS a
USING (
    SELECT week_start, sum(n) AS n FROM (
        SELECT week_start, -1 AS n FROM t_sum_old
        UNION ALL
        SELECT week_start, 1 FROM t_sum_new) c
    GROUP BY week_start HAVING sum(n) <> 0
) d ON a.week_start = d.week_start
WHEN MATCHED AND a.active_users + d.n = 0 THEN DELETE
WHEN MATCHED THEN UPDATE SET active_users = a.active_users + d.n
WHEN NOT MATCHED THEN INSERT VALUES (d.week_start, d.n);

-- @engagement_region
-- Per user, the weeks whose summary was recomputed: only active days inside them changed.
CREATE TEMP TABLE t_region ON COMMIT DROP AS
SELECT user_id, min(week_start) AS first_week, max(week_start) AS last_week,
       array_agg(DISTINCT week_start) AS weeks
FROM t_touched
GROUP BY user_id;

-- @analyze_region
ANALYZE t_region;

-- @engagement_days
-- A user's contribution to DAU/WAU/MAU is a chain over their active days: +1 on each active
-- day a, -1 to WAU at min(a + 7, next active day) and to MAU at min(a + 30, next). Only the
-- links inside the recomputed weeks, and the one from the last active day before them, can
-- change: they are subtracted as they were and added as they are. The first active day after
-- the weeks ends the last link in both versions.
MERGE INTO mart_state.engagement_days AS e
USING (
    WITH current_rows AS (
        -- By key, per user (see the top of the file).
        SELECT s.user_id, s.week_start, s.daily_events
        FROM t_region r
        CROSS JOIN LATERAL (
            SELECT s.user_id, s.week_start, s.daily_events FROM dw.fact_user_weekly_summary s
            WHERE s.user_id = r.user_id AND s.week_start BETWEEN r.first_week AND r.last_week
            OFFSET 0
        ) s
    ),
    versions AS (
        SELECT 1 AS sign, user_id, week_start, daily_events FROM current_rows
        UNION ALL
        SELECT -1, c.user_id, c.week_start, c.daily_events
        FROM current_rows c JOIN t_region r USING (user_id)
        WHERE NOT (c.week_start = ANY (r.weeks))
        UNION ALL
        SELECT -1, user_id, week_start, daily_events FROM t_sum_old
    ),
    edges AS (
        SELECT r.user_id, p.day AS prev_day, n.day AS next_day
        FROM t_region r
        LEFT JOIN LATERAL (
            SELECT s.week_start + (SELECT max(i) FROM generate_subscripts(s.daily_events, 1) AS i
                                   WHERE s.daily_events[i] > 0) - 1 AS day
            FROM dw.fact_user_weekly_summary s
            WHERE s.user_id = r.user_id AND s.week_start < r.first_week
            ORDER BY s.week_start DESC
            LIMIT 1
        ) p ON true
        LEFT JOIN LATERAL (
            SELECT s.week_start + (SELECT min(i) FROM generate_subscripts(s.daily_events, 1) AS i
                                   WHERE s.daily_events[i] > 0) - 1 AS day
            FROM dw.fact_user_weekly_summary s
            WHERE s.user_id = r.user_id AND s.week_start > r.last_week
            ORDER BY s.week_start
            LIMIT 1
        ) n ON true
    ),
    chain AS (
        SELECT v.sign, v.user_id, v.week_start + (i - 1) AS day, 'day' AS kind
        FROM versions v CROSS JOIN LATERAL generate_subscripts(v.daily_events, 1) AS i
        WHERE v.daily_events[i] > 0
        UNION ALL
        SELECT sg.sign, e.user_id, e.prev_day, 'prev' FROM edges e CROSS JOIN (VALUES (1), (-1)) AS sg(sign)
        WHERE e.prev_day IS NOT NULL
        UNION ALL
        SELECT sg.sign, e.user_id, e.next_day, 'next' FROM edges e CROSS JOIN (VALUES (1), (-1)) AS sg(sign)
        WHERE e.next_day IS NOT NULL
    ),
    links AS (
        SELECT sign, day, kind, lead(day) OVER (PARTITION BY sign, user_id ORDER BY day) AS next_day
        FROM chain
    ),
    changes AS (
        SELECT day, CASE WHEN kind = 'day' THEN sign ELSE 0 END AS dau, sign AS wau, sign AS mau
        FROM links WHERE kind <> 'next'
        UNION ALL
        SELECT least(day + 7, coalesce(next_day, day + 7)), 0, -sign, 0 FROM links WHERE kind <> 'next'
        UNION ALL
        SELECT least(day + 30, coalesce(next_day, day + 30)), 0, 0, -sign FROM links WHERE kind <> 'next'
    )
    SELECT day, sum(dau) AS dau, sum(wau) AS wau, sum(mau) AS mau
    FROM changes
    GROUP BY day
    HAVING sum(dau) <> 0 OR sum(wau) <> 0 OR sum(mau) <> 0
) d ON e.day = d.day
WHEN MATCHED AND e.dau + d.dau = 0 AND e.wau_step + d.wau = 0 AND e.mau_step + d.mau = 0 THEN DELETE
WHEN MATCHED THEN UPDATE SET dau = e.dau + d.dau, wau_step = e.wau_step + d.wau, mau_step = e.mau_step + d.mau
WHEN NOT MATCHED THEN INSERT VALUES (d.day, d.dau, d.wau, d.mau);
