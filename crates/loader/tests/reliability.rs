//! Hostile landing files (issue 14): a leap second, a 50 MB line. Each is refused or
//! quarantined with a bounded message, and nothing of it slips into staging.

// Helpers outside #[test] functions panic on purpose: a failed setup is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use retention_loader::{Error, LandingDay, LoadOptions, LoadReport, load_day};
use retention_testing::TestDb;
use sha2::{Digest, Sha256};

/// Longest error or detail text a hostile value may produce (a clipped value is at most a
/// few hundred bytes, plus the fixed words around it).
const BOUNDED: usize = 600;

async fn load(
    db: &TestDb,
    data: &std::path::Path,
    date: chrono::NaiveDate,
) -> Result<LoadReport, Error> {
    let day = LandingDay::open(data, date, false)?;
    load_day(db.config(), &day, &LoadOptions::default()).await
}

#[tokio::test]
async fn a_leap_second_is_quarantined_as_bad_timestamp_with_its_raw_bytes() {
    let db = TestDb::migrated().await;
    let data = tempfile::tempdir().unwrap();
    let leap = "e2,2025-03-01T23:59:60Z,1,s1,page_view,/p,,,,,mobile,DE";
    let hour_24 = "e3,2025-03-01T24:00:00Z,1,s1,page_view,/p,,,,,mobile,DE";
    let events = format!("{}\n{}\n{leap}\n{hour_24}\n", events_header(), event(1, 1));
    write_day(data.path(), day(1), &Files::clean(0).with_events(events, 3));
    let report = load(&db, data.path(), day(1)).await.unwrap();
    let ev = &report.files[0];
    assert_eq!((ev.read, ev.staged, ev.rejected), (3, 1, 2));
    let c = db.client().await;
    let rows: Vec<(i64, String, String, Vec<u8>)> = c
        .query(
            "SELECT source_line, reason, detail, raw FROM quarantine.rejected_rows \
             WHERE source_file = 'events.csv' ORDER BY source_line",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    assert_eq!(
        rows,
        vec![
            (
                3,
                "bad_timestamp".to_owned(),
                "event_ts: \"2025-03-01T23:59:60Z\" has a leap second (:60), which would roll over into the next minute"
                    .to_owned(),
                leap.as_bytes().to_vec()
            ),
            (
                4,
                "bad_timestamp".to_owned(),
                "event_ts: \"2025-03-01T24:00:00Z\" is not an RFC 3339 timestamp (input is out of range)"
                    .to_owned(),
                hour_24.as_bytes().to_vec()
            ),
        ]
    );
    assert_eq!(
        count(
            &c,
            "SELECT count(*) FROM staging.events WHERE event_ts >= '2025-03-02'"
        )
        .await,
        0
    );
    assert_eq!(staged_events(&c, day(1)).await.len(), 1);
    assert_eq!(
        rejects(&c, day(1)).await,
        vec![
            ("events.csv".to_owned(), 3, "bad_timestamp".to_owned()),
            ("events.csv".to_owned(), 4, "bad_timestamp".to_owned()),
        ]
    );
}

/// A 50 MB line of garbage, written once per test.
fn garbage(len: usize) -> Vec<u8> {
    let mut g = b"garbage-".repeat(len / 8);
    g.resize(len, b'!');
    g
}

fn hex_sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[tokio::test]
async fn a_50_mb_first_line_is_refused_with_a_bounded_error_naming_its_length_and_hash() {
    let db = TestDb::migrated().await;
    let data = tempfile::tempdir().unwrap();
    let line = garbage(50 << 20);
    let mut events = line.clone();
    events.extend_from_slice(b"\n");
    write_day(data.path(), day(1), &Files::clean(0).with_events(events, 0));
    let err = load(&db, data.path(), day(1)).await.unwrap_err();
    assert!(matches!(err, Error::BadHeader { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.len() < BOUNDED,
        "{} bytes: {}",
        msg.len(),
        &msg[..BOUNDED]
    );
    let expected_tail = format!(
        "(52428800 bytes, sha256 {}); nothing was loaded",
        hex_sha256(&line)
    );
    assert!(
        msg.starts_with("events.csv: bad header: expected \"event_id,event_ts,"),
        "{msg}"
    );
    assert!(msg.contains("found \"garbage-garbage-"), "{msg}");
    assert!(msg.ends_with(&expected_tail), "{msg}");
}

#[tokio::test]
async fn a_record_larger_than_the_limit_is_quarantined_as_record_too_large_keeping_its_first_bytes()
{
    let db = TestDb::migrated().await;
    let data = tempfile::tempdir().unwrap();
    let line = garbage(50 << 20);
    let mut events = format!("{}\n", events_header()).into_bytes();
    events.extend_from_slice(&line);
    events.extend_from_slice(b"\n");
    events.extend_from_slice(event(1, 1).as_bytes());
    events.extend_from_slice(b"\n");
    write_day(data.path(), day(1), &Files::clean(0).with_events(events, 2));
    let report = load(&db, data.path(), day(1)).await.unwrap();
    let ev = &report.files[0];
    assert_eq!((ev.read, ev.staged, ev.rejected), (2, 1, 1));
    let c = db.client().await;
    let (line_no, reason, detail, raw): (i64, String, String, Vec<u8>) = c
        .query_one(
            "SELECT source_line, reason, detail, raw FROM quarantine.rejected_rows \
             WHERE source_file = 'events.csv'",
            &[],
        )
        .await
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .unwrap();
    let limit = LoadOptions::default().max_record_bytes;
    assert_eq!(limit, 2 << 20);
    assert_eq!((line_no, reason.as_str()), (2, "record_too_large"));
    assert_eq!(raw, line[..limit].to_vec());
    assert_eq!(
        detail,
        format!(
            "the record is 52428800 bytes (sha256 {}), more than the limit of 2097152; raw keeps its first 2097152 bytes",
            hex_sha256(&line)
        )
    );
    assert!(detail.len() < BOUNDED);
}
