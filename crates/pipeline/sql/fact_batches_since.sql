-- After a dimension rebuild: the batches whose facts were keyed by point in time at or after
-- the first changed instant, and so must be transformed again to be re-keyed.
SELECT DISTINCT f.batch_date
FROM dw.fact_user_events AS f
WHERE f.event_date >= ($1::timestamptz AT TIME ZONE 'UTC')::date
  AND f.event_ts >= $1
ORDER BY 1
