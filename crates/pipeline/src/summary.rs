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

    /// The summary of `step` (on `date`, or over `range`) that failed with `error` after
    /// `duration_ms`: its status (`error`, `quality_failed`), the message, and for a range the
    /// days as far as they went.
    pub fn failed(
        step: &str,
        date: Option<NaiveDate>,
        range: Option<(NaiveDate, NaiveDate)>,
        error: &crate::Error,
        duration_ms: u64,
    ) -> Self {
        let mut summary = Self::ok(step, date, RowCounts::default(), duration_ms)
            .with("error", error.to_string());
        summary.status = error.status().to_owned();
        (summary.from, summary.to) = range.unzip();
        if let crate::Error::InRange { from, to, days, .. } = error {
            (summary.from, summary.to) = (Some(*from), Some(*to));
            summary = summary.with("days", days);
        }
        summary
    }

    /// Adds every detail of a step's outcome, in order.
    pub fn with_details(mut self, details: serde_json::Map<String, Value>) -> Self {
        self.extra.extend(details);
        self
    }
}

/// Parses a duration as the command line and the configuration write it: `500ms`, `30s`,
/// `5min`, `1h`, or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as 500ms, 30s or 5min"))?;
    let ms = match unit.trim() {
        "ms" => Some(n),
        "" | "s" => n.checked_mul(1_000),
        "min" | "m" => n.checked_mul(60_000),
        "h" => n.checked_mul(3_600_000),
        other => {
            return Err(format!(
                "unknown unit `{other}` in `{text}`: use ms, s, min or h"
            ));
        }
    };
    ms.map(std::time::Duration::from_millis)
        .ok_or_else(|| format!("`{text}` is too long a duration"))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::parse_duration;
    use crate::steps::DEFAULT_STATEMENT_TIMEOUT;

    #[test]
    fn durations_parse_with_their_units_and_the_default_is_the_constant() {
        assert_eq!(parse_duration("5min"), Ok(DEFAULT_STATEMENT_TIMEOUT));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("3 weeks").is_err());
        assert!(parse_duration("99999999999999999999h").is_err());
    }
}
