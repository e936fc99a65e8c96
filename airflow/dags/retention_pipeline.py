"""retention_pipeline: one run = one logical day of the simulated year.

``init >> generate >> load >> validate >> scd >> transform``: each task runs one ``retention``
subcommand (``--date {{ ds }}``; ``init`` takes no date) and pushes the step's JSON summary
line to XCom. By default each step runs in the ``retention`` image (DockerOperator; the image
is the Variable ``retention_image``, default ``retention:latest``); with
``RETENTION_RUNNER=local`` the same tasks run the local binary (``RETENTION_BIN``).

The warehouse is the Airflow Connection ``retention_postgres``. Its URL, password included,
is resolved when a task executes and handed only to the step's environment: it never appears
in rendered templates, logs or XCom. Runtime failures are retried with backoff; a failed
quality gate (exit 3) or a usage error (exit 2) fails the run at once, and every final task
failure raises an alert naming the failing expectations (``RETENTION_ALERT_WEBHOOK``).
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from airflow.sdk import DAG, CronTriggerTimetable, chain

# The helper package sits beside this file; not every DAG loader puts the DAGs folder on
# sys.path (an in-process DagBag does not).
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from retention_airflow import settings as deployment
from retention_airflow.alerts import alert_on_failure
from retention_airflow.operators import RetentionDockerOperator, RetentionLocalOperator

SETTINGS = deployment.load()
OPERATOR = RetentionLocalOperator if SETTINGS.runner == "local" else RetentionDockerOperator


def _midnight(day) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


with DAG(
    dag_id="retention_pipeline",
    description="Website user-activity pipeline, one logical day per run",
    doc_md=__doc__,
    # Explicit, so that the `create_cron_data_intervals` setting cannot change what a run's
    # logical date means: the run of day D has logical date D 00:00 UTC ({{ ds }} = D).
    schedule=CronTriggerTimetable("@daily", timezone="UTC"),
    start_date=_midnight(SETTINGS.start),
    end_date=_midnight(SETTINGS.end),
    catchup=True,
    max_active_runs=1,
    max_active_tasks=1,
    default_args={
        "retries": SETTINGS.retries,
        "retry_delay": timedelta(seconds=30),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=10),
        # A day takes seconds at the default scale; a hung step must not block the schedule.
        "execution_timeout": timedelta(hours=2),
        "on_failure_callback": alert_on_failure,
    },
    tags=["retention", SETTINGS.runner],
) as dag:
    chain(*(OPERATOR(task_id=step, step=step, settings=SETTINGS) for step in deployment.STEPS))
