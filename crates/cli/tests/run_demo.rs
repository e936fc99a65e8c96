//! `retention run` and `retention demo` as a user runs them: the JSON line, the summary table,
//! the quality gate's exit code passing through with the day and step named, and the demo on
//! its own throwaway cluster leaving nothing behind.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns panic by design

use std::{path::Path, process::Command};

mod common;

use common::{last_json_line, retention, stderr};
use retention_testing::TestDb;

const CONFIG_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config");

/// A copy of the project's configuration with one generator line replaced.
fn config_with(dir: &Path, from: &str, to: &str) -> String {
    let cfg = dir.join("config");
    std::fs::create_dir_all(cfg.join("expectations")).unwrap();
    for entry in std::fs::read_dir(CONFIG_DIR).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, cfg.join(path.file_name().unwrap())).unwrap();
        }
    }
    for entry in std::fs::read_dir(Path::new(CONFIG_DIR).join("expectations")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(
            &path,
            cfg.join("expectations").join(path.file_name().unwrap()),
        )
        .unwrap();
    }
    let generator = std::fs::read_to_string(cfg.join("generator.yaml")).unwrap();
    assert!(
        generator.contains(from),
        "generator.yaml has no line {from:?}"
    );
    std::fs::write(cfg.join("generator.yaml"), generator.replace(from, to)).unwrap();
    cfg.join("retention.yaml").to_str().unwrap().to_owned()
}

