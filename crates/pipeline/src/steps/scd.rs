//! `scd`: merge a day's user and product feeds into the SCD Type 2 dimensions described by
//! the configuration's `dimensions:` file (the project's own copy is built in for when no
//! configuration file is found), or rebuild them from an earlier day.

use std::time::Instant;

use chrono::{DateTime, NaiveDate, Utc};
use retention_model::ops::{RowCounts, lock_step};
use retention_scd::DimensionSpec;
use serde_json::{Value, json};
use tokio_postgres::Client;

use crate::{Error, Outcome, Pipeline, PipelineConfig, Result, Summary, tracked};

const BUILT_IN: &str = include_str!("../../../../config/dimensions.yaml");
/// The fact batches whose user keys a dimension change since `$1` may have moved.
const FACT_BATCHES_SINCE: &str = include_str!("../../sql/fact_batches_since.sql");
/// Whether the warehouse records loads, and whether day `$1`'s succeeded.
const DAY_LOADED: &str = include_str!("../../sql/day_loaded.sql");

/// What to merge.
#[derive(Debug, Clone, Copy)]
pub struct ScdRequest {
    /// The day whose batch is merged (the last day of a rebuild).
    pub date: NaiveDate,
    /// Remove dimension history from this day on and replay the stored staging batches.
    pub rebuild_from: Option<NaiveDate>,
}

impl ScdRequest {
    /// Merge the day's batch.
    pub fn day(date: NaiveDate) -> Self {
        Self {
            date,
            rebuild_from: None,
        }
    }
}

impl Pipeline {
    /// Merges (or rebuilds) the request's day into every configured dimension.
    pub async fn scd(&self, req: &ScdRequest) -> Result<Summary> {
        let started = Instant::now();
        let date = req.date;
        let specs = dimension_specs(&self.config)?;
        if let Some(from) = req.rebuild_from.filter(|from| *from > date) {
            return Err(Error::Usage(format!(
                "--rebuild-from {from} is after --date {date}"
            )));
        }
        let mut client = self.connect().await?;
        if req.rebuild_from.is_none() {
            refuse_unloaded_day(&client, date).await?;
        }
        // Each dimension merges in a transaction of its own under its own lock; the step's
        // lock makes a second run of the day wait for the first to merge all of them, so it
        // is a re-run of the whole day (every dimension already merged), never a merge of
        // the dimensions the first has not reached yet.
        lock_step(&client, "scd", Some(date)).await?;
        let (outcome, run_id) = tracked(&mut client, "scd", Some(date), async |_, _| {
            // The merge has a connection of its own: the run log's holds the run's lock and
            // its row whatever the merge's transaction does.
            let mut work = self.connect().await?;
            merge_day(&mut work, &specs, date, req.rebuild_from).await
        })
        .await?;
        Ok(Summary::ok(
            "scd",
            Some(date),
            outcome.counts,
            started.elapsed().as_millis() as u64,
        )
        .with("run_id", run_id)
        .with_details(outcome.details))
    }
}

/// Refuses to merge a day that this warehouse's loads have not staged. Merged too early, the
/// day's (empty) feed batch would be recorded as merged, and the real one, loaded later,
/// refused as a changed batch. A warehouse on which `retention load` never ran (its feeds
/// filled by another tool) is not asked.
async fn refuse_unloaded_day(client: &Client, date: NaiveDate) -> Result<()> {
    let row = client.query_one(DAY_LOADED, &[&date]).await?;
    let (records_loads, loaded): (bool, bool) = (row.get(0), row.get(1));
    if records_loads && !loaded {
        return Err(Error::Usage(format!(
            "{date} has not been loaded: no `retention load --date {date}` has succeeded on \
             this warehouse. Load (and validate) the day before merging it; merged now, its \
             empty feed batch would be recorded and the real one refused later"
        )));
    }
    Ok(())
}

