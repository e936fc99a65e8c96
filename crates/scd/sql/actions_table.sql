-- The plan's actions, sent by binary COPY; attribute values stay text until applied.
DROP TABLE IF EXISTS pg_temp.scd_actions;
CREATE TEMP TABLE scd_actions (
    action    text NOT NULL,
    key       text NOT NULL,
    sk        bigint,
    effective timestamptz,
    row_hash  bytea,
    {value_defs}
) ON COMMIT DROP;
