//! Landing files from a producer other than the generator (issue 15, item 1): a CSV day
//! without a manifest loads with `--no-manifest`, or with a manifest `retention manifest`
//! writes, into the same staging rows as with the generator's manifest; a manifest whose
//! checksum does not match is refused; a day without one says how to proceed. And `run
//! --source files` (item 2): the generator's days, some without their manifest, build the
//! same warehouse as a simulated run; a missing or incomplete day stops it, named.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns panic by design

use std::path::Path;

mod common;
#[path = "common/warehouse.rs"]
mod warehouse;

use common::{last_json_line, retention, stderr};
use retention_model::landing::{MANIFEST_FILE, Manifest, day_dir};
use retention_testing::TestDb;

const DAY: &str = "2026-01-01";

fn date() -> chrono::NaiveDate {
    DAY.parse().unwrap()
}

/// `retention <args> --date DAY --database-url URL --data-dir DATA`.
fn step(args: &[&str], url: &str, data: &Path) -> std::process::Output {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--date", DAY, "--database-url", url, "--data-dir"]);
    all.push(data.to_str().unwrap());
    retention(&all)
}

fn assert_exit(out: &std::process::Output, code: i32) {
    assert_eq!(out.status.code(), Some(code), "{}", stderr(out));
}

/// A generated day (the reference, with the generator's manifest), and the same files copied
/// under another landing directory without their manifest, as a producer that writes none
/// leaves them.
fn landing() -> (tempfile::TempDir, tempfile::TempDir, Manifest) {
    let generated = tempfile::tempdir().unwrap();
    let out = retention(&[
        "generate",
        "--date",
        DAY,
        "--scale",
        "0.3",
        "--data-dir",
        generated.path().to_str().unwrap(),
    ]);
    assert_exit(&out, 0);
    let from = day_dir(generated.path(), date());
    let foreign = tempfile::tempdir().unwrap();
    let to = day_dir(foreign.path(), date());
    std::fs::create_dir_all(&to).unwrap();
    for file in ["events.csv", "users.csv", "products.csv"] {
        std::fs::copy(from.join(file), to.join(file)).unwrap();
    }
    let manifest = Manifest::read(&from).unwrap();
    assert!(manifest.seed.is_some() && manifest.files["events.csv"].rows > 100);
    (generated, foreign, manifest)
}

/// Every staged row of the day and every load reject, as text.
async fn staged(db: &TestDb) -> Vec<String> {
    let c = db.client().await;
    let mut all = Vec::new();
    for sql in [
        "SELECT (t.*)::text FROM staging.events t ORDER BY source_line",
        "SELECT (t.*)::text FROM staging.users t ORDER BY source_line",
        "SELECT (t.*)::text FROM staging.products t ORDER BY source_line",
        "SELECT (source_file, source_line, reason, detail, md5(raw))::text FROM quarantine.rejected_rows ORDER BY source_file, source_line",
    ] {
        all.extend(
            c.query(sql, &[])
                .await
                .unwrap()
                .iter()
                .map(|r| r.get::<_, String>(0)),
        );
    }
    all
}

/// `ops.load_audit`'s `checked_against` and `manifest_rows IS NULL` per file.
async fn audit(db: &TestDb) -> Vec<(String, String, bool)> {
    let c = db.client().await;
    c.query(
        "SELECT source_file, checked_against, manifest_rows IS NULL FROM ops.load_audit ORDER BY source_file",
        &[],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2)))
    .collect()
}

#[tokio::test]
async fn a_day_without_manifest_is_refused_naming_both_remedies_and_loads_with_no_manifest() {
    let (generated, foreign, _) = landing();
    let reference = TestDb::migrated().await;
    assert_exit(&step(&["load"], &reference.url(), generated.path()), 0);
    let expected = staged(&reference).await;
    assert!(expected.len() > 100);

    let db = TestDb::migrated().await;
    let out = step(&["load"], &db.url(), foreign.path());
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "no {MANIFEST_FILE}: the day is not complete, or its producer writes none"
        )) && err.contains(&format!("`retention manifest --date {DAY}`"))
            && err.contains(&format!("`retention load --date {DAY} --no-manifest`")),
        "{err}"
    );
    assert_eq!(staged(&db).await, Vec::<String>::new());

    let out = step(&["load", "--no-manifest"], &db.url(), foreign.path());
    assert_exit(&out, 0);
    let line = last_json_line(&out);
    assert_eq!(
        (line["checked_against"].as_str(), line["warehouse"].as_str()),
        (Some("loader"), Some("unpinned"))
    );
    assert_eq!(staged(&db).await, expected);
    let files = ["events.csv", "products.csv", "users.csv"];
    assert_eq!(
        audit(&db).await,
        files.map(|f| (f.to_owned(), "loader".to_owned(), true))
    );
    assert!(!day_dir(foreign.path(), date()).join(MANIFEST_FILE).exists());
}

