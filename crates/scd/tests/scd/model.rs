//! The reference for property tests: random daily user feeds, what the source says at the
//! end of each day, and a checker of a dimension's full history against it.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use retention_scd::{DimensionSpec, SourceRow, Value, normalise_value};

pub fn user_spec() -> DimensionSpec {
    DimensionSpec::list_from_yaml(include_str!("../../../../config/dimensions.yaml"))
        .unwrap()
        .remove(0)
}

pub fn day(n: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 1).unwrap() + Duration::days(n as i64)
}

pub fn day_start(n: u32) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day(n).and_hms_opt(0, 0, 0).unwrap())
}

/// One feed row of the generated user feed. Values in spec column order:
/// country, city, device, plan, acquisition_channel, email, full_name, signup_date.
#[derive(Debug, Clone)]
pub struct FeedRow {
    pub key: i64,
    pub effective: DateTime<Utc>,
    pub deleted: bool,
    pub values: Vec<Value>,
}

impl FeedRow {
    pub fn source_row(&self) -> SourceRow {
        SourceRow {
            key: self.key.to_string(),
            effective: self.effective,
            deleted: self.deleted,
            values: self.values.clone(),
        }
    }
}

fn opt(choices: &'static [Option<&'static str>]) -> impl Strategy<Value = Value> {
    proptest::sample::select(choices).prop_map(|o| o.map(str::to_owned))
}

pub fn values() -> impl Strategy<Value = Vec<Value>> {
    (
        opt(&[Some("DE"), Some(" de "), Some("FR"), Some(""), None]),
        opt(&[Some("Berlin"), Some("Paris ")]),
        opt(&[Some("web")]),
        opt(&[Some("free"), Some("pro")]),
        opt(&[Some("ads")]),
        opt(&[Some("A@X.io"), Some(" b@x.io")]),
        opt(&[Some("Ann"), Some("Bob")]),
        opt(&[Some("2025-01-01"), Some("2025-02-01")]),
    )
        .prop_map(|(a, b, c, d, e, f, g, h)| vec![a, b, c, d, e, f, g, h])
}

/// `days` daily feeds over `keys` users; within a day a row's position sets its time, so
/// several rows of one key never tie.
pub fn feeds(days: usize, keys: i64) -> impl Strategy<Value = Vec<Vec<FeedRow>>> {
    let row = (1..=keys, prop::bool::weighted(0.2), values());
    prop::collection::vec(prop::collection::vec(row, 0..6), 1..=days).prop_map(|days| {
        days.into_iter()
            .enumerate()
            .map(|(d, rows)| {
                rows.into_iter()
                    .enumerate()
                    .map(|(i, (key, deleted, values))| FeedRow {
                        key,
                        effective: day_start(d as u32) + Duration::minutes(60 + 7 * i as i64 + key),
                        deleted,
                        values,
                    })
                    .collect()
            })
            .collect()
    })
}

/// A version as stored (valid_to `None` = infinity).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub key: i64,
    pub values: Vec<Value>,
    pub valid_from: DateTime<Utc>,
    pub valid_to: Option<DateTime<Utc>>,
    pub is_current: bool,
    pub is_deleted: bool,
}

/// One life of a key in the source: its type-1 values at its end and whether a deletion
/// ended it.
#[derive(Debug, Clone, PartialEq)]
struct Life {
    type1: Vec<Value>,
    deleted: bool,
}

struct Expected {
    /// Per day end: key → normalised type-2 values of live keys.
    as_of: Vec<BTreeMap<i64, Vec<Value>>>,
    lives: BTreeMap<i64, Vec<Life>>,
}

