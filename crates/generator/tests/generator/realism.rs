//! Statistics over a generated year (at a small scale, so the test stays quick) must look
//! like a web shop: weekly and yearly seasonality, decaying cohort retention, funnel rates
//! near the configured ones, and mess near the configured rates.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::OnceLock;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use retention_generator::{GeneratorConfig, black_friday};
use retention_model::{EventType, Manifest, landing::day_dir};

use crate::common::{event_lines, generator, read, records, ts};

struct Year {
    _dir: tempfile::TempDir,
    manifests: Vec<Manifest>,
    /// Rows per day.
    daily: BTreeMap<NaiveDate, u64>,
    /// Signup date per user.
    signup: HashMap<u64, NaiveDate>,
    /// (user, Monday of the week) pairs with activity.
    active_weeks: HashSet<(u64, NaiveDate)>,
    /// Per session: the canonical event types it contains.
    sessions: HashMap<String, HashSet<EventType>>,
    views: u64,
    carts: u64,
}

fn monday(d: NaiveDate) -> NaiveDate {
    d - Days::new(u64::from(d.weekday().num_days_from_monday()))
}

fn year() -> &'static Year {
    static YEAR: OnceLock<Year> = OnceLock::new();
    YEAR.get_or_init(|| {
        let g = generator(0.25, 42);
        let dir = tempfile::tempdir().unwrap();
        let (first, last) = g.horizon();
        let dates: Vec<_> = first.iter_days().take_while(|d| *d <= last).collect();
        let manifests = g.write_days(dir.path(), &dates, 2).unwrap();
        let root = dir.path().to_owned();
        let mut y = Year {
            _dir: dir,
            manifests: Vec::new(),
            daily: BTreeMap::new(),
            signup: HashMap::new(),
            active_weeks: HashSet::new(),
            sessions: HashMap::new(),
            views: 0,
            carts: 0,
        };
        for m in &manifests {
            let d = day_dir(&root, m.date);
            y.daily.insert(m.date, m.files["events.csv"].rows);
            for r in records(&read(&d, "users.csv")) {
                y.signup
                    .entry(r["user_id"].parse().unwrap())
                    .or_insert(r["signup_date"].parse().unwrap());
            }
            for f in event_lines(&read(&d, "events.csv")) {
                let (Some(t), Ok(user), Some(kind)) =
                    (ts(f[1]), f[2].parse::<u64>(), EventType::normalize(f[4]))
                else {
                    continue;
                };
                if f.len() != 12 || t.date_naive() != m.date {
                    continue;
                }
                y.active_weeks.insert((user, monday(t.date_naive())));
                y.sessions.entry(f[3].to_owned()).or_default().insert(kind);
                match kind {
                    EventType::ProductView => y.views += 1,
                    EventType::AddToCart => y.carts += 1,
                    _ => {}
                }
            }
        }
        y.manifests = manifests;
        y
    })
}

fn mean(values: impl Iterator<Item = u64>) -> f64 {
    let v: Vec<u64> = values.collect();
    v.iter().sum::<u64>() as f64 / v.len() as f64
}

#[test]
fn weekends_are_quieter_than_weekdays() {
    let y = year();
    let weekend = |d: &NaiveDate| matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
    let bf = black_friday(2026);
    let normal = |d: &NaiveDate| *d < bf || *d > bf + Days::new(3);
    let we = mean(
        y.daily
            .iter()
            .filter(|(d, _)| weekend(d) && normal(d))
            .map(|(_, n)| *n),
    );
    let wd = mean(
        y.daily
            .iter()
            .filter(|(d, _)| !weekend(d) && normal(d))
            .map(|(_, n)| *n),
    );
    assert!(we < 0.9 * wd, "weekend {we:.0} vs weekday {wd:.0}");
}

#[test]
fn december_is_above_the_yearly_mean_and_black_friday_is_the_peak() {
    let y = year();
    let all = mean(y.daily.values().copied());
    let dec = mean(
        y.daily
            .iter()
            .filter(|(d, _)| d.month() == 12)
            .map(|(_, n)| *n),
    );
    assert!(dec > 1.2 * all, "December {dec:.0} vs year {all:.0}");
    let (peak, _) = y.daily.iter().max_by_key(|(_, n)| **n).unwrap();
    assert_eq!(*peak, black_friday(2026));
    let june = mean(y.daily.range(d(6, 1)..d(6, 22)).map(|(_, n)| *n));
    let summer = mean(y.daily.range(d(7, 21)..d(8, 11)).map(|(_, n)| *n));
    assert!(summer < june, "late July {summer:.0} vs June {june:.0}");
}

fn d(m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, day).unwrap()
}

