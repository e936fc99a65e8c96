//! The executor against a real PostgreSQL: exact rows after each scenario.

use chrono::{Duration, TimeZone, Utc};
use retention_scd::{DimensionSpec, Error, merge_batch, rebuild_from};
use retention_testing::TestDb;
use tokio_postgres::Client;

use crate::model::{day, day_start, user_spec};
use crate::pg::{deleted, merge, rows, stage_users, user, versions};

fn r(
    sk: i64,
    id: i64,
    country: &str,
    email: Option<&str>,
    span: &str,
    current: bool,
    deleted: bool,
) -> (i64, i64, Option<String>, Option<String>, String, bool, bool) {
    (
        sk,
        id,
        Some(country.into()),
        email.map(Into::into),
        span.into(),
        current,
        deleted,
    )
}

#[tokio::test]
async fn type2_change_closes_the_current_version_where_the_new_one_begins() {
    let db = TestDb::migrated().await;
    let mut c = db.client().await;
    stage_users(
        &c,
        day(0),
        &[
            user(1, 0, 10, "DE", "free", "a@x.io", "Ann"),
            user(2, 0, 11, "FR", "free", "b@x.io", "Bob"),
        ],
    )
    .await;
    stage_users(
        &c,
        day(1),
        &[
            user(1, 1, 9, "FR", "free", "a@x.io", "Ann"),
            user(2, 1, 9, "FR", "free", "bo@x.io", "Bo"),
        ],
    )
    .await;
    let first = merge(&mut c, 0).await;
    assert_eq!(
        (first.rows_in, first.new_keys, first.versions_inserted),
        (2, 2, 2)
    );
    let second = merge(&mut c, 1).await;
    assert_eq!(
        (
            second.new_versions,
            second.type1_updates,
            second.versions_closed,
            second.versions_inserted,
            second.type1_rows
        ),
        (1, 1, 1, 1, 1)
    );
    assert_eq!(second.rows_out(), 3);
    assert_eq!(
        rows(&c).await,
        [
            r(
                1,
                1,
                "DE",
                Some("a@x.io"),
                "03-01 10..03-02 09",
                false,
                false
            ),
            r(2, 2, "FR", Some("bo@x.io"), "03-01 11..inf", true, false),
            r(3, 1, "FR", Some("a@x.io"), "03-02 09..inf", true, false),
        ]
    );
    let hash: Vec<u8> = c
        .query_one("SELECT row_hash FROM dw.dim_user WHERE user_sk = 3", &[])
        .await
        .unwrap()
        .get(0);
    let want = retention_scd::row_hash(&[
        Some("FR".into()),
        Some("Berlin".into()),
        Some("web".into()),
        Some("free".into()),
        Some("ads".into()),
    ]);
    assert_eq!(hash, want);
}

#[tokio::test]
async fn a_value_reverting_is_a_new_version_and_type1_rewrites_the_whole_life() {
    let db = TestDb::migrated().await;
    let mut c = db.client().await;
    stage_users(&c, day(0), &[user(1, 0, 10, "DE", "free", "a@x.io", "Ann")]).await;
    stage_users(&c, day(1), &[user(1, 1, 10, "FR", "free", "a@x.io", "Ann")]).await;
    stage_users(&c, day(2), &[user(1, 2, 10, "DE", "free", "c@x.io", "Ann")]).await;
    for d in 0..3 {
        merge(&mut c, d).await;
    }
    assert_eq!(
        rows(&c).await,
        [
            r(
                1,
                1,
                "DE",
                Some("c@x.io"),
                "03-01 10..03-02 10",
                false,
                false
            ),
            r(
                2,
                1,
                "FR",
                Some("c@x.io"),
                "03-02 10..03-03 10",
                false,
                false
            ),
            r(3, 1, "DE", Some("c@x.io"), "03-03 10..inf", true, false),
        ]
    );
}

