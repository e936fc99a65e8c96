-- The partitions of staging.<$1> that hold batch $2 (normally one, <table>_YYYYMMDD), as
-- quoted, schema-qualified names.
SELECT c.oid::regclass::text
FROM pg_inherits i
JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = format('staging.%I', $1::text)::regclass
  AND pg_get_expr(c.relpartbound, c.oid) = format('FOR VALUES IN (%L)', $2::date::text)
