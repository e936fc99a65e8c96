-- A run whose process died (kill -9, a lost connection, a server restart) can never finish its
-- ops.task_runs row. Each run now holds a session advisory lock on its own run_id while it
-- works (ops.run_lock_class, run_id), so a 'running' row whose lock is free has no process
-- behind it: the next step that starts marks it 'abandoned' (ops.mark_abandoned_runs).
ALTER TABLE ops.task_runs DROP CONSTRAINT task_runs_status_check;
ALTER TABLE ops.task_runs ADD CONSTRAINT task_runs_status_check
    CHECK (status IN ('running', 'ok', 'quality_failed', 'error', 'abandoned'));

CREATE INDEX task_runs_running_idx ON ops.task_runs (run_id) WHERE status = 'running';

-- The first key of the two-integer advisory locks of runs ('RUNS'); two-integer keys never
-- collide with the single bigint keys of the step locks.
CREATE FUNCTION ops.run_lock_class() RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT 1381322323 $$;

-- The second key: the run id's low 31 bits (two live runs 2^31 ids apart would share a key,
-- which only makes the sweep leave one of them alone).
CREATE FUNCTION ops.run_lock_id(run_id bigint) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT (run_id & 2147483647)::integer $$;

CREATE FUNCTION ops.mark_abandoned_runs() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    n integer := 0;
    r record;
BEGIN
    FOR r IN SELECT run_id FROM ops.task_runs WHERE status = 'running' ORDER BY run_id LOOP
        -- Free lock: no session holds the run. Taken for this transaction only.
        IF pg_try_advisory_xact_lock(ops.run_lock_class(), ops.run_lock_id(r.run_id)) THEN
            UPDATE ops.task_runs
            SET status = 'abandoned',
                finished_at = greatest(clock_timestamp(), started_at),
                error = coalesce(error || E'\n', '')
                     || 'abandoned: the process running this step ended without recording its end (killed, or its connection or the server went away)'
            WHERE run_id = r.run_id AND status = 'running';
            n := n + 1;
        END IF;
    END LOOP;
    RETURN n;
END
$$;
COMMENT ON FUNCTION ops.mark_abandoned_runs() IS 'Marks abandoned every running ops.task_runs row whose run lock no session holds; returns how many.';
