"""The failure alert reads the failing expectations from ops.validation_results and posts them."""

from __future__ import annotations

import json
import logging
from types import SimpleNamespace

import pytest

import support
from retention_airflow import alerts

pytestmark = pytest.mark.real


@pytest.fixture
def webhook():
    hook = support.Webhook()
    yield hook
    hook.close()


def record_validation(db, day: str, rows: list[tuple]) -> None:
    """One validate run in ops.task_runs with its expectation rows."""
    (run_id,) = db.query(
        "INSERT INTO ops.task_runs (step, batch_date, status, finished_at) "
        "VALUES ('validate', %s, 'quality_failed', clock_timestamp()) RETURNING run_id",
        (day,),
    )[0]
    for suite, table, kind, column, kwargs, severity, success, unexpected, percent, *observed in rows:
        db.query(
            "INSERT INTO ops.validation_results (run_id, batch_date, suite, table_name, "
            "expectation_type, column_name, kwargs, severity, success, unexpected_count, "
            "unexpected_percent, observed_value, result) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, '{}') RETURNING result_id",
            (run_id, day, suite, table, kind, column, json.dumps(kwargs), severity, success, unexpected, percent,
             json.dumps(observed[0]) if observed else None),
        )


def test_alert_names_the_failing_expectations_of_the_latest_validation_and_posts_them(
    fresh_db, webhook, monkeypatch, caplog
):
    support.run([str(support.retention_bin()), "init"], {"DATABASE_URL": fresh_db.url, "PATH": "/usr/bin:/bin"}, check=True)
    # An earlier validation of the same day failed on something else: not part of this alert.
    record_validation(fresh_db, "2026-01-02", [
        ("staging_events", "staging.events", "expect_column_values_to_be_unique", "event_id", {"column": "event_id"}, "critical", False, 9, 0.9),
    ])
    record_validation(fresh_db, "2026-01-02", [
        ("staging_events", "staging.events", "expect_column_values_to_not_be_null", "user_id", {"column": "user_id"}, "critical", False, 12, 1.5),
        ("staging_events", "staging.events", "expect_column_values_to_be_in_set", "device", {"column": "device", "value_set": ["web"]}, "warning", False, 3, 0.375),
        ("staging_users", "staging.users", "expect_column_values_to_not_be_null", "user_id", {"column": "user_id"}, "critical", True, 0, 0.0),
        ("staging_users", "staging.users", "expect_table_row_count_to_be_between", None, {"max_value": 10}, "critical", False, None, None, 850),
    ])
    # Another day's failure is not this day's.
    record_validation(fresh_db, "2026-01-03", [
        ("staging_users", "staging.users", "expect_table_row_count_to_be_between", None, {"min_value": 1}, "critical", False, None, None),
    ])
    monkeypatch.setenv("AIRFLOW_CONN_RETENTION_POSTGRES", fresh_db.url_with_password())
    monkeypatch.setenv("RETENTION_ALERT_WEBHOOK", webhook.url)
    context = {
        "ti": SimpleNamespace(dag_id="retention_pipeline", task_id="validate", run_id="scheduled__2026-01-02", try_number=1),
        "ds": "2026-01-02",
        "exception": "retention validate: quality gate failed (exit 3), not retried: 1 critical expectation failed",
    }
    with caplog.at_level(logging.INFO, logger="retention.alert"):
        alerts.alert_on_failure(context)

    expected = [
        {"suite": "staging_events", "table_name": "staging.events", "expectation_type": "expect_column_values_to_not_be_null",
         "column_name": "user_id", "kwargs": {"column": "user_id"}, "severity": "critical", "unexpected_count": 12, "unexpected_percent": 1.5,
         "observed_value": None},
        {"suite": "staging_users", "table_name": "staging.users", "expectation_type": "expect_table_row_count_to_be_between",
         "column_name": None, "kwargs": {"max_value": 10}, "severity": "critical", "unexpected_count": None, "unexpected_percent": None,
         "observed_value": 850},
        {"suite": "staging_events", "table_name": "staging.events", "expectation_type": "expect_column_values_to_be_in_set",
         "column_name": "device", "kwargs": {"column": "device", "value_set": ["web"]}, "severity": "warning", "unexpected_count": 3, "unexpected_percent": 0.375,
         "observed_value": None},
    ]
    assert webhook.bodies == [{
        "alert": "retention_pipeline task failed",
        "dag_id": "retention_pipeline",
        "run_id": "scheduled__2026-01-02",
        "task_id": "validate",
        "try_number": 1,
        "logical_date": "2026-01-02",
        "error": context["exception"],
        "failing_expectations": expected,
    }]
    message = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)
    assert message == (
        "RETENTION ALERT: retention_pipeline 2026-01-02: task validate failed: " + context["exception"] + "\n"
        "3 failing expectation(s):\n"
        "  - [critical] staging_events staging.events expect_column_values_to_not_be_null(user_id): 12 unexpected (1.50%)\n"
        "  - [critical] staging_users staging.users expect_table_row_count_to_be_between: observed 850\n"
        "  - [warning] staging_events staging.events expect_column_values_to_be_in_set(device): 3 unexpected (0.38%)"
    )
    assert support.PASSWORD not in json.dumps(webhook.bodies) + message


def test_alert_still_goes_out_when_the_database_cannot_be_read(webhook, monkeypatch, caplog):
    monkeypatch.setenv("AIRFLOW_CONN_RETENTION_POSTGRES", "postgres://nobody@127.0.0.1:1/none")
    monkeypatch.setenv("RETENTION_ALERT_WEBHOOK", webhook.url)
    context = {"ti": SimpleNamespace(dag_id="retention_pipeline", task_id="validate", run_id="r", try_number=2),
               "ds": "2026-01-05", "exception": "boom"}
    with caplog.at_level(logging.INFO, logger="retention.alert"):
        alerts.alert_on_failure(context)
    (body,) = webhook.bodies
    assert body["failing_expectations"] == []
    assert body["expectations_error"].startswith("could not read ops.validation_results: ")
    assert "RETENTION ALERT: retention_pipeline 2026-01-05: task validate failed: boom" in caplog.text
