//! The feeds tell one consistent story: events only reference users and products the feeds
//! already announced, never a user after deletion, and a snapshot equals the replay of the
//! daily feeds up to its day.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Days, NaiveDate, Utc};
use retention_model::landing::{day_dir, snapshot_dir};

use crate::{
    common::{date, event_lines, read, records, ts},
    manifest::messy,
};

/// A user or product row with the cleaning rules of docs/conformance.md#cleaning applied.
fn clean(mut row: HashMap<String, String>) -> BTreeMap<String, String> {
    for v in row.values_mut() {
        *v = v.trim().to_owned();
    }
    if let Some(e) = row.get_mut("email") {
        *e = e.to_lowercase();
    }
    if let Some(c) = row.get_mut("country") {
        *c = c.to_uppercase();
    }
    row.into_iter().collect()
}

#[test]
fn events_reference_only_announced_users_and_products_and_never_deleted_users() {
    let g = messy();
    let dir = tempfile::tempdir().unwrap();
    let first = date("2026-01-01");
    let dates: Vec<NaiveDate> = (0..21).map(|i| first + Days::new(i)).collect();
    g.write_days(dir.path(), &dates, 2).unwrap();
    let mut signup: HashMap<u64, NaiveDate> = HashMap::new();
    let mut deleted: HashMap<u64, DateTime<Utc>> = HashMap::new();
    let mut products: HashSet<u64> = HashSet::new();
    let (mut checked, mut deletions) = (0, 0);
    for &day in &dates {
        let d = day_dir(dir.path(), day);
        let mut today = HashSet::new();
        for r in records(&read(&d, "users.csv")) {
            let id: u64 = r["user_id"].parse().unwrap();
            assert!(today.insert(id), "two rows for user {id} on {day}");
            assert!(
                !deleted.contains_key(&id),
                "user {id} changed after deletion"
            );
            signup
                .entry(id)
                .or_insert(r["signup_date"].parse().unwrap());
            if r["is_deleted"] == "true" {
                deleted.insert(id, ts(&r["updated_at"]).unwrap());
                deletions += 1;
            }
        }
        for r in records(&read(&d, "products.csv")) {
            products.insert(r["product_id"].parse().unwrap());
        }
        for f in event_lines(&read(&d, "events.csv")) {
            let (Some(t), Ok(user)) = (f.get(1).and_then(|s| ts(s)), f[2].parse::<u64>()) else {
                continue;
            };
            if t.date_naive() > day || t.date_naive() < day - Days::new(7) {
                continue; // deliberately out of range
            }
            let signed_up = signup
                .get(&user)
                .unwrap_or_else(|| panic!("unknown user {user}"));
            assert!(
                *signed_up <= t.date_naive(),
                "user {user} active before signup"
            );
            if let Some(gone) = deleted.get(&user) {
                assert!(t < *gone, "user {user} active after deletion at {gone}");
            }
            if let Ok(product) = f[6].parse::<u64>() {
                assert!(products.contains(&product), "unknown product {product}");
            }
            checked += 1;
        }
    }
    assert!(checked > 2000, "{checked}");
    assert!(deletions > 0);
}

#[test]
fn a_snapshot_equals_the_replay_of_the_daily_feeds() {
    let g = messy();
    let dir = tempfile::tempdir().unwrap();
    let first = date("2026-01-01");
    let dates: Vec<NaiveDate> = (0..40).map(|i| first + Days::new(i)).collect();
    g.write_days(dir.path(), &dates, 2).unwrap();
    let mut users: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut products: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for &day in &dates {
        let d = day_dir(dir.path(), day);
        for r in records(&read(&d, "users.csv")).into_iter().map(clean) {
            if r["is_deleted"] == "true" {
                users.remove(&r["user_id"]);
            } else {
                users.insert(r["user_id"].clone(), r);
            }
        }
        for r in records(&read(&d, "products.csv")).into_iter().map(clean) {
            products.insert(r["product_id"].clone(), r);
        }
    }
    let manifest = g.write_snapshot(dir.path(), date("2026-02-10")).unwrap();
    assert!(manifest.snapshot);
    assert_eq!(manifest.date, date("2026-02-09"));
    assert_eq!(manifest.files["events.csv"].rows, 0);
    assert!(manifest.mess.values().all(|&n| n == 0));
    let snap = snapshot_dir(dir.path(), date("2026-02-09"));
    let snap_users: BTreeMap<_, _> = records(&read(&snap, "users.csv"))
        .into_iter()
        .map(|r| {
            (
                r["user_id"].clone(),
                r.into_iter().collect::<BTreeMap<_, _>>(),
            )
        })
        .collect();
    let snap_products: BTreeMap<_, _> = records(&read(&snap, "products.csv"))
        .into_iter()
        .map(|r| {
            (
                r["product_id"].clone(),
                r.into_iter().collect::<BTreeMap<_, _>>(),
            )
        })
        .collect();
    assert_eq!(manifest.files["users.csv"].rows, users.len() as u64);
    assert_eq!(snap_users, users);
    assert_eq!(snap_products, products);
    assert_eq!(read(&snap, "events.csv").lines().count(), 1);
}

#[test]
fn the_first_day_carries_the_whole_initial_population_and_catalogue() {
    let g = crate::common::generator(0.2, 42);
    let dir = tempfile::tempdir().unwrap();
    let m = g.write_day(dir.path(), date("2026-01-01")).unwrap();
    let snapshot = g.write_snapshot(dir.path(), date("2026-01-01")).unwrap();
    assert_eq!(snapshot.date, date("2025-12-31"));
    // 7000 × 0.2 initial users plus the first day's signups; 300 × 0.2 products.
    let signups_on_day_one = records(&read(&day_dir(dir.path(), date("2026-01-01")), "users.csv"))
        .iter()
        .filter(|r| r["signup_date"] == "2026-01-01")
        .count() as u64;
    assert_eq!(snapshot.files["users.csv"].rows, 1400);
    assert_eq!(m.files["users.csv"].rows, 1400 + signups_on_day_one);
    let new_on_day_one = records(&read(
        &day_dir(dir.path(), date("2026-01-01")),
        "products.csv",
    ))
    .iter()
    .filter(|r| r["updated_at"].starts_with("2026-01-01"))
    .count() as u64;
    assert_eq!(m.files["products.csv"].rows, 60 + new_on_day_one);
    assert_eq!(snapshot.files["products.csv"].rows, 60);
}
