-- Whether a table the erasures probe by key ($1) has never been analysed and this role may
-- analyse it (owner or member of the owner's role). Without statistics the planner takes
-- each deleted key to match thousands of rows and reads the whole table instead of probing
-- its index: 0.68 s of one scd for quarantine.rejected_rows after 29 days at --scale 210,
-- more every day (BENCHMARKS.md, issue 13). One ANALYZE gives it the key's distinct values;
-- the row count it then scales by the table's size. Partitioned tables keep no row count of
-- their own (reltuples stays -1): their partitions are analysed by whoever loads them.
SELECT c.reltuples < 0 AND c.relkind = 'r' AND pg_has_role(c.relowner, 'USAGE')
FROM pg_class AS c
WHERE c.oid = $1::text::regclass
