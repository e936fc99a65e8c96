-- The transform step for one batch day ($1): conformance of staging.events into
-- dw.fact_user_events and quarantine, then the weekly summary of every (user, week) the day
-- touches (added to; recomputed where a re-run's previous facts were). Run in one transaction, statement by statement (each starts with a `-- @name`
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
-- The batch's previous facts (a re-run): the marts subtract what they contributed. The same
-- columns, in the same order, as t_new_facts.
CREATE TEMP TABLE t_old_facts ON COMMIT DROP AS
SELECT user_id, event_date, event_ts, event_id, session_id, event_type, device, product_id,
       quantity, unit_price, order_id, user_sk
FROM dw.fact_user_events
WHERE batch_date = $1::date
  -- The facts' CHECK keeps a batch's events within its last eight days: bounded so, the
  -- statement is planned on the one or two monthly partitions they can lie in, not on every
  -- partition (12 ms of planning for 37 at the end of a default year; BENCHMARKS.md, issue 13).
  AND event_date BETWEEN $1::date - 7 AND $1::date;

-- @touched_before
-- (user, week) pairs the batch's previous facts touched (rerun): their summaries are
-- recomputed from the facts, even if this run no longer produces those facts.
CREATE TEMP TABLE t_touched ON COMMIT DROP AS
SELECT DISTINCT user_id, date_trunc('week', event_date)::date AS week_start, true AS rerun
FROM t_old_facts;

-- @delete_facts
-- Bounded as @old_facts is.
DELETE FROM dw.fact_user_events WHERE batch_date = $1::date AND event_date BETWEEN $1::date - 7 AND $1::date;

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
-- The surrogate keys valid at the event time: the facts take them, and rules 4 and 5
-- (unknown_user, unknown_product) are the rows that found none, which spares those rules a
-- probe of their own. Point in time: among the versions of batches up to this one, the one with
-- the latest valid_from at or before event_ts (the one valid then, or the last closed one after
-- a deletion); before the first version, or without an event_ts, the first.
-- Set-based (BENCHMARKS.md, issue 13): the versions of the batch's distinct users and products
-- are read once each (one index probe per key, not per event; the LATERAL with a window
-- keeps the planner from scanning the whole dimension instead), each with the span of event
-- times it answers for, [its valid_from, the next version's), the first's open below and the
-- last's open above; each event then finds its one version by a hash join. rebuild.sql looks
-- the same keys up row by row, so `retention rebuild` checks this against the other way.
CREATE TEMP TABLE t_conform ON COMMIT DROP AS
WITH user_versions AS (
    SELECT k.user_id, v.user_sk, v.span_from, v.span_to
    FROM (SELECT DISTINCT user_id FROM staging.events WHERE batch_date = $1::date AND user_id IS NOT NULL) k
    CROSS JOIN LATERAL (
        SELECT d.user_sk,
               CASE WHEN row_number() OVER w > 1 THEN d.valid_from END AS span_from,
               lead(d.valid_from) OVER w AS span_to
        FROM dw.dim_user d
        WHERE d.user_id = k.user_id AND d.batch_date <= $1::date
        WINDOW w AS (ORDER BY d.valid_from)
    ) v
),
product_versions AS (
    SELECT k.product_id, v.product_sk, v.span_from, v.span_to
    FROM (SELECT DISTINCT product_id FROM staging.events WHERE batch_date = $1::date AND product_id IS NOT NULL) k
    CROSS JOIN LATERAL (
        SELECT d.product_sk,
               CASE WHEN row_number() OVER w > 1 THEN d.valid_from END AS span_from,
               lead(d.valid_from) OVER w AS span_to
        FROM dw.dim_product d
        WHERE d.product_id = k.product_id AND d.batch_date <= $1::date
        WINDOW w AS (ORDER BY d.valid_from)
    ) v
)
SELECT s.*, dw.normalize_event_type(s.event_type) AS conformed_type,
       u.user_sk, p.product_sk,
       NULL::text AS reason, NULL::text AS detail
FROM staging.events s
LEFT JOIN user_versions u
       ON u.user_id = s.user_id
      AND CASE WHEN s.event_ts IS NULL THEN u.span_from IS NULL
               ELSE (u.span_from IS NULL OR s.event_ts >= u.span_from)
                AND (u.span_to IS NULL OR s.event_ts < u.span_to) END
LEFT JOIN product_versions p
       ON p.product_id = s.product_id
      AND CASE WHEN s.event_ts IS NULL THEN p.span_from IS NULL
               ELSE (p.span_from IS NULL OR s.event_ts >= p.span_from)
                AND (p.span_to IS NULL OR s.event_ts < p.span_to) END
WHERE s.batch_date = $1::date;

-- @analyze_staged
-- A temporary table has no statistics until analysed: without them the planner would scan
-- the whole event_id register instead of probing it. Only the columns the later statements
-- join, group or filter t_conform by in a way a plan depends on (the rules' UPDATEs scan it
-- whole anyway): at --scale 210 that took the ANALYZE from 0.19-0.27 s to 0.07-0.10 s, no
-- other statement measurably slower (BENCHMARKS.md, issue 13).
ANALYZE t_conform (batch_date, event_id, source_line, reason);

-- @rules
-- The conformance rules of sql/transform/rules.sql run here, in their order.

-- @held
-- The rows whose event_id the register already holds, with the batch that accepted it: one
-- probe of its hash index (0060) per row, as a scalar subquery (which the planner cannot
-- flatten into a hash join that would read the whole register every day). In no particular
-- order: a hash index puts a key in the bucket of its hash, so sorting by event_id (which made
-- consecutive probes read the same pages of the B-tree key before 0060) only costs the sort.
-- Not a LATERAL join either: the planner put a Memoize node over its probe, a cache that
-- cannot hit (the batch's event_ids are distinct by now: 250,024 misses, 24 MB). Both changes
-- took the statement from 1.6-1.8 s to 1.1 s under EXPLAIN ANALYZE on a --scale 210 day
-- (BENCHMARKS.md, issue 13). OFFSET 0 keeps the subquery from being evaluated again for the
-- outer WHERE. The batch's own previous event_ids were deleted above, and duplicates within
-- the batch are already rejected. (Inserting into the register with ON CONFLICT DO NOTHING
-- and taking the rows it skipped was measured slower: BENCHMARKS.md, issue 13.)
CREATE TEMP TABLE t_held ON COMMIT DROP AS
SELECT h.source_line, h.event_id, h.batch_date
FROM (SELECT c.source_line, c.event_id,
             (SELECT r.batch_date FROM dw.fact_event_ids r WHERE r.event_id = c.event_id LIMIT 1) AS batch_date
      FROM t_conform c
      WHERE c.reason IS NULL
      OFFSET 0) h
WHERE h.batch_date IS NOT NULL;

-- @later_batch_conflict
-- An event_id a later batch accepted: only a re-run whose staging changed after later days
-- were transformed. The transform stops with a clear error (the day rolls back); the rows
-- cannot be rejected as duplicates of a batch they precede.
SELECT event_id, batch_date FROM t_held WHERE batch_date > $1::date ORDER BY event_id LIMIT 1;

-- @duplicate_of_earlier_batch
-- Strictly earlier batches: this batch's own previous facts were deleted above.
UPDATE t_conform t SET reason = 'duplicate_event', detail = format('event_id accepted in batch %s', h.batch_date)
FROM t_held h
WHERE t.source_line = h.source_line AND t.reason IS NULL AND h.batch_date < $1::date;

-- @quarantine
INSERT INTO quarantine.rejected_rows (batch_date, stage, source_file, source_line, reason, detail, row_json, user_id)
SELECT $1::date, 'transform', 'events.csv', t.source_line, t.reason, t.detail,
       to_jsonb(t) - 'conformed_type' - 'user_sk' - 'product_sk' - 'reason' - 'detail', t.user_id
FROM t_conform t
WHERE t.reason IS NOT NULL;

-- @facts
-- With the point-in-time keys @staged looked up. What was inserted is kept as t_new_facts
-- for the weekly summary and the marts, so nothing reads the facts back.
CREATE TEMP TABLE t_new_facts ON COMMIT DROP AS
WITH inserted AS (
    INSERT INTO dw.fact_user_events (event_id, event_date, date_key, batch_date, event_ts, user_id, user_sk,
                                     product_id, product_sk, session_id, event_type, page_url, quantity,
                                     unit_price, order_id, device, country, source_line)
    SELECT t.event_id, d.event_date, to_char(d.event_date, 'YYYYMMDD')::integer, $1::date, t.event_ts,
           t.user_id, t.user_sk, t.product_id, t.product_sk, t.session_id, t.conformed_type, t.page_url,
           t.quantity, t.unit_price, t.order_id, t.device, t.country, t.source_line
    FROM t_conform t
    CROSS JOIN LATERAL (SELECT (t.event_ts AT TIME ZONE 'UTC')::date AS event_date) d
    WHERE t.reason IS NULL
    RETURNING user_id, event_date, event_ts, event_id, session_id, event_type, device, product_id,
              quantity, unit_price, order_id, user_sk
)
SELECT * FROM inserted;

-- @event_ids
INSERT INTO dw.fact_event_ids (event_id, batch_date, event_date)
SELECT event_id, $1::date, (event_ts AT TIME ZONE 'UTC')::date
FROM t_conform
-- Unsorted: the event_id order that spared the B-tree key before 0060 random page writes
-- (3.3-3.7 s -> 2.7 s at --scale 210) means nothing to the hash index's buckets.
WHERE reason IS NULL;

-- @touched_after
INSERT INTO t_touched
SELECT DISTINCT user_id, date_trunc('week', event_date)::date, false
FROM t_new_facts;

-- @old_summaries
-- The summaries about to change: the retention and engagement marts subtract them.
CREATE TEMP TABLE t_sum_old ON COMMIT DROP AS
SELECT s.user_id, s.week_start, s.daily_events
FROM dw.fact_user_weekly_summary s
JOIN (SELECT DISTINCT user_id, week_start FROM t_touched) k
  ON s.user_id = k.user_id AND s.week_start = k.week_start;

-- @delete_summaries
-- Only the pairs a re-run's previous facts touched (recomputed below); the others are added to.
DELETE FROM dw.fact_user_weekly_summary s
USING (SELECT DISTINCT user_id, week_start FROM t_touched WHERE rerun) k
WHERE s.user_id = k.user_id AND s.week_start = k.week_start;

-- @summaries
-- One aggregation for every touched (user, week). The weeks a re-run's previous facts touched
-- were deleted above and are recomputed from all their facts; the others get only this
-- batch's new facts, added to the row as it was (when there is one) without reading the
-- week's other facts. Every measure adds up; active_days counts the days with events; user_sk
-- is the version of the user's last event of the week (by event_ts, then event_id), so the
-- row depends on the facts alone, and it moves with the last event when a new fact comes
-- later in the week. Equal to a recomputation from the facts (rebuild.sql; tested).
INSERT INTO dw.fact_user_weekly_summary AS s (user_id, week_start, user_sk, daily_events, total_events,
                                              active_days, purchases, revenue, last_event_ts, last_event_id)
SELECT f.user_id, f.week_start,
       (array_agg(f.user_sk ORDER BY f.event_ts DESC, f.event_id DESC))[1],
       ARRAY[count(*) FILTER (WHERE f.event_date = f.week_start),
             count(*) FILTER (WHERE f.event_date = f.week_start + 1),
             count(*) FILTER (WHERE f.event_date = f.week_start + 2),
             count(*) FILTER (WHERE f.event_date = f.week_start + 3),
             count(*) FILTER (WHERE f.event_date = f.week_start + 4),
             count(*) FILTER (WHERE f.event_date = f.week_start + 5),
             count(*) FILTER (WHERE f.event_date = f.week_start + 6)]::integer[],
       count(*),
       count(DISTINCT f.event_date),
       count(*) FILTER (WHERE f.event_type = 'purchase'),
       coalesce(sum(f.quantity * f.unit_price) FILTER (WHERE f.event_type = 'purchase'), 0),
       max(f.event_ts),
       (array_agg(f.event_id ORDER BY f.event_ts DESC, f.event_id DESC))[1]
FROM (
    SELECT f.user_id, k.week_start, f.event_date, f.event_ts, f.event_id, f.user_sk, f.event_type,
           f.quantity, f.unit_price
    FROM (SELECT DISTINCT user_id, week_start FROM t_touched WHERE rerun) k
    JOIN dw.fact_user_events f
      ON f.user_id = k.user_id AND f.event_date >= k.week_start AND f.event_date < k.week_start + 7
    -- The overall bounds let the executor skip the monthly partitions no re-run week reaches.
    WHERE f.event_date >= (SELECT min(week_start) FROM t_touched WHERE rerun)
      AND f.event_date < (SELECT max(week_start) + 7 FROM t_touched WHERE rerun)
    UNION ALL
    SELECT n.user_id, w.week_start, n.event_date, n.event_ts, n.event_id, n.user_sk, n.event_type,
           n.quantity, n.unit_price
    FROM t_new_facts n
    CROSS JOIN LATERAL (SELECT date_trunc('week', n.event_date)::date AS week_start) w
    WHERE NOT EXISTS (SELECT 1 FROM t_touched r
                      WHERE r.rerun AND r.user_id = n.user_id AND r.week_start = w.week_start)
) f
GROUP BY f.user_id, f.week_start
ON CONFLICT (user_id, week_start) DO UPDATE SET
    daily_events = ARRAY[s.daily_events[1] + excluded.daily_events[1],
                         s.daily_events[2] + excluded.daily_events[2],
                         s.daily_events[3] + excluded.daily_events[3],
                         s.daily_events[4] + excluded.daily_events[4],
                         s.daily_events[5] + excluded.daily_events[5],
                         s.daily_events[6] + excluded.daily_events[6],
                         s.daily_events[7] + excluded.daily_events[7]],
    total_events = s.total_events + excluded.total_events,
    active_days = (s.daily_events[1] + excluded.daily_events[1] > 0)::integer
                + (s.daily_events[2] + excluded.daily_events[2] > 0)::integer
                + (s.daily_events[3] + excluded.daily_events[3] > 0)::integer
                + (s.daily_events[4] + excluded.daily_events[4] > 0)::integer
                + (s.daily_events[5] + excluded.daily_events[5] > 0)::integer
                + (s.daily_events[6] + excluded.daily_events[6] > 0)::integer
                + (s.daily_events[7] + excluded.daily_events[7] > 0)::integer,
    purchases = s.purchases + excluded.purchases,
    revenue = s.revenue + excluded.revenue,
    user_sk = CASE WHEN (excluded.last_event_ts, excluded.last_event_id) > (s.last_event_ts, s.last_event_id)
                   THEN excluded.user_sk ELSE s.user_sk END,
    last_event_id = CASE WHEN (excluded.last_event_ts, excluded.last_event_id) > (s.last_event_ts, s.last_event_id)
                         THEN excluded.last_event_id ELSE s.last_event_id END,
    last_event_ts = greatest(s.last_event_ts, excluded.last_event_ts),
    updated_at = now();

-- @summaries_kept
-- The rows @summaries updated rather than inserted (they had a summary before): the
-- table statistics count them back out of its row count.
SELECT 1 FROM t_sum_old o
WHERE NOT EXISTS (SELECT 1 FROM t_touched r
                  WHERE r.rerun AND r.user_id = o.user_id AND r.week_start = o.week_start);

-- @counts
SELECT (SELECT count(*) FROM t_conform)                                        AS staged,
       (SELECT count(*) FROM t_conform WHERE reason IS NULL)                   AS facts,
       (SELECT count(*) FROM (SELECT DISTINCT user_id, week_start FROM t_touched) k) AS weeks,
       coalesce((SELECT jsonb_object_agg(reason, n) FROM (
           SELECT reason, count(*) AS n FROM t_conform WHERE reason IS NOT NULL GROUP BY reason) r), '{}') AS rejected;
