//! Least privilege for real (issue 14): `retention init` as the admin, then every step as a
//! login user that is only a member of its step's role, for three days; the warehouse equals
//! one the admin built from the same days, and what a role must not do it cannot.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::{path::Path, process::Output};

use common::{last_json_line, retention, stderr};
use retention_model::DbConfig;
use retention_testing::TestDb;
use tokio_postgres::Client;

/// The schemas compared between two warehouses.
const SCHEMAS: &[&str] = &["staging", "quarantine", "dw", "marts", "mart_state"];

const CONFIG_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config");
const DAYS: [&str; 3] = ["2026-01-01", "2026-01-02", "2026-01-03"];
const PASSWORD: &str = "roles-test";

/// The test's roles, named after its database (roles are server-wide and tests run in
/// parallel), and the login users that are members of them.
struct Roles {
    prefix: String,
}

impl Roles {
    fn role(&self, kind: &str) -> String {
        format!("{}_{kind}", self.prefix)
    }

    fn user(&self, kind: &str) -> String {
        format!("{}_u_{kind}", self.prefix)
    }
}

/// Drops the test's login users and roles once the databases are gone (declared before
/// them, so dropped after them).
struct DropRoles(Vec<String>);

impl Drop for DropRoles {
    fn drop(&mut self) {
        let names = std::mem::take(&mut self.0);
        let admin = retention_testing::server().admin.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                if let Ok(c) = admin.connect().await {
                    for name in names {
                        let _ = c
                            .batch_execute(&format!("DROP ROLE IF EXISTS {name}"))
                            .await;
                    }
                }
            });
        })
        .join();
    }
}

/// `db`'s URL for `user` (instead of the admin).
fn url_as(db: &TestDb, user: &str) -> String {
    let url = db.url();
    let (_, rest) = url.split_once('@').unwrap();
    format!("postgres://{user}:{PASSWORD}@{rest}")
}

async fn connect_as(db: &TestDb, user: &str) -> Client {
    DbConfig::from_url(&url_as(db, user))
        .unwrap()
        .connect()
        .await
        .unwrap()
}

/// Runs `retention` with the test's configuration and data directory against `url`.
fn step(config: &Path, data: &Path, url: &str, args: &[&str]) -> Output {
    let mut all = vec![
        "--config",
        config.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
        "--database-url",
        url,
    ];
    all.extend_from_slice(args);
    retention(&all)
}

#[track_caller]
fn ok(out: &Output, what: &str) {
    assert_eq!(out.status.code(), Some(0), "{what} failed: {}", stderr(out));
}

