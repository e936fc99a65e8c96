-- A landing day may come from a producer that writes no manifest: `load --no-manifest` counts
-- and hashes the files itself. Each audit row says which: `manifest` (the file's record count
-- and SHA-256 were checked against the day's _manifest.json, as every load did before) or
-- `loader` (there was no manifest; `sha256` and `rows_read` are the loader's own figures and
-- `manifest_rows` is NULL).

ALTER TABLE ops.load_audit
    ADD COLUMN checked_against text NOT NULL DEFAULT 'manifest'
        CHECK (checked_against IN ('manifest', 'loader')),
    ADD CHECK ((checked_against = 'manifest') = (manifest_rows IS NOT NULL));

COMMENT ON COLUMN ops.load_audit.checked_against IS 'manifest: rows and SHA-256 checked against the day''s _manifest.json; loader: loaded with --no-manifest, the loader counted and hashed the file itself (manifest_rows is NULL).';
