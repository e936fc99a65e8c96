//! Who may read what: the read-only BI role that dashboards and analysts use.
//!
//! [`grant_bi_role`] creates the role (`NOLOGIN`; give a login user membership with
//! `GRANT retention_bi TO alice`) when it is missing and grants it `SELECT` on the `marts`
//! views and the `ops` run history, again on objects created later (default privileges). It
//! cannot read `staging`, `quarantine`, `dw` or `mart_state`, nor the sample values that
//! `ops.validation_results` keeps, and cannot write anything. The SQL is
//! `sql/access/bi_role.sql`.

use tokio_postgres::{Client, error::SqlState};

use crate::{Error, Result, transform::statements};

/// The BI role's name when the configuration names none.
pub const DEFAULT_BI_ROLE: &str = "retention_bi";

const BI_ROLE_SQL: &str = include_str!("../../../sql/access/bi_role.sql");

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

/// Creates the read-only BI role `name` if it does not exist and (re)grants its privileges;
/// returns whether the role was created now. Safe to run again and concurrently.
pub async fn grant_bi_role(client: &Client, name: &str) -> Result<bool> {
    let quoted = quote_role(name)?;
    let exists: bool = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)",
            &[&name],
        )
        .await?
        .get(0);
    let mut created = false;
    if !exists {
        match client
            .batch_execute(&format!("CREATE ROLE {quoted} NOLOGIN"))
            .await
        {
            Ok(()) => created = true,
            // Another init created it in the meantime: roles are server-wide.
            Err(e) if e.code() == Some(&SqlState::DUPLICATE_OBJECT) => {}
            Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {}
            Err(e) => return Err(e.into()),
        }
    }
    for statement in statements::parse(BI_ROLE_SQL) {
        client
            .batch_execute(&statement.sql.replace("{role}", &quoted))
            .await?;
    }
    Ok(created)
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
