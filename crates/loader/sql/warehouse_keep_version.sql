-- A load whose day carries no generator identity (another producer's files) records only the
-- landing schema version, and only when the warehouse has no row yet.
INSERT INTO ops.warehouse (singleton, schema_version)
VALUES (true, $1)
ON CONFLICT (singleton) DO NOTHING
