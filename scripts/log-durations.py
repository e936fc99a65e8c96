#!/usr/bin/env python3
"""Sums the server log's statement durations per statement for one database.

Usage: scripts/log-durations.py [--by-phase] DATABASE [LOG] [TOP] [FROM TO]

With `log_min_duration_statement` set for DATABASE (see BENCHMARKS.md), PostgreSQL logs every
statement slower than the threshold; this groups them by their first 100 characters
(whitespace folded; our SQL files start each statement with a comment naming it) and prints
the total, the count and the median, heaviest first. LOG defaults to Debian's
/var/log/postgresql/postgresql-15-main.log, TOP to 25. FROM and TO ('2026-12-08 00:45:21')
keep only the entries logged in [FROM, TO), e.g. the span of a month's days in ops.task_runs.

A statement sent by the extended protocol is logged once per phase over the threshold (parse,
bind, execute; with a threshold of 0 all three), so n counts logged phases, not runs.
--by-phase keeps the phases apart (bind is where a prepared statement is planned) and adds the
first table the statement reads or writes (not a temporary one), which tells apart statements that share their
comment, such as one erasure statement rendered for several tables.
"""
import collections
import re
import sys


def main() -> int:
    by_phase = "--by-phase" in sys.argv
    args = [a for a in sys.argv[1:] if a != "--by-phase"]
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    db = args[0]
    path = args[1] if len(args) > 1 else "/var/log/postgresql/postgresql-15-main.log"
    top = int(args[2]) if len(args) > 2 else 25
    since, until = (args[3], args[4]) if len(args) > 4 else ("", "~")
    with open(path, errors="replace") as f:
        log = f.read()
    entries = re.split(r"\n(?=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)", log)
    durations = collections.defaultdict(list)
    for entry in entries:
        if f"@{db} " not in entry or not since <= entry[:19] < until:
            continue
        m = re.search(
            r"duration: ([\d.]+) ms\s+(statement|execute|parse|bind)[^:]*: (.*)",
            entry,
            re.S,
        )
        if not m:
            continue
        sql = " ".join(m.group(3).split())
        key = sql[:100]
        if by_phase:
            tables = re.findall(r"(?:FROM|UPDATE|INTO) ((?:\"?\w+\"?\.)?\"?\w+\"?)", sql)
            table = next((t for t in tables if not t.startswith("pg_temp.")), "-")
            key = f"{m.group(2):<9} {table:<32} {key}"
        durations[key].append(float(m.group(1)))
    for sql, ms in sorted(durations.items(), key=lambda kv: -sum(kv[1]))[:top]:
        median = sorted(ms)[len(ms) // 2]
        print(f"{sum(ms) / 1000:7.1f}s n={len(ms):3d} med={median / 1000:6.2f}s  {sql}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
