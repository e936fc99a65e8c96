-- Each day's latest successful run of every step that records itself (generate touches no
-- database): its duration and rows in, out and rejected.
SELECT DISTINCT ON (batch_date, step)
       batch_date, step, coalesce(duration_ms, 0) AS duration_ms,
       coalesce(rows_in, 0) AS rows_in, coalesce(rows_out, 0) AS rows_out,
       coalesce(rows_rejected, 0) AS rows_rejected
FROM ops.task_runs
WHERE batch_date BETWEEN $1::date AND $2::date
  AND status = 'ok'
  AND step IN ('load', 'validate', 'scd', 'transform')
ORDER BY batch_date, step, run_id DESC;
