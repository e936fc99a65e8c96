//! The pipeline's steps, one module each, as methods of [`Pipeline`](crate::Pipeline): each
//! records itself in `ops.task_runs` (but `generate` and `manifest`, which touches no database, and `report`)
//! and returns a [`Summary`](crate::Summary). `retention run` calls exactly these.

mod generate;
mod init;
mod load;
mod manifest;
mod rebuild;
mod report;
mod scd;
mod transform;
mod validate;

pub use generate::{Days, GenerateRequest};
pub use init::InitRequest;
pub use load::LoadRequest;
pub use manifest::ManifestRequest;
pub use report::ReportRequest;
pub use scd::{ScdRequest, dimension_specs};
pub use validate::{DEFAULT_STATEMENT_TIMEOUT, ValidateRequest};
