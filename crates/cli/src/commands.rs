//! Dispatch: each subcommand becomes a request to [`Pipeline`], whose [`Summary`] is printed
//! as the JSON line; a failure is printed as one `error:` line and its JSON line, and ends
//! with its exit code.

use std::{process::ExitCode, time::Instant};

use chrono::NaiveDate;
use retention_model::CalendarRange;
use retention_pipeline::{
    DemoRequest, Error, Pipeline, PipelineConfig, RunRequest, Sim, Summary, range_summary,
    steps::{
        Days, GenerateRequest, InitRequest, LoadRequest, ManifestRequest, ReportRequest,
        ScdRequest, ValidateRequest,
    },
};

use crate::{
    cli::{Cli, Command, SimArgs, Source, Strategy},
    error::exit_code,
    render::Renderer,
};

/// Runs the parsed command and ends the process with its JSON line and exit code.
pub async fn run(cli: Cli) -> ExitCode {
    let started = Instant::now();
    let (step, date, range) = describe(&cli.command);
    let result = match PipelineConfig::load(&cli.global.config) {
        Ok(config) => {
            let pipeline = Pipeline::new(cli.global.database_url, config, cli.global.data_dir);
            dispatch(&pipeline, cli.command).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(summary) => {
            println!("{}", summary.to_json_line());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            let ms = started.elapsed().as_millis() as u64;
            println!(
                "{}",
                Summary::failed(step, date, range, &e, ms).to_json_line()
            );
            exit_code(&e)
        }
    }
}

async fn dispatch(pipeline: &Pipeline, command: Command) -> Result<Summary, Error> {
    match command {
        Command::Init(a) => {
            let calendar = CalendarRange {
                first: a.calendar_from,
                last: a.calendar_to,
            };
            pipeline.init(&InitRequest { calendar }).await
        }
        Command::Generate(a) => {
            let days = match (a.date, a.from.zip(a.to)) {
                (Some(date), _) => Days::One(date),
                (None, Some((from, to))) => Days::Range(from, to),
                (None, None) => return Err(Error::Usage("give --date or --from and --to".into())),
            };
            let mut req = GenerateRequest::day(NaiveDate::MIN, sim(&a.sim));
            req.days = days;
            req.snapshot = a.snapshot;
            if let Some(threads) = a.threads {
                req.threads = threads;
            }
            pipeline.generate(&req).await
        }
        Command::Load(a) => {
            let req = LoadRequest {
                date: a.day.date,
                force: a.force,
                snapshot: a.snapshot,
                no_manifest: a.no_manifest,
            };
            pipeline.load(&req).await
        }
        Command::Manifest(a) => {
            let req = ManifestRequest {
                date: a.day.date,
                landing: a.landing,
                force: a.force,
            };
            pipeline.manifest(&req).await
        }
        Command::Validate(a) => {
            let req = ValidateRequest {
                date: a.day.date,
                results_out: a.results_out,
                strategy: match a.strategy {
                    Strategy::SetBased => retention_quality::Strategy::SetBased,
                    Strategy::PerExpectation => retention_quality::Strategy::PerExpectation,
                },
                suites: a.suites,
                statement_timeout: a.statement_timeout,
                table: a.table,
                batch_column: a.batch_column,
                whole_table: a.whole_table,
            };
            pipeline.validate(&req).await
        }
        Command::Scd(a) => {
            let req = ScdRequest {
                date: a.day.date,
                rebuild_from: a.rebuild_from,
            };
            pipeline.scd(&req).await
        }
        Command::Transform(a) => pipeline.transform(a.date).await,
        Command::Rebuild => pipeline.rebuild().await,
        Command::Run(a) => {
            let started = Instant::now();
            let mut renderer = Renderer::default();
            let req = RunRequest {
                from: a.from,
                to: a.to,
                sim: sim(&a.sim),
                jobs: a.jobs.unwrap_or_else(crate::cli::default_jobs),
                source: a.source.map(|s| match s {
                    Source::Simulate => retention_pipeline::Source::Simulate,
                    Source::Files => retention_pipeline::Source::Files,
                }),
            };
            let days = pipeline.run_range(&req, &mut |e| renderer.on(e)).await?;
            let mut summary = range_summary("run", a.from, a.to, &days, started);
            if let Some(out) = &a.report {
                let (path, _) = pipeline.write_report(None, None, out).await?;
                eprintln!("Report written to {}", path.display());
                summary = summary.with("report", path.display().to_string());
            }
            Ok(summary)
        }
        Command::Demo(a) => {
            let req = DemoRequest {
                days: a.days,
                keep: a.keep,
                sim: sim(&a.sim),
                report: a.report,
            };
            let mut renderer = Renderer::default();
            Ok(pipeline.demo(&req, &mut |e| renderer.on(e)).await?.summary)
        }
        Command::Report(a) => {
            let req = ReportRequest {
                from: a.from,
                to: a.to,
                out: a.out,
            };
            let summary = pipeline.report(&req).await?;
            if let Some(out) = summary.extra.get("out").and_then(|v| v.as_str()) {
                eprintln!("Report written to {out}");
            }
            Ok(summary)
        }
    }
}

fn sim(args: &SimArgs) -> Sim {
    Sim {
        seed: args.seed,
        scale: args.scale,
    }
}

/// The step, day and range a command names, for its JSON line when it fails early.
fn describe(
    command: &Command,
) -> (
    &'static str,
    Option<NaiveDate>,
    Option<(NaiveDate, NaiveDate)>,
) {
    match command {
        Command::Init(_) => ("init", None, None),
        Command::Generate(a) => ("generate", a.date, a.from.zip(a.to)),
        Command::Load(a) => ("load", Some(a.day.date), None),
        Command::Manifest(a) => ("manifest", Some(a.day.date), None),
        Command::Validate(a) => ("validate", Some(a.day.date), None),
        Command::Scd(a) => ("scd", Some(a.day.date), None),
        Command::Transform(a) => ("transform", Some(a.date), None),
        Command::Rebuild => ("rebuild", None, None),
        Command::Run(a) => ("run", None, Some((a.from, a.to))),
        Command::Demo(_) => ("demo", None, None),
        Command::Report(a) => ("report", None, a.from.zip(a.to)),
    }
}
