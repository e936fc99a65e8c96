//! `mode: snapshot` against a real PostgreSQL: each day's batch is every current user, a key
//! absent from it is closed as deleted at the batch day's start, and the history is compared
//! with rows worked out by hand.

use retention_scd::{DimensionSpec, Error, FeedMode, MergeStats, merge_batch, rebuild_from};
use retention_testing::TestDb;
use tokio_postgres::Client;

use crate::model::{FeedRow, day, user_spec};
use crate::pg::{rows, stage_users, user, versions};

fn snapshot_spec(allow_empty: bool) -> DimensionSpec {
    let mut spec = user_spec();
    spec.mode = FeedMode::Snapshot;
    spec.allow_empty_snapshot = allow_empty;
    spec.validate().unwrap();
    spec
}

async fn merge(c: &mut Client, spec: &DimensionSpec, d: u32) -> MergeStats {
    merge_batch(c, spec, day(d)).await.unwrap()
}

type Row = (i64, i64, Option<String>, Option<String>, String, bool, bool);

fn r(
    sk: i64,
    id: i64,
    country: &str,
    email: Option<&str>,
    span: &str,
    cur: bool,
    del: bool,
) -> Row {
    (
        sk,
        id,
        Some(country.into()),
        email.map(Into::into),
        span.into(),
        cur,
        del,
    )
}

/// Three daily snapshots: day 1 changes user 2, drops user 3 and adds user 4; day 2 repeats
/// user 1 with a changed plan but its old time, brings user 3 back with its old row, drops
/// user 4 and adds user 5 without a time.
fn three_days() -> [Vec<FeedRow>; 3] {
    let ann = user(1, 0, 10, "DE", "free", "a@x.io", "Ann");
    let bob = user(2, 0, 11, "FR", "free", "b@x.io", "Bob");
    let cy = user(3, 0, 12, "DE", "free", "c@x.io", "Cy");
    let bob_moved = user(2, 1, 9, "DE", "free", "b@x.io", "Bob");
    let mut ann_pro = ann.clone();
    ann_pro.values[3] = Some("pro".into());
    [
        vec![ann.clone(), bob, cy.clone()],
        vec![
            ann,
            bob_moved.clone(),
            user(4, 1, 8, "FR", "free", "d@x.io", "Di"),
        ],
        vec![
            ann_pro,
            bob_moved,
            cy,
            user(5, 2, 0, "DE", "free", "e@x.io", "Ed"),
        ],
    ]
}

/// Stages a day of [`three_days`]; user 5's row has no time.
async fn stage(c: &Client, d: u32, feed: &[FeedRow]) {
    stage_users(c, day(d), feed).await;
    c.execute(
        "UPDATE staging.users SET updated_at = NULL WHERE user_id = 5 AND batch_date = $1",
        &[&day(d)],
    )
    .await
    .unwrap();
}

fn counts(s: &MergeStats) -> [u64; 7] {
    [
        s.new_keys,
        s.new_versions,
        s.recreated,
        s.type1_updates,
        s.deletions,
        s.absent,
        s.noops,
    ]
}

