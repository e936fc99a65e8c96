//! Events as people export them (issue 15, item 3): Segment-shaped and GA4-shaped JSON
//! Lines, plain and gzip-compressed, written by this test's own fixture writer, loaded into
//! a real PostgreSQL with the presets, and checked row by row against what the test computes
//! from its fixtures.

// Helpers outside #[test] functions panic on purpose: a failed setup is a failed test.
#![allow(clippy::unwrap_used)]

#[allow(dead_code)] // the helpers of the CSV tests
mod common;

use std::{io::Write, path::Path};

use chrono::{DateTime, NaiveDate, SecondsFormat};
use common::{day, products_header, users_header};
use retention_loader::{
    Error, LandingDay, LoadOptions, LoadReport, Mapping, load_day, mapping::ITEM_LINE_STRIDE,
    write_manifest,
};
use retention_model::landing::day_dir;
use retention_testing::TestDb;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// One staged row as the test reads it back: source_line, event_id, event_ts in
/// microseconds since the epoch, user_id, product_id, quantity, then the text columns
/// session_id, event_type, page_url, unit_price, order_id, device, country.
type Row = (
    i64,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Vec<Option<String>>,
);

/// One product of an event: id, quantity, price as the source writes it, price as staged.
type Item = (i64, i64, f64, &'static str);

/// An event of the fixtures, in the terms of neither source.
struct Ev {
    /// The source's event name, and the canonical type it maps to (None: unknown).
    name: &'static str,
    canonical: Option<&'static str>,
    user: Option<&'static str>,
    anon: &'static str,
    /// Seconds after 10:00 on the day.
    secs: i64,
    url: &'static str,
    /// A single product (product events), or the products of an order.
    items: Vec<Item>,
    order: Option<&'static str>,
}

fn micros(date: NaiveDate, secs: i64) -> i64 {
    date.and_hms_opt(10, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_micros()
        + secs * 1_000_000
        + 250_000
}

fn rfc3339(us: i64) -> String {
    DateTime::from_timestamp_micros(us)
        .unwrap()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The day's events: nested fields, an order of three products, an anonymous visitor, an
/// unknown event name and a user id that is not a number. `d` varies ids and prices by day.
fn events(d: u32) -> Vec<Ev> {
    let p =
        |id: i64, q: i64, price: f64, staged: &'static str| (id + i64::from(d), q, price, staged);
    vec![
        Ev {
            name: "page",
            canonical: Some("page_view"),
            user: Some("1"),
            anon: "a1",
            secs: 0,
            url: "/",
            items: vec![],
            order: None,
        },
        Ev {
            name: "Product Viewed",
            canonical: Some("product_view"),
            user: Some("1"),
            anon: "a1",
            secs: 10,
            url: "/p/7",
            items: vec![p(7, 1, 19.99, "19.99")],
            order: None,
        },
        Ev {
            name: "Product Added",
            canonical: Some("add_to_cart"),
            user: Some("22"),
            anon: "a2",
            secs: 20,
            url: "/p/8",
            items: vec![p(8, 2, 5.0, "5.00")],
            order: None,
        },
        Ev {
            name: "Order Completed",
            canonical: Some("purchase"),
            user: Some("22"),
            anon: "a2",
            secs: 30,
            url: "/checkout/complete",
            items: vec![
                p(7, 1, 19.99, "19.99"),
                p(8, 2, 5.0, "5.00"),
                p(9, 3, 0.5, "0.50"),
            ],
            order: Some("o-1"),
        },
        Ev {
            name: "page",
            canonical: Some("page_view"),
            user: None,
            anon: "a3",
            secs: 40,
            url: "/c/home",
            items: vec![],
            order: None,
        },
        Ev {
            name: "Coupon Applied",
            canonical: None,
            user: Some("1"),
            anon: "a1",
            secs: 50,
            url: "/cart",
            items: vec![],
            order: None,
        },
        Ev {
            name: "page",
            canonical: Some("page_view"),
            user: Some("user-9"),
            anon: "a9",
            secs: 60,
            url: "/",
            items: vec![],
            order: None,
        },
    ]
}

const MALFORMED: &str = r#"{"type": "track", "event": "Product Added", "userId": "#;

/// The source line of fixture event `i` once the malformed line is put after the third.
fn line_of(i: usize) -> u64 {
    if i < 3 { i as u64 + 1 } else { i as u64 + 2 }
}

fn segment_json(d: u32, i: usize, e: &Ev) -> Value {
    let date = day(d);
    let mut v = json!({
        "type": if e.name == "page" { "page" } else { "track" },
        "anonymousId": e.anon,
        "messageId": format!("msg-{d}-{i}"),
        "timestamp": rfc3339(micros(date, e.secs)),
        "context": {"page": {"url": e.url}, "device": {"type": "mobile"},
                    "location": {"country": "DE"}, "session_id": format!("s-{}", e.anon)},
        "properties": {},
    });
    if e.name != "page" {
        v["event"] = json!(e.name);
    }
    if let Some(u) = e.user {
        v["userId"] = json!(u);
    }
    match (&e.items[..], e.order) {
        ([(id, q, price, _)], None) => {
            v["properties"] = json!({"product_id": id.to_string(), "quantity": q, "price": price});
        }
        (items, Some(order)) => {
            let products: Vec<Value> = items
                .iter()
                .map(|(id, q, price, _)| json!({"product_id": id.to_string(), "quantity": q, "price": price}))
                .collect();
            v["properties"] = json!({"order_id": order, "products": products, "revenue": 35.99});
        }
        _ => {}
    }
    v
}

fn ga4_name(e: &Ev) -> &'static str {
    match e.name {
        "page" => "page_view",
        "Product Viewed" => "view_item",
        "Product Added" => "add_to_cart",
        "Order Completed" => "purchase",
        _ => "share",
    }
}

fn ga4_json(d: u32, _i: usize, e: &Ev) -> Value {
    let us = micros(day(d), e.secs);
    let items: Vec<Value> = e
        .items
        .iter()
        .map(|(id, q, price, _)| json!({"item_id": id.to_string(), "quantity": q, "price": price}))
        .collect();
    let mut v = json!({
        "event_name": ga4_name(e),
        // The export writes it as a number or a string depending on the tool: both.
        "event_timestamp": if e.secs % 20 == 0 { json!(us) } else { json!(us.to_string()) },
        "user_pseudo_id": e.anon,
        "event_params": [
            {"key": "ga_session_id", "value": {"int_value": 1000 + e.secs, "string_value": null}},
            {"key": "page_location", "value": {"string_value": format!("https://shop.example{}", e.url)}},
        ],
        "device": {"category": "desktop"},
        "geo": {"country": "France"},
        "items": items,
    });
    if let Some(u) = e.user {
        v["user_id"] = json!(u);
    }
    if let Some(o) = e.order {
        v["ecommerce"] = json!({"transaction_id": o});
    }
    v
}

/// The JSON Lines file of day `d`: the events, with the malformed line after the third.
fn jsonl(d: u32, to_json: fn(u32, usize, &Ev) -> Value) -> Vec<u8> {
    let mut out = String::new();
    for (i, e) in events(d).iter().enumerate() {
        if i == 3 {
            out.push_str(MALFORMED);
            out.push('\n');
        }
        out.push_str(&to_json(d, i, e).to_string());
        out.push('\n');
    }
    out.into_bytes()
}

fn s(v: &str) -> Option<String> {
    Some(v.to_owned())
}

/// The rows the loader must stage for day `d` under `preset`, in `source_line` order.
fn expected_rows(d: u32, preset: &str) -> Vec<Row> {
    let mut rows = Vec::new();
    for (i, e) in events(d).iter().enumerate() {
        let Some(user) = e.user.and_then(|u| u.parse::<i64>().ok()) else {
            continue;
        };
        let line = line_of(i);
        let us = micros(day(d), e.secs);
        let (id, session, event_type, url, device, country) = if preset == "segment" {
            (
                format!("msg-{d}-{i}"),
                format!("s-{}", e.anon),
                e.canonical.unwrap_or(e.name),
                e.url.to_owned(),
                "mobile",
                "DE",
            )
        } else {
            let name = ga4_name(e);
            let key = format!("{}\u{1f}{us}\u{1f}{name}", e.anon);
            (
                hex::encode(Sha256::digest(key.as_bytes()))[..32].to_owned(),
                (1000 + e.secs).to_string(),
                e.canonical.unwrap_or(name),
                format!("https://shop.example{}", e.url),
                "desktop",
                "France",
            )
        };
        let expands = e.order.is_some() || (preset == "ga4" && !e.items.is_empty());
        let base = |n: usize, item: Option<&Item>| -> Row {
            (
                (line + n as u64 * ITEM_LINE_STRIDE) as i64,
                if expands {
                    format!("{id}:{n}")
                } else {
                    id.clone()
                },
                us,
                Some(user),
                item.map(|it| it.0),
                item.map(|it| it.1),
                vec![
                    s(&session),
                    s(event_type),
                    s(&url),
                    item.map(|it| it.3.to_owned()),
                    e.order.map(str::to_owned),
                    s(device),
                    s(country),
                ],
            )
        };
        match &e.items[..] {
            [] => rows.push(base(0, None)),
            items => rows.extend(items.iter().enumerate().map(|(n, it)| base(n, Some(it)))),
        }
    }
    rows.sort_by_key(|r| r.0);
    rows
}

/// The load rejects of day `d`: (line, reason, raw bytes).
fn expected_rejects(d: u32, to_json: fn(u32, usize, &Ev) -> Value) -> Vec<(i64, String, Vec<u8>)> {
    let mut out = vec![(4, "bad_json".to_owned(), MALFORMED.as_bytes().to_vec())];
    for (i, e) in events(d).iter().enumerate() {
        let reason = match e.user {
            None => "anonymous_user",
            Some(u) if u.parse::<i64>().is_err() => "bad_number",
            Some(_) => continue,
        };
        let raw = to_json(d, i, e).to_string().into_bytes();
        out.push((line_of(i) as i64, reason.to_owned(), raw));
    }
    out.sort();
    out
}

/// Writes day `d` under `data` with `events` as `name`, and header-only user and product
/// feeds.
fn write_day(data: &Path, d: u32, name: &str, events: &[u8]) {
    let dir = day_dir(data, day(d));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), events).unwrap();
    std::fs::write(dir.join("users.csv"), format!("{}\n", users_header())).unwrap();
    std::fs::write(dir.join("products.csv"), format!("{}\n", products_header())).unwrap();
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn options(preset: &str) -> LoadOptions {
    LoadOptions {
        mapping: Mapping::preset(preset).unwrap(),
        ..LoadOptions::default()
    }
}

async fn load_without_manifest(db: &TestDb, data: &Path, d: u32, preset: &str) -> LoadReport {
    let day = LandingDay::open_without_manifest(data, day(d), false).unwrap();
    load_day(db.config(), &day, &options(preset)).await.unwrap()
}

async fn staged(db: &TestDb, d: u32) -> Vec<Row> {
    let c = db.client().await;
    c.query(
        "SELECT source_line, event_id, (extract(epoch FROM event_ts) * 1000000)::bigint, user_id, \
                product_id, quantity, session_id, event_type, page_url, unit_price::text, \
                order_id, device, country \
         FROM staging.events WHERE batch_date = $1 ORDER BY source_line",
        &[&day(d)],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| {
        (
            r.get(0),
            r.get(1),
            r.get(2),
            r.get(3),
            r.get(4),
            r.get(5),
            (6..13).map(|i| r.get(i)).collect(),
        )
    })
    .collect()
}

async fn rejects(db: &TestDb, d: u32, file: &str) -> Vec<(i64, String, Vec<u8>)> {
    let c = db.client().await;
    c.query(
        "SELECT source_line, reason, raw FROM quarantine.rejected_rows \
         WHERE batch_date = $1 AND stage = 'load' AND source_file = $2 ORDER BY source_line",
        &[&day(d), &file],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2)))
    .collect()
}

