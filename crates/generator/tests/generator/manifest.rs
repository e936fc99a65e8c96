//! The manifest's counts are ground truth for the later steps: recount every anomaly kind
//! from the files, independently of the generator, and compare.

use std::collections::{BTreeMap, HashMap};

use chrono::{Days, NaiveDate};
use retention_generator::{Generator, GeneratorConfig, Mess};
use retention_model::{EventType, Money, landing::day_dir};
use sha2::{Digest, Sha256};

use crate::common::{date, event_lines, read, records, ts};

/// Mess rates high enough that a few small days hold dozens of each kind.
pub fn messy() -> Generator {
    let config = GeneratorConfig {
        mess: Mess {
            duplicate_event: 0.02,
            missing_user_id: 0.02,
            event_type_variant: 0.02,
            unknown_event_type: 0.02,
            timestamp_out_of_range: 0.02,
            late_event: 0.02,
            bad_timestamp: 0.02,
            bad_number: 0.02,
            bad_field_count: 0.02,
            invalid_purchase: 0.5,
            dirty_user_row: 0.2,
        },
        ..GeneratorConfig::default()
    };
    Generator::new(config, 7, 0.3).unwrap()
}

/// Recounts the anomalies of one day's events.csv, rule by rule as the loader and the
/// conformance step apply them, and checks that no row carries two.
pub fn recount_events(text: &str, day: NaiveDate) -> BTreeMap<&'static str, u64> {
    let mut n: BTreeMap<&'static str, u64> = BTreeMap::new();
    let start = day.and_hms_opt(0, 0, 0).unwrap().and_utc();
    let end = start + chrono::Duration::days(1);
    let window = start - chrono::Duration::days(7);
    let mut seen: HashMap<&str, &str> = HashMap::new();
    let lines: Vec<&str> = text.lines().skip(1).collect();
    for (line, f) in lines.iter().zip(event_lines(text)) {
        let mut kinds = Vec::new();
        if f.len() != 12 {
            n.entry("bad_field_count")
                .and_modify(|c| *c += 1)
                .or_insert(1);
            continue;
        }
        let Some(t) = ts(f[1]) else {
            kinds.push("bad_timestamp");
            *n.entry("bad_timestamp").or_default() += 1;
            continue;
        };
        let int = |s: &str| s.is_empty() || s.parse::<i64>().is_ok();
        if ![f[2], f[6], f[7]].into_iter().all(int)
            || !(f[8].is_empty() || f[8].parse::<Money>().is_ok())
        {
            *n.entry("bad_number").or_default() += 1;
            continue;
        }
        match EventType::normalize(f[4]) {
            None => kinds.push("unknown_event_type"),
            Some(e) if e.as_str() != f[4] => kinds.push("event_type_variant"),
            Some(_) => {}
        }
        if f[2].is_empty() {
            kinds.push("missing_user_id");
        }
        if t >= end || t < window {
            kinds.push("timestamp_out_of_range");
        } else if t < start {
            kinds.push("late_event");
        }
        if f[4] == "purchase" {
            let q: i64 = f[7].parse().unwrap_or(0);
            let p: Money = f[8].parse().unwrap_or(Money::ZERO);
            if !(1..=100).contains(&q) || p.cents() <= 0 || f[9].is_empty() {
                kinds.push("invalid_purchase");
            }
        }
        if let Some(first) = seen.get(f[0]) {
            assert_eq!(first, line, "a duplicate is a byte-exact copy");
            kinds.push("duplicate_event");
        } else {
            seen.insert(f[0], line);
        }
        assert!(kinds.len() <= 1, "row carries {kinds:?}: {line}");
        for k in kinds {
            *n.entry(k).or_default() += 1;
        }
    }
    n
}

/// Dirty user rows: an upper-case letter in the email, whitespace around a field, or a
/// lower-case country code.
pub fn recount_dirty_users(text: &str) -> u64 {
    records(text)
        .iter()
        .filter(|r| {
            r["email"].chars().any(|c| c.is_ascii_uppercase())
                || r.values().any(|v| v.trim() != v)
                || r["country"].chars().any(|c| c.is_ascii_lowercase())
        })
        .count() as u64
}

#[test]
fn manifest_counts_equal_the_anomalies_found_in_the_files() {
    let g = messy();
    let dir = tempfile::tempdir().unwrap();
    // Around Black Friday: enough purchases to spoil.
    let first = date("2026-11-23");
    let dates: Vec<_> = (0..8).map(|i| first + Days::new(i)).collect();
    let manifests = g.write_days(dir.path(), &dates, 2).unwrap();
    let mut totals: BTreeMap<String, u64> = BTreeMap::new();
    for m in &manifests {
        let day = day_dir(dir.path(), m.date);
        let events = read(&day, "events.csv");
        let mut found: BTreeMap<String, u64> = recount_events(&events, m.date)
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        found.insert(
            "dirty_user_row".into(),
            recount_dirty_users(&read(&day, "users.csv")),
        );
        for kind in m.mess.keys() {
            found.entry(kind.clone()).or_default();
        }
        assert_eq!(m.mess, found, "{}", m.date);
        for (k, v) in &m.mess {
            *totals.entry(k.clone()).or_default() += v;
        }
        for (file, entry) in &m.files {
            let bytes = std::fs::read(day.join(file)).unwrap();
            assert_eq!(entry.sha256, hex(&bytes), "{file}");
            let rows = bytes.iter().filter(|&&b| b == b'\n').count() as u64 - 1;
            assert_eq!(entry.rows, rows, "{file}");
        }
    }
    // Every kind occurred, so the comparison above proved something for each.
    assert_eq!(totals.len(), 11);
    for (kind, n) in &totals {
        assert!(*n >= 5, "{kind}: only {n}");
    }
}

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
