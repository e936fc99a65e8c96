-- The transform step for one batch day ($1): conformance of staging.events into
-- dw.fact_user_events and quarantine, then the weekly summary of every (user, week) the day
-- touches. Run in one transaction, statement by statement (each starts with a `-- @name`
-- line); re-running a day replaces exactly that batch's facts and transform rejects.

-- @no_jit
-- The per-row lateral lookups of the facts insert look expensive to the planner, which then
-- JIT-compiles the statement: measured ~0.9 s of compilation for a 6,000-row day, against
-- ~0.1 s of execution. Nothing here runs long enough to repay JIT.
SET LOCAL jit = off;

-- @work_mem
-- The batch's sorts (the register's insert in index order, the in-batch dedupe) stay in memory:
-- ~300k rows at --scale 210 spill to disk with the default 4MB.
SET LOCAL work_mem = '64MB';

-- @old_facts
-- The batch's previous facts (a re-run): the marts subtract what they contributed.
CREATE TEMP TABLE t_old_facts ON COMMIT DROP AS
SELECT user_id, event_date, event_ts, event_id, session_id, event_type, device, product_id,
       quantity, unit_price, order_id
FROM dw.fact_user_events
WHERE batch_date = $1::date;

-- @touched_before
-- (user, week) pairs the batch's previous facts touched: their summaries must be recomputed
-- even if this run no longer produces those facts.
CREATE TEMP TABLE t_touched ON COMMIT DROP AS
SELECT DISTINCT user_id, date_trunc('week', event_date)::date AS week_start
FROM t_old_facts;

-- @delete_facts
DELETE FROM dw.fact_user_events WHERE batch_date = $1::date;

-- @delete_event_ids
DELETE FROM dw.fact_event_ids WHERE batch_date = $1::date;

-- @delete_rejects
-- Only the events' conformance rejects: the feeds' own (scd) are the scd step's.
DELETE FROM quarantine.rejected_rows WHERE batch_date = $1::date AND stage = 'transform' AND source_file = 'events.csv';

-- @partitions
SELECT dw.ensure_fact_partitions($1::date - 7, $1::date);

-- @calendar
-- The days this batch's facts can fall on, so a day past the calendar `init` made still has
-- its dim_date row (the marts read the calendar). Adds nothing when they exist.
SELECT dw.fill_dim_date($1::date - 7, $1::date);

-- @staged
CREATE TEMP TABLE t_conform ON COMMIT DROP AS
SELECT s.*, dw.normalize_event_type(s.event_type) AS conformed_type,
       NULL::text AS reason, NULL::text AS detail
FROM staging.events s
WHERE s.batch_date = $1::date;

-- @analyze_staged
-- A temporary table has no statistics until analysed: without them the planner would scan
-- the whole event_id register instead of probing it.
ANALYZE t_conform;

-- @rules
-- The conformance rules of sql/transform/rules.sql run here, in their order.

-- @duplicate_of_earlier_batch
-- Strictly earlier batches: this batch's own previous facts were deleted above anyway.
-- One index probe per row (LATERAL ... LIMIT 1, which the planner cannot flatten into a hash
-- join that would read the whole register every day).
UPDATE t_conform t SET reason = 'duplicate_event', detail = format('event_id accepted in batch %s', k.batch_date)
FROM t_conform c
CROSS JOIN LATERAL (
    SELECT r.batch_date FROM dw.fact_event_ids r
    WHERE r.event_id = c.event_id AND r.batch_date < $1::date
    LIMIT 1
) k
WHERE c.reason IS NULL AND t.source_line = c.source_line;

-- @quarantine
INSERT INTO quarantine.rejected_rows (batch_date, stage, source_file, source_line, reason, detail, row_json, user_id)
SELECT $1::date, 'transform', 'events.csv', t.source_line, t.reason, t.detail,
       to_jsonb(t) - 'conformed_type' - 'reason' - 'detail', t.user_id
FROM t_conform t
WHERE t.reason IS NOT NULL;

-- @facts
-- Point in time: the version with the latest valid_from at or before event_ts (the one valid
-- then, or the last closed one after a deletion); before the first version, the first.
INSERT INTO dw.fact_user_events (event_id, event_date, date_key, batch_date, event_ts, user_id, user_sk,
                                 product_id, product_sk, session_id, event_type, page_url, quantity,
                                 unit_price, order_id, device, country, source_line)
SELECT t.event_id, d.event_date, to_char(d.event_date, 'YYYYMMDD')::integer, $1::date, t.event_ts,
       t.user_id, u.user_sk, t.product_id, p.product_sk, t.session_id, t.conformed_type, t.page_url,
       t.quantity, t.unit_price, t.order_id, t.device, t.country, t.source_line
