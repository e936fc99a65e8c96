//! An independent recomputation of conformance and every mart, straight from the landing
//! files by docs/conformance.md and docs/kpis.md, in plain Rust: no SQL, no code shared with
//! the transform step except the domain values (`EventType::normalize`, `Money`'s strict
//! parse).
// Test code: a landing file that does not parse is a failed test.
#![allow(clippy::unwrap_used, clippy::type_complexity)]

use std::{
    collections::{BTreeMap, BTreeSet, HashMap, HashSet},
    path::Path,
    str::FromStr,
};

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use retention_model::{EventType, Money, landing};

/// A typed landing row of events.csv (a row the loader accepts).
#[derive(Debug, Clone)]
pub struct Row {
    pub event_id: Option<String>,
    pub ts: Option<DateTime<Utc>>,
    pub user_id: Option<i64>,
    pub session_id: Option<String>,
    pub event_type: Option<String>,
    pub product_id: Option<i64>,
    pub quantity: Option<i64>,
    pub price: Option<i64>,
    pub order_id: Option<String>,
    pub device: Option<String>,
}

/// A conformed event.
#[derive(Debug, Clone)]
pub struct Fact {
    pub event_id: String,
    pub ts: DateTime<Utc>,
    pub date: NaiveDate,
    pub batch: NaiveDate,
    pub user_id: i64,
    pub session_id: Option<String>,
    pub kind: EventType,
    pub product_id: Option<i64>,
    pub quantity: i64,
    pub price: i64,
    pub order_id: Option<String>,
    pub device: Option<String>,
}

