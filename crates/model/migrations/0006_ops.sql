-- Operational history, what Grafana shows. These tables only grow.

CREATE TABLE ops.warehouse (
    singleton      boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    seed           bigint,
    scale          double precision,
    schema_version integer     NOT NULL,
    config_hash    text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE ops.warehouse IS 'What this warehouse was built with: generator seed, scale and config hash (set by the first load), and the landing schema version. load refuses a day generated otherwise unless --force.';

CREATE TABLE ops.task_runs (
    run_id        bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    step          text        NOT NULL,
    batch_date    date,
    started_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at   timestamptz,
    duration_ms   bigint,
    status        text        NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'ok', 'quality_failed', 'error')),
    rows_in       bigint,
    rows_out      bigint,
    rows_rejected bigint,
    error         text,
    details       jsonb,
    host          text,
    pid           integer,
    CHECK (finished_at IS NULL OR finished_at >= started_at)
);
CREATE INDEX task_runs_step_day_idx ON ops.task_runs (step, batch_date, started_at);
CREATE INDEX task_runs_started_idx ON ops.task_runs (started_at);
COMMENT ON TABLE ops.task_runs IS 'One row per step run: start, end, status and rows in/out/rejected.';

CREATE TABLE ops.load_audit (
    audit_id       bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id         bigint      REFERENCES ops.task_runs,
    batch_date     date        NOT NULL,
    source_file    text        NOT NULL,
    rows_read      bigint      NOT NULL,
    rows_staged    bigint      NOT NULL,
    rows_rejected  bigint      NOT NULL,
    manifest_rows  bigint,
    sha256         text,
    generator      jsonb,
    loaded_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (rows_read = rows_staged + rows_rejected)
);
CREATE INDEX load_audit_day_idx ON ops.load_audit (batch_date, source_file);
COMMENT ON TABLE ops.load_audit IS 'Per load and landing file: rows read = staged + rejected (checked), with the manifest figures.';

CREATE TABLE ops.validation_results (
    result_id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id             bigint      REFERENCES ops.task_runs,
    batch_date         date,
    suite              text        NOT NULL,
    table_name         text        NOT NULL,
    expectation_type   text        NOT NULL,
    column_name        text,
    kwargs             jsonb       NOT NULL,
    severity           text        NOT NULL CHECK (severity IN ('critical', 'warning', 'info')),
    success            boolean     NOT NULL,
    element_count      bigint,
    unexpected_count   bigint,
    unexpected_percent double precision,
    missing_count      bigint,
    observed_value     jsonb,
    result             jsonb       NOT NULL,
    validated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX validation_results_day_idx ON ops.validation_results (batch_date, suite);
CREATE INDEX validation_results_failed_idx ON ops.validation_results (validated_at) WHERE NOT success;
COMMENT ON TABLE ops.validation_results IS 'One row per expectation per validation run, shaped after Great Expectations results.';

CREATE TABLE ops.table_stats (
    stat_id     bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id      bigint      REFERENCES ops.task_runs,
    batch_date  date,
    table_name  text        NOT NULL,
    row_count   bigint      NOT NULL,
    delta       bigint,
    measured_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX table_stats_table_idx ON ops.table_stats (table_name, measured_at);
COMMENT ON TABLE ops.table_stats IS 'Row count of every warehouse table after each transform, and its change since the previous measurement.';

CREATE TABLE ops.erasures (
    user_id    bigint      NOT NULL,
    deleted_at timestamptz NOT NULL,
    batch_date date        NOT NULL,
    erased_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, deleted_at)
);
COMMENT ON TABLE ops.erasures IS 'Users whose personal data was erased (right to be forgotten). Every step that writes personal data consults it, so no re-run brings erased values back. deleted_at bounds the erased life: versions valid before it.';
