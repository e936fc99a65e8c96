//! `retention demo`: a week of the simulation end to end, then the KPIs as terminal tables and
//! the HTML report (`./retention-report.html` or `--report`), whose path it prints last.
//! Without `--database-url`/`DATABASE_URL` (libpq `PG*` defaults do not count) it starts a
//! throwaway PostgreSQL cluster from the local binaries and stops it at the end (or keeps it
//! with `--keep`, saying how to stop it).

use std::{path::PathBuf, time::Instant};

use chrono::Days;
use retention_localpg::LocalCluster;
use retention_model::transform::kpi_queries;

use super::{
    Ctx, report,
    run::{first_simulated_day, range_report, run_range},
};
use crate::{
    cli::{DemoArgs, GlobalArgs},
    error::CliError,
    report::Report,
};

pub async fn run(ctx: &Ctx, args: DemoArgs) -> Result<Report, CliError> {
    let started = Instant::now();
    if args.days == 0 {
        return Err(CliError::Usage("--days must be at least 1".to_owned()));
    }
    let (cluster, url, data_dir) = match &ctx.global.database_url {
        Some(url) => (None, url.clone(), ctx.global.data_dir.clone()),
        None => {
            let base = demo_base();
            eprintln!(
                "No DATABASE_URL: starting a throwaway PostgreSQL cluster under {} ...",
                base.display()
            );
            let cluster = tokio::task::spawn_blocking(move || LocalCluster::start(&base))
                .await
                .map_err(|e| CliError::Runtime(format!("starting the cluster: {e}")))??;
            let admin = cluster.config()?.connect().await?;
            admin.batch_execute("CREATE DATABASE retention").await?;
            let url = format!("postgres://postgres@127.0.0.1:{}/retention", cluster.port());
            let data = cluster.dir().join("landing");
            (Some(cluster), url, data)
        }
    };
    let demo_ctx = Ctx {
        global: GlobalArgs {
            database_url: Some(url.clone()),
            config: ctx.global.config.clone(),
            data_dir,
            log_format: ctx.global.log_format,
        },
        config: ctx.config.clone(),
    };
    let result = week(&demo_ctx, &args).await;
    // What to print: the URL without its password (a DATABASE_URL may carry one).
    let shown = retention_model::DbConfig::from_url(&url)
        .map(|c| {
            let mut u = c.to_url_without_password();
            if c.has_password() {
                u.push_str("  (password not shown: psql asks, or set PGPASSWORD)");
            }
            u
        })
        .unwrap_or_else(|_| "(the DATABASE_URL given)".to_owned());
    match &cluster {
        Some(c) if args.keep => {
            eprintln!("\nThe database keeps running. Connect:  psql {shown}");
            eprintln!("Stop it and remove its files:        {}", c.stop_command());
        }
        Some(c) => {
            if result.is_ok() {
                eprintln!("\n(Run with --keep to look further with psql {shown}.)");
            }
            match c.stop() {
                Ok(()) => eprintln!(
                    "Stopped the throwaway database and removed {}.",
                    c.dir().display()
                ),
                Err(e) => eprintln!(
                    "Could not stop the throwaway database ({e}); stop it with: {}",
                    c.stop_command()
                ),
            }
        }
        None => eprintln!("\nLook further:  psql {shown}  (schemas marts, dw, quarantine, ops)"),
    }
    let (from, to, days, path) = result?;
    eprintln!("\nThe report: {}", path.display());
    Ok(range_report("demo", from, to, &days, started)
        .with("embedded", cluster.is_some())
        .with("report", path.display().to_string()))
}

type Week = (
    chrono::NaiveDate,
    chrono::NaiveDate,
    Vec<super::run::DayRecord>,
    PathBuf,
);

async fn week(ctx: &Ctx, args: &DemoArgs) -> Result<Week, CliError> {
    let from = first_simulated_day(ctx, &args.sim)?;
    let to = from + Days::new(u64::from(args.days) - 1);
    let days = run_range(ctx, &args.sim, from, to).await?;
    print_kpis(ctx).await?;
    let (path, _) = report::write(ctx, None, None, &args.report).await?;
    Ok((from, to, days, path))
}

/// Where the throwaway cluster lives: a project-local directory, or under /tmp when running
/// as root (the cluster then runs as `postgres`, who cannot reach the checkout).
fn demo_base() -> PathBuf {
    let root = std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false);
    if root {
        std::env::temp_dir().join("retention-demo")
    } else {
        PathBuf::from(".retention-demo")
    }
}

async fn print_kpis(ctx: &Ctx) -> Result<(), CliError> {
    let client = ctx.connect().await?;
    for (title, sql) in kpi_queries() {
        let rows = client.query(sql, &[]).await?;
        let Some(first) = rows.first() else {
            eprintln!("\n{title}: no rows");
            continue;
        };
        let header: Vec<String> = first
            .columns()
            .iter()
            .map(|c| c.name().to_owned())
            .collect();
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                (0..header.len())
                    .map(|i| r.get::<_, Option<String>>(i).unwrap_or_default())
                    .collect()
            })
            .collect();
        eprintln!("\n{title}");
        eprint!("{}", table(&header, &cells));
    }
    Ok(())
}

/// A plain text table: columns of numbers (and percentages) right-aligned, text and dates
/// left-aligned, headers aligned like their column.
fn table(header: &[String], rows: &[Vec<String>]) -> String {
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let numeric: Vec<bool> = (0..header.len())
        .map(|i| {
            rows.iter().all(|r| {
                r.get(i).is_none_or(|c| {
                    let c = c.trim_end_matches('%');
                    c.is_empty() || c.parse::<f64>().is_ok()
                })
            })
        })
        .collect();
    let line = |cells: &[String]| {
        let mut s = String::from(" ");
        for ((c, w), right) in cells.iter().zip(&width).zip(&numeric) {
            let pad = " ".repeat(w - c.chars().count());
            if *right {
                s.push_str(&format!(" {pad}{c} "));
            } else {
                s.push_str(&format!(" {c}{pad} "));
            }
        }
        s.trim_end().to_owned() + "\n"
    };
    let mut out = line(header);
    out.push_str(&format!(
        "  {}\n",
        width
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .join("  ")
    ));
    for r in rows {
        out.push_str(&line(r));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::table;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn numbers_align_right_and_text_left() {
        let out = table(
            &strings(&["rank", "name", "day", "share"]),
            &[
                strings(&["1", "Lamp", "2026-01-01", "7%"]),
                strings(&["10", "Desk chair", "2026-01-02", ""]),
            ],
        );
        let expected = "  rank  name        day         share
  ----  ----------  ----------  -----
     1  Lamp        2026-01-01     7%
    10  Desk chair  2026-01-02
";
        assert_eq!(out, expected);
    }
}
