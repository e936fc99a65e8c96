-- How many migrations the warehouse has applied (the statement fails on a database that
-- has never been initialised: no ops.schema_migrations).
SELECT count(*) FROM ops.schema_migrations
