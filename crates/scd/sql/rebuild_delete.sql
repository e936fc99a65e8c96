-- Remove the versions created from the rebuild day on.
WITH gone AS (DELETE FROM {target} WHERE batch_date >= $1 RETURNING valid_from)
SELECT count(*), min(valid_from) FROM gone
