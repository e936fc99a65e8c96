-- Whether a table the erasures probe by key ($1, key column $2) has no planner statistics on
-- that column and this role may analyse it (owner or member of the owner's role). Without
-- them the planner takes each deleted key to match thousands of rows and reads the whole
-- table instead of probing its index: 0.68 s of one scd for quarantine.rejected_rows after 29
-- days at --scale 210, more every day (BENCHMARKS.md, issue 13). One ANALYZE gives it the
-- key's distinct values; the row count it then scales by the table's size. Asked of the
-- column's statistics, not of pg_class.reltuples, which ANALYZE sets even when its
-- transaction rolls back. Partitioned tables are left to whoever loads their partitions.
SELECT c.relkind = 'r' AND pg_has_role(c.relowner, 'USAGE')
       AND NOT EXISTS (SELECT 1 FROM pg_stats AS s
                       WHERE s.schemaname = n.nspname AND s.tablename = c.relname AND s.attname = $2)
FROM pg_class AS c
JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE c.oid = $1::text::regclass
