-- The weekly summary keeps the (event_ts, event_id) of the user's last fact of the week: with
-- it, the transform adds a batch's new facts to a (user, week) summary instead of reading all
-- of that week's facts again (which cost ~2.6 s a day at --scale 210 and grew with the
-- warehouse; BENCHMARKS.md, issue 13). user_sk is the version of that last event, so a new
-- fact later in the week replaces it. Filled here from the facts, once (one sorted pass over
-- all facts: 7.5 s for 2.75 M facts at --scale 210); every summary row has at least one fact.
ALTER TABLE dw.fact_user_weekly_summary
    ADD COLUMN last_event_ts timestamptz,
    ADD COLUMN last_event_id text COLLATE "C";

UPDATE dw.fact_user_weekly_summary s
SET last_event_ts = l.event_ts, last_event_id = l.event_id
FROM (
    SELECT DISTINCT ON (f.user_id, w.week_start) f.user_id, w.week_start, f.event_ts, f.event_id
    FROM dw.fact_user_events f
    CROSS JOIN LATERAL (SELECT date_trunc('week', f.event_date)::date AS week_start) w
    ORDER BY f.user_id, w.week_start, f.event_ts DESC, f.event_id DESC
) l
WHERE s.user_id = l.user_id AND s.week_start = l.week_start;

ALTER TABLE dw.fact_user_weekly_summary
    ALTER COLUMN last_event_ts SET NOT NULL,
    ALTER COLUMN last_event_id SET NOT NULL;

COMMENT ON COLUMN dw.fact_user_weekly_summary.last_event_ts IS 'event_ts of the user''s last fact of the week (by event_ts, then event_id): the event whose version user_sk is.';
COMMENT ON COLUMN dw.fact_user_weekly_summary.last_event_id IS 'event_id of that last fact.';
COMMENT ON TABLE dw.fact_user_weekly_summary IS 'Per user and ISO week: daily_events is the count of fact events on each day Monday..Sunday, plus totals; a batch adds its new facts to the (user, week) rows they touch, and a re-run recomputes the rows its previous facts touched.';