fn opt(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

fn num(s: &str) -> Result<Option<i64>, ()> {
    if s.is_empty() {
        Ok(None)
    } else {
        s.parse().map(Some).map_err(|_| ())
    }
}

/// Parses a day's events.csv: (typed rows, lines of rows the loader must reject).
pub fn events(data: &Path, day: NaiveDate) -> (Vec<Row>, u64) {
    let path = landing::day_dir(data, day).join(landing::EVENTS_FILE);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(&path)
        .unwrap();
    let (mut rows, mut rejected) = (Vec::new(), 0);
    for rec in reader.records() {
        let Ok(rec) = rec else {
            rejected += 1;
            continue;
        };
        let typed = (|| -> Result<Row, ()> {
            if rec.len() != landing::EVENTS_HEADER.len() {
                return Err(());
            }
            let f = |i: usize| rec.get(i).unwrap_or("");
            let ts = if f(1).is_empty() {
                None
            } else {
                Some(
                    DateTime::parse_from_rfc3339(f(1))
                        .map_err(|_| ())?
                        .with_timezone(&Utc),
                )
            };
            let price = if f(8).is_empty() {
                None
            } else {
                Some(Money::from_str(f(8)).map_err(|_| ())?.cents())
            };
            Ok(Row {
                event_id: opt(f(0)),
                ts,
                user_id: num(f(2))?,
                session_id: opt(f(3)),
                event_type: opt(f(4)),
                product_id: num(f(6))?,
                quantity: num(f(7))?,
                price,
                order_id: opt(f(9)),
                device: opt(f(10)),
            })
        })();
        match typed {
            Ok(r) => rows.push(r),
            Err(()) => rejected += 1,
        }
    }
    (rows, rejected)
}

/// User ids and latest signup_date of a day's users.csv; product ids of its products.csv.
pub fn feeds(data: &Path, day: NaiveDate) -> (Vec<(i64, Option<NaiveDate>)>, Vec<i64>) {
    let dir = landing::day_dir(data, day);
    let mut users = Vec::new();
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(dir.join(landing::USERS_FILE))
        .unwrap();
    for rec in r.records().flatten() {
        if let Ok(id) = rec.get(0).unwrap_or("").trim().parse::<i64>() {
            let signup = rec.get(8).and_then(|s| s.trim().parse::<NaiveDate>().ok());
            users.push((id, signup));
        }
    }
    let mut products = Vec::new();
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(dir.join(landing::PRODUCTS_FILE))
        .unwrap();
    for rec in r.records().flatten() {
        if let Ok(id) = rec.get(0).unwrap_or("").trim().parse::<i64>() {
            products.push(id);
        }
    }
    (users, products)
}

/// The warehouse as docs/conformance.md and docs/kpis.md define it, built day by day.
#[derive(Debug, Default)]
pub struct Model {
    pub users: HashSet<i64>,
    pub signup: HashMap<i64, NaiveDate>,
    pub products: HashSet<i64>,
    pub facts: Vec<Fact>,
    accepted: HashSet<String>,
    /// Per batch day: load rejects of events.csv, and conformance rejects by reason.
    pub load_rejects: BTreeMap<NaiveDate, u64>,
    pub rejects: BTreeMap<NaiveDate, BTreeMap<String, u64>>,
}

impl Model {
    /// Feeds of day D, then conformance of its events (rules 1..5, in order).
    pub fn add_day(&mut self, data: &Path, day: NaiveDate) {
        let (users, products) = feeds(data, day);
        for (id, signup) in users {
            self.users.insert(id);
            if let Some(s) = signup {
                self.signup.insert(id, s);
            }
        }
        self.products.extend(products);
        let (rows, load_rejected) = events(data, day);
        self.load_rejects.insert(day, load_rejected);
        let lo = day
            .checked_sub_days(Days::new(7))
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc();
        let hi = day
            .checked_add_days(Days::new(1))
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc();
        let reasons = self.rejects.entry(day).or_default();
        let mut seen = HashSet::new();
        let mut accepted_today = Vec::new();
        for r in rows {
            let kind = r.event_type.as_deref().and_then(EventType::normalize);
            let reason = match (&kind, &r.event_id, r.user_id, r.ts) {
                (None, ..) => Some("unknown_event_type"),
                (_, None, ..) => Some("missing_event_id"),
                (_, _, None, _) => Some("missing_user_id"),
                (_, _, Some(u), _) if !self.users.contains(&u) => Some("unknown_user"),
                _ if r.product_id.is_some_and(|p| !self.products.contains(&p)) => {
                    Some("unknown_product")
                }
                (.., None) => Some("timestamp_out_of_range"),
                (.., Some(ts)) if ts < lo || ts >= hi => Some("timestamp_out_of_range"),
                (Some(EventType::Purchase), ..)
                    if !(r.quantity.is_some_and(|q| (1..=100).contains(&q))
                        && r.price.is_some_and(|p| p > 0)
                        && r.order_id.is_some()) =>
                {
                    Some("invalid_purchase")
                }
                _ => None,
            };
            let reason = match reason {
                Some(x) => Some(x),
                None => {
                    let id = r.event_id.clone().unwrap_or_default();
                    let dup = self.accepted.contains(&id) || seen.contains(&id);
                    seen.insert(id);
                    dup.then_some("duplicate_event")
                }
            };
            if let Some(reason) = reason {
                *reasons.entry(reason.to_owned()).or_default() += 1;
                continue;
            }
            let (Some(kind), Some(event_id), Some(user_id), Some(ts)) =
                (kind, r.event_id, r.user_id, r.ts)
            else {
                unreachable!("checked above")
            };
            accepted_today.push(event_id.clone());
            self.facts.push(Fact {
                event_id,
                ts,
                date: ts.date_naive(),
                batch: day,
                user_id,
                session_id: r.session_id,
                kind,
                product_id: r.product_id,
                quantity: r.quantity.unwrap_or(0),
                price: r.price.unwrap_or(0),
                order_id: r.order_id,
                device: r.device,
            });
        }
        self.accepted.extend(accepted_today);
    }
}

pub fn monday(d: NaiveDate) -> NaiveDate {
    d - Days::new(u64::from(d.weekday().num_days_from_monday()))
}

pub fn money(cents: i64) -> String {
    format!(
        "{}{}.{:02}",
        if cents < 0 { "-" } else { "" },
        cents.abs() / 100,
        cents.abs() % 100
    )
}

/// Rounded half away from zero, like PostgreSQL's `round(numeric, 2)`, for positive values.
fn div_round(a: i64, b: i64) -> i64 {
    (2 * a + b) / (2 * b)
}

fn ratio(a: i64, b: i64) -> Option<f64> {
    (b != 0).then(|| a as f64 / b as f64)
}

/// (date, dau, wau, mau, stickiness) from the first to the last day with facts.
pub fn engagement(facts: &[Fact]) -> Vec<(NaiveDate, i64, i64, i64, Option<f64>)> {
    let mut active: BTreeMap<NaiveDate, HashSet<i64>> = BTreeMap::new();
    for f in facts {
        active.entry(f.date).or_default().insert(f.user_id);
    }
    let (Some(first), Some(last)) = (active.keys().next().copied(), active.keys().last().copied())
    else {
        return Vec::new();
    };
    let window = |d: NaiveDate, n: u64| -> i64 {
        let from = d - Days::new(n - 1);
        let users: HashSet<i64> = active
            .range(from..=d)
            .flat_map(|(_, u)| u.iter().copied())
            .collect();
        users.len() as i64
    };
    first
        .iter_days()
        .take_while(|d| *d <= last)
        .map(|d| {
            let dau = active.get(&d).map_or(0, |u| u.len() as i64);
            let mau = window(d, 30);
            (d, dau, window(d, 7), mau, ratio(dau, mau))
        })
        .collect()
}

/// (period start, orders, units, revenue, avg order value, purchase events, buyers).
pub fn sales(
    facts: &[Fact],
    period: fn(NaiveDate) -> NaiveDate,
) -> Vec<(NaiveDate, i64, i64, String, String, i64, i64)> {
    let mut by: BTreeMap<NaiveDate, (HashSet<String>, i64, i64, i64, HashSet<i64>)> =
        BTreeMap::new();
    for f in facts.iter().filter(|f| f.kind == EventType::Purchase) {
        let e = by.entry(period(f.date)).or_default();
        e.0.insert(f.order_id.clone().unwrap_or_default());
        e.1 += f.quantity;
        e.2 += f.quantity * f.price;
        e.3 += 1;
        e.4.insert(f.user_id);
    }
    by.into_iter()
        .map(|(p, (orders, units, revenue, events, buyers))| {
            let n = orders.len() as i64;
            (
                p,
                n,
                units,
                money(revenue),
                money(div_round(revenue, n)),
                events,
                buyers.len() as i64,
            )
        })
        .collect()
}

pub fn month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap()
}

