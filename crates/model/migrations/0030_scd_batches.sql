-- SCD merge log: one row per dimension and merged batch. A batch found here is not merged
-- again (re-runs are no-ops); its fingerprint tells a re-delivered batch from a changed one.
CREATE TABLE ops.scd_batches (
    dimension   text        NOT NULL,
    batch_date  date        NOT NULL,
    fingerprint text        NOT NULL,
    stats       jsonb       NOT NULL,
    merged_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dimension, batch_date)
);
COMMENT ON TABLE ops.scd_batches IS 'Batches merged into each SCD2 dimension, with a fingerprint of the feed rows (personal-data columns excluded, so erasure does not change it) and the merge counts. --rebuild-from D removes the rows from D on.';
