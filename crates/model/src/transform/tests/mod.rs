//! The transform against a real database: rows inserted by hand into staging and the
//! dimensions, exact figures asserted. The shared fixtures are here; each topic is a module.
#![allow(clippy::type_complexity)]

use chrono::NaiveDate;
use retention_testing::TestDb;
use tokio_postgres::Client;

use super::*;
use crate::EventType;

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// One staged event: (line, event_id, event_ts, user_id, session_id, event_type, product_id,
/// quantity, unit_price, order_id, device).
type Ev<'a> = (
    i64,
    Option<&'a str>,
    Option<&'a str>,
    Option<i64>,
    Option<&'a str>,
    &'a str,
    Option<i64>,
    Option<i64>,
    Option<&'a str>,
    Option<&'a str>,
    &'a str,
);

/// A click of user 1 in session "s" on the web: the event most dedupe and summary tests need.
fn click<'a>(line: i64, id: &'a str, ts: &'a str) -> Ev<'a> {
    (
        line,
        Some(id),
        Some(ts),
        Some(1),
        Some("s"),
        "click",
        None,
        None,
        None,
        None,
        "web",
    )
}

async fn stage(c: &Client, batch: &str, rows: &[Ev<'_>]) {
    let d = day(batch);
    c.batch_execute(&format!(
        "CREATE TABLE IF NOT EXISTS staging.events_{} PARTITION OF staging.events FOR VALUES IN ('{batch}')",
        d.format("%Y%m%d")
    ))
    .await
    .unwrap();
    c.execute("DELETE FROM staging.events WHERE batch_date = $1", &[&d])
        .await
        .unwrap();
    for (line, id, ts, user, session, ty, product, qty, price, order, device) in rows {
        c.execute(
            "INSERT INTO staging.events (batch_date, source_line, event_id, event_ts, user_id, session_id, event_type, \
             page_url, product_id, quantity, unit_price, order_id, device, country) \
             VALUES ($1, $2, $3, $4::text::timestamptz, $5, $6, $7, '/p', $8, $9, $10::text::numeric, $11, $12, 'DE')",
            &[&d, line, id, ts, user, session, ty, product, qty, price, order, device],
        )
        .await
        .unwrap();
    }
}

/// Dimension versions: user 1 changes plan at 2026-01-05 10:00; user 2 is deleted at
/// 2026-01-04 12:00; user 3 signs up in the week of 2026-01-05; product 10 changes price.
async fn dims(c: &Client) {
    c.batch_execute(
        "INSERT INTO dw.dim_user (user_sk, user_id, plan, signup_date, row_hash, valid_from, valid_to, is_current, is_deleted, batch_date, updated_in_batch) VALUES
           (101, 1, 'free', '2025-12-29', '\\x01', '2026-01-01 00:00Z', '2026-01-05 10:00Z', false, false, '2026-01-01', '2026-01-05'),
           (102, 1, 'pro',  '2025-12-29', '\\x02', '2026-01-05 10:00Z', 'infinity', true, false, '2026-01-05', '2026-01-05'),
           (201, 2, 'free', '2025-12-30', '\\x03', '2026-01-01 00:00Z', '2026-01-04 12:00Z', false, true, '2026-01-01', '2026-01-04'),
           (301, 3, 'free', '2026-01-06', '\\x04', '2026-01-06 08:00Z', 'infinity', true, false, '2026-01-06', '2026-01-06'),
           (901, 9, 'free', '2026-01-06', '\\x05', '2026-01-08 08:00Z', 'infinity', true, false, '2026-01-08', '2026-01-08');
         INSERT INTO dw.dim_product (product_sk, product_id, name, unit_price, row_hash, valid_from, valid_to, is_current, batch_date, updated_in_batch) VALUES
           (1001, 10, 'Mug', 5.00, '\\x01', '2026-01-01 00:00Z', '2026-01-06 00:00Z', false, '2026-01-01', '2026-01-06'),
           (1002, 10, 'Mug', 6.00, '\\x02', '2026-01-06 00:00Z', 'infinity', true, '2026-01-06', '2026-01-06'),
           (1101, 11, 'Pen', 2.50, '\\x03', '2026-01-01 00:00Z', 'infinity', true, '2026-01-01', '2026-01-01');",
    )
    .await
    .unwrap();
}

async fn reasons(c: &Client, batch: &str) -> Vec<(i64, String)> {
    c.query(
        "SELECT source_line, reason FROM quarantine.rejected_rows WHERE batch_date = $1 AND stage = 'transform' ORDER BY source_line",
        &[&day(batch)],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect()
}

mod calendar;
mod keys;
mod marts;
mod rules;
mod summaries;

/// Content of the tables the transform writes, without audit columns.
pub(super) async fn checksum(c: &Client) -> Vec<String> {
    let mut out = Vec::new();
    for sql in [
        "SELECT md5(string_agg(f::text, '|' ORDER BY event_id)) FROM (SELECT event_id, event_date, date_key, batch_date, event_ts, user_id, user_sk, product_id, product_sk, session_id, event_type, quantity, unit_price, order_id, device, source_line FROM dw.fact_user_events) f",
        "SELECT md5(string_agg(q::text, '|' ORDER BY batch_date, source_line)) FROM (SELECT batch_date, stage, source_file, source_line, reason, detail, row_json, user_id FROM quarantine.rejected_rows) q",
        "SELECT md5(string_agg(s::text, '|' ORDER BY user_id, week_start)) FROM (SELECT user_id, week_start, user_sk, daily_events, total_events, active_days, purchases, revenue, last_event_ts, last_event_id FROM dw.fact_user_weekly_summary) s",
    ] {
        let v: Option<String> = c.query_one(sql, &[]).await.unwrap().get(0);
        out.push(v.unwrap_or_default());
    }
    out
}
