"""``RETENTION_SOURCE=files``: the DAG without ``generate``, waiting for the producer's day
before ``load``, and the wait itself on days that are there, absent or half-written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from airflow.dag_processing.dagbag import DagBag
from airflow.providers.standard.sensors.python import PythonSensor
from airflow.sdk.exceptions import AirflowFailException

import support
from retention_airflow import landing
from test_dag import context, load_dag, rendered

FILES_TASKS = ["init", "wait_for_files", "load", "validate", "scd", "transform"]


def done(sensor) -> bool:
    """One poke of the sensor, as Airflow reads it: done or not."""
    answer = sensor.poke(context())
    return bool(getattr(answer, "is_done", answer))


def write_day(root, day: str, names) -> None:
    directory = root / f"dt={day}"
    directory.mkdir(parents=True, exist_ok=True)
    for name in names:
        (directory / name).write_text("x\n")


def test_files_source_has_no_generate_and_waits_for_the_day_before_load(monkeypatch, tmp_path):
    dag = load_dag(monkeypatch, RETENTION_SOURCE="files", RETENTION_LANDING_DIR=str(tmp_path))
    assert [t.task_id for t in dag.topological_sort()] == FILES_TASKS
    assert dag.get_task("wait_for_files").upstream_task_ids == {"init"}
    assert dag.get_task("load").upstream_task_ids == {"wait_for_files"}
    assert dag.get_task("scd").upstream_task_ids == {"validate", "load"}
    assert dag.get_task("transform").upstream_task_ids == {"scd"}
    sensor = dag.get_task("wait_for_files")
    assert isinstance(sensor, PythonSensor)
    assert sensor.mode == "reschedule"
    assert sensor.timeout == landing.WAIT_TIMEOUT.total_seconds()
    assert sensor.poke_interval == landing.POKE_INTERVAL.total_seconds()
    # The wait looks ahead freely; load keeps its ordering on the previous day.
    assert (sensor.depends_on_past, sensor.wait_for_downstream) == (False, False)
    load = dag.get_task("load")
    assert (load.depends_on_past, load.wait_for_downstream) == (True, True)
    # A producer that writes a manifest: load checks the files against it.
    assert rendered(dag, "load").command == ["load", "--date", "2026-01-03"]


def test_the_simulated_dag_is_unchanged_by_default(monkeypatch):
    dag = load_dag(monkeypatch)
    assert [t.task_id for t in dag.topological_sort()] == list(support.STEPS)
    assert "wait_for_files" not in dag.task_ids


def test_a_producer_without_manifest_loads_with_no_manifest(monkeypatch, tmp_path):
    dag = load_dag(
        monkeypatch,
        RETENTION_SOURCE="files",
        RETENTION_LANDING_DIR=str(tmp_path),
        RETENTION_LANDING_MANIFEST="no",
    )
    assert rendered(dag, "load").command == ["load", "--date", "2026-01-03", "--no-manifest"]
    assert rendered(dag, "validate").command == ["validate", "--date", "2026-01-03"]
    local = load_dag(
        monkeypatch, RETENTION_RUNNER="local", RETENTION_SOURCE="files", RETENTION_LANDING_MANIFEST="no"
    )
    assert rendered(local, "load").bash_command.endswith(" load --date 2026-01-03 --no-manifest")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"RETENTION_SOURCE": "kafka"}, "RETENTION_SOURCE='kafka': expected one of simulate, files"),
        ({"RETENTION_SOURCE": "files"}, "RETENTION_SOURCE=files with the docker runner needs RETENTION_LANDING_DIR"),
        (
            {"RETENTION_SOURCE": "files", "RETENTION_RUNNER": "local", "RETENTION_LANDING_MANIFEST": "maybe"},
            "RETENTION_LANDING_MANIFEST='maybe': expected yes or no",
        ),
    ],
)
def test_unusable_source_settings_fail_the_import_with_a_clear_message(monkeypatch, env, message):
    for key in ("RETENTION_RUNNER", "RETENTION_LANDING_DIR", "RETENTION_LANDING_MANIFEST"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    bag = DagBag(dag_folder=str(support.DAGS_FOLDER))
    (error,) = bag.import_errors.values()
    assert message in error


def test_the_wait_needs_a_logical_date(monkeypatch, tmp_path):
    dag = load_dag(monkeypatch, RETENTION_SOURCE="files", RETENTION_LANDING_DIR=str(tmp_path))
    with pytest.raises(AirflowFailException, match="has no logical date"):
        rendered(dag, "wait_for_files", context(None))


def test_the_wait_ends_when_the_manifest_is_there(monkeypatch, tmp_path):
    dag = load_dag(monkeypatch, RETENTION_SOURCE="files", RETENTION_LANDING_DIR=str(tmp_path))
    sensor = rendered(dag, "wait_for_files")
    assert sensor.op_kwargs == {"day": "2026-01-03", "manifest": True, "landing_dir": str(tmp_path)}
    # Absent, then the three files without the manifest (still being written): not yet.
    assert done(sensor) is False
    write_day(tmp_path, "2026-01-03", landing.LANDING_FILES)
    assert done(sensor) is False
    # Another day's manifest does not count.
    write_day(tmp_path, "2026-01-04", [landing.MANIFEST_FILE])
    assert done(sensor) is False
    write_day(tmp_path, "2026-01-03", [landing.MANIFEST_FILE])
    assert done(sensor) is True


def test_without_manifest_the_wait_ends_when_the_three_files_are_there(monkeypatch, tmp_path):
    dag = load_dag(
        monkeypatch,
        RETENTION_SOURCE="files",
        RETENTION_LANDING_DIR=str(tmp_path),
        RETENTION_LANDING_MANIFEST="no",
    )
    sensor = rendered(dag, "wait_for_files")
    assert done(sensor) is False
    write_day(tmp_path, "2026-01-03", ["events.csv", "users.csv"])
    assert done(sensor) is False
    write_day(tmp_path, "2026-01-03", ["products.csv"])
    assert done(sensor) is True


def test_the_local_runner_waits_in_its_data_directory(monkeypatch, tmp_path):
    monkeypatch.setenv("RETENTION_DATA_DIR", str(tmp_path))
    dag = load_dag(monkeypatch, RETENTION_RUNNER="local", RETENTION_SOURCE="files")
    sensor = rendered(dag, "wait_for_files")
    assert sensor.op_kwargs["landing_dir"] is None
    assert done(sensor) is False
    write_day(tmp_path, "2026-01-03", [landing.MANIFEST_FILE])
    assert done(sensor) is True


def test_day_ready_is_false_for_a_directory_that_is_not_there(tmp_path):
    assert landing.day_ready(tmp_path / "nowhere", "2026-01-03", manifest=True) is False
    assert landing.day_ready(tmp_path / "nowhere", "2026-01-03", manifest=False) is False
    assert landing.WAIT_TIMEOUT == timedelta(hours=12)
