//! One module per subcommand; each builds its configuration, calls a library and returns a
//! [`Report`]. This module dispatches and turns errors into the JSON line and exit code.

use std::{future::Future, process::ExitCode, time::Instant};

use chrono::NaiveDate;
use retention_model::{
    DbConfig,
    ops::{RowCounts, RunStatus, TaskRun},
};
use tokio_postgres::Client;

use crate::{
    cli::{Cli, Command, GlobalArgs},
    config::PipelineConfig,
    error::CliError,
    report::Report,
};

mod demo;
mod generate;
mod init;
mod load;
mod report;
mod run;
mod scd;
mod transform;
mod validate;

/// What every command gets: the global flags and the loaded configuration.
#[derive(Debug)]
pub struct Ctx {
    pub global: GlobalArgs,
    pub config: PipelineConfig,
}

impl Ctx {
    /// The database settings (`--database-url`, `DATABASE_URL`, then `PG*`).
    pub fn db(&self) -> Result<DbConfig, CliError> {
        DbConfig::resolve(self.global.database_url.as_deref())
            .map_err(|e| CliError::Usage(e.to_string()))
    }

    /// One connection to the warehouse.
    pub async fn connect(&self) -> Result<Client, CliError> {
        Ok(self.db()?.connect().await?)
    }
}

/// The result of a step body: its counts and any details worth recording.
#[derive(Debug, Default)]
pub struct Outcome {
    pub counts: RowCounts,
    pub details: serde_json::Map<String, serde_json::Value>,
}

/// Runs `body` as one recorded step: a row in `ops.task_runs` opened before and closed after
/// with the status, counts and error. The body gets the run id.
pub async fn tracked<F, Fut>(
    client: &Client,
    step: &str,
    date: Option<NaiveDate>,
    body: F,
) -> Result<(Outcome, i64), CliError>
where
    F: FnOnce(i64) -> Fut,
    Fut: Future<Output = Result<Outcome, CliError>>,
{
    let run = TaskRun::start(client, step, date).await?;
    let run_id = run.run_id();
    let result = body(run_id).await;
    let (status, counts, error, details) = match &result {
        Ok(o) => (
            RunStatus::Ok,
            o.counts,
            None,
            Some(serde_json::Value::Object(o.details.clone())),
        ),
        Err(CliError::QualityFailed(msg)) => (
            RunStatus::QualityFailed,
            RowCounts::default(),
            Some(msg.clone()),
            None,
        ),
        Err(e) => (
            RunStatus::Error,
            RowCounts::default(),
            Some(e.to_string()),
            None,
        ),
    };
    if let Err(e) = run
        .finish(client, status, counts, error.as_deref(), details.as_ref())
        .await
    {
        tracing::warn!("could not record the end of run {run_id}: {e}");
    }
    result.map(|o| (o, run_id))
}

/// Dispatches the parsed command and ends the process with its JSON line and exit code.
pub async fn run(cli: Cli) -> ExitCode {
    let started = Instant::now();
    let (step, date) = describe(&cli.command);
    let range = range_of(&cli.command);
    let result = match PipelineConfig::load(&cli.global.config) {
        Ok(config) => {
            let ctx = Ctx {
                global: cli.global,
                config,
            };
            dispatch(&ctx, cli.command).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(report) => {
            report.print();
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            let mut report = Report::ok(
                step,
                date,
                RowCounts::default(),
                started.elapsed().as_millis() as u64,
            )
            .with("error", e.to_string());
            report.status = e.status().to_owned();
            if let Some((from, to)) = range {
                report.from = Some(from);
                report.to = Some(to);
            }
            if let CliError::InRange { from, to, days, .. } = &e {
                report.from = Some(*from);
                report.to = Some(*to);
                report = report.with("days", days);
            }
            report.print();
            e.exit_code()
        }
    }
}

async fn dispatch(ctx: &Ctx, command: Command) -> Result<Report, CliError> {
    match command {
        Command::Init(args) => init::run(ctx, args).await,
        Command::Generate(args) => generate::run(ctx, args).await,
        Command::Load(args) => load::run(ctx, args).await,
        Command::Validate(args) => validate::run(ctx, args).await,
        Command::Scd(args) => scd::run(ctx, args).await,
        Command::Transform(args) => transform::run(ctx, args).await,
        Command::Run(args) => run::run(ctx, args).await,
        Command::Demo(args) => demo::run(ctx, args).await,
        Command::Report(args) => report::run(ctx, args).await,
    }
}

/// The range of days a range command was asked for (for its JSON line when it fails).
fn range_of(command: &Command) -> Option<(NaiveDate, NaiveDate)> {
    match command {
        Command::Run(a) => Some((a.from, a.to)),
        Command::Generate(a) => a.from.zip(a.to),
        Command::Report(a) => a.from.zip(a.to),
        _ => None,
    }
}

fn describe(command: &Command) -> (&'static str, Option<NaiveDate>) {
    match command {
        Command::Init(_) => ("init", None),
        Command::Generate(a) => ("generate", a.date),
        Command::Load(a) => ("load", Some(a.day.date)),
        Command::Validate(a) => ("validate", Some(a.day.date)),
        Command::Scd(a) => ("scd", Some(a.day.date)),
        Command::Transform(a) => ("transform", Some(a.date)),
        Command::Run(_) => ("run", None),
        Command::Demo(_) => ("demo", None),
        Command::Report(_) => ("report", None),
    }
}
