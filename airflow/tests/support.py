"""Helpers of the real-run tests: databases, Airflow homes, subprocess runs, warehouse checksums."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

TESTS_DIR = Path(__file__).resolve().parent
AIRFLOW_DIR = TESTS_DIR.parent
REPO_ROOT = AIRFLOW_DIR.parent
DAGS_FOLDER = AIRFLOW_DIR / "dags"
VENV_BIN = Path(sys.executable).parent
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"
STEPS = ("init", "generate", "load", "validate", "scd", "transform")

#: Every temporary directory of a test session lives here, removed when the session ends.
SCRATCH = Path(tempfile.mkdtemp(prefix="retention-airflow-tests-"))
atexit.register(shutil.rmtree, SCRATCH, ignore_errors=True)

#: A password the trust-authenticated test server ignores, so that a leak can be looked for.
PASSWORD = "pw-must-not-leak-7f3a9c"

CHECKSUM_COLUMNS_SQL = (TESTS_DIR / "business_columns.sql").read_text()


def retention_bin() -> Path:
    """``RETENTION_BIN``, else the release build, else the debug build of the checkout."""
    explicit = os.environ.get("RETENTION_BIN")
    candidates = (
        [Path(explicit)]
        if explicit
        else [REPO_ROOT / "target/release/retention", REPO_ROOT / "target/debug/retention"]
    )
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return path.resolve()
    pytest.fail(
        f"no retention binary (looked at {', '.join(map(str, candidates))}): build it with "
        "`cargo build --release -p retention-cli` or set RETENTION_BIN"
    )


def server_url() -> str:
    return os.environ.get("DATABASE_URL") or DEFAULT_SERVER


def with_database(url: str, dbname: str, password: str | None = None) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc
    if password is not None:
        userinfo, _, hostport = netloc.rpartition("@")
        user = userinfo.split(":", 1)[0] or "postgres"
        netloc = f"{user}:{password}@{hostport}"
    return urlunsplit((parts.scheme, netloc, "/" + dbname, parts.query, ""))


@dataclass
class FreshDatabase:
    """A database of its own on the test server."""

    name: str
    url: str

    @classmethod
    def create(cls) -> FreshDatabase:
        name = f"retention_af_{uuid.uuid4().hex[:12]}"
        try:
            with psycopg.connect(server_url(), autocommit=True, connect_timeout=10) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
        except psycopg.OperationalError as e:
            pytest.fail(f"cannot reach the PostgreSQL server at DATABASE_URL: {e}")
        return cls(name=name, url=with_database(server_url(), name))

    def url_with_password(self) -> str:
        """The same database, with a password in the URL (ignored under trust auth)."""
        return with_database(server_url(), self.name, PASSWORD)

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with psycopg.connect(self.url, connect_timeout=10) as conn:
            return conn.execute(sql, params).fetchall()

    def drop(self) -> None:
        with psycopg.connect(server_url(), autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


_TEMPLATE_HOME: Path | None = None


def airflow_home() -> Path:
    """A fresh AIRFLOW_HOME whose SQLite metadata database is already migrated (copied from
    one migrated once per session: `airflow db migrate` costs seconds)."""
    global _TEMPLATE_HOME
    if _TEMPLATE_HOME is None:
        template = Path(tempfile.mkdtemp(prefix="template-", dir=SCRATCH))
        run([str(VENV_BIN / "airflow"), "db", "migrate"], airflow_env(template), timeout=300, check=True)
        _TEMPLATE_HOME = template
    home = Path(tempfile.mkdtemp(prefix="home-", dir=SCRATCH))
    shutil.copy(_TEMPLATE_HOME / "airflow.db", home / "airflow.db")
    return home


def airflow_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "RETENTION_"))}
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_FOLDER=str(DAGS_FOLDER),
        AIRFLOW__CORE__PARALLELISM="2",
        PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    env.update(extra)
    return env


def run(cmd: list[str], env: dict[str, str], timeout: int = 600, check: bool = False, cwd=None):
    """Runs a command, output captured (stderr folded into stdout)."""
    proc = subprocess.run(
        cmd,
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )
    if check and proc.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout[-6000:]}")
    return proc


_CONFIG_COPY: Path | None = None


def config_file() -> Path | None:
    """The checkout's config/retention.yaml, copied with its directory once per session: every
    run of a test session then sees the same settings (the warehouse refuses a day generated
    with a different config), even while someone edits the checkout."""
    global _CONFIG_COPY
    if _CONFIG_COPY is None:
        source = REPO_ROOT / "config"
        if not (source / "retention.yaml").is_file():
            return None
        copy = Path(tempfile.mkdtemp(prefix="config-", dir=SCRATCH)) / "config"
        shutil.copytree(source, copy)
        _CONFIG_COPY = copy / "retention.yaml"
    return _CONFIG_COPY


def local_env(home: Path, db: FreshDatabase, data_dir: Path, **extra: str) -> dict[str, str]:
    """Environment of an `airflow dags test` with the local runner on ``db``."""
    settings = {
        "RETENTION_RUNNER": "local",
        "RETENTION_BIN": str(retention_bin()),
        "RETENTION_DATA_DIR": str(data_dir),
        "RETENTION_RETRIES": "0",
        "AIRFLOW_CONN_RETENTION_POSTGRES": db.url_with_password(),
    }
    config = config_file()
    if config is not None:
        settings["RETENTION_CONFIG"] = str(config)
    return airflow_env(home, **{**settings, **extra})


def dags_test(day: str, env: dict[str, str], timeout: int = 600):
    return run([str(VENV_BIN / "airflow"), "dags", "test", "retention_pipeline", day], env, timeout)


def task_states(home: Path, day: str) -> dict[str, str | None]:
    """Task id -> final state of the run of ``day`` in that Airflow home's metadata database."""
    with sqlite3.connect(home / "airflow.db") as conn:
        rows = conn.execute(
            "SELECT ti.task_id, ti.state FROM task_instance ti JOIN dag_run dr "
            "ON dr.dag_id = ti.dag_id AND dr.run_id = ti.run_id "
            "WHERE ti.dag_id = 'retention_pipeline' AND date(dr.logical_date) = ?",
            (day,),
        ).fetchall()
    return dict(rows)


