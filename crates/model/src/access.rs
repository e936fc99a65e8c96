//! Who may do what: one role per kind of work, created `NOLOGIN` by `retention init` and
//! granted again on every init (again on objects created later, through default
//! privileges). Login users get a role's rights by membership
//! (`CREATE ROLE airflow_load LOGIN IN ROLE retention_loader`).
//!
//! | role (default name) | steps | may |
//! |---|---|---|
//! | loader (`retention_loader`) | `load` | own the `staging` tables (PostgreSQL lets only the owner add, attach and drop partitions), its rejects in `quarantine`, `ops.load_audit`, `ops.warehouse`, its runs |
//! | validator (`retention_validator`) | `validate` | read `staging`, add to `ops.validation_results`, its runs |
//! | transformer (`retention_transformer`) | `scd`, `transform` | read `staging` (erase names and emails of `staging.users`), rows of `dw` and `mart_state`, its rejects, `ops` history; fact partitions only through `dw.ensure_fact_partitions` |
//! | BI (`retention_bi`) | dashboards, analysts | read `marts` and `ops` (not the sample values of `ops.validation_results`) |
//!
//! None of them can create roles or create, alter or drop a table outside its own (the
//! loader's staging tables); migrations stay with the owner that runs `init`. The SQL is in
//! `crates/model/sql/access/`: [`grant_pipeline_roles`] runs all of it.

use tokio_postgres::{Client, GenericClient, error::SqlState};

use crate::{Error, Result, ops::advisory_key, transform::statements};

/// The BI role's name when the configuration names none.
pub const DEFAULT_BI_ROLE: &str = "retention_bi";
/// The loading role's name when the configuration names none.
pub const DEFAULT_LOADER_ROLE: &str = "retention_loader";
/// The validating role's name when the configuration names none.
pub const DEFAULT_VALIDATOR_ROLE: &str = "retention_validator";
/// The transforming role's name when the configuration names none.
pub const DEFAULT_TRANSFORMER_ROLE: &str = "retention_transformer";

const BI_ROLE_SQL: &str = include_str!("../sql/access/bi_role.sql");
const WRITER_ROLE_SQL: &str = include_str!("../sql/access/writer_role.sql");
const STAGING_READER_ROLE_SQL: &str = include_str!("../sql/access/staging_reader_role.sql");
const LOADER_ROLE_SQL: &str = include_str!("../sql/access/loader_role.sql");
const VALIDATOR_ROLE_SQL: &str = include_str!("../sql/access/validator_role.sql");
const TRANSFORMER_ROLE_SQL: &str = include_str!("../sql/access/transformer_role.sql");

/// The statement of `loader_role.sql` that lists the staging tables to hand to the loader.
const STAGING_NOT_OWNED: &str = "staging_not_owned";

/// Checks that `name` is a plain lower-case PostgreSQL identifier (letters, digits, `_`,
/// not starting with a digit, at most 63 bytes) and returns it double-quoted.
pub fn quote_role(name: &str) -> Result<String> {
    let plain = !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !name.as_bytes()[0].is_ascii_digit();
    if !plain || name.starts_with("pg_") {
        return Err(Error::Config(format!(
            "role name {name:?} is not a plain lower-case identifier (a-z, 0-9, _; not starting with a digit or pg_; at most 63 bytes)"
        )));
    }
    Ok(format!("\"{name}\""))
}

/// The names of the pipeline's roles (the configuration's `loader_role`, `validator_role`,
/// `transformer_role` and `bi_role`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PipelineRoles<'a> {
    /// Runs `load`.
    pub loader: &'a str,
    /// Runs `validate`. May name the loader's role, to validate with the loader's rights.
    pub validator: &'a str,
    /// Runs `scd` and `transform`.
    pub transformer: &'a str,
    /// Reads `marts` and `ops`; must differ from the others.
    pub bi: &'a str,
}

impl Default for PipelineRoles<'static> {
    fn default() -> Self {
        Self {
            loader: DEFAULT_LOADER_ROLE,
            validator: DEFAULT_VALIDATOR_ROLE,
            transformer: DEFAULT_TRANSFORMER_ROLE,
            bi: DEFAULT_BI_ROLE,
        }
    }
}

