//! `retention init`: migrate the warehouse, (re)grant the pipeline's roles and fill its
//! calendar. It runs as the warehouse's owner (or a superuser): the only step that may
//! change the schema or create roles.

use std::time::Instant;

use retention_model::{
    CalendarRange,
    access::{self, PipelineRoles},
    ops::RowCounts,
};

use super::{Ctx, Outcome, tracked};
use crate::{cli::InitArgs, error::CliError, report::Report};

pub async fn run(ctx: &Ctx, args: InitArgs) -> Result<Report, CliError> {
    let started = Instant::now();
    if args.calendar_from > args.calendar_to {
        return Err(CliError::Usage(format!(
            "--calendar-from {} is after --calendar-to {}",
            args.calendar_from, args.calendar_to
        )));
    }
    let mut client = ctx.connect().await?;
    let migrations = retention_model::migrate(&mut client).await?;
    if migrations.applied.is_empty() {
        tracing::info!(
            "schema up to date ({} migrations already applied)",
            migrations.already_applied
        );
    }
    let config = &ctx.config;
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
            retention_model::Error::Config(m) => CliError::Usage(m),
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
    let range = CalendarRange {
        first: args.calendar_from,
        last: args.calendar_to,
    };
    let (outcome, run_id) = tracked(&client, "init", None, |_| async {
        let (days, partitions) = retention_model::prepare_calendar(&client, range).await?;
        tracing::info!(
            "calendar {} .. {}: {days} days and {partitions} fact partitions added",
            range.first,
            range.last
        );
        let mut o = Outcome {
            counts: RowCounts {
                rows_in: 0,
                rows_out: days,
                rows_rejected: 0,
            },
            ..Outcome::default()
        };
        o.details.insert("calendar_days_added".into(), days.into());
        o.details
            .insert("fact_partitions_added".into(), partitions.into());
        o.details
            .insert("migrations_applied".into(), migrations.applied.len().into());
        Ok(o)
    })
    .await?;
    Ok(Report::ok(
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
