//! `generate`: simulate the landing files of a day, a range of days, or a snapshot.

use std::{collections::BTreeMap, path::Path, time::Instant};

use chrono::NaiveDate;
use retention_model::{
    Manifest,
    landing::{EVENTS_FILE, MANIFEST_FILE, day_dir},
    ops::RowCounts,
};
use serde_json::json;

use crate::{Error, Pipeline, Result, Sim, Summary};

/// Which days to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Days {
    /// One day.
    One(NaiveDate),
    /// `from..=to`.
    Range(NaiveDate, NaiveDate),
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenerateRequest {
    /// The day or days.
    pub days: Days,
    /// Write a full snapshot of users and products as of the end of the day before the day
    /// (one day only).
    pub snapshot: bool,
    /// Seed and scale.
    pub sim: Sim,
    /// Worker threads: a range's days are shared among them, one day's users are (the files
    /// are identical either way). Default: the number of cores.
    pub threads: usize,
}

impl GenerateRequest {
    /// One day, on as many threads as there are cores.
    pub fn day(date: NaiveDate, sim: Sim) -> Self {
        Self {
            days: Days::One(date),
            snapshot: false,
            sim,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

impl Pipeline {
    /// Writes the landing files of the request's days (or its snapshot); a range that fails
    /// part-way says which of its days this call published.
    pub async fn generate(&self, req: &GenerateRequest) -> Result<Summary> {
        let started = Instant::now();
        let wall_started = std::time::SystemTime::now();
        let (generator, seed, scale) = self.generator(&req.sim)?;
        if req.threads == 0 {
            return Err(Error::Usage("--threads must be at least 1".to_owned()));
        }
        let dates: Vec<NaiveDate> = match req.days {
            Days::One(date) => vec![date],
            Days::Range(from, to) if from <= to => {
                from.iter_days().take_while(|d| *d <= to).collect()
            }
            Days::Range(from, to) => {
                return Err(Error::Usage(format!("--from {from} is after --to {to}")));
            }
        };
        if req.snapshot && dates.len() != 1 {
            return Err(Error::Usage("a snapshot is of one day".to_owned()));
        }
        let data_dir = self.data_dir.clone();
        let (threads, snapshot) = (req.threads, req.snapshot);
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
        let in_range = |error: Error| match req.days {
            // A range keeps its days: which ones this call published.
            Days::Range(from, to) if !snapshot => Error::InRange {
                error: Box::new(error),
                from,
                to,
                days: published(&self.data_dir, &dates, wall_started),
            },
            _ => error,
        };
        let (manifests, config_hash) = work
            .await
            .map_err(|e| in_range(Error::Runtime(format!("generator thread failed: {e}"))))?
            .map_err(|e| in_range(e.into()))?;

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
        let one_day = match req.days {
            Days::One(date) => Some(date),
            Days::Range(..) => None,
        };
        let mut summary = Summary::ok("generate", one_day, counts, elapsed)
            .with("seed", seed)
            .with("scale", scale)
            .with("config_hash", config_hash)
            .with("mess", &mess);
        match (&manifests[..], one_day) {
            ([m], _) if snapshot => {
                summary = summary
                    .with("snapshot", true)
                    .with("snapshot_as_of", m.date)
                    .with("users", rows(m, "users.csv"))
                    .with("products", rows(m, "products.csv"));
            }
            ([m], Some(_)) => {
                summary = summary
                    .with("users", rows(m, "users.csv"))
                    .with("products", rows(m, "products.csv"));
            }
            _ => {
                summary.from = dates.first().copied();
                summary.to = dates.last().copied();
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
                summary = summary.with("days", days);
            }
        }
        Ok(summary)
    }
}

/// Per day of a range: whether this call wrote its manifest (it was modified since `since`).
fn published(
    data_dir: &Path,
    dates: &[NaiveDate],
    since: std::time::SystemTime,
) -> serde_json::Value {
    dates
        .iter()
        .map(|d| {
            let written = std::fs::metadata(day_dir(data_dir, *d).join(MANIFEST_FILE))
                .and_then(|m| m.modified())
                .is_ok_and(|t| t >= since);
            json!({ "date": d, "written": written })
        })
        .collect()
}

fn rows(m: &Manifest, file: &str) -> u64 {
    m.files.get(file).map_or(0, |f| f.rows)
}
