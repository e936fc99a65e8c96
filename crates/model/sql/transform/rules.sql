-- The conformance rules of staged events, run by the transform of one day (day.sql) and by
-- the one-pass rebuild of every day (rebuild.sql) at their `-- @rules` marker, over the
-- temporary table t_conform those files make of the staged rows (with their point-in-time
-- user_sk and product_sk). Each rule's batch day is the
-- row's own batch_date (in day.sql every row's is the day being transformed). In order: the
-- first rule a row fails is its reason; a later rule only looks at rows without one.

-- @unknown_event_type
UPDATE t_conform SET reason = 'unknown_event_type',
       detail = format('event_type %s is not one of the eight canonical types', coalesce(quote_literal(event_type), 'NULL'))
WHERE conformed_type IS NULL;

-- @missing_event_id
UPDATE t_conform SET reason = 'missing_event_id', detail = 'event_id is empty'
WHERE reason IS NULL AND (event_id IS NULL OR event_id = '');

-- @missing_user_id
UPDATE t_conform SET reason = 'missing_user_id', detail = 'user_id is empty'
WHERE reason IS NULL AND user_id IS NULL;

-- @unknown_user
-- user_sk is the point-in-time key @staged looked up among the versions of batches up to the
-- row's own (so a re-run after later days decides alike): NULL when there is no such version.
UPDATE t_conform t SET reason = 'unknown_user', detail = format('user_id %s has no dim_user version', t.user_id)
WHERE t.reason IS NULL AND t.user_sk IS NULL;

-- @unknown_product
UPDATE t_conform t SET reason = 'unknown_product', detail = format('product_id %s has no dim_product version', t.product_id)
WHERE t.reason IS NULL AND t.product_id IS NOT NULL AND t.product_sk IS NULL;

-- @timestamp_out_of_range
UPDATE t_conform SET reason = 'timestamp_out_of_range',
       detail = CASE WHEN event_ts IS NULL THEN 'event_ts is empty'
                     ELSE format('event_ts %s is outside [%s, %s) UTC', event_ts AT TIME ZONE 'UTC', batch_date - 7, batch_date + 1) END
WHERE reason IS NULL
  AND (event_ts IS NULL
       OR event_ts >= (batch_date + 1)::timestamp AT TIME ZONE 'UTC'
       OR event_ts < (batch_date - 7)::timestamp AT TIME ZONE 'UTC');

-- @invalid_purchase
UPDATE t_conform SET reason = 'invalid_purchase',
       detail = format('purchase needs quantity in 1..100 (got %s), unit_price > 0 (got %s) and an order_id (got %s)',
                       coalesce(quantity::text, 'NULL'), coalesce(unit_price::text, 'NULL'), coalesce(quote_literal(order_id), 'NULL'))
WHERE reason IS NULL AND conformed_type = 'purchase'
  AND NOT coalesce(quantity BETWEEN 1 AND 100 AND unit_price > 0 AND order_id <> '', false);

-- @duplicate_in_batch
-- The event_ids seen more than once (a hashed count, no sort of the batch), then their rows
-- other than the first.
UPDATE t_conform t SET reason = 'duplicate_event', detail = format('event_id already on line %s of this batch', d.first_line)
FROM (
    SELECT batch_date, event_id, min(source_line) AS first_line
    FROM t_conform WHERE reason IS NULL
    GROUP BY batch_date, event_id
    HAVING count(*) > 1
) d
WHERE t.reason IS NULL AND t.batch_date = d.batch_date AND t.event_id = d.event_id
  AND t.source_line <> d.first_line;
