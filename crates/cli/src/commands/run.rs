//! `retention run --from D1 --to D2`: the whole pipeline day by day. Each step is the same
//! function its own subcommand calls (so `run` behaves exactly like the single steps), in
//! order generate → load → validate → scd → transform; the first failure stops the run,
//! naming the day and the step, with its exit code (3 for the quality gate).

use std::{io::IsTerminal, time::Instant};

use chrono::{Days, NaiveDate};
use retention_generator::{DEFAULT_SCALE, DEFAULT_SEED, Generator, GeneratorConfig};
use retention_model::{CalendarRange, MIGRATIONS, ops::RowCounts};
use serde::Serialize;

use super::{Ctx, generate, init, load, report, scd, transform, validate};
use crate::{
    cli::{
        DayArgs, GenerateArgs, InitArgs, LoadArgs, RunArgs, ScdArgs, SimArgs, Strategy,
        ValidateArgs,
    },
    error::CliError,
    logging,
    report::Report,
};

/// The steps of a day, in order.
pub const STEPS: [&str; 5] = ["generate", "load", "validate", "scd", "transform"];

/// One step of one day as it went.
#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    pub step: &'static str,
    pub rows_in: u64,
    pub rows_out: u64,
    pub rows_rejected: u64,
    pub duration_ms: u64,
}

/// One day of the run.
#[derive(Debug, Clone, Serialize)]
pub struct DayRecord {
    pub date: NaiveDate,
    pub steps: Vec<StepRecord>,
    /// The step that failed this day (only in a failed run's JSON line), with its status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed: Option<FailedStep>,
}

/// The step a failed day stopped at.
#[derive(Debug, Clone, Serialize)]
pub struct FailedStep {
    pub step: &'static str,
    pub status: &'static str,
    pub error: String,
}

impl DayRecord {
    fn step(&self, name: &str) -> Option<&StepRecord> {
        self.steps.iter().find(|s| s.step == name)
    }

    /// Events landed, facts made, rows quarantined (loader and conformance).
    fn figures(&self) -> (u64, u64, u64) {
        let landed = self.step("generate").map_or(0, |s| s.rows_out);
        let facts = self.step("transform").map_or(0, |s| s.rows_out);
        let rejected = self.step("load").map_or(0, |s| s.rows_rejected)
            + self.step("transform").map_or(0, |s| s.rows_rejected);
        (landed, facts, rejected)
    }

    fn duration_ms(&self) -> u64 {
        self.steps.iter().map(|s| s.duration_ms).sum()
    }
}

pub async fn run(ctx: &Ctx, args: RunArgs) -> Result<Report, CliError> {
    let started = Instant::now();
    let days = run_range(ctx, &args.sim, args.from, args.to).await?;
    let mut json = range_report("run", args.from, args.to, &days, started);
    if let Some(out) = &args.report {
        let (path, _) = report::write(ctx, None, None, out).await?;
        json = json.with("report", path.display().to_string());
    }
    Ok(json)
}

/// The JSON line of a range: totals and the per-day array.
pub fn range_report(
    step: &str,
    from: NaiveDate,
    to: NaiveDate,
    days: &[DayRecord],
    started: Instant,
) -> Report {
    let mut counts = RowCounts::default();
    for d in days {
        let (landed, facts, rejected) = d.figures();
        counts.rows_in += landed;
        counts.rows_out += facts;
        counts.rows_rejected += rejected;
    }
    let mut report =
        Report::ok(step, None, counts, started.elapsed().as_millis() as u64).with("days", days);
    report.from = Some(from);
    report.to = Some(to);
    report
}

