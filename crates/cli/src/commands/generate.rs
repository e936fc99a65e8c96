//! `retention generate`: simulate the landing files of a day, a range of days, or a snapshot.

use std::{collections::BTreeMap, time::Instant};

use retention_generator::{
    DEFAULT_SCALE, DEFAULT_SEED, Error as GenError, Generator, GeneratorConfig,
};
use retention_model::{Manifest, landing::EVENTS_FILE, ops::RowCounts};
use serde_json::json;

use super::Ctx;
use crate::{cli::GenerateArgs, error::CliError, report::Report};

pub async fn run(ctx: &Ctx, args: GenerateArgs) -> Result<Report, CliError> {
    let started = Instant::now();
    let config = if ctx.config.generator.as_os_str().is_empty() {
        GeneratorConfig::default()
    } else {
        GeneratorConfig::from_yaml_file(&ctx.config.generator).map_err(cli_error)?
    };
    // Precedence: flag or environment, then the pipeline config, then generator.yaml.
    let seed = args
        .sim
        .seed
        .or(ctx.config.seed)
        .or(config.seed)
        .unwrap_or(DEFAULT_SEED);
    let scale = args
        .sim
        .scale
        .or(ctx.config.scale)
        .or(config.scale)
        .unwrap_or(DEFAULT_SCALE);
    let generator = Generator::new(config, seed, scale).map_err(cli_error)?;
    if args.threads == 0 {
        return Err(CliError::Usage("--threads must be at least 1".to_owned()));
    }
    let dates = match (args.date, args.from, args.to) {
        (Some(date), _, _) => vec![date],
        (None, Some(from), Some(to)) if from <= to => {
            from.iter_days().take_while(|d| *d <= to).collect()
        }
        (None, Some(from), Some(to)) => {
            return Err(CliError::Usage(format!("--from {from} is after --to {to}")));
        }
        _ => return Err(CliError::Usage("give --date or --from and --to".to_owned())),
    };
    let data_dir = ctx.global.data_dir.clone();
    let (threads, snapshot) = (args.threads, args.snapshot);
    let work_dates = dates.clone();
    let work = tokio::task::spawn_blocking(move || {
        if snapshot {
            generator
                .write_snapshot(&data_dir, work_dates[0])
                .map(|m| vec![m])
        } else {
            generator.write_days(&data_dir, &work_dates, threads)
        }
        .map(|manifests| (manifests, generator.config_hash()))
    });
    let (manifests, config_hash) = work
        .await
        .map_err(|e| CliError::Runtime(format!("generator thread failed: {e}")))?
        .map_err(cli_error)?;

    let events: u64 = manifests.iter().map(|m| rows(m, EVENTS_FILE)).sum();
    let mut mess: BTreeMap<String, u64> = BTreeMap::new();
    for m in &manifests {
        for (kind, n) in &m.mess {
            *mess.entry(kind.clone()).or_default() += n;
        }
    }
    let counts = RowCounts {
        rows_in: 0,
        rows_out: events,
        rows_rejected: 0,
    };
    let elapsed = started.elapsed().as_millis() as u64;
    tracing::info!(
        "generated {} day(s), {events} events, in {elapsed} ms",
        manifests.len()
    );
    let mut report = Report::ok("generate", args.date, counts, elapsed)
        .with("seed", seed)
        .with("scale", scale)
        .with("config_hash", config_hash)
        .with("mess", &mess);
    if snapshot {
        let m = &manifests[0];
        report = report
            .with("snapshot", true)
            .with("snapshot_as_of", m.date)
            .with("users", rows(m, "users.csv"))
            .with("products", rows(m, "products.csv"));
    } else if args.date.is_some() {
        let m = &manifests[0];
        report = report
            .with("users", rows(m, "users.csv"))
            .with("products", rows(m, "products.csv"));
    } else {
        report.from = dates.first().copied();
        report.to = dates.last().copied();
        let days: Vec<_> = manifests
            .iter()
            .map(|m| {
                json!({
                    "date": m.date,
                    "rows_out": rows(m, EVENTS_FILE),
                    "users": rows(m, "users.csv"),
                    "products": rows(m, "products.csv"),
                    "mess": m.mess,
                })
            })
            .collect();
        report = report.with("days", days);
    }
    Ok(report)
}

fn rows(m: &Manifest, file: &str) -> u64 {
    m.files.get(file).map_or(0, |f| f.rows)
}

/// Bad settings and dates outside the horizon are usage errors; the rest are runtime errors.
fn cli_error(e: GenError) -> CliError {
    match e {
        GenError::OutOfHorizon { .. }
        | GenError::InvalidSetting { .. }
        | GenError::ParseConfig { .. }
        | GenError::ReadConfig { .. } => CliError::Usage(e.to_string()),
        e => CliError::Runtime(e.to_string()),
    }
}
