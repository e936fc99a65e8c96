//! Helpers shared by the loader's database tests: hand-made landing days with honest
//! manifests, and readers of what a load left in the warehouse.

use std::{collections::BTreeMap, path::Path};

use chrono::NaiveDate;
use retention_model::{
    Manifest, SCHEMA_VERSION,
    landing::{
        EVENTS_FILE, EVENTS_HEADER, FileEntry, PRODUCTS_FILE, PRODUCTS_HEADER, USERS_FILE,
        USERS_HEADER, day_dir,
    },
};
use sha2::{Digest, Sha256};
use tokio_postgres::Client;

pub fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 3, d).unwrap()
}

pub fn events_header() -> String {
    EVENTS_HEADER.join(",")
}
pub fn users_header() -> String {
    USERS_HEADER.join(",")
}
pub fn products_header() -> String {
    PRODUCTS_HEADER.join(",")
}

/// A clean event line on `day`.
pub fn event(id: u64, user: u64) -> String {
    format!(
        "e{id},2025-03-01T10:{:02}:00Z,{user},s{user},page_view,/p/{id},,,,,mobile,DE",
        id % 60
    )
}

/// The contents of one day: file bytes and their record counts.
#[derive(Debug)]
pub struct Files {
    pub events: (Vec<u8>, u64),
    pub users: (Vec<u8>, u64),
    pub products: (Vec<u8>, u64),
}

impl Files {
    /// A small clean day: `n` events, two users, one product.
    pub fn clean(n: u64) -> Self {
        let mut ev = events_header();
        ev.push('\n');
        for i in 0..n {
            ev.push_str(&event(i, i % 2 + 1));
            ev.push('\n');
        }
        Self {
            events: (ev.into_bytes(), n),
            users: (
                format!(
                    "{}\n1,a@x.io,Ann A,DE,Berlin,mobile,seo,free,2025-02-01,2025-03-01T08:00:00Z,false\n\
                     2,b@x.io,Bob B,FR,Paris,desktop,ads,pro,2025-02-02,2025-03-01T09:00:00Z,false\n",
                    users_header()
                )
                .into_bytes(),
                2,
            ),
            products: (
                format!("{}\n7,SKU-7,Lamp,home,Acme,19.99,true,2025-03-01T00:00:00Z\n", products_header()).into_bytes(),
                1,
            ),
        }
    }

    pub fn with_events(mut self, bytes: impl Into<Vec<u8>>, rows: u64) -> Self {
        self.events = (bytes.into(), rows);
        self
    }
}

pub fn manifest(date: NaiveDate, files: &Files) -> Manifest {
    let entry = |(b, rows): &(Vec<u8>, u64)| FileEntry {
        rows: *rows,
        sha256: hex::encode(Sha256::digest(b)),
    };
    let mut map = BTreeMap::new();
    map.insert(EVENTS_FILE.to_owned(), entry(&files.events));
    map.insert(USERS_FILE.to_owned(), entry(&files.users));
    map.insert(PRODUCTS_FILE.to_owned(), entry(&files.products));
    Manifest {
        schema_version: SCHEMA_VERSION,
        generator_version: Some("hand-made".into()),
        seed: Some(42),
        scale: Some(0.5),
        config_hash: Some("cfg".into()),
        date,
        files: map,
        mess: BTreeMap::new(),
        snapshot: false,
    }
}

/// Writes the files and their manifest as day `date` under `data_dir`.
pub fn write_day(data_dir: &Path, date: NaiveDate, files: &Files) -> Manifest {
    let m = manifest(date, files);
    write_with(data_dir, date, files, &m);
    m
}

pub fn write_with(data_dir: &Path, date: NaiveDate, files: &Files, m: &Manifest) {
    let dir = day_dir(data_dir, date);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(EVENTS_FILE), &files.events.0).unwrap();
    std::fs::write(dir.join(USERS_FILE), &files.users.0).unwrap();
    std::fs::write(dir.join(PRODUCTS_FILE), &files.products.0).unwrap();
    m.write_atomic(&dir).unwrap();
}

pub async fn count(c: &Client, sql: &str) -> i64 {
    c.query_one(sql, &[]).await.unwrap().get(0)
}

/// Staged events of a day as text, in line order: the business content a reload must keep.
pub async fn staged_events(c: &Client, date: NaiveDate) -> Vec<String> {
    c.query(
        "SELECT (e.*)::text FROM staging.events e WHERE batch_date = $1 ORDER BY source_line",
        &[&date],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

/// Load rejects of a day: (file, line, reason), in order.
pub async fn rejects(c: &Client, date: NaiveDate) -> Vec<(String, i64, String)> {
    c.query(
        "SELECT source_file, source_line, reason FROM quarantine.rejected_rows \
         WHERE batch_date = $1 AND stage = 'load' ORDER BY source_file, source_line",
        &[&date],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2)))
    .collect()
}
