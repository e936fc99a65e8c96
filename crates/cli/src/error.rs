//! Exit codes: the pipeline's error kinds as the documented codes.

use std::process::ExitCode;

use retention_pipeline::Error;

/// 2 for a usage error, 3 for a failed quality gate, 1 for any other failure.
pub fn exit_code(e: &Error) -> ExitCode {
    match e.root() {
        Error::Usage(_) => ExitCode::from(2),
        Error::QualityFailed(_) => ExitCode::from(3),
        _ => ExitCode::from(1),
    }
}
