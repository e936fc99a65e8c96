"""The failure alert: which task failed for which day, and for a failed quality gate the
expectations that did not hold, read from ``ops.validation_results``. Logged as one clear
block and, when ``RETENTION_ALERT_WEBHOOK`` is set, POSTed to it as JSON.

The callback never raises: an alert that cannot read the database or reach the webhook says
so in the log and still reports what it knows.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from retention_airflow.operators import database_url

log = logging.getLogger("retention.alert")

FAILING_SQL = (Path(__file__).parent / "failing_expectations.sql").read_text()


def failing_expectations(url: str, day: str) -> list[dict[str, Any]]:
    """The failing expectations of the latest validation of ``day`` (YYYY-MM-DD)."""
    import psycopg  # imported here so parsing the DAG does not need a database driver
    from psycopg.rows import dict_row

    with psycopg.connect(url, connect_timeout=10, row_factory=dict_row) as conn:
        rows = conn.execute(FAILING_SQL, {"day": day}).fetchall()
    for row in rows:
        row["kwargs"] = json.loads(row["kwargs"])
        row["observed_value"] = json.loads(row["observed_value"]) if row["observed_value"] else None
    return rows


def describe(expectation: dict[str, Any]) -> str:
    """One line per failing expectation, e.g.
    ``[critical] staging_events staging.events expect_column_values_to_not_be_null(user_id): 3 unexpected (0.12%)``
    or, for a table-level one, ``...: observed 0``."""
    column = f"({expectation['column_name']})" if expectation.get("column_name") else ""
    count = expectation.get("unexpected_count")
    percent = expectation.get("unexpected_percent")
    observed = expectation.get("observed_value")
    tail = ""
    if count is not None:
        tail = f": {count} unexpected" + (f" ({percent:.2f}%)" if percent is not None else "")
    elif observed is not None:
        tail = f": observed {json.dumps(observed)}"
    return (
        f"[{expectation['severity']}] {expectation['suite']} {expectation['table_name']} "
        f"{expectation['expectation_type']}{column}{tail}"
    )


def build_alert(context: dict[str, Any]) -> dict[str, Any]:
    """The alert as a JSON-able dict."""
    ti = context.get("ti") or context.get("task_instance")
    dag_run = context.get("dag_run")
    day = context.get("ds")
    alert: dict[str, Any] = {
        "alert": "retention_pipeline task failed",
        "dag_id": getattr(ti, "dag_id", None),
        "run_id": getattr(dag_run, "run_id", None) or getattr(ti, "run_id", None),
        "task_id": getattr(ti, "task_id", None),
        "try_number": getattr(ti, "try_number", None),
        "logical_date": day,
        "error": str(context.get("exception") or "unknown"),
        "failing_expectations": [],
    }
    if alert["task_id"] == "validate" and day:
        try:
            alert["failing_expectations"] = failing_expectations(database_url(), day)
        except Exception as e:  # the alert must still go out
            alert["expectations_error"] = f"could not read ops.validation_results: {e}"
    return alert


def post(url: str, alert: dict[str, Any]) -> None:
    body = json.dumps(alert, default=str).encode()
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    # Webhook URLs often carry a token in the path: log the host only.
    host = urllib.parse.urlsplit(url).netloc
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            log.info("retention alert posted to %s: HTTP %s", host, response.status)
    except (urllib.error.URLError, OSError) as e:
        log.error("retention alert could not be posted to %s: %s", host, e)


def alert_on_failure(context: dict[str, Any]) -> None:
    """``on_failure_callback`` of every task: logs the alert and posts it if configured."""
    try:
        alert = build_alert(context)
        lines = [
            f"RETENTION ALERT: {alert['dag_id']} {alert['logical_date']}: task "
            f"{alert['task_id']} failed: {alert['error']}"
        ]
        failing = alert["failing_expectations"]
        if failing:
            lines.append(f"{len(failing)} failing expectation(s):")
            lines.extend(f"  - {describe(e)}" for e in failing)
        if "expectations_error" in alert:
            lines.append(alert["expectations_error"])
        log.error("\n".join(lines))
        webhook = os.environ.get("RETENTION_ALERT_WEBHOOK")
        if webhook:
            post(webhook, alert)
    except Exception:
        log.exception("RETENTION ALERT: the failure alert itself failed")
