//! The loader against a real PostgreSQL: every row accounted for, every refusal leaves the
//! warehouse as it was.

// Helpers outside #[test] functions panic on purpose: a failed setup is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use retention_loader::{Erasure, Error, LandingDay, LoadOptions, LoadReport, load_day};
use retention_testing::TestDb;

async fn load(
    db: &TestDb,
    data: &std::path::Path,
    date: chrono::NaiveDate,
) -> Result<LoadReport, Error> {
    let day = LandingDay::open(data, date, false)?;
    load_day(db.config(), &day, &LoadOptions::default()).await
}

fn nasty_events() -> (Vec<u8>, u64) {
    let mut f: Vec<u8> = Vec::new();
    f.extend_from_slice(b"\xEF\xBB\xBF");
    f.extend_from_slice(events_header().as_bytes());
    f.extend_from_slice(b"\r\n");
    f.extend_from_slice(b"e1,2025-03-01T10:00:00Z,1,s1,page_view,/home,,,,,mobile,DE\r\n"); // 2
    f.extend_from_slice(
        b"e2,2025-03-01T10:01:00+01:00,1,s1,search,\"/a,\"\"q\"\"\nb\",,,,,mobile,DE\r\n",
    ); // 3-4
    f.extend_from_slice(b"e3,2025-03-01T10:02:00Z,1,s1,click,/x,,,,mobile,DE\n"); // 5: 11 fields
    f.extend_from_slice(b"e4,2025-03-01T10:03:00Z,1,s1,click,/x,,,,,mobile,DE,extra\n"); // 6: 13 fields
    f.extend_from_slice(b"e5,2025-03-01T10:04:00Z,1,s1,click,/x,,,,,mob\xffile,DE\n"); // 7
    f.extend_from_slice(b"e6,2025-03-01T10:05:00Z,1,s1,click,/");
    f.extend_from_slice("y".repeat(1 << 20).as_bytes());
    f.extend_from_slice(b",,,,,mobile,DE\n"); // 8: a 1 MiB field
    f.extend_from_slice(b"e7,2025-02-30T10:06:00Z,1,s1,click,/x,,,,,mobile,DE\n"); // 9
    f.extend_from_slice(b"e8,2025-03-01T10:07:00Z,1,s1,add_to_cart,/x,7,two,,,mobile,DE\n"); // 10
    f.extend_from_slice(b"e9,2025-03-01T10:08:00Z,1,s1,purchase,/x,7,1,19.999,o1,mobile,DE\n"); // 11
    f.extend_from_slice(b"e10,,,,,,,,,,,\n"); // 12: all empty but the id
    f.extend_from_slice(b"e11,2025-03-01T10:09:00Z,2,s2,pur"); // 13: truncated, no newline
    (f, 11)
}