async fn check_days(preset: &str, to_json: fn(u32, usize, &Ev) -> Value) {
    let db = TestDb::migrated().await;
    let data = tempfile::tempdir().unwrap();
    for d in [1, 2] {
        write_day(data.path(), d, "events.jsonl", &jsonl(d, to_json));
        let report = load_without_manifest(&db, data.path(), d, preset).await;
        let ev = &report.files[0];
        let rows = expected_rows(d, preset);
        assert_eq!(
            (
                ev.file.as_str(),
                ev.read,
                ev.staged,
                ev.expanded,
                ev.rejected
            ),
            ("events.jsonl", 8, rows.len() as u64, 2, 3),
            "{preset} day {d}"
        );
        assert_eq!(ev.rejected_by_reason.get("anonymous_user"), Some(&1));
        assert_eq!(staged(&db, d).await, rows, "{preset} day {d}");
        assert_eq!(
            rejects(&db, d, "events.jsonl").await,
            expected_rejects(d, to_json),
            "{preset} day {d}"
        );
    }
}

#[tokio::test]
async fn segment_days_stage_the_mapped_rows_and_quarantine_the_rest() {
    check_days("segment", segment_json).await;
}

#[tokio::test]
async fn ga4_days_stage_the_mapped_rows_and_quarantine_the_rest() {
    check_days("ga4", ga4_json).await;
}