/// (date, by_device, device, sessions, views, carts, purchases, three rates).
pub type FunnelRow = (
    NaiveDate,
    bool,
    String,
    i64,
    i64,
    i64,
    i64,
    Option<f64>,
    Option<f64>,
    Option<f64>,
);

pub fn funnel(facts: &[Fact]) -> Vec<FunnelRow> {
    #[derive(Default)]
    struct S {
        first: Option<(DateTime<Utc>, String, NaiveDate, Option<String>)>,
        view: bool,
        cart: bool,
        buy: bool,
    }
    let mut sessions: HashMap<&str, S> = HashMap::new();
    for f in facts {
        let Some(id) = f.session_id.as_deref() else {
            continue;
        };
        let s = sessions.entry(id).or_default();
        let key = (f.ts, f.event_id.clone());
        if s.first
            .as_ref()
            .is_none_or(|(ts, eid, ..)| key < (*ts, eid.clone()))
        {
            s.first = Some((f.ts, f.event_id.clone(), f.date, f.device.clone()));
        }
        s.view |= f.kind == EventType::PageView;
        s.cart |= f.kind == EventType::AddToCart;
        s.buy |= f.kind == EventType::Purchase;
    }
    let mut counts: BTreeMap<(NaiveDate, bool, String), [i64; 4]> = BTreeMap::new();
    for s in sessions.values() {
        let Some((_, _, date, device)) = &s.first else {
            continue;
        };
        let flags = [
            1,
            i64::from(s.view),
            i64::from(s.view && s.cart),
            i64::from(s.view && s.cart && s.buy),
        ];
        for key in [
            (*date, false, "all".to_owned()),
            (
                *date,
                true,
                device.clone().unwrap_or_else(|| "unknown".into()),
            ),
        ] {
            let c = counts.entry(key).or_default();
            for i in 0..4 {
                c[i] += flags[i];
            }
        }
    }
    counts
        .into_iter()
        .map(|((d, by, dev), [s, v, c, p])| {
            (
                d,
                by,
                dev,
                s,
                v,
                c,
                p,
                ratio(c, v),
                ratio(p, c),
                ratio(p, v),
            )
        })
        .collect()
}

