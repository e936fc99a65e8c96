//! The writing roles: each step's work allowed, anything more refused.

use super::*;

/// The owner of every table of staging (parents and partitions).
async fn staging_owners(c: &Client) -> Vec<(String, String)> {
    c.query(
        "SELECT c.relname::text, pg_get_userbyid(c.relowner)::text FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'staging' AND c.relkind IN ('r', 'p') ORDER BY 1",
        &[],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect()
}

#[tokio::test]
async fn each_writer_role_can_do_its_steps_work_and_nothing_more() {
    let db = TestDb::migrated().await;
    let mut c = db.client().await;
    // A day loaded before the roles existed: its partition belongs to the admin.
    c.batch_execute(
        "CREATE TABLE staging.events_20260105 PARTITION OF staging.events FOR VALUES IN ('2026-01-05')",
    )
    .await
    .unwrap();
    let roles = PipelineRoles::default();
    let first = grant_pipeline_roles(&mut c, &roles).await.unwrap();
    assert_eq!(first.staging_handed_over, 4, "three parents and the day");
    // Again: init runs it every time; nothing is left to hand over.
    let again = grant_pipeline_roles(&mut c, &roles).await.unwrap();
    assert_eq!(again, RolesReport::default());
    for (table, owner) in staging_owners(&c).await {
        assert_eq!(owner, DEFAULT_LOADER_ROLE, "staging.{table}");
    }
    let attributes: Vec<bool> = c
        .query(
            "SELECT rolcanlogin OR rolsuper OR rolcreaterole OR rolcreatedb FROM pg_roles \
             WHERE rolname IN ('retention_loader', 'retention_validator', 'retention_transformer')",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(attributes, [false; 3]);

    let loader = "retention_loader";
    let allowed = [
        // A reload of 2026-01-05 the way crates/loader/sql/ does it.
        "CREATE TABLE staging.events_new (LIKE staging.events INCLUDING DEFAULTS); \
         ALTER TABLE staging.events_new ADD CONSTRAINT one_batch CHECK (batch_date IS NOT NULL AND batch_date = DATE '2026-01-05'); \
         DROP TABLE staging.events_20260105; \
         ALTER TABLE staging.events_new RENAME TO events_20260105; \
         ALTER TABLE staging.events ATTACH PARTITION staging.events_20260105 FOR VALUES IN ('2026-01-05')",
        "DELETE FROM quarantine.rejected_rows WHERE batch_date = '2026-01-05' AND stage = 'load'",
        "INSERT INTO quarantine.rejected_rows (batch_date, stage, source_file, source_line, reason, raw) \
         VALUES ('2026-01-05', 'load', 'events.csv', 2, 'bad_field_count', '\\x41')",
        "UPDATE quarantine.rejected_rows SET raw = '\\x' WHERE user_id = 1",
        "SELECT * FROM ops.erasures",
        "SELECT * FROM ops.warehouse WHERE singleton FOR UPDATE",
        "INSERT INTO ops.warehouse (singleton, seed, scale, schema_version) VALUES (true, 1, 1, 1) \
         ON CONFLICT (singleton) DO UPDATE SET seed = EXCLUDED.seed, updated_at = now()",
        "SELECT ops.mark_abandoned_runs()",
        "WITH r AS (INSERT INTO ops.task_runs (step) VALUES ('load') RETURNING run_id) \
         INSERT INTO ops.load_audit (run_id, batch_date, source_file, rows_read, rows_staged, rows_rejected, \
         rows_expanded, checked_against) SELECT run_id, '2026-01-05', 'events.csv', 0, 0, 0, 0, 'loader' FROM r",
        "UPDATE ops.task_runs SET finished_at = clock_timestamp(), duration_ms = 1, status = 'ok', rows_in = 0, \
         rows_out = 0, rows_rejected = 0, error = NULL, details = NULL WHERE run_id = 0",
    ];
    for sql in allowed {
        assert_eq!(as_role(&mut c, loader, sql).await, None, "loader: {sql}");
    }
    let denied = [
        "INSERT INTO dw.fact_user_events (event_id) VALUES ('x')",
        "SELECT * FROM dw.dim_user",
        "SELECT * FROM mart_state.sessions",
        "SELECT * FROM marts.sales_weekly",
        "CREATE TABLE dw.mine (x int)",
        "CREATE TABLE ops.mine (x int)",
        "CREATE TABLE quarantine.mine (x int)",
        "UPDATE quarantine.rejected_rows SET reason = 'x'",
        "TRUNCATE quarantine.rejected_rows",
        "DELETE FROM ops.load_audit",
        "DELETE FROM ops.task_runs",
        "UPDATE ops.task_runs SET step = 'x'",
        "INSERT INTO ops.validation_results (suite, table_name, expectation_type, kwargs, severity, success, result) \
         VALUES ('s', 't', 'e', '{}', 'info', true, '{}')",
        "INSERT INTO ops.erasures (user_id, deleted_at, batch_date) VALUES (1, now(), current_date)",
        "DELETE FROM ops.schema_migrations",
        "SELECT dw.ensure_fact_partitions('2031-01-01', '2031-01-01')",
        "CREATE ROLE mine",
    ];
    for sql in denied {
        assert_eq!(
            as_role(&mut c, loader, sql).await.as_deref(),
            Some("42501"),
            "loader: {sql} must be refused for lack of privilege"
        );
    }

    let validator = "retention_validator";
    for sql in [
        "SELECT count(*), count(DISTINCT event_id) FROM staging.events WHERE batch_date = '2026-01-05'",
        "SELECT * FROM staging.users, staging.products LIMIT 1",
        "WITH r AS (INSERT INTO ops.task_runs (step) VALUES ('validate') RETURNING run_id) \
         INSERT INTO ops.validation_results (run_id, suite, table_name, expectation_type, kwargs, severity, success, result) \
         SELECT run_id, 's', 't', 'e', '{}', 'info', true, '{}' FROM r",
    ] {
        assert_eq!(
            as_role(&mut c, validator, sql).await,
            None,
            "validator: {sql}"
        );
    }
    for sql in [
        "INSERT INTO staging.events (batch_date, source_line) VALUES ('2026-01-05', 1)",
        "DELETE FROM staging.events",
        "DROP TABLE staging.events_20260105",
        "SELECT * FROM staging.events_20260105",
        "SELECT * FROM quarantine.rejected_rows",
        "SELECT * FROM dw.dim_user",
        "SELECT result FROM ops.validation_results",
        "SELECT * FROM ops.erasures",
        "SELECT * FROM pg_authid",
        "CREATE TABLE staging.mine (x int)",
        "CREATE ROLE mine",
    ] {
        assert_eq!(
            as_role(&mut c, validator, sql).await.as_deref(),
            Some("42501"),
            "validator: {sql} must be refused for lack of privilege"
        );
    }

    let transformer = "retention_transformer";
    for sql in [
        "SELECT dw.ensure_fact_partitions('2031-01-01', '2031-02-15')",
        "SELECT dw.fill_dim_date('2031-01-01', '2031-01-02')",
        "CREATE TEMP TABLE t_conform ON COMMIT DROP AS SELECT * FROM staging.events; ANALYZE t_conform",
        "DELETE FROM dw.fact_user_events WHERE batch_date = '2026-01-05'",
        "DELETE FROM dw.fact_event_ids WHERE batch_date = '2026-01-05'",
        "INSERT INTO dw.dim_user (user_id, row_hash, valid_from, is_current, batch_date, updated_in_batch) \
         VALUES (1, '\\x00', now(), true, '2026-01-05', '2026-01-05')",
        "UPDATE dw.dim_product SET is_current = false WHERE false",
        "DELETE FROM quarantine.rejected_rows WHERE batch_date = '2026-01-05' AND stage = 'transform'",
        "UPDATE quarantine.rejected_rows SET raw = '\\x', row_json = row_json WHERE user_id = 1",
        "UPDATE staging.users SET email = NULL, full_name = NULL WHERE user_id = 1",
        "INSERT INTO ops.erasures (user_id, deleted_at, batch_date) VALUES (1, now(), current_date)",
        "DELETE FROM ops.scd_batches WHERE batch_date >= '2026-01-05'",
        "SELECT ops.record_table_stats(NULL, NULL)",
        "DELETE FROM mart_state.user_changes",
        "SELECT setval(pg_get_serial_sequence('dw.dim_user', 'user_sk'), 1, false)",
        "UPDATE ops.validation_results SET result = result, observed_value = NULL WHERE result::text LIKE '%@%'",
        "UPDATE ops.task_runs SET error = NULL, details = NULL WHERE error LIKE '%@%'",
        "SELECT * FROM marts.sales_weekly",
        // A month's facts already in the default partition move into its new partition.
        "INSERT INTO dw.fact_user_events (event_id, event_date, date_key, batch_date, event_ts, user_id, user_sk, \
         event_type, source_line) VALUES ('m', '2031-03-05', 20310305, '2031-03-05', '2031-03-05 10:00+00', 1, 1, 'click', 1); \
         SELECT dw.ensure_fact_partitions('2031-03-01', '2031-03-01'); \
         DO $$ BEGIN \
             IF (SELECT tableoid::regclass::text FROM dw.fact_user_events WHERE event_id = 'm') \
                IS DISTINCT FROM 'dw.fact_user_events_203103' THEN RAISE EXCEPTION 'not moved'; END IF; \
         END $$",
        // A pg_temp.fact_move of its own making is replaced, not used, by the definer.
        "CREATE TEMP TABLE fact_move (x int); SELECT dw.ensure_fact_partitions('2032-01-01', '2032-01-01')",
    ] {
        assert_eq!(
            as_role(&mut c, transformer, sql).await,
            None,
            "transformer: {sql}"
        );
    }
    for sql in [
        "DROP TABLE staging.events",
        "DROP TABLE staging.events_20260105",
        "TRUNCATE staging.events",
        "DELETE FROM staging.events",
        "INSERT INTO staging.events (batch_date, source_line) VALUES ('2026-01-05', 1)",
        "UPDATE staging.users SET country = 'XX'",
        "ALTER TABLE staging.events ADD COLUMN mine int",
        "CREATE TABLE staging.mine (x int)",
        "CREATE TABLE dw.mine (x int)",
        "CREATE TABLE mart_state.mine (x int)",
        "ALTER TABLE dw.fact_user_events ADD COLUMN mine int",
        "DROP TABLE dw.fact_user_events",
        "DROP TABLE dw.fact_user_events_default",
        "CREATE TABLE dw.fact_user_events_203301 PARTITION OF dw.fact_user_events FOR VALUES FROM ('2033-01-01') TO ('2033-02-01')",
        "TRUNCATE dw.dim_user",
        "UPDATE quarantine.rejected_rows SET reason = 'x'",
        "INSERT INTO ops.load_audit (batch_date, source_file, rows_read, rows_staged, rows_rejected) VALUES (current_date, 'x', 0, 0, 0)",
        "UPDATE ops.warehouse SET seed = 1",
        "DELETE FROM ops.erasures",
        "UPDATE ops.task_runs SET step = 'x'",
        "UPDATE ops.validation_results SET success = true",
        "CREATE ROLE mine",
    ] {
        assert_eq!(
            as_role(&mut c, transformer, sql).await.as_deref(),
            Some("42501"),
            "transformer: {sql} must be refused for lack of privilege"
        );
    }
    // A view in its place makes the definer stop rather than write through it.
    assert_eq!(
        as_role(
            &mut c,
            transformer,
            "CREATE TEMP VIEW fact_move AS SELECT 1 AS x; SELECT dw.ensure_fact_partitions('2032-01-01', '2032-01-01')"
        )
        .await
        .as_deref(),
        Some("42809")
    );

    // Objects of later migrations are covered without another init.
    c.batch_execute(
        "CREATE TABLE dw.later (x int); CREATE TABLE ops.later (x int); CREATE TABLE staging.later (x int); \
         CREATE TABLE mart_state.later (x int)",
    )
    .await
    .unwrap();
    for (role, sql) in [
        (transformer, "INSERT INTO dw.later VALUES (1)"),
        (transformer, "UPDATE mart_state.later SET x = 2"),
        (transformer, "SELECT * FROM staging.later"),
        (loader, "INSERT INTO ops.later VALUES (1)"),
        (validator, "SELECT * FROM staging.later"),
    ] {
        assert_eq!(as_role(&mut c, role, sql).await, None, "{role}: {sql}");
    }
    for (role, sql) in [
        (loader, "INSERT INTO dw.later VALUES (1)"),
        (validator, "INSERT INTO ops.later VALUES (1)"),
        (transformer, "INSERT INTO staging.later VALUES (1)"),
    ] {
        assert_eq!(
            as_role(&mut c, role, sql).await.as_deref(),
            Some("42501"),
            "{role}: {sql}"
        );
    }
    // The next init hands the new staging table to the loader.
    let next = grant_pipeline_roles(&mut c, &roles).await.unwrap();
    assert_eq!(next.staging_handed_over, 1);
}