#[tokio::test]
async fn dirty_values_are_normalised_and_make_no_spurious_version() {
    let db = TestDb::migrated().await;
    let mut c = db.client().await;
    stage_users(
        &c,
        day(0),
        &[user(1, 0, 10, " de ", " free", " A@X.IO ", "  Ann ")],
    )
    .await;
    stage_users(&c, day(1), &[user(1, 1, 10, "DE", "free", "a@x.io", "Ann")]).await;
    merge(&mut c, 0).await;
    let again = merge(&mut c, 1).await;
    assert_eq!((again.noops, again.rows_out()), (1, 0));
    let v = versions(&c).await;
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].values[0].as_deref(), Some("DE"));
    assert_eq!(v[0].values[3].as_deref(), Some("free"));
    assert_eq!(v[0].values[5].as_deref(), Some("a@x.io"));
    assert_eq!(v[0].values[6].as_deref(), Some("Ann"));
}

async fn quarantine(
    c: &Client,
    line: i64,
    user_id: i64,
    raw: Option<&[u8]>,
    json: Option<serde_json::Value>,
) {
    let stage = if raw.is_some() { "load" } else { "transform" };
    c.execute(
        "INSERT INTO quarantine.rejected_rows (batch_date, stage, source_file, source_line, reason, raw, row_json, user_id) \
         VALUES ($1, $2, 'users.csv', $3, 'bad_field_count', $4, $5, $6)",
        &[&day(0), &stage, &line, &raw, &json, &user_id],
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn deletion_closes_marks_deleted_and_erases_every_version_staging_and_quarantine() {
    let db = TestDb::migrated().await;
    let mut c = db.client().await;
    stage_users(
        &c,
        day(0),
        &[
            user(1, 0, 10, "DE", "free", "a@x.io", "Ann"),
            user(2, 0, 10, "FR", "free", "b@x.io", "Bob"),
        ],
    )
    .await;
    stage_users(&c, day(1), &[user(1, 1, 9, "FR", "free", "a@x.io", "Ann")]).await;
    stage_users(
        &c,
        day(2),
        &[deleted(user(1, 2, 8, "FR", "free", "a@x.io", "Ann"))],
    )
    .await;
    quarantine(&c, 5, 1, Some(b"1,a@x.io,Ann,DE"), None).await;
    quarantine(&c, 6, 1, None, Some(serde_json::json!({"user_id": 1, "email": "a@x.io", "full_name": "Ann", "country": "DE"}))).await;
    quarantine(&c, 7, 2, Some(b"2,b@x.io,Bob"), None).await;
    merge(&mut c, 0).await;
    merge(&mut c, 1).await;
    async fn analysed(c: &Client) -> bool {
        c.query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_stats WHERE schemaname = 'quarantine' \
             AND tablename = 'rejected_rows' AND attname = 'user_id')",
            &[],
        )
        .await
        .unwrap()
        .get(0)
    }
    assert!(
        !analysed(&c).await,
        "merges without a deletion leave it alone"
    );
    let del = merge(&mut c, 2).await;
    // The first erasure analyses the place it probes by key, which had no statistics.
    assert!(analysed(&c).await);
    assert_eq!(
        (
            del.deletions,
            del.versions_closed,
            del.erased_versions,
            del.erased_elsewhere
        ),
        (1, 1, 2, 5)
    );
    assert_eq!(
        rows(&c).await,
        [
            r(1, 1, "DE", None, "03-01 10..03-02 09", false, false),
            r(2, 2, "FR", Some("b@x.io"), "03-01 10..inf", true, false),
            r(3, 1, "FR", None, "03-02 09..03-03 08", false, true),
        ]
    );
    let names: Vec<Option<String>> = c
        .query("SELECT full_name FROM dw.dim_user WHERE user_id = 1", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(names, [None, None]);
    let staged: Vec<(i64, Option<String>, Option<String>)> = c
        .query(
            "SELECT user_id, email, full_name FROM staging.users ORDER BY batch_date, source_line",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        staged,
        [
            (1, None, None),
            (2, Some("b@x.io".into()), Some("Bob".into())),
            (1, None, None),
            (1, None, None)
        ]
    );
    let q: Vec<(i64, Option<Vec<u8>>, Option<serde_json::Value>)> = c
        .query(
            "SELECT source_line, raw, row_json FROM quarantine.rejected_rows ORDER BY source_line",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        q,
        [
            (5, Some(vec![]), None),
            (
                6,
                None,
                Some(
                    serde_json::json!({"user_id": 1, "email": null, "full_name": null, "country": "DE"})
                )
            ),
            (7, Some(b"2,b@x.io,Bob".to_vec()), None),
        ]
    );
    let erased: Vec<(i64, chrono::DateTime<Utc>, chrono::NaiveDate)> = c
        .query(
            "SELECT user_id, deleted_at, batch_date FROM ops.erasures",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(erased, [(1, day_start(2) + Duration::hours(8), day(2))]);
}

#[tokio::test]
async fn a_deleted_user_coming_back_starts_a_new_life_and_the_old_one_stays_erased() {
    let db = TestDb::migrated().await;
    let mut c = db.client().await;
    stage_users(&c, day(0), &[user(1, 0, 10, "DE", "free", "a@x.io", "Ann")]).await;
    stage_users(
        &c,
        day(1),
        &[deleted(user(1, 1, 10, "DE", "free", "a@x.io", "Ann"))],
    )
    .await;
    stage_users(
        &c,
        day(2),
        &[user(1, 2, 10, "FR", "pro", "new@x.io", "Neo")],
    )
    .await;
    stage_users(
        &c,
        day(3),
        &[user(1, 3, 10, "FR", "pro", "neo@x.io", "Neo")],
    )
    .await;
    merge(&mut c, 0).await;
    merge(&mut c, 1).await;
    assert_eq!(merge(&mut c, 2).await.recreated, 1);
    assert_eq!(merge(&mut c, 3).await.type1_rows, 1);
    assert_eq!(
        rows(&c).await,
        [
            r(1, 1, "DE", None, "03-01 10..03-02 10", false, true),
            r(2, 1, "FR", Some("neo@x.io"), "03-03 10..inf", true, false),
        ]
    );
}

/// (batch, hour of updated_at, email) of every staged user row.
async fn staged(c: &Client) -> Vec<(String, String, Option<String>)> {
    c.query(
        "SELECT batch_date::text, to_char(updated_at AT TIME ZONE 'UTC', 'HH24'), email \
         FROM staging.users ORDER BY batch_date, updated_at",
        &[],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2)))
    .collect()
}

