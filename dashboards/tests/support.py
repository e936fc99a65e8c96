"""Helpers of the dashboard tests: the files, the warehouse, the binary, Grafana's evaluation."""

from __future__ import annotations

import atexit
import hashlib
import json
import math
import os
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import yaml

import grafana_sql
from grafana_sql import TimeRange, Variable

TESTS_DIR = Path(__file__).resolve().parent
DASHBOARDS_DIR = TESTS_DIR.parent
REPO_ROOT = DASHBOARDS_DIR.parent
GRAFANA_DIR = DASHBOARDS_DIR / "grafana"
PROVISIONING_DIR = GRAFANA_DIR / "provisioning"
DASHBOARD_JSON_DIR = GRAFANA_DIR / "dashboards"
LOOKER_DIR = DASHBOARDS_DIR / "looker"
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"

MIGRATIONS_DIR = REPO_ROOT / "crates" / "model" / "migrations"


def declared_marts() -> set[str]:
    """The marts as their migrations declare them: every view of schema `marts` created and not
    dropped later. A mart registers itself in its migration; nothing else lists it."""
    import re

    marts: set[str] = set()
    pattern = re.compile(r"\b(CREATE(?:\s+OR\s+REPLACE)?|DROP)\s+VIEW\s+(?:IF\s+EXISTS\s+)?marts\.(\w+)", re.I)
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        for verb, name in pattern.findall(path.read_text()):
            (marts.discard if verb.upper() == "DROP" else marts.add)(name)
    return marts


#: Each week's best products of marts.product_popularity_weekly, from a window over every
#: product-week of the mart (what the top-products panel and tile must equal): weeks whose
#: Monday lies in [start, end), products whose category (as the views name it) is in `c`
#: (None: all), the first n by revenue, units, product_id; the rank shared by ties.
WINDOW_OVER_THE_MART = (
    "SELECT to_char(week_start, 'YYYY-MM-DD'), min(position) OVER (PARTITION BY week_start, revenue, units), "
    "product_id FROM (SELECT *, row_number() OVER (PARTITION BY week_start "
    "ORDER BY revenue DESC, units DESC, product_id) AS position FROM marts.product_popularity_weekly "
    "WHERE (%(start)s::date IS NULL OR week_start >= %(start)s) AND (%(end)s::date IS NULL OR week_start < %(end)s) "
    "AND (%(c)s::text[] IS NULL OR coalesce(category, 'unknown') = ANY(%(c)s))) ranked "
    "WHERE position <= %(n)s ORDER BY week_start DESC, position"
)


DATASOURCE_UID = "retention-warehouse"
DATASOURCE_TYPE = "grafana-postgresql-datasource"
BI_ROLE = "retention_bi"

#: The warehouse every query test reads: `retention run` over four weeks.
FIRST_DAY = date(2026, 1, 1)
LAST_DAY = date(2026, 1, 28)
UTC = timezone.utc

#: A provisioning environment such as docker-compose.yml gives Grafana.
PROVISIONING_ENV = {
    "RETENTION_GRAFANA_DB_HOST": "postgres:5432",
    "RETENTION_GRAFANA_DB_NAME": "retention",
    "RETENTION_GRAFANA_DB_USER": "grafana",
    "RETENTION_GRAFANA_DB_PASSWORD": "secret-from-env",
    "RETENTION_GRAFANA_DB_SSLMODE": "disable",
    "RETENTION_ALERT_WEBHOOK_URL": "http://hooks.example/retention",
}


