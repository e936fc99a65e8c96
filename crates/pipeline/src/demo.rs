//! The demo's flow: a week (or `days`) of the simulation end to end, the KPIs as tables and
//! the HTML report. Without a database URL it starts a throwaway PostgreSQL cluster from the
//! local binaries and stops it at the end (or keeps it, saying how to stop it).

use std::{path::PathBuf, time::Instant};

use chrono::{Days, NaiveDate};
use retention_localpg::LocalCluster;
use retention_model::{DbConfig, transform::kpi_queries};

use crate::{DayRecord, Error, Event, Pipeline, Result, Sim, Summary, range_summary};

/// What the demo does.
#[derive(Debug, Clone)]
pub struct DemoRequest {
    /// Number of days to simulate, from the first simulated day.
    pub days: u32,
    /// Keep the throwaway database running afterwards.
    pub keep: bool,
    /// Seed and scale.
    pub sim: Sim,
    /// Where to write the HTML report.
    pub report: PathBuf,
}

/// What the demo did.
#[derive(Debug, Clone)]
pub struct Demo {
    /// The run's summary (`step: demo`), with `embedded` and `report`.
    pub summary: Summary,
    /// The report's absolute path.
    pub report: PathBuf,
}

impl Pipeline {
    /// Runs the demo, telling `on_event` how it goes: the run's events, then a
    /// [`Event::Table`] per KPI query, and [`Event::Notice`]s for a person to read.
    pub async fn demo(
        &self,
        req: &DemoRequest,
        on_event: &mut dyn FnMut(Event<'_>),
    ) -> Result<Demo> {
        let started = Instant::now();
        if req.days == 0 {
            return Err(Error::Usage("--days must be at least 1".to_owned()));
        }
        let (cluster, pipeline) = match &self.database_url {
            Some(_) => (None, self.clone()),
            None => {
                let base = demo_base();
                on_event(Event::Notice(&format!(
                    "No DATABASE_URL: starting a throwaway PostgreSQL cluster under {} ...",
                    base.display()
                )));
                let cluster = tokio::task::spawn_blocking(move || LocalCluster::start(&base))
                    .await
                    .map_err(|e| Error::Runtime(format!("starting the cluster: {e}")))??;
                let admin = cluster.config()?.connect().await?;
                admin.batch_execute("CREATE DATABASE retention").await?;
                let url = format!("postgres://postgres@127.0.0.1:{}/retention", cluster.port());
                let data = cluster.dir().join("landing");
                let pipeline = Pipeline::new(Some(url), self.config.clone(), data);
                (Some(cluster), pipeline)
            }
        };
        let result = pipeline.week(req, on_event).await;
        // What to print: the URL without its password (a DATABASE_URL may carry one).
        let shown = pipeline
            .database_url
            .as_deref()
            .and_then(|url| DbConfig::from_url(url).ok())
            .map(|c| {
                let mut u = c.to_url_without_password();
                if c.has_password() {
                    u.push_str("  (password not shown: psql asks, or set PGPASSWORD)");
                }
                u
            })
            .unwrap_or_else(|| "(the DATABASE_URL given)".to_owned());
        let notice = |on_event: &mut dyn FnMut(Event<'_>), text: String| {
            on_event(Event::Notice(&text));
        };
        match &cluster {
            Some(c) if req.keep => {
                notice(
                    on_event,
                    format!("\nThe database keeps running. Connect:  psql {shown}"),
                );
                notice(
                    on_event,
                    format!("Stop it and remove its files:        {}", c.stop_command()),
                );
            }
            Some(c) => {
                if result.is_ok() {
                    notice(
                        on_event,
                        format!("\n(Run with --keep to look further with psql {shown}.)"),
                    );
                }
                match c.stop() {
                    Ok(()) => notice(
                        on_event,
                        format!(
                            "Stopped the throwaway database and removed {}.",
                            c.dir().display()
                        ),
                    ),
                    Err(e) => notice(
                        on_event,
                        format!(
                            "Could not stop the throwaway database ({e}); stop it with: {}",
                            c.stop_command()
                        ),
                    ),
                }
            }
            None => notice(
                on_event,
                format!("\nLook further:  psql {shown}  (schemas marts, dw, quarantine, ops)"),
            ),
        }
        let (from, to, days, path) = result?;
        notice(on_event, format!("\nThe report: {}", path.display()));
        let summary = range_summary("demo", from, to, &days, started)
            .with("embedded", cluster.is_some())
            .with("report", path.display().to_string());
        Ok(Demo {
            summary,
            report: path,
        })
    }

    async fn week(
        &self,
        req: &DemoRequest,
        on_event: &mut dyn FnMut(Event<'_>),
    ) -> Result<(NaiveDate, NaiveDate, Vec<DayRecord>, PathBuf)> {
        let from = self.first_simulated_day(&req.sim)?;
        let to = from + Days::new(u64::from(req.days) - 1);
        let days = self.run(&req.sim, from, to, on_event).await?;
        self.kpi_tables(on_event).await?;
        let (path, _) = self.write_report(None, None, &req.report).await?;
        on_event(Event::Notice(&format!(
            "Report written to {}",
            path.display()
        )));
        Ok((from, to, days, path))
    }

    /// Runs the KPI queries, one [`Event::Table`] each (cells as text, empty for NULL).
    pub async fn kpi_tables(&self, on_event: &mut dyn FnMut(Event<'_>)) -> Result<()> {
        let client = self.connect().await?;
        for (title, sql) in kpi_queries() {
            let rows = client.query(sql, &[]).await?;
            let header: Vec<String> = rows
                .first()
                .map(|first| {
                    first
                        .columns()
                        .iter()
                        .map(|c| c.name().to_owned())
                        .collect()
                })
                .unwrap_or_default();
            let cells: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    (0..header.len())
                        .map(|i| r.get::<_, Option<String>>(i).unwrap_or_default())
                        .collect()
                })
                .collect();
            on_event(Event::Table {
                title,
                header: &header,
                rows: &cells,
            });
        }
        Ok(())
    }
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
