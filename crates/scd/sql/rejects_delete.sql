-- A re-merged batch replaces the rejects it quarantined before (only its own reason codes).
DELETE FROM {rejects}
WHERE batch_date = $1 AND stage = $2 AND source_file = $3 AND reason IN ({missing_key}, {missing_time})
