-- What every writing role ({role}: loader, validator, transformer) needs, applied before its
-- own file: connect, and record its runs in ops.task_runs (start a run, close it).

-- @database
DO $$
BEGIN
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO %s', current_database(), '{role}');
END
$$;

-- @task_runs
-- Its run in the run log: opened, closed, and runs abandoned by a killed process marked so.
GRANT SELECT, INSERT ON ops.task_runs TO {role};

-- @task_runs_close
GRANT UPDATE (finished_at, duration_ms, status, rows_in, rows_out, rows_rejected, error, details)
    ON ops.task_runs TO {role};
