"""Deployment settings of the retention DAG, read from the environment when the DAG is parsed.

They describe *where* the DAG runs (runner, image volume, network, simulated year), so they
belong to the Airflow deployment, not to a run. Everything secret (the database password) is
resolved only when a task executes, from the Airflow Connection ``retention_postgres``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

#: The pipeline steps in order; one task each, one ``retention`` subcommand each.
STEPS: tuple[str, ...] = ("init", "generate", "load", "validate", "scd", "transform")

#: Where the days' landing files come from (``RETENTION_SOURCE``), as ``retention run
#: --source`` says it: ``simulate`` generates each day; ``files`` waits for another producer's.
SOURCES = ("simulate", "files")

#: The task that waits for a producer's landing day (``files`` only), before ``load``.
WAIT_TASK = "wait_for_files"

#: Steps that take ``--date``; ``init`` migrates the warehouse and needs no day.
DATED_STEPS = frozenset(STEPS) - {"init"}

#: What each step waits for in the previous day's run (see the DAG's docstring): scd and
#: transform run in date order; load waits for its own previous run's direct downstream
#: tasks, which include scd; init and generate wait for nothing.
ORDERING: dict[str, dict[str, bool]] = {
    "load": {"depends_on_past": True, "wait_for_downstream": True},
    "scd": {"depends_on_past": True, "wait_for_downstream": True},
    "transform": {"depends_on_past": True},
}

#: The Airflow Connection that holds the warehouse URL (and its password).
CONN_ID = "retention_postgres"

#: The Airflow Variable naming the image, and its default.
IMAGE_VARIABLE = "retention_image"
DEFAULT_IMAGE = "retention:latest"

#: Where the image keeps landing files (its ``RETENTION_DATA_DIR``).
CONTAINER_DATA_DIR = "/data"

RUNNERS = ("docker", "local")

# In a checkout the DAG file lives in <repo>/airflow/dags/, and the local runner defaults to
# the checkout's config/retention.yaml when there is one. Deployed elsewhere (say /dags), there
# is no such parent: no default.
_PARENTS = Path(__file__).resolve().parents
REPO_ROOT: Path | None = _PARENTS[3] if len(_PARENTS) > 3 else None


def tasks(source: str) -> tuple[str, ...]:
    """The DAG's tasks in order: the steps, or for ``files`` no ``generate`` and the wait for
    the day's files before ``load``."""
    if source == "files":
        return ("init", WAIT_TASK, "load", "validate", "scd", "transform")
    return STEPS


@dataclass(frozen=True)
class Settings:
    """Everything the DAG needs at parse time."""

    runner: str
    start: date
    end: date
    data_volume: str
    docker_network: str
    docker_url: str | None
    local_config: str | None
    retries: int
    max_active_runs: int
    source: str = "simulate"
    #: ``files``: whether the producer writes ``_manifest.json`` (then the wait is for it and
    #: ``load`` checks the files against it; else the wait is for the three files and ``load``
    #: runs with ``--no-manifest``).
    landing_manifest: bool = True
    #: ``files``: where this Airflow worker sees the landing days (``dt=YYYY-MM-DD/``); ``None``
    #: with the local runner means its data directory.
    landing_dir: str | None = None

    def step_flags(self, step: str) -> list[str]:
        """Flags a step takes beyond ``--date``: ``load --no-manifest`` for a producer
        that writes no manifest."""
        if step == "load" and self.source == "files" and not self.landing_manifest:
            return ["--no-manifest"]
        return []


class SettingsError(ValueError):
    """A deployment setting has a value the DAG cannot use."""


def _date(name: str, default: str) -> date:
    raw = os.environ.get(name, default)
    try:
        return date.fromisoformat(raw)
    except ValueError as e:
        raise SettingsError(f"{name}={raw!r} is not a date (YYYY-MM-DD)") from e


def load() -> Settings:
    """Reads the settings; an unusable value fails the DAG import with a clear message."""
    runner = os.environ.get("RETENTION_RUNNER", "docker").strip().lower() or "docker"
    if runner not in RUNNERS:
        raise SettingsError(f"RETENTION_RUNNER={runner!r}: expected one of {', '.join(RUNNERS)}")
    start = _date("RETENTION_START", "2026-01-01")
    end = _date("RETENTION_END", "2026-12-31")
    if end < start:
        raise SettingsError(f"RETENTION_END {end} is before RETENTION_START {start}")
    config = os.environ.get("RETENTION_CONFIG") or None
    if config is None and REPO_ROOT is not None and (REPO_ROOT / "config" / "retention.yaml").is_file():
        config = str(REPO_ROOT / "config" / "retention.yaml")
    try:
        retries = int(os.environ.get("RETENTION_RETRIES", "2"))
    except ValueError as e:
        raise SettingsError("RETENTION_RETRIES must be an integer") from e
    try:
        max_active_runs = int(os.environ.get("RETENTION_MAX_ACTIVE_RUNS", "3"))
    except ValueError as e:
        raise SettingsError("RETENTION_MAX_ACTIVE_RUNS must be an integer") from e
    if max_active_runs < 1:
        raise SettingsError("RETENTION_MAX_ACTIVE_RUNS must be at least 1")
    source = os.environ.get("RETENTION_SOURCE", "simulate").strip().lower() or "simulate"
    if source not in SOURCES:
        raise SettingsError(f"RETENTION_SOURCE={source!r}: expected one of {', '.join(SOURCES)}")
    raw_manifest = os.environ.get("RETENTION_LANDING_MANIFEST", "yes").strip().lower() or "yes"
    if raw_manifest not in ("yes", "no"):
        raise SettingsError(f"RETENTION_LANDING_MANIFEST={raw_manifest!r}: expected yes or no")
    landing_dir = os.environ.get("RETENTION_LANDING_DIR") or None
    if source == "files" and runner == "docker" and landing_dir is None:
        raise SettingsError(
            "RETENTION_SOURCE=files with the docker runner needs RETENTION_LANDING_DIR: the "
            "directory where this Airflow worker sees the landing days that the steps' "
            "volume holds, so that it can wait for each day's files"
        )
    return Settings(
        runner=runner,
        start=start,
        end=end,
        data_volume=os.environ.get("RETENTION_DATA_VOLUME", "retention-landing"),
        docker_network=os.environ.get("RETENTION_DOCKER_NETWORK", "host"),
        docker_url=os.environ.get("RETENTION_DOCKER_URL") or None,
        local_config=config,
        retries=retries,
        max_active_runs=max_active_runs,
        source=source,
        landing_manifest=raw_manifest == "yes",
        landing_dir=landing_dir,
    )
