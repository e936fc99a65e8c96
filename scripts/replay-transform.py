#!/usr/bin/env python3
"""Replays one day's transform statement by statement, rolled back, to time each statement.

Usage:
  scripts/replay-transform.py sql DATE [--rev REV] [--before FILE] > replay.sql
  psql -d DB -v day=DATE -f replay.sql > run.txt        # one run; alternate versions
  scripts/replay-transform.py summarize run1.txt run2.txt ...

`sql` prints a psql script: BEGIN, FILE's SQL if given (a migration to try, not timed), then
day.sql with rules.sql spliced in at `-- @rules` and marts.sql, each statement after an
`\\echo @@ name` line, `$1` replaced by DATE and `\\timing` on; then order-free checksums of
what the day writes (its facts, register rows and transform rejects, the weekly summaries of
the last three weeks, the mart_state tables listed in STATE below: those both sides of a
comparison have); then ROLLBACK. The SQL comes from the work
tree, or from git revision REV. The day must be loaded and merged (scd), not transformed, so
that every run sees the same warehouse.

`summarize` prints the milliseconds per statement (those >= 100 ms in any run), each run's
total, and whether each run's checksums equal the first run's. BENCHMARKS.md (issue 13) has
the runs this was made for.
"""
import re
import subprocess
import sys

FILES = "crates/model/sql/transform/"
STATE = ["sessions", "funnel_days", "sales_weeks", "sales_months", "product_weeks", "user_changes",
         "user_cohorts", "cohort_sizes", "retention_cells", "activity_weeks", "engagement_days",
         "products", "category_weeks"]


def read(name, rev):
    if rev is None:
        with open(FILES + name, encoding="utf-8") as f:
            return f.read()
    return subprocess.run(["git", "show", f"{rev}:{FILES}{name}"], check=True,
                          capture_output=True, text=True).stdout


def statements(text):
    out, name, body = [], None, []
    for line in text.splitlines(keepends=True):
        m = re.match(r"^-- @(\S+)\s*$", line)
        if m:
            if name:
                out.append((name, "".join(body)))
            name, body = m.group(1), []
        elif name:
            body.append(line)
    if name:
        out.append((name, "".join(body)))
    return out


def checksum(label, relation, where="", drop="'loaded_at'"):
    row = f"(to_jsonb(t) - ARRAY[{drop}]::text[])::text"
    return (f"SELECT '{label}' AS t, count(*), coalesce(sum(('x' || substr(md5({row}), 1, 15))"
            f"::bit(60)::bigint), 0) FROM {relation} t {where}")


def sql(date, rev, before):
    rules = statements(read("rules.sql", rev))
    day = []
    for name, body in statements(read("day.sql", rev)):
        day += rules if name == "rules" else [(name, body)]
    print("\\set ON_ERROR_STOP 1\n\\pset pager off\nBEGIN;")
    if before:
        with open(before, encoding="utf-8") as f:
            print(f.read())
    print("\\timing on")
    for name, body in day + statements(read("marts.sql", rev)):
        body = body.strip().rstrip(";").strip().replace("$1", f"'{date}'")
        print(f"\\echo @@ {name}\n{body};")
    print("\\timing off\n\\echo @@ checksums")
    parts = [
        checksum("facts", "dw.fact_user_events", f"WHERE batch_date = '{date}'"),
        checksum("register", "dw.fact_event_ids", f"WHERE batch_date = '{date}'"),
        checksum("rejects", "quarantine.rejected_rows",
                 f"WHERE batch_date = '{date}' AND stage = 'transform'", "'rejected_at'"),
        checksum("summaries", "dw.fact_user_weekly_summary",
                 f"WHERE week_start >= date_trunc('week', '{date}'::date - 14)", "'updated_at'"),
    ] + [checksum(t, f"mart_state.{t}") for t in STATE]
    print("\nUNION ALL ".join(parts) + "\nORDER BY 1;\nROLLBACK;")


def summarize(files):
    runs = []
    for path in files:
        times, sums, current = {}, [], None
        with open(path, encoding="utf-8") as f:
            for line in f:
                m = re.match(r"^@@ (\S+)", line)
                if m:
                    current = m.group(1)
                    continue
                m = re.match(r"^Time: ([\d.]+) ms", line)
                if m and current and current != "checksums":
                    times[current] = times.get(current, 0.0) + float(m.group(1))
                if current == "checksums" and "|" in line:
                    sums.append(line.strip())
                if "ERROR" in line:
                    print(f"{path}: {line.strip()}")
        runs.append((path, times, sorted(sums)))
    print("statement".ljust(28) + "".join(str(i + 1).rjust(10) for i in range(len(runs))))
    for name in runs[0][1]:
        values = [r[1].get(name, 0.0) for r in runs]
        if max(values) >= 100:
            print(name.ljust(28) + "".join(f"{v:10.0f}" for v in values))
    print("total".ljust(28) + "".join(f"{sum(r[1].values()):10.0f}" for r in runs))
    for i, (path, _, sums) in enumerate(runs[1:], start=2):
        same = "identical to run 1" if sums == runs[0][2] else "DIFFER from run 1"
        print(f"run {i} ({path}): checksums {same}")


def main(argv):
    if len(argv) >= 3 and argv[1] == "sql":
        opts = dict(zip(argv[3::2], argv[4::2]))
        if set(opts) - {"--rev", "--before"} or len(argv[3:]) % 2:
            print(__doc__, file=sys.stderr)
            return 2
        sql(argv[2], opts.get("--rev"), opts.get("--before"))
        return 0
    if len(argv) >= 3 and argv[1] == "summarize":
        summarize(argv[2:])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
