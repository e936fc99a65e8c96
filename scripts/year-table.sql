-- The per-step and per-month tables of BENCHMARKS.md's `retention run` years, from the
-- warehouse's own run log (ops.task_runs.duration_ms of the successful runs):
--
--   psql -d WAREHOUSE -f scripts/year-table.sql
--
-- The first day of the warehouse (the bootstrap of the dimensions from the generator's
-- snapshot) is left out of the per-step table and shown apart in the per-month one. A day's
-- cost is the sum of its steps' durations; with `--jobs 2` the next day's load and validate
-- run beside this day's transform, so wall time per day is about scd + transform. When a step
-- ran more than once for a day, its last successful run counts.

\pset footer off
\echo 'per step, per day, without the first day'
WITH runs AS (
    SELECT DISTINCT ON (step, batch_date) step, batch_date, duration_ms
    FROM ops.task_runs
    WHERE status = 'ok' AND batch_date IS NOT NULL
    ORDER BY step, batch_date, run_id DESC
)
SELECT step,
       count(*) AS days,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms)::numeric / 1000, 2) AS median_s,
       round(percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms)::numeric / 1000, 2) AS p95_s,
       round(max(duration_ms)::numeric / 1000, 2) AS max_s,
       round(sum(duration_ms)::numeric / 1000) AS sum_s
FROM runs
WHERE batch_date > (SELECT min(batch_date) FROM runs)
GROUP BY step
ORDER BY array_position(ARRAY['load', 'validate', 'scd', 'transform'], step::text), step;

\echo 'per month (the first day apart)'
WITH runs AS (
    SELECT DISTINCT ON (step, batch_date) step, batch_date, duration_ms, rows_in
    FROM ops.task_runs
    WHERE status = 'ok' AND batch_date IS NOT NULL
    ORDER BY step, batch_date, run_id DESC
),
days AS (
    SELECT batch_date,
           sum(duration_ms) AS cost_ms,
           sum(duration_ms) FILTER (WHERE step = 'scd') AS scd_ms,
           sum(duration_ms) FILTER (WHERE step = 'transform') AS transform_ms,
           sum(rows_in) FILTER (WHERE step = 'load') AS loaded
    FROM runs
    GROUP BY batch_date
)
SELECT CASE WHEN batch_date = (SELECT min(batch_date) FROM days) THEN batch_date::text
            ELSE to_char(batch_date, 'YYYY-MM') END AS month,
       count(*) AS days,
       round(avg(cost_ms) / 1000, 2) AS day_cost_s,
       round(avg(scd_ms) / 1000, 2) AS scd_mean_s,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY scd_ms)::numeric / 1000, 2) AS scd_median_s,
       round(avg(transform_ms) / 1000, 2) AS transform_mean_s,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY transform_ms)::numeric / 1000, 2) AS transform_median_s,
       round(avg(loaded)) AS rows_loaded_a_day
FROM days
GROUP BY 1
ORDER BY 1;
