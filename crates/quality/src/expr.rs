//! Bounds relative to the batch date: `batch_date`, `batch_date + 1 day`,
//! `batch_date - 36 hours + 30 minutes`. Parsed here, evaluated in Rust for each batch and
//! bound as a parameter: the text never reaches SQL.

use std::fmt;

use chrono::{Duration, NaiveDate, NaiveDateTime};

use crate::error::{Error, Result};

/// The keyword a relative bound starts with.
pub const BATCH_DATE: &str = "batch_date";

/// `batch_date` plus a signed offset (whole minutes, at most ten years either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateExpr {
    offset_minutes: i64,
}

const MAX_MINUTES: i64 = 10 * 366 * 24 * 60;

impl DateExpr {
    /// Whether `text` is meant as a relative bound (starts with `batch_date`).
    pub fn is_relative(text: &str) -> bool {
        text.trim_start().starts_with(BATCH_DATE)
    }

    /// Parses `batch_date ((+|-) N unit)*` with unit one of `minute(s)`, `hour(s)`,
    /// `day(s)`, `week(s)`; whitespace is free.
    pub fn parse(text: &str) -> Result<Self> {
        let err = |message: &str| Error::Expression {
            text: text.to_owned(),
            message: message.to_owned(),
        };
        let rest = text
            .trim()
            .strip_prefix(BATCH_DATE)
            .ok_or_else(|| err("must start with `batch_date`"))?;
        let mut offset_minutes: i64 = 0;
        let mut rest = rest.trim_start();
        while !rest.is_empty() {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return Err(err("expected `+` or `-`")),
            };
            rest = rest[1..].trim_start();
            let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            if digits == 0 {
                return Err(err("expected a whole number after the sign"));
            }
            let n: i64 = rest[..digits]
                .parse()
                .map_err(|_| err("number out of range"))?;
            rest = rest[digits..].trim_start();
            let unit_len = rest.len()
                - rest
                    .trim_start_matches(|c: char| c.is_ascii_alphabetic())
                    .len();
            let per = match &rest[..unit_len] {
                "minute" | "minutes" => 1,
                "hour" | "hours" => 60,
                "day" | "days" => 24 * 60,
                "week" | "weeks" => 7 * 24 * 60,
                "" => return Err(err("expected a unit (minutes, hours, days, weeks)")),
                _ => return Err(err("unknown unit (use minutes, hours, days or weeks)")),
            };
            rest = rest[unit_len..].trim_start();
            offset_minutes = n
                .checked_mul(per)
                .and_then(|m| offset_minutes.checked_add(sign * m))
                .filter(|m| m.abs() <= MAX_MINUTES)
                .ok_or_else(|| err("offset larger than ten years"))?;
        }
        Ok(Self { offset_minutes })
    }

    /// Whether the offset is a whole number of days (so the bound is a date).
    pub fn is_whole_days(self) -> bool {
        self.offset_minutes % (24 * 60) == 0
    }

    /// The bound as a date (whole-day offsets only; callers check [`Self::is_whole_days`]).
    pub fn date(self, batch: NaiveDate) -> NaiveDate {
        batch + Duration::days(self.offset_minutes.div_euclid(24 * 60))
    }

    /// The bound as a timestamp: midnight of the batch date plus the offset.
    pub fn timestamp(self, batch: NaiveDate) -> NaiveDateTime {
        batch.and_time(chrono::NaiveTime::MIN) + Duration::minutes(self.offset_minutes)
    }
}

impl fmt::Display for DateExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{BATCH_DATE}")?;
        match self.offset_minutes {
            0 => Ok(()),
            m if m < 0 => write!(f, " - {} minutes", -m),
            m => write!(f, " + {m} minutes"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn relative_bounds_evaluate_against_the_batch_date() {
        let day = d("2026-03-01");
        assert_eq!(DateExpr::parse("batch_date").unwrap().date(day), day);
        assert_eq!(
            DateExpr::parse("batch_date + 1 day").unwrap().date(day),
            d("2026-03-02")
        );
        assert_eq!(
            DateExpr::parse("batch_date-2days").unwrap().date(day),
            d("2026-02-27")
        );
        assert_eq!(
            DateExpr::parse(" batch_date - 1 week ").unwrap().date(day),
            d("2026-02-22")
        );
        let e = DateExpr::parse("batch_date + 1 day - 90 minutes").unwrap();
        assert!(!e.is_whole_days());
        assert_eq!(e.timestamp(day).to_string(), "2026-03-01 22:30:00");
    }

    #[test]
    fn malformed_or_dangerous_expressions_are_refused() {
        for bad in [
            "batch_date + 1",
            "batch_date + day",
            "batch_date * 2 days",
            "batch_date + 1 fortnight",
            "batch_date; DROP TABLE x",
            "batch_date + 1 day)",
            "now()",
            "batch_date + 99999999999 weeks",
        ] {
            assert!(DateExpr::parse(bad).is_err(), "{bad} should be refused");
        }
    }
}
