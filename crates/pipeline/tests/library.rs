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