fn expected(spec: &DimensionSpec, feeds: &[Vec<FeedRow>]) -> Expected {
    let steps: Vec<_> = spec
        .columns()
        .map(|c| spec.normalise.get(c).cloned().unwrap_or_default())
        .collect();
    let n2 = spec.type2.len();
    let mut live: BTreeMap<i64, Vec<Value>> = BTreeMap::new();
    let mut lives: BTreeMap<i64, Vec<Life>> = BTreeMap::new();
    let mut as_of = Vec::new();
    for rows in feeds {
        // Rows of a day come in time order, and each is its own point in history: a change
        // makes a version, a deletion ends the life, a later row starts a new one.
        for r in rows {
            let values: Vec<Value> = r
                .values
                .iter()
                .zip(&steps)
                .map(|(v, s)| normalise_value(v.clone(), s))
                .collect();
            let key_lives = lives.entry(r.key).or_default();
            if r.deleted {
                if live.remove(&r.key).is_some()
                    && let Some(l) = key_lives.last_mut()
                {
                    l.deleted = true;
                }
            } else {
                if live.insert(r.key, values[..n2].to_vec()).is_none() {
                    key_lives.push(Life {
                        type1: vec![],
                        deleted: false,
                    });
                }
                if let Some(l) = key_lives.last_mut() {
                    l.type1 = values[n2..].to_vec();
                }
            }
        }
        as_of.push(live.clone());
    }
    Expected { as_of, lives }
}

/// Checks a dimension's full history against the feeds; panics with what differs.
pub fn check_history(spec: &DimensionSpec, feeds: &[Vec<FeedRow>], versions: &[Version]) {
    let exp = expected(spec, feeds);
    let n2 = spec.type2.len();
    let erase = spec.erase_positions();
    let mut by_key: BTreeMap<i64, Vec<&Version>> = BTreeMap::new();
    for v in versions {
        by_key.entry(v.key).or_default().push(v);
    }
    for (key, vs) in &mut by_key {
        vs.sort_by_key(|v| v.valid_from);
        let mut life = 0;
        let lives = exp.lives.get(key).cloned().unwrap_or_default();
        for (i, v) in vs.iter().enumerate() {
            if let Some(to) = v.valid_to {
                assert!(v.valid_from < to, "key {key}: empty version {v:?}");
            }
            assert_eq!(
                v.is_current,
                v.valid_to.is_none(),
                "key {key}: current ⇔ open {v:?}"
            );
            assert!(
                !(v.is_current && v.is_deleted),
                "key {key}: current and deleted"
            );
            if let Some(next) = vs.get(i + 1) {
                let to = v.valid_to.expect("only the last version may be open");
                if v.is_deleted {
                    assert!(to <= next.valid_from, "key {key}: overlap after deletion");
                } else {
                    assert_eq!(to, next.valid_from, "key {key}: versions must meet exactly");
                }
            }
            let l = lives
                .get(life)
                .unwrap_or_else(|| panic!("key {key}: more lives than the feed has"));
            let mut want = l.type1.clone();
            if l.deleted {
                for &e in &erase {
                    want[e - n2] = None;
                }
            }
            assert_eq!(
                v.values[n2..],
                want[..],
                "key {key}: type-1 values of {v:?}"
            );
            if v.is_deleted {
                life += 1;
            }
        }
        let ended = vs.last().is_some_and(|v| v.is_deleted);
        assert_eq!(
            life + usize::from(!ended),
            lives.len(),
            "key {key}: number of lives"
        );
    }
    for (d, live) in exp.as_of.iter().enumerate() {
        let t = day_start(d as u32) + Duration::hours(23) + Duration::minutes(59);
        let mut seen = BTreeMap::new();
        for v in versions {
            if v.valid_from <= t && v.valid_to.is_none_or(|to| t < to) {
                assert!(
                    seen.insert(v.key, v.values[..n2].to_vec()).is_none(),
                    "day {d}: key {} has two versions valid at once",
                    v.key
                );
            }
        }
        assert_eq!(&seen, live, "as-of view at the end of day {d}");
    }
    let current: BTreeMap<i64, usize> =
        versions
            .iter()
            .filter(|v| v.is_current)
            .fold(BTreeMap::new(), |mut m, v| {
                *m.entry(v.key).or_default() += 1;
                m
            });
    let last = exp.as_of.last().cloned().unwrap_or_default();
    assert_eq!(
        current.keys().collect::<Vec<_>>(),
        last.keys().collect::<Vec<_>>(),
        "exactly the live keys have a current row"
    );
    assert!(current.values().all(|&n| n == 1), "one current row per key");
}
