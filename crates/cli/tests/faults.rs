//! Steps interrupted in the middle of their work: `kill -9` of the step's process, and its
//! PostgreSQL sessions terminated under it (`pg_terminate_backend`, which is what a server
//! restart looks like to the client). Re-running the step and the rest of the day gives a
//! warehouse identical to an uninterrupted run's, every table of every schema compared
//! without audit columns, and the interrupted run is marked `abandoned`: nothing stays
//! `running`.
//!
//! To be in the middle of the work for sure, a test either stops the process (SIGSTOP) once it
//! is seen writing (a landing file growing, a COPY in progress), or holds a lock on a table
//! the step writes late in its transaction, so that the step waits there with its earlier
//! writes made and not committed.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns panic by design

use std::time::Duration;

mod common;
#[path = "common/warehouse.rs"]
mod warehouse;

use tokio_postgres::Client;
use warehouse::{
    Blocker, Day, MANIFEST, assert_same_as_reference, backends, kill9, poll, running, runs, signal,
    terminate_backends, wait_backends_gone, wait_exit,
};

/// How the step is interrupted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// SIGKILL of the step's process.
    Kill,
    /// Every PostgreSQL session of the step terminated, the process left to notice.
    Terminate,
}

/// The table a step writes late in its transaction, and the lock that makes it wait there.
fn stall_point(step: &str) -> (&'static str, &'static str) {
    match step {
        // Every suite query reads a staging table: validation waits after its run started.
        "validate" => (
            "staging.events, staging.users, staging.products",
            "ACCESS EXCLUSIVE",
        ),
        // The batch log is written last, after the new versions of the dimension.
        "scd" => ("ops.scd_batches", "SHARE"),
        // The weekly summary is recomputed after the facts are inserted.
        "transform" => ("dw.fact_user_weekly_summary", "SHARE"),
        _ => unreachable!("{step}"),
    }
}

/// After the fault and the re-run: the interrupted run is `abandoned`, the re-run `ok`, and no
/// run of any step is left `running`.
async fn assert_history_healed(c: &Client, step: &str) {
    let runs = runs(c, step).await;
    let statuses: Vec<&str> = runs.iter().map(|(_, s)| s.as_str()).collect();
    assert_eq!(
        statuses,
        ["abandoned", "ok"],
        "{step}: the interrupted run and the re-run"
    );
    assert_eq!(running(c).await, [], "runs left running after {step}");
}

/// Interrupts `step` (validate, scd or transform) while it waits on a table it writes late,
/// then re-runs it and the rest of the day.
async fn interrupt_while_blocked(step: &str, fault: Fault) {
    let day = Day::new().await;
    day.run_before(step);
    let observer = day.db.client().await;
    let (table, mode) = stall_point(step);
    let blocker = Blocker::lock(&day.db, table, mode).await;
    let mut child = day.spawn(step);
    let (waiter, wrote) = blocker.wait_for_waiter(&observer, &mut child).await;
    if step != "validate" {
        assert!(
            wrote,
            "{step} waits with uncommitted writes made (pid {waiter})"
        );
    }
    assert_eq!(
        running(&observer).await.len(),
        1,
        "{step} is recorded as running"
    );
    match fault {
        Fault::Kill => {
            kill9(child);
            // The killed client's session goes on until its statement ends: let it.
            blocker.release().await;
            wait_backends_gone(&observer, &[]).await;
        }
        Fault::Terminate => {
            assert!(terminate_backends(&observer, &[blocker.pid]).await >= 1);
            let out = wait_exit(child, Duration::from_secs(30));
            blocker.release().await;
            assert_failed_on_lost_connection(step, &out);
            wait_backends_gone(&observer, &[]).await;
        }
    }
    day.run(step);
    assert_history_healed(&observer, step).await;
    day.run_after(step);
    assert_same_as_reference(&day, &format!("{step} after {fault:?}")).await;
}

/// The step noticed its connection was gone: exit 1, an error JSON line naming it.
fn assert_failed_on_lost_connection(step: &str, out: &std::process::Output) {
    let stderr = common::stderr(out);
    assert_eq!(out.status.code(), Some(1), "{step}: {stderr}");
    let json = common::last_json_line(out);
    assert_eq!(json["status"], "error", "{json}");
    assert_eq!(json["step"], step, "{json}");
    let error = json["error"].as_str().unwrap_or_default().to_lowercase();
    eprintln!("{step} after its connection was terminated: {error}");
    assert!(
        ["terminat", "connection", "closed", "shutdown"]
            .iter()
            .any(|w| error.contains(w)),
        "{step}: the error says the connection was lost: {error}"
    );
}