FROM t_conform t
CROSS JOIN LATERAL (SELECT (t.event_ts AT TIME ZONE 'UTC')::date AS event_date) d
CROSS JOIN LATERAL (
    SELECT v.user_sk FROM dw.dim_user v
    WHERE v.user_id = t.user_id AND v.batch_date <= $1::date
    ORDER BY v.valid_from <= t.event_ts DESC,
             CASE WHEN v.valid_from <= t.event_ts THEN v.valid_from END DESC,
             v.valid_from
    LIMIT 1
) u
LEFT JOIN LATERAL (
    SELECT v.product_sk FROM dw.dim_product v
    WHERE v.product_id = t.product_id AND v.batch_date <= $1::date
    ORDER BY v.valid_from <= t.event_ts DESC,
             CASE WHEN v.valid_from <= t.event_ts THEN v.valid_from END DESC,
             v.valid_from
    LIMIT 1
) p ON true
WHERE t.reason IS NULL;

-- @event_ids
INSERT INTO dw.fact_event_ids (event_id, batch_date, event_date)
SELECT event_id, $1::date, (event_ts AT TIME ZONE 'UTC')::date
FROM t_conform
WHERE reason IS NULL
-- In primary-key order: consecutive rows land on the same pages of the register's index
-- instead of all over it (3.3-3.7 s -> 2.7 s at --scale 210, BENCHMARKS.md). Ordering the fact
-- insert the same way did not measurably help (it has three other indexes).
ORDER BY event_id;

-- @touched_after
INSERT INTO t_touched
SELECT DISTINCT user_id, date_trunc('week', (event_ts AT TIME ZONE 'UTC')::date)::date
FROM t_conform
WHERE reason IS NULL;

-- @old_summaries
-- The summaries about to be replaced: the retention and engagement marts subtract them.
CREATE TEMP TABLE t_sum_old ON COMMIT DROP AS
SELECT s.user_id, s.week_start, s.daily_events
FROM dw.fact_user_weekly_summary s
JOIN (SELECT DISTINCT user_id, week_start FROM t_touched) k
  ON s.user_id = k.user_id AND s.week_start = k.week_start;

-- @delete_summaries
DELETE FROM dw.fact_user_weekly_summary s
USING (SELECT DISTINCT user_id, week_start FROM t_touched) k
WHERE s.user_id = k.user_id AND s.week_start = k.week_start;

-- @summaries
-- user_sk: the version of the user's last event of the week, so the row depends on the facts
-- alone and a re-run of any day recomputes it identically.
INSERT INTO dw.fact_user_weekly_summary (user_id, week_start, user_sk, daily_events, total_events,
                                         active_days, purchases, revenue)
SELECT k.user_id, k.week_start,
       (array_agg(f.user_sk ORDER BY f.event_ts DESC, f.event_id DESC))[1],
       ARRAY[count(*) FILTER (WHERE f.event_date = k.week_start),
             count(*) FILTER (WHERE f.event_date = k.week_start + 1),
             count(*) FILTER (WHERE f.event_date = k.week_start + 2),
             count(*) FILTER (WHERE f.event_date = k.week_start + 3),
             count(*) FILTER (WHERE f.event_date = k.week_start + 4),
             count(*) FILTER (WHERE f.event_date = k.week_start + 5),
             count(*) FILTER (WHERE f.event_date = k.week_start + 6)]::integer[],
       count(*),
       count(DISTINCT f.event_date),
       count(*) FILTER (WHERE f.event_type = 'purchase'),
       coalesce(sum(f.quantity * f.unit_price) FILTER (WHERE f.event_type = 'purchase'), 0)
FROM (SELECT DISTINCT user_id, week_start FROM t_touched) k
JOIN dw.fact_user_events f
  ON f.user_id = k.user_id AND f.event_date >= k.week_start AND f.event_date < k.week_start + 7
-- The overall bounds let the executor skip the monthly partitions no touched week reaches.
WHERE f.event_date >= (SELECT min(week_start) FROM t_touched)
  AND f.event_date < (SELECT max(week_start) + 7 FROM t_touched)
GROUP BY k.user_id, k.week_start;

-- @counts
SELECT (SELECT count(*) FROM t_conform)                                        AS staged,
       (SELECT count(*) FROM t_conform WHERE reason IS NULL)                   AS facts,
       (SELECT count(*) FROM (SELECT DISTINCT user_id, week_start FROM t_touched) k) AS weeks,
       coalesce((SELECT jsonb_object_agg(reason, n) FROM (
           SELECT reason, count(*) AS n FROM t_conform WHERE reason IS NOT NULL GROUP BY reason) r), '{}') AS rejected;
