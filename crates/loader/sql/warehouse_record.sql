-- The first load of a warehouse records the seed, scale, schema version and config hash of
-- its data (also when a row exists without them).
INSERT INTO ops.warehouse (singleton, seed, scale, schema_version, config_hash)
VALUES (true, $1, $2, $3, $4)
ON CONFLICT (singleton) DO UPDATE
SET seed = EXCLUDED.seed, scale = EXCLUDED.scale, schema_version = EXCLUDED.schema_version,
    config_hash = EXCLUDED.config_hash, updated_at = now()
