-- The columns of one table (schema and name bound as parameters), with the base type name
-- the compiler maps to a comparison type. No row when the table does not exist.
SELECT a.attname::text                            AS column_name,
       t.typname::text                            AS type_name,
       format_type(a.atttypid, a.atttypmod)       AS declared_type
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c      ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n  ON n.oid = c.relnamespace
JOIN pg_catalog.pg_type t       ON t.oid = a.atttypid
WHERE n.nspname = $1
  AND c.relname = $2
  AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND a.attnum > 0
  AND NOT a.attisdropped
ORDER BY a.attnum
