//! JSON Lines from Segment through the binary (issue 15, item 3): `config/retention.yaml`'s
//! `mapping: {preset: segment}`, `retention load --no-manifest` on `events.jsonl.gz`, and
//! `retention manifest` then `retention load` on the same events uncompressed, give the same
//! staging; the anonymous event is counted in the load's JSON line.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns panic by design

use std::{io::Write, path::Path};

mod common;

use common::{last_json_line, retention, stderr};
use retention_model::landing::{EVENTS_HEADER, PRODUCTS_HEADER, USERS_HEADER, day_dir};
use retention_testing::TestDb;
use serde_json::json;

const DAY: &str = "2026-01-05";

/// This test's own Segment export of the day: two page views, an order of three products,
/// an anonymous page view and a malformed line.
fn segment_export() -> Vec<u8> {
    let track = |id: &str, user: Option<&str>, event: Option<&str>, props: serde_json::Value| {
        let mut v = json!({
            "type": if event.is_some() { "track" } else { "page" },
            "messageId": id,
            "anonymousId": "anon-1",
            "timestamp": "2026-01-05T09:30:00.000Z",
            "context": {"page": {"url": "/p/3"}, "device": {"type": "tablet"},
                        "location": {"country": "NL"}, "session_id": "sess-1"},
            "properties": props,
        });
        if let Some(u) = user {
            v["userId"] = json!(u);
        }
        if let Some(e) = event {
            v["event"] = json!(e);
        }
        v.to_string()
    };
    let lines = [
        track("m1", Some("10"), None, json!({})),
        track("m2", Some("11"), None, json!({})),
        "{\"type\": \"page\",".to_owned(),
        track(
            "m3",
            Some("10"),
            Some("Order Completed"),
            json!({"order_id": "o-7", "products": [
                {"product_id": "3", "quantity": 1, "price": 12.5},
                {"product_id": "4", "quantity": 2, "price": 3},
                {"product_id": "5", "quantity": 1, "price": 99.99}]}),
        ),
        track("m4", None, None, json!({})),
    ];
    (lines.join("\n") + "\n").into_bytes()
}

fn write_day(data: &Path, name: &str, events: &[u8]) {
    let dir = day_dir(data, DAY.parse().unwrap());
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), events).unwrap();
    std::fs::write(dir.join("users.csv"), USERS_HEADER.join(",") + "\n").unwrap();
    std::fs::write(dir.join("products.csv"), PRODUCTS_HEADER.join(",") + "\n").unwrap();
}

/// A pipeline configuration with the project's dimensions and the Segment preset.
fn config(dir: &Path) -> String {
    let dimensions = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/dimensions.yaml");
    let path = dir.join("retention.yaml");
    std::fs::write(
        &path,
        format!(
            "dimensions: {}\nmapping:\n  preset: segment\n",
            dimensions.display()
        ),
    )
    .unwrap();
    path.to_str().unwrap().to_owned()
}

fn load(config: &str, db: &TestDb, data: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["load", "--config", config, "--date", DAY];
    args.extend(extra);
    let url = db.url();
    args.extend(["--database-url", &url, "--data-dir", data.to_str().unwrap()]);
    let out = retention(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    last_json_line(&out)
}

async fn staged(db: &TestDb) -> Vec<String> {
    let c = db.client().await;
    let columns = EVENTS_HEADER.join(", ");
    c.query(
        &format!("SELECT (source_line, {columns})::text FROM staging.events ORDER BY source_line"),
        &[],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

#[tokio::test]
async fn a_segment_export_loads_through_the_mapping_gzip_or_not_with_or_without_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let config = config(tmp.path());
    let plain = segment_export();

    let gz = tempfile::tempdir().unwrap();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&plain).unwrap();
    write_day(gz.path(), "events.jsonl.gz", &enc.finish().unwrap());
    let db = TestDb::migrated().await;
    let line = load(&config, &db, gz.path(), &["--no-manifest"]);
    assert_eq!(line["anonymous_events"].as_u64(), Some(1), "{line}");
    let ev = &line["files"][0];
    assert_eq!(
        (
            ev["file"].as_str(),
            ev["read"].as_u64(),
            ev["staged"].as_u64(),
            ev["expanded"].as_u64()
        ),
        (Some("events.jsonl.gz"), Some(5), Some(5), Some(2)),
        "{line}"
    );
    assert_eq!(
        ev["rejected_by_reason"],
        json!({"anonymous_user": 1, "bad_json": 1})
    );
    let rows = staged(&db).await;
    assert_eq!(
        rows[..3],
        [
            "(1,m1,\"2026-01-05 09:30:00+00\",10,sess-1,page_view,/p/3,,,,,tablet,NL)",
            "(2,m2,\"2026-01-05 09:30:00+00\",11,sess-1,page_view,/p/3,,,,,tablet,NL)",
            "(4,m3:0,\"2026-01-05 09:30:00+00\",10,sess-1,purchase,/p/3,3,1,12.50,o-7,tablet,NL)",
        ]
    );
    assert_eq!(
        rows[4],
        "(2000000000004,m3:2,\"2026-01-05 09:30:00+00\",10,sess-1,purchase,/p/3,5,1,99.99,o-7,tablet,NL)"
    );

    let data = tempfile::tempdir().unwrap();
    write_day(data.path(), "events.jsonl", &plain);
    let dir = day_dir(data.path(), DAY.parse().unwrap());
    let out = retention(&[
        "manifest",
        "--date",
        DAY,
        "--landing",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("_manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["files"]["events.jsonl"]["rows"].as_u64(), Some(5));
    let again = TestDb::migrated().await;
    let line = load(&config, &again, data.path(), &[]);
    assert_eq!(line["checked_against"].as_str(), Some("manifest"));
    assert_eq!(staged(&again).await, rows);
}