/// The dimensions: the configuration's `dimensions:` file (default `dimensions.yaml` beside
/// the configuration file), or the project's built-in copy when no configuration file was
/// found. A configured file that cannot be read is an error, never a silent fallback.
pub fn dimension_specs(config: &PipelineConfig) -> Result<Vec<DimensionSpec>> {
    if config.dimensions.as_os_str().is_empty() {
        tracing::debug!("no configuration file; using the built-in dimensions");
        return Ok(DimensionSpec::list_from_yaml(BUILT_IN)?);
    }
    let path = &config.dimensions;
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::Usage(format!(
            "cannot read the dimensions file {} (the configuration's `dimensions:`): {e}",
            path.display()
        ))
    })?;
    DimensionSpec::list_from_yaml(&text).map_err(|e| match Error::from(e) {
        Error::Usage(m) => Error::Usage(format!("{}: {m}", path.display())),
        other => other,
    })
}

/// Merges batch `date` into every dimension (or rebuilds them from `rebuild_from` through
/// `date`).
async fn merge_day(
    client: &mut Client,
    specs: &[DimensionSpec],
    date: NaiveDate,
    rebuild_from: Option<NaiveDate>,
) -> Result<Outcome> {
    let mut o = Outcome::default();
    let mut dims = serde_json::Map::new();
    let mut changed_since: Option<DateTime<Utc>> = None;
    for spec in specs {
        let merges = match rebuild_from {
            Some(from) => {
                let r = retention_scd::rebuild_from(client, spec, from, date).await?;
                changed_since = changed_since.into_iter().chain(r.changed_since).min();
                dims.insert(spec.name.clone(), json!(r));
                r.replayed
            }
            None => {
                let m = retention_scd::merge_batch(client, spec, date).await?;
                dims.insert(spec.name.clone(), json!(m));
                vec![m]
            }
        };
        for m in &merges {
            tracing::info!(
                "{} {}: {} rows in, {} new keys, {} new versions, {} type-1 updates, {} deletions{}",
                spec.name,
                m.batch,
                m.rows_in,
                m.new_keys,
                m.new_versions,
                m.type1_updates,
                m.deletions,
                if m.already_merged {
                    " (already merged)"
                } else {
                    ""
                }
            );
            o.counts = RowCounts {
                rows_in: o.counts.rows_in + m.rows_in,
                rows_out: o.counts.rows_out + m.rows_out(),
                rows_rejected: o.counts.rows_rejected + m.rows_skipped,
            };
        }
    }
    o.details.insert("dimensions".into(), Value::Object(dims));
    if rebuild_from.is_some() {
        // The transform owns the facts: name the batches it must run again to re-key them.
        let days: Vec<NaiveDate> = match changed_since {
            Some(t) => client
                .query(FACT_BATCHES_SINCE, &[&t])
                .await?
                .iter()
                .map(|r| r.get(0))
                .collect(),
            None => Vec::new(),
        };
        if !days.is_empty() {
            tracing::warn!(
                "dimension history changed from {changed_since:?}: re-run `retention transform` for {days:?}"
            );
        }
        o.details.insert("facts_to_rerun".into(), json!(days));
    }
    Ok(o)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use retention_model::DIMENSION_MERGE;

    use super::*;

    /// The reason codes `retention-scd` builds for the built-in dimensions are exactly the
    /// ones `retention-model` names as the dimension merge's, so every code in quarantine is a
    /// `RejectReason`.
    #[test]
    fn the_built_in_dimensions_reject_reasons_are_the_models_dimension_merge_codes() {
        let specs = dimension_specs(&PipelineConfig::built_in()).unwrap();
        let written: BTreeSet<String> = specs.iter().flat_map(|d| d.reject_reasons()).collect();
        let named: BTreeSet<String> = DIMENSION_MERGE
            .iter()
            .map(|r| r.as_str().to_owned())
            .collect();
        assert_eq!(written, named);
        assert_eq!(named.len(), DIMENSION_MERGE.len(), "no code named twice");
    }
}
