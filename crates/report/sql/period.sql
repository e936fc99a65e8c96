-- The dates the warehouse holds: the first and last day of marts.engagement_daily (it spans
-- the first to the last day with facts, and reads a small state table), else (a warehouse
-- whose steps ran but made no facts yet) the first and last batch day of the run log.
WITH facts AS (
    SELECT min(event_date) AS first_day, max(event_date) AS last_day FROM marts.engagement_daily
),
runs AS (
    SELECT min(batch_date) AS first_day, max(batch_date) AS last_day
    FROM ops.task_runs
    WHERE batch_date IS NOT NULL
)
SELECT coalesce(facts.first_day, runs.first_day) AS first_day,
       coalesce(facts.last_day, runs.last_day)   AS last_day
FROM facts, runs;
