-- The latest erasure of each key of the batch: values effective at or before it stay erased.
SELECT e.{log_key}::text, max(e.{log_time})
FROM {log} AS e
WHERE e.{log_key} = ANY($1::text[]::{key_type}[])
GROUP BY e.{log_key}