/// The same events as plain and gzip-compressed JSON Lines, and the contract's CSV plain
/// and compressed: each pair stages the same rows, and the manifest `retention manifest`
/// writes hashes the bytes on disk and counts records.
#[tokio::test]
async fn gzip_and_plain_stage_the_same_rows_and_manifests_hash_the_file_on_disk() {
    let plain = jsonl(1, segment_json);
    let csv = format!(
        "{}\ne1,2025-03-01T10:00:00Z,1,s1,page_view,/,,,,,mobile,DE\ne2,bad,1,s1,click,/,,,,,mobile,DE\n",
        common::events_header()
    );
    for (name, bytes, gz_name, rows) in [
        ("events.jsonl", plain.clone(), "events.jsonl.gz", 8),
        ("events.csv", csv.into_bytes(), "events.csv.gz", 2),
    ] {
        let mut results = Vec::new();
        for (file, content) in [(name, bytes.clone()), (gz_name, gzip(&bytes))] {
            let data = tempfile::tempdir().unwrap();
            write_day(data.path(), 1, file, &content);
            let dir = day_dir(data.path(), day(1));
            let manifest = write_manifest(&dir, day(1), false).unwrap();
            let entry = &manifest.files[file];
            assert_eq!(entry.rows, rows, "{file}");
            assert_eq!(
                entry.sha256,
                hex::encode(Sha256::digest(&content)),
                "{file}"
            );
            let db = TestDb::migrated().await;
            let opened = LandingDay::open(data.path(), day(1), false).unwrap();
            assert_eq!(opened.events_file(), Some(file));
            let report = load_day(db.config(), &opened, &options("segment"))
                .await
                .unwrap();
            assert_eq!(report.checked_against, "manifest");
            results.push((staged(&db, 1).await, rejects(&db, 1, file).await));
        }
        assert!(!results[0].0.is_empty());
        assert_eq!(results[0], results[1], "{name} and {gz_name}");
    }
}

#[tokio::test]
async fn a_day_with_two_events_files_is_refused_and_a_corrupt_gzip_stops_the_load() {
    let data = tempfile::tempdir().unwrap();
    write_day(
        data.path(),
        1,
        "events.csv",
        format!("{}\n", common::events_header()).as_bytes(),
    );
    write_day(data.path(), 1, "events.jsonl.gz", &gzip(b"{}\n"));
    let err = LandingDay::open_without_manifest(data.path(), day(1), false).unwrap_err();
    assert!(matches!(err, Error::SeveralEventFiles { .. }), "{err}");
    assert!(
        err.to_string().contains("events.csv, events.jsonl.gz"),
        "{err}"
    );

    let broken = tempfile::tempdir().unwrap();
    write_day(
        broken.path(),
        1,
        "events.jsonl.gz",
        b"\x1f\x8b\x08\x00garbage",
    );
    let db = TestDb::migrated().await;
    let opened = LandingDay::open_without_manifest(broken.path(), day(1), false).unwrap();
    let err = load_day(db.config(), &opened, &options("segment"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
    let c = db.client().await;
    assert_eq!(
        common::count(&c, "SELECT count(*) FROM staging.events").await,
        0
    );
}
