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

const BI_ROLE_SQL: &str = include_str!("../../sql/access/bi_role.sql");
const WRITER_ROLE_SQL: &str = include_str!("../../sql/access/writer_role.sql");
const STAGING_READER_ROLE_SQL: &str = include_str!("../../sql/access/staging_reader_role.sql");
const LOADER_ROLE_SQL: &str = include_str!("../../sql/access/loader_role.sql");
const VALIDATOR_ROLE_SQL: &str = include_str!("../../sql/access/validator_role.sql");
const TRANSFORMER_ROLE_SQL: &str = include_str!("../../sql/access/transformer_role.sql");

/// The statement of `loader_role.sql` that lists the staging tables to hand to the loader.
const STAGING_NOT_OWNED: &str = "staging_not_owned";

/// Checks that `name` is a plain lower-case PostgreSQL identifier (letters, digits, `_`,
/// not starting with a digit, at most 63 bytes) and returns it double-quoted.
pub fn quote_role(name: &str) -> Result<String> {
    if !retention_pgsql::is_plain(name) || retention_pgsql::is_reserved(name) {
        return Err(Error::Config(format!(
            "role name {name:?} is not a plain lower-case identifier (a-z, 0-9, _; not starting with a digit or pg_; at most 63 bytes)"
        )));
    }
    Ok(retention_pgsql::quote_ident(name))
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
mod tests;
