-- The read-only BI role (`retention init`): what Grafana, Looker and analysts connect as,
-- through a login role that is a member of it. It reads the marts and the run history and
-- nothing else: no staging, quarantine, dw or mart_state (the marts views read those with
-- their owner's rights), no personal data, no writes. {role} is a validated, quoted
-- identifier; the statements run on every init, so grants follow new objects too.

-- @schemas
GRANT USAGE ON SCHEMA marts, ops TO {role};

-- @marts
GRANT SELECT ON ALL TABLES IN SCHEMA marts TO {role};

-- @marts_default
ALTER DEFAULT PRIVILEGES IN SCHEMA marts GRANT SELECT ON TABLES TO {role};

-- @marts_functions
-- The marts' table functions (marts.top_products_weekly): read-only, like the views.
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA marts TO {role};

-- @ops
-- Every ops table whole, except ops.validation_results below.
DO $$
DECLARE
    t text;
BEGIN
    FOR t IN SELECT format('ops.%I', c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'ops' AND c.relkind IN ('r', 'p', 'v', 'm') AND c.relname <> 'validation_results'
    LOOP
        EXECUTE format('GRANT SELECT ON %s TO %s', t, '{role}');
    END LOOP;
END
$$;

-- @ops_default
ALTER DEFAULT PRIVILEGES IN SCHEMA ops GRANT SELECT ON TABLES TO {role};

-- @validation_results
-- Its `result` and `observed_value` may hold sample values of the checked columns (emails of
-- the users suite): the role reads every other column, not those two.
REVOKE ALL ON ops.validation_results FROM {role};

-- @validation_results_columns
GRANT SELECT (result_id, run_id, batch_date, suite, table_name, expectation_type, column_name, kwargs,
              severity, success, element_count, unexpected_count, unexpected_percent, missing_count,
              validated_at)
    ON ops.validation_results TO {role};

-- @no_writes
-- PUBLIC may create in the public schema on PostgreSQL 14 and older; the role gets no such right here.
REVOKE CREATE ON SCHEMA marts, ops FROM {role};
