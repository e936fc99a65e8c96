//! Splits a SQL file into named statements: each starts at a `-- @name` line and runs until
//! the next one, so one readable file can hold a step's statements, each bound separately.

/// One statement of a SQL file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Statement {
    /// The name after `-- @`.
    pub name: &'static str,
    /// The statement text (comments included; no trailing semicolon needed by the server).
    pub sql: &'static str,
    /// Whether it takes the day as `$1`.
    pub bound: bool,
}

/// The statements of `file`, in order; text before the first marker is a header comment.
pub(crate) fn parse(file: &'static str) -> Vec<Statement> {
    let mut out = Vec::new();
    let mut current: Option<(&'static str, usize)> = None;
    let mut offset = 0;
    for line in file.split_inclusive('\n') {
        if let Some(name) = line.trim_end().strip_prefix("-- @") {
            if let Some((prev, start)) = current.take() {
                out.push(statement(prev, &file[start..offset]));
            }
            current = Some((name.trim(), offset + line.len()));
        }
        offset += line.len();
    }
    if let Some((prev, start)) = current {
        out.push(statement(prev, &file[start..]));
    }
    out
}

fn statement(name: &'static str, body: &'static str) -> Statement {
    let sql = body.trim().trim_end_matches(';').trim_end();
    Statement {
        name,
        sql,
        bound: sql.contains("$1"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_splits_at_its_markers_and_knows_which_statements_take_the_day() {
        let file = "-- header\n\n-- @first\nSELECT 1;\n\n-- @second\n-- why\nDELETE FROM t WHERE d = $1::date;\n";
        let got = parse(file);
        assert_eq!(
            got,
            vec![
                Statement {
                    name: "first",
                    sql: "SELECT 1",
                    bound: false
                },
                Statement {
                    name: "second",
                    sql: "-- why\nDELETE FROM t WHERE d = $1::date",
                    bound: true
                },
            ]
        );
    }
}
