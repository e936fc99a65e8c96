//! A batch larger than the executor's slice (50,000 rows) is streamed and merged a slice of
//! whole keys at a time: the history is the reference's, keys with several times in the
//! batch that straddle a slice boundary included, and a re-run is a no-op. And a batch
//! recorded with an earlier version's fingerprint (over the sorted rows) is still recognised.

use chrono::{Duration, NaiveDate};
use retention_scd::{Error, merge_batch};
use retention_testing::TestDb;
use sha2::{Digest, Sha256};
use tokio_postgres::Client;

use crate::model::{FeedRow, check_history, day, day_start, user_spec};
use crate::pg::{merge, partition, rows, stage_users, user, versions};

/// Keys in the big batch: more than one slice.
const KEYS: i64 = 60_050;

/// Keys with three rows (three times) in the batch, around the first slice boundary.
fn multi(key: i64) -> bool {
    (49_960..50_040).contains(&key)
}

/// The plan of key `key`'s row `n` (its n-th time).
fn plan(key: i64, n: i64) -> &'static str {
    ["free", "pro", "team"][((key + n) % 3) as usize]
}

/// The big batch as the reference sees it, in time order.
fn big_feed() -> Vec<FeedRow> {
    let mut feed = Vec::new();
    for n in 0..3 {
        for key in 1..=KEYS {
            if n > 0 && !multi(key) {
                continue;
            }
            let mut r = user(key, 0, 0, "DE", plan(key, n), "", "");
            r.effective = day_start(0) + Duration::seconds(key % 3600) + Duration::hours(n + 1);
            r.values[5] = Some(format!("u{key}@x.io"));
            r.values[6] = Some(format!("User {key}"));
            feed.push(r);
        }
    }
    feed.sort_by_key(|r| r.effective);
    feed
}

/// Stages [`big_feed`] in one statement (row by row would take minutes).
async fn stage_big(c: &Client, batch: NaiveDate) {
    partition(c, "staging.users", batch).await;
    c.execute(
        "INSERT INTO staging.users (batch_date, source_line, user_id, country, city, device, plan, \
         acquisition_channel, email, full_name, signup_date, updated_at, is_deleted) \
         SELECT $1, row_number() OVER (), k, 'DE', 'Berlin', 'web', \
                (ARRAY['free', 'pro', 'team'])[((k + n) % 3) + 1], 'ads', \
                'u' || k || '@x.io', 'User ' || k, DATE '2025-01-01', \
                $2::timestamptz + make_interval(secs => k % 3600) + make_interval(hours => n + 1), false \
         FROM generate_series(1, $3::bigint) AS k \
         CROSS JOIN generate_series(0, 2) AS n \
         WHERE n = 0 OR k BETWEEN 49960 AND 50039",
        &[&batch, &day_start(0), &KEYS],
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_batch_larger_than_a_slice_is_merged_whole_keys_at_a_time() {
    let db = TestDb::migrated().await;
    let mut c = db.client().await;
    stage_big(&c, day(0)).await;
    let stats = merge(&mut c, 0).await;
    let multi_keys = (1..=KEYS).filter(|k| multi(*k)).count() as u64;
    assert_eq!(stats.rows_in, KEYS as u64 + 2 * multi_keys);
    assert_eq!(stats.new_keys, KEYS as u64);
    assert_eq!(stats.new_versions, 2 * multi_keys);
    check_history(&user_spec(), &[big_feed()], &versions(&c).await);

    // Keys with one row (one round) get their surrogate keys in key order, as one pass over
    // the whole batch would give them.
    let out_of_order: i64 = c
        .query_one(
            "SELECT count(*) FROM (SELECT user_sk, lag(user_sk) OVER (ORDER BY user_id) AS prev \
             FROM dw.dim_user WHERE user_id NOT BETWEEN 49960 AND 50039) s WHERE user_sk < prev",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(out_of_order, 0);

    let before = rows(&c).await;
    let again = merge(&mut c, 0).await;
    assert!(again.already_merged);
    assert_eq!(rows(&c).await, before);
}

/// The fingerprint an earlier version recorded: SHA-256 over the count of rows without key or
/// time, then each row's canonical JSON (personal columns left out) in sorted order.
fn legacy_fingerprint(rows: &[FeedRow]) -> String {
    let erase = user_spec().erase_positions();
    let mut canon: Vec<String> = rows
        .iter()
        .map(|r| {
            let values: Vec<_> = r
                .values
                .iter()
                .enumerate()
                .filter(|(i, _)| !erase.contains(i))
                .map(|(_, v)| v)
                .collect();
            serde_json::json!([r.key.to_string(), r.effective, r.deleted, values]).to_string()
        })
        .collect();
    canon.sort_unstable();
    let mut h = Sha256::new();
    h.update(0u64.to_be_bytes());
    for c in &canon {
        h.update(c.as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

async fn set_fingerprint(c: &Client, fingerprint: &str) {
    c.execute(
        "UPDATE ops.scd_batches SET fingerprint = $1 WHERE dimension = 'dim_user' AND batch_date = $2",
        &[&fingerprint, &day(0)],
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_batch_fingerprinted_by_an_earlier_version_is_still_recognised() {
    let db = TestDb::migrated().await;
    let mut c = db.client().await;
    let feed = [
        user(1, 0, 10, "DE", "free", "a@x.io", "Ann"),
        user(2, 0, 11, "IT", "pro", "b@x.io", "Bob"),
        user(2, 0, 12, "IT", "team", "b@x.io", "Bob"),
    ];
    stage_users(&c, day(0), &feed).await;
    merge(&mut c, 0).await;
    let recorded: String = c
        .query_one("SELECT fingerprint FROM ops.scd_batches", &[])
        .await
        .unwrap()
        .get(0);
    assert!(recorded.starts_with("v2:"), "{recorded}");

    set_fingerprint(&c, &legacy_fingerprint(&feed)).await;
    assert!(merge(&mut c, 0).await.already_merged);

    set_fingerprint(&c, &legacy_fingerprint(&feed[..2])).await;
    let err = merge_batch(&mut c, &user_spec(), day(0)).await.unwrap_err();
    assert!(matches!(err, Error::BatchChanged { .. }), "{err}");
}
