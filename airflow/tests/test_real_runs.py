"""The DAG run for real: `airflow dags test` and the range script against PostgreSQL, with the
local binary and (marked `docker`) in the image."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

import support
from support import STEPS

# Every test here needs the whole pipeline (generate .. transform) in the binary.
pytestmark = [pytest.mark.real, pytest.mark.pipeline]

DATED = STEPS[1:]


def facts_per_day(db) -> dict[str, int]:
    rows = db.query("SELECT batch_date::text, count(*) FROM dw.fact_user_events GROUP BY 1 ORDER BY 1")
    return dict(rows)


def assert_no_password_anywhere(home: Path, output: str) -> None:
    assert support.PASSWORD not in output
    assert support.PASSWORD not in support.all_xcom_text(home)
    assert support.PASSWORD not in support.rendered_fields_text(home)


def assert_day_succeeded(home: Path, day: str, proc) -> None:
    assert proc.returncode == 0, proc.stdout[-8000:]
    assert support.dag_run_state(home, day) == "success"
    assert support.task_states(home, day) == {step: "success" for step in STEPS}
    pushed = support.xcoms(home, day)
    assert sorted(pushed) == sorted(STEPS)
    for step in STEPS:
        assert pushed[step]["step"] == step
        assert pushed[step]["status"] == "ok"
    for step in DATED:
        assert pushed[step]["date"] == day


def test_two_days_through_airflow_locally_land_both_days_facts_and_record_the_runs(fresh_db, tmp_path):
    home = support.airflow_home()
    env = support.local_env(home, fresh_db, tmp_path / "landing")
    output = ""
    for day in ("2026-01-01", "2026-01-02"):
        proc = support.dags_test(day, env)
        output += proc.stdout
        assert_day_succeeded(home, day, proc)

    facts = facts_per_day(fresh_db)
    assert sorted(facts) == ["2026-01-01", "2026-01-02"]
    assert all(count > 0 for count in facts.values())
    staged = dict(fresh_db.query("SELECT batch_date::text, count(*) FROM staging.events GROUP BY 1"))
    for day in ("2026-01-01", "2026-01-02"):
        # The XCom is the step's own account of the day, and it matches the warehouse.
        transform = support.xcoms(home, day)["transform"]
        assert transform["rows_out"] == facts[day]
        assert transform["rows_in"] == staged[day]
    recorded = fresh_db.query(
        "SELECT step, coalesce(batch_date::text, '-'), status, count(*) FROM ops.task_runs "
        "WHERE step <> 'generate' GROUP BY 1, 2, 3 ORDER BY 1, 2"
    )
    expected = [("init", "-", "ok", 2)] + [
        (step, day, "ok", 1)
        for step in sorted(("load", "validate", "scd", "transform"))
        for day in ("2026-01-01", "2026-01-02")
    ]
    assert recorded == expected
    assert_no_password_anywhere(home, output)


def failing_config(tmp_path: Path) -> Path:
    """A retention.yaml like the repository's, whose only suite cannot hold on any real day."""
    suite = tmp_path / "must_fail.yaml"
    suite.write_text(
        "name: must_fail\n"
        "table: staging.events\n"
        "batch: {column: batch_date}\n"
        "expectations:\n"
        "  - type: expect_table_row_count_to_be_between\n"
        "    kwargs: {min_value: 0, max_value: 0}\n"
        "    severity: critical\n"
    )
    base = support.config_file()
    config = (yaml.safe_load(base.read_text()) or {}) if base else {}
    for key in ("generator", "dimensions"):
        if key in config:
            config[key] = str((base.parent / config[key]).resolve())
    config["expectations"] = [str(suite)]
    path = tmp_path / "retention.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_a_failing_quality_gate_fails_the_run_skips_transform_and_alerts(fresh_db, tmp_path):
    home = support.airflow_home()
    hook = support.Webhook()
    try:
        env = support.local_env(
            home,
            fresh_db,
            tmp_path / "landing",
            RETENTION_CONFIG=str(failing_config(tmp_path)),
            RETENTION_ALERT_WEBHOOK=hook.url,
            # Retries are on: the gate's exit 3 must still fail at the first try.
            RETENTION_RETRIES="2",
        )
        proc = support.dags_test("2026-01-01", env)
    finally:
        hook.close()

    assert proc.returncode != 0
    assert support.dag_run_state(home, "2026-01-01") == "failed"
    assert support.task_states(home, "2026-01-01") == {
        "init": "success",
        "generate": "success",
        "load": "success",
        "validate": "failed",
        "scd": "upstream_failed",
        "transform": "upstream_failed",
    }
    assert "retention validate: quality gate failed (exit 3), not retried" in proc.stdout
    assert "RETENTION ALERT: retention_pipeline 2026-01-01: task validate failed" in proc.stdout
    assert "[critical] must_fail staging.events expect_table_row_count_to_be_between" in proc.stdout
    (alert,) = hook.bodies
    assert alert["task_id"] == "validate"
    assert alert["logical_date"] == "2026-01-01"
    assert alert["try_number"] == 1
    assert [(e["suite"], e["expectation_type"], e["severity"]) for e in alert["failing_expectations"]] == [
        ("must_fail", "expect_table_row_count_to_be_between", "critical")
    ]
    (staged,) = fresh_db.query("SELECT count(*) FROM staging.events WHERE batch_date = '2026-01-01'")[0]
    assert alert["failing_expectations"][0]["observed_value"] == staged > 0
    runs = fresh_db.query("SELECT step, status FROM ops.task_runs WHERE step IN ('validate', 'transform')")
    assert runs == [("validate", "quality_failed")]
    assert_no_password_anywhere(home, proc.stdout)


