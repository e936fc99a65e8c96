"""Times every dashboard, variable and alert query on an existing warehouse (for BENCHMARKS.md).

    python dashboards/tests/time_queries.py postgres://postgres@127.0.0.1:5432/bench [--runs 3] [--role retention_bi]
        [--looker-dashboard FILE.dashboard.lookml ...]

The time range is the warehouse's logical days (from ops.task_runs), variables are on "All",
and each query runs --runs times after one warm-up; the table gives the best and the worst run.
Looker tiles are composed as looker_sql.tile_sql does (the date filter on the range, the other
filters unset), from the project's LookML dashboards or the files given (e.g. an older version
of one, with `git show REV:dashboards/looker/business_kpis.dashboard.lookml > old.lookml`).
Prints a Markdown table on stdout. Needs the packages of dashboards/requirements.txt (the
virtualenv run-tests.sh makes has them).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path

import psycopg
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

import grafana_sql  # noqa: E402
from grafana_sql import TimeRange, Variable  # noqa: E402
from looker_sql import DASHBOARD_FILES, tile_sql  # noqa: E402
from support import (  # noqa: E402
    alert_rules,
    dashboard_files,
    day_start,
    load_dashboard,
    rule_query,
    targets_of,
    variable_query,
    variables_of,
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("url")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--role", default=None, help="SET ROLE before the queries (e.g. retention_bi)")
    ap.add_argument("--looker-dashboard", action="append", type=Path, default=None,
                    help="a LookML dashboard file to time (default: the project's)")
    args = ap.parse_args()

    with psycopg.connect(args.url, autocommit=True) as conn:
        if args.role:
            conn.execute(f'SET ROLE "{args.role}"')
        first, last = conn.execute(
            "SELECT min(batch_date), max(batch_date) FROM ops.task_runs WHERE batch_date IS NOT NULL"
        ).fetchone()
        tr = TimeRange(day_start(first), day_start(last) + timedelta(days=1) - timedelta(milliseconds=1))
        interval = timedelta(days=1)

        def timed(sql: str) -> tuple[float, float, int]:
            rows = len(conn.execute(sql).fetchall())  # warm-up
            runs = []
            for _ in range(args.runs):
                start = time.perf_counter()
                conn.execute(sql).fetchall()
                runs.append(time.perf_counter() - start)
            return min(runs), max(runs), rows

        print(f"Range {first} .. {last}; {args.runs} runs after a warm-up; seconds.\n")
        print("| dashboard | query | rows | best | worst |")
        print("|---|---|---:|---:|---:|")
        for path in dashboard_files():
            d = load_dashboard(path)
            variables = {}
            for var in variables_of(d):
                sql = grafana_sql.render(variable_query(var), tr, interval)
                best, worst, rows = timed(sql)
                print(f"| {path.stem} | variable `{var['name']}` | {rows} | {best:.3f} | {worst:.3f} |")
                options = tuple(str(r[0]) for r in conn.execute(sql).fetchall())
                variables[var["name"]] = Variable(var["name"], ["$__all"], multi=True, include_all=True,
                                                  all_selected=True, options=options)
            for p, t in targets_of(d):
                sql = grafana_sql.render(t["rawSql"], tr, interval, variables)
                best, worst, rows = timed(sql)
                print(f"| {path.stem} | {p['title']} | {rows} | {best:.3f} | {worst:.3f} |")
        for rule in alert_rules():
            a = rule_query(rule)
            sql = grafana_sql.render(a["model"]["rawSql"], tr, interval)
            best, worst, rows = timed(sql)
            print(f"| alert | {rule['title']} | {rows} | {best:.3f} | {worst:.3f} |")
        for path in args.looker_dashboard or DASHBOARD_FILES:
            for dashboard in yaml.safe_load(path.read_text()):
                for e in dashboard["elements"]:
                    sql = tile_sql(e, (first, last + timedelta(days=1)))
                    best, worst, rows = timed(sql)
                    print(f"| looker {dashboard['dashboard']} | {e['title']} | {rows} | {best:.3f} | {worst:.3f} |")


if __name__ == "__main__":
    main()