#[tokio::test]
async fn a_snapshot_closes_absent_keys_reopens_comebacks_and_versions_changes() {
    let spec = snapshot_spec(false);
    let db = TestDb::migrated().await;
    let mut c = db.client().await;
    let days = three_days();
    let mut stats = Vec::new();
    for (d, feed) in days.iter().enumerate() {
        stage(&c, d as u32, feed).await;
        stats.push(merge(&mut c, &spec, d as u32).await);
    }
    //                      new  ver  rec  t1  del  abs  noop
    assert_eq!(counts(&stats[0]), [3, 0, 0, 0, 0, 0, 0]);
    assert_eq!(counts(&stats[1]), [1, 1, 0, 0, 1, 1, 1]);
    assert_eq!(counts(&stats[2]), [1, 1, 1, 0, 1, 1, 1]);
    assert_eq!(stats[2].rows_in, 4, "absent keys are not feed rows");
    assert_eq!(stats[2].rows_skipped, 0, "a row without a time is merged");
    // User 3's and user 4's personal data is erased when they disappear; user 3's old row
    // coming back (its time is before the erasure) brings no personal value back.
    assert_eq!(
        rows(&c).await,
        [
            r(
                1,
                1,
                "DE",
                Some("a@x.io"),
                "03-01 10..03-03 00",
                false,
                false
            ),
            r(
                2,
                2,
                "FR",
                Some("b@x.io"),
                "03-01 11..03-02 09",
                false,
                false
            ),
            r(3, 3, "DE", None, "03-01 12..03-02 00", false, true),
            r(4, 2, "DE", Some("b@x.io"), "03-02 09..inf", true, false),
            r(5, 4, "FR", None, "03-02 08..03-03 00", false, true),
            r(6, 1, "DE", Some("a@x.io"), "03-03 00..inf", true, false),
            r(7, 3, "DE", None, "03-03 00..inf", true, false),
            r(8, 5, "DE", Some("e@x.io"), "03-03 00..inf", true, false),
        ]
    );
    let plan: Option<String> = c
        .query_one("SELECT plan FROM dw.dim_user WHERE user_sk = 6", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(plan.as_deref(), Some("pro"));
    let erased: Vec<(i64, String)> = c
        .query(
            "SELECT user_id, to_char(deleted_at AT TIME ZONE 'UTC', 'MM-DD HH24') FROM ops.erasures ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(erased, [(3, "03-02 00".into()), (4, "03-03 00".into())]);

    let before = rows(&c).await;
    for d in 0..3 {
        let again = merge(&mut c, &spec, d).await;
        assert!(again.already_merged, "day {d}");
        assert_eq!(again.rows_out(), 0);
    }
    assert_eq!(rows(&c).await, before, "a re-run changes nothing");
}

#[tokio::test]
async fn an_unchanged_snapshot_changes_nothing() {
    let spec = snapshot_spec(false);
    let db = TestDb::migrated().await;
    let mut c = db.client().await;
    let feed = &three_days()[0];
    stage(&c, 0, feed).await;
    stage(&c, 1, feed).await;
    merge(&mut c, &spec, 0).await;
    let before = rows(&c).await;
    let second = merge(&mut c, &spec, 1).await;
    assert_eq!(counts(&second), [0, 0, 0, 0, 0, 0, 3]);
    assert_eq!((second.already_merged, second.rows_out()), (false, 0));
    assert_eq!(rows(&c).await, before);
}

#[tokio::test]
async fn an_empty_snapshot_is_refused_unless_allowed_and_then_closes_every_key() {
    let db = TestDb::migrated().await;
    let mut c = db.client().await;
    stage(&c, 0, &three_days()[0]).await;
    merge(&mut c, &snapshot_spec(false), 0).await;
    let before = rows(&c).await;
    let err = merge_batch(&mut c, &snapshot_spec(false), day(1))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::EmptySnapshot { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "dimension dim_user: the snapshot batch 2026-03-02 has no rows; it would close every key as deleted (set allow_empty_snapshot: true if the source is really empty)"
    );
    assert_eq!(rows(&c).await, before, "nothing written");

    // A batch whose only rows cannot be merged (no key) is as empty.
    let mut keyless = user(9, 1, 10, "DE", "free", "x@x.io", "X");
    keyless.key = 9;
    stage_users(&c, day(1), &[keyless]).await;
    c.execute(
        "UPDATE staging.users SET user_id = NULL WHERE batch_date = $1",
        &[&day(1)],
    )
    .await
    .unwrap();
    let err = merge_batch(&mut c, &snapshot_spec(false), day(1))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::EmptySnapshot { .. }), "{err}");

    let allowed = snapshot_spec(true);
    let stats = merge(&mut c, &allowed, 1).await;
    assert_eq!(
        (stats.deletions, stats.absent, stats.rows_quarantined),
        (3, 3, 1)
    );
    assert_eq!(
        rows(&c).await,
        [
            r(1, 1, "DE", None, "03-01 10..03-02 00", false, true),
            r(2, 2, "FR", None, "03-01 11..03-02 00", false, true),
            r(3, 3, "DE", None, "03-01 12..03-02 00", false, true),
        ]
    );
    assert!(merge(&mut c, &allowed, 1).await.already_merged);
}