def dag_run_state(home: Path, day: str) -> str | None:
    with sqlite3.connect(home / "airflow.db") as conn:
        row = conn.execute(
            "SELECT state FROM dag_run WHERE dag_id = 'retention_pipeline' AND date(logical_date) = ?",
            (day,),
        ).fetchone()
    return row[0] if row else None


def xcoms(home: Path, day: str) -> dict[str, object]:
    """Task id -> the value it pushed (``return_value``) in the run of ``day``."""
    with sqlite3.connect(home / "airflow.db") as conn:
        rows = conn.execute(
            "SELECT x.task_id, x.value FROM xcom x JOIN dag_run dr ON dr.id = x.dag_run_id "
            "WHERE x.key = 'return_value' AND date(dr.logical_date) = ?",
            (day,),
        ).fetchall()
    return {task: json.loads(value) for task, value in rows}


def all_xcom_text(home: Path) -> str:
    with sqlite3.connect(home / "airflow.db") as conn:
        return "\n".join(str(v) for (v,) in conn.execute("SELECT value FROM xcom"))


def rendered_fields_text(home: Path) -> str:
    with sqlite3.connect(home / "airflow.db") as conn:
        return "\n".join(str(v) for (v,) in conn.execute("SELECT rendered_fields FROM rendered_task_instance_fields"))


def warehouse_checksums(db: FreshDatabase) -> dict[str, tuple[int, str]]:
    """Table -> (rows, md5 of its sorted rows) over staging, quarantine and dw, audit columns
    (run ids, written-at times) left out: what must be equal however the days were run."""
    out: dict[str, tuple[int, str]] = {}
    with psycopg.connect(db.url, connect_timeout=10) as conn:
        for schema, table, columns in conn.execute(CHECKSUM_COLUMNS_SQL).fetchall():
            cols = ", ".join(columns)
            count, digest = conn.execute(
                f"SELECT count(*), md5(coalesce(string_agg(r::text, E'\\n' ORDER BY r::text), '')) "
                f'FROM (SELECT {cols} FROM "{schema}"."{table}") AS r'
            ).fetchone()
            out[f"{schema}.{table}"] = (count, digest)
    return out


def retention(args: list[str], db_url: str, data_dir: Path, timeout: int = 600):
    """Runs the binary the way the tests' local runner does (same config copy, data dir)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RETENTION_")}
    env.update(DATABASE_URL=db_url, RETENTION_DATA_DIR=str(data_dir))
    config = config_file()
    flags = ["--config", str(config)] if config else []
    return run([str(retention_bin()), *flags, *args], env, timeout)


def last_json(output: str) -> dict | None:
    for line in reversed(output.strip().splitlines()):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


class Webhook:
    """A tiny HTTP server on 127.0.0.1 that records the JSON bodies POSTed to it."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                length = int(self.headers["Content-Length"])
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/retention"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
