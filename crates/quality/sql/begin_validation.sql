-- The validation transaction: read-only (a suite only reads), one snapshot for the scan and
-- the uniqueness and sample queries that follow it, and a bound on every statement, since a
-- suite's regexes are user-written. {timeout_ms} is an integer the engine formats (0: none).
-- A statement that runs longer is cancelled with SQLSTATE 57014 (query_canceled).
BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;
SET LOCAL statement_timeout = {timeout_ms};
