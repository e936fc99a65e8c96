//! `retention-generator`: a deterministic, seeded simulation of a web shop's year — users,
//! products and a messy clickstream — written as landing files (docs/landing-files.md).
//!
//! - [`GeneratorConfig`]: the shape of the business and the mess rates
//!   (`config/generator.yaml`; [`GeneratorConfig::default`] is the shipped file).
//! - [`Generator`]: one seed and scale over the horizon (365 days from 2026-01-01 by default).
//!   [`Generator::write_day`] writes `dt=D/` and its manifest; [`Generator::write_snapshot`]
//!   writes the full state as of the end of `D − 1`; [`Generator::write_days`] writes a range
//!   on several threads.
//!
//! Every user and product draws its whole life (signup, attributes, engagement, churn,
//! changes, deletion; introduction, price changes) from its own ChaCha8 stream, and each
//! day of a user's activity from another stream keyed by seed, user and day. So a day costs
//! one day's work, needs no earlier day, and is byte-identical whatever order or thread
//! count produced it.
//!
//! Each injected anomaly sits on a row of its own and is counted, exactly, in the manifest's
//! `mess` map under the reason code the pipeline must give it.
//!
//! ```no_run
//! use retention_generator::{Generator, GeneratorConfig};
//! # fn main() -> retention_generator::Result<()> {
//! let generator = Generator::new(GeneratorConfig::default(), 42, 1.0)?;
//! let (first, _last) = generator.horizon();
//! let manifest = generator.write_day(std::path::Path::new("data"), first)?;
//! println!("{} events", manifest.files["events.csv"].rows);
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod calendar;
mod catalog;
mod config;
mod day;
mod error;
mod events;
mod feeds;
mod generator;
mod mess;
mod out;
mod population;
mod range;
mod rng;
mod row;
mod tables;

pub use calendar::black_friday;
pub use config::{Changes, Engagement, Funnel, GeneratorConfig, Mess, Population, Seasonality};
pub use error::{Error, Result};
pub use generator::Generator;
pub use mess::MessKind;

/// Seed used when none is configured.
pub const DEFAULT_SEED: u64 = 42;
/// Scale used when none is configured.
pub const DEFAULT_SCALE: f64 = 1.0;
