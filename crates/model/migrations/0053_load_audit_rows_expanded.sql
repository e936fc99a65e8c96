-- A JSON Lines event with an items list (a Segment order's products, a GA4 event's items)
-- stages one row per item: a file's records read and its rows staged then differ by the rows
-- beyond one per record. `rows_expanded` counts them (0 for CSV), and the accounting check
-- becomes read + expanded = staged + rejected.

ALTER TABLE ops.load_audit
    ADD COLUMN rows_expanded bigint NOT NULL DEFAULT 0 CHECK (rows_expanded >= 0),
    DROP CONSTRAINT load_audit_check,
    ADD CONSTRAINT load_audit_rows_check
        CHECK (rows_read + rows_expanded = rows_staged + rows_rejected);

COMMENT ON COLUMN ops.load_audit.rows_expanded IS 'Rows staged beyond one per record: a JSON Lines event with an items list gives one row per item (0 for CSV).';
COMMENT ON TABLE ops.load_audit IS 'Per load and landing file: rows read + expanded = staged + rejected (checked), with the manifest figures.';
