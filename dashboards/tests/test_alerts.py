"""The alert rules evaluated as Grafana evaluates them (query A as the BI role -> last value ->
threshold) on the clean warehouse, then on a copy of it that lives through three bad days:

- 2026-01-29: the events file is cut to a quarter of its rows (a partial delivery);
- 2026-01-30: a quarter of the events lose their user_id, so a critical expectation fails and
  the gate stops the day (validate exits 3; scd and transform do not run, as under Airflow);
- 2026-01-31: 15% of the events file is garbage lines the loader quarantines.

Each rule must stay quiet on the clean days and fire on its own bad day only."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

import grafana_sql
from grafana_sql import TimeRange
from support import (
    FULL_RANGE,
    INTERVAL,
    UTC,
    Warehouse,
    alert_rules,
    dashboard_files,
    evaluate_rule,
    load_dashboard,
    retention_ok,
    rewrite_events,
    targets_of,
)

RULES = {r["uid"]: r for r in alert_rules()}
CRITICAL, STALE, VOLUME, QUARANTINE = (
    "retention-critical-expectation",
    "retention-stale-data",
    "retention-load-volume-drop",
    "retention-quarantine-rate",
)
OPS = load_dashboard(next(p for p in dashboard_files() if p.name == "pipeline-operations.json"))


def at(day: str, hour: int) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(hours=hour)


def states(wh: Warehouse, now: datetime) -> dict[str, bool | None]:
    return {uid: evaluate_rule(wh, rule, now).firing for uid, rule in RULES.items()}


def cut_to_a_quarter(header, lines):
    return lines[: len(lines) // 4]


def drop_user_ids(header, lines):
    user_id = header.split(",").index("user_id")
    out = []
    for i, line in enumerate(lines):
        fields = line.split(",")
        if i % 4 == 0 and '"' not in line and len(fields) == 12:
            fields[user_id] = ""
        out.append(",".join(fields))
    return out


def add_garbage(header, lines):
    return lines + [f"garbage line {i}" for i in range(len(lines) * 15 // 100)]


@pytest.fixture(scope="module")
def timeline(warehouse, scratch):
    """(clean-warehouse states, bad-copy states per day, the bad copy)."""
    clean = {
        "clean, 2 h after the last day": states(warehouse, at("2026-01-29", 2)),
        "clean, 32 h after the last day": states(warehouse, at("2026-01-29", 32)),
    }
    bad = Warehouse.create(template=warehouse.name)
    data = scratch / "bad-days"
    try:
        retention_ok(["generate", "--from", "2026-01-29", "--to", "2026-01-31"], bad.url, data)
        rewrite_events(data / "dt=2026-01-29", cut_to_a_quarter)
        rewrite_events(data / "dt=2026-01-30", drop_user_ids)
        rewrite_events(data / "dt=2026-01-31", add_garbage)
        days = {}
        for day, gate_fails in (("2026-01-29", False), ("2026-01-30", True), ("2026-01-31", False)):
            retention_ok(["load", "--date", day], bad.url, data)
            retention_ok(["validate", "--date", day], bad.url, data, expect=3 if gate_fails else 0)
            if not gate_fails:
                retention_ok(["scd", "--date", day], bad.url, data)
                retention_ok(["transform", "--date", day], bad.url, data)
            days[day] = states(bad, at(day, 24 + 2))
            if gate_fails:
                # Nobody fixes the day: 8 h after it ended it is overdue.
                days[day + " +8 h"] = states(bad, at(day, 24 + 8))
        # A run whose process died: still 'running' hours later.
        bad.execute(
            "INSERT INTO ops.task_runs (step, batch_date, started_at, status, host) "
            "VALUES ('transform', '2026-01-30', now() - interval '3 hours', 'running', 'killed-host')"
        )
        yield clean, days, bad
    finally:
        bad.drop()


def test_no_rule_fires_on_the_clean_warehouse(timeline):
    clean, _, _ = timeline
    assert clean["clean, 2 h after the last day"] == {CRITICAL: False, STALE: False, VOLUME: False, QUARANTINE: False}


def test_stale_data_fires_when_the_next_day_is_6_hours_overdue(timeline):
    clean, _, _ = timeline
    assert clean["clean, 32 h after the last day"] == {CRITICAL: False, STALE: True, VOLUME: False, QUARANTINE: False}


def test_volume_drop_fires_on_the_cut_day_only(timeline):
    _, days, _ = timeline
    assert days["2026-01-29"] == {CRITICAL: False, STALE: False, VOLUME: True, QUARANTINE: False}


def test_critical_expectation_fires_on_the_day_the_gate_failed(timeline):
    _, days, _ = timeline
    assert days["2026-01-30"] == {CRITICAL: True, STALE: False, VOLUME: False, QUARANTINE: False}
    # The stopped day is never transformed: once it is 6 h overdue, stale data fires too.
    assert days["2026-01-30 +8 h"] == {CRITICAL: True, STALE: True, VOLUME: False, QUARANTINE: False}


def test_quarantine_rate_fires_on_the_garbage_day_and_the_gate_alert_resolves(timeline):
    _, days, _ = timeline
    assert days["2026-01-31"] == {CRITICAL: False, STALE: False, VOLUME: False, QUARANTINE: True}


def test_rule_values_are_the_days_figures(timeline):
    _, _, bad = timeline
    volume = evaluate_rule(bad, RULES[VOLUME], at("2026-02-01", 2)).values
    (ratio,) = volume.values()
    read = dict(bad.query("SELECT batch_date::text, rows_read FROM ops.load_audit WHERE source_file = 'events.csv'").rows)
    before = sorted(read[f"2026-01-{d}"] for d in range(24, 31))
    assert ratio == pytest.approx(read["2026-01-31"] / before[3])
    rate = evaluate_rule(bad, RULES[QUARANTINE], at("2026-02-01", 2)).values
    (value,) = rate.values()
    (expected,) = bad.query(
        "SELECT count(*)::float / (SELECT rows_read FROM ops.load_audit WHERE batch_date = '2026-01-31' "
        "AND source_file = 'events.csv') FROM quarantine.rejected_rows WHERE batch_date = '2026-01-31' "
        "AND source_file = 'events.csv'"
    ).rows[0]
    assert value == pytest.approx(expected) and value > 0.12


def run_ops_panel(wh, title):
    (sql,) = [t["rawSql"] for p, t in targets_of(OPS) if p["title"] == title]
    return wh.bi(grafana_sql.render(sql, TimeRange(FULL_RANGE.start, at("2026-02-01", 0)), INTERVAL))


def test_failure_panels_fill_on_the_bad_warehouse(timeline):
    _, _, bad = timeline
    gate = run_ops_panel(bad, "Critical gate failures").records()
    assert [r["day"].isoformat() for r in gate] == ["2026-01-30"]
    assert gate[0]["failed_critical"] >= 1 and "user_id" in gate[0]["expectations"]
    failed = run_ops_panel(bad, "Failed and abandoned runs").records()
    assert {(r["step"], r["status"]) for r in failed} == {("validate", "quality_failed"), ("transform", "running > 1 h")}
    assert run_ops_panel(bad, "Failed or abandoned runs (time range)").rows == [(2,)]
    per_day = {r["time"].isoformat(): r for r in run_ops_panel(bad, "Expectations passed / failed per day").records()}
    assert per_day["2026-01-30"]["failed critical"] >= 1 and per_day["2026-01-31"]["failed critical"] == 0
