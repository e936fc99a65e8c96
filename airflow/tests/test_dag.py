"""The DAG as Airflow sees it: imports, structure, rendered commands, runners, secrets."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone

import pytest
from airflow.dag_processing.dagbag import DagBag
from airflow.providers.docker.operators.docker import DockerOperator
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import CronTriggerTimetable
from airflow.sdk.exceptions import AirflowException, AirflowFailException
from airflow.sdk.execution_time.context import VariableAccessor

import support
from retention_airflow import operators

DAY = datetime(2026, 1, 3, tzinfo=timezone.utc)
STEPS = ["init", "generate", "load", "validate", "scd", "transform"]


def load_dag(monkeypatch, **env: str):
    for key in (
        "RETENTION_RUNNER",
        "RETENTION_CONFIG",
        "RETENTION_DATA_VOLUME",
        "RETENTION_DOCKER_NETWORK",
        "RETENTION_MAX_ACTIVE_RUNS",
        "RETENTION_SOURCE",
        "RETENTION_LANDING_MANIFEST",
        "RETENTION_LANDING_DIR",
    ):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    bag = DagBag(dag_folder=str(support.DAGS_FOLDER))
    assert bag.import_errors == {}
    return bag.dags["retention_pipeline"]


def context(day: datetime | None = DAY) -> dict:
    ctx: dict = {"var": {"value": VariableAccessor(deserialize_json=False)}}
    if day is not None:
        ctx.update(logical_date=day, ds=day.strftime("%Y-%m-%d"))
    else:
        ctx.update(logical_date=None)
    return ctx


def rendered(dag, task_id: str, ctx: dict | None = None):
    task = copy.deepcopy(dag.get_task(task_id))
    task.render_template_fields(ctx if ctx is not None else context())
    return task


def test_the_dag_folder_imports_without_errors(monkeypatch):
    monkeypatch.delenv("RETENTION_RUNNER", raising=False)
    bag = DagBag(dag_folder=str(support.DAGS_FOLDER))
    assert bag.import_errors == {}
    assert list(bag.dags) == ["retention_pipeline"]


def test_tasks_are_the_six_steps_in_a_chain(monkeypatch):
    dag = load_dag(monkeypatch)
    assert [t.task_id for t in dag.topological_sort()] == STEPS
    for before, after in zip(STEPS, STEPS[1:]):
        # scd also has load as a direct upstream: the edge that lets load(D) wait for scd(D-1).
        extra = {"load"} if after == "scd" else set()
        assert dag.get_task(after).upstream_task_ids == {before} | extra
    assert dag.get_task("init").upstream_task_ids == set()
    assert dag.get_task("transform").downstream_task_ids == set()


def test_days_overlap_only_where_the_order_cannot_change_a_number(monkeypatch):
    dag = load_dag(monkeypatch)
    # Several days at once (RETENTION_MAX_ACTIVE_RUNS, default 3) ...
    assert dag.max_active_runs == 3
    waits = {
        t.task_id: (t.depends_on_past, t.wait_for_downstream) for t in dag.tasks
    }
    # ... but scd and transform in date order (scd(D) waits for transform(D-1)), load(D)
    # after scd(D-1) (its direct downstream includes scd), init and generate free.
    assert waits == {
        "init": (False, False),
        "generate": (False, False),
        "load": (True, True),
        "validate": (False, False),
        "scd": (True, True),
        "transform": (True, False),
    }
    assert "scd" in dag.get_task("load").downstream_task_ids
    assert dag.get_task("scd").downstream_task_ids == {"transform"}


def test_max_active_runs_is_a_setting(monkeypatch):
    assert load_dag(monkeypatch, RETENTION_MAX_ACTIVE_RUNS="1").max_active_runs == 1


def test_the_schedule_is_daily_over_the_simulated_year(monkeypatch):
    dag = load_dag(monkeypatch)
    assert dag.catchup is True
    assert dag.start_date == datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert dag.end_date == datetime(2026, 12, 31, tzinfo=timezone.utc)
    assert isinstance(dag.timetable, CronTriggerTimetable)
    assert dag.timetable.expression == "0 0 * * *"


def test_docker_tasks_render_the_subcommand_for_the_logical_day(monkeypatch):
    monkeypatch.delenv("AIRFLOW_VAR_RETENTION_IMAGE", raising=False)
    dag = load_dag(monkeypatch)
    for step in STEPS:
        task = rendered(dag, step)
        assert isinstance(task, DockerOperator)
        expected = [step] if step == "init" else [step, "--date", "2026-01-03"]
        assert task.command == expected
        assert task.image == "retention:latest"
        assert task.network_mode == "host"
        assert task.environment == {"RETENTION_DATA_DIR": "/data"}
        assert [(m["Target"], m["Source"], m["Type"]) for m in task.mounts] == [
            ("/data", "retention-landing", "volume")
        ]
        assert task.mount_tmp_dir is False


def test_the_image_comes_from_the_retention_image_variable(monkeypatch):
    monkeypatch.setenv("AIRFLOW_VAR_RETENTION_IMAGE", "registry.example/retention:1.2.3")
    dag = load_dag(monkeypatch)
    assert rendered(dag, "load").image == "registry.example/retention:1.2.3"


def test_local_runner_runs_the_same_steps_with_the_local_binary(monkeypatch):
    dag = load_dag(monkeypatch, RETENTION_RUNNER="local", RETENTION_CONFIG="/etc/my config.yaml")
    assert [t.task_id for t in dag.topological_sort()] == STEPS
    for step in STEPS:
        task = rendered(dag, step)
        assert isinstance(task, BashOperator) and not isinstance(task, DockerOperator)
        date = "" if step == "init" else " --date 2026-01-03"
        assert task.bash_command == f"\"$RETENTION_BIN\" --config '/etc/my config.yaml' {step}{date}"
        assert task.append_env is True
        assert task.skip_on_exit_code == []


def test_an_unknown_runner_fails_the_import_with_a_clear_message(monkeypatch):
    monkeypatch.setenv("RETENTION_RUNNER", "kubernetes")
    bag = DagBag(dag_folder=str(support.DAGS_FOLDER))
    (error,) = bag.import_errors.values()
    assert "RETENTION_RUNNER='kubernetes': expected one of docker, local" in error


@pytest.mark.parametrize("runner", ["docker", "local"])
def test_the_database_password_is_never_in_a_rendered_template(monkeypatch, runner):
    url = f"postgres://retention:{support.PASSWORD}@db.example:5432/warehouse"
    monkeypatch.setenv("AIRFLOW_CONN_RETENTION_POSTGRES", url)
    dag = load_dag(monkeypatch, RETENTION_RUNNER=runner)
    for step in STEPS:
        task = rendered(dag, step)
        text = repr([getattr(task, field) for field in task.template_fields])
        assert support.PASSWORD not in text
    # It is resolved at execute time, for the step's process environment only.
    assert operators.database_url() == url


def test_a_run_without_logical_date_is_refused_with_a_clear_message(monkeypatch):
    dag = load_dag(monkeypatch)
    with pytest.raises(AirflowFailException, match="has no logical date"):
        rendered(dag, "generate", context(None))
    # init takes no date, so it still renders.
    assert rendered(dag, "init", context(None)).command == ["init"]


def test_quality_gate_and_usage_failures_are_not_retried_runtime_errors_are():
    cause = RuntimeError("exit")
    line = '{"step":"validate","status":"quality_failed","error":"2 critical expectations failed"}'
    with pytest.raises(AirflowFailException, match="quality gate failed \\(exit 3\\), not retried: 2 critical"):
        operators.fail("validate", 3, line, cause)
    with pytest.raises(AirflowFailException, match="usage error \\(exit 2\\)"):
        operators.fail("load", 2, None, cause)
    # A lost exit code still recognises the gate from the JSON line's status.
    with pytest.raises(AirflowFailException, match="quality gate failed"):
        operators.fail("validate", None, line, cause)
    with pytest.raises(AirflowException) as runtime:
        operators.fail("load", 1, '{"status":"error","error":"connection refused"}', cause)
    assert not isinstance(runtime.value, AirflowFailException)
    assert str(runtime.value) == "retention load failed (exit 1): connection refused"


def test_runtime_failures_retry_with_exponential_backoff(monkeypatch):
    dag = load_dag(monkeypatch)
    for task in dag.tasks:
        assert task.retries == 2
        assert task.retry_exponential_backoff
        assert task.retry_delay == timedelta(seconds=30)
        assert task.execution_timeout == timedelta(hours=2)
        assert task.on_failure_callback


def test_local_runner_defaults_to_the_checkouts_config(monkeypatch):
    dag = load_dag(monkeypatch, RETENTION_RUNNER="local")
    config = support.REPO_ROOT / "config/retention.yaml"
    assert config.is_file()
    assert rendered(dag, "scd").bash_command == f'"$RETENTION_BIN" --config {config} scd --date 2026-01-03'
