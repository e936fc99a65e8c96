//! `init` against a real PostgreSQL: the whole catalogue, re-runs, concurrency, changed files.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns panic by design

use retention_model::{Error, MIGRATIONS, Migration, migrate, migrate_with};
use retention_testing::TestDb;

async fn strings(client: &tokio_postgres::Client, sql: &str) -> Vec<String> {
    client
        .query(sql, &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<_, String>(0))
        .collect()
}

#[tokio::test]
async fn init_on_an_empty_database_creates_the_whole_warehouse() {
    let db = TestDb::empty().await;
    let mut client = db.client().await;
    let report = migrate(&mut client).await.unwrap();
    assert_eq!(report.applied.len(), MIGRATIONS.len());
    assert_eq!(report.already_applied, 0);

    let schemas = strings(
        &client,
        "SELECT nspname::text FROM pg_namespace WHERE nspname IN ('staging','quarantine','dw','marts','ops') ORDER BY 1",
    )
    .await;
    assert_eq!(schemas, ["dw", "marts", "ops", "quarantine", "staging"]);

    let tables = strings(
        &client,
        "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname IN ('staging','quarantine','dw','ops') AND c.relkind IN ('r','p') AND NOT c.relispartition ORDER BY 1",
    )
    .await;
    for expected in [
        "dw.dim_date",
        "dw.dim_product",
        "dw.dim_user",
        "dw.fact_user_events",
        "dw.fact_user_weekly_summary",
        "ops.erasures",
        "ops.load_audit",
        "ops.schema_migrations",
        "ops.table_stats",
        "ops.task_runs",
        "ops.validation_results",
        "ops.warehouse",
        "quarantine.rejected_rows",
        "staging.events",
        "staging.products",
        "staging.users",
    ] {
        assert!(
            tables.iter().any(|t| t == expected),
            "missing table {expected}; have {tables:?}"
        );
    }

    // Staging: nullable feed columns, source_line, partitioned by batch_date.
    let staging_cols = strings(
        &client,
        "SELECT column_name || ':' || data_type || ':' || is_nullable FROM information_schema.columns \
         WHERE table_schema = 'staging' AND table_name = 'events' ORDER BY ordinal_position",
    )
    .await;
    assert_eq!(
        staging_cols,
        [
            "batch_date:date:NO",
            "source_line:bigint:NO",
            "event_id:text:YES",
            "event_ts:timestamp with time zone:YES",
            "user_id:bigint:YES",
            "session_id:text:YES",
            "event_type:text:YES",
            "page_url:text:YES",
            "product_id:bigint:YES",
            "quantity:bigint:YES",
            "unit_price:numeric:YES",
            "order_id:text:YES",
            "device:text:YES",
            "country:text:YES",
        ]
    );
    let partkey = strings(
        &client,
        "SELECT pg_get_partkeydef('staging.events'::regclass)",
    )
    .await;
    assert_eq!(partkey, ["LIST (batch_date)"]);
    let fact_partkey = strings(
        &client,
        "SELECT pg_get_partkeydef('dw.fact_user_events'::regclass)",
    )
    .await;
    assert_eq!(fact_partkey, ["RANGE (event_date)"]);

    // Quarantine keeps the raw bytes.
    let raw = strings(
        &client,
        "SELECT data_type FROM information_schema.columns WHERE table_schema = 'quarantine' \
         AND table_name = 'rejected_rows' AND column_name = 'raw'",
    )
    .await;
    assert_eq!(raw, ["bytea"]);

    // Key columns of facts and dimensions.
    let fact_pk = strings(
        &client,
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'dw.fact_user_events'::regclass AND contype = 'p'",
    )
    .await;
    // No primary key on the partitioned facts since 0055: event_id's uniqueness is the
    // register's key, which the transform fills with the same rows.
    assert!(fact_pk.is_empty(), "{fact_pk:?}");
    // The register's key: unique event_id, by an exclusion constraint on a hash index since
    // 0060 (a primary key before).
    let register_key = strings(
        &client,
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'dw.fact_event_ids'::regclass AND contype IN ('p', 'u', 'x')",
    )
    .await;
    assert_eq!(register_key, ["EXCLUDE USING hash (event_id WITH =)"]);
    // The session state's key likewise since 0061.
    let sessions_key = strings(
        &client,
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'mart_state.sessions'::regclass AND contype IN ('p', 'u', 'x')",
    )
    .await;
    assert_eq!(sessions_key, ["EXCLUDE USING hash (session_id WITH =)"]);
    let user_pk = strings(
        &client,
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'dw.dim_user'::regclass AND contype = 'p'",
    )
    .await;
    assert_eq!(user_pk, ["PRIMARY KEY (user_sk)"]);
    let valid_to_default = strings(
        &client,
        "SELECT column_default FROM information_schema.columns WHERE table_schema = 'dw' AND table_name = 'dim_user' AND column_name = 'valid_to'",
    )
    .await;
    assert_eq!(valid_to_default, ["'infinity'::timestamp with time zone"]);

    // At most one current row per user: the partial unique index.
    let idx = strings(&client, "SELECT indexdef FROM pg_indexes WHERE schemaname = 'dw' AND indexname = 'dim_user_one_current'").await;
    assert_eq!(
        idx,
        [
            "CREATE UNIQUE INDEX dim_user_one_current ON dw.dim_user USING btree (user_id) WHERE is_current"
        ]
    );

    // daily_events must have exactly 7 elements.
    let checks = strings(
        &client,
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'dw.fact_user_weekly_summary'::regclass \
         AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%daily_events%'",
    )
    .await;
    assert_eq!(
        checks,
        ["CHECK (((array_ndims(daily_events) = 1) AND (cardinality(daily_events) = 7)))"]
    );
    let six = client
        .execute(
            "INSERT INTO dw.fact_user_weekly_summary (user_id, week_start, user_sk, daily_events, total_events, active_days, purchases, revenue, last_event_ts, last_event_id) \
             VALUES (1, '2026-01-05', 1, '{1,2,3,4,5,6}', 21, 6, 0, 0, '2026-01-10 10:00Z', 'e')",
            &[],
        )
        .await;
    let six = six.expect_err("a 6-element daily_events must be refused");
    assert_eq!(
        six.code(),
        Some(&tokio_postgres::error::SqlState::CHECK_VIOLATION),
        "refused by the check: {six:?}"
    );

    let comments = strings(
        &client,
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname IN ('staging','quarantine','dw','ops') AND c.relkind IN ('r','p') AND NOT c.relispartition \
         AND obj_description(c.oid, 'pg_class') IS NULL",
    )
    .await;
    assert!(
        comments.is_empty(),
        "tables without COMMENT ON: {comments:?}"
    );
}

