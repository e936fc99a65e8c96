//! The harness's own tests. CI runs them a second time with `RETENTION_TEST_DB=container`,
//! so the Testcontainers path is proven, not assumed.

use retention_testing::{ServerKind, TestDb, server};

#[tokio::test]
async fn each_test_gets_its_own_migrated_database() {
    let a = TestDb::migrated().await;
    let b = TestDb::migrated().await;
    assert_ne!(a.name(), b.name());
    let ca = a.client().await;
    let cb = b.client().await;
    ca.execute("INSERT INTO ops.erasures (user_id, deleted_at, batch_date) VALUES (7, now(), current_date)", &[])
        .await
        .unwrap();
    let in_b: i64 = cb
        .query_one("SELECT count(*) FROM ops.erasures", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        in_b, 0,
        "rows of one test database must not be visible in another"
    );
    let migrations: i64 = cb
        .query_one("SELECT count(*) FROM ops.schema_migrations", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(migrations, retention_model::MIGRATIONS.len() as i64);
}

#[tokio::test]
async fn an_empty_database_has_no_warehouse_schema() {
    let db = TestDb::empty().await;
    let c = db.client().await;
    let ops: bool = c
        .query_one("SELECT to_regnamespace('ops') IS NOT NULL", &[])
        .await
        .unwrap()
        .get(0);
    assert!(!ops);
}

#[tokio::test]
async fn a_dropped_test_database_is_gone() {
    let db = TestDb::empty().await;
    let name = db.name().to_owned();
    drop(db);
    let admin = server().admin.connect().await.unwrap();
    let left: i64 = admin
        .query_one(
            "SELECT count(*) FROM pg_database WHERE datname = $1",
            &[&name],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0);
}

#[tokio::test]
async fn the_server_is_the_one_that_was_asked_for() {
    let s = server();
    match std::env::var("RETENTION_TEST_DB").as_deref() {
        Ok("container") => {
            assert_eq!(s.kind, ServerKind::Container);
            let id = s.container_id.clone().unwrap();
            // The database really lives in the container: ask Docker what it runs.
            let out = std::process::Command::new("docker")
                .args([
                    "inspect",
                    "--format",
                    "{{.Config.Image}} {{.State.Running}}",
                    &id,
                ])
                .output()
                .unwrap();
            assert_eq!(
                String::from_utf8_lossy(&out.stdout).trim(),
                "postgres:15 true"
            );
            let db = TestDb::migrated().await;
            let c = db.client().await;
            let version: String = c
                .query_one("SHOW server_version", &[])
                .await
                .unwrap()
                .get(0);
            assert!(version.starts_with("15"), "{version}");
            eprintln!("created database {} in container {id}", db.name());
        }
        Ok("local") => assert_eq!(s.kind, ServerKind::Local),
        Ok("url") => assert_eq!(s.kind, ServerKind::Url),
        _ => {
            let expected = if std::env::var("DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
                ServerKind::Url
            } else {
                s.kind
            };
            assert_eq!(s.kind, expected);
        }
    }
}
