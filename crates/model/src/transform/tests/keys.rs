//! Surrogate keys valid at the event time, and duplicate events within a batch and across batches (reruns identical).
#![allow(clippy::type_complexity)]

use super::*;

#[tokio::test]
async fn surrogate_keys_are_the_versions_valid_at_the_event_time() {
    let db = TestDb::migrated().await;
    let mut c = db.client().await;
    dims(&c).await;
    let ev = |line, id, ts, user, product| -> Ev<'static> {
        (
            line,
            Some(id),
            Some(ts),
            Some(user),
            Some("s"),
            "product_view",
            product,
            None,
            None,
            None,
            "web",
        )
    };
    stage(
        &c,
        "2026-01-06",
        &[
            ev(2, "u1-before-first", "2025-12-31T23:00:00Z", 1, Some(10)),
            ev(3, "u1-v1", "2026-01-05T09:59:59Z", 1, Some(10)),
            ev(4, "u1-v2-at-boundary", "2026-01-05T10:00:00Z", 1, Some(11)),
            ev(5, "u2-after-deletion", "2026-01-06T10:00:00Z", 2, Some(10)),
            ev(6, "u3-before-signup", "2026-01-06T07:00:00Z", 3, None),
        ],
    )
    .await;
    run_day(&mut c, day("2026-01-06")).await.unwrap();
    let got: Vec<(String, i64, Option<i64>)> = c
        .query(
            "SELECT event_id, user_sk, product_sk FROM dw.fact_user_events ORDER BY source_line",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        got,
        vec![
            ("u1-before-first".to_owned(), 101, Some(1001)),
            ("u1-v1".to_owned(), 101, Some(1001)),
            ("u1-v2-at-boundary".to_owned(), 102, Some(1101)),
            ("u2-after-deletion".to_owned(), 201, Some(1002)),
            ("u3-before-signup".to_owned(), 301, None),
        ]
    );
}

#[tokio::test]
async fn duplicates_are_caught_within_the_batch_and_against_earlier_batches_only_and_reruns_are_identical()
 {
    let db = TestDb::migrated().await;
    let mut c = db.client().await;
    dims(&c).await;
    stage(
        &c,
        "2026-01-06",
        &[
            click(2, "x", "2026-01-06T10:00:00Z"),
            click(3, "y", "2026-01-06T11:00:00Z"),
        ],
    )
    .await;
    stage(
        &c,
        "2026-01-07",
        &[
            click(2, "x", "2026-01-06T10:00:00Z"),
            click(3, "z", "2026-01-07T10:00:00Z"),
            click(4, "z", "2026-01-07T10:00:00Z"),
            click(5, "x", "2026-01-07T12:00:00Z"),
        ],
    )
    .await;
    run_day(&mut c, day("2026-01-06")).await.unwrap();
    let second = run_day(&mut c, day("2026-01-07")).await.unwrap();
    assert_eq!(second.facts_inserted, 1);
    assert_eq!(
        reasons(&c, "2026-01-07").await,
        vec![
            (2, "duplicate_event".to_owned()),
            (4, "duplicate_event".to_owned()),
            (5, "duplicate_event".to_owned())
        ]
    );
    let before = checksum(&c).await;
    // Re-running the first day after the second must not see its own facts as earlier.
    let rerun = run_day(&mut c, day("2026-01-06")).await.unwrap();
    assert_eq!(rerun.facts_replaced, 2);
    assert_eq!(rerun.facts_inserted, 2);
    assert_eq!(rerun.rows_rejected(), 0);
    let rerun2 = run_day(&mut c, day("2026-01-07")).await.unwrap();
    assert_eq!(rerun2.facts_replaced, 1);
    assert_eq!(checksum(&c).await, before);
    // The one-pass rebuild finds the same duplicates, within the batch and of the earlier one.
    let rebuilt = rebuild(&mut c).await.unwrap();
    assert_eq!(
        (rebuilt.batches, rebuilt.facts, rebuilt.facts_before),
        (2, 3, 3)
    );
    assert_eq!(rebuilt.rejected.get("duplicate_event"), Some(&3));
    assert_eq!(checksum(&c).await, before);
}

/// A re-run whose staging gained an event_id that a later batch accepted stops with a clear
/// error and changes nothing; the rebuild then gives the event to the earliest batch.
#[tokio::test]
async fn a_rerun_meeting_an_event_id_of_a_later_batch_stops_and_the_rebuild_resolves_it() {
    let db = TestDb::migrated().await;
    let mut c = db.client().await;
    dims(&c).await;
    stage(&c, "2026-01-06", &[click(2, "x", "2026-01-06T10:00:00Z")]).await;
    stage(&c, "2026-01-07", &[click(2, "z", "2026-01-07T10:00:00Z")]).await;
    run_day(&mut c, day("2026-01-06")).await.unwrap();
    run_day(&mut c, day("2026-01-07")).await.unwrap();
    let before = checksum(&c).await;
    stage(
        &c,
        "2026-01-06",
        &[
            click(2, "x", "2026-01-06T10:00:00Z"),
            click(3, "z", "2026-01-06T11:00:00Z"),
        ],
    )
    .await;
    let err = run_day(&mut c, day("2026-01-06")).await.unwrap_err();
    match &err {
        Error::AcceptedLater {
            date,
            event_id,
            later,
        } => {
            assert_eq!(
                (*date, event_id.as_str(), *later),
                (day("2026-01-06"), "z", day("2026-01-07"))
            );
        }
        other => panic!("expected AcceptedLater, got {other:?}"),
    }
    assert!(err.to_string().contains("retention rebuild"), "{err}");
    assert_eq!(checksum(&c).await, before, "the failed day rolled back");
    let rebuilt = rebuild(&mut c).await.unwrap();
    assert_eq!(rebuilt.facts, 2);
    assert_eq!(
        reasons(&c, "2026-01-07").await,
        vec![(2, "duplicate_event".to_owned())]
    );
    let holder: NaiveDate = c
        .query_one(
            "SELECT batch_date FROM dw.fact_event_ids WHERE event_id = 'z'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(holder, day("2026-01-06"));
}
