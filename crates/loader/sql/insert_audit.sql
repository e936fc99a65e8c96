-- One audit row per landing file and load; the table re-checks read + expanded = staged +
-- rejected ($11: rows beyond one per record, from JSON Lines items lists).
-- $10 says whether the figures were checked against the manifest or are the loader's own.
INSERT INTO ops.load_audit
    (run_id, batch_date, source_file, rows_read, rows_staged, rows_rejected, manifest_rows, sha256, generator, checked_against, rows_expanded)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
