-- `retention rebuild`: the facts, the event_id register, the transform's rejects of events,
-- the weekly summary and the marts' state recomputed from staging in one pass, for every
-- batch the transform has run. The same rules as day.sql, over all batches at
-- once: each rule's batch day is the row's own batch_date, and a duplicate of an earlier
-- batch is a duplicate of the earliest batch that accepted the event. After days transformed
-- in date order, re-runs included, the result equals what the transform kept incrementally
-- (tested). It reflects staging and the dimensions as they are now. Run in one transaction,
-- statement by statement.

-- @no_jit
SET LOCAL jit = off;

-- @work_mem
SET LOCAL work_mem = '256MB';

-- @batches
-- The batches the transform has run: those with facts or conformance rejects (a library
-- caller's run_day records no task run), and those with a successful transform run.
CREATE TEMP TABLE t_batches ON COMMIT DROP AS
SELECT batch_date FROM dw.fact_event_ids
UNION
SELECT batch_date FROM quarantine.rejected_rows WHERE stage = 'transform' AND source_file = 'events.csv'
UNION
SELECT batch_date FROM ops.task_runs
WHERE step = 'transform' AND status = 'ok' AND batch_date IS NOT NULL;

-- @facts_before
-- What is replaced, for the report.
CREATE TEMP TABLE t_before ON COMMIT DROP AS
SELECT (SELECT count(*) FROM dw.fact_user_events) AS facts,
       (SELECT count(*) FROM dw.fact_user_weekly_summary) AS weeks;

-- @truncate
TRUNCATE dw.fact_user_events, dw.fact_event_ids, dw.fact_user_weekly_summary;

-- @delete_rejects
DELETE FROM quarantine.rejected_rows WHERE stage = 'transform' AND source_file = 'events.csv';

-- @partitions
SELECT dw.ensure_fact_partitions(min(batch_date) - 7, max(batch_date)) FROM t_batches HAVING count(*) > 0;

-- @calendar
SELECT dw.fill_dim_date(min(batch_date) - 7, max(batch_date)) FROM t_batches HAVING count(*) > 0;

-- @staged
-- The surrogate keys valid at the event time are looked up here, once per row: the facts take
-- them, and rules 4 and 5 (unknown_user, unknown_product) are the rows that found none, which
-- spares those rules a probe of their own (BENCHMARKS.md, issue 13). Point in time: among the
-- versions of batches up to the row's own, the one with the latest valid_from at or before
-- event_ts (the one valid then, or the last closed one after a deletion); before the first
-- version, the first.
CREATE TEMP TABLE t_conform ON COMMIT DROP AS
SELECT s.*, dw.normalize_event_type(s.event_type) AS conformed_type,
       u.user_sk, p.product_sk,
       NULL::text AS reason, NULL::text AS detail
FROM staging.events s
LEFT JOIN LATERAL (
    SELECT v.user_sk FROM dw.dim_user v
    WHERE v.user_id = s.user_id AND v.batch_date <= s.batch_date
    ORDER BY v.valid_from <= s.event_ts DESC,
             CASE WHEN v.valid_from <= s.event_ts THEN v.valid_from END DESC,
             v.valid_from
    LIMIT 1
) u ON true
LEFT JOIN LATERAL (
    SELECT v.product_sk FROM dw.dim_product v
    WHERE v.product_id = s.product_id AND v.batch_date <= s.batch_date
    ORDER BY v.valid_from <= s.event_ts DESC,
             CASE WHEN v.valid_from <= s.event_ts THEN v.valid_from END DESC,
             v.valid_from
    LIMIT 1
) p ON true
WHERE s.batch_date IN (SELECT batch_date FROM t_batches);

-- @analyze_staged
ANALYZE t_conform;

-- @rules
-- The conformance rules of sql/transform/rules.sql run here, in their order.

-- @duplicate_of_earlier_batch
-- What is left is at most one row per (batch, event_id): the earliest batch accepts it, and
-- every later batch's row is a duplicate of that one.
UPDATE t_conform t SET reason = 'duplicate_event', detail = format('event_id accepted in batch %s', d.first_batch)
FROM (
    SELECT batch_date, source_line,
           min(batch_date) OVER (PARTITION BY event_id) AS first_batch
    FROM t_conform WHERE reason IS NULL
) d
WHERE t.batch_date = d.batch_date AND t.source_line = d.source_line AND d.batch_date <> d.first_batch;

-- @quarantine
INSERT INTO quarantine.rejected_rows (batch_date, stage, source_file, source_line, reason, detail, row_json, user_id)
SELECT t.batch_date, 'transform', 'events.csv', t.source_line, t.reason, t.detail,
       to_jsonb(t) - 'conformed_type' - 'user_sk' - 'product_sk' - 'reason' - 'detail', t.user_id
FROM t_conform t
WHERE t.reason IS NOT NULL;

-- @facts
-- With the point-in-time keys @staged looked up.
INSERT INTO dw.fact_user_events (event_id, event_date, date_key, batch_date, event_ts, user_id, user_sk,
                                 product_id, product_sk, session_id, event_type, page_url, quantity,
                                 unit_price, order_id, device, country, source_line)
SELECT t.event_id, d.event_date, to_char(d.event_date, 'YYYYMMDD')::integer, t.batch_date, t.event_ts,
       t.user_id, t.user_sk, t.product_id, t.product_sk, t.session_id, t.conformed_type, t.page_url,
       t.quantity, t.unit_price, t.order_id, t.device, t.country, t.source_line
FROM t_conform t
CROSS JOIN LATERAL (SELECT (t.event_ts AT TIME ZONE 'UTC')::date AS event_date) d
WHERE t.reason IS NULL
ORDER BY d.event_date, t.event_id;

-- @event_ids
INSERT INTO dw.fact_event_ids (event_id, batch_date, event_date)
SELECT event_id, batch_date, (event_ts AT TIME ZONE 'UTC')::date
FROM t_conform
WHERE reason IS NULL
ORDER BY event_id;

-- @summaries
-- As day.sql's recomputation, for every (user, week) with a fact.
INSERT INTO dw.fact_user_weekly_summary (user_id, week_start, user_sk, daily_events, total_events,
                                         active_days, purchases, revenue, last_event_ts, last_event_id)
SELECT f.user_id, w.week_start,
       (array_agg(f.user_sk ORDER BY f.event_ts DESC, f.event_id DESC))[1],
       ARRAY[count(*) FILTER (WHERE f.event_date = w.week_start),
             count(*) FILTER (WHERE f.event_date = w.week_start + 1),
             count(*) FILTER (WHERE f.event_date = w.week_start + 2),
             count(*) FILTER (WHERE f.event_date = w.week_start + 3),
             count(*) FILTER (WHERE f.event_date = w.week_start + 4),
             count(*) FILTER (WHERE f.event_date = w.week_start + 5),
             count(*) FILTER (WHERE f.event_date = w.week_start + 6)]::integer[],
       count(*),
       count(DISTINCT f.event_date),
       count(*) FILTER (WHERE f.event_type = 'purchase'),
       coalesce(sum(f.quantity * f.unit_price) FILTER (WHERE f.event_type = 'purchase'), 0),
       max(f.event_ts),
       (array_agg(f.event_id ORDER BY f.event_ts DESC, f.event_id DESC))[1]
FROM dw.fact_user_events f
CROSS JOIN LATERAL (SELECT date_trunc('week', f.event_date)::date AS week_start) w
GROUP BY f.user_id, w.week_start;

-- @marts
SELECT mart_state.rebuild();

-- @forget_counts
-- The tables only the transform writes were rewritten here: the next measurement counts them.
DELETE FROM ops.table_row_counts
WHERE table_name IN ('dw.fact_user_events', 'dw.fact_event_ids', 'dw.fact_user_weekly_summary');

-- @counts
SELECT (SELECT count(*) FROM t_batches)                                  AS batches,
       (SELECT count(*) FROM t_conform)                                  AS staged,
       (SELECT count(*) FROM t_conform WHERE reason IS NULL)             AS facts,
       (SELECT count(*) FROM dw.fact_user_weekly_summary)                AS weeks,
       (SELECT facts FROM t_before)                                      AS facts_before,
       (SELECT weeks FROM t_before)                                      AS weeks_before,
       coalesce((SELECT jsonb_object_agg(reason, n) FROM (
           SELECT reason, count(*) AS n FROM t_conform WHERE reason IS NOT NULL GROUP BY reason) r), '{}') AS rejected;
