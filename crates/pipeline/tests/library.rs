//! The pipeline as another program uses it: a range run through [`Pipeline::run`] reports
//! its progress as events in step order, and what it returns agrees with the run log.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests panic by design

use chrono::{Days, NaiveDate};
use retention_pipeline::{Error, Event, Pipeline, PipelineConfig, STEPS, Sim};
use retention_testing::TestDb;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_range_runs_through_the_library_with_events_in_step_order() {
    let db = TestDb::empty().await;
    let dir = tempfile::tempdir().unwrap();
    let pipeline = Pipeline::new(Some(db.url()), PipelineConfig::built_in(), dir.path());
    let sim = Sim::default();
    let from = pipeline.first_simulated_day(&sim).unwrap();
    let to = from + Days::new(1);

    let mut seen: Vec<String> = Vec::new();
    let days = pipeline
        .run(&sim, from, to, &mut |e| {
            seen.push(match e {
                Event::Started { days } => format!("started {days}"),
                Event::StepStarted { date, step } => format!("{date} {step}"),
                Event::StepDone { date, record } => format!("{date} {} done", record.step),
                Event::Finished { days } => format!("finished {}", days.len()),
                Event::Table { title, .. } => format!("table {title}"),
                Event::Notice(n) => format!("notice {n}"),
            })
        })
        .await
        .unwrap();

    let mut expected = vec!["started 2".to_owned()];
    for date in [from, to] {
        for step in STEPS {
            expected.push(format!("{date} {step}"));
            expected.push(format!("{date} {step} done"));
        }
    }
    expected.push("finished 2".to_owned());
    assert_eq!(seen, expected);

    // What the run returned is what it recorded.
    let client = db.client().await;
    for day in &days {
        assert!(day.failed.is_none());
        let facts: i64 = client
            .query_one(
                "SELECT rows_out FROM ops.task_runs WHERE step = 'transform' AND batch_date = $1 AND status = 'ok'",
                &[&day.date],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(day.step("transform").unwrap().rows_out, facts as u64);
        assert!(facts > 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_range_is_the_callers_error_and_nothing_runs() {
    let db = TestDb::empty().await;
    let dir = tempfile::tempdir().unwrap();
    let pipeline = Pipeline::new(Some(db.url()), PipelineConfig::built_in(), dir.path());
    let day = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    let mut events = 0;
    let err = pipeline
        .run(&Sim::default(), day, day - Days::new(1), &mut |_| {
            events += 1
        })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Usage(m) if m.contains("is after")));
    assert_eq!(events, 0);
}

/// `run_jobs` with two jobs (the next day's generate, load and validate beside this day's
/// transform) builds the same warehouse as one job, table by table.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_jobs_build_the_same_warehouse_as_one() {
    let schemas = ["staging", "quarantine", "dw", "mart_state", "marts"];
    let mut sums = Vec::new();
    for jobs in [1, 2] {
        let db = TestDb::empty().await;
        let dir = tempfile::tempdir().unwrap();
        let pipeline = Pipeline::new(Some(db.url()), PipelineConfig::built_in(), dir.path());
        let sim = Sim::default();
        let from = pipeline.first_simulated_day(&sim).unwrap();
        let to = from + Days::new(5);
        let mut order = Vec::new();
        let days = pipeline
            .run_jobs(&sim, from, to, jobs, &mut |e| {
                if let Event::StepStarted { date, step } = e {
                    order.push((date, step));
                }
            })
            .await
            .unwrap();
        assert_eq!(days.len(), 6);
        assert!(days.iter().all(|d| d.steps.len() == STEPS.len()));
        // Every step of every day reported once, each day's steps in their order.
        assert_eq!(order.len(), 6 * STEPS.len());
        for date in from.iter_days().take(6) {
            let steps: Vec<_> = order
                .iter()
                .filter(|(d, _)| *d == date)
                .map(|(_, s)| *s)
                .collect();
            assert_eq!(steps, STEPS);
        }
        sums.push(retention_testing::checksums(&db.client().await, &schemas).await);
    }
    assert!(sums[0].values().any(|(rows, _)| *rows > 0));
    assert_eq!(sums[0], sums[1]);
}
