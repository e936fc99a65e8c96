//! The `retention` binary as a user runs it: help, exit codes, the JSON line, connection errors.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns panic by design

use std::process::Command;

mod common;

use common::{last_json_line, retention, stderr};
use retention_testing::TestDb;

#[test]
fn help_explains_every_command() {
    let mut all = String::new();
    for cmd in [
        "",
        "init",
        "generate",
        "load",
        "manifest",
        "validate",
        "scd",
        "transform",
        "run",
        "demo",
        "report",
    ] {
        let args: Vec<&str> = if cmd.is_empty() {
            vec!["--help"]
        } else {
            vec![cmd, "--help"]
        };
        let out = retention(&args);
        assert!(out.status.success(), "{cmd} --help failed");
        all.push_str(&format!(
            "$ retention {}\n{}\n",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout)
        ));
    }
    insta::assert_snapshot!("help", all);
}

#[test]
fn misuse_is_a_usage_error_with_exit_code_2() {
    let out = retention(&["load", "--date", "not-a-date"]);
    assert_eq!(out.status.code(), Some(2));
    let out = retention(&["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
}

/// A dimensions file the configuration names but that is not there is an error naming it,
/// not a silent fallback to the built-in dimensions.
#[test]
fn a_configured_dimensions_file_that_is_missing_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("retention.yaml");
    std::fs::write(&config, "dimensions: my-dimensions.yaml\n").unwrap();
    let out = retention(&[
        "scd",
        "--date",
        "2026-01-05",
        "--config",
        config.to_str().unwrap(),
        "--database-url",
        "postgres://nobody@127.0.0.1:1/none",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("my-dimensions.yaml") && err.contains("dimensions:"),
        "{err}"
    );
    assert_eq!(last_json_line(&out)["status"], "error");
}

/// A range that fails part-way keeps its range and says which days it published.
#[test]
fn a_failed_generate_range_keeps_its_range_and_days_in_the_json_line() {
    let dir = tempfile::tempdir().unwrap();
    // A file where the second day's directory must go.
    std::fs::write(dir.path().join("dt=2026-01-02"), "in the way").unwrap();
    let out = retention(&[
        "generate",
        "--from",
        "2026-01-01",
        "--to",
        "2026-01-03",
        "--threads",
        "1",
        "--scale",
        "0.05",
        "--data-dir",
        dir.path().to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let json = last_json_line(&out);
    assert_eq!(json["status"], "error", "{json}");
    assert_eq!(json["from"], "2026-01-01", "{json}");
    assert_eq!(json["to"], "2026-01-03", "{json}");
    let days = json["days"].as_array().expect("a per-day array");
    assert_eq!(days.len(), 3, "{json}");
    assert_eq!(days[1]["date"], "2026-01-02");
    assert_eq!(days[1]["written"], false, "{json}");
}

#[tokio::test]
async fn init_migrates_and_reports_one_json_line_then_is_a_no_op() {
    let db = TestDb::empty().await;
    let url = db.url();
    let out = retention(&["init", "--database-url", &url]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = last_json_line(&out);
    assert_eq!(report["step"], "init");
    assert_eq!(report["status"], "ok");
    assert_eq!(
        report["migrations_applied"].as_array().map(Vec::len),
        Some(retention_model::MIGRATIONS.len())
    );
    let again = retention(&["--database-url", &url, "init"]);
    assert_eq!(again.status.code(), Some(0));
    let report = last_json_line(&again);
    assert_eq!(
        report["migrations_applied"].as_array().map(Vec::len),
        Some(0)
    );
    let client = db.client().await;
    let runs: i64 = client
        .query_one(
            "SELECT count(*) FROM ops.task_runs WHERE step = 'init' AND status = 'ok'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(runs, 2);
}

#[test]
fn an_unreachable_host_gives_one_clear_line_and_exit_code_1() {
    let out = retention(&[
        "init",
        "--database-url",
        "postgres://alice:topsecret@127.0.0.1:1/wh",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].starts_with(
            "error: cannot connect to PostgreSQL at 127.0.0.1:1, database \"wh\", user \"alice\": "
        ),
        "{stderr}"
    );
    assert!(errors[0].contains("refused"), "{stderr}");
    assert!(!stderr.contains("topsecret"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("topsecret"));
    assert_eq!(last_json_line(&out)["status"], "error");
}

#[test]
fn a_wrong_password_gives_the_servers_reason_and_exit_code_1() {
    let base = std::env::temp_dir().join("retention-cli-test-clusters");
    let cluster =
        retention_localpg::LocalCluster::start_with(&base, Some("right-password")).unwrap();
    let url = format!(
        "postgres://postgres:wrong-password@127.0.0.1:{}/postgres",
        cluster.port()
    );
    let out = retention(&["init", "--database-url", &url]);
    let ok_url = format!(
        "postgres://postgres:right-password@127.0.0.1:{}/postgres",
        cluster.port()
    );
    let ok = retention(&["init", "--database-url", &ok_url]);
    cluster.stop().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].contains("password authentication failed for user \"postgres\""),
        "{stderr}"
    );
    assert!(!stderr.contains("wrong-password"));
    assert_eq!(
        ok.status.code(),
        Some(0),
        "the right password must work: {}",
        String::from_utf8_lossy(&ok.stderr)
    );
}

#[tokio::test]
async fn libpq_environment_variables_are_used_without_a_url() {
    let db = TestDb::empty().await;
    let cfg = db.config().pg_config();
    let host = match cfg.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        _ => "127.0.0.1".to_owned(),
    };
    let port = cfg.get_ports().first().copied().unwrap_or(5432).to_string();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_retention"));
    cmd.arg("init")
        .env_remove("DATABASE_URL")
        .env("PGHOST", &host)
        .env("PGPORT", &port)
        .env("PGDATABASE", db.name());
    cmd.env("PGUSER", cfg.get_user().unwrap_or("postgres"));
    if let Some(pw) = cfg.get_password() {
        cmd.env("PGPASSWORD", String::from_utf8_lossy(pw).into_owned());
    }
    let out = cmd.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let client = db.client().await;
    let n: i64 = client
        .query_one("SELECT count(*) FROM ops.schema_migrations", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, retention_model::MIGRATIONS.len() as i64);
}

#[tokio::test]
async fn scd_of_a_day_not_yet_loaded_is_refused_and_merges_once_the_day_is_loaded() {
    let db = TestDb::migrated().await;
    let url = db.url();
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap();
    let step = |args: &[&str]| {
        let mut all = vec!["--database-url", url.as_str(), "--data-dir", dir];
        all.extend(args);
        retention(&all)
    };
    let ok = |out: &std::process::Output| {
        assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
    };
    for day in ["2026-01-01", "2026-01-02"] {
        ok(&step(&["generate", "--date", day]));
    }
    for s in ["load", "validate", "scd"] {
        ok(&step(&[s, "--date", "2026-01-01"]));
    }
    // 01-02 is generated but not loaded: merged now, its empty feed batch would be recorded
    // and the real one refused as changed once loaded.
    let early = step(&["scd", "--date", "2026-01-02"]);
    assert_eq!(early.status.code(), Some(2), "a usage error");
    let refused = stderr(&early);
    assert!(
        refused.contains("2026-01-02 has not been loaded")
            && refused.contains("retention load --date 2026-01-02"),
        "{refused}"
    );
    assert_eq!(last_json_line(&early)["status"], "error");
    let client = db.client().await;
    let merged: i64 = client
        .query_one(
            "SELECT count(*) FROM ops.scd_batches WHERE batch_date = '2026-01-02'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(merged, 0, "nothing recorded as merged");
    for s in ["load", "validate", "scd"] {
        ok(&step(&[s, "--date", "2026-01-02"]));
    }
    let row = client
        .query_one(
            "SELECT count(*), count(*) FILTER (WHERE dimension = 'dim_user' \
             AND (stats ->> 'rows_in')::bigint > 0) \
             FROM ops.scd_batches WHERE batch_date = '2026-01-02'",
            &[],
        )
        .await
        .unwrap();
    let (merged, users): (i64, i64) = (row.get(0), row.get(1));
    assert_eq!(
        (merged, users),
        (2, 1),
        "both dimensions merged the loaded feeds"
    );
}