#[tokio::test]
async fn a_written_manifest_loads_like_the_generators_and_a_wrong_checksum_is_refused() {
    let (generated, foreign, generators) = landing();
    let reference = TestDb::migrated().await;
    assert_exit(&step(&["load"], &reference.url(), generated.path()), 0);
    let expected = staged(&reference).await;

    // --landing names the day's directory itself; the manifest lands there.
    let dir = day_dir(foreign.path(), date());
    let out = retention(&[
        "manifest",
        "--date",
        DAY,
        "--landing",
        dir.to_str().unwrap(),
    ]);
    assert_exit(&out, 0);
    let line = last_json_line(&out);
    assert_eq!(
        line["rows_in"].as_u64(),
        Some(generators.files.values().map(|f| f.rows).sum())
    );
    let written = Manifest::read(&dir).unwrap();
    assert_eq!(written.files, generators.files);
    let text = std::fs::read_to_string(dir.join(MANIFEST_FILE)).unwrap();
    let keys: Vec<String> =
        serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&text)
            .unwrap()
            .keys()
            .cloned()
            .collect();
    assert_eq!(keys, ["date", "files", "schema_version"]);

    let again = step(&["manifest"], "postgres://unused", foreign.path());
    assert_exit(&again, 2);
    assert!(stderr(&again).contains("a manifest exists already; pass --force to replace it"));
    assert_eq!(
        std::fs::read_to_string(dir.join(MANIFEST_FILE)).unwrap(),
        text
    );
    assert_exit(
        &step(
            &["manifest", "--force"],
            "postgres://unused",
            foreign.path(),
        ),
        0,
    );
    assert_eq!(
        std::fs::read_to_string(dir.join(MANIFEST_FILE)).unwrap(),
        text
    );

    let db = TestDb::migrated().await;
    let out = step(&["load"], &db.url(), foreign.path());
    assert_exit(&out, 0);
    let line = last_json_line(&out);
    assert_eq!(
        (line["checked_against"].as_str(), line["warehouse"].as_str()),
        (Some("manifest"), Some("unpinned"))
    );
    assert_eq!(staged(&db).await, expected);
    assert_eq!(
        audit(&db).await,
        ["events.csv", "products.csv", "users.csv"].map(|f| (
            f.to_owned(),
            "manifest".to_owned(),
            false
        ))
    );

    // One byte of events.csv changes after the manifest was written: refused, nothing changes.
    let events = dir.join("events.csv");
    let mut bytes = std::fs::read(&events).unwrap();
    let last = bytes.len() - 2;
    bytes[last] = if bytes[last] == b'X' { b'Y' } else { b'X' };
    std::fs::write(&events, &bytes).unwrap();
    let fresh = TestDb::migrated().await;
    let out = step(&["load"], &fresh.url(), foreign.path());
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains("events.csv: does not match the manifest: SHA-256 is")
            && err.contains("nothing was loaded"),
        "{err}"
    );
    assert_eq!(staged(&fresh).await, Vec::<String>::new());
}

const FROM: &str = "2026-01-01";
const TO: &str = "2026-01-04";
/// Days whose manifest the test removes, as a producer that writes none leaves them.
const WITHOUT_MANIFEST: [&str; 2] = ["2026-01-02", "2026-01-04"];

/// `retention run --from FROM --to TO` with `extra` on a database and landing directory.
fn run(extra: &[&str], url: &str, data: &Path) -> std::process::Output {
    let mut all = vec!["run", "--from", FROM, "--to", TO, "--jobs", "2"];
    all.extend(extra);
    all.extend(["--database-url", url, "--data-dir", data.to_str().unwrap()]);
    retention(&all)
}