def day_start(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


#: The time range of the query tests: the whole warehouse and a little more on both sides, as a
#: user would pick it ("to" ends on a fraction of a second, like Grafana's "now").
FULL_RANGE = TimeRange(day_start(date(2025, 12, 1)), day_start(LAST_DAY + timedelta(days=3)) - timedelta(milliseconds=1))
INTERVAL = timedelta(days=1)


# --------------------------------------------------------------------------------------------
# The files
# --------------------------------------------------------------------------------------------


def dashboard_files() -> list[Path]:
    return sorted(DASHBOARD_JSON_DIR.glob("*.json"))


def load_dashboard(path: Path) -> dict:
    return json.loads(path.read_text())


def provisioning_files() -> list[Path]:
    return sorted(p for p in PROVISIONING_DIR.rglob("*") if p.suffix in (".yaml", ".yml"))


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def panels_of(dashboard: dict) -> list[dict]:
    """Every panel, those inside collapsed rows included."""
    out = []
    for p in dashboard.get("panels", []):
        out.append(p)
        out.extend(p.get("panels", []))
    return out


def targets_of(dashboard: dict) -> list[tuple[dict, dict]]:
    return [(p, t) for p in panels_of(dashboard) for t in p.get("targets", [])]


def variables_of(dashboard: dict) -> list[dict]:
    return dashboard.get("templating", {}).get("list", [])


def variable_query(var: dict) -> str:
    q = var.get("query")
    return q["rawSql"] if isinstance(q, dict) else q


def alert_file() -> Path:
    return PROVISIONING_DIR / "alerting" / "retention.yaml"


def alert_rules(env: Mapping[str, str] = PROVISIONING_ENV) -> list[dict]:
    """The provisioned alert rules, after Grafana's environment interpolation."""
    doc = grafana_sql.interpolate_tree(load_yaml(alert_file()), env)
    return [rule for group in doc["groups"] for rule in group["rules"]]


def rule_query(rule: dict) -> dict:
    """Query A of a rule (the SQL one)."""
    (a,) = [q for q in rule["data"] if q["datasourceUid"] == DATASOURCE_UID]
    return a


# --------------------------------------------------------------------------------------------
# The warehouse
# --------------------------------------------------------------------------------------------


def server_url() -> str:
    return os.environ.get("DATABASE_URL") or DEFAULT_SERVER


def with_database(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, ""))


@dataclass
class Result:
    columns: list[str]
    rows: list[tuple]

    def column(self, name: str) -> list:
        i = self.columns.index(name)
        return [r[i] for r in self.rows]

    def records(self) -> list[dict]:
        return [dict(zip(self.columns, r)) for r in self.rows]


