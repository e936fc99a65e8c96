-- The validating role (`retention init`): what `retention validate` runs as. The quality
-- gate is the one step that runs user-written expectation suites (column names, regexes)
-- against the warehouse, so its role reads the staged batches and nothing else, and writes
-- only its results and its run: a suite cannot read dw, quarantine or mart_state (personal
-- data), nor change the batch it judges. {role} is a validated, quoted identifier; the
-- statements run on every init.

-- @schemas
GRANT USAGE ON SCHEMA staging, ops TO {role};

-- @results
-- One row per expectation and run; it does not read them back.
GRANT INSERT ON ops.validation_results TO {role};
