//! `init`: migrate the warehouse, (re)grant the pipeline's roles and fill its calendar. It
//! runs as the warehouse's owner (or a superuser): the only step that may change the schema
//! or create roles.

use std::time::Instant;

use retention_model::{
    CalendarRange,
    access::{self, PipelineRoles},
    ops::RowCounts,
};

use crate::{Error, Outcome, Pipeline, Result, Summary, tracked};

/// What `init` prepares.
#[derive(Debug, Clone, Copy, Default)]
pub struct InitRequest {
    /// The calendar (`dw.dim_date` and fact partitions) to have.
    pub calendar: CalendarRange,
}

impl Pipeline {
    /// Migrates the warehouse, grants the configured roles and fills the calendar.
    pub async fn init(&self, req: &InitRequest) -> Result<Summary> {
        let started = Instant::now();
        let range = req.calendar;
        if range.first > range.last {
            return Err(Error::Usage(format!(
                "--calendar-from {} is after --calendar-to {}",
                range.first, range.last
            )));
        }
        let mut client = self.connect().await?;
        let migrations = retention_model::migrate(&mut client).await?;
        if migrations.applied.is_empty() {
            tracing::info!(
                "schema up to date ({} migrations already applied)",
                migrations.already_applied
            );
        }
        let config = &self.config;
        let roles = PipelineRoles {
            loader: &config.loader_role,
            validator: &config.validator_role,
            transformer: &config.transformer_role,
            bi: &config.bi_role,
        };
        let access = access::grant_pipeline_roles(&mut client, &roles)
            .await
            .map_err(|e| match e {
                // A role name or combination the configuration got wrong.
                retention_model::Error::Config(m) => Error::Usage(m),
                e => e.into(),
            })?;
        for role in &access.created {
            tracing::info!("created the role {role} (NOLOGIN; give login users membership)");
        }
        if access.staging_handed_over > 0 {
            tracing::info!(
                "handed {} staging table(s) to the loading role {}",
                access.staging_handed_over,
                roles.loader
            );
        }
        let applied = migrations.applied.len();
        let (outcome, run_id) = tracked(&mut client, "init", None, async |client, _| {
            let (days, partitions) = retention_model::prepare_calendar(&*client, range).await?;
            tracing::info!(
                "calendar {} .. {}: {days} days and {partitions} fact partitions added",
                range.first,
                range.last
            );
            Ok(Outcome {
                counts: RowCounts {
                    rows_in: 0,
                    rows_out: days,
                    rows_rejected: 0,
                },
                ..Outcome::default()
            }
            .with("calendar_days_added", days)
            .with("fact_partitions_added", partitions)
            .with("migrations_applied", applied))
        })
        .await?;
        Ok(Summary::ok(
            "init",
            None,
            outcome.counts,
            started.elapsed().as_millis() as u64,
        )
        .with("run_id", run_id)
        .with("migrations_applied", &migrations.applied)
        .with("migrations_already_applied", migrations.already_applied)
        .with("bi_role", roles.bi)
        .with("loader_role", roles.loader)
        .with("validator_role", roles.validator)
        .with("transformer_role", roles.transformer)
        .with("roles_created", &access.created)
        .with(
            "calendar_days_added",
            outcome.details.get("calendar_days_added"),
        ))
    }
}
