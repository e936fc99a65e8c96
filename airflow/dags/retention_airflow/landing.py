"""The wait for a producer's landing day (``RETENTION_SOURCE=files``): a ``PythonSensor`` in
``reschedule`` mode (it holds no worker slot between pokes) that succeeds once the day is
there, and fails when it has not come within its timeout.

A producer that writes ``_manifest.json`` writes it last, once the day is complete: the wait
is for it. A producer that writes none is waited for until ``events.csv``, ``users.csv`` and
``products.csv`` are all there (it should move each file into place whole).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from airflow.providers.standard.sensors.python import PythonSensor
from airflow.sdk.exceptions import AirflowFailException

from retention_airflow.settings import Settings

log = logging.getLogger(__name__)

MANIFEST_FILE = "_manifest.json"
LANDING_FILES = ("events.csv", "users.csv", "products.csv")

#: How often the sensor looks, and how long it waits for a day before failing the run.
POKE_INTERVAL = timedelta(minutes=5)
WAIT_TIMEOUT = timedelta(hours=12)


def awaited(manifest: bool) -> tuple[str, ...]:
    """The files whose presence says the day is complete."""
    return (MANIFEST_FILE,) if manifest else LANDING_FILES


def day_ready(data_dir: str | Path, day: str, manifest: bool) -> bool:
    """Whether day ``day`` (YYYY-MM-DD) is complete under ``data_dir/dt=day/``; logs what it
    still lacks."""
    directory = Path(data_dir) / f"dt={day}"
    missing = [name for name in awaited(manifest) if not (directory / name).is_file()]
    if missing:
        log.info("landing day %s not complete yet: %s lacks %s", day, directory, ", ".join(missing))
        return False
    log.info("landing day %s is complete in %s", day, directory)
    return True


def _poke(day: str, manifest: bool, landing_dir: str | None) -> bool:
    if landing_dir is None:
        # The local runner's data directory, resolved as its steps resolve it.
        from retention_airflow.operators import local_data_dir

        landing_dir = local_data_dir()
    return day_ready(landing_dir, day, manifest)


class WaitForLandingDay(PythonSensor):
    """Waits for the logical day's landing files (see the module's docstring)."""

    def __init__(self, *, settings: Settings, **kwargs) -> None:
        super().__init__(
            python_callable=_poke,
            op_kwargs={
                "day": "{{ ds }}",
                "manifest": settings.landing_manifest,
                "landing_dir": settings.landing_dir,
            },
            mode="reschedule",
            poke_interval=POKE_INTERVAL,
            timeout=WAIT_TIMEOUT,
            **kwargs,
        )

    def render_template_fields(self, context, jinja_env=None) -> None:
        if context.get("logical_date") is None:
            from retention_airflow.operators import NO_LOGICAL_DATE

            raise AirflowFailException(NO_LOGICAL_DATE)
        super().render_template_fields(context, jinja_env)