/// The warehouse's checksums without the ops tables that record how the days came in (which
/// steps ran, what each load was checked against): those differ by design. ops.table_stats
/// too: with two jobs, the next day's load may or may not have committed its rejects when a
/// transform counts quarantine.rejected_rows.
async fn warehouse_checksums(db: &TestDb) -> std::collections::BTreeMap<String, (i64, String)> {
    let mut sums = warehouse::checksums(&db.client().await).await;
    for how in ["ops.task_runs", "ops.load_audit", "ops.table_stats"] {
        assert!(sums.remove(how).is_some(), "no {how}");
    }
    sums
}

#[tokio::test]
async fn run_from_files_builds_the_simulated_warehouse_with_or_without_manifests() {
    let data = tempfile::tempdir().unwrap();
    let generated = retention(&[
        "generate",
        "--from",
        FROM,
        "--to",
        TO,
        "--data-dir",
        data.path().to_str().unwrap(),
    ]);
    assert_exit(&generated, 0);
    for day in WITHOUT_MANIFEST {
        std::fs::remove_file(day_dir(data.path(), day.parse().unwrap()).join(MANIFEST_FILE))
            .unwrap();
    }

    let simulated = TestDb::empty().await;
    let scratch = tempfile::tempdir().unwrap();
    assert_exit(&run(&[], &simulated.url(), scratch.path()), 0);

    let files = TestDb::empty().await;
    let out = run(&["--source", "files"], &files.url(), data.path());
    assert_exit(&out, 0);
    let line = last_json_line(&out);
    let days = line["days"].as_array().unwrap();
    assert_eq!(days.len(), 4);
    for day in days {
        let date = day["date"].as_str().unwrap();
        let steps: Vec<&str> = day["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["step"].as_str().unwrap())
            .collect();
        assert_eq!(steps, ["load", "validate", "scd", "transform"], "{date}");
        let expected = if WITHOUT_MANIFEST.contains(&date) {
            "loader"
        } else {
            "manifest"
        };
        assert_eq!(day["steps"][0]["checked_against"], expected, "{date}");
    }
    assert!(line["rows_in"].as_u64().unwrap() > 0);
    let err = stderr(&out);
    assert!(
        err.contains("2026-01-02: ") && err.contains("has no _manifest.json"),
        "{err}"
    );

    let sums = warehouse_checksums(&files).await;
    assert!(sums["dw.fact_user_events"].0 > 100, "{sums:?}");
    assert_eq!(sums, warehouse_checksums(&simulated).await);
    let audit: Vec<(String, String)> = files
        .client()
        .await
        .query(
            "SELECT DISTINCT batch_date::text, checked_against FROM ops.load_audit ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let expected: Vec<(String, String)> = ["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04"]
        .iter()
        .map(|d| {
            let how = if WITHOUT_MANIFEST.contains(d) {
                "loader"
            } else {
                "manifest"
            };
            (d.to_string(), how.to_owned())
        })
        .collect();
    assert_eq!(audit, expected);
}

#[tokio::test]
async fn run_from_files_stops_at_a_missing_or_incomplete_day_naming_it() {
    let data = tempfile::tempdir().unwrap();
    let db = TestDb::empty().await;
    let missing = day_dir(data.path(), "2026-01-01".parse().unwrap());
    let out = run(&["--source", "files"], &db.url(), data.path());
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "day 2026-01-01, step load: no landing directory {} for 2026-01-01",
            missing.display()
        )),
        "{err}"
    );
    let line = last_json_line(&out);
    assert_eq!(line["status"], "error");
    assert_eq!(line["days"][0]["failed"]["step"], "load");

    // A day with events.csv only: the first file it lacks is named; nothing of it is loaded.
    std::fs::create_dir_all(&missing).unwrap();
    std::fs::write(
        missing.join("events.csv"),
        format!("{}\n", retention_model::landing::EVENTS_HEADER.join(",")),
    )
    .unwrap();
    let out = run(&["--source", "files"], &db.url(), data.path());
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains("day 2026-01-01, step load: ")
            && err.contains(&missing.join("users.csv").display().to_string())
            && err.contains("the day needs this file, but it is missing"),
        "{err}"
    );
    let loaded: i64 = db
        .client()
        .await
        .query_one("SELECT count(*) FROM ops.load_audit", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(loaded, 0);
}
