"""Session fixtures: one warehouse filled by `retention run` over four weeks, read by every query
test, and the read-only BI role the queries run as."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import support  # noqa: E402
from support import FIRST_DAY, LAST_DAY, Warehouse  # noqa: E402


@pytest.fixture(scope="session")
def scratch():
    path = Path(tempfile.mkdtemp(prefix="retention-dashboard-tests-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def data_dir(scratch) -> Path:
    return scratch / "data"


@pytest.fixture(scope="session")
def warehouse(data_dir) -> Warehouse:
    wh = Warehouse.create()
    try:
        support.retention_ok(["run", "--from", FIRST_DAY.isoformat(), "--to", LAST_DAY.isoformat()], wh.url, data_dir)
        how = support.ensure_bi_role(wh)
        print(f"\ndashboard tests: warehouse {wh.name} ({FIRST_DAY}..{LAST_DAY}); BI role {how}")
        yield wh
    finally:
        wh.drop()
