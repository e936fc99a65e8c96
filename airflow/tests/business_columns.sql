-- The business columns of every warehouse table (staging, quarantine, dw; partition parents
-- only), as quoted identifiers. Left out, because they legitimately differ between two runs of
-- the same days: run ids, columns documented as 'Audit column: ...', and timestamptz columns
-- that default to the time of writing (written-at times).
SELECT n.nspname AS schema_name,
       c.relname AS table_name,
       array_agg(quote_ident(a.attname) ORDER BY a.attnum) AS columns
FROM pg_class AS c
JOIN pg_namespace AS n ON n.oid = c.relnamespace
JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_attrdef AS d ON d.adrelid = c.oid AND d.adnum = a.attnum
WHERE n.nspname IN ('staging', 'quarantine', 'dw')
  AND c.relkind IN ('r', 'p', 'm')
  AND NOT c.relispartition
  AND a.attname <> 'run_id'
  AND a.attname NOT LIKE '%\_run\_id'
  AND coalesce(col_description(c.oid, a.attnum), '') NOT LIKE 'Audit column%'
  AND NOT (a.atttypid = 'timestamptz'::regtype
           AND coalesce(pg_get_expr(d.adbin, d.adrelid), '')
               ~ '(now|clock_timestamp|statement_timestamp|transaction_timestamp)\(\)')
GROUP BY n.nspname, c.relname
ORDER BY n.nspname, c.relname;