/// What [`grant_pipeline_roles`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RolesReport {
    /// Roles created now (the others existed).
    pub created: Vec<String>,
    /// Staging tables (parents and partitions) handed to the loader now.
    pub staging_handed_over: u64,
}

/// Creates the read-only BI role `name` if it does not exist and (re)grants its privileges;
/// returns whether the role was created now. Safe to run again and concurrently.
pub async fn grant_bi_role(client: &Client, name: &str) -> Result<bool> {
    let quoted = quote_role(name)?;
    let created = ensure_role(client, name, &quoted).await?;
    run_grants(client, BI_ROLE_SQL, &quoted).await?;
    Ok(created)
}

/// Creates the four roles of the pipeline (`NOLOGIN`) where missing and (re)grants each
/// exactly its privileges, all in one transaction under a lock of this database, so it is
/// safe to run again and concurrently: `retention init` runs it after the migrations.
/// Hands the `staging` tables it does not own yet to the loader.
///
/// Refuses a BI role that names a writer role, and an existing role with rights that would
/// break the promises above (superuser, `CREATEROLE`, `CREATEDB`, `REPLICATION`,
/// `BYPASSRLS`).
pub async fn grant_pipeline_roles(
    client: &mut Client,
    roles: &PipelineRoles<'_>,
) -> Result<RolesReport> {
    let writers = [roles.loader, roles.validator, roles.transformer];
    if writers.contains(&roles.bi) {
        return Err(Error::Config(format!(
            "bi_role {:?} must not be one of the writing roles (loader_role, validator_role, transformer_role): the BI role is read-only",
            roles.bi
        )));
    }
    if roles.transformer == roles.loader || roles.transformer == roles.validator {
        return Err(Error::Config(format!(
            "transformer_role {:?} must differ from loader_role and validator_role",
            roles.transformer
        )));
    }
    // Every name is checked before any role is made.
    let all = [roles.loader, roles.validator, roles.transformer, roles.bi];
    let (loader, validator) = (quote_role(roles.loader)?, quote_role(roles.validator)?);
    let (transformer, bi) = (quote_role(roles.transformer)?, quote_role(roles.bi)?);
    let mut report = RolesReport::default();
    for (name, quoted) in all
        .into_iter()
        .zip([&loader, &validator, &transformer, &bi])
    {
        // Roles are cluster-wide and cannot be made inside the transaction below without
        // racing the inits of other databases: one statement each, before it.
        if !report.created.iter().any(|c| c == name) && ensure_role(client, name, quoted).await? {
            report.created.push(name.to_owned());
        }
    }
    let tx = client.transaction().await?;
    // Two inits of one database must not grant on the same objects at once ("tuple
    // concurrently updated"); advisory locks are per database.
    tx.execute(
        "SELECT pg_advisory_xact_lock($1)",
        &[&advisory_key("access", None)],
    )
    .await?;
    for name in all {
        check_attributes(&tx, name).await?;
    }
    for writer in [&loader, &validator, &transformer] {
        run_grants(&tx, WRITER_ROLE_SQL, writer).await?;
    }
    for reader in [&validator, &transformer] {
        run_grants(&tx, STAGING_READER_ROLE_SQL, reader).await?;
    }
    report.staging_handed_over = grant_loader(&tx, roles.loader, &loader).await?;
    run_grants(&tx, VALIDATOR_ROLE_SQL, &validator).await?;
    run_grants(&tx, TRANSFORMER_ROLE_SQL, &transformer).await?;
    run_grants(&tx, BI_ROLE_SQL, &bi).await?;
    tx.commit().await?;
    Ok(report)
}