#[test]
fn cohort_retention_falls_with_the_weeks_since_signup() {
    let y = year();
    let mut cohorts: BTreeMap<NaiveDate, Vec<u64>> = BTreeMap::new();
    for (&user, &s) in &y.signup {
        if s >= d(1, 5) && s < d(8, 31) {
            cohorts.entry(monday(s)).or_default().push(user);
        }
    }
    let offsets = [1u64, 2, 4, 8, 16];
    // Weekly cohorts at this small scale hold ~15 users: check each block of four weekly
    // cohorts (about 60 users) and the pooled curve.
    let mut blocks: BTreeMap<usize, ([u64; 5], u64)> = BTreeMap::new();
    for (i, (week, users)) in cohorts.iter().enumerate() {
        let block = blocks.entry(i / 4).or_default();
        for (slot, k) in offsets.iter().enumerate() {
            let w = *week + Days::new(7 * k);
            block.0[slot] += users
                .iter()
                .filter(|u| y.active_weeks.contains(&(**u, w)))
                .count() as u64;
        }
        block.1 += users.len() as u64;
    }
    let mut pooled = [0u64; 5];
    let mut size = 0;
    for (block, (retained, n)) in &blocks {
        assert!(
            retained[0] > retained[2] && retained[2] > retained[4],
            "cohort block {block}: retained {retained:?} of {n} at weeks {offsets:?}"
        );
        for (p, r) in pooled.iter_mut().zip(retained) {
            *p += r;
        }
        size += n;
    }
    let rates: Vec<f64> = pooled.iter().map(|&p| p as f64 / size as f64).collect();
    for pair in rates.windows(2) {
        assert!(
            pair[1] < pair[0],
            "retention by week {offsets:?}: {rates:?}"
        );
    }
    assert!(
        rates[0] > 0.15 && rates[0] < 0.6 && rates[4] < 0.2,
        "{rates:?}"
    );
}

#[test]
fn funnel_rates_stay_near_the_configured_ones() {
    let y = year();
    let f = GeneratorConfig::default().funnel;
    let n = |pred: &dyn Fn(&HashSet<EventType>) -> bool| {
        y.sessions.values().filter(|s| pred(s)).count() as f64
    };
    let sessions = y.sessions.len() as f64;
    let searched = n(&|s| s.contains(&EventType::Search)) / sessions;
    assert!((searched - f.search_rate).abs() < 0.02, "search {searched}");
    let checkouts = n(&|s| s.contains(&EventType::BeginCheckout));
    let bought = n(&|s| s.contains(&EventType::BeginCheckout) && s.contains(&EventType::Purchase));
    let purchase = bought / checkouts;
    assert!(
        (purchase - f.purchase_rate).abs() < 0.05,
        "purchase {purchase}"
    );
    let cart = y.carts as f64 / y.views as f64;
    // Deal days convert up to 1.43× better; sessions cut at midnight lose a few carts.
    assert!(
        cart > f.add_to_cart_rate * 0.9 && cart < f.add_to_cart_rate * 1.3,
        "cart {cart}"
    );
    let views = n(&|s| s.contains(&EventType::PageView));
    let conversion = n(&|s| {
        s.contains(&EventType::PageView)
            && s.contains(&EventType::AddToCart)
            && s.contains(&EventType::Purchase)
    }) / views;
    assert!(
        conversion > 0.02 && conversion < 0.12,
        "conversion {conversion}"
    );
}

#[test]
fn mess_rates_stay_within_tolerance_of_the_config() {
    let y = year();
    let rates = GeneratorConfig::default().mess;
    let total = |kind: &str| y.manifests.iter().map(|m| m.mess[kind]).sum::<u64>() as f64;
    let rows: f64 = y
        .manifests
        .iter()
        .map(|m| m.files["events.csv"].rows)
        .sum::<u64>() as f64;
    let clean = rows - total("duplicate_event") - total("late_event");
    for (kind, rate) in [
        ("duplicate_event", rates.duplicate_event),
        ("missing_user_id", rates.missing_user_id),
        ("event_type_variant", rates.event_type_variant),
        ("unknown_event_type", rates.unknown_event_type),
        ("timestamp_out_of_range", rates.timestamp_out_of_range),
        ("bad_timestamp", rates.bad_timestamp),
        ("bad_number", rates.bad_number),
        ("bad_field_count", rates.bad_field_count),
    ] {
        let expected = rate * clean;
        let got = total(kind);
        assert!(
            (got - expected).abs() <= 4.0 * expected.sqrt() + 2.0,
            "{kind}: {got} vs {expected:.0}"
        );
    }
    // A late event needs a user who signed up at least two days before; about a quarter of
    // the traffic comes from newer users, so the realised rate is lower by that share.
    let late = total("late_event") / (rates.late_event * clean);
    assert!(late > 0.65 && late <= 1.05, "late {late}");
}
