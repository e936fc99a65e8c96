//! A self-contained HTML report of the retention warehouse: the business (retention,
//! funnel, sales, engagement, products) and the pipeline (data quality, rejects, step
//! timings) at a glance, in one file that renders offline.
//!
//! - [`ReportData`]: everything the report shows, read from `marts`, `ops` and `quarantine`
//!   for a [`Period`] (one query per section; the SQL lives in this crate's `sql/`).
//! - [`render`]: turns the data into the HTML page, a pure function: each section is a chart
//!   (inline SVG drawn with `plotters`, no fonts or scripts) with a title, labelled axes, a
//!   one-line caption and the numbers in a table under it. The page is an `askama` template,
//!   so every value from the database is HTML-escaped; text inside the SVG is escaped by the
//!   SVG backend. Light and dark schemes follow `prefers-color-scheme`, the palette is
//!   colour-blind safe (Okabe–Ito, viridis), and it prints on A4.
//! - [`Report`]: the two together, with the warehouse's name and the generation time
//!   (injectable, so the output is deterministic).
//!
//! ```no_run
//! # async fn demo(client: &tokio_postgres::Client) -> retention_report::Result<()> {
//! let options = retention_report::ReportOptions::new("127.0.0.1:5432, database \"retention\"");
//! let html = retention_report::Report::load(client, options).await?.render()?;
//! std::fs::write("retention-report.html", html).ok();
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod charts;
mod data;
mod page;
mod sections;

use chrono::{DateTime, NaiveDate, Utc};
use tokio_postgres::Client;

pub use data::{
    CohortCell, EngagementRow, FunnelRow, Headline, Period, ProductRow, QualityRow, RejectRow,
    ReportData, SalesRow, StepRow,
};
pub use page::render;
pub use sections::{Section, Table};

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `--from` is after `--to`.
    #[error("the period starts ({from}) after it ends ({to})")]
    Period {
        /// The first day asked for.
        from: NaiveDate,
        /// The last day asked for.
        to: NaiveDate,
    },
    /// A query of the warehouse failed (a missing schema means the warehouse is not
    /// initialised: run `retention init`).
    #[error("reading {query} from the warehouse: {source}")]
    Query {
        /// Which section's query.
        query: &'static str,
        /// The driver's error.
        source: tokio_postgres::Error,
    },
    /// A chart could not be drawn.
    #[error("drawing a chart: {0}")]
    Chart(String),
    /// The page template could not be rendered.
    #[error("rendering the report: {0}")]
    Template(#[from] askama::Error),
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What a report is made for: the period, the warehouse's name and the generation time.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// First day (default: the warehouse's first day with data).
    pub from: Option<NaiveDate>,
    /// Last day (default: the warehouse's last day with data).
    pub to: Option<NaiveDate>,
    /// The warehouse as shown in the header (host, port, database; never a password).
    pub warehouse: String,
    /// When the report was made (shown in the header).
    pub made_at: DateTime<Utc>,
}

impl ReportOptions {
    /// The whole warehouse, made now.
    pub fn new(warehouse: impl Into<String>) -> Self {
        Self {
            from: None,
            to: None,
            warehouse: warehouse.into(),
            made_at: Utc::now(),
        }
    }
}

/// A report: its data and what it was made for.
#[derive(Debug, Clone)]
pub struct Report {
    /// What it shows.
    pub data: ReportData,
    /// What it was made for.
    pub options: ReportOptions,
}

impl Report {
    /// Reads the report's data from the warehouse.
    pub async fn load(client: &Client, options: ReportOptions) -> Result<Self> {
        let data = ReportData::load(client, options.from, options.to).await?;
        Ok(Self { data, options })
    }

    /// The HTML page.
    pub fn render(&self) -> Result<String> {
        render(&self.data, &self.options)
    }

    /// The report's sections (ids, titles, tables), as the page shows them.
    pub fn sections(&self) -> Result<Vec<Section>> {
        sections::build(&self.data)
    }
}
