-- The session state's uniqueness moves from a B-tree primary key to an exclusion constraint on
-- a hash index, as the event_id register's did in 0060 (issue 13; BENCHMARKS.md, "The session
-- state under a hash index"). session_id is random (a UUID from the simulation, whatever a real
-- feed sends), so a day's new sessions (@sessions_insert) and its probes (@sessions_before)
-- land all over the key, and the pages they touch grow with every session of the history. A
-- hash index keeps a 4-byte hash code per entry instead of the 36-byte key.
--
-- The constraint keeps what the primary key guaranteed: one row per session_id (EXCLUDE ...
-- WITH = on a hash index is a unique constraint checked by hash probe). Nothing refers to the
-- key (no foreign key, no ON CONFLICT); the state is only asked for equality on session_id,
-- and @sessions_delete finds the rows it removes by ctid (a hash index serves `= ANY (array)`
-- only through a bitmap scan that rechecks every row against the whole array).
--
-- At a year-end size (20 M sessions, a scratch table) the day's insert took 1.1-1.4 s against
-- 1.8-2.1 s, the probes the same. Building it reads the whole state: 14.5 s for 4.0 M sessions
-- (a quarter at --scale 210) on the project's machine (`retention init` applies it).
ALTER TABLE mart_state.sessions DROP CONSTRAINT sessions_pkey;
ALTER TABLE mart_state.sessions
    ADD CONSTRAINT sessions_session_id_excl EXCLUDE USING hash (session_id WITH =);
