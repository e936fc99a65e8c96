//! A step's summary: what it did, in the shape of the JSON line every `retention` command
//! ends with (the last line on stdout, which Airflow's DockerOperator pushes to XCom).

use chrono::NaiveDate;
use retention_model::ops::RowCounts;
use serde::Serialize;
use serde_json::{Map, Value};

/// One step's (or one range's) summary: the common figures, then step-specific fields.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
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

impl Summary {
    /// A successful summary for `step` on `date`.
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

    /// Adds a field to the JSON object when `condition` holds.
    pub fn with_if(self, key: &str, condition: bool, value: impl Serialize) -> Self {
        if condition {
            self.with(key, value)
        } else {
            self
        }
    }

    /// The summary as one JSON line.
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self)
            .unwrap_or_else(|e| format!("{{\"status\":\"error\",\"error\":\"{e}\"}}"))
    }

    /// Adds every detail of a step's outcome, in order.
    pub fn with_details(mut self, details: serde_json::Map<String, Value>) -> Self {
        self.extra.extend(details);
        self
    }
}
