-- Quarantine: every row that was not kept. Load rejects keep the exact bytes read (raw);
-- conformance rejects keep the staged row as JSON (row_json). The key makes a re-run of a
-- day replace its rejects instead of adding to them.
CREATE TABLE quarantine.rejected_rows (
    batch_date  date        NOT NULL,
    stage       text        NOT NULL CHECK (stage IN ('load', 'transform')),
    source_file text        NOT NULL,
    source_line bigint      NOT NULL CHECK (source_line >= 1),
    reason      text        NOT NULL CHECK (reason ~ '^[a-z][a-z0-9_]*$'),
    detail      text,
    raw         bytea,
    row_json    jsonb,
    user_id     bigint,
    rejected_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (batch_date, stage, source_file, source_line),
    CHECK ((stage = 'load' AND raw IS NOT NULL) OR (stage = 'transform' AND row_json IS NOT NULL))
);
CREATE INDEX rejected_rows_reason_idx ON quarantine.rejected_rows (batch_date, reason);
CREATE INDEX rejected_rows_user_idx ON quarantine.rejected_rows (user_id) WHERE user_id IS NOT NULL;
COMMENT ON TABLE quarantine.rejected_rows IS 'Rows not kept, by day, stage (load or transform), file and line, with a reason code; raw bytes for load rejects, the staged row as JSON for conformance rejects. user_id (when known) serves PII erasure.';
COMMENT ON COLUMN quarantine.rejected_rows.rejected_at IS 'Audit column: when the row was rejected (changes on re-run).';