#[tokio::test]
async fn a_user_deleted_and_recreated_in_one_batch_has_the_old_life_closed_and_erased() {
    let db = TestDb::migrated().await;
    let mut c = db.client().await;
    stage_users(&c, day(0), &[user(1, 0, 10, "DE", "free", "a@x.io", "Ann")]).await;
    // Day 1: a change, the deletion at 12:00, the account opened again at 15:00.
    stage_users(
        &c,
        day(1),
        &[
            user(1, 1, 9, "AT", "free", "a@x.io", "Ann"),
            deleted(user(1, 1, 12, "AT", "free", "a@x.io", "Ann")),
            user(1, 1, 15, "FR", "pro", "neo@x.io", "Neo"),
        ],
    )
    .await;
    merge(&mut c, 0).await;
    let stats = merge(&mut c, 1).await;
    assert_eq!(
        (stats.new_versions, stats.deletions, stats.recreated),
        (1, 1, 1),
        "{stats:?}"
    );
    // The change at 09:00 is a version of its own, closed by the deletion.
    let expected = [
        r(1, 1, "DE", None, "03-01 10..03-02 09", false, false),
        r(2, 1, "AT", None, "03-02 09..03-02 12", false, true),
        r(3, 1, "FR", Some("neo@x.io"), "03-02 15..inf", true, false),
    ];
    assert_eq!(rows(&c).await, expected);
    // In staging, the old life's rows are erased; the new life's row keeps its data.
    let staging = staged(&c).await;
    let emails: Vec<Option<&str>> = staging.iter().map(|(_, _, e)| e.as_deref()).collect();
    assert_eq!(emails, [None, None, None, Some("neo@x.io")], "{staging:?}");
    let erasures: Vec<(i64, String)> = c
        .query(
            "SELECT user_id, to_char(deleted_at AT TIME ZONE 'UTC', 'MM-DD HH24') FROM ops.erasures",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(erasures, [(1, "03-02 12".to_owned())]);

    // Re-merging changes nothing; a rebuild from either day gives the same history.
    assert!(merge(&mut c, 1).await.already_merged);
    for from in [0, 1] {
        rebuild_from(&mut c, &user_spec(), day(from), day(1))
            .await
            .unwrap();
        let versions = rows(&c).await;
        let shape: Vec<_> = versions
            .iter()
            .map(|v| (&v.2, &v.3, &v.4, v.5, v.6))
            .collect();
        let want: Vec<_> = expected
            .iter()
            .map(|v| (&v.2, &v.3, &v.4, v.5, v.6))
            .collect();
        assert_eq!(shape, want, "rebuild from day {from}");
        assert_eq!(staged(&c).await, staging);
    }
}

#[tokio::test]
async fn merging_a_merged_batch_again_changes_nothing_even_after_later_days() {
    let db = TestDb::migrated().await;
    let mut c = db.client().await;
    stage_users(
        &c,
        day(0),
        &[
            user(1, 0, 10, "DE", "free", "a@x.io", "Ann"),
            user(2, 0, 10, "DE", "free", "b@x.io", "Bob"),
        ],
    )
    .await;
    stage_users(
        &c,
        day(1),
        &[deleted(user(1, 1, 10, "DE", "free", "a@x.io", "Ann"))],
    )
    .await;
    stage_users(&c, day(2), &[user(2, 2, 10, "IT", "pro", "b@x.io", "Bob")]).await;
    for d in 0..3 {
        merge(&mut c, d).await;
    }
    let before = rows(&c).await;
    for d in 0..3 {
        let again = merge(&mut c, d).await;
        assert!(again.already_merged, "day {d}");
        assert_eq!(again.rows_out(), 0);
    }
    assert_eq!(rows(&c).await, before);
    let logged: i64 = c
        .query_one(
            "SELECT count(*) FROM ops.scd_batches WHERE dimension = 'dim_user'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(logged, 3);
}

#[tokio::test]
async fn a_merged_batch_whose_feed_changed_is_refused() {
    let db = TestDb::migrated().await;
    let mut c = db.client().await;
    stage_users(&c, day(0), &[user(1, 0, 10, "DE", "free", "a@x.io", "Ann")]).await;
    merge(&mut c, 0).await;
    stage_users(&c, day(0), &[user(2, 0, 11, "DE", "free", "b@x.io", "Bob")]).await;
    let err = merge_batch(&mut c, &user_spec(), day(0)).await.unwrap_err();
    assert!(matches!(err, Error::BatchChanged { .. }));
    assert_eq!(
        err.to_string(),
        "dimension dim_user: batch 2026-03-01 was merged before and its feed has changed since; use --rebuild-from 2026-03-01"
    );
}

#[tokio::test]
async fn an_out_of_order_batch_is_refused_and_rebuild_from_replays_it_in_order() {
    let db = TestDb::migrated().await;
    let mut c = db.client().await;
    stage_users(
        &c,
        day(0),
        &[
            user(1, 0, 10, "DE", "free", "a@x.io", "Ann"),
            user(2, 0, 10, "DE", "free", "b@x.io", "Bob"),
        ],
    )
    .await;
    stage_users(
        &c,
        day(1),
        &[user(1, 1, 10, "FR", "free", "a1@x.io", "Ann")],
    )
    .await;
    stage_users(
        &c,
        day(2),
        &[
            user(1, 2, 10, "IT", "free", "a2@x.io", "Ann"),
            user(2, 2, 10, "ES", "free", "b@x.io", "Bob"),
        ],
    )
    .await;
    merge(&mut c, 0).await;
    merge(&mut c, 2).await;
    let before = rows(&c).await;
    let err = merge_batch(&mut c, &user_spec(), day(1)).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "dimension dim_user: 1 row(s) are older than the versions already merged (key 1 at 2026-03-02 10:00:00 UTC but already 2026-03-03 10:00:00 UTC); merge batches in order or use --rebuild-from"
    );
    assert_eq!(rows(&c).await, before, "a refused batch writes nothing");

    let stats = rebuild_from(&mut c, &user_spec(), day(1), day(2))
        .await
        .unwrap();
    assert_eq!(
        (
            stats.versions_removed,
            stats.versions_reopened,
            stats.type1_restored
        ),
        (2, 2, 1)
    );
    assert_eq!(
        stats.replayed.iter().map(|m| m.batch).collect::<Vec<_>>(),
        [day(1), day(2)]
    );
    assert_eq!(
        stats.changed_since,
        Some(day_start(1) + Duration::hours(10))
    );
    assert_eq!(
        rows(&c).await,
        [
            r(
                1,
                1,
                "DE",
                Some("a2@x.io"),
                "03-01 10..03-02 10",
                false,
                false
            ),
            r(
                2,
                2,
                "DE",
                Some("b@x.io"),
                "03-01 10..03-03 10",
                false,
                false
            ),
            r(
                5,
                1,
                "FR",
                Some("a2@x.io"),
                "03-02 10..03-03 10",
                false,
                false
            ),
            r(6, 1, "IT", Some("a2@x.io"), "03-03 10..inf", true, false),
            r(7, 2, "ES", Some("b@x.io"), "03-03 10..inf", true, false),
        ]
    );
}

#[tokio::test]
async fn rebuild_after_a_feed_changed_equals_merging_the_new_feeds_in_order() {
    let days = [
        vec![
            user(1, 0, 10, "DE", "free", "a@x.io", "Ann"),
            user(2, 0, 10, "DE", "free", "b@x.io", "Bob"),
            user(3, 0, 10, "PL", "free", "c@x.io", "Cy"),
        ],
        vec![
            user(1, 1, 10, "FR", "free", "a1@x.io", "Ann"),
            deleted(user(2, 1, 10, "DE", "free", "b@x.io", "Bob")),
        ],
        vec![
            user(2, 2, 10, "IT", "pro", "b2@x.io", "Bob"),
            user(3, 2, 10, "PL", "free", "c2@x.io", "Cy"),
        ],
    ];
    let new_day1 = vec![
        user(1, 1, 10, "FR", "pro", "a9@x.io", "Ann"),
        user(3, 1, 12, "PL", "free", "c1@x.io", "Cy"),
    ];

    let db = TestDb::migrated().await;
    let mut c = db.client().await;
    for (d, feed) in days.iter().enumerate() {
        stage_users(&c, day(d as u32), feed).await;
        merge(&mut c, d as u32).await;
    }
    let sk_day0: Vec<i64> = c
        .query(
            "SELECT user_sk FROM dw.dim_user WHERE batch_date = $1 ORDER BY 1",
            &[&day(0)],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    c.execute(
        "DELETE FROM staging.users WHERE batch_date = $1",
        &[&day(1)],
    )
    .await
    .unwrap();
    stage_users(&c, day(1), &new_day1).await;
    let stats = rebuild_from(&mut c, &user_spec(), day(1), day(2))
        .await
        .unwrap();
    assert_eq!(stats.replayed.len(), 2);

    let fresh = TestDb::migrated().await;
    let mut f = fresh.client().await;
    for (d, feed) in [&days[0], &new_day1, &days[2]].into_iter().enumerate() {
        stage_users(&f, day(d as u32), feed).await;
        merge(&mut f, d as u32).await;
    }
    let mut want = versions(&f).await;
    // Erasure is permanent: user 2 was deleted by the first day-1 feed, before it changed.
    for v in &mut want {
        if v.key == 2 && v.valid_from < day_start(1) + Duration::hours(10) {
            v.values[5] = None;
            v.values[6] = None;
        }
    }
    assert_eq!(versions(&c).await, want);
    let kept: Vec<i64> = c
        .query(
            "SELECT user_sk FROM dw.dim_user WHERE batch_date = $1 ORDER BY 1",
            &[&day(0)],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        kept, sk_day0,
        "versions before the rebuild day keep their surrogate keys"
    );
}

#[tokio::test]
async fn erased_values_reloaded_into_staging_never_come_back_through_a_rebuild() {
    let db = TestDb::migrated().await;
    let mut c = db.client().await;
    let day0 = [user(1, 0, 10, "DE", "free", "a@x.io", "Ann")];
    stage_users(&c, day(0), &day0).await;
    stage_users(
        &c,
        day(1),
        &[deleted(user(1, 1, 10, "DE", "free", "a@x.io", "Ann"))],
    )
    .await;
    merge(&mut c, 0).await;
    merge(&mut c, 1).await;
    // The loader re-runs day 0 from its landing file: the personal data is back in staging.
    c.execute(
        "DELETE FROM staging.users WHERE batch_date = $1",
        &[&day(0)],
    )
    .await
    .unwrap();
    stage_users(&c, day(0), &day0).await;
    rebuild_from(&mut c, &user_spec(), day(0), day(0))
        .await
        .unwrap();
    let emails: Vec<Option<String>> = c
        .query("SELECT email FROM dw.dim_user", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(emails, [None]);
}

#[tokio::test]
async fn each_time_of_a_key_in_a_batch_is_a_version_only_identical_rows_are_duplicates_and_a_tie_is_an_error()
 {
    let db = TestDb::migrated().await;
    let mut c = db.client().await;
    stage_users(
        &c,
        day(0),
        &[
            user(1, 0, 9, "DE", "free", "a@x.io", "Ann"),
            user(1, 0, 11, "FR", "free", "a@x.io", "Ann"),
            user(1, 0, 10, "IT", "free", "a@x.io", "Ann"),
            user(1, 0, 10, " it ", "free", "a@x.io", "Ann"),
        ],
    )
    .await;
    let stats = merge(&mut c, 0).await;
    assert_eq!(
        (
            stats.rows_in,
            stats.duplicates,
            stats.new_keys,
            stats.new_versions
        ),
        (4, 1, 1, 2)
    );
    assert_eq!(
        rows(&c).await,
        [
            r(
                1,
                1,
                "DE",
                Some("a@x.io"),
                "03-01 09..03-01 10",
                false,
                false
            ),
            r(
                2,
                1,
                "IT",
                Some("a@x.io"),
                "03-01 10..03-01 11",
                false,
                false
            ),
            r(3, 1, "FR", Some("a@x.io"), "03-01 11..inf", true, false),
        ]
    );

    stage_users(
        &c,
        day(1),
        &[
            user(42, 1, 9, "DE", "free", "a@x.io", "Ann"),
            user(42, 1, 9, "DE", "pro", "a@x.io", "Ann"),
        ],
    )
    .await;
    let err = merge_batch(&mut c, &user_spec(), day(1)).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "dimension dim_user: key 42 has two different rows effective at 2026-03-02 09:00:00 UTC in one batch; cannot tell which is latest"
    );
}

#[tokio::test]
async fn two_concurrent_merges_of_one_batch_apply_it_once() {
    let db = TestDb::migrated().await;
    let mut a = db.client().await;
    let mut b = db.client().await;
    let feed: Vec<_> = (1..=200)
        .map(|k| user(k, 0, 10, "DE", "free", "a@x.io", "Ann"))
        .collect();
    stage_users(&a, day(0), &feed).await;
    let spec = user_spec();
    let (x, y) = tokio::join!(
        merge_batch(&mut a, &spec, day(0)),
        merge_batch(&mut b, &spec, day(0))
    );
    let (x, y) = (x.unwrap(), y.unwrap());
    assert_eq!(
        [x.already_merged, y.already_merged]
            .iter()
            .filter(|m| **m)
            .count(),
        1,
        "exactly one of the two merged"
    );
    assert_eq!(x.new_keys + y.new_keys, 200);
    let n: i64 = a
        .query_one("SELECT count(*) FROM dw.dim_user", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 200);
}

#[tokio::test]
async fn products_track_price_and_activity_and_overwrite_name() {
    let db = TestDb::migrated().await;
    let mut c = db.client().await;
    let spec: DimensionSpec =
        DimensionSpec::list_from_yaml(include_str!("../../../../config/dimensions.yaml"))
            .unwrap()
            .remove(1);
    for (d, price, name) in [(0u32, "10.50", "Tea "), (1, "12.00", "Green tea")] {
        crate::pg::partition(&c, "staging.products", day(d)).await;
        let at = Utc.from_utc_datetime(&day(d).and_hms_opt(8, 0, 0).unwrap());
        c.execute(
            "INSERT INTO staging.products (batch_date, source_line, product_id, sku, name, category, brand, unit_price, is_active, updated_at) \
             VALUES ($1, 1, 7, 'SKU-7', $2, 'Food', 'Acme', $3::text::numeric, true, $4)",
            &[&day(d), &name, &price, &at],
        )
        .await
        .unwrap();
        merge_batch(&mut c, &spec, day(d)).await.unwrap();
    }
    let got: Vec<(i64, String, String, bool, bool)> = c
        .query("SELECT product_sk, unit_price::text, name, is_active, is_current FROM dw.dim_product ORDER BY product_sk", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .collect();
    assert_eq!(
        got,
        [
            (1, "10.50".into(), "Green tea".into(), true, false),
            (2, "12.00".into(), "Green tea".into(), true, true),
        ]
    );
}

/// A merge that writes much of a dimension refreshes its planner statistics: a never-analysed
/// dimension (as after a bootstrap of millions of versions) would otherwise be planned with
/// default estimates, thousands of versions per key.
#[tokio::test]
async fn a_merge_that_writes_much_of_a_dimension_refreshes_its_statistics() {
    let db = TestDb::migrated().await;
    let mut c = db.client().await;
    let spec: DimensionSpec =
        DimensionSpec::list_from_yaml(include_str!("../../../../config/dimensions.yaml"))
            .unwrap()
            .remove(1);
    async fn reltuples(c: &tokio_postgres::Client) -> f64 {
        c.query_one(
            "SELECT reltuples::float8 FROM pg_class WHERE oid = 'dw.dim_product'::regclass",
            &[],
        )
        .await
        .unwrap()
        .get(0)
    }
    assert!(reltuples(&c).await < 0.0, "never analysed yet");
    crate::pg::partition(&c, "staging.products", day(0)).await;
    c.execute(
        "INSERT INTO staging.products (batch_date, source_line, product_id, sku, name, category, brand, unit_price, is_active, updated_at) \
         SELECT $1, g, g, 'SKU-' || g, 'P' || g, 'Food', 'Acme', 1.00, true, $2 FROM generate_series(1, 30) g",
        &[&day(0), &Utc.from_utc_datetime(&day(0).and_hms_opt(8, 0, 0).unwrap())],
    )
    .await
    .unwrap();
    merge_batch(&mut c, &spec, day(0)).await.unwrap();
    assert_eq!(reltuples(&c).await, 30.0);
}

#[tokio::test]
async fn feed_rows_without_key_or_time_are_quarantined_and_every_row_is_merged_or_quarantined() {
    let db = TestDb::migrated().await;
    let mut c = db.client().await;
    stage_users(&c, day(0), &[user(1, 0, 9, "DE", "free", "a@x.io", "Ann")]).await;
    c.batch_execute(
        "INSERT INTO staging.users (batch_date, source_line, user_id, country, email, updated_at, is_deleted) VALUES
           ('2026-03-01', 2, NULL, 'FR', 'nokey@x.io', '2026-03-01 10:00Z', false),
           ('2026-03-01', 3, 2, 'IT', 'notime@x.io', NULL, false)",
    )
    .await
    .unwrap();
    let stats = merge(&mut c, 0).await;
    assert_eq!(
        (
            stats.rows_in,
            stats.rows_skipped,
            stats.rows_quarantined,
            stats.new_keys
        ),
        (3, 2, 2, 1)
    );
    let rows: Vec<(i64, String, Option<i64>, Option<String>)> = c
        .query(
            "SELECT source_line, reason, user_id, row_json->>'email' FROM quarantine.rejected_rows \
             WHERE batch_date = '2026-03-01' AND stage = 'transform' AND source_file = 'users.csv' ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    assert_eq!(
        rows,
        [
            (
                2,
                "missing_user_id".to_owned(),
                None,
                Some("nokey@x.io".to_owned())
            ),
            (
                3,
                "missing_updated_at".to_owned(),
                Some(2),
                Some("notime@x.io".to_owned())
            ),
        ]
    );
    // A re-merge changes nothing; the quarantined rows stay as they are.
    assert!(merge(&mut c, 0).await.already_merged);
    let n: i64 = c
        .query_one("SELECT count(*) FROM quarantine.rejected_rows", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 2);
}