def run_range(home: Path, env: dict[str, str], first: str, last: str):
    return support.run(
        [sys.executable, str(support.AIRFLOW_DIR / "run_range.py"), "--from", first, "--to", last], env, timeout=900
    )


def steps_one_by_one(db, data_dir: Path, first: str, last: str) -> None:
    """`retention init`, then every step of every day in order, as separate commands."""
    assert support.retention(["init"], db.url, data_dir).returncode == 0
    current, end = date.fromisoformat(first), date.fromisoformat(last)
    while current <= end:
        for step in DATED:
            proc = support.retention([step, "--date", current.isoformat()], db.url, data_dir)
            assert proc.returncode == 0, proc.stdout[-6000:]
        current += timedelta(days=1)


def baseline(db, data_dir: Path, first: str, last: str) -> str:
    """The same days without Airflow: `retention run`, or the steps one by one where `run`
    is not built. Returns which it was."""
    proc = support.retention(["run", "--from", first, "--to", last], db.url, data_dir)
    if proc.returncode == 0:
        return "retention run"
    report = support.last_json(proc.stdout) or {}
    if "not built yet" not in str(report.get("error")):
        pytest.fail(f"retention run failed ({proc.returncode}):\n{proc.stdout[-6000:]}")
    steps_one_by_one(db, data_dir, first, last)
    return "steps one by one"


def test_a_week_through_the_range_script_equals_the_pipeline_run_without_airflow(tmp_path):
    through_airflow = support.FreshDatabase.create()
    direct = support.FreshDatabase.create()
    try:
        home = support.airflow_home()
        env = support.local_env(home, through_airflow, tmp_path / "airflow-landing")
        proc = run_range(home, env, "2026-01-01", "2026-01-07")
        assert proc.returncode == 0, proc.stdout[-8000:]
        assert proc.stdout.count(" success in ") == 7
        how = baseline(direct, tmp_path / "direct-landing", "2026-01-01", "2026-01-07")
        print(f"baseline: {how}")

        ours, theirs = support.warehouse_checksums(through_airflow), support.warehouse_checksums(direct)
        assert ours == theirs
        # Equal and not trivially so: every table compared holds rows.
        assert {"staging.events", "staging.users", "quarantine.rejected_rows", "dw.dim_user",
                "dw.dim_product", "dw.fact_user_events", "dw.fact_user_weekly_summary"} <= set(ours)
        assert [table for table, (rows, _) in ours.items() if rows == 0] == []
        assert sorted(facts_per_day(through_airflow)) == [f"2026-01-0{d}" for d in range(1, 8)]
    finally:
        through_airflow.drop()
        direct.drop()


def test_the_range_script_stops_at_the_first_failed_day(fresh_db, tmp_path):
    home = support.airflow_home()
    env = support.local_env(home, fresh_db, tmp_path / "landing", RETENTION_CONFIG=str(failing_config(tmp_path)))
    proc = run_range(home, env, "2026-01-01", "2026-01-03")
    assert proc.returncode == 1
    assert "run_range: 2026-01-01 failed" in proc.stdout
    assert "2026-01-02" not in "\n".join(l for l in proc.stdout.splitlines() if l.startswith("run_range:"))
    assert support.dag_run_state(home, "2026-01-02") is None


