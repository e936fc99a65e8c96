//! [`Pipeline::run`]: the whole pipeline day by day. Each step is the same method its own
//! command calls (so a run behaves exactly like the single steps), in the order generate →
//! load → validate → scd → transform; the first failure stops the run, naming the day and
//! the step and keeping its kind (a failed quality gate stays one). Before the first day the
//! warehouse is initialised when needed, and an empty one that starts after the first
//! simulated day is bootstrapped from a snapshot of the dimensions. With
//! [`Source::Files`] ([`Pipeline::run_range`]) the days are another producer's files: no
//! generate, no bootstrap.

use std::time::Instant;

use chrono::{Days, NaiveDate};
use retention_model::{CalendarRange, MIGRATIONS};

use crate::{
    Error, Pipeline, Result, Sim, Source, Summary,
    steps::{GenerateRequest, InitRequest, LoadRequest, ScdRequest, ValidateRequest},
};

const MIGRATIONS_APPLIED: &str = include_str!("../sql/migrations_applied.sql");
const CALENDAR_COVERS: &str = include_str!("../sql/calendar_covers.sql");
const WAREHOUSE_EMPTY: &str = include_str!("../sql/warehouse_empty.sql");

mod records;

pub use records::{DayRecord, Event, FailedStep, RunRequest, STEPS, StepRecord, range_summary};

