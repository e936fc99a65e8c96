#!/usr/bin/env python3
"""Sums the server log's statement durations per statement for one database.

Usage: scripts/log-durations.py DATABASE [LOG] [TOP] [FROM TO]

With `log_min_duration_statement` set for DATABASE (see BENCHMARKS.md), PostgreSQL logs every
statement slower than the threshold; this groups them by their first 100 characters
(whitespace folded; our SQL files start each statement with a comment naming it) and prints
the total, the count and the median, heaviest first. LOG defaults to Debian's
/var/log/postgresql/postgresql-15-main.log, TOP to 25. FROM and TO ('2026-12-08 00:45:21')
keep only the entries logged in [FROM, TO), e.g. the span of a month's days in ops.task_runs.
"""
import collections
import re
import sys


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    db = sys.argv[1]
    path = sys.argv[2] if len(sys.argv) > 2 else "/var/log/postgresql/postgresql-15-main.log"
    top = int(sys.argv[3]) if len(sys.argv) > 3 else 25
    since, until = (sys.argv[4], sys.argv[5]) if len(sys.argv) > 5 else ("", "~")
    with open(path, errors="replace") as f:
        log = f.read()
    entries = re.split(r"\n(?=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)", log)
    durations = collections.defaultdict(list)
    for entry in entries:
        if f"@{db} " not in entry or not since <= entry[:19] < until:
            continue
        m = re.search(
            r"duration: ([\d.]+) ms\s+(?:statement|execute [^:]*|parse [^:]*|bind [^:]*): (.*)",
            entry,
            re.S,
        )
        if not m:
            continue
        durations[" ".join(m.group(2).split())[:100]].append(float(m.group(1)))
    for sql, ms in sorted(durations.items(), key=lambda kv: -sum(kv[1]))[:top]:
        median = sorted(ms)[len(ms) // 2]
        print(f"{sum(ms) / 1000:7.1f}s n={len(ms):3d} med={median / 1000:6.2f}s  {sql}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
