"""The DAG past one machine's executor: a 14-day backfill under Airflow's CeleryExecutor, with
the Redis broker on 127.0.0.1:6379 and two Celery workers, days overlapping, every table equal
to a sequential `retention run` of the same days.

The Airflow deployment is real and local: a PostgreSQL metadata database of its own, the API
server (the workers' task-execution API), the scheduler, the DAG processor and two workers
(`airflow celery worker`, one task slot each), all started here and stopped at the end."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import psycopg
import pytest

import support
from support import STEPS
from test_real_runs import baseline, facts_per_day

pytestmark = [pytest.mark.real, pytest.mark.pipeline, pytest.mark.celery]

FIRST, DAYS = date(2026, 1, 1), 14
LAST = FIRST + timedelta(days=DAYS - 1)
REDIS = ("127.0.0.1", 6379)


def redis_answers() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=2) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def redis(command: str, db: int) -> bytes:
    """One Redis command in database ``db`` (inline protocol); the raw reply."""
    with socket.create_connection(REDIS, timeout=5) as s:
        s.sendall(f"SELECT {db}\r\n{command}\r\n".encode())
        reply = b""
        while reply.count(b"\r\n") < 2:
            chunk = s.recv(256)
            if not chunk:
                break
            reply += chunk
        return reply.split(b"\r\n", 1)[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Deployment:
    """The Airflow processes of one test, with their logs under ``home``."""

    def __init__(self, home: Path, env: dict[str, str]) -> None:
        self.home, self.env, self.procs = home, env, []

    def start(self, name: str, *args: str) -> None:
        log = open(self.home / f"{name}.log", "w")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen(
            [str(support.VENV_BIN / "airflow"), *args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs.append((name, proc, log))

    def airflow(self, *args: str, timeout: int = 300):
        return support.run([str(support.VENV_BIN / "airflow"), *args], self.env, timeout=timeout, check=True)

    def logs(self) -> str:
        out = []
        for name, _, _ in self.procs:
            text = (self.home / f"{name}.log").read_text(errors="replace")
            out.append(f"--- {name} ---\n{text[-3000:]}")
        return "\n".join(out)

    def stop(self) -> None:
        for _, proc, _ in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for _, proc, log in self.procs:
            try:
                proc.wait(timeout=max(1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            log.close()


def runs_by_state(meta: str) -> dict[str, str]:
    with psycopg.connect(meta, connect_timeout=10) as conn:
        rows = conn.execute(
            "SELECT to_char(logical_date AT TIME ZONE 'UTC', 'YYYY-MM-DD'), state FROM dag_run "
            "WHERE dag_id = 'retention_pipeline'"
        ).fetchall()
    states = dict(rows)
    assert len(states) == len(rows), f"two runs of one day: {rows}"
    return states


def test_a_two_week_backfill_under_celery_overlaps_days_and_equals_a_sequential_run(tmp_path):
    if not redis_answers():
        pytest.fail(f"no Redis at {REDIS[0]}:{REDIS[1]}: the CeleryExecutor test needs its broker")
    warehouse = support.FreshDatabase.create()
    direct = support.FreshDatabase.create()
    metadata = support.FreshDatabase.create()
    meta_sqlalchemy = metadata.url.replace("postgres://", "postgresql+psycopg://", 1).replace(
        "postgresql://", "postgresql+psycopg://", 1
    )
    home = tmp_path / "airflow-home"
    home.mkdir()
    port = free_port()
    # A Redis database of its own (the first empty one from 15 down), emptied afterwards: a
    # worker left over from another deployment on the same database would take its tasks.
    redis_db = next((n for n in range(15, 0, -1) if redis("DBSIZE", n).startswith(b":0")), None)
    assert redis_db is not None, "no empty Redis database for the broker"
    env = support.local_env(
        home,
        warehouse,
        tmp_path / "landing",
        RETENTION_START=FIRST.isoformat(),
        RETENTION_END=LAST.isoformat(),
        RETENTION_MAX_ACTIVE_RUNS="3",
        AIRFLOW__CORE__EXECUTOR="CeleryExecutor",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=meta_sqlalchemy,
        # psycopg 3 serves the async engine too (Airflow would otherwise want asyncpg).
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC=meta_sqlalchemy,
        AIRFLOW__CELERY__BROKER_URL=f"redis://{REDIS[0]}:{REDIS[1]}/{redis_db}",
        AIRFLOW__CELERY__RESULT_BACKEND=f"db+{meta_sqlalchemy}",
        AIRFLOW__CELERY__WORKER_CONCURRENCY="1",
        AIRFLOW__CORE__PARALLELISM="4",
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{port}/execution/",
        AIRFLOW__API__PORT=str(port),
        AIRFLOW__API_AUTH__JWT_SECRET=uuid.uuid4().hex,
        AIRFLOW__API__SECRET_KEY=uuid.uuid4().hex,
        AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL="5",
        AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="5",
    )
    deployment = Deployment(home, env)
    try:
        deployment.airflow("db", "migrate", timeout=600)
        deployment.start("api-server", "api-server", "--port", str(port))
        deployment.start("worker-1", "celery", "worker", "--concurrency", "1", "--celery-hostname", "w1@%h")
        deployment.start("worker-2", "celery", "worker", "--concurrency", "1", "--celery-hostname", "w2@%h")
        # Redis routes a message only to queues some consumer has declared: a task sent before
        # a worker declared the `default` queue is dropped. So the workers come first.
        deadline = time.monotonic() + 300
        while not redis("EXISTS _kombu.binding.default", redis_db).startswith(b":1"):
            assert time.monotonic() < deadline, f"no worker declared its queue:\n{deployment.logs()}"
            time.sleep(2)
        deployment.start("scheduler", "scheduler")
        deployment.start("dag-processor", "dag-processor")

        # The DAG processor must have serialised the DAG before a backfill can be created.
        deadline = time.monotonic() + 300
        while True:
            proc = support.run([str(support.VENV_BIN / "airflow"), "dags", "list"], env, timeout=120)
            if "retention_pipeline" in proc.stdout:
                break
            assert time.monotonic() < deadline, f"the DAG was never parsed:\n{deployment.logs()}"
            time.sleep(5)
        # The backfill's runs are created while the DAG is paused (so the scheduler's catch-up
        # makes none of its own), then the DAG is unpaused for the scheduler to run them.
        deployment.airflow(
            "backfill", "create", "--dag-id", "retention_pipeline",
            "--from-date", FIRST.isoformat(), "--to-date", LAST.isoformat(),
            "--max-active-runs", "3", "--reprocess-behavior", "completed",
        )
        deployment.airflow("dags", "unpause", "retention_pipeline")

        deadline = time.monotonic() + 1500
        while True:
            states = runs_by_state(meta_sqlalchemy.replace("postgresql+psycopg://", "postgresql://", 1))
            if len(states) == DAYS and all(s in ("success", "failed") for s in states.values()):
                break
            assert time.monotonic() < deadline, f"backfill not done: {states}\n{deployment.logs()}"
            time.sleep(10)
        assert set(states.values()) == {"success"}, f"{states}\n{deployment.logs()}"

        with psycopg.connect(metadata.url, connect_timeout=10) as conn:
            tis = conn.execute(
                "SELECT to_char(dr.logical_date AT TIME ZONE 'UTC', 'YYYY-MM-DD'), ti.task_id, "
                "ti.start_date, ti.end_date, ti.hostname, ti.queued_by_job_id IS NOT NULL "
                "FROM task_instance ti JOIN dag_run dr ON dr.dag_id = ti.dag_id AND dr.run_id = ti.run_id "
                "WHERE ti.dag_id = 'retention_pipeline' AND ti.state = 'success'"
            ).fetchall()
        assert len(tis) == DAYS * len(STEPS)
        spans = {(day, task): (start, end) for day, task, start, end, _, _ in tis}
        # scd and transform in date order: scd(D) starts after transform(D-1) ended, and load(D)
        # after scd(D-1).
        for n in range(1, DAYS):
            day, prev = (FIRST + timedelta(days=n)).isoformat(), (FIRST + timedelta(days=n - 1)).isoformat()
            assert spans[(day, "scd")][0] >= spans[(prev, "transform")][1]
            assert spans[(day, "load")][0] >= spans[(prev, "scd")][1]
        # Days overlapped: some later day's step ran while an earlier day's transform did.
        overlapped = [
            (day, task)
            for (day, task), (start, end) in spans.items()
            for (other, step), (s2, e2) in spans.items()
            if step == "transform" and other < day and start < e2 and end > s2
        ]
        assert overlapped, "no day overlapped another"
        print(f"task instances that ran beside an earlier day's transform: {sorted(overlapped)}")

        # The same days without Airflow: every table equal, audit columns aside.
        baseline(direct, tmp_path / "direct-landing", FIRST.isoformat(), LAST.isoformat())
        assert support.warehouse_checksums(warehouse) == support.warehouse_checksums(direct)
        assert len(facts_per_day(warehouse)) == DAYS
    finally:
        deployment.stop()
        redis("FLUSHDB", redis_db)
        for db in (warehouse, direct, metadata):
            db.drop()
