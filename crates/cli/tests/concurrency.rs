//! Two runs of the same step of the same day at once, for every step: the second waits for
//! the first (each step takes a lock for its step and day), then acts as a re-run; both
//! succeed, and the warehouse is that of a single run, every table of every schema compared
//! without audit columns.
//!
//! To make the runs overlap for sure, the first is held in the middle of its work (stopped
//! with SIGSTOP while it writes, or waiting on a table lock the test holds) while the second
//! starts and is seen waiting for it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns panic by design

use std::time::{Duration, Instant};

mod common;
#[path = "common/warehouse.rs"]
mod warehouse;

use warehouse::{
    Blocker, Day, MANIFEST, assert_ok, assert_same_as_reference, poll, running, runs, signal,
    step_lock_waiter, wait_exit,
};

/// The table the first run is held on (written late in its transaction, after its step lock
/// is taken), and the lock that holds it.
fn hold_point(step: &str) -> (&'static str, &'static str) {
    match step {
        // After the COPYs into the new partitions, the day's load rejects are replaced.
        "load" => ("quarantine.rejected_rows", "SHARE"),
        "validate" => (
            "staging.events, staging.users, staging.products",
            "ACCESS EXCLUSIVE",
        ),
        "scd" => ("ops.scd_batches", "SHARE"),
        "transform" => ("dw.fact_user_weekly_summary", "SHARE"),
        _ => unreachable!("{step}"),
    }
}

async fn two_concurrent_runs(step: &str) {
    let day = Day::new().await;
    day.run_before(step);
    let observer = day.db.client().await;
    let (table, mode) = hold_point(step);
    let blocker = Blocker::lock(&day.db, table, mode).await;
    let mut first = day.spawn(step);
    let (first_pid, _) = blocker.wait_for_waiter(&observer, &mut first).await;
    let mut second = day.spawn(step);
    let observer = &observer;
    let waiting = poll(Duration::from_secs(30), || {
        if let Ok(Some(status)) = second.try_wait() {
            panic!("the second {step} ended ({status}) while the first held its lock");
        }
        async move {
            step_lock_waiter(observer, step)
                .await
                .filter(|pid| *pid != first_pid)
        }
    })
    .await;
    assert!(
        waiting.is_some(),
        "the second {step} waits for the first's lock of the step and day"
    );
    blocker.release().await;
    let first = wait_exit(first, Duration::from_secs(60));
    let second = wait_exit(second, Duration::from_secs(60));
    assert_ok(step, &first);
    assert_ok(step, &second);
    let statuses: Vec<String> = runs(observer, step)
        .await
        .into_iter()
        .map(|(_, s)| s)
        .collect();
    assert_eq!(statuses, ["ok", "ok"], "{step}: both runs recorded ok");
    assert_eq!(running(observer).await, []);
    day.run_after(step);
    assert_same_as_reference(&day, &format!("two concurrent {step} runs")).await;
}

#[tokio::test]
async fn two_concurrent_generates_of_a_day_serialise_and_write_the_files_of_one() {
    let day = Day::new().await;
    let first = warehouse::generate_stopped_mid_file(&day).await;
    let mut second = day.spawn("generate");
    // The first holds the day: the second neither finishes nor publishes a manifest.
    let started = Instant::now();
    while started.elapsed() < Duration::from_millis(1500) {
        assert!(
            second.try_wait().unwrap().is_none(),
            "the second generate finished while the first was still writing the day"
        );
        assert!(
            !day.landing().join(MANIFEST).exists(),
            "a manifest was published while the first generate was still writing the day"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    signal(&first, "CONT");
    let first = wait_exit(first, Duration::from_secs(60));
    let second = wait_exit(second, Duration::from_secs(60));
    assert_ok("generate", &first);
    assert_ok("generate", &second);
    day.run_after("generate");
    assert_same_as_reference(&day, "two concurrent generate runs").await;
}

#[tokio::test]
async fn two_concurrent_loads_of_a_day_serialise_and_stage_it_once() {
    two_concurrent_runs("load").await;
}

#[tokio::test]
async fn two_concurrent_validations_of_a_day_serialise_and_agree() {
    two_concurrent_runs("validate").await;
}

#[tokio::test]
async fn two_concurrent_scd_merges_of_a_day_serialise_and_merge_it_once() {
    two_concurrent_runs("scd").await;
}

#[tokio::test]
async fn two_concurrent_transforms_of_a_day_serialise_and_give_the_facts_and_marts_of_one() {
    two_concurrent_runs("transform").await;
}