/// Run from a directory with no `config/` (the test's working directory is the crate's): the
/// built-in configuration, including the default suites, is used.
#[tokio::test]
async fn run_goes_through_every_step_of_every_day_and_reports_them() {
    let db = TestDb::empty().await;
    let url = db.url();
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().to_str().unwrap();
    let out = retention(&[
        "run",
        "--from",
        "2026-01-01",
        "--to",
        "2026-01-03",
        "--database-url",
        &url,
        "--data-dir",
        data_dir,
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    // Not a terminal: one plain line per step, then the summary table.
    for day in ["2026-01-01", "2026-01-02", "2026-01-03"] {
        for step in ["generate", "load", "validate", "scd", "transform"] {
            assert!(
                err.lines()
                    .any(|l| l.starts_with(day) && l.contains(step) && l.ends_with("rows/s")),
                "no progress line for {day} {step}:\n{err}"
            );
        }
    }
    assert!(err.contains("quarantined"), "no summary table:\n{err}");
    let json = last_json_line(&out);
    assert_eq!(json["status"], "ok", "{json}");
    assert_eq!(json["days"].as_array().map(Vec::len), Some(3), "{json}");

    // The JSON's figures are the warehouse's: facts in = rows out of the run.
    let client = db.client().await;
    let facts: i64 = client
        .query_one("SELECT count(*) FROM dw.fact_user_events", &[])
        .await
        .unwrap()
        .get(0);
    assert!(facts > 0);
    assert_eq!(json["rows_out"].as_i64(), Some(facts), "{json}");
    let runs: i64 = client
        .query_one(
            "SELECT count(*) FROM ops.task_runs WHERE status = 'ok' AND batch_date BETWEEN '2026-01-01' AND '2026-01-03' AND host IS NOT NULL",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    // generate touches no database; the four other steps of each day record themselves.
    assert_eq!(
        runs, 12,
        "four steps of three days, each recorded with its host"
    );
}

#[tokio::test]
async fn run_stops_at_the_quality_gate_with_exit_3_naming_the_day_and_the_step() {
    let db = TestDb::empty().await;
    let url = db.url();
    let dir = tempfile::tempdir().unwrap();
    let config = config_with(dir.path(), "missing_user_id: 0.002", "missing_user_id: 0.2");
    let data_dir = dir.path().join("landing");
    let out = retention(&[
        "run",
        "--from",
        "2026-01-01",
        "--to",
        "2026-01-03",
        "--database-url",
        &url,
        "--config",
        &config,
        "--data-dir",
        data_dir.to_str().unwrap(),
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("day 2026-01-01, step validate:"),
        "the error names the day and the step:\n{err}"
    );
    // The JSON line keeps the range and the days as far as they went.
    let json = last_json_line(&out);
    assert_eq!(json["status"], "quality_failed", "{json}");
    assert_eq!(json["from"], "2026-01-01", "{json}");
    assert_eq!(json["to"], "2026-01-03", "{json}");
    let days = json["days"].as_array().expect("a per-day array");
    assert_eq!(days.len(), 1, "{json}");
    assert_eq!(days[0]["date"], "2026-01-01");
    let steps: Vec<&str> = days[0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["generate", "load"], "{json}");
    assert_eq!(days[0]["failed"]["step"], "validate", "{json}");
    assert_eq!(days[0]["failed"]["status"], "quality_failed", "{json}");
    // Nothing after the failed step ran: no facts, no transform or scd record.
    let client = db.client().await;
    let later: i64 = client
        .query_one(
            "SELECT count(*) FROM ops.task_runs WHERE step IN ('scd', 'transform')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(later, 0);
    assert!(
        !data_dir.join("dt=2026-01-02").exists(),
        "the second day was not generated"
    );
}

#[test]
fn demo_runs_on_its_own_cluster_prints_the_kpis_and_leaves_nothing_running() {
    if Command::new("sh")
        .args([
            "-c",
            "command -v initdb || ls /usr/lib/postgresql/*/bin/initdb",
        ])
        .output()
        .is_ok_and(|o| !o.status.success())
    {
        panic!("the demo needs PostgreSQL's initdb and pg_ctl: apt-get install -y postgresql");
    }
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("demo-report.html");
    let out = retention(&["demo", "--days", "3", "--report", report.to_str().unwrap()]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    // It ends by saying where the report is, and the report is there.
    let last = err.lines().rev().find(|l| !l.trim().is_empty()).unwrap();
    assert_eq!(last, format!("The report: {}", report.display()), "{err}");
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("id=\"retention\""));
    for table in [
        "Engagement (last 14 days)",
        "Retention cohorts",
        "Funnel (sessions",
        "Weekly sales",
        "Top products",
        "Stopped the throwaway database and removed",
    ] {
        assert!(
            err.to_lowercase().contains(&table.to_lowercase()),
            "{table:?} missing from the demo's output:\n{err}"
        );
    }
    let json = last_json_line(&out);
    assert_eq!(json["embedded"], true, "{json}");
    assert_eq!(json["report"], report.to_str().unwrap(), "{json}");
    assert_eq!(json["status"], "ok", "{json}");
    // The cluster's directory is gone, and no postmaster runs from it.
    let removed = err
        .lines()
        .find_map(|l| l.strip_prefix("Stopped the throwaway database and removed "))
        .unwrap()
        .trim_end_matches('.')
        .to_owned();
    assert!(!Path::new(&removed).exists(), "{removed} still exists");
    let ps = Command::new("ps").args(["-eo", "args"]).output().unwrap();
    assert!(
        !String::from_utf8_lossy(&ps.stdout).contains(&removed),
        "a process still runs from {removed}"
    );
}

/// The demo on a warehouse it was given: a password in DATABASE_URL is never printed (the
/// server trusts local connections, so any password connects).
#[tokio::test]
async fn demo_on_a_given_database_never_prints_its_password() {
    let db = TestDb::empty().await;
    let secret = "Hunter2-never-shown";
    let url = db.url().replacen(
        "postgres://postgres@",
        &format!("postgres://postgres:{secret}@"),
        1,
    );
    assert!(url.contains(secret), "{url}");
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.html");
    let out = Command::new(env!("CARGO_BIN_EXE_retention"))
        .args(["demo", "--days", "1", "--report", report.to_str().unwrap()])
        .env("DATABASE_URL", &url)
        .env("RETENTION_DATA_DIR", dir.path().join("landing"))
        .env_remove("RETENTION_SEED")
        .env_remove("RETENTION_SCALE")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!err.contains(secret), "the password is on stderr:\n{err}");
    assert!(
        !stdout.contains(secret),
        "the password is on stdout:\n{stdout}"
    );
    assert!(!std::fs::read_to_string(&report).unwrap().contains(secret));
    assert!(
        err.contains("Look further:  psql postgres://postgres@")
            && err.contains("password not shown"),
        "{err}"
    );
}
