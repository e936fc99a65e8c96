"""Runs one of our suites with Great Expectations 1.x on the same batch, for BENCHMARKS.md.

The batch is one staging partition (the rows `batch_date = DATE`), given to GE as a table
asset; relative bounds (`batch_date + 1 day`) are evaluated here, since GE has no such
syntax. Prints one JSON line: seconds for `batch.validate(suite)` and every expectation's
success and unexpected count / observed value, to compare with `retention validate`.

    /tmp/gevenv/bin/python crates/quality/benches/ge_events.py \
        --url postgresql+psycopg2://postgres@127.0.0.1:5432/quality_bench \
        --suite config/expectations/staging_events.yaml --table staging.events_20260310 \
        --date 2026-03-10
"""

import argparse
import datetime as dt
import json
import re
import time

import great_expectations as gx
from great_expectations.expectations.expectation_configuration import ExpectationConfiguration
from ruamel.yaml import YAML

UNITS = {"minute": 1, "hour": 60, "day": 1440, "week": 10080}
TERM = re.compile(r"\s*([+-])\s*(\d+)\s*(minute|hour|day|week)s?\s*")


def resolve(value, column_type, day):
    """`batch_date ± N unit…` → a datetime (timestamp columns) or a date."""
    if not (isinstance(value, str) and value.strip().startswith("batch_date")):
        return value
    rest, minutes = value.strip()[len("batch_date"):], 0
    while rest:
        m = TERM.match(rest)
        if not m:
            raise ValueError(f"bad relative bound {value!r}")
        sign = 1 if m.group(1) == "+" else -1
        minutes += sign * int(m.group(2)) * UNITS[m.group(3)]
        rest = rest[m.end():]
    start = dt.datetime.combine(day, dt.time(), tzinfo=dt.timezone.utc)
    moment = start + dt.timedelta(minutes=minutes)
    return moment.date() if column_type == "date" else moment


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--suite", required=True)
    ap.add_argument("--table", required=True, help="schema.table holding exactly the batch")
    ap.add_argument("--date", required=True)
    ap.add_argument("--date-columns", default="signup_date", help="comma-separated date (not timestamp) columns")
    args = ap.parse_args()
    day = dt.date.fromisoformat(args.date)
    date_columns = set(args.date_columns.split(","))
    doc = YAML(typ="safe").load(open(args.suite))

    started = time.perf_counter()
    ctx = gx.get_context(mode="ephemeral")
    schema, table = args.table.split(".")
    ds = ctx.data_sources.add_postgres("pg", connection_string=args.url)
    asset = ds.add_table_asset("batch", table_name=table, schema_name=schema)
    batch = asset.add_batch_definition_whole_table("whole").get_batch()
    suite = gx.ExpectationSuite(name=doc["name"])
    for e in doc["expectations"]:
        kwargs = dict(e.get("kwargs") or {})
        ctype = "date" if kwargs.get("column") in date_columns else "timestamp"
        for key in ("min_value", "max_value"):
            if key in kwargs:
                kwargs[key] = resolve(kwargs[key], ctype, day)
        suite.add_expectation_configuration(
            ExpectationConfiguration(type=e["type"], kwargs=kwargs, severity=e.get("severity", "critical"))
        )
    suite = ctx.suites.add(suite)
    setup = time.perf_counter() - started

    started = time.perf_counter()
    result = batch.validate(suite)
    seconds = time.perf_counter() - started

    results = []
    for r in result.results:
        res = r.result or {}
        results.append({
            "type": r.expectation_config.type,
            "column": r.expectation_config.kwargs.get("column"),
            "success": r.success,
            "unexpected_count": res.get("unexpected_count"),
            "observed_value": res.get("observed_value"),
            "exception": (r.exception_info or {}).get("exception_message"),
        })
    print(json.dumps({"ge_version": gx.__version__, "setup_seconds": round(setup, 3),
                      "validate_seconds": round(seconds, 3), "success": result.success, "results": results}))


if __name__ == "__main__":
    main()
