//! Runs a week of the simulation through the pipeline library, from a program of its own:
//! no `retention` binary involved. It renders progress its own way (one line per day) and
//! prints the run's summary as JSON.
//!
//! ```sh
//! createdb retention_example
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/retention_example \
//!     cargo run -p retention-pipeline --example week
//! ```
//!
//! The landing files go to a new temporary directory, removed at the end.

use std::{process::ExitCode, time::Instant};

use chrono::Days;
use retention_pipeline::{Event, Pipeline, PipelineConfig, Sim, range_summary};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let Ok(url) = std::env::var("DATABASE_URL") else {
        eprintln!(
            "set DATABASE_URL to an empty database, e.g. postgres://postgres@127.0.0.1/retention_example"
        );
        return ExitCode::from(2);
    };
    let data_dir = std::env::temp_dir().join(format!("retention-example-{}", std::process::id()));
    let pipeline = Pipeline::new(Some(url), PipelineConfig::built_in(), &data_dir);
    let result = week(&pipeline).await;
    let _ = std::fs::remove_dir_all(&data_dir);
    match result {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

async fn week(pipeline: &Pipeline) -> retention_pipeline::Result<String> {
    let started = Instant::now();
    let sim = Sim::default();
    let from = pipeline.first_simulated_day(&sim)?;
    let to = from + Days::new(6);
    let days = pipeline
        .run(&sim, from, to, &mut |event| {
            if let Event::StepDone { date, record } = event
                && record.step == "transform"
            {
                eprintln!("{date}: {} facts", record.rows_out);
            }
        })
        .await?;
    Ok(range_summary("week", from, to, &days, started).to_json_line())
}
