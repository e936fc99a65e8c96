//! Benchmark for BENCHMARKS.md: a 1,000,000-user dim_user, then a batch touching 1% of it
//! (10,000 rows: 4,500 type-2 changes, 3,600 type-1 changes, 900 deletions, 1,000 new
//! users), merged set-based by `merge_batch` and, on an identical second database, row by
//! row (the same plan, one statement per action).
//!
//! `DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo run --release -p retention-scd --example bench_merge`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use chrono::NaiveDate;
use retention_scd::{
    Action, CurrentState, DimensionSpec, KeyState, MergePlan, SourceRow, merge_batch,
};
use retention_testing::TestDb;
use tokio_postgres::Client;

// Fixture SQL: the feed of both days, generated server-side.
const DAY0: &str = "
CREATE TABLE staging.users_20260301 PARTITION OF staging.users FOR VALUES IN ('2026-03-01');
CREATE TABLE staging.users_20260302 PARTITION OF staging.users FOR VALUES IN ('2026-03-02');
INSERT INTO staging.users
SELECT '2026-03-01', g, g, 'user' || g || '@x.io', 'User ' || g, (ARRAY['DE','FR','IT','PL'])[1 + g % 4],
       'City' || (g % 100), (ARRAY['web','ios','android'])[1 + g % 3], 'ads', (ARRAY['free','pro'])[1 + g % 2],
       '2025-01-01', '2026-03-01 08:00Z'::timestamptz + (g % 600) * interval '1 minute', false
FROM generate_series(1, 1000000) AS g;
ANALYZE staging.users;";

const DAY1: &str = "
INSERT INTO staging.users
SELECT '2026-03-02'::date, g, g, CASE WHEN g % 200 = 0 THEN 'new' ELSE '' END || 'user' || g || '@x.io', 'User ' || g,
       CASE WHEN g % 200 = 0 THEN (ARRAY['DE','FR','IT','PL'])[1 + g % 4] ELSE 'ES' END,
       'City' || (g % 100), (ARRAY['web','ios','android'])[1 + g % 3], 'ads', (ARRAY['free','pro'])[1 + g % 2],
       '2025-01-01'::date, '2026-03-02 09:00Z'::timestamptz, g % 1000 = 0
FROM generate_series(100, 900000, 100) AS g
UNION ALL
SELECT '2026-03-02'::date, 900000 + g, 1000000 + g, 'u' || g || '@x.io', 'New ' || g, 'DE', 'Berlin', 'web', 'seo', 'free',
       '2026-03-02'::date, '2026-03-02 09:00Z'::timestamptz, false
FROM generate_series(1, 1000) AS g;
ANALYZE staging.users;";

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
}

async fn base(spec: &DimensionSpec) -> (TestDb, Client) {
    let db = TestDb::migrated().await;
    let mut c = db.client().await;
    c.batch_execute(DAY0).await.unwrap();
    let t = Instant::now();
    let s = merge_batch(&mut c, spec, day(1)).await.unwrap();
    eprintln!(
        "initial merge: {} new keys in {:.2} s",
        s.new_keys,
        t.elapsed().as_secs_f64()
    );
    c.batch_execute(DAY1).await.unwrap();
    c.batch_execute("VACUUM ANALYZE dw.dim_user").await.unwrap();
    (db, c)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let spec = DimensionSpec::list_from_yaml(include_str!("../../../config/dimensions.yaml"))
        .unwrap()
        .remove(0);

    let (_a, mut a) = base(&spec).await;
    let t = Instant::now();
    let s = merge_batch(&mut a, &spec, day(2)).await.unwrap();
    let set_based = t.elapsed().as_secs_f64();
    eprintln!("{s:?}");
    println!("set-based merge of the 1% batch: {set_based:.3} s");

    let (_b, mut b) = base(&spec).await;
    let t = Instant::now();
    let statements = row_by_row(&mut b, &spec, day(2)).await;
    let rows = t.elapsed().as_secs_f64();
    println!("row-by-row merge of the 1% batch: {rows:.3} s ({statements} statements)");
    let (x, y) = (count(&a).await, count(&b).await);
    println!("rows/current/deleted/emails: set-based {x:?}, row-by-row {y:?}");
    assert_eq!(x, y, "both ways give the same dimension");
}

async fn count(c: &Client) -> (i64, i64, i64, i64) {
    let r = c
        .query_one(
            "SELECT count(*), count(*) FILTER (WHERE is_current), count(*) FILTER (WHERE is_deleted), count(email) FROM dw.dim_user",
            &[],
        )
        .await
        .unwrap();
    (r.get(0), r.get(1), r.get(2), r.get(3))
}

