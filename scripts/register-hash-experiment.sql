-- The event_id register under a B-tree primary key (as now) against a hash index and a hash
-- exclusion constraint: BENCHMARKS.md, "The event_id register under a hash index" (issue 13).
-- 280,000 new random ids, probed as @held probes them and inserted as @event_ids inserts
-- them; each variant in a transaction that drops the other two indexes and rolls back, right
-- after a CHECKPOINT. On a warehouse built by `retention run` before migration 0060 (which
-- made the exclusion constraint the register's key), as a superuser; minutes at --scale 210:
--
--   psql -d WAREHOUSE -c "SET maintenance_work_mem = '1GB'" \
--        -c "CREATE INDEX fact_event_ids_hash_exp ON dw.fact_event_ids USING hash (event_id)" \
--        -c "ALTER TABLE dw.fact_event_ids ADD CONSTRAINT fact_event_ids_excl_exp EXCLUDE USING hash (event_id WITH =)"
--   psql -d WAREHOUSE -f scripts/register-hash-experiment.sql    # as many rounds as wanted
--   psql -d WAREHOUSE -c "DROP INDEX dw.fact_event_ids_hash_exp" \
--        -c "ALTER TABLE dw.fact_event_ids DROP CONSTRAINT fact_event_ids_excl_exp"
--
-- The timings to read are the two per variant after its \echo: probes, then insert.
\timing on
CREATE TEMP TABLE ids AS SELECT gen_random_uuid()::text COLLATE "C" AS event_id FROM generate_series(1, 280000);
ANALYZE ids;
CHECKPOINT;
\echo A btree (as now)
BEGIN;
DROP INDEX dw.fact_event_ids_hash_exp;
ALTER TABLE dw.fact_event_ids DROP CONSTRAINT fact_event_ids_excl_exp;
SELECT count(*) FROM (SELECT event_id FROM ids ORDER BY event_id) c CROSS JOIN LATERAL (SELECT 1 FROM dw.fact_event_ids r WHERE r.event_id = c.event_id LIMIT 1) k;
INSERT INTO dw.fact_event_ids (event_id, batch_date, event_date) SELECT event_id, '2026-07-02', '2026-07-02' FROM ids ORDER BY event_id;
ROLLBACK;
CHECKPOINT;
\echo C hash index, hash order
BEGIN;
ALTER TABLE dw.fact_event_ids DROP CONSTRAINT fact_event_ids_pkey;
ALTER TABLE dw.fact_event_ids DROP CONSTRAINT fact_event_ids_excl_exp;
SELECT count(*) FROM (SELECT event_id FROM ids ORDER BY hashtext(event_id)) c CROSS JOIN LATERAL (SELECT 1 FROM dw.fact_event_ids r WHERE r.event_id = c.event_id LIMIT 1) k;
INSERT INTO dw.fact_event_ids (event_id, batch_date, event_date) SELECT event_id, '2026-07-02', '2026-07-02' FROM ids ORDER BY hashtext(event_id);
ROLLBACK;
CHECKPOINT;
\echo D hash exclusion constraint, hash order
BEGIN;
ALTER TABLE dw.fact_event_ids DROP CONSTRAINT fact_event_ids_pkey;
DROP INDEX dw.fact_event_ids_hash_exp;
SELECT count(*) FROM (SELECT event_id FROM ids ORDER BY hashtext(event_id)) c CROSS JOIN LATERAL (SELECT 1 FROM dw.fact_event_ids r WHERE r.event_id = c.event_id LIMIT 1) k;
INSERT INTO dw.fact_event_ids (event_id, batch_date, event_date) SELECT event_id, '2026-07-02', '2026-07-02' FROM ids ORDER BY hashtext(event_id);
ROLLBACK;
