-- The session state (mart_state.sessions) under a B-tree primary key, as before 0061, against
-- the hash exclusion constraint of 0061, at the size of a year at --scale 210 (20 M sessions):
-- BENCHMARKS.md, "The session state under a hash index" (issue 13). A December day's work:
-- 75,000 new sessions and 3,000 old ones (late events) probed as @sessions_before probes them,
-- the old deleted as @sessions_delete deleted them before 0061 (by session_id) and as it does
-- now (by ctid), all inserted as @sessions_insert inserts them; each variant in a transaction
-- that drops the other key and rolls back, right after a CHECKPOINT. In a scratch database, as
-- a superuser; the setup (once) takes about 9 minutes and 5 GB:
--
--   psql -c "CREATE DATABASE sessexp"
--   psql -d sessexp -v setup=1 -f scripts/sessions-hash-experiment.sql   # then as many rounds as wanted:
--   psql -d sessexp -f scripts/sessions-hash-experiment.sql                # B-tree first
--   psql -d sessexp -v hash_first=1 -f scripts/sessions-hash-experiment.sql  # hash first
--   psql -c "DROP DATABASE sessexp"
--
-- The timings to read are the four per variant after its \echo: probes, delete by session_id,
-- delete by ctid (after the first delete is undone), insert.
\timing on
\if :{?setup}
DROP SCHEMA IF EXISTS exp CASCADE;
CREATE SCHEMA exp;
-- The columns of mart_state.sessions (0045).
CREATE TABLE exp.sessions (
    session_id text COLLATE "C" NOT NULL, first_ts timestamptz NOT NULL, first_event_id text COLLATE "C" NOT NULL,
    event_date date NOT NULL, device text, first_day date NOT NULL, last_day date NOT NULL,
    facts bigint NOT NULL CHECK (facts > 0), page_views bigint NOT NULL, add_to_carts bigint NOT NULL,
    purchases bigint NOT NULL);
INSERT INTO exp.sessions
SELECT gen_random_uuid()::text, ts, gen_random_uuid()::text, ts::date, (ARRAY['desktop','mobile','tablet'])[1 + i % 3],
       ts::date, ts::date, 1 + i % 9, i % 5, i % 3, (i % 11 = 0)::int
FROM (SELECT i, timestamptz '2026-01-01' + (i / 20000000.0) * interval '364 days' AS ts
      FROM generate_series(1, 20000000) i) g;
SET maintenance_work_mem = '1GB';
ALTER TABLE exp.sessions ADD CONSTRAINT exp_sessions_pkey PRIMARY KEY (session_id);
ALTER TABLE exp.sessions ADD CONSTRAINT exp_sessions_excl EXCLUDE USING hash (session_id WITH =);
VACUUM ANALYZE exp.sessions;
SELECT pg_size_pretty(pg_relation_size('exp.exp_sessions_pkey')) AS btree,
       pg_size_pretty(pg_relation_size('exp.exp_sessions_excl')) AS hash,
       pg_size_pretty(pg_relation_size('exp.sessions')) AS heap;
\endif
CREATE TEMP TABLE new_ids AS SELECT gen_random_uuid()::text COLLATE "C" AS session_id FROM generate_series(1, 75000);
-- Old sessions all over the table: one row from each of 3,000 random heap pages.
CREATE TEMP TABLE old_ids AS
SELECT DISTINCT ON (b) session_id
FROM (SELECT session_id, (ctid::text::point)[0] AS b FROM exp.sessions TABLESAMPLE SYSTEM (2)) s
ORDER BY b, random() LIMIT 3000;
CREATE TEMP TABLE touched AS SELECT session_id FROM new_ids UNION ALL SELECT session_id FROM old_ids;
ANALYZE new_ids, old_ids, touched;
-- One round: each variant runs sessions-hash-experiment-round.sql with the key it keeps
-- (:drop is the one its transaction drops) and its probe order; -v hash_first=1 swaps them.
\if :{?hash_first}
\set drop exp_sessions_pkey
\set probe_order ''
\echo B hash exclusion constraint (0061)
\ir sessions-hash-experiment-round.sql
\endif
\set drop exp_sessions_excl
\set probe_order 'ORDER BY session_id'
\echo A btree (before 0061)
\ir sessions-hash-experiment-round.sql
\if :{?hash_first}
\else
\set drop exp_sessions_pkey
\set probe_order ''
\echo B hash exclusion constraint (0061)
\ir sessions-hash-experiment-round.sql
\endif
