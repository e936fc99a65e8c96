-- Failed expectations per batch day and severity, from each day's latest validation run
-- (a re-validated day counts once), with the number of expectations evaluated.
WITH latest AS (
    SELECT batch_date, max(run_id) AS run_id
    FROM ops.validation_results
    WHERE batch_date BETWEEN $1::date AND $2::date
    GROUP BY batch_date
)
SELECT v.batch_date,
       count(*) FILTER (WHERE NOT v.success AND v.severity = 'critical') AS critical,
       count(*) FILTER (WHERE NOT v.success AND v.severity = 'warning')  AS warning,
       count(*) FILTER (WHERE NOT v.success AND v.severity = 'info')     AS info,
       count(*)                                                          AS evaluated
FROM ops.validation_results v
JOIN latest l ON l.batch_date = v.batch_date AND l.run_id IS NOT DISTINCT FROM v.run_id
GROUP BY v.batch_date
ORDER BY v.batch_date;