#[tokio::test]
async fn nasty_files_stage_what_types_and_quarantine_the_rest_with_exact_reasons() {
    let db = TestDb::migrated().await;
    let data = tempfile::tempdir().unwrap();
    let (bytes, rows) = nasty_events();
    write_day(
        data.path(),
        day(1),
        &Files::clean(0).with_events(bytes.clone(), rows),
    );
    let report = load(&db, data.path(), day(1)).await.unwrap();
    let ev = &report.files[0];
    assert_eq!(
        (ev.file.as_str(), ev.read, ev.staged, ev.rejected),
        ("events.csv", 11, 3, 8)
    );
    assert_eq!(
        (report.read(), report.staged(), report.rejected()),
        (14, 6, 8)
    );

    let c = db.client().await;
    let expected_rejects: Vec<(String, i64, String)> = [
        (5, "bad_field_count"),
        (6, "bad_field_count"),
        (7, "invalid_utf8"),
        (8, "field_too_large"),
        (9, "bad_timestamp"),
        (10, "bad_number"),
        (11, "bad_number"),
        (13, "bad_field_count"),
    ]
    .iter()
    .map(|(l, r)| ("events.csv".to_owned(), *l, (*r).to_owned()))
    .collect();
    assert_eq!(rejects(&c, day(1)).await, expected_rejects);

    let raw: Vec<u8> = c
        .query_one(
            "SELECT raw FROM quarantine.rejected_rows WHERE source_line = 7",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        raw,
        b"e5,2025-03-01T10:04:00Z,1,s1,click,/x,,,,,mob\xffile,DE".to_vec()
    );
    let (len, user, detail): (i32, Option<i64>, String) = c
        .query_one(
            "SELECT length(raw), user_id, detail FROM quarantine.rejected_rows WHERE source_line = 8",
            &[],
        )
        .await
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .unwrap();
    assert_eq!(len as usize, (1 << 20) + 50);
    assert_eq!(user, Some(1));
    assert_eq!(
        detail,
        "page_url: 1048577 bytes, more than the limit of 65536"
    );
    let truncated: Vec<u8> = c
        .query_one(
            "SELECT raw FROM quarantine.rejected_rows WHERE source_line = 13",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(truncated, b"e11,2025-03-01T10:09:00Z,2,s2,pur".to_vec());

    let staged = staged_events(&c, day(1)).await;
    assert_eq!(
        staged,
        vec![
            "(2025-03-01,2,e1,\"2025-03-01 10:00:00+00\",1,s1,page_view,/home,,,,,mobile,DE)",
            "(2025-03-01,3,e2,\"2025-03-01 09:01:00+00\",1,s1,search,\"/a,\"\"q\"\"\nb\",,,,,mobile,DE)",
            "(2025-03-01,12,e10,,,,,,,,,,,)",
        ]
    );
}

#[tokio::test]
async fn header_only_files_load_as_empty_batches() {
    let db = TestDb::migrated().await;
    let data = tempfile::tempdir().unwrap();
    let files = Files::clean(0).with_events(format!("{}\r\n", events_header()), 0);
    write_day(data.path(), day(2), &files);
    let report = load(&db, data.path(), day(2)).await.unwrap();
    assert_eq!((report.files[0].read, report.files[0].staged), (0, 0));
    let c = db.client().await;
    assert_eq!(count(&c, "SELECT count(*) FROM staging.events").await, 0);
    assert_eq!(count(&c, "SELECT count(*) FROM staging.users").await, 2);
    assert_eq!(
        count(
            &c,
            "SELECT count(*) FROM pg_inherits WHERE inhparent = 'staging.events'::regclass"
        )
        .await,
        1,
        "the day still gets its (empty) partition"
    );
}

#[tokio::test]
async fn wrong_or_reordered_header_refuses_the_day_and_keeps_the_previous_batch() {
    let db = TestDb::migrated().await;
    let data = tempfile::tempdir().unwrap();
    write_day(data.path(), day(3), &Files::clean(5));
    load(&db, data.path(), day(3)).await.unwrap();
    let c = db.client().await;
    let before = staged_events(&c, day(3)).await;

    let swapped = events_header().replacen("event_id,event_ts", "event_ts,event_id", 1);
    let files = Files::clean(1).with_events(format!("{swapped}\n{}\n", event(1, 1)), 1);
    write_day(data.path(), day(3), &files);
    let err = load(&db, data.path(), day(3)).await.unwrap_err();
    assert!(
        matches!(err, Error::BadHeader { ref file, .. } if file == "events.csv"),
        "{err}"
    );
    assert!(err.to_string().contains("nothing was loaded"), "{err}");
    assert_eq!(staged_events(&c, day(3)).await, before);
    assert_eq!(
        count(&c, "SELECT count(*) FROM ops.load_audit").await,
        3,
        "only the first load is audited"
    );
}

#[tokio::test]
async fn a_day_without_manifest_is_refused_with_nothing_loaded() {
    let db = TestDb::migrated().await;
    let data = tempfile::tempdir().unwrap();
    write_day(data.path(), day(4), &Files::clean(3));
    let dir = retention_model::landing::day_dir(data.path(), day(4));
    std::fs::remove_file(dir.join("_manifest.json")).unwrap();
    let err = LandingDay::open(data.path(), day(4), false).unwrap_err();
    assert!(
        err.to_string()
            .contains("no _manifest.json: the day is not complete, or its producer writes none"),
        "{err}"
    );
    let c = db.client().await;
    assert_eq!(count(&c, "SELECT count(*) FROM staging.events").await, 0);
}

/// A producer that writes no manifest: `--no-manifest` stages the same rows and rejects as
/// with an honest manifest, audits the loader's own count and SHA-256 as `checked_against =
/// 'loader'`, leaves the warehouse's generator identity unrecorded; a manifest written by
/// `write_manifest` for the same files is the honest one, and loads.
#[tokio::test]
async fn a_day_without_manifest_loads_with_the_loaders_own_figures_like_one_with() {
    let db = TestDb::migrated().await;
    let data = tempfile::tempdir().unwrap();
    let (bytes, rows) = nasty_events();
    let files = Files::clean(0).with_events(bytes, rows);
    let honest = write_day(data.path(), day(8), &files);
    let c = db.client().await;
    let with_manifest = load(&db, data.path(), day(8)).await.unwrap();
    let reference = (staged_events(&c, day(8)).await, day_content(&c).await.1);
    assert_eq!((reference.0.len(), reference.1.len()), (3, 8));
    let dir = retention_model::landing::day_dir(data.path(), day(8));
    std::fs::remove_file(dir.join("_manifest.json")).unwrap();

    let unlisted = LandingDay::open_without_manifest(data.path(), day(8), false).unwrap();
    assert!(unlisted.manifest().is_none());
    // A fresh warehouse: nothing recorded there may come from the first load.
    let db2 = TestDb::migrated().await;
    let report = load_day(db2.config(), &unlisted, &LoadOptions::default())
        .await
        .unwrap();
    assert_eq!(report.files, with_manifest.files);
    assert_eq!(
        (report.warehouse, report.checked_against),
        ("unpinned", "loader")
    );
    let c2 = db2.client().await;
    assert_eq!(
        (staged_events(&c2, day(8)).await, day_content(&c2).await.1),
        reference
    );
    let audit: Vec<(String, i64, Option<i64>, String, String, bool)> = c2
        .query(
            "SELECT source_file, rows_read, manifest_rows, sha256, checked_against, generator IS NULL
             FROM ops.load_audit ORDER BY source_file",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)))
        .collect();
    let expected: Vec<_> = honest
        .files
        .iter()
        .map(|(f, e)| {
            (
                f.clone(),
                e.rows as i64,
                None,
                e.sha256.clone(),
                "loader".to_owned(),
                true,
            )
        })
        .collect();
    assert_eq!(audit, expected);
    let identity: (Option<i64>, Option<f64>, Option<String>) = c2
        .query_one("SELECT seed, scale, config_hash FROM ops.warehouse", &[])
        .await
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .unwrap();
    assert_eq!(identity, (None, None, None));

    let written = retention_loader::write_manifest(&dir, day(8), false).unwrap();
    assert_eq!(written.files, honest.files);
    assert!(!written.has_generator_fields());
    let again = retention_loader::write_manifest(&dir, day(8), false).unwrap_err();
    assert!(matches!(again, Error::ManifestExists { .. }), "{again}");
    let report = load(&db2, data.path(), day(8)).await.unwrap();
    assert_eq!(
        (report.warehouse, report.checked_against),
        ("unpinned", "manifest")
    );
    assert_eq!(
        (staged_events(&c2, day(8)).await, day_content(&c2).await.1),
        reference
    );

    // The first simulated day then records the identity, and the guard holds after it.
    write_day(data.path(), day(9), &Files::clean(3));
    let report = load(&db2, data.path(), day(9)).await.unwrap();
    assert_eq!(report.warehouse, "recorded");
    let files = Files::clean(2);
    let mut m = manifest(day(10), &files);
    m.seed = Some(7);
    write_with(data.path(), day(10), &files, &m);
    let err = load(&db2, data.path(), day(10)).await.unwrap_err();
    assert!(
        matches!(err, Error::WarehouseMismatch(ref d) if d == "seed 7 vs warehouse 42"),
        "{err}"
    );
}

#[tokio::test]
async fn a_file_that_differs_from_its_manifest_is_refused_with_nothing_loaded() {
    let db = TestDb::migrated().await;
    let data = tempfile::tempdir().unwrap();
    write_day(data.path(), day(5), &Files::clean(4));
    load(&db, data.path(), day(5)).await.unwrap();
    let c = db.client().await;
    let before = staged_events(&c, day(5)).await;

    // Same manifest, one event more in the file: the checksum no longer matches.
    let m = manifest(day(5), &Files::clean(4));
    write_with(data.path(), day(5), &Files::clean(5), &m);
    let err = load(&db, data.path(), day(5)).await.unwrap_err();
    assert!(
        matches!(&err, Error::ManifestMismatch { file, reason } if file == "events.csv" && reason.starts_with("SHA-256 is")),
        "{err}"
    );
    // Right checksum, wrong row count.
    let files = Files::clean(6);
    let mut m = manifest(day(5), &files);
    m.files.get_mut("users.csv").unwrap().rows = 3;
    write_with(data.path(), day(5), &files, &m);
    let err = load(&db, data.path(), day(5)).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "users.csv: does not match the manifest: 2 records, the manifest says 3; nothing was loaded"
    );
    assert_eq!(staged_events(&c, day(5)).await, before);
    assert_eq!(count(&c, "SELECT count(*) FROM staging.events").await, 4);
}

#[tokio::test]
async fn reloading_a_day_gives_the_same_rows_and_rejects() {
    let db = TestDb::migrated().await;
    let data = tempfile::tempdir().unwrap();
    let (bytes, rows) = nasty_events();
    write_day(
        data.path(),
        day(6),
        &Files::clean(0).with_events(bytes, rows),
    );
    write_day(data.path(), day(7), &Files::clean(3));
    let first = load(&db, data.path(), day(6)).await.unwrap();
    load(&db, data.path(), day(7)).await.unwrap();
    let c = db.client().await;
    let before = day_content(&c).await;
    let other_day = staged_events(&c, day(7)).await;
    let second = load(&db, data.path(), day(6)).await.unwrap();
    assert_eq!(first.files, second.files);
    assert_eq!(day_content(&c).await, before);
    assert_eq!(
        staged_events(&c, day(7)).await,
        other_day,
        "another day is untouched"
    );
    assert_eq!(
        count(&c, "SELECT count(*) FROM quarantine.rejected_rows").await,
        8
    );
    assert_eq!(
        count(&c, "SELECT count(*) FROM ops.load_audit WHERE batch_date = '2025-03-06' AND rows_read = rows_staged + rows_rejected").await,
        6,
        "each load audits its three files"
    );
    assert_eq!(
        count(
            &c,
            "SELECT count(*) FROM pg_inherits WHERE inhparent = 'staging.events'::regclass"
        )
        .await,
        2
    );
}

/// The load gathers each new partition's planner statistics: the scd and the transform plan
/// against the batch right after it, before autovacuum could (an unanalysed staging.users made
/// the scd's erasure statements scan every staged users row instead of probing its index).
#[tokio::test]
async fn a_loaded_batch_has_planner_statistics_before_anyone_plans_against_it() {
    let db = TestDb::migrated().await;
    let data = tempfile::tempdir().unwrap();
    write_day(data.path(), day(8), &Files::clean(3));
    load(&db, data.path(), day(8)).await.unwrap();
    let c = db.client().await;
    let analysed = c
        .query(
            "SELECT i.inhparent::regclass::text FROM pg_inherits i \
             WHERE i.inhparent IN ('staging.events'::regclass, 'staging.users'::regclass, 'staging.products'::regclass) \
               AND EXISTS (SELECT 1 FROM pg_statistic s WHERE s.starelid = i.inhrelid) \
             ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<_, String>(0))
        .collect::<Vec<_>>();
    assert_eq!(
        analysed,
        ["staging.events", "staging.products", "staging.users"]
    );
}

#[tokio::test]
async fn a_day_generated_with_another_seed_is_refused_unless_forced() {
    let db = TestDb::migrated().await;
    let data = tempfile::tempdir().unwrap();
    write_day(data.path(), day(8), &Files::clean(2));
    let first = load(&db, data.path(), day(8)).await.unwrap();
    assert_eq!(first.warehouse, "recorded");
    let c = db.client().await;
    let recorded: (i64, f64, i32, String) = c
        .query_one(
            "SELECT seed, scale, schema_version, config_hash FROM ops.warehouse",
            &[],
        )
        .await
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .unwrap();
    assert_eq!(recorded, (42, 0.5, 1, "cfg".to_owned()));

    let files = Files::clean(3);
    let mut m = manifest(day(9), &files);
    m.seed = Some(43);
    m.scale = Some(2.0);
    write_with(data.path(), day(9), &files, &m);
    let err = load(&db, data.path(), day(9)).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "the day was generated differently from this warehouse (seed 43 vs warehouse 42, scale 2 vs warehouse 0.5); \
         load it into another warehouse, or pass --force"
    );
    assert_eq!(
        count(
            &c,
            "SELECT count(*) FROM staging.events WHERE batch_date = '2025-03-09'"
        )
        .await,
        0
    );

    let d = LandingDay::open(data.path(), day(9), false).unwrap();
    let forced = LoadOptions {
        force: true,
        ..LoadOptions::default()
    };
    let report = load_day(db.config(), &d, &forced).await.unwrap();
    assert_eq!((report.warehouse, report.staged()), ("forced", 6));
    assert_eq!(
        count(&c, "SELECT seed FROM ops.warehouse").await,
        42,
        "forcing does not rewrite the record"
    );
}

#[tokio::test]
async fn a_snapshot_loads_as_its_batch_date_with_an_empty_events_batch() {
    let db = TestDb::migrated().await;
    let data = tempfile::tempdir().unwrap();
    let files = Files::clean(0);
    let mut m = manifest(day(10), &files);
    m.snapshot = true;
    m.files.remove("events.csv");
    let dir = retention_model::landing::snapshot_dir(data.path(), day(10));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("users.csv"), &files.users.0).unwrap();
    std::fs::write(dir.join("products.csv"), &files.products.0).unwrap();
    m.write_atomic(&dir).unwrap();
    assert!(
        LandingDay::open(data.path(), day(10), false).is_err(),
        "not a day directory"
    );
    let snap = LandingDay::open(data.path(), day(10), true).unwrap();
    let report = load_day(db.config(), &snap, &LoadOptions::default())
        .await
        .unwrap();
    assert!(report.snapshot);
    assert!(!report.files[0].present);
    assert_eq!((report.read(), report.staged()), (3, 3));
    let c = db.client().await;
    assert_eq!(
        count(
            &c,
            "SELECT count(*) FROM staging.users WHERE batch_date = '2025-03-10'"
        )
        .await,
        2
    );
    assert_eq!(
        count(&c, "SELECT count(*) FROM ops.load_audit").await,
        2,
        "no audit row for an absent file"
    );
}

