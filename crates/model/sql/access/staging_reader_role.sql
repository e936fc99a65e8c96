-- Reading the staged batches ({role}: the validator and the transformer), applied before the
-- role's own file.

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
