//! The run log under faults: a run whose process or connection dies is marked `abandoned` by
//! the next step, and a live run is never touched.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns panic by design

use chrono::NaiveDate;
use retention_model::ops::{RowCounts, RunStatus, TaskRun, mark_abandoned_runs};
use retention_testing::TestDb;

async fn status(client: &tokio_postgres::Client, run_id: i64) -> (String, bool) {
    let row = client
        .query_one(
            "SELECT status, finished_at IS NOT NULL FROM ops.task_runs WHERE run_id = $1",
            &[&run_id],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1))
}

#[tokio::test]
async fn a_run_whose_connection_died_is_marked_abandoned_and_a_live_one_is_not() {
    let db = TestDb::migrated().await;
    let day = NaiveDate::from_ymd_opt(2026, 3, 1);
    let observer = db.client().await;

    // A live run on its own connection.
    let live_client = db.client().await;
    let live = TaskRun::start(&live_client, "load", day).await.unwrap();

    // A run whose backend is terminated under it, as a kill -9 of the step or a server
    // restart would leave it: its row says 'running' and nobody will ever finish it.
    let dead_client = db.client().await;
    let dead = TaskRun::start(&dead_client, "scd", day).await.unwrap();
    let dead_id = dead.run_id();
    let pid: i32 = dead_client
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    observer
        .execute("SELECT pg_terminate_backend($1)", &[&pid])
        .await
        .unwrap();
    assert_eq!(status(&observer, dead_id).await, ("running".into(), false));
    // Wait until the server has released the dead session's locks.
    for _ in 0..100 {
        let gone: bool = observer
            .query_one(
                "SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1)",
                &[&pid],
            )
            .await
            .unwrap()
            .get(0);
        if gone {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        dead.finish(
            &dead_client,
            RunStatus::Ok,
            RowCounts::default(),
            None,
            None
        )
        .await
        .is_err()
    );

    // The next step that starts heals the history.
    let next = TaskRun::start(&observer, "validate", day).await.unwrap();
    assert_eq!(status(&observer, dead_id).await, ("abandoned".into(), true));
    let error: String = observer
        .query_one(
            "SELECT error FROM ops.task_runs WHERE run_id = $1",
            &[&dead_id],
        )
        .await
        .unwrap()
        .get(0);
    assert!(error.starts_with("abandoned:"), "{error}");
    assert_eq!(
        status(&observer, live.run_id()).await,
        ("running".into(), false)
    );
    assert_eq!(
        status(&observer, next.run_id()).await,
        ("running".into(), false)
    );

    // A sweep from yet another session leaves both live runs alone, and is idempotent.
    let other = db.client().await;
    assert_eq!(mark_abandoned_runs(&other).await.unwrap(), 0);

    // Finishing releases the run's lock: the row is final and a sweep does not touch it.
    let live_id = live.run_id();
    live.finish(
        &live_client,
        RunStatus::Ok,
        RowCounts::default(),
        None,
        None,
    )
    .await
    .unwrap();
    assert_eq!(mark_abandoned_runs(&other).await.unwrap(), 0);
    assert_eq!(status(&observer, live_id).await, ("ok".into(), true));
}
