//! What a run reports: one record per step and day ([`StepRecord`], [`DayRecord`]), the
//! [`Event`]s a caller renders while it goes, the request that starts it ([`RunRequest`]) and
//! the summary of a range ([`range_summary`]).

use std::time::Instant;

use chrono::NaiveDate;
use retention_model::ops::RowCounts;
use serde::Serialize;

use crate::{Sim, Source, Summary};

/// The steps of a day, in order.
pub const STEPS: [&str; 5] = ["generate", "load", "validate", "scd", "transform"];

/// One step of one day as it went.
#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    /// The step's name (one of [`STEPS`]).
    pub step: &'static str,
    /// Rows the step read.
    pub rows_in: u64,
    /// Rows it wrote.
    pub rows_out: u64,
    /// Rows it quarantined.
    pub rows_rejected: u64,
    /// Wall time, in milliseconds.
    pub duration_ms: u64,
    /// For `load` from [`Source::Files`]: `manifest` (the files were checked against the
    /// producer's `_manifest.json`) or `loader` (none: the loader counted and hashed them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checked_against: Option<&'static str>,
}

/// What [`Pipeline::run_range`] runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunRequest {
    /// First day.
    pub from: NaiveDate,
    /// Last day (inclusive).
    pub to: NaiveDate,
    /// Seed and scale of the simulation (unused with [`Source::Files`]).
    pub sim: Sim,
    /// 1: every step in turn; 2 or more: the next day's steps before `scd` run beside this
    /// day's `transform` (see [`Pipeline::run_jobs`]).
    pub jobs: usize,
    /// Where the days come from; `None`: [`Pipeline::source`]'s rule (the configuration's
    /// `source:`, else [`Source::Simulate`]).
    pub source: Option<Source>,
}

impl RunRequest {
    /// `from..=to`, one job, the default simulation, the source by the configuration.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Self {
        Self {
            from,
            to,
            sim: Sim::default(),
            jobs: 1,
            source: None,
        }
    }
}

/// One day of a run.
#[derive(Debug, Clone, Serialize)]
pub struct DayRecord {
    /// The day.
    pub date: NaiveDate,
    /// Its steps as far as they went.
    pub steps: Vec<StepRecord>,
    /// The step that failed this day (only on a failed run's last day), with its status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed: Option<FailedStep>,
}

/// The step a failed day stopped at.
#[derive(Debug, Clone, Serialize)]
pub struct FailedStep {
    /// The step.
    pub step: &'static str,
    /// `error` or `quality_failed`.
    pub status: &'static str,
    /// What went wrong.
    pub error: String,
}

impl DayRecord {
    /// The record of `step`, if it ran.
    pub fn step(&self, name: &str) -> Option<&StepRecord> {
        self.steps.iter().find(|s| s.step == name)
    }

    /// Events landed (generated, or for another producer's files the records loaded),
    /// facts made, rows quarantined (loader and conformance).
    pub fn figures(&self) -> (u64, u64, u64) {
        let landed = match self.step("generate") {
            Some(s) => s.rows_out,
            None => self.step("load").map_or(0, |s| s.rows_in),
        };
        let facts = self.step("transform").map_or(0, |s| s.rows_out);
        let rejected = self.step("load").map_or(0, |s| s.rows_rejected)
            + self.step("transform").map_or(0, |s| s.rows_rejected);
        (landed, facts, rejected)
    }

    /// The day's wall time over its steps, in milliseconds.
    pub fn duration_ms(&self) -> u64 {
        self.steps.iter().map(|s| s.duration_ms).sum()
    }
}

/// What a run reports as it goes, for its caller to render (a progress bar, log lines).
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// The run is about to start its days (after any initialisation and bootstrap).
    Started {
        /// How many days it will run.
        days: usize,
    },
    /// A step of a day starts.
    StepStarted {
        /// The day.
        date: NaiveDate,
        /// The step.
        step: &'static str,
    },
    /// A step of a day finished well.
    StepDone {
        /// The day.
        date: NaiveDate,
        /// How it went.
        record: &'a StepRecord,
    },
    /// The run ended, well or not: its days as far as they went.
    Finished {
        /// The days (a failed run's last day carries its failed step).
        days: &'a [DayRecord],
    },
    /// A table of figures for a person (the demo's KPIs); no rows, no header.
    Table {
        /// What the table shows.
        title: &'a str,
        /// Column names.
        header: &'a [String],
        /// Cells as text (empty for NULL).
        rows: &'a [Vec<String>],
    },
    /// A message for a person (where the demo's database is, how to stop it, ...).
    Notice(&'a str),
}

/// The summary of a range: totals of events landed, facts made and rows quarantined, and
/// the per-day array.
pub fn range_summary(
    step: &str,
    from: NaiveDate,
    to: NaiveDate,
    days: &[DayRecord],
    started: Instant,
) -> Summary {
    let mut counts = RowCounts::default();
    for d in days {
        let (landed, facts, rejected) = d.figures();
        counts.rows_in += landed;
        counts.rows_out += facts;
        counts.rows_rejected += rejected;
    }
    let mut summary =
        Summary::ok(step, None, counts, started.elapsed().as_millis() as u64).with("days", days);
    summary.from = Some(from);
    summary.to = Some(to);
    summary
}