#[tokio::test]
async fn rebuild_from_and_merging_on_in_order_give_the_same_snapshot_history() {
    let spec = snapshot_spec(true);
    let days = three_days();
    let db = TestDb::migrated().await;
    let mut c = db.client().await;
    for (d, feed) in days.iter().enumerate() {
        stage(&c, d as u32, feed).await;
        merge(&mut c, &spec, d as u32).await;
    }
    // Day 3: an allowed empty snapshot, which a rebuild must replay although the feed has no
    // row of it.
    merge(&mut c, &spec, 3).await;
    let want = versions(&c).await;
    assert!(want.iter().all(|v| !v.is_current), "day 3 closed every key");

    for from in [3, 2, 1] {
        let stats = rebuild_from(&mut c, &spec, day(from), day(3))
            .await
            .unwrap();
        assert_eq!(stats.replayed.len(), 4 - from as usize, "from day {from}");
        assert_eq!(versions(&c).await, want, "rebuilt from day {from}");
    }

    // Rebuilt through day 1 only, then days 2 and 3 merged in order.
    rebuild_from(&mut c, &spec, day(1), day(1)).await.unwrap();
    for d in 2..4 {
        merge(&mut c, &spec, d).await;
    }
    assert_eq!(versions(&c).await, want);
}

#[tokio::test]
async fn a_rebuild_restores_type1_values_of_a_life_started_at_a_snapshot_time() {
    let spec = snapshot_spec(false);
    // User 1 is dropped on day 1 and comes back on day 2 with its old row (a new life from
    // day 2's start, its row's time before it); day 3 corrects its signup date (type 1)
    // without a new time. Then day 3's feed is replaced by one without the correction:
    // rebuilding day 3 restores the signup date day 2's row gave, although that row's time
    // is before the life it belongs to.
    let ann = user(1, 0, 10, "DE", "free", "a@x.io", "Ann");
    let bob = user(2, 0, 10, "DE", "free", "b@x.io", "Bob");
    let mut ann_fixed = ann.clone();
    ann_fixed.values[7] = Some("2025-06-01".into());
    let feeds = [
        vec![ann.clone(), bob.clone()],
        vec![bob.clone()],
        vec![ann.clone(), bob.clone()],
        vec![ann_fixed, bob.clone()],
    ];
    let db = TestDb::migrated().await;
    let mut c = db.client().await;
    for (d, feed) in feeds.iter().enumerate() {
        stage(&c, d as u32, feed).await;
        merge(&mut c, &spec, d as u32).await;
    }
    let signups = |vs: &[crate::model::Version]| -> Vec<(String, Option<String>, bool)> {
        vs.iter()
            .filter(|v| v.key == 1)
            .map(|v| {
                let from = v.valid_from.format("%d %H").to_string();
                (from, v.values[7].clone(), v.is_deleted)
            })
            .collect()
    };
    assert_eq!(
        signups(&versions(&c).await),
        [
            ("01 10".to_owned(), Some("2025-01-01".to_owned()), true),
            ("03 00".to_owned(), Some("2025-06-01".to_owned()), false),
        ]
    );

    c.execute(
        "DELETE FROM staging.users WHERE batch_date = $1",
        &[&day(3)],
    )
    .await
    .unwrap();
    stage(&c, 3, std::slice::from_ref(&bob)).await;
    rebuild_from(&mut c, &spec, day(3), day(3)).await.unwrap();

    let fresh = TestDb::migrated().await;
    let mut f = fresh.client().await;
    for (d, feed) in feeds[..3].iter().chain([&vec![bob]]).enumerate() {
        stage(&f, d as u32, feed).await;
        merge(&mut f, &spec, d as u32).await;
    }
    let want = versions(&f).await;
    assert_eq!(
        signups(&want),
        [
            ("01 10".to_owned(), Some("2025-01-01".to_owned()), true),
            ("03 00".to_owned(), Some("2025-01-01".to_owned()), true),
        ]
    );
    assert_eq!(versions(&c).await, want);
}

#[tokio::test]
async fn changes_mode_ignores_absent_keys() {
    // The default mode: a key without a row in a batch is unchanged, an empty batch is fine.
    let spec = user_spec();
    assert_eq!(spec.mode, FeedMode::Changes);
    let db = TestDb::migrated().await;
    let mut c = db.client().await;
    let days = three_days();
    stage(&c, 0, &days[0]).await;
    merge(&mut c, &spec, 0).await;
    let before = rows(&c).await;
    let empty = merge(&mut c, &spec, 1).await;
    assert_eq!(
        (empty.rows_in, empty.deletions, empty.rows_out()),
        (0, 0, 0)
    );
    assert_eq!(rows(&c).await, before);
}
