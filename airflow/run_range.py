#!/usr/bin/env python3
"""Run retention_pipeline for every day of a range, in date order, in this one process.

Airflow 3's ``airflow backfill create`` only queues runs for a scheduler to pick up. This
script needs no scheduler: it parses the DAG once and calls ``dag.test(logical_date=D)`` for
each day D (about half a second of Airflow overhead per day after the first), printing one
line per day, and stops with exit code 1 at the first run that does not succeed (the days
after it depend on it). Exit code 2: the DAG could not be loaded or the arguments are wrong.

    AIRFLOW_HOME=/tmp/af RETENTION_RUNNER=local RETENTION_BIN=target/release/retention \\
    AIRFLOW_CONN_RETENTION_POSTGRES=postgres://postgres@127.0.0.1:5432/retention \\
        python airflow/run_range.py --from 2026-01-01 --to 2026-01-07

The Airflow metadata database is migrated first if needed (SQLite under AIRFLOW_HOME unless
configured otherwise).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

DAGS_FOLDER = Path(__file__).resolve().parent / "dags"
DAG_ID = "retention_pipeline"


def days(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--from", dest="first", required=True, type=date.fromisoformat, help="first day (YYYY-MM-DD)")
    parser.add_argument("--to", dest="last", required=True, type=date.fromisoformat, help="last day, inclusive")
    parser.add_argument("--dags-folder", type=Path, default=DAGS_FOLDER, help="where retention_pipeline.py is")
    args = parser.parse_args(argv)
    if args.last < args.first:
        parser.error(f"--to {args.last} is before --from {args.first}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Airflow reads its configuration on first import.
    os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(args.dags_folder))
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")

    from airflow.dag_processing.dagbag import DagBag
    from airflow.utils.db import check_migrations, upgradedb

    try:
        check_migrations(timeout=0)
    except TimeoutError:
        upgradedb()
    bag = DagBag(dag_folder=str(args.dags_folder))
    if bag.import_errors or DAG_ID not in bag.dags:
        for path, error in bag.import_errors.items():
            print(f"run_range: cannot import {path}:\n{error}", file=sys.stderr)
        print(f"run_range: no DAG {DAG_ID} in {args.dags_folder}", file=sys.stderr)
        return 2
    dag = bag.dags[DAG_ID]

    started = time.monotonic()
    for day in days(args.first, args.last):
        t0 = time.monotonic()
        run = dag.test(logical_date=datetime(day.year, day.month, day.day, tzinfo=timezone.utc))
        state = str(getattr(run, "state", None))
        print(f"run_range: {day} {state} in {time.monotonic() - t0:.1f}s", flush=True)
        if state != "success":
            print(f"run_range: the run of {day} ended {state}; stopping (later days depend on it)", file=sys.stderr)
            return 1
    print(f"run_range: {args.first} .. {args.last} succeeded in {time.monotonic() - started:.1f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