/// Starts `load` and stops it (SIGSTOP) while a COPY into staging is in progress, the server
/// waiting for the next rows. Returns the stopped process. A COPY seen active may have had
/// all its rows sent already: then the load goes on to its next COPY, and when it was too
/// quick to be caught at all it is run again (a finished load is only one the re-run repeats).
async fn load_stopped_mid_copy(day: &Day, observer: &Client) -> std::process::Child {
    for _ in 0..20 {
        let mut child = day.spawn("load");
        loop {
            let copying = poll(Duration::from_secs(30), || {
                let exited = matches!(child.try_wait(), Ok(Some(_)));
                async move {
                    if exited {
                        return Some(false);
                    }
                    backends(observer, &[])
                        .await
                        .iter()
                        .any(|b| b.1 == "active" && b.3.contains("COPY staging."))
                        .then_some(true)
                }
            })
            .await;
            if copying != Some(true) {
                break;
            }
            signal(&child, "STOP");
            // Whatever the client had sent is consumed; is the COPY still waiting for more?
            tokio::time::sleep(Duration::from_millis(100)).await;
            let mid_copy = backends(observer, &[]).await.iter().any(|b| {
                b.1 == "active" && b.2 == "ClientRead" && b.3.contains("COPY staging.") && b.4
            });
            if mid_copy {
                return child;
            }
            signal(&child, "CONT");
            // Past this COPY: wait for the next one, or for the end.
            poll(Duration::from_secs(30), || async {
                (!backends(observer, &[])
                    .await
                    .iter()
                    .any(|b| b.1 == "active" && b.3.contains("COPY staging.")))
                .then_some(())
            })
            .await;
        }
        eprintln!("load ended before it was caught in a COPY: again");
        let out = wait_exit(child, Duration::from_secs(30));
        warehouse::assert_ok("load", &out);
    }
    panic!("never caught load in the middle of a COPY");
}

async fn interrupt_load_mid_copy(fault: Fault) {
    let day = Day::new().await;
    day.run_before("load");
    let observer = day.db.client().await;
    let child = load_stopped_mid_copy(&day, &observer).await;
    match fault {
        Fault::Kill => kill9(child),
        Fault::Terminate => {
            assert!(terminate_backends(&observer, &[]).await >= 1);
            signal(&child, "CONT");
            let out = wait_exit(child, Duration::from_secs(30));
            assert_failed_on_lost_connection("load", &out);
        }
    }
    wait_backends_gone(&observer, &[]).await;
    day.run("load");
    // Loads the retry loop saw finish are re-runs: the last two are the interrupted one and
    // the re-run after it.
    let runs = runs(&observer, "load").await;
    let statuses: Vec<&str> = runs.iter().map(|(_, s)| s.as_str()).collect();
    assert_eq!(
        statuses[statuses.len() - 2..],
        ["abandoned", "ok"],
        "load: the interrupted run and the re-run"
    );
    assert!(statuses[..statuses.len() - 2].iter().all(|s| *s == "ok"));
    assert_eq!(running(&observer).await, [], "runs left running after load");
    day.run_after("load");
    warehouse::assert_same_as_reference(&day, &format!("load after {fault:?} mid-COPY")).await;
}

#[tokio::test]
async fn generate_killed_mid_file_then_rerun_writes_the_same_landing_files_and_warehouse() {
    let day = Day::new().await;
    let dir = day.landing();
    kill9(warehouse::generate_stopped_mid_file(&day).await);
    let reference = warehouse::reference();
    let partial = std::fs::read(dir.join("users.csv")).unwrap();
    assert!(
        partial.len() < reference.landing["users.csv"].len(),
        "users.csv was cut short by the kill"
    );
    assert!(
        !dir.join(MANIFEST).exists(),
        "no manifest vouches for the cut files"
    );
    // A load of the half-written day is refused and changes nothing.
    let out = day.spawn("load").wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
    day.run("generate");
    day.run_after("generate");
    assert_same_as_reference(&day, "generate after kill -9").await;
}

#[tokio::test]
async fn load_killed_mid_copy_then_rerun_gives_the_uninterrupted_warehouse() {
    interrupt_load_mid_copy(Fault::Kill).await;
}

#[tokio::test]
async fn load_whose_connection_is_terminated_mid_copy_fails_and_rerun_gives_the_uninterrupted_warehouse()
 {
    interrupt_load_mid_copy(Fault::Terminate).await;
}

#[tokio::test]
async fn validate_killed_mid_validation_then_rerun_gives_the_uninterrupted_warehouse() {
    interrupt_while_blocked("validate", Fault::Kill).await;
}

#[tokio::test]
async fn validate_whose_connection_is_terminated_fails_and_rerun_gives_the_uninterrupted_warehouse()
{
    interrupt_while_blocked("validate", Fault::Terminate).await;
}

#[tokio::test]
async fn scd_killed_mid_merge_then_rerun_gives_the_uninterrupted_warehouse() {
    interrupt_while_blocked("scd", Fault::Kill).await;
}

#[tokio::test]
async fn scd_whose_connection_is_terminated_mid_merge_fails_and_rerun_gives_the_uninterrupted_warehouse()
 {
    interrupt_while_blocked("scd", Fault::Terminate).await;
}

#[tokio::test]
async fn transform_killed_mid_insert_then_rerun_gives_the_uninterrupted_warehouse() {
    interrupt_while_blocked("transform", Fault::Kill).await;
}

#[tokio::test]
async fn transform_whose_connection_is_terminated_mid_insert_fails_and_rerun_gives_the_uninterrupted_warehouse()
 {
    interrupt_while_blocked("transform", Fault::Terminate).await;
}