/// (week, product, views, carts, purchases, units, revenue, rank).
pub fn products(facts: &[Fact]) -> Vec<(NaiveDate, i64, i64, i64, i64, i64, String, i64)> {
    let mut by: BTreeMap<(NaiveDate, i64), [i64; 5]> = BTreeMap::new();
    for f in facts {
        let Some(p) = f.product_id else { continue };
        let i = match f.kind {
            EventType::ProductView => 0,
            EventType::AddToCart => 1,
            EventType::Purchase => 2,
            _ => continue,
        };
        let e = by.entry((monday(f.date), p)).or_default();
        e[i] += 1;
        if i == 2 {
            e[3] += f.quantity;
            e[4] += f.quantity * f.price;
        }
    }
    by.iter()
        .map(|((w, p), v)| {
            let rank = 1 + by
                .iter()
                .filter(|((w2, _), v2)| w2 == w && (v2[4], v2[3]) > (v[4], v[3]))
                .count() as i64;
            (*w, *p, v[0], v[1], v[2], v[3], money(v[4]), rank)
        })
        .collect()
}

/// (cohort week, week offset, size, retained, rate).
pub fn cohorts(model: &Model) -> Vec<(NaiveDate, i32, i64, i64, f64)> {
    let cohort_of: HashMap<i64, NaiveDate> =
        model.signup.iter().map(|(u, s)| (*u, monday(*s))).collect();
    let mut size: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    for c in cohort_of.values() {
        *size.entry(*c).or_default() += 1;
    }
    let active: BTreeSet<(NaiveDate, i64)> = model
        .facts
        .iter()
        .map(|f| (monday(f.date), f.user_id))
        .collect();
    let (Some(first), Some(last)) = (active.first().map(|a| a.0), active.last().map(|a| a.0))
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (c, n) in size {
        let mut w = c.max(first);
        while w <= last {
            let retained = active
                .iter()
                .filter(|(aw, u)| *aw == w && cohort_of.get(u) == Some(&c))
                .count() as i64;
            out.push((
                c,
                ((w - c).num_days() / 7) as i32,
                n,
                retained,
                retained as f64 / n as f64,
            ));
            w = w + Days::new(7);
        }
    }
    out
}

/// (user, week, daily events Monday first, total, active days, purchases, revenue).
pub fn weekly(facts: &[Fact]) -> Vec<(i64, NaiveDate, Vec<i32>, i32, i16, i32, String)> {
    let mut by: BTreeMap<(i64, NaiveDate), (Vec<i32>, i32, i64)> = BTreeMap::new();
    for f in facts {
        let w = monday(f.date);
        let e = by
            .entry((f.user_id, w))
            .or_insert_with(|| (vec![0; 7], 0, 0));
        e.0[(f.date - w).num_days() as usize] += 1;
        if f.kind == EventType::Purchase {
            e.1 += 1;
            e.2 += f.quantity * f.price;
        }
    }
    by.into_iter()
        .map(|((u, w), (daily, purchases, revenue))| {
            let total = daily.iter().sum();
            let active = daily.iter().filter(|n| **n > 0).count() as i16;
            (u, w, daily, total, active, purchases, money(revenue))
        })
        .collect()
}
