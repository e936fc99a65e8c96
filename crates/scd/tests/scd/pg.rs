//! Database helpers: staging feed rows, reading the dimension back.

use chrono::{Duration, NaiveDate};
use retention_scd::MergeStats;
use tokio_postgres::Client;

use crate::model::{FeedRow, Version, day, day_start, user_spec};

pub async fn partition(client: &Client, table: &str, batch: NaiveDate) {
    let name = format!("{table}_{}", batch.format("%Y%m%d"));
    client
        .batch_execute(&format!(
            "CREATE TABLE IF NOT EXISTS {name} PARTITION OF {table} FOR VALUES IN ('{batch}')"
        ))
        .await
        .unwrap();
}

/// Puts `rows` into `staging.users` as batch `batch` (after what is there).
pub async fn stage_users(client: &Client, batch: NaiveDate, rows: &[FeedRow]) {
    partition(client, "staging.users", batch).await;
    let first: i64 = client
        .query_one(
            "SELECT coalesce(max(source_line), 0) FROM staging.users WHERE batch_date = $1",
            &[&batch],
        )
        .await
        .unwrap()
        .get(0);
    for (i, r) in rows.iter().enumerate() {
        let v = &r.values;
        client
            .execute(
                "INSERT INTO staging.users (batch_date, source_line, user_id, country, city, device, plan, \
                 acquisition_channel, email, full_name, signup_date, updated_at, is_deleted) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::text::date, $12, $13)",
                &[
                    &batch, &(first + i as i64 + 1), &r.key, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                    &v[6], &v[7], &r.effective, &r.deleted,
                ],
            )
            .await
            .unwrap();
    }
}

/// A user row on day `d` at `hour`:00 with the given country, plan, email and name.
pub fn user(
    key: i64,
    d: u32,
    hour: i64,
    country: &str,
    plan: &str,
    email: &str,
    name: &str,
) -> FeedRow {
    FeedRow {
        key,
        effective: day_start(d) + Duration::hours(hour),
        deleted: false,
        values: [
            Some(country),
            Some("Berlin"),
            Some("web"),
            Some(plan),
            Some("ads"),
            Some(email),
            Some(name),
            Some("2025-01-01"),
        ]
        .map(|v| v.map(str::to_owned))
        .to_vec(),
    }
}

pub fn deleted(mut r: FeedRow) -> FeedRow {
    r.deleted = true;
    r
}

pub async fn merge(client: &mut Client, d: u32) -> MergeStats {
    retention_scd::merge_batch(client, &user_spec(), day(d))
        .await
        .unwrap()
}

pub async fn versions(client: &Client) -> Vec<Version> {
    client
        .query(
            "SELECT user_id, country, city, device, plan, acquisition_channel, email, full_name, \
             signup_date::text, valid_from, CASE WHEN valid_to = 'infinity' THEN NULL ELSE valid_to END, \
             is_current, is_deleted FROM dw.dim_user ORDER BY user_id, valid_from",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| Version {
            key: r.get(0),
            values: (1..9).map(|i| r.get(i)).collect(),
            valid_from: r.get(9),
            valid_to: r.get(10),
            is_current: r.get(11),
            is_deleted: r.get(12),
        })
        .collect()
}

/// (user_sk, user_id, country, email, valid_from..valid_to as text, current, deleted) for exact
/// asserts; times off the hour show to the microsecond.
pub async fn rows(
    client: &Client,
) -> Vec<(i64, i64, Option<String>, Option<String>, String, bool, bool)> {
    client
        .query(
            "SELECT user_sk, user_id, country, email, \
             to_char(valid_from AT TIME ZONE 'UTC', CASE WHEN date_trunc('hour', valid_from) = valid_from THEN 'MM-DD HH24' ELSE 'MM-DD HH24:MI:SS.US' END) || '..' || \
             CASE WHEN valid_to = 'infinity' THEN 'inf' ELSE to_char(valid_to AT TIME ZONE 'UTC', CASE WHEN date_trunc('hour', valid_to) = valid_to THEN 'MM-DD HH24' ELSE 'MM-DD HH24:MI:SS.US' END) END, \
             is_current, is_deleted FROM dw.dim_user ORDER BY user_sk",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5), r.get(6)))
        .collect()
}