/// The SQLSTATE `sql` fails with, if it fails.
async fn refused(c: &Client, sql: &str) -> Option<String> {
    c.batch_execute(sql)
        .await
        .err()
        .map(|e| e.code().map(|c| c.code().to_owned()).unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pipeline_runs_as_its_roles_builds_what_the_admin_builds_and_each_role_can_do_no_more()
{
    let mut cleanup = DropRoles(Vec::new());
    let admin_db = TestDb::migrated().await;
    let db = TestDb::migrated().await;
    let roles = Roles {
        prefix: db.name().to_owned(),
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("retention.yaml");
    std::fs::write(
        &config,
        format!(
            "generator: {CONFIG_DIR}/generator.yaml\n\
             dimensions: {CONFIG_DIR}/dimensions.yaml\n\
             expectations: [{CONFIG_DIR}/expectations]\n\
             seed: 42\n\
             scale: 1.0\n\
             bi_role: {}\n\
             loader_role: {}\n\
             validator_role: {}\n\
             transformer_role: {}\n",
            roles.role("bi"),
            roles.role("loader"),
            roles.role("validator"),
            roles.role("transformer"),
        ),
    )
    .unwrap();
    cleanup.0 = ["load", "load2", "check", "xform", "read"]
        .iter()
        .map(|k| roles.user(k))
        .chain(
            ["loader", "validator", "transformer", "bi"]
                .iter()
                .map(|k| roles.role(k)),
        )
        .collect();

    // init as the admin, on both warehouses: it creates the roles.
    for d in [&admin_db, &db] {
        let out = step(&config, &data, &d.url(), &["init"]);
        ok(&out, "init");
        let line = last_json_line(&out);
        assert_eq!(line["loader_role"], roles.role("loader").as_str());
        assert_eq!(line["transformer_role"], roles.role("transformer").as_str());
    }
    // Login users, members of one role each, as an operator makes them (README). A session
    // of a loading user acts as the role, so the partitions it creates belong to the role
    // and any other loading user can replace them.
    let admin = db.client().await;
    for (user, role, act_as) in [
        ("load", "loader", true),
        ("load2", "loader", true),
        ("check", "validator", false),
        ("xform", "transformer", false),
        ("read", "bi", false),
    ] {
        let (user, role) = (roles.user(user), roles.role(role));
        admin
            .batch_execute(&format!(
                "CREATE ROLE {user} LOGIN PASSWORD '{PASSWORD}' IN ROLE {role}"
            ))
            .await
            .unwrap();
        if act_as {
            admin
                .batch_execute(&format!("ALTER ROLE {user} SET role = '{role}'"))
                .await
                .unwrap();
        }
    }

    let out = step(
        &config,
        &data,
        &db.url(),
        &["generate", "--from", DAYS[0], "--to", DAYS[2]],
    );
    ok(&out, "generate");
    let as_admin = admin_db.url();
    let (load, check, xform) = (
        url_as(&db, &roles.user("load")),
        url_as(&db, &roles.user("check")),
        url_as(&db, &roles.user("xform")),
    );
    for day in DAYS {
        for (name, admin_url, role_url) in [
            ("load", &as_admin, &load),
            ("validate", &as_admin, &check),
            ("scd", &as_admin, &xform),
            ("transform", &as_admin, &xform),
        ] {
            ok(
                &step(&config, &data, admin_url, &[name, "--date", day]),
                &format!("{name} {day} as the admin"),
            );
            ok(
                &step(&config, &data, role_url, &[name, "--date", day]),
                &format!("{name} {day} as its role"),
            );
        }
    }
    // Another loading user replaces a day the first one loaded (and the admin its own).
    let load2 = url_as(&db, &roles.user("load2"));
    for (url, who) in [(&load2, "a second loading user"), (&as_admin, "the admin")] {
        ok(
            &step(&config, &data, url, &["load", "--date", DAYS[1]]),
            &format!("reload by {who}"),
        );
    }

    // Steps run as a role that is not theirs fail, and change nothing.
    let read = url_as(&db, &roles.user("read"));
    for (url, args) in [
        (&xform, ["load", "--date", DAYS[2]]),
        (&load, ["scd", "--date", DAYS[2]]),
        (&check, ["transform", "--date", DAYS[2]]),
        (&read, ["transform", "--date", DAYS[2]]),
    ] {
        let out = step(&config, &data, url, &args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("permission denied"),
            "{args:?}: {}",
            stderr(&out)
        );
        assert_eq!(last_json_line(&out)["status"], "error");
    }

    // The same warehouse as the admin's, table by table.
    let by_admin = retention_testing::checksums(&admin_db.client().await, SCHEMAS).await;
    let by_roles = retention_testing::checksums(&admin, SCHEMAS).await;
    assert_eq!(by_roles, by_admin);
    for table in [
        "staging.events",
        "dw.dim_user",
        "dw.fact_user_events",
        "quarantine.rejected_rows",
        "mart_state.sessions",
        "marts.sales_weekly",
    ] {
        assert!(by_roles[table].0 > 0, "{table} is empty: {by_roles:?}");
    }
    // Every step that ran as its role ended ok; only the misplaced ones failed.
    let runs: Vec<(String, String, i64)> = admin
        .query(
            "SELECT step, status, count(*) FROM ops.task_runs GROUP BY 1, 2 ORDER BY 1, 2",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    let expect = |step: &str, status: &str, n: i64| (step.to_owned(), status.to_owned(), n);
    assert_eq!(
        runs,
        [
            expect("init", "ok", 1),
            expect("load", "error", 1),
            expect("load", "ok", 4),
            expect("scd", "error", 1),
            expect("scd", "ok", 3),
            expect("transform", "error", 1),
            expect("transform", "ok", 3),
            expect("validate", "ok", 3),
        ]
    );
    let owners: Vec<String> = admin
        .query(
            "SELECT DISTINCT pg_get_userbyid(c.relowner)::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'staging' AND c.relkind IN ('r', 'p')",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(owners, [roles.role("loader")]);

    // What each login user must not do, it cannot.
    let partition = "staging.events_20260102";
    let denied = [
        (
            "load",
            vec![
                "INSERT INTO dw.fact_user_events (event_id) VALUES ('x')".to_owned(),
                "SELECT email FROM dw.dim_user".to_owned(),
                "CREATE TABLE dw.mine (x int)".to_owned(),
                "DELETE FROM ops.validation_results".to_owned(),
                "CREATE ROLE mine".to_owned(),
            ],
        ),
        (
            "check",
            vec![
                "DELETE FROM staging.events".to_owned(),
                "SELECT * FROM quarantine.rejected_rows".to_owned(),
                "SELECT email FROM dw.dim_user".to_owned(),
                format!("DROP TABLE {partition}"),
            ],
        ),
        (
            "xform",
            vec![
                format!("DROP TABLE {partition}"),
                "DROP TABLE staging.events".to_owned(),
                "TRUNCATE staging.users".to_owned(),
                "CREATE ROLE mine".to_owned(),
                "CREATE TABLE dw.mine (x int)".to_owned(),
                "ALTER TABLE dw.fact_user_events ADD COLUMN mine int".to_owned(),
                "INSERT INTO ops.load_audit (batch_date, source_file, rows_read, rows_staged, rows_rejected) \
                 VALUES (current_date, 'x', 0, 0, 0)"
                    .to_owned(),
            ],
        ),
        (
            "read",
            vec![
                "INSERT INTO ops.task_runs (step) VALUES ('x')".to_owned(),
                "UPDATE ops.task_runs SET status = 'ok'".to_owned(),
                "DELETE FROM marts.sales_weekly".to_owned(),
                "SELECT * FROM staging.events".to_owned(),
                "SELECT * FROM dw.fact_user_events".to_owned(),
                "CREATE TABLE marts.mine (x int)".to_owned(),
            ],
        ),
    ];
    for (user, statements) in denied {
        let c = connect_as(&db, &roles.user(user)).await;
        for sql in statements {
            assert_eq!(
                refused(&c, &sql).await.as_deref(),
                Some("42501"),
                "{user}: {sql} must be refused for lack of privilege"
            );
        }
    }
    // The BI user reads what the roles built.
    let bi = connect_as(&db, &roles.user("read")).await;
    let weeks: i64 = bi
        .query_one("SELECT count(*) FROM marts.sales_weekly", &[])
        .await
        .unwrap()
        .get(0);
    assert!(weeks > 0);
}
