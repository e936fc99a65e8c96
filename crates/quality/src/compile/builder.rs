//! A statement under construction: its SQL text and the values bound to its `$n`.

use super::{Param, Query};

/// A statement under construction: numbers parameters as they are added.
pub(super) struct Builder {
    params: Vec<Param>,
    /// Each parameter's cast and its SQL text, to reuse `$n` for an equal value.
    rendered: Vec<(&'static str, String)>,
}

impl Builder {
    pub(super) fn new() -> Self {
        Self {
            params: Vec::new(),
            rendered: Vec::new(),
        }
    }

    /// The SQL text of value `p` cast to `cast`. An equal value with the same cast reuses its
    /// `$n`, so that a strict and a tolerant expectation on the same column compile to the
    /// same aggregate, which PostgreSQL computes once.
    pub(super) fn param(&mut self, p: Param, cast: &'static str) -> String {
        if let Some(i) =
            (0..self.params.len()).find(|&i| self.params[i] == p && self.rendered[i].0 == cast)
        {
            return self.rendered[i].1.clone();
        }
        let typed = matches!(p, Param::BatchDate(_) | Param::Relative(..));
        let array = matches!(p, Param::TextArray(_));
        self.params.push(p);
        let n = self.params.len();
        // Text to date/timestamp casts are only stable (they read DateStyle and TimeZone), so
        // PostgreSQL would redo them for every row: a scalar subquery makes them an InitPlan,
        // computed once. Values Rust computes (batch dates, relative bounds) are bound typed.
        let once = matches!(cast, "date" | "timestamptz" | "timestamp");
        let text = match (typed, array, cast, once) {
            (true, _, _, _) => format!("${n}::{cast}"),
            (false, true, "text", _) => format!("${n}::text[]"),
            (false, true, _, true) => format!("(SELECT (${n}::text[])::{cast}[])"),
            (false, true, _, false) => format!("(${n}::text[])::{cast}[]"),
            (false, false, "text", _) => format!("${n}::text"),
            (false, false, _, true) => format!("(SELECT (${n}::text)::{cast})"),
            (false, false, _, false) => format!("(${n}::text)::{cast}"),
        };
        self.rendered.push((cast, text.clone()));
        text
    }

    pub(super) fn finish(self, sql: String) -> Query {
        Query {
            sql,
            params: self.params,
        }
    }
}