@dataclass
class Warehouse:
    """A database of its own on the test server."""

    name: str
    url: str

    @classmethod
    def create(cls, template: str | None = None) -> Warehouse:
        name = f"retention_dash_{uuid.uuid4().hex[:12]}"
        clause = f' TEMPLATE "{template}"' if template else ""
        try:
            with psycopg.connect(server_url(), autocommit=True, connect_timeout=10) as conn:
                conn.execute(f'CREATE DATABASE "{name}"{clause}')
        except psycopg.OperationalError as e:
            pytest.fail(f"cannot reach the PostgreSQL server at DATABASE_URL: {e}")
        return cls(name=name, url=with_database(server_url(), name))

    def drop(self) -> None:
        with psycopg.connect(server_url(), autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def query(self, sql: str, params: tuple = (), role: str | None = None) -> Result:
        """Runs one statement (as ``role`` when given: SET ROLE, read only) and returns its rows."""
        with psycopg.connect(self.url, connect_timeout=10) as conn:
            conn.execute("SET statement_timeout = '20s'")
            if role:
                conn.execute(f'SET ROLE "{role}"')
                conn.execute("SET TRANSACTION READ ONLY")
            cur = conn.execute(sql, params)
            columns = [c.name for c in cur.description] if cur.description else []
            rows = cur.fetchall() if cur.description else []
            conn.rollback()
        return Result(columns, rows)

    def execute(self, sql: str, params: tuple = ()) -> None:
        with psycopg.connect(self.url, autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql, params)

    def bi(self, sql: str) -> Result:
        return self.query(sql, role=BI_ROLE)


def ensure_bi_role(wh: Warehouse) -> str:
    """The read-only BI role with its grants in ``wh``. `retention init` creates and grants it
    (issue 11); while an older binary does not, the tests create the same role and grants, so
    the queries are still proven to need nothing beyond USAGE/SELECT on marts and ops. Returns
    how the role came to be, for the report."""
    with psycopg.connect(wh.url, autocommit=True, connect_timeout=10) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (BI_ROLE,)).fetchone()
        how = "already present" if exists else "created by the tests"
        if not exists:
            try:
                conn.execute(f"CREATE ROLE {BI_ROLE} NOLOGIN")
            except psycopg.errors.DuplicateObject:
                pass  # another session made it meanwhile
        granted = conn.execute(
            "SELECT has_schema_privilege(%s, 'marts', 'USAGE') AND has_schema_privilege(%s, 'ops', 'USAGE')",
            (BI_ROLE, BI_ROLE),
        ).fetchone()[0]
        if not granted:
            # The grants `retention init` makes (README): SELECT on marts and ops, except the
            # sample values of ops.validation_results (result, observed_value); EXECUTE on the
            # marts' functions.
            how += ", grants made by the tests (retention init did not grant)"
            for schema in ("marts", "ops"):
                conn.execute(f"GRANT USAGE ON SCHEMA {schema} TO {BI_ROLE}")
            conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA marts TO {BI_ROLE}")
            conn.execute(f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA marts TO {BI_ROLE}")
            tables = [r[0] for r in conn.execute(
                "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables "
                "WHERE schemaname = 'ops' AND tablename <> 'validation_results'"
            ).fetchall()]
            conn.execute(f"GRANT SELECT ON {', '.join(tables)} TO {BI_ROLE}")
            columns = [r[0] for r in conn.execute(
                "SELECT quote_ident(attname) FROM pg_attribute WHERE attrelid = 'ops.validation_results'::regclass "
                "AND attnum > 0 AND NOT attisdropped AND attname NOT IN ('result', 'observed_value')"
            ).fetchall()]
            conn.execute(f"GRANT SELECT ({', '.join(columns)}) ON ops.validation_results TO {BI_ROLE}")
    return how if not granted else how + ", granted by retention init"


# --------------------------------------------------------------------------------------------
# The binary
# --------------------------------------------------------------------------------------------


def retention_bin() -> Path:
    """``RETENTION_BIN``, else the release then the debug build in ``CARGO_TARGET_DIR``
    (default ``target``)."""
    explicit = os.environ.get("RETENTION_BIN")
    target = Path(os.environ.get("CARGO_TARGET_DIR") or REPO_ROOT / "target")
    candidates = [Path(explicit)] if explicit else [target / "release/retention", target / "debug/retention"]
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return path.resolve()
    pytest.fail(
        f"no retention binary (looked at {', '.join(map(str, candidates))}): build it with "
        "`cargo build --release -p retention-cli` or set RETENTION_BIN"
    )


_CONFIG: Path | None = None


def config_file() -> Path:
    """``RETENTION_CONFIG`` if set, else a copy (made once per session) of the checkout's
    config/ directory: every run of a session then reads the same settings even while someone
    edits the checkout (the warehouse refuses a day generated with another config)."""
    global _CONFIG
    if _CONFIG is None:
        explicit = os.environ.get("RETENTION_CONFIG")
        if explicit:
            _CONFIG = Path(explicit).resolve()
        else:
            copy = Path(tempfile.mkdtemp(prefix="retention-dashboard-config-")) / "config"
            shutil.copytree(REPO_ROOT / "config", copy)
            atexit.register(shutil.rmtree, copy.parent, ignore_errors=True)
            _CONFIG = copy / "retention.yaml"
    return _CONFIG


def retention(args: list[str], db_url: str, data_dir: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    """Runs the binary from the repository root, output captured."""
    # RETENTION_SEED, RETENTION_SCALE, ... would change the warehouse: the config file decides.
    env = {k: v for k, v in os.environ.items() if not k.startswith("RETENTION_")}
    env["NO_COLOR"] = "1"
    return subprocess.run(
        [str(retention_bin()), *args, "--config", str(config_file()), "--database-url", db_url,
         "--data-dir", str(data_dir)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )


def retention_ok(args: list[str], db_url: str, data_dir: Path, expect: int = 0) -> str:
    proc = retention(args, db_url, data_dir)
    if proc.returncode != expect:
        pytest.fail(f"retention {' '.join(args)} exited {proc.returncode} (expected {expect}):\n{proc.stdout[-4000:]}")
    return proc.stdout


# --------------------------------------------------------------------------------------------
# Landing files a test breaks on purpose
# --------------------------------------------------------------------------------------------


def rewrite_events(day_dir: Path, transform) -> None:
    """Replaces events.csv by ``transform(header, lines)`` (lines without their newline) and
    updates the manifest's row count and SHA-256, as a feed that really sent those bytes."""
    path = day_dir / "events.csv"
    header, *lines = path.read_text().splitlines()
    lines = transform(header, lines)
    data = (header + "\n" + "".join(line + "\n" for line in lines)).encode()
    path.write_bytes(data)
    manifest_path = day_dir / "_manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["files"]["events.csv"]["rows"] = len(lines)
    manifest["files"]["events.csv"]["sha256"] = hashlib.sha256(data).hexdigest()
    manifest_path.write_text(json.dumps(manifest, indent=2))


# --------------------------------------------------------------------------------------------
# Grafana's side of a query: variables, rendering, result frames, alert evaluation
# --------------------------------------------------------------------------------------------


def variable_selections(wh: Warehouse, dashboard: dict) -> dict[str, dict[str, Variable]]:
    """Named selections of the dashboard's variables: every variable on All, on its first
    option, and on its first two options (multi-value); options from the variables' own
    queries, run as the BI role."""
    options = {}
    for var in variables_of(dashboard):
        sql = grafana_sql.render(variable_query(var), FULL_RANGE, INTERVAL)
        values = [str(r[0]) for r in wh.bi(sql).rows]
        options[var["name"]] = (var, values)

    def make(pick):
        return {
            name: Variable(
                name,
                pick(values),
                multi=bool(var.get("multi")),
                include_all=bool(var.get("includeAll")),
                all_selected=pick is ALL,
                all_value=var.get("allValue"),
                options=tuple(values),
            )
            for name, (var, values) in options.items()
        }

    return {"all": make(ALL), "one": make(lambda v: v[:1]), "two": make(lambda v: v[:2])}


def ALL(values):  # noqa: N802 (a marker used by identity)
    return ["$__all"]


def series(result: Result) -> dict[tuple, list[tuple[Any, float | None]]]:
    """A time_series result as Grafana's SQL datasource turns it into series: the ``time``
    column, string columns as labels (``metric`` names the series), every other column one
    series per label set. Key: (value column, labels)."""
    time_i = result.columns.index("time")
    label_is = [i for i, c in enumerate(result.columns) if i != time_i and _is_label(result, i)]
    value_is = [i for i, c in enumerate(result.columns) if i != time_i and i not in label_is]
    out: dict[tuple, list] = {}
    for row in result.rows:
        labels = tuple((result.columns[i], row[i]) for i in label_is)
        for i in value_is:
            v = row[i]
            out.setdefault((result.columns[i], labels), []).append((row[time_i], None if v is None else float(v)))
    return out


def _is_label(result: Result, i: int) -> bool:
    values = [r[i] for r in result.rows if r[i] is not None]
    return bool(values) and all(isinstance(v, str) for v in values)


def reduce_last(points: list[tuple[Any, float | None]]) -> float | None:
    """Grafana's reduce expression, reducer ``last``, mode ``dropNN``: the last value that is not
    null or NaN; None when none is left (no data)."""
    kept = [v for _, v in points if v is not None and not math.isnan(v)]
    return kept[-1] if kept else None


def threshold(value: float, evaluator: dict) -> bool:
    kind, params = evaluator["type"], evaluator["params"]
    if kind == "gt":
        return value > params[0]
    if kind == "lt":
        return value < params[0]
    if kind == "within_range":
        return params[0] < value < params[1]
    if kind == "outside_range":
        return value < params[0] or value > params[1]
    raise AssertionError(f"threshold type {kind} not handled")


@dataclass
class AlertState:
    firing: bool | None  # None: no data
    values: dict[tuple, float | None]


def evaluate_rule(wh: Warehouse, rule: dict, now: datetime) -> AlertState:
    """Evaluates A -> reduce B -> threshold C the way Grafana does at time ``now``: A over its
    relative time range, run as the BI role; the rule fires when any series crosses."""
    a = rule_query(rule)
    rel = a["relativeTimeRange"]
    tr = TimeRange(now - timedelta(seconds=rel["from"]), now - timedelta(seconds=rel["to"]))
    interval = timedelta(milliseconds=a["model"].get("intervalMs", 1000))
    sql = grafana_sql.render(a["model"]["rawSql"], tr, interval)
    result = wh.bi(sql)
    assert_time_series(result, sql)
    by_ref = {q["refId"]: q["model"] for q in rule["data"]}
    reduce, thresh = by_ref["B"], by_ref["C"]
    assert reduce["type"] == "reduce" and reduce["reducer"] == "last" and reduce["expression"] == "A"
    assert thresh["type"] == "threshold" and thresh["expression"] == "B"
    (condition,) = thresh["conditions"]
    values = {key: reduce_last(points) for key, points in series(result).items()}
    crossed = [threshold(v, condition["evaluator"]) for v in values.values() if v is not None]
    return AlertState(firing=any(crossed) if crossed else None, values=values)


def assert_time_series(result: Result, sql: str) -> None:
    assert "time" in result.columns, f"time_series query without a time column:\n{sql}"
    times = result.column("time")
    assert None not in times, f"NULL time in:\n{sql}"
    keyed = [t if isinstance(t, datetime) else datetime(t.year, t.month, t.day, tzinfo=UTC) for t in times]
    keyed = [t if t.tzinfo else t.replace(tzinfo=UTC) for t in keyed]
    assert keyed == sorted(keyed), f"time_series rows not ordered by time:\n{sql}"