#[tokio::test]
async fn a_reload_keeps_erased_users_erased_in_staging_and_quarantine() {
    let db = TestDb::migrated().await;
    let data = tempfile::tempdir().unwrap();
    let mut files = Files::clean(1);
    let (mut users, _) = files.users.clone();
    users.extend_from_slice(
        b"1,a@x.io,Ann A,DE,Berlin,mobile,seo,free,2025-02-01,2025-03-01T08:00:00Z,maybe\n",
    );
    users.extend_from_slice(
        b"2,b@x.io,Bob B,FR,Paris,desktop,ads,pro,2025-02-02,2025-03-01T09:00:00Z,maybe\n",
    );
    files.users = (users, 4);
    write_day(data.path(), day(4), &files);
    let c = db.client().await;
    c.execute(
        "INSERT INTO ops.erasures (user_id, deleted_at, batch_date) VALUES (2, '2025-03-05', '2025-03-05')",
        &[],
    )
    .await
    .unwrap();
    for _ in 0..2 {
        load(&db, data.path(), day(4)).await.unwrap();
        let rows: Vec<(i64, Option<String>)> = c
            .query(
                "SELECT user_id, email FROM staging.users ORDER BY user_id",
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        assert_eq!(rows, vec![(1, Some("a@x.io".to_owned())), (2, None)]);
        let rejects: Vec<(i64, String, i32)> = c
            .query(
                "SELECT user_id, reason, length(raw) FROM quarantine.rejected_rows ORDER BY user_id",
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();
        assert_eq!(
            rejects,
            vec![
                (1, "bad_boolean".to_owned(), 78),
                (2, "bad_boolean".to_owned(), 0)
            ]
        );
    }
}

/// The erasure statements are driven by the description in the options: with only
/// `full_name` among the staging place's columns, an erased user's email stays; a place in a
/// table the load does not write (here one that does not even exist) is left alone.
#[tokio::test]
async fn a_custom_erasure_description_is_what_the_load_erases() {
    let db = TestDb::migrated().await;
    let data = tempfile::tempdir().unwrap();
    write_day(data.path(), day(4), &Files::clean(1));
    let c = db.client().await;
    c.execute(
        "INSERT INTO ops.erasures (user_id, deleted_at, batch_date) VALUES (2, '2025-03-05', '2025-03-05')",
        &[],
    )
    .await
    .unwrap();
    let mut erasure = Erasure::built_in();
    erasure.places[0].null_columns = vec!["full_name".to_owned()];
    erasure.places.push(retention_loader::erasure::ErasePlace {
        table: "elsewhere.not_loaded".to_owned(),
        ..erasure.places[0].clone()
    });
    let options = LoadOptions {
        erasure,
        ..LoadOptions::default()
    };
    let landing = LandingDay::open(data.path(), day(4), false).unwrap();
    load_day(db.config(), &landing, &options).await.unwrap();
    let rows: Vec<(i64, Option<String>, Option<String>)> = c
        .query(
            "SELECT user_id, email, full_name FROM staging.users ORDER BY user_id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        rows,
        vec![
            (1, Some("a@x.io".to_owned()), Some("Ann A".to_owned())),
            (2, Some("b@x.io".to_owned()), None)
        ]
    );
    // With nothing to erase, the same day reloads with every value.
    let options = LoadOptions {
        erasure: Erasure::none(),
        ..LoadOptions::default()
    };
    load_day(db.config(), &landing, &options).await.unwrap();
    assert_eq!(
        count(
            &c,
            "SELECT count(*) FROM staging.users WHERE email IS NOT NULL AND full_name IS NOT NULL"
        )
        .await,
        2
    );
    // A description that cannot be rendered stops the load before it changes anything.
    let mut bad = Erasure::built_in();
    bad.places[0].null_columns = vec!["full_name; --".to_owned()];
    let options = LoadOptions {
        erasure: bad,
        ..LoadOptions::default()
    };
    assert!(matches!(
        load_day(db.config(), &landing, &options).await,
        Err(Error::Erasure(_))
    ));
}

#[tokio::test]
async fn a_reload_keeps_a_new_life_begun_after_the_deletion_in_the_same_batch() {
    let db = TestDb::migrated().await;
    let data = tempfile::tempdir().unwrap();
    let mut files = Files::clean(1);
    let (mut users, _) = files.users.clone();
    // User 3 changes, is deleted at 12:00 and opens a new account at 15:00, all on day 5.
    users.extend_from_slice(
        b"3,c@x.io,Cy C,DE,Berlin,mobile,seo,free,2025-02-01,2025-03-05T08:00:00Z,false\n\
          3,c@x.io,Cy C,DE,Berlin,mobile,seo,free,2025-02-01,2025-03-05T12:00:00Z,true\n\
          3,n@x.io,Neo N,FR,Paris,web,ads,pro,2025-03-05,2025-03-05T15:00:00Z,false\n",
    );
    files.users = (users, 5);
    write_day(data.path(), day(5), &files);
    let c = db.client().await;
    c.execute(
        "INSERT INTO ops.erasures (user_id, deleted_at, batch_date) VALUES (3, '2025-03-05 12:00+00', '2025-03-05')",
        &[],
    )
    .await
    .unwrap();
    for _ in 0..2 {
        load(&db, data.path(), day(5)).await.unwrap();
        let rows: Vec<(Option<String>, Option<String>)> = c
            .query(
                "SELECT email, full_name FROM staging.users WHERE user_id = 3 ORDER BY updated_at",
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        assert_eq!(
            rows,
            vec![
                (None, None),
                (None, None),
                (Some("n@x.io".to_owned()), Some("Neo N".to_owned()))
            ]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_load_killed_mid_copy_leaves_the_earlier_batch_intact() {
    let db = TestDb::migrated().await;
    let data = tempfile::tempdir().unwrap();
    write_day(data.path(), day(12), &Files::clean(10));
    load(&db, data.path(), day(12)).await.unwrap();
    let c = db.client().await;
    let before = staged_events(&c, day(12)).await;
    let audits = count(&c, "SELECT count(*) FROM ops.load_audit").await;

    let n = 600_000u64;
    let mut big = events_header();
    big.push('\n');
    for i in 0..n {
        big.push_str(&event(i, i % 1000));
        big.push('\n');
    }
    write_day(data.path(), day(12), &Files::clean(0).with_events(big, n));
    let day12 = LandingDay::open(data.path(), day(12), false).unwrap();
    let config = db.config().clone();
    let loading =
        tokio::spawn(async move { load_day(&config, &day12, &LoadOptions::default()).await });

    let mut killed = false;
    for _ in 0..2000 {
        let rows = c
            .query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = current_database() AND pid <> pg_backend_pid() \
                   AND state = 'active' AND query LIKE '%COPY staging.%events%FROM STDIN%'",
                &[],
            )
            .await
            .unwrap();
        if !rows.is_empty() {
            killed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert!(killed, "the COPY was never seen running");
    let err = loading.await.unwrap().unwrap_err();
    assert!(matches!(err, Error::Db { .. }), "{err}");
    assert_eq!(staged_events(&c, day(12)).await, before);
    assert_eq!(
        count(&c, "SELECT count(*) FROM ops.load_audit").await,
        audits
    );
    assert_eq!(
        count(
            &c,
            "SELECT count(*) FROM pg_class WHERE relname LIKE '%loading'"
        )
        .await,
        0,
        "no half-built partition is left behind"
    );
}

/// Staged events of day 6 and all load rejects: what a reload must reproduce.
async fn day_content(c: &tokio_postgres::Client) -> (Vec<String>, Vec<String>) {
    let ev = staged_events(c, day(6)).await;
    let q: Vec<String> = c
        .query(
            "SELECT (batch_date, stage, source_file, source_line, reason, detail, md5(raw), user_id)::text \
             FROM quarantine.rejected_rows ORDER BY source_line",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    (ev, q)
}

#[tokio::test]
async fn an_unreachable_server_is_retried_with_backoff_then_reported() {
    let data = tempfile::tempdir().unwrap();
    write_day(data.path(), day(13), &Files::clean(1));
    let d = LandingDay::open(data.path(), day(13), false).unwrap();
    // Nothing listens on port 1: connection refused, a transient error.
    let db = retention_model::DbConfig::from_url("postgres://postgres@127.0.0.1:1/none").unwrap();
    let options = LoadOptions {
        connect_attempts: 3,
        ..LoadOptions::default()
    };
    let started = std::time::Instant::now();
    let err = load_day(&db, &d, &options).await.unwrap_err();
    assert!(matches!(err, Error::Pool(_)), "{err}");
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(300),
        "two backoffs (100 ms, 200 ms) before the third and last attempt"
    );
}
