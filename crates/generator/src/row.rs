//! One event row as CSV: the clean fields, and each anomaly's exact spelling.

use chrono::NaiveDate;
use retention_model::EventType;

use crate::{
    mess::push_variant,
    out::{push_date, push_money, push_time, push_u64},
    population::Attrs,
    rng::Rand,
    tables::{CATEGORIES, CITIES, DEVICES, SEARCH_TERMS, UNKNOWN_EVENT_TYPES},
};

/// Where an event happened.
#[derive(Debug, Clone, Copy)]
pub enum Page {
    Home,
    Category(u8),
    Search(u8),
    Product(u64),
    Reviews(u64),
    Cart,
    Checkout,
    Complete,
}

/// One clean event, before any anomaly is applied.
#[derive(Debug, Clone, Copy)]
pub struct Row {
    pub id: [u8; 36],
    /// Days before the batch day (0 except for late events).
    pub days_back: u32,
    pub ms: u32,
    pub event_type: EventType,
    pub page: Page,
    pub product: u64,
    pub quantity: u32,
    pub price: Option<i64>,
    pub order: Option<[u8; 36]>,
}

/// How one row is spoiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anomaly {
    None,
    Duplicate,
    MissingUser,
    Variant(u8),
    Unknown(u8),
    OutOfRange(bool),
    BadTimestamp(u8),
    BadNumber(u8),
    FieldCount(bool),
    InvalidPurchase(u8),
}

/// The user-specific part of a row: who and on what.
#[derive(Debug, Clone, Copy)]
pub struct Who {
    pub user: u64,
    pub session: [u8; 36],
    pub before: Attrs,
    pub change_ms: u32,
    pub after: Attrs,
}

/// The batch day's text and how to date late rows.
#[derive(Debug, Clone)]
pub struct RowDates {
    /// `YYYY-MM-DD` of the batch day.
    pub date_text: [u8; 10],
    /// The batch day.
    pub date: NaiveDate,
}

impl RowDates {
    /// The texts of `date`.
    pub fn new(date: NaiveDate) -> Self {
        let mut date_text = [0u8; 10];
        let mut tmp = Vec::with_capacity(10);
        push_date(&mut tmp, date);
        date_text.copy_from_slice(&tmp);
        Self { date_text, date }
    }

    /// Appends `row` for `who`, spoiled by `anomaly`.
    pub fn write(&self, buf: &mut Vec<u8>, who: &Who, row: &Row, anomaly: Anomaly) {
        buf.extend_from_slice(&row.id);
        buf.push(b',');
        match anomaly {
            Anomaly::OutOfRange(true) => {
                // A fixed valid date: the batch's month and day would not exist in 2099
                // when the batch is February 29.
                buf.extend_from_slice(b"2099-12-31");
                push_time(buf, row.ms);
            }
            Anomaly::OutOfRange(false) => buf.extend_from_slice(b"1970-01-01T00:00:00.000Z"),
            Anomaly::BadTimestamp(style) => match style {
                0 => {
                    buf.extend_from_slice(&self.date_text[..5]);
                    buf.extend_from_slice(b"13");
                    buf.extend_from_slice(&self.date_text[7..]);
                    buf.extend_from_slice(b"T10:00:00Z");
                }
                1 => {
                    buf.extend_from_slice(&self.date_text);
                    buf.extend_from_slice(b"T25:61:00Z");
                }
                2 => buf.extend_from_slice(b"yesterday"),
                _ => buf.extend_from_slice(b"N/A"),
            },
            _ if row.days_back > 0 => {
                let date = self.date - chrono::Days::new(u64::from(row.days_back));
                push_date(buf, date);
                push_time(buf, row.ms);
            }
            _ => {
                buf.extend_from_slice(&self.date_text);
                push_time(buf, row.ms);
            }
        }
        buf.push(b',');
        if anomaly != Anomaly::MissingUser {
            push_u64(buf, who.user);
        }
        buf.push(b',');
        buf.extend_from_slice(&who.session);
        buf.push(b',');
        match anomaly {
            Anomaly::Variant(style) => push_variant(buf, row.event_type, style),
            Anomaly::Unknown(i) => {
                buf.extend_from_slice(UNKNOWN_EVENT_TYPES[i as usize].as_bytes());
            }
            _ => buf.extend_from_slice(row.event_type.as_str().as_bytes()),
        }
        buf.push(b',');
        push_page(buf, row.page);
        buf.push(b',');
        if row.product > 0 {
            push_u64(buf, row.product);
        }
        buf.push(b',');
        match anomaly {
            Anomaly::BadNumber(0) => buf.extend_from_slice(b"two"),
            Anomaly::BadNumber(1) => buf.extend_from_slice(b"1.5"),
            Anomaly::InvalidPurchase(0) => buf.push(b'0'),
            Anomaly::InvalidPurchase(1) => buf.extend_from_slice(b"150"),
            _ if row.quantity > 0 => push_u64(buf, u64::from(row.quantity)),
            _ => {}
        }
        buf.push(b',');
        match (anomaly, row.price) {
            (Anomaly::BadNumber(2), _) => buf.extend_from_slice(b"12.345"),
            (Anomaly::BadNumber(_), _) => buf.extend_from_slice(b"$9.99"),
            (Anomaly::InvalidPurchase(2), _) => buf.extend_from_slice(b"0.00"),
            (Anomaly::InvalidPurchase(3), Some(p)) => push_money(buf, -p),
            (_, Some(p)) => push_money(buf, p),
            (_, None) => {}
        }
        buf.push(b',');
        if let (Some(order), false) = (row.order, anomaly == Anomaly::InvalidPurchase(4)) {
            buf.extend_from_slice(&order);
        }
        buf.push(b',');
        let attrs = if row.ms >= who.change_ms && row.days_back == 0 {
            who.after
        } else {
            who.before
        };
        buf.extend_from_slice(DEVICES[attrs.device as usize].0.as_bytes());
        if anomaly != Anomaly::FieldCount(false) {
            buf.push(b',');
            buf.extend_from_slice(CITIES[attrs.city as usize].0.as_bytes());
        }
        if anomaly == Anomaly::FieldCount(true) {
            buf.extend_from_slice(b",extra");
        }
        buf.push(b'\n');
    }
}
/// A clean row of `event_type` at `ms` with a fresh event id.
pub fn plain(ms: u32, event_type: EventType, page: Page, rng: &mut Rand) -> Row {
    let mut id = [0u8; 36];
    rng.uuid(&mut id);
    Row {
        id,
        days_back: 0,
        ms,
        event_type,
        page,
        product: 0,
        quantity: 0,
        price: None,
        order: None,
    }
}

pub fn push_page(buf: &mut Vec<u8>, page: Page) {
    match page {
        Page::Home => buf.push(b'/'),
        Page::Category(c) => {
            buf.extend_from_slice(b"/c/");
            buf.extend_from_slice(CATEGORIES[c as usize].0.as_bytes());
        }
        Page::Search(t) => {
            buf.extend_from_slice(b"/search?q=");
            buf.extend_from_slice(SEARCH_TERMS[t as usize].as_bytes());
        }
        Page::Product(p) => {
            buf.extend_from_slice(b"/p/");
            push_u64(buf, p);
        }
        Page::Reviews(p) => {
            buf.extend_from_slice(b"/p/");
            push_u64(buf, p);
            buf.extend_from_slice(b"/reviews");
        }
        Page::Cart => buf.extend_from_slice(b"/cart"),
        Page::Checkout => buf.extend_from_slice(b"/checkout"),
        Page::Complete => buf.extend_from_slice(b"/checkout/complete"),
    }
}