/// The loader's grants, and the staging tables handed to it; returns how many.
async fn grant_loader(client: &impl GenericClient, name: &str, quoted: &str) -> Result<u64> {
    let mut handed = 0;
    for statement in statements::parse(LOADER_ROLE_SQL) {
        if statement.name != STAGING_NOT_OWNED {
            client
                .batch_execute(&statement.sql.replace("{role}", quoted))
                .await?;
            continue;
        }
        let tables: Vec<String> = client
            .query(statement.sql, &[&name])
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        if tables.is_empty() {
            continue;
        }
        // Giving a table away takes membership in the receiving role (a superuser has it);
        // an owner with CREATEROLE grants it to itself.
        let member: bool = client
            .query_one(
                "SELECT rolsuper OR pg_has_role(current_user, $1, 'MEMBER') FROM pg_roles WHERE rolname = current_user",
                &[&name],
            )
            .await?
            .get(0);
        if !member {
            client
                .batch_execute(&format!("GRANT {quoted} TO CURRENT_USER"))
                .await?;
        }
        for table in &tables {
            // `table` is a quoted, schema-qualified name from format('%I.%I').
            client
                .batch_execute(&format!("ALTER TABLE {table} OWNER TO {quoted}"))
                .await?;
        }
        handed += tables.len() as u64;
    }
    Ok(handed)
}

/// Creates role `name` (`NOLOGIN`) unless it exists; whether it was created now.
async fn ensure_role(client: &impl GenericClient, name: &str, quoted: &str) -> Result<bool> {
    let exists: bool = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)",
            &[&name],
        )
        .await?
        .get(0);
    if exists {
        return Ok(false);
    }
    match client
        .batch_execute(&format!("CREATE ROLE {quoted} NOLOGIN"))
        .await
    {
        Ok(()) => Ok(true),
        // Another init created it in the meantime: roles are server-wide.
        Err(e) if e.code() == Some(&SqlState::DUPLICATE_OBJECT) => Ok(false),
        Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Refuses an existing role whose attributes go beyond what any pipeline role may do.
async fn check_attributes(client: &impl GenericClient, name: &str) -> Result<()> {
    let row = client
        .query_opt(
            "SELECT array_remove(ARRAY[
                    CASE WHEN rolsuper THEN 'SUPERUSER' END, CASE WHEN rolcreaterole THEN 'CREATEROLE' END,
                    CASE WHEN rolcreatedb THEN 'CREATEDB' END, CASE WHEN rolreplication THEN 'REPLICATION' END,
                    CASE WHEN rolbypassrls THEN 'BYPASSRLS' END], NULL)
             FROM pg_roles WHERE rolname = $1",
            &[&name],
        )
        .await?;
    let extra: Vec<String> = row.map(|r| r.get(0)).unwrap_or_default();
    if extra.is_empty() {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "role {name:?} has {}: a pipeline role must not (name another role in the configuration)",
            extra.join(", ")
        )))
    }
}

