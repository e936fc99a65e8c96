-- The register of accepted event_ids: the warehouse-wide unique key that PostgreSQL cannot
-- declare on the partitioned dw.fact_user_events (whose key must include event_date). The
-- transform checks "accepted in an earlier batch" with one index probe here instead of one
-- per monthly partition, and keeps it in step with the facts (replaced per batch).
CREATE TABLE dw.fact_event_ids (
    event_id   text COLLATE "C" PRIMARY KEY,
    batch_date date NOT NULL,
    event_date date NOT NULL
);
CREATE INDEX fact_event_ids_batch_idx ON dw.fact_event_ids (batch_date);
COMMENT ON TABLE dw.fact_event_ids IS 'Every event_id in dw.fact_user_events with the batch that accepted it: enforces one fact per event_id across partitions and serves the duplicate_event check.';

INSERT INTO dw.fact_event_ids (event_id, batch_date, event_date)
SELECT event_id, batch_date, event_date FROM dw.fact_user_events;
