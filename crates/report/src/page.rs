//! The page: the `askama` template (`templates/report.html`, HTML-escaped by default) around
//! the header and the sections.

use askama::Template;
use chrono::{Days, NaiveDate};

use crate::{
    ReportOptions, Result,
    data::{CohortCell, ReportData},
    sections::{self, Section},
};

/// One headline figure.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Figure {
    id: &'static str,
    label: String,
    value: String,
    note: String,
}

#[derive(Template)]
#[template(path = "report.html")]
struct Page<'a> {
    title: String,
    period: String,
    warehouse: &'a str,
    made_at: String,
    empty: bool,
    figures: Vec<Figure>,
    sections: Vec<Section>,
}

/// The report as one self-contained HTML page.
pub fn render(data: &ReportData, options: &ReportOptions) -> Result<String> {
    let empty = data.is_empty();
    let period = match data.period {
        Some(p) => format!("{} to {}", p.from, p.to),
        None => "no data yet".to_owned(),
    };
    let page = Page {
        title: format!("Retention report, {period}"),
        period,
        warehouse: &options.warehouse,
        made_at: options.made_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        empty,
        figures: if empty { Vec::new() } else { figures(data) },
        sections: if empty {
            Vec::new()
        } else {
            sections::build(data)?
        },
    };
    Ok(page.render()?)
}

fn figures(data: &ReportData) -> Vec<Figure> {
    let h = &data.headline;
    let mut out = vec![
        Figure {
            id: "events",
            label: "Events".to_owned(),
            value: fmt::int(h.events),
            note: "fact events in the period".to_owned(),
        },
        Figure {
            id: "users",
            label: "Active users".to_owned(),
            value: fmt::int(h.users),
            note: "with at least one event".to_owned(),
        },
        Figure {
            id: "revenue",
            label: "Revenue".to_owned(),
            value: fmt::money(h.revenue),
            note: "purchase events, currency units".to_owned(),
        },
    ];
    let last = data.period.map(|p| p.to);
    for k in [1, 4] {
        let (value, note) = match last.and_then(|to| latest_complete(&data.cohorts, k, to)) {
            Some(c) => (
                crate::charts::percent(&c.rate),
                format!(
                    "cohort of {}, {} users",
                    c.cohort_week,
                    fmt::int(c.cohort_size)
                ),
            ),
            None => (
                "—".to_owned(),
                format!("no cohort has a complete week {k} yet"),
            ),
        };
        out.push(Figure {
            id: if k == 1 {
                "retention-w1"
            } else {
                "retention-w4"
            },
            label: format!("Retention, week {k}"),
            value,
            note,
        });
    }
    out
}

/// The latest cohort whose week `k` ended by `to`.
pub fn latest_complete(cohorts: &[CohortCell], k: i32, to: NaiveDate) -> Option<&CohortCell> {
    cohorts
        .iter()
        .filter(|c| c.week_offset == k)
        .filter(|c| {
            let days = u64::try_from(7 * k + 6).unwrap_or(0);
            c.cohort_week
                .checked_add_days(Days::new(days))
                .is_some_and(|end| end <= to)
        })
        .max_by_key(|c| c.cohort_week)
}

/// How numbers are written in the report.
pub mod fmt {
    /// `1234567` as `1,234,567`.
    pub fn int(v: i64) -> String {
        let digits = v.unsigned_abs().to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        if v < 0 { format!("-{out}") } else { out }
    }

    /// Money with two decimals and thousands separators: `1,234.50`.
    pub fn money(v: f64) -> String {
        let cents = (v * 100.0).round() as i64;
        let sign = if cents < 0 { "-" } else { "" };
        let cents = cents.abs();
        format!("{sign}{}.{:02}", int(cents / 100), cents % 100)
    }

    /// An axis tick of a count.
    pub fn axis_int(v: &f64) -> String {
        compact(*v, 0)
    }

    /// An axis tick of money.
    pub fn axis_money(v: &f64) -> String {
        compact(*v, 2)
    }

    /// An axis tick of seconds.
    pub fn axis_seconds(v: &f64) -> String {
        if *v >= 10.0 {
            format!("{v:.0}")
        } else {
            format!("{v:.1}")
        }
    }

    /// Large values as `12k` or `1.5M`; small ones with up to `decimals` decimals.
    fn compact(v: f64, decimals: usize) -> String {
        let a = v.abs();
        let trim = |s: String| {
            if s.contains('.') {
                s.trim_end_matches('0').trim_end_matches('.').to_owned()
            } else {
                s
            }
        };
        if a >= 1e6 {
            format!("{}M", trim(format!("{:.2}", v / 1e6)))
        } else if a >= 1e4 {
            format!("{}k", trim(format!("{:.1}", v / 1e3)))
        } else if a >= 100.0 || decimals == 0 {
            format!("{v:.0}")
        } else {
            trim(format!("{v:.decimals$}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fmt;

    #[test]
    fn numbers_are_written_with_separators() {
        assert_eq!(fmt::int(0), "0");
        assert_eq!(fmt::int(999), "999");
        assert_eq!(fmt::int(1000), "1,000");
        assert_eq!(fmt::int(-1234567), "-1,234,567");
        assert_eq!(fmt::money(1234.5), "1,234.50");
        assert_eq!(fmt::money(0.015), "0.02");
        assert_eq!(fmt::axis_int(&25000.0), "25k");
        assert_eq!(fmt::axis_money(&1_500_000.0), "1.5M");
        assert_eq!(fmt::axis_money(&2.5), "2.5");
    }
}