@pytest.fixture(scope="session")
def docker_image():
    """The runtime image built from the binary under test (docker/build-image.sh)."""
    info = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True)
    if info.returncode != 0:
        pytest.fail(f"the Docker path needs a Docker engine: docker info says {info.stderr.strip()[-500:]}")
    tag = "retention:airflow-test"
    env = dict(os.environ)
    config = support.config_file()
    if config is not None:
        # The same configuration the local runs of this session use.
        env["RETENTION_CONFIG_DIR"] = str(config.parent)
    subprocess.run(
        [str(support.REPO_ROOT / "docker/build-image.sh"), str(support.retention_bin()), tag],
        check=True,
        timeout=600,
        env=env,
    )
    yield tag
    # Rebuilt every session: removing it keeps untagged old builds from piling up.
    subprocess.run(["docker", "rmi", "--force", tag], capture_output=True)


@pytest.mark.docker
def test_the_docker_path_runs_every_step_in_a_container_as_a_non_root_user(docker_image, fresh_db, tmp_path):
    who = subprocess.run(["docker", "run", "--rm", "--entrypoint", "id", docker_image, "-u"], capture_output=True, text=True)
    assert who.stdout.strip() == "10001"

    home = support.airflow_home()
    # Days 1 and 2 through the local runner, so day 3 lands on a warehouse that has them.
    local = support.local_env(home, fresh_db, tmp_path / "landing")
    assert run_range(home, local, "2026-01-01", "2026-01-02").returncode == 0

    volume = f"retention-airflow-test-{uuid.uuid4().hex[:8]}"
    env = support.airflow_env(
        home,
        RETENTION_RUNNER="docker",
        RETENTION_RETRIES="0",
        RETENTION_DATA_VOLUME=volume,
        RETENTION_DOCKER_NETWORK="host",
        AIRFLOW_VAR_RETENTION_IMAGE=docker_image,
        AIRFLOW_CONN_RETENTION_POSTGRES=fresh_db.url_with_password(),
    )
    try:
        proc = support.dags_test("2026-01-03", env)
    finally:
        subprocess.run(["docker", "volume", "rm", "-f", volume], capture_output=True)
    assert_day_succeeded(home, "2026-01-03", proc)
    assert proc.stdout.count(f"Starting docker container from image {docker_image}") == len(STEPS)
    facts = facts_per_day(fresh_db)
    assert sorted(facts) == ["2026-01-01", "2026-01-02", "2026-01-03"]
    assert facts["2026-01-03"] > 0
    steps_ok = fresh_db.query(
        "SELECT DISTINCT step FROM ops.task_runs WHERE batch_date = '2026-01-03' AND status = 'ok' ORDER BY 1"
    )
    assert [step for (step,) in steps_ok] == sorted(("load", "validate", "scd", "transform"))
    assert_no_password_anywhere(home, proc.stdout)


@pytest.mark.docker
def test_a_quality_gate_failure_in_a_container_fails_at_once_and_alerts(docker_image, fresh_db):
    # A day that was never loaded: the image's default suites find no events (exit 3).
    support.retention(["init"], fresh_db.url, Path("/nonexistent"))
    home = support.airflow_home()
    hook = support.Webhook()
    try:
        env = support.airflow_env(
            home,
            RETENTION_RUNNER="docker",
            RETENTION_RETRIES="2",
            RETENTION_DATA_VOLUME=f"retention-airflow-test-{uuid.uuid4().hex[:8]}",
            AIRFLOW_VAR_RETENTION_IMAGE=docker_image,
            AIRFLOW_CONN_RETENTION_POSTGRES=fresh_db.url_with_password(),
            RETENTION_ALERT_WEBHOOK=hook.url,
        )
        proc = support.run(
            [str(support.VENV_BIN / "airflow"), "tasks", "test", "retention_pipeline", "validate", "2026-02-01"], env
        )
    finally:
        hook.close()
        subprocess.run(["docker", "volume", "rm", "-f", env["RETENTION_DATA_VOLUME"]], capture_output=True)
    # `airflow tasks test` exits 0 whatever the task did (seen with 3.3.2): judge by the log.
    assert "Docker container failed: {'Error': None, 'StatusCode': 3}" in proc.stdout
    assert "retention validate: quality gate failed (exit 3), not retried" in proc.stdout
    (alert,) = hook.bodies
    assert alert["task_id"] == "validate"
    assert "up_for_retry" not in proc.stdout.lower()
    failing = alert["failing_expectations"]
    assert failing and {e["severity"] for e in failing} >= {"critical"}
    assert ("staging.events", "expect_table_row_count_to_be_between", 0) in {
        (e["table_name"], e["expectation_type"], e["observed_value"]) for e in failing
    }
    assert support.PASSWORD not in proc.stdout
