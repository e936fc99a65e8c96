-- What the warehouse was built with, locked so two first loads cannot both record theirs.
SELECT seed, scale, schema_version, config_hash FROM ops.warehouse WHERE singleton FOR UPDATE
