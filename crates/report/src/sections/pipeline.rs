//! The pipeline's sections: data quality, rejects, and the steps' time and rows per day,
//! from `ops` and `quarantine`.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::{Section, Table, day, section};
use crate::{
    Result,
    charts::{self, Axes, Kind, PALETTE, Series},
    data::ReportData,
    page::fmt,
};

pub(super) fn quality(data: &ReportData) -> Result<Section> {
    let rows = &data.quality;
    let mut table = Table::new(&[
        ("Day", false),
        ("Critical", true),
        ("Warning", true),
        ("Info", true),
        ("Expectations evaluated", true),
    ]);
    for q in rows {
        table.rows.push(vec![
            day(&q.date),
            fmt::int(q.critical),
            fmt::int(q.warning),
            fmt::int(q.info),
            fmt::int(q.evaluated),
        ]);
    }
    let failed: i64 = rows.iter().map(|q| q.critical + q.warning + q.info).sum();
    let svg = if failed == 0 {
        None
    } else {
        let sev = |name: &str, k: usize, v: fn(&crate::QualityRow) -> i64| {
            Series::of(name, k, rows, |q| v(q) as f64)
        };
        Some(charts::xy(
            &rows.iter().map(|q| day(&q.date)).collect::<Vec<_>>(),
            &Axes {
                x: "Batch day".to_owned(),
                y: "Failed expectations".to_owned(),
                y_fmt: fmt::axis_int,
            },
            Kind::Stacked,
            &[
                sev("critical", 3, |q| q.critical),
                sev("warning", 1, |q| q.warning),
                sev("info", 4, |q| q.info),
            ],
            None,
        )?)
    };
    let mut s = section(
        "quality",
        "Data quality: failed expectations per day".to_owned(),
        "Expectations that failed in each batch day's latest validation run, stacked by severity (a critical failure stops the day at the quality gate).",
        svg,
        table,
    );
    if failed == 0 && !rows.is_empty() {
        s.note = Some(format!(
            "No expectation failed on the {} validated days of the period.",
            rows.len()
        ));
    }
    Ok(s)
}

pub(super) fn rejects(data: &ReportData) -> Result<Section> {
    let rows = &data.rejects;
    let mut table = Table::new(&[("Reason", false), ("Stage", false), ("Rows", true)]);
    for r in rows {
        table
            .rows
            .push(vec![r.reason.clone(), r.stage.clone(), fmt::int(r.rows)]);
    }
    let svg = if rows.is_empty() {
        None
    } else {
        Some(charts::hbars(
            &rows
                .iter()
                .map(|r| format!("{} ({})", r.reason, r.stage))
                .collect::<Vec<_>>(),
            "Rows quarantined",
            fmt::axis_int,
            &rows.iter().map(|r| r.rows as f64).collect::<Vec<_>>(),
        )?)
    };
    Ok(section(
        "rejects",
        "Rejected rows by reason".to_owned(),
        "Rows of the period's batches kept out of the warehouse, by reason code and by the stage that rejected them (load: unparseable; transform: conformance rules).",
        svg,
        table,
    ))
}

/// One figure of a step run.
type Measure = fn(&crate::StepRow) -> i64;

const STEPS: [&str; 4] = ["load", "validate", "scd", "transform"];

/// Steps per day: day → step → row.
fn steps_by_day(data: &ReportData) -> BTreeMap<NaiveDate, BTreeMap<&str, &crate::StepRow>> {
    let mut days: BTreeMap<NaiveDate, BTreeMap<&str, &crate::StepRow>> = BTreeMap::new();
    for s in &data.steps {
        days.entry(s.date).or_default().insert(s.step.as_str(), s);
    }
    days
}

pub(super) fn step_times(data: &ReportData) -> Result<Section> {
    let days = steps_by_day(data);
    let mut headers: Vec<(&str, bool)> = vec![("Day", false)];
    headers.extend(STEPS.iter().map(|s| (*s, true)));
    headers.push(("Total", true));
    let mut table = Table::new(&headers);
    table.headers = table
        .headers
        .iter()
        .map(|h| {
            if h == "Day" {
                h.clone()
            } else {
                format!("{h} (ms)")
            }
        })
        .collect();
    let ms =
        |d: &BTreeMap<&str, &crate::StepRow>, step: &str| d.get(step).map_or(0, |s| s.duration_ms);
    for (date, d) in &days {
        let mut line = vec![day(date)];
        line.extend(STEPS.iter().map(|s| fmt::int(ms(d, s))));
        line.push(fmt::int(STEPS.iter().map(|s| ms(d, s)).sum()));
        table.rows.push(line);
    }
    let svg = if days.is_empty() {
        None
    } else {
        let series: Vec<Series> = STEPS
            .iter()
            .enumerate()
            .map(|(k, step)| Series {
                name: (*step).to_owned(),
                color: PALETTE[k],
                values: days.values().map(|d| ms(d, step) as f64 / 1000.0).collect(),
            })
            .collect();
        Some(charts::xy(
            &days.keys().map(day).collect::<Vec<_>>(),
            &Axes {
                x: "Batch day".to_owned(),
                y: "Time (s)".to_owned(),
                y_fmt: fmt::axis_seconds,
            },
            Kind::Stacked,
            &series,
            None,
        )?)
    };
    Ok(section(
        "step-times",
        "Pipeline: time per step per day".to_owned(),
        "Wall time of each batch day's latest successful run of every step that records itself in ops.task_runs, stacked (generate writes files only and is not recorded).",
        svg,
        table,
    ))
}

pub(super) fn step_rows(data: &ReportData) -> Result<Section> {
    let days = steps_by_day(data);
    let mut table = Table::new(&[
        ("Day", false),
        ("Read by load", true),
        ("Rejected by load", true),
        ("Facts made", true),
        ("Rejected by conformance", true),
    ]);
    let get = |d: &BTreeMap<&str, &crate::StepRow>, step: &str, f: fn(&crate::StepRow) -> i64| {
        d.get(step).map_or(0, |s| f(s))
    };
    let cols: [(&str, Measure, &str); 4] = [
        ("load", |s| s.rows_in, "read by load"),
        ("load", |s| s.rows_rejected, "rejected by load"),
        ("transform", |s| s.rows_out, "facts made"),
        ("transform", |s| s.rows_rejected, "rejected by conformance"),
    ];
    for (date, d) in &days {
        let mut line = vec![day(date)];
        line.extend(cols.iter().map(|(step, f, _)| fmt::int(get(d, step, *f))));
        table.rows.push(line);
    }
    let svg = if days.is_empty() {
        None
    } else {
        let series: Vec<Series> = cols
            .iter()
            .enumerate()
            .map(|(k, (step, f, name))| Series {
                name: (*name).to_owned(),
                color: PALETTE[k],
                values: days.values().map(|d| get(d, step, *f) as f64).collect(),
            })
            .collect();
        Some(charts::xy(
            &days.keys().map(day).collect::<Vec<_>>(),
            &Axes {
                x: "Batch day".to_owned(),
                y: "Rows".to_owned(),
                y_fmt: fmt::axis_int,
            },
            Kind::Lines,
            &series,
            None,
        )?)
    };
    Ok(section(
        "step-rows",
        "Pipeline: rows per day".to_owned(),
        "Rows each batch day's latest load read (all landing files) and rejected, and the fact rows its transform made and rejected by conformance rules.",
        svg,
        table,
    ))
}
