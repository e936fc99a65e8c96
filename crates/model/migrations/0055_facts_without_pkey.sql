-- dw.fact_user_events loses its primary key (event_id, event_date). It never was the key that
-- mattered: PostgreSQL only accepts it with the partition column, so it could not stop one
-- event_id on two dates, and the warehouse-wide "one fact per event_id" is the primary key of
-- dw.fact_event_ids (0042), which the transform fills with exactly the facts' rows in the same
-- transaction (a second fact for an event_id fails there, and the whole day rolls back). The
-- index cost what a day costs to insert: every event_id lands at a random page of its month's
-- index, 4.5 s instead of 8.3 s for a --scale 210 day's facts insert measured with and without
-- it (BENCHMARKS.md, issue 13). Nothing reads facts by event_id.
ALTER TABLE dw.fact_user_events DROP CONSTRAINT fact_user_events_pkey;
COMMENT ON TABLE dw.fact_user_events IS 'One row per conformed event (event_id unique: the primary key of dw.fact_event_ids, filled in the same transaction), with point-in-time user_sk/product_sk; partitioned by month of event_date; batch_date is the day it arrived.';
