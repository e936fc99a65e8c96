"""The Quality section of BENCHMARKS.md: `retention validate` set-based vs per-expectation vs
Great Expectations 1.x, on the same batch, rounds interleaved, medians reported.

    psql "$URL" -v ON_ERROR_STOP=1 -f crates/quality/benches/bench_events.sql     # 1,000,000-row batch
    /tmp/gevenv/bin/python crates/quality/benches/bench.py \
        --url postgres://postgres@127.0.0.1:5432/quality_bench --rounds 5

GE keeps one expectation per (type, domain) in a suite (a later one replaces an earlier
one), so our 17-expectation events suite runs in GE as two suites ("layers") whose times
are added; the "deduplicated" rows compare both engines on the 11 expectations GE keeps.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import great_expectations as gx
from great_expectations.expectations.expectation_configuration import ExpectationConfiguration
from ruamel.yaml import YAML

sys.path.insert(0, os.path.dirname(__file__))
from ge_events import resolve  # noqa: E402

DATE = "2026-03-10"


def ours(binary, url, suite, strategy):
    out = subprocess.run(
        [binary, "validate", "--date", DATE, "--database-url", url, "--suite", suite, "--strategy", strategy],
        capture_output=True, text=True, check=False)
    line = json.loads(out.stdout.strip().splitlines()[-1])
    if line["status"] != "ok":
        raise SystemExit(f"retention validate failed: {out.stderr}")
    return line["duration_ms"] / 1000.0


def layers(expectations):
    """Splits expectations so that no layer holds two with the same type and column."""
    out = []
    for e in expectations:
        key = (e["type"], json.dumps({k: v for k, v in (e.get("kwargs") or {}).items()
                                      if k in ("column", "column_list", "column_A", "column_B")}, sort_keys=True))
        for layer in out:
            if key not in layer:
                layer[key] = e
                break
        else:
            out.append({key: e})
    return [list(layer.values()) for layer in out]


def ge_suites(ctx, doc, name, day):
    suites = []
    for i, layer in enumerate(layers(doc["expectations"])):
        suite = gx.ExpectationSuite(name=f"{name}_{i}")
        for e in layer:
            kwargs = dict(e.get("kwargs") or {})
            for key in ("min_value", "max_value"):
                if key in kwargs:
                    kwargs[key] = resolve(kwargs[key], "timestamp", day)
            suite.add_expectation_configuration(ExpectationConfiguration(type=e["type"], kwargs=kwargs))
        suites.append(ctx.suites.add(suite))
    return suites


def ge_time(batch, suites):
    started = time.perf_counter()
    for s in suites:
        batch.validate(s)
    return time.perf_counter() - started


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--binary", default="target/debug/retention")
    ap.add_argument("--suite", default="config/expectations/staging_events.yaml")
    ap.add_argument("--table", default="staging.events_20260310")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    import datetime as dt
    day = dt.date.fromisoformat(DATE)
    doc = YAML(typ="safe").load(open(args.suite))
    # The deduplicated suite: what GE keeps (the last of each type and column).
    dedup = dict(doc)
    kept = {}
    for e in doc["expectations"]:
        kept[(e["type"], json.dumps({k: v for k, v in e["kwargs"].items() if k == "column"}))] = e
    dedup["expectations"] = list(kept.values())
    dedup_file = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
    YAML().dump(dedup, dedup_file)
    dedup_file.close()

    ctx = gx.get_context(mode="ephemeral")
    schema, table = args.table.split(".")
    ds = ctx.data_sources.add_postgres("pg", connection_string=args.url.replace("postgres://", "postgresql+psycopg2://", 1))
    batch = ds.add_table_asset("batch", table_name=table, schema_name=schema).add_batch_definition_whole_table("w").get_batch()
    full = ge_suites(ctx, doc, "full", day)
    deduped = ge_suites(ctx, dedup, "dedup", day)
    assert len(deduped) == 1
    rows = subprocess.run(["psql", args.url, "-Atc", f"SELECT count(*) FROM {args.table}"],
                          capture_output=True, text=True, check=True).stdout.strip()

    times = {k: [] for k in ("set", "per", "ge", "set_dedup", "ge_dedup")}
    ge_time(batch, full)  # warm-up: imports, metric registry, connection pool
    for _ in range(args.rounds):
        times["set"].append(ours(args.binary, args.url, args.suite, "set-based"))
        times["per"].append(ours(args.binary, args.url, args.suite, "per-expectation"))
        times["ge"].append(ge_time(batch, full))
        times["set_dedup"].append(ours(args.binary, args.url, dedup_file.name, "set-based"))
        times["ge_dedup"].append(ge_time(batch, deduped))
    med = {k: statistics.median(v) for k, v in times.items()}
    n = int(rows)
    print(f"batch rows: {n}; GE {gx.__version__}; rounds: {args.rounds} (median seconds; all runs: "
          + json.dumps({k: [round(x, 3) for x in v] for k, v in times.items()}) + ")")
    print(f"| suite | expectations | engine | median s | s per 1M rows |")
    print(f"|---|---|---|---|---|")
    for key, label, count in [("set", "retention set-based", 17), ("per", "retention per-expectation", 17),
                              ("ge", "Great Expectations (2 suites)", 17),
                              ("set_dedup", "retention set-based", 11), ("ge_dedup", "Great Expectations", 11)]:
        print(f"| staging_events | {count} | {label} | {med[key]:.2f} | {med[key] / n * 1e6:.2f} |")
    print(f"set-based vs per-expectation: {med['per'] / med['set']:.2f}x; vs GE (17): {med['ge'] / med['set']:.2f}x; "
          f"vs GE (11, same expectations): {med['ge_dedup'] / med['set_dedup']:.2f}x")


if __name__ == "__main__":
    main()
