-- Retention cohorts that signed up in the period, for the weeks up to the period's end.
SELECT cohort_week, week_offset, cohort_size, retained, retention_rate
FROM marts.retention_cohorts
WHERE cohort_week BETWEEN date_trunc('week', $1::date)::date AND $2::date
  AND activity_week <= $2::date
ORDER BY cohort_week, week_offset;
