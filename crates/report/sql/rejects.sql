-- Rows quarantined in the period's batches, by reason code and stage (load or transform).
SELECT reason, stage, count(*) AS rows
FROM quarantine.rejected_rows
WHERE batch_date BETWEEN $1::date AND $2::date
GROUP BY reason, stage
ORDER BY rows DESC, reason, stage;