/// The same plan applied one statement per action (and per erased place), in one
/// transaction, as a per-row ETL tool would.
async fn row_by_row(c: &mut Client, spec: &DimensionSpec, batch: NaiveDate) -> usize {
    let tx = c.transaction().await.unwrap();
    let rows = tx
        .query(
            "SELECT user_id::text, updated_at, coalesce(is_deleted, false), country, city, device, plan, \
             acquisition_channel, email, full_name, signup_date::text FROM staging.users WHERE batch_date = $1",
            &[&batch],
        )
        .await
        .unwrap();
    let incoming: Vec<SourceRow> = rows
        .iter()
        .map(|r| SourceRow {
            key: r.get(0),
            effective: r.get(1),
            deleted: r.get(2),
            values: (3..11).map(|i| r.get(i)).collect(),
        })
        .collect();
    let keys: Vec<i64> = incoming.iter().map(|r| r.key.parse().unwrap()).collect();
    let mut state = CurrentState::default();
    for r in tx
        .query(
            "SELECT DISTINCT ON (user_id) user_id::text, user_sk, valid_from, valid_to, is_current, country, city, device, \
             plan, acquisition_channel, email, full_name, signup_date::text FROM dw.dim_user \
             WHERE user_id = ANY($1) ORDER BY user_id, valid_from DESC",
            &[&keys],
        )
        .await
        .unwrap()
    {
        let s = if r.get(4) {
            KeyState::Live { sk: r.get(1), valid_from: r.get(2), values: (5..13).map(|i| r.get(i)).collect() }
        } else {
            KeyState::Deleted { at: r.get(3) }
        };
        state.keys.insert(r.get(0), s);
    }
    let plan = MergePlan::diff(spec, &state, incoming).unwrap();
    let mut n = 0;
    let insert = "INSERT INTO dw.dim_user (user_id, country, city, device, plan, acquisition_channel, email, full_name, \
                  signup_date, row_hash, valid_from, is_current, batch_date, updated_in_batch) \
                  VALUES ($1::text::bigint, $2, $3, $4, $5, $6, $7, $8, $9::text::date, $10, $11, true, $12, $12)";
    let close = "UPDATE dw.dim_user SET valid_to = $2, is_current = false, is_deleted = $3, updated_in_batch = $4 WHERE user_sk = $1";
    let type1 = "UPDATE dw.dim_user SET email = $2, full_name = $3, signup_date = $4::text::date, updated_in_batch = $5 \
                 WHERE user_id = $1::text::bigint AND valid_from >= coalesce((SELECT max(valid_to) FROM dw.dim_user p \
                 WHERE p.user_id = $1::text::bigint AND p.is_deleted), '-infinity')";
    for a in &plan.actions {
        match a {
            Action::NewKey(v) | Action::Recreate(v) | Action::NewVersion { version: v, .. } => {
                if let Action::NewVersion { close_sk, .. } = a {
                    tx.execute(close, &[close_sk, &v.valid_from, &false, &batch])
                        .await
                        .unwrap();
                    tx.execute(
                        type1,
                        &[&v.key, &v.values[5], &v.values[6], &v.values[7], &batch],
                    )
                    .await
                    .unwrap();
                    n += 2;
                }
                let x = &v.values;
                tx.execute(
                    insert,
                    &[
                        &v.key,
                        &x[0],
                        &x[1],
                        &x[2],
                        &x[3],
                        &x[4],
                        &x[5],
                        &x[6],
                        &x[7],
                        &&v.row_hash[..],
                        &v.valid_from,
                        &batch,
                    ],
                )
                .await
                .unwrap();
                n += 1;
            }
            Action::Type1 { key, type1: t } => {
                tx.execute(type1, &[key, &t[0], &t[1], &t[2], &batch])
                    .await
                    .unwrap();
                n += 1;
            }
            Action::Delete { key, close_sk, at } => {
                let id: i64 = key.parse().unwrap();
                tx.execute(close, &[close_sk, at, &true, &batch])
                    .await
                    .unwrap();
                tx.execute("INSERT INTO ops.erasures (user_id, deleted_at, batch_date) VALUES ($1, $2, $3)", &[&id, at, &batch])
                    .await
                    .unwrap();
                tx.execute("UPDATE dw.dim_user SET email = NULL, full_name = NULL WHERE user_id = $1 AND valid_from < $2", &[&id, at])
                    .await
                    .unwrap();
                tx.execute("UPDATE staging.users SET email = NULL, full_name = NULL WHERE user_id = $1 AND batch_date <= $2", &[&id, &batch])
                    .await
                    .unwrap();
                n += 4;
            }
            Action::Forget { .. } | Action::NoOp { .. } => {}
        }
    }
    tx.commit().await.unwrap();
    n
}
