-- The failing expectations of the latest validation of one day (%(day)s): the rows the quality
-- gate wrote for its most recent run. A failed validate task pushes no XCom, so the alert
-- reads them here. Rows of one run share run_id; rows without one are grouped by time.
WITH latest AS (
    SELECT run_id, validated_at
    FROM ops.validation_results
    WHERE batch_date = %(day)s
    ORDER BY validated_at DESC, result_id DESC
    LIMIT 1
)
SELECT r.suite,
       r.table_name,
       r.expectation_type,
       r.column_name,
       r.kwargs::text AS kwargs,
       r.severity,
       r.unexpected_count,
       r.unexpected_percent,
       r.observed_value::text AS observed_value
FROM ops.validation_results AS r
CROSS JOIN latest
WHERE r.batch_date = %(day)s
  AND NOT r.success
  AND (r.run_id = latest.run_id OR (latest.run_id IS NULL AND r.validated_at = latest.validated_at))
ORDER BY r.severity = 'critical' DESC, r.suite, r.table_name, r.expectation_type, r.column_name NULLS FIRST;
