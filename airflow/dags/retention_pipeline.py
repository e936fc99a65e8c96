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

Days overlap (``RETENTION_MAX_ACTIVE_RUNS`` runs at once, default 3) where that cannot change
a number: a day's ``generate`` only writes its own landing files and runs ahead freely;
``load`` of day D waits for ``scd`` of D-1 (so an erasure recorded on D-1 applies to D's rows
as they are staged, exactly as in a sequential run), which the extra edge ``load >> scd`` and
``wait_for_downstream`` express; ``scd`` of D waits for ``transform`` of D-1
(``depends_on_past`` + ``wait_for_downstream``) and ``transform`` for its own previous run,
so the dimensions and facts are built in date order. What overlaps in practice is a day's
``generate``, ``load`` and ``validate`` with the previous day's ``transform``.

With ``RETENTION_SOURCE=files`` the days are another producer's landing files, as with
``retention run --source files``: there is no ``generate`` task, and ``wait_for_files`` (a
sensor in reschedule mode) waits for the day's ``_manifest.json``, or, with
``RETENTION_LANDING_MANIFEST=no``, for its three files (``load`` then runs with
``--no-manifest``), under ``RETENTION_LANDING_DIR`` (the local runner's data directory by
default): ``init >> wait_for_files >> load >> validate >> scd >> transform``.
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
from retention_airflow.landing import WaitForLandingDay
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
    max_active_runs=SETTINGS.max_active_runs,
    # Per run the steps are a chain; across runs at most generate/load/validate of later
    # days run beside the earliest day's scd/transform.
    max_active_tasks=SETTINGS.max_active_runs,
    default_args={
        "retries": SETTINGS.retries,
        "retry_delay": timedelta(seconds=30),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=10),
        # A day takes seconds at the default scale; a hung step must not block the schedule.
        "execution_timeout": timedelta(hours=2),
        "on_failure_callback": alert_on_failure,
    },
    tags=["retention", SETTINGS.runner, SETTINGS.source],
) as dag:
    tasks = {
        step: (
            WaitForLandingDay(task_id=step, settings=SETTINGS)
            if step == deployment.WAIT_TASK
            else OPERATOR(task_id=step, step=step, settings=SETTINGS, **deployment.ORDERING.get(step, {}))
        )
        for step in deployment.tasks(SETTINGS.source)
    }
    chain(*tasks.values())
    # load(D)'s direct downstream includes scd(D), so its wait_for_downstream waits for
    # scd(D-1); the order within a day is unchanged.
    tasks["load"] >> tasks["scd"]
