//! What a person sees on stderr while the pipeline runs: a one-line progress bar on a
//! terminal (plain lines otherwise: logs, CI, Airflow), the per-day summary table at the end
//! or at the first failure, the demo's KPI tables and its notices.

use std::{io::IsTerminal, time::Instant};

use chrono::NaiveDate;
use retention_pipeline::{DayRecord, Event, STEPS, StepRecord};

use crate::logging;

/// Renders a run's [`Event`]s.
#[derive(Debug)]
pub struct Renderer {
    tty: bool,
    total: usize,
    done_days: usize,
    last_day: Option<NaiveDate>,
    started: Instant,
    /// The bar as last drawn by `start`, which `done` extends with the step's rate.
    line: String,
}

impl Default for Renderer {
    fn default() -> Self {
        Self {
            tty: std::io::stderr().is_terminal(),
            total: 0,
            done_days: 0,
            last_day: None,
            started: Instant::now(),
            line: String::new(),
        }
    }
}

impl Renderer {
    /// Shows one event.
    pub fn on(&mut self, event: Event<'_>) {
        match event {
            Event::Started { days } => self.total = days,
            Event::StepStarted { date, step } => self.start(date, step),
            Event::StepDone { date, record } => self.done(date, record),
            Event::Finished { days } => {
                if self.tty {
                    logging::end_status();
                }
                eprint!("{}", summary_table(days));
            }
            Event::Table {
                title,
                header,
                rows,
            } => {
                if rows.is_empty() {
                    eprintln!("\n{title}: no rows");
                } else {
                    eprintln!("\n{title}");
                    eprint!("{}", table(header, rows));
                }
            }
            Event::Notice(text) => eprintln!("{text}"),
        }
    }

    fn start(&mut self, date: NaiveDate, step: &str) {
        if self.last_day.is_some_and(|d| d != date) {
            self.done_days += 1;
        }
        self.last_day = Some(date);
        if self.tty {
            let width = 30;
            let filled = (self.done_days * width)
                .checked_div(self.total)
                .unwrap_or(0);
            self.line = format!(
                "[{}{}] {}/{} {date} {step:<9} {:>6.1}s",
                "#".repeat(filled),
                ".".repeat(width - filled.min(width)),
                self.done_days,
                self.total,
                self.started.elapsed().as_secs_f64()
            );
            logging::set_status(&self.line);
        }
    }

    fn done(&mut self, date: NaiveDate, s: &StepRecord) {
        let rows = s.rows_in.max(s.rows_out);
        let rate = if s.duration_ms == 0 {
            rows as f64 * 1000.0
        } else {
            rows as f64 * 1000.0 / s.duration_ms as f64
        };
        if self.tty {
            logging::set_status(&format!("{}  {rows} rows, {rate:.0} rows/s", self.line));
        } else {
            eprintln!(
                "{date} {:<9} {rows:>9} rows {:>8} ms {:>10.0} rows/s",
                s.step, s.duration_ms, rate
            );
        }
    }
}

/// Per day: milliseconds per step and the row figures, and a total line.
fn summary_table(days: &[DayRecord]) -> String {
    let line = |cells: [String; 10]| {
        format!(
            "{:<10} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>11}\n",
            cells[0],
            cells[1],
            cells[2],
            cells[3],
            cells[4],
            cells[5],
            cells[6],
            cells[7],
            cells[8],
            cells[9]
        )
    };
    let mut out = line(
        [
            "day",
            "generate",
            "load",
            "validate",
            "scd",
            "transform",
            "total ms",
            "events",
            "facts",
            "quarantined",
        ]
        .map(str::to_owned),
    );
    let mut totals = [0u64; 9];
    for d in days {
        let (landed, facts, rejected) = d.figures();
        let mut row = [0u64; 9];
        for (cell, step) in row.iter_mut().zip(STEPS) {
            *cell = d.step(step).map_or(0, |r| r.duration_ms);
        }
        row[5..].copy_from_slice(&[d.duration_ms(), landed, facts, rejected]);
        for (t, v) in totals.iter_mut().zip(row) {
            *t += v;
        }
        out.push_str(&line(cells(d.date.to_string(), row)));
    }
    out.push_str(&line(cells("total".to_owned(), totals)));
    out
}

fn cells(first: String, figures: [u64; 9]) -> [String; 10] {
    let mut out: [String; 10] = Default::default();
    out[0] = first;
    for (cell, v) in out[1..].iter_mut().zip(figures) {
        *cell = v.to_string();
    }
    out
}

/// A plain text table: columns of numbers (and percentages) right-aligned, text and dates
/// left-aligned, headers aligned like their column.
pub fn table(header: &[String], rows: &[Vec<String>]) -> String {
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let numeric: Vec<bool> = (0..header.len())
        .map(|i| {
            rows.iter().all(|r| {
                r.get(i).is_none_or(|c| {
                    let c = c.trim_end_matches('%');
                    c.is_empty() || c.parse::<f64>().is_ok()
                })
            })
        })
        .collect();
    let line = |cells: &[String]| {
        let mut s = String::from(" ");
        for ((c, w), right) in cells.iter().zip(&width).zip(&numeric) {
            let pad = " ".repeat(w - c.chars().count());
            if *right {
                s.push_str(&format!(" {pad}{c} "));
            } else {
                s.push_str(&format!(" {c}{pad} "));
            }
        }
        s.trim_end().to_owned() + "\n"
    };
    let mut out = line(header);
    let rule: Vec<String> = width.iter().map(|w| "-".repeat(*w)).collect();
    out.push_str(&format!("  {}\n", rule.join("  ")));
    for r in rows {
        out.push_str(&line(r));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::table;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn numbers_align_right_and_text_left() {
        let out = table(
            &strings(&["rank", "name", "day", "share"]),
            &[
                strings(&["1", "Lamp", "2026-01-01", "7%"]),
                strings(&["10", "Desk chair", "2026-01-02", ""]),
            ],
        );
        let expected = "  rank  name        day         share
  ----  ----------  ----------  -----
     1  Lamp        2026-01-01     7%
    10  Desk chair  2026-01-02
";
        assert_eq!(out, expected);
    }
}
