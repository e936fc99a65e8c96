-- The validating role (`retention init`): what `retention validate` runs as. The quality
-- gate is the one step that runs user-written expectation suites (column names, regexes)
-- against the warehouse, so its role reads the staged batches and nothing else, and writes
-- only its results and its run: a suite cannot read dw, quarantine or mart_state (personal
-- data), nor change the batch it judges. {role} is a validated, quoted identifier; the
-- statements run on every init.

-- @database
DO $$
BEGIN
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO %s', current_database(), '{role}');
END
$$;

-- @schemas
GRANT USAGE ON SCHEMA staging, ops TO {role};

-- @staging
-- The staged tables, read through their parents (partitions come and go with each load).
DO $$
DECLARE
    t text;
BEGIN
    FOR t IN SELECT format('staging.%I', c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'staging' AND c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition
    LOOP
        EXECUTE format('GRANT SELECT ON %s TO %s', t, '{role}');
    END LOOP;
END
$$;

-- @staging_default
ALTER DEFAULT PRIVILEGES IN SCHEMA staging GRANT SELECT ON TABLES TO {role};

-- @task_runs
GRANT SELECT, INSERT ON ops.task_runs TO {role};

-- @task_runs_close
GRANT UPDATE (finished_at, duration_ms, status, rows_in, rows_out, rows_rejected, error, details)
    ON ops.task_runs TO {role};

-- @results
-- One row per expectation and run; it does not read them back.
GRANT INSERT ON ops.validation_results TO {role};