/// A step's name and how it went.
type Timed = (&'static str, Result<StepRecord>);

/// Ends a run at `step` of `record`'s day: the day goes in with its failed step, the caller
/// hears [`Event::Finished`], and the error names the day and step.
fn stop(
    days: &mut Vec<DayRecord>,
    mut record: DayRecord,
    step: &'static str,
    e: Error,
    from: NaiveDate,
    to: NaiveDate,
    on_event: &mut dyn FnMut(Event<'_>),
) -> Error {
    let date = record.date;
    record.failed = Some(FailedStep {
        step,
        status: e.status(),
        error: e.to_string(),
    });
    days.push(record);
    on_event(Event::Finished { days });
    Error::InRange {
        error: Box::new(e.context(&format!("day {date}, step {step}"))),
        from,
        to,
        days: serde_json::to_value(&*days).unwrap_or_default(),
    }
}

impl Pipeline {
    /// Runs every simulated day of `from..=to` (initialising and bootstrapping first when
    /// needed), telling `on_event` how it goes. A failure is an [`Error::InRange`] that names
    /// the day and step and carries the days as far as they went. Same as
    /// [`run_jobs`](Self::run_jobs) with one job.
    pub async fn run(
        &self,
        sim: &Sim,
        from: NaiveDate,
        to: NaiveDate,
        on_event: &mut dyn FnMut(Event<'_>),
    ) -> Result<Vec<DayRecord>> {
        self.run_jobs(sim, from, to, 1, on_event).await
    }

    /// [`run`](Self::run) with `jobs` > 1: while day D's `transform` runs, day D+1's
    /// `generate`, `load` and `validate` run beside it (they depend on nothing of D's but
    /// `scd`, which has finished: an erasure recorded by D's scd applies to D+1's rows as they
    /// are staged). `scd` and `transform` stay in date order, so a run that succeeds leaves
    /// the same warehouse as one job. The steps done ahead are reported (their events) after
    /// D's transform. If D's transform fails, D+1 may already be staged; a re-run replaces it.
    /// Always [`Source::Simulate`]; [`run_range`](Self::run_range) takes the source.
    pub async fn run_jobs(
        &self,
        sim: &Sim,
        from: NaiveDate,
        to: NaiveDate,
        jobs: usize,
        on_event: &mut dyn FnMut(Event<'_>),
    ) -> Result<Vec<DayRecord>> {
        let req = RunRequest {
            sim: *sim,
            jobs,
            source: Some(Source::Simulate),
            ..RunRequest::new(from, to)
        };
        self.run_range(&req, on_event).await
    }

    /// Runs the request's days from its [source](Self::source), as [`run_jobs`](Self::run_jobs)
    /// does. With [`Source::Files`] a day is load → validate → scd → transform on the files
    /// under `DATA_DIR/dt=D/`, checked against the day's manifest when it has one (the load's
    /// [`StepRecord::checked_against`] says which), and an empty warehouse is not bootstrapped
    /// (there is no generator to take a snapshot from). A day whose directory or files are
    /// missing stops the run at its load, naming the day and the directory or file, with
    /// nothing of that day loaded.
    pub async fn run_range(
        &self,
        req: &RunRequest,
        on_event: &mut dyn FnMut(Event<'_>),
    ) -> Result<Vec<DayRecord>> {
        let (sim, from, to, jobs) = (&req.sim, req.from, req.to, req.jobs);
        let source = self.source(req.source);
        if from > to {
            return Err(Error::Usage(format!("--from {from} is after --to {to}")));
        }
        if jobs == 0 {
            return Err(Error::Usage("--jobs must be at least 1".to_owned()));
        }
        self.prepare(sim, source, from, to).await?;
        tracing::info!("run {from} .. {to}: source {}", source.name());
        let dates: Vec<NaiveDate> = from.iter_days().take_while(|d| *d <= to).collect();
        on_event(Event::Started { days: dates.len() });
        let mut days: Vec<DayRecord> = Vec::with_capacity(dates.len());
        let mut ahead: Option<Vec<Timed>> = None;
        for (i, &date) in dates.iter().enumerate() {
            let mut record = DayRecord {
                date,
                steps: Vec::new(),
                failed: None,
            };
            // The day's independent steps: done beside the previous day's transform, or now.
            let independent = match ahead.take() {
                Some(done) => done,
                None => {
                    self.independent_steps(sim, source, date, Some(&mut *on_event))
                        .await
                }
            };
            for (step, result) in independent {
                match result {
                    Ok(s) => record.steps.push(s),
                    Err(e) => return Err(stop(&mut days, record, step, e, from, to, on_event)),
                }
            }
            on_event(Event::StepStarted { date, step: "scd" });
            match self.timed_step(sim, source, "scd", date).await {
                Ok(s) => {
                    on_event(Event::StepDone { date, record: &s });
                    record.steps.push(s);
                }
                Err(e) => return Err(stop(&mut days, record, "scd", e, from, to, on_event)),
            }
            on_event(Event::StepStarted {
                date,
                step: "transform",
            });
            let next = dates.get(i + 1).copied().filter(|_| jobs > 1);
            let (transformed, next_done) = match next {
                Some(next) => {
                    let (t, n) = tokio::join!(
                        self.timed_step(sim, source, "transform", date),
                        self.independent_steps(sim, source, next, None)
                    );
                    (t, Some((next, n)))
                }
                None => (self.timed_step(sim, source, "transform", date).await, None),
            };
            match transformed {
                Ok(s) => {
                    on_event(Event::StepDone { date, record: &s });
                    record.steps.push(s);
                }
                Err(e) => return Err(stop(&mut days, record, "transform", e, from, to, on_event)),
            }
            days.push(record);
            if let Some((next, done)) = next_done {
                for (step, result) in &done {
                    on_event(Event::StepStarted { date: next, step });
                    if let Ok(s) = result {
                        on_event(Event::StepDone {
                            date: next,
                            record: s,
                        });
                    }
                }
                ahead = Some(done);
            }
        }
        on_event(Event::Finished { days: &days });
        Ok(days)
    }

    /// The steps of `date` before scd (generate, load and validate; without generate for
    /// another producer's files), in order, up to the first failure; each step's events go to
    /// `on_event` when one is given.
    async fn independent_steps(
        &self,
        sim: &Sim,
        source: Source,
        date: NaiveDate,
        mut on_event: Option<&mut dyn FnMut(Event<'_>)>,
    ) -> Vec<Timed> {
        let mut out = Vec::with_capacity(3);
        for &step in source.steps().iter().take_while(|s| **s != "scd") {
            if let Some(f) = on_event.as_mut() {
                f(Event::StepStarted { date, step });
            }
            let result = self.timed_step(sim, source, step, date).await;
            if let (Some(f), Ok(s)) = (on_event.as_mut(), &result) {
                f(Event::StepDone { date, record: s });
            }
            let failed = result.is_err();
            out.push((step, result));
            if failed {
                break;
            }
        }
        out
    }

    /// One step of one day, timed.
    async fn timed_step(
        &self,
        sim: &Sim,
        source: Source,
        step: &'static str,
        date: NaiveDate,
    ) -> Result<StepRecord> {
        let t = Instant::now();
        let summary = self.run_step(sim, source, step, date).await?;
        let checked_against = match (source, summary.extra.get("checked_against")) {
            (Source::Files, Some(v)) if v == "manifest" => Some("manifest"),
            (Source::Files, Some(v)) if v == "loader" => Some("loader"),
            _ => None,
        };
        Ok(StepRecord {
            step,
            rows_in: summary.rows_in,
            rows_out: summary.rows_out,
            rows_rejected: summary.rows_rejected,
            duration_ms: t.elapsed().as_millis() as u64,
            checked_against,
        })
    }

    async fn run_step(
        &self,
        sim: &Sim,
        source: Source,
        step: &str,
        date: NaiveDate,
    ) -> Result<Summary> {
        match step {
            "generate" => self.generate(&GenerateRequest::day(date, *sim)).await,
            "load" if source == Source::Files => self.load_landed(date).await,
            "load" => self.load(&LoadRequest::day(date)).await,
            "validate" => self.validate(&ValidateRequest::day(date)).await,
            "scd" => self.scd(&ScdRequest::day(date)).await,
            _ => self.transform(date).await,
        }
    }

    /// Initialises the warehouse when it is not (or not fully) migrated or its calendar does
    /// not cover the run, and (simulating) bootstraps the dimensions from a snapshot as of
    /// `from - 1` when the warehouse is empty and `from` is after the first simulated day.
    async fn prepare(
        &self,
        sim: &Sim,
        source: Source,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<()> {
        let client = self.connect().await?;
        let applied: i64 = match client.query_one(MIGRATIONS_APPLIED, &[]).await {
            Ok(row) => row.get(0),
            Err(_) => 0,
        };
        let calendar = CalendarRange::default();
        let (first, last) = (from - Days::new(31), to + Days::new(7));
        let covered: bool = if applied > 0 {
            client
                .query_one(CALENDAR_COVERS, &[&first, &last])
                .await
                .map(|r| r.get(0))
                .unwrap_or(false)
        } else {
            false
        };
        if usize::try_from(applied).unwrap_or(0) < MIGRATIONS.len() || !covered {
            tracing::info!("initialising the warehouse");
            let calendar = CalendarRange {
                first: calendar.first.min(first),
                last: calendar.last.max(last),
            };
            self.init(&InitRequest { calendar })
                .await
                .map_err(|e| e.context(&format!("day {from}, step init")))?;
        }
        if source == Source::Files {
            // Another producer's first day carries the dimensions (or `load --snapshot` did).
            return Ok(());
        }
        let empty: bool = client.query_one(WAREHOUSE_EMPTY, &[]).await?.get(0);
        let first_day = self.first_simulated_day(sim)?;
        if empty && from > first_day {
            let as_of = from - Days::new(1);
            tracing::info!(
                "empty warehouse starting after {first_day}: bootstrapping the dimensions from a snapshot as of {as_of}"
            );
            let at = |step: &str| format!("day {as_of}, step {step}");
            let snapshot = GenerateRequest {
                snapshot: true,
                ..GenerateRequest::day(from, *sim)
            };
            self.generate(&snapshot)
                .await
                .map_err(|e| e.context(&at("generate --snapshot")))?;
            let load = LoadRequest {
                snapshot: true,
                ..LoadRequest::day(as_of)
            };
            self.load(&load)
                .await
                .map_err(|e| e.context(&at("load --snapshot")))?;
            self.scd(&ScdRequest::day(as_of))
                .await
                .map_err(|e| e.context(&at("scd")))?;
        }
        Ok(())
    }
}