#[tokio::test]
async fn init_twice_is_a_no_op() {
    let db = TestDb::empty().await;
    let mut client = db.client().await;
    migrate(&mut client).await.unwrap();
    let before: i64 = client
        .query_one("SELECT count(*) FROM ops.schema_migrations", &[])
        .await
        .unwrap()
        .get(0);
    let again = migrate(&mut client).await.unwrap();
    assert!(again.applied.is_empty());
    assert_eq!(again.already_applied, MIGRATIONS.len());
    let after: i64 = client
        .query_one("SELECT count(*) FROM ops.schema_migrations", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(before, after);
    assert_eq!(after, MIGRATIONS.len() as i64);
}

#[tokio::test]
async fn two_concurrent_inits_both_succeed_and_apply_each_migration_once() {
    let db = TestDb::empty().await;
    let mut a = db.client().await;
    let mut b = db.client().await;
    let (ra, rb) = tokio::join!(migrate(&mut a), migrate(&mut b));
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(ra.applied.len() + rb.applied.len(), MIGRATIONS.len());
    let rows = a
        .query(
            "SELECT version FROM ops.schema_migrations ORDER BY version",
            &[],
        )
        .await
        .unwrap();
    let versions: Vec<i32> = rows.iter().map(|r| r.get(0)).collect();
    let expected: Vec<i32> = MIGRATIONS.iter().map(|m| m.version as i32).collect();
    assert_eq!(versions, expected);
}

#[tokio::test]
async fn a_changed_migration_file_is_refused_with_its_name() {
    let db = TestDb::empty().await;
    let mut client = db.client().await;
    migrate(&mut client).await.unwrap();
    let mut changed: Vec<Migration> = MIGRATIONS.to_vec();
    changed[1].sql = "-- edited after it was applied\nSELECT 1;";
    let err = migrate_with(&mut client, &changed).await.unwrap_err();
    assert!(matches!(err, Error::MigrationChanged { .. }), "{err}");
    assert!(err.to_string().contains(MIGRATIONS[1].file), "{err}");
}

#[tokio::test]
async fn a_failing_migration_is_rolled_back_and_named() {
    let db = TestDb::empty().await;
    let mut client = db.client().await;
    let broken = [Migration {
        version: 1,
        name: "broken",
        file: "0001_broken.sql",
        sql: "CREATE TABLE ok_t (a int); SELECT nonsense FROM nowhere;",
    }];
    let err = migrate_with(&mut client, &broken).await.unwrap_err();
    assert!(err.to_string().contains("0001_broken.sql"), "{err}");
    let exists: bool = client
        .query_one("SELECT to_regclass('public.ok_t') IS NOT NULL", &[])
        .await
        .unwrap()
        .get(0);
    assert!(
        !exists,
        "the failed migration's first statement must be rolled back"
    );
}

#[tokio::test]
async fn the_calendar_and_fact_partitions_are_prepared_once() {
    let db = TestDb::migrated().await;
    let client = db.client().await;
    let days: i64 = client
        .query_one("SELECT count(*) FROM dw.dim_date", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(days, 1095);
    let row = client.query_one("SELECT iso_dow, week_start::text, is_weekend FROM dw.dim_date WHERE date_key = 20260103", &[]).await.unwrap();
    assert_eq!(
        (
            row.get::<_, i16>(0),
            row.get::<_, String>(1),
            row.get::<_, bool>(2)
        ),
        (6, "2025-12-29".to_owned(), true)
    );
    let again = retention_model::prepare_calendar(&client, Default::default())
        .await
        .unwrap();
    assert_eq!(again, (0, 0));
    let parts: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_inherits WHERE inhparent = 'dw.fact_user_events'::regclass",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(parts, 36 + 1, "36 monthly partitions and the default one");
}

/// Two `init`s at once (a DAG whose days overlap starts them together) both fill the calendar:
/// the one that finds a month's partition missing while the other creates it waits and finds
/// it made, instead of failing with "relation ... already exists".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concurrent_calendar_fills_both_succeed_and_make_each_partition_once() {
    let db = TestDb::migrated().await;
    let client = db.client().await;
    // Each round a calendar nobody filled yet (two new years), so both calls race to fill it.
    for round in 0..6 {
        let year = 2031 + 2 * round;
        let range = retention_model::CalendarRange {
            first: chrono::NaiveDate::from_ymd_opt(year, 1, 1).unwrap(),
            last: chrono::NaiveDate::from_ymd_opt(year + 1, 12, 31).unwrap(),
        };
        let (a, b) = (db.client().await, db.client().await);
        let (ra, rb) = tokio::join!(
            retention_model::prepare_calendar(&a, range),
            retention_model::prepare_calendar(&b, range)
        );
        let (ra, rb) = (ra.unwrap(), rb.unwrap());
        // Between them, each of the 24 months and 730/731 days was added exactly once.
        assert_eq!(ra.1 + rb.1, 24, "{ra:?} {rb:?}");
        let days = (range.last - range.first).num_days() as u64 + 1;
        assert_eq!(ra.0 + rb.0, days, "{ra:?} {rb:?}");
        let parts: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
                 WHERE i.inhparent = 'dw.fact_user_events'::regclass \
                 AND c.relname BETWEEN $1 AND $2",
                &[
                    &format!("fact_user_events_{year}01"),
                    &format!("fact_user_events_{}12", year + 1),
                ],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(parts, 24);
    }
}
