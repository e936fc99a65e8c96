"""Shared set-up of the DAG tests: Airflow configured for tests before it is imported, the
`retention` binary, and a fresh PostgreSQL database per test on the `DATABASE_URL` server."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

AIRFLOW_DIR = Path(__file__).resolve().parents[1]
REPO_ROOT = AIRFLOW_DIR.parent
DAGS_FOLDER = AIRFLOW_DIR / "dags"

# Airflow reads its configuration when first imported: set it up before anything imports it.
_HOME = tempfile.mkdtemp(prefix="retention-airflow-unit-home-")
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
os.environ["AIRFLOW_HOME"] = _HOME
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "True"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(DAGS_FOLDER)
os.environ["AIRFLOW__CORE__PARALLELISM"] = "2"
sys.path.insert(0, str(DAGS_FOLDER))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pytest  # noqa: E402

import support  # noqa: E402


@pytest.fixture
def fresh_db():
    """A new, empty database on the DATABASE_URL server; dropped afterwards."""
    db = support.FreshDatabase.create()
    try:
        yield db
    finally:
        db.drop()


@pytest.fixture(scope="session")
def retention_bin() -> Path:
    return support.retention_bin()
