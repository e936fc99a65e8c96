-- One merge per dimension at a time; released at commit.
SELECT pg_advisory_xact_lock($1)
