-- Whether the dimension's planner statistics should be refreshed after a merge that wrote $1
-- rows: never analysed (reltuples < 0), or the merge changed more than a tenth of it — and
-- this role may analyse it (owner or member of the owner's role; PostgreSQL 15 has no
-- separate privilege for it). Autovacuum gets there too, but only later: a bootstrap of
-- millions of versions otherwise leaves the next merges and the transform planning on
-- default estimates (thousands of versions per key instead of one).
SELECT (c.reltuples < 0 OR $1::bigint > 0.1 * c.reltuples)
       AND pg_has_role(c.relowner, 'USAGE')
FROM pg_class AS c
WHERE c.oid = $2::text::regclass
