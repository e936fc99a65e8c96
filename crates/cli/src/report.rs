//! The JSON line every command ends with: the last line on stdout, which Airflow's
//! DockerOperator pushes to XCom.

use chrono::NaiveDate;
use retention_model::ops::RowCounts;
use serde::Serialize;
use serde_json::{Map, Value};

/// One command's summary.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub step: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<NaiveDate>,
    pub status: String,
    pub rows_in: u64,
    pub rows_out: u64,
    pub rows_rejected: u64,
    pub duration_ms: u64,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Report {
    /// A successful report for `step` on `date`.
    pub fn ok(step: &str, date: Option<NaiveDate>, counts: RowCounts, duration_ms: u64) -> Self {
        Self {
            step: step.to_owned(),
            date,
            from: None,
            to: None,
            status: "ok".to_owned(),
            rows_in: counts.rows_in,
            rows_out: counts.rows_out,
            rows_rejected: counts.rows_rejected,
            duration_ms,
            extra: Map::new(),
        }
    }

    /// Adds a field to the JSON object.
    pub fn with(mut self, key: &str, value: impl Serialize) -> Self {
        self.extra.insert(
            key.to_owned(),
            serde_json::to_value(value).unwrap_or(Value::Null),
        );
        self
    }

    /// Prints the report as the single last line on stdout.
    pub fn print(&self) {
        let line = serde_json::to_string(self)
            .unwrap_or_else(|e| format!("{{\"status\":\"error\",\"error\":\"{e}\"}}"));
        println!("{line}");
    }
}