/// Runs every day of `from..=to` (initialising and bootstrapping first when needed); prints
/// progress and, at the end or at the first failure, the summary table on stderr.
pub async fn run_range(
    ctx: &Ctx,
    sim: &SimArgs,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<DayRecord>, CliError> {
    if from > to {
        return Err(CliError::Usage(format!("--from {from} is after --to {to}")));
    }
    prepare(ctx, sim, from, to).await?;
    let dates: Vec<NaiveDate> = from.iter_days().take_while(|d| *d <= to).collect();
    let mut progress = Progress::new(dates.len());
    let mut days = Vec::with_capacity(dates.len());
    for date in dates {
        let mut record = DayRecord {
            date,
            steps: Vec::new(),
            failed: None,
        };
        for step in STEPS {
            progress.start(date, step);
            let t = Instant::now();
            match run_step(ctx, sim, step, date).await {
                Ok(report) => {
                    let s = StepRecord {
                        step,
                        rows_in: report.rows_in,
                        rows_out: report.rows_out,
                        rows_rejected: report.rows_rejected,
                        duration_ms: t.elapsed().as_millis() as u64,
                    };
                    progress.done(date, &s);
                    record.steps.push(s);
                }
                Err(e) => {
                    progress.finish();
                    record.failed = Some(FailedStep {
                        step,
                        status: e.status(),
                        error: e.to_string(),
                    });
                    days.push(record);
                    print_summary(&days);
                    return Err(CliError::InRange {
                        error: Box::new(at(date, step, e)),
                        from,
                        to,
                        days: serde_json::to_value(&days).unwrap_or_default(),
                    });
                }
            }
        }
        days.push(record);
    }
    progress.finish();
    print_summary(&days);
    Ok(days)
}

async fn run_step(
    ctx: &Ctx,
    sim: &SimArgs,
    step: &str,
    date: NaiveDate,
) -> Result<Report, CliError> {
    let day = DayArgs { date };
    match step {
        "generate" => generate::run(ctx, generate_args(sim, date, false)).await,
        "load" => {
            load::run(
                ctx,
                LoadArgs {
                    day,
                    force: false,
                    snapshot: false,
                },
            )
            .await
        }
        "validate" => {
            validate::run(
                ctx,
                ValidateArgs {
                    day,
                    results_out: None,
                    strategy: Strategy::SetBased,
                    suites: Vec::new(),
                    statement_timeout: crate::cli::DEFAULT_STATEMENT_TIMEOUT,
                },
            )
            .await
        }
        "scd" => {
            scd::run(
                ctx,
                ScdArgs {
                    day,
                    rebuild_from: None,
                },
            )
            .await
        }
        _ => transform::run(ctx, day).await,
    }
}

fn generate_args(sim: &SimArgs, date: NaiveDate, snapshot: bool) -> GenerateArgs {
    GenerateArgs {
        date: Some(date),
        from: None,
        to: None,
        snapshot,
        sim: sim.clone(),
        threads: 1,
    }
}

fn at(date: NaiveDate, step: &str, e: CliError) -> CliError {
    let say = |m: String| format!("day {date}, step {step}: {m}");
    match e {
        CliError::Usage(m) => CliError::Usage(say(m)),
        CliError::Runtime(m) => CliError::Runtime(say(m)),
        CliError::QualityFailed(m) => CliError::QualityFailed(say(m)),
        CliError::InRange { error, .. } => at(date, step, *error),
    }
}

/// Initialises the warehouse when it is not (or not fully) migrated, and bootstraps the
/// dimensions from a snapshot as of `from - 1` when the warehouse is empty and `from` is
/// after the first simulated day.
async fn prepare(ctx: &Ctx, sim: &SimArgs, from: NaiveDate, to: NaiveDate) -> Result<(), CliError> {
    let client = ctx.connect().await?;
    let applied: i64 = match client
        .query_one("SELECT count(*) FROM ops.schema_migrations", &[])
        .await
    {
        Ok(row) => row.get(0),
        Err(_) => 0,
    };
    let calendar = CalendarRange::default();
    let (first, last) = (from - Days::new(31), to + Days::new(7));
    let covered: bool = if applied > 0 {
        client
            .query_one(
                "SELECT count(*) = ($2::date - $1::date + 1) FROM dw.dim_date WHERE date BETWEEN $1 AND $2",
                &[&first, &last],
            )
            .await
            .map(|r| r.get(0))
            .unwrap_or(false)
    } else {
        false
    };
    if usize::try_from(applied).unwrap_or(0) < MIGRATIONS.len() || !covered {
        tracing::info!("initialising the warehouse");
        init::run(
            ctx,
            InitArgs {
                calendar_from: calendar.first.min(first),
                calendar_to: calendar.last.max(last),
            },
        )
        .await
        .map_err(|e| at(from, "init", e))?;
    }
    let empty: bool = client
        .query_one("SELECT NOT EXISTS (SELECT 1 FROM dw.dim_user)", &[])
        .await?
        .get(0);
    let first_day = first_simulated_day(ctx, sim)?;
    if empty && from > first_day {
        let as_of = from - Days::new(1);
        tracing::info!(
            "empty warehouse starting after {first_day}: bootstrapping the dimensions from a snapshot as of {as_of}"
        );
        generate::run(ctx, generate_args(sim, from, true))
            .await
            .map_err(|e| at(as_of, "generate --snapshot", e))?;
        load::run(
            ctx,
            LoadArgs {
                day: DayArgs { date: as_of },
                force: false,
                snapshot: true,
            },
        )
        .await
        .map_err(|e| at(as_of, "load --snapshot", e))?;
        scd::run(
            ctx,
            ScdArgs {
                day: DayArgs { date: as_of },
                rebuild_from: None,
            },
        )
        .await
        .map_err(|e| at(as_of, "scd", e))?;
    }
    Ok(())
}

/// The generator's first day (its horizon start), from the configured generator settings.
pub fn first_simulated_day(ctx: &Ctx, sim: &SimArgs) -> Result<NaiveDate, CliError> {
    let config = if ctx.config.generator.as_os_str().is_empty() {
        GeneratorConfig::default()
    } else {
        GeneratorConfig::from_yaml_file(&ctx.config.generator)
            .map_err(|e| CliError::Usage(e.to_string()))?
    };
    let seed = sim
        .seed
        .or(ctx.config.seed)
        .or(config.seed)
        .unwrap_or(DEFAULT_SEED);
    let scale = sim
        .scale
        .or(ctx.config.scale)
        .or(config.scale)
        .unwrap_or(DEFAULT_SCALE);
    let generator =
        Generator::new(config, seed, scale).map_err(|e| CliError::Usage(e.to_string()))?;
    Ok(generator.horizon().0)
}

/// A one-line progress bar on a terminal, plain lines otherwise (logs, CI, Airflow).
struct Progress {
    tty: bool,
    total: usize,
    done_days: usize,
    last_day: Option<NaiveDate>,
    started: Instant,
    /// The bar as last drawn by `start`, which `done` extends with the step's rate.
    line: String,
}

impl Progress {
    fn new(total: usize) -> Self {
        Self {
            tty: std::io::stderr().is_terminal(),
            total,
            done_days: 0,
            last_day: None,
            started: Instant::now(),
            line: String::new(),
        }
    }

    fn start(&mut self, date: NaiveDate, step: &str) {
        if self.last_day.is_some_and(|d| d != date) {
            self.done_days += 1;
        }
        self.last_day = Some(date);
        if self.tty {
            let width = 30;
            let filled = (self.done_days * width)
                .checked_div(self.total)
                .unwrap_or(0);
            self.line = format!(
                "[{}{}] {}/{} {date} {step:<9} {:>6.1}s",
                "#".repeat(filled),
                ".".repeat(width - filled),
                self.done_days,
                self.total,
                self.started.elapsed().as_secs_f64()
            );
            logging::set_status(&self.line);
        }
    }

    fn done(&mut self, date: NaiveDate, s: &StepRecord) {
        let rows = s.rows_in.max(s.rows_out);
        let rate = if s.duration_ms == 0 {
            rows as f64 * 1000.0
        } else {
            rows as f64 * 1000.0 / s.duration_ms as f64
        };
        if self.tty {
            logging::set_status(&format!("{}  {rows} rows, {rate:.0} rows/s", self.line));
        } else {
            eprintln!(
                "{date} {:<9} {rows:>9} rows {:>8} ms {:>10.0} rows/s",
                s.step, s.duration_ms, rate
            );
        }
    }

    fn finish(&mut self) {
        if self.tty {
            logging::end_status();
        }
    }
}

/// The summary table on stderr: per day, milliseconds per step and the row figures.
fn print_summary(days: &[DayRecord]) {
    let mut out = String::new();
    out.push_str(&format!(
        "{:<10} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>11}\n",
        "day",
        "generate",
        "load",
        "validate",
        "scd",
        "transform",
        "total ms",
        "events",
        "facts",
        "quarantined"
    ));
    let mut totals = [0u64; 9];
    for d in days {
        let ms: Vec<u64> = STEPS
            .iter()
            .map(|s| d.step(s).map_or(0, |r| r.duration_ms))
            .collect();
        let (landed, facts, rejected) = d.figures();
        let row = [
            ms[0],
            ms[1],
            ms[2],
            ms[3],
            ms[4],
            d.duration_ms(),
            landed,
            facts,
            rejected,
        ];
        for (t, v) in totals.iter_mut().zip(row) {
            *t += v;
        }
        out.push_str(&format!(
            "{:<10} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>11}\n",
            d.date.to_string(),
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            row[5],
            row[6],
            row[7],
            row[8]
        ));
    }
    let t = totals;
    out.push_str(&format!(
        "{:<10} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>11}\n",
        "total", t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8]
    ));
    eprint!("{out}");
}