/// Runs the statements of an access file with `{role}` replaced by the quoted role name.
async fn run_grants(client: &impl GenericClient, sql: &'static str, quoted: &str) -> Result<()> {
    for statement in statements::parse(sql) {
        client
            .batch_execute(&statement.sql.replace("{role}", quoted))
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use retention_testing::TestDb;

    use super::*;

    /// Runs `sql` as `role` in its own transaction; the SQLSTATE it fails with, if it fails.
    async fn as_role(c: &mut Client, role: &str, sql: &str) -> Option<String> {
        let tx = c.transaction().await.unwrap();
        tx.batch_execute(&format!("SET LOCAL ROLE {role}"))
            .await
            .unwrap();
        let out = tx
            .batch_execute(sql)
            .await
            .err()
            .map(|e| e.code().map(|c| c.code().to_owned()).unwrap_or_default());
        drop(tx);
        out
    }

    #[tokio::test]
    async fn the_bi_role_reads_marts_and_ops_and_nothing_else_and_writes_nothing() {
        let db = TestDb::migrated().await;
        let mut c = db.client().await;
        grant_bi_role(&c, DEFAULT_BI_ROLE).await.unwrap();
        // Again: init runs it every time.
        assert!(!grant_bi_role(&c, DEFAULT_BI_ROLE).await.unwrap());
        let relations: Vec<(String, String)> = c
            .query(
                "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname IN ('marts', 'ops') AND c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition \
                 ORDER BY 1, 2",
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        assert!(relations.len() >= 13, "{relations:?}");
        for (schema, rel) in &relations {
            let columns = if rel == "validation_results" {
                "result_id, suite, expectation_type, column_name, kwargs, severity, success, unexpected_count"
            } else {
                "*"
            };
            let sql = format!("SELECT {columns} FROM {schema}.{rel} LIMIT 1");
            assert_eq!(as_role(&mut c, "retention_bi", &sql).await, None, "{sql}");
        }
        let denied = [
            "SELECT * FROM staging.events LIMIT 1",
            "SELECT * FROM staging.users LIMIT 1",
            "SELECT * FROM quarantine.rejected_rows LIMIT 1",
            "SELECT email FROM dw.dim_user LIMIT 1",
            "SELECT * FROM dw.fact_user_events LIMIT 1",
            "SELECT * FROM mart_state.sessions LIMIT 1",
            "SELECT result FROM ops.validation_results LIMIT 1",
            "SELECT observed_value FROM ops.validation_results LIMIT 1",
            "INSERT INTO ops.task_runs (step) VALUES ('x')",
            "DELETE FROM ops.table_stats",
            "UPDATE marts.sales_weekly SET orders = 0",
            "CREATE TABLE marts.mine (x int)",
            "CREATE TABLE ops.mine (x int)",
            "SELECT mart_state.rebuild()",
        ];
        for sql in denied {
            assert_eq!(
                as_role(&mut c, "retention_bi", sql).await.as_deref(),
                Some("42501"),
                "{sql} must be refused for lack of privilege"
            );
        }
        // Objects created later in ops and marts are readable without another init.
        c.batch_execute("CREATE TABLE ops.later (x int); CREATE VIEW marts.later AS SELECT 1 AS x")
            .await
            .unwrap();
        for sql in ["SELECT * FROM ops.later", "SELECT * FROM marts.later"] {
            assert_eq!(as_role(&mut c, "retention_bi", sql).await, None, "{sql}");
        }
    }

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
             INSERT INTO ops.load_audit (run_id, batch_date, source_file, rows_read, rows_staged, rows_rejected) \
             SELECT run_id, '2026-01-05', 'events.csv', 0, 0, 0 FROM r",
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

    #[tokio::test]
    async fn roles_that_would_break_the_promises_are_refused() {
        let db = TestDb::migrated().await;
        let mut c = db.client().await;
        let defaults = PipelineRoles::default();
        for (roles, needle) in [
            (
                PipelineRoles {
                    bi: DEFAULT_LOADER_ROLE,
                    ..defaults
                },
                "read-only",
            ),
            (
                PipelineRoles {
                    transformer: DEFAULT_LOADER_ROLE,
                    ..defaults
                },
                "must differ",
            ),
            (
                PipelineRoles {
                    loader: "Loader",
                    ..defaults
                },
                "plain lower-case",
            ),
        ] {
            let e = grant_pipeline_roles(&mut c, &roles).await.unwrap_err();
            assert!(e.to_string().contains(needle), "{roles:?}: {e}");
        }
        // An existing role with more rights than a pipeline role may have.
        let mighty = format!("{}_mighty", db.name());
        c.batch_execute(&format!("CREATE ROLE {mighty} NOLOGIN CREATEROLE"))
            .await
            .unwrap();
        let e = grant_pipeline_roles(
            &mut c,
            &PipelineRoles {
                transformer: &mighty,
                ..defaults
            },
        )
        .await
        .unwrap_err();
        c.batch_execute(&format!("DROP ROLE {mighty}"))
            .await
            .unwrap();
        assert!(e.to_string().contains("CREATEROLE"), "{e}");
        // Validating with the loader's rights is a choice the configuration may make.
        grant_pipeline_roles(
            &mut c,
            &PipelineRoles {
                validator: DEFAULT_LOADER_ROLE,
                ..defaults
            },
        )
        .await
        .unwrap();
    }

    #[test]
    fn role_names_are_plain_identifiers_or_refused() {
        assert_eq!(
            quote_role("retention_bi").ok().as_deref(),
            Some("\"retention_bi\"")
        );
        for bad in [
            "",
            "Bi",
            "1bi",
            "bi;drop",
            "bi\"x",
            "pg_read",
            &"x".repeat(64),
        ] {
            assert!(quote_role(bad).is_err(), "{bad:?} accepted");
        }
    }
}
