-- The transforming role (`retention init`): what `retention scd` and `retention transform`
-- run as. It reads the staged batches, keeps dw and mart_state (its own layers: rows only,
-- it owns no table there and cannot create one), writes its rejects and its ops history,
-- and erases personal data where the erasure rules say. Partitions of the facts are made
-- by dw.ensure_fact_partitions, which runs with its owner's rights (0048): the role cannot
-- create, alter or drop a table anywhere, nor write staging beyond erasing. {role} is a
-- validated, quoted identifier; the statements run on every init.

-- @database
-- TEMPORARY: the transform and the SCD merge work in temporary tables (PUBLIC has it by
-- default; granted in case a hardened database took it from PUBLIC).
DO $$
BEGIN
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %s', current_database(), '{role}');
END
$$;

-- @schemas
GRANT USAGE ON SCHEMA staging, quarantine, dw, mart_state, marts, ops TO {role};

-- @staging_erase
-- The users feed keeps emails and names: the SCD merge erases those of a deleted user
-- (dimensions.yaml, erase_in), and may change nothing else there.
GRANT UPDATE (email, full_name) ON staging.users TO {role};

-- @rejects
-- Its rejects (stage 'transform'), replaced on a re-run; erasure empties the raw line and the
-- row's personal fields in any reject of a deleted user.
GRANT SELECT, INSERT, DELETE ON quarantine.rejected_rows TO {role};

-- @rejects_erase
GRANT UPDATE (raw, row_json) ON quarantine.rejected_rows TO {role};

-- @quarantine_default
ALTER DEFAULT PRIVILEGES IN SCHEMA quarantine GRANT SELECT, INSERT, DELETE ON TABLES TO {role};

-- @layers
-- dw and mart_state: rows of every table (through the parents of partitioned ones), no DDL.
DO $$
DECLARE
    t text;
BEGIN
    FOR t IN SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname IN ('dw', 'mart_state') AND c.relkind IN ('r', 'p') AND NOT c.relispartition
    LOOP
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO %s', t, '{role}');
    END LOOP;
END
$$;

-- @layer_sequences
-- The SCD merge restarts a dimension's surrogate-key sequence after the highest key it holds
-- (setval), so a rolled-back merge does not shift the keys of its re-run.
GRANT USAGE, UPDATE ON ALL SEQUENCES IN SCHEMA dw, mart_state TO {role};

-- @dw_sequences_default
ALTER DEFAULT PRIVILEGES IN SCHEMA dw GRANT USAGE, UPDATE ON SEQUENCES TO {role};

-- @mart_state_sequences_default
ALTER DEFAULT PRIVILEGES IN SCHEMA mart_state GRANT USAGE, UPDATE ON SEQUENCES TO {role};

-- @dw_default
ALTER DEFAULT PRIVILEGES IN SCHEMA dw GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role};

-- @mart_state_default
ALTER DEFAULT PRIVILEGES IN SCHEMA mart_state GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role};

-- @fact_partitions
-- The one way it makes partitions (EXECUTE is not PUBLIC's: 0048).
GRANT EXECUTE ON FUNCTION dw.ensure_fact_partitions(date, date) TO {role};

-- @marts
-- ops.record_table_stats counts every marts table (the marts are views today).
GRANT SELECT ON ALL TABLES IN SCHEMA marts TO {role};

-- @marts_default
ALTER DEFAULT PRIVILEGES IN SCHEMA marts GRANT SELECT ON TABLES TO {role};

-- @erase_copies
-- Erasure also reaches copies of a deleted user's values kept without the key
-- (dimensions.yaml, erase_copies_in): validation samples and error messages of runs.
GRANT SELECT, UPDATE (result, observed_value) ON ops.validation_results TO {role};

-- @table_stats
-- Row counts after each transform, with the change since the previous one.
GRANT SELECT, INSERT ON ops.table_stats TO {role};

-- @table_row_counts
-- The last exact counts the transform's own tables are carried from (0050); the function
-- locks the table to measure one transform at a time.
GRANT SELECT, INSERT, UPDATE ON ops.table_row_counts TO {role};

-- @scd_batches
-- The SCD merge log; a rebuild (--rebuild-from) forgets the batches it replays.
GRANT SELECT, INSERT, DELETE ON ops.scd_batches TO {role};

-- @erasures
-- The erasure register: consulted by every write of personal data, appended to by deletions.
GRANT SELECT, INSERT ON ops.erasures TO {role};

-- @ops_default
ALTER DEFAULT PRIVILEGES IN SCHEMA ops GRANT SELECT, INSERT ON TABLES TO {role};
