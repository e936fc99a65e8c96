-- The event_id register's uniqueness moves from a B-tree primary key to an exclusion
-- constraint on a hash index (issue 13; BENCHMARKS.md, "The event_id register under a hash
-- index"). The ids are random (UUIDs from the simulation, whatever a real feed sends), so a
-- day's probes (@held) and insert (@event_ids) land all over the index, and the pages they
-- touch grow with the whole history: the B-tree held 3.1 GB of key for 42.7 M ids at half a
-- year of --scale 210 (about 7.4 GB for the year's 101 M, past shared_buffers), the hash index
-- 1.3 GB (a 4-byte hash code per entry instead of the key). On the same warehouse, days
-- 2026-07-08..14 under the hash index against 07-01..07 under the B-tree: the probes 0.9-1.1 s
-- against 1.8-2.1 s, the insert 1.1-1.3 s against 1.5-1.8 s a day.
--
-- The constraint keeps what the primary key guaranteed: no two rows with the same event_id
-- (EXCLUDE ... WITH = on a hash index is a unique constraint checked by hash probe). Nothing
-- refers to the key (no foreign key, no ON CONFLICT). Equality is all the register is asked
-- (`r.event_id = c.event_id`), which the hash index serves.
--
-- Building it reads the whole register: about 3 minutes for 42.7 M ids on the project's
-- machine (`retention init` applies it; the transform waits meanwhile).
ALTER TABLE dw.fact_event_ids DROP CONSTRAINT fact_event_ids_pkey;
ALTER TABLE dw.fact_event_ids
    ADD CONSTRAINT fact_event_ids_event_id_excl EXCLUDE USING hash (event_id WITH =);
COMMENT ON TABLE dw.fact_event_ids IS 'Every event_id in dw.fact_user_events with the batch that accepted it: enforces one fact per event_id across partitions (an exclusion constraint on a hash index, 0060) and serves the duplicate_event check.';
