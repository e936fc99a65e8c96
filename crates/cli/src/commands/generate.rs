//! `retention generate`: simulate the landing files of a day, a range of days, or a snapshot.

use std::{collections::BTreeMap, time::Instant};

use retention_generator::{
    DEFAULT_SCALE, DEFAULT_SEED, Error as GenError, Generator, GeneratorConfig,
};
use retention_model::{
    Manifest,
    landing::{EVENTS_FILE, MANIFEST_FILE, day_dir},
    ops::RowCounts,
};
use serde_json::json;

use super::Ctx;
use crate::{cli::GenerateArgs, error::CliError, report::Report};

pub async fn run(ctx: &Ctx, args: GenerateArgs) -> Result<Report, CliError> {
    let started = Instant::now();
    let wall_started = std::time::SystemTime::now();
    let config = if ctx.config.generator.as_os_str().is_empty() {
        GeneratorConfig::default()
    } else {
        GeneratorConfig::from_yaml_file(&ctx.config.generator).map_err(cli_error)?
    };
    let seed = first_of([args.sim.seed, ctx.config.seed, config.seed], DEFAULT_SEED);
    let scale = first_of(
        [args.sim.scale, ctx.config.scale, config.scale],
        DEFAULT_SCALE,
    );
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
    let in_range = |error: CliError| match (args.from, args.to) {
        // A range keeps its days in the JSON line: which ones this run published.
        (Some(from), Some(to)) if !snapshot => {
            let days = dates
                .iter()
                .map(|d| {
                    let written =
                        std::fs::metadata(day_dir(&ctx.global.data_dir, *d).join(MANIFEST_FILE))
                            .and_then(|m| m.modified())
                            .is_ok_and(|t| t >= wall_started);
                    json!({ "date": d, "written": written })
                })
                .collect();
            CliError::InRange {
                error: Box::new(error),
                from,
                to,
                days: serde_json::Value::Array(days),
            }
        }
        _ => error,
    };
    let (manifests, config_hash) = work
        .await
        .map_err(|e| in_range(CliError::Runtime(format!("generator thread failed: {e}"))))?
        .map_err(|e| in_range(cli_error(e)))?;

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

/// The first value given, in precedence order (flag or environment, then the pipeline
/// config, then generator.yaml), else the default.
fn first_of<T: Copy, const N: usize>(sources: [Option<T>; N], default: T) -> T {
    sources.into_iter().flatten().next().unwrap_or(default)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_and_scale_come_from_the_flag_then_the_pipeline_config_then_generator_yaml() {
        assert_eq!(first_of([Some(7), Some(8), Some(9)], DEFAULT_SEED), 7);
        assert_eq!(first_of([None, Some(8), Some(9)], DEFAULT_SEED), 8);
        assert_eq!(first_of([None, None, Some(9)], DEFAULT_SEED), 9);
        assert_eq!(first_of([None, None, None], DEFAULT_SEED), 42);
        assert_eq!(first_of([None, None, None], DEFAULT_SCALE), 1.0);
    }

    #[test]
    fn a_date_outside_the_horizon_is_a_usage_error() {
        let e = GenError::OutOfHorizon {
            date: chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
            first: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            last: chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
        };
        assert!(
            matches!(cli_error(e), CliError::Usage(m) if m.contains("2026-01-01 .. 2026-12-31"))
        );
    }
}
