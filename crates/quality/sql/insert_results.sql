-- One row per expectation result into the configured results table (its name, validated
-- against the catalogue and quoted, replaces {results_table}). All rows arrive as one jsonb
-- array so the insert is a single atomic statement.
INSERT INTO {results_table} (
    run_id, batch_date, suite, table_name, expectation_type, column_name, kwargs, severity,
    success, element_count, unexpected_count, unexpected_percent, missing_count,
    observed_value, result)
SELECT r.run_id, r.batch_date, r.suite, r.table_name, r.expectation_type, r.column_name,
       r.kwargs, r.severity, r.success, r.element_count, r.unexpected_count,
       r.unexpected_percent, r.missing_count, r.observed_value, r.result
FROM jsonb_to_recordset($1::jsonb) AS r(
    run_id bigint, batch_date date, suite text, table_name text, expectation_type text,
    column_name text, kwargs jsonb, severity text, success boolean, element_count bigint,
    unexpected_count bigint, unexpected_percent double precision, missing_count bigint,
    observed_value jsonb, result jsonb)
