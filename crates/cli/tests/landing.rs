//! Landing files from a producer other than the generator (issue 15, item 1): a CSV day
//! without a manifest loads with `--no-manifest`, or with a manifest `retention manifest`
//! writes, into the same staging rows as with the generator's manifest; a manifest whose
//! checksum does not match is refused; a day without one says how to proceed.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns panic by design

use std::path::Path;

mod common;

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
