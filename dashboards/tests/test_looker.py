"""The LookML project: it parses (lkml, the LookML dashboard as YAML), every view's table and
every dimension, dimension-group timeframe and measure runs as SQL against the warehouse as the
BI role, primary keys are unique, joins run, and every field a dashboard uses exists in its
explore."""

from __future__ import annotations

import re
from pathlib import Path

import lkml
import pytest
import yaml

from support import LOOKER_DIR, declared_marts, load_dashboard, dashboard_files, targets_of

VIEW_FILES = sorted((LOOKER_DIR / "views").glob("*.view.lkml"))
MODEL_FILE = LOOKER_DIR / "retention.model.lkml"
DASHBOARD_FILES = sorted(LOOKER_DIR.glob("*.dashboard.lookml"))
#: Every mart the migrations declare has a Looker view and an explore.
MARTS = declared_marts()


def parse(path: Path) -> dict:
    return lkml.load(path.read_text())


VIEWS = {v["name"]: v for path in VIEW_FILES for v in parse(path)["views"]}
MODEL = parse(MODEL_FILE)
EXPLORES = {e["name"]: e for e in MODEL["explores"]}

AGGREGATE = {
    "sum": "COALESCE(SUM({}), 0)",
    "average": "AVG({})",
    "count_distinct": "COUNT(DISTINCT {})",
    "max": "MAX({})",
    "min": "MIN({})",
}
TIMEFRAME = {
    "raw": "{}",
    "date": "({})::date",
    "week": "date_trunc('week', {})::date",
    "month": "to_char(date_trunc('month', {}), 'YYYY-MM')",
    "quarter": "to_char(date_trunc('quarter', {}), 'YYYY-\"Q\"Q')",
    "year": "extract(year FROM {})::integer",
}
REF = re.compile(r"\$\{([^}]+)\}")


def fields_of(view: dict) -> dict[str, tuple[str, dict]]:
    """Field name -> (kind, definition); a dimension group gives one field per timeframe."""
    out = {}
    for d in view.get("dimensions", []):
        out[d["name"]] = ("dimension", d)
    for g in view.get("dimension_groups", []):
        for tf in g["timeframes"]:
            out[f"{g['name']}_{tf}"] = ("timeframe", {**g, "timeframe": tf})
    for m in view.get("measures", []):
        out[m["name"]] = ("measure", m)
    return out


def field_sql(view_name: str, field: str, stack=()) -> str:
    """The SQL of a field, references expanded, each view aliased by its name (as Looker does)."""
    assert (view_name, field) not in stack, f"circular reference {stack}"
    kind, d = fields_of(VIEWS[view_name])[field]
    stack = (*stack, (view_name, field))

    def expand(sql: str) -> str:
        def repl(m):
            ref = m.group(1)
            if ref == "TABLE":
                return view_name
            other_view, _, other = ref.rpartition(".")
            return "(" + field_sql(other_view or view_name, other, stack) + ")"

        return REF.sub(repl, sql)

    if kind == "timeframe":
        return TIMEFRAME[d["timeframe"]].format(expand(d["sql"]))
    if kind == "dimension":
        return expand(d["sql"])
    if d["type"] == "number":
        return expand(d["sql"])
    if d["type"] == "count":
        return "COUNT(*)"
    return AGGREGATE[d["type"]].format(expand(d["sql"]))


def selectable(view_name: str, field: str) -> str:
    kind, d = fields_of(VIEWS[view_name])[field]
    sql = field_sql(view_name, field)
    if kind == "dimension" and d.get("type") == "yesno":
        return f"CASE WHEN ({sql}) THEN 'Yes' ELSE 'No' END"
    return sql


def test_every_file_parses_and_there_is_a_view_per_mart():
    assert set(VIEWS) == MARTS
    assert MODEL["connection"] == "retention_warehouse"
    for path in DASHBOARD_FILES:
        assert isinstance(yaml.safe_load(path.read_text()), list)
    assert [p.name for p in DASHBOARD_FILES] == ["business_kpis.dashboard.lookml"]


def test_model_includes_every_file_and_explores_every_view():
    includes = MODEL["includes"]
    for path in [*VIEW_FILES, *DASHBOARD_FILES]:
        rel = "/" + str(path.relative_to(LOOKER_DIR))
        assert any(Path(rel).match(pattern.lstrip("/")) or rel == pattern for pattern in includes), rel
    assert set(EXPLORES) == MARTS
    for explore in EXPLORES.values():
        for join in explore.get("joins", []):
            assert join["name"] in VIEWS and join["relationship"] in ("one_to_one", "many_to_one", "one_to_many")


@pytest.mark.parametrize("name", sorted(MARTS))
def test_view_shape(name):
    view = VIEWS[name]
    assert view["sql_table_name"] == f"marts.{name}"
    dims = view.get("dimensions", [])
    assert [d["name"] for d in dims if d.get("primary_key") == "yes"], "no primary key"
    assert len([d for d in dims if d.get("primary_key") == "yes"]) == 1
    for d in dims:
        assert d.get("type") in ("string", "number", "yesno"), d["name"]
    groups = view.get("dimension_groups", [])
    assert groups, "no date dimension group"
    for g in groups:
        assert g["type"] == "time" and g["datatype"] == "date" and g["convert_tz"] == "no"
        assert "date" in g["timeframes"]
    for m in view.get("measures", []):
        words = set(m["name"].split("_"))
        if words & {"revenue", "value"}:
            assert m.get("value_format_name") == "usd", m["name"]
        if words & {"rate", "stickiness"}:
            assert m.get("value_format_name") == "percent_1", m["name"]


@pytest.mark.parametrize("name", sorted(MARTS))
def test_view_sql_runs_as_the_bi_role(warehouse, name):
    view = VIEWS[name]
    table = f"{view['sql_table_name']} AS {name}"
    fields = fields_of(view)
    dims = [f for f, (kind, _) in fields.items() if kind != "measure"]
    measures = [f for f, (kind, _) in fields.items() if kind == "measure"]
    rows = warehouse.bi(
        "SELECT " + ", ".join(f"{selectable(name, f)} AS {f}" for f in dims) + f" FROM {table} LIMIT 20"
    )
    assert rows.rows, f"{name} is empty"
    totals = warehouse.bi("SELECT " + ", ".join(f"{field_sql(name, f)} AS {f}" for f in measures) + f" FROM {table}")
    assert all(v is not None for v in totals.rows[0]), dict(zip(totals.columns, totals.rows[0]))


@pytest.mark.parametrize("name", sorted(MARTS))
def test_primary_key_is_unique(warehouse, name):
    view = VIEWS[name]
    (pk,) = [d["name"] for d in view["dimensions"] if d.get("primary_key") == "yes"]
    rows, keys = warehouse.bi(
        f"SELECT count(*), count(DISTINCT {field_sql(name, pk)}) FROM {view['sql_table_name']} AS {name}"
    ).rows[0]
    assert rows == keys > 0


def test_explore_joins_run(warehouse):
    for name, explore in EXPLORES.items():
        sql = f"SELECT count(*) FROM {VIEWS[name]['sql_table_name']} AS {name}"
        for join in explore.get("joins", []):
            on = REF.sub(lambda m: "(" + field_sql(*m.group(1).split(".")) + ")", join["sql_on"])
            sql += f" LEFT JOIN {VIEWS[join['name']]['sql_table_name']} AS {join['name']} ON {on}"
        (n,) = warehouse.bi(sql).rows[0]
        (base,) = warehouse.bi(f"SELECT count(*) FROM {VIEWS[name]['sql_table_name']}").rows[0]
        assert n == base > 0, f"{name}: a join multiplies or loses rows"


def explore_fields(explore: str) -> set[str]:
    views = [explore, *(j["name"] for j in EXPLORES[explore].get("joins", []))]
    return {f"{v}.{f}" for v in views for f in fields_of(VIEWS[v])}


def dashboard_elements():
    for path in DASHBOARD_FILES:
        for dashboard in yaml.safe_load(path.read_text()):
            yield dashboard


def test_every_field_a_dashboard_uses_exists_in_its_explore():
    for dashboard in dashboard_elements():
        for f in dashboard.get("filters", []):
            if f["type"] == "field_filter":
                assert f["field"] in explore_fields(f["explore"]), f["name"]
        filter_names = {f["name"] for f in dashboard.get("filters", [])}
        for e in dashboard["elements"]:
            available = explore_fields(e["explore"])
            assert e["model"] == "retention"
            used = [*e["fields"], *e.get("pivots", []), *(s.split()[0] for s in e.get("sorts", [])),
                    *e.get("filters", {}), *e.get("listen", {}).values()]
            missing = [f for f in used if f not in available]
            assert not missing, f"{e['name']}: {missing}"
            assert set(e.get("pivots", [])) <= set(e["fields"]), e["name"]
            assert set(e.get("listen", {})) <= filter_names, e["name"]


def test_dashboard_tiles_fit_the_24_column_grid_without_overlap():
    for dashboard in dashboard_elements():
        boxes = [(e["name"], e["row"], e["col"], e["width"], e["height"]) for e in dashboard["elements"]]
        for name, row, col, width, height in boxes:
            assert col + width <= 24, name
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                overlap = a[2] < b[2] + b[3] and b[2] < a[2] + a[3] and a[1] < b[1] + b[4] and b[1] < a[1] + a[4]
                assert not overlap, (a[0], b[0])


def test_looker_dashboard_has_the_kpis_of_the_grafana_one():
    used = {f for d in dashboard_elements() for e in d["elements"] for f in e["fields"]}
    kpis = {
        "weekly revenue, orders, units, AOV": {"sales_weekly.total_revenue", "sales_weekly.total_orders",
                                               "sales_weekly.total_units", "sales_weekly.average_order_value"},
        "monthly revenue, orders, units, AOV": {"sales_monthly.total_revenue", "sales_monthly.total_orders",
                                                "sales_monthly.total_units", "sales_monthly.average_order_value"},
        "DAU/WAU/MAU and stickiness": {"engagement_daily.average_dau", "engagement_daily.average_wau",
                                       "engagement_daily.average_mau", "engagement_daily.average_stickiness"},
        "cohort heatmap": {"retention_cohorts.cohort_week", "retention_cohorts.week_offset",
                           "retention_cohorts.weighted_retention_rate"},
        "new users per week": {"retention_cohorts.new_users"},
        "funnel by device": {"funnel_daily.device", "funnel_daily.views", "funnel_daily.carts", "funnel_daily.purchases"},
        "top products": {"product_popularity_weekly.product_name", "product_popularity_weekly.revenue"},
    }
    for kpi, fields in kpis.items():
        assert fields <= used, f"{kpi}: {fields - used}"
    grafana = {p["title"] for p, _ in targets_of(load_dashboard(next(p for p in dashboard_files() if p.name == "business-kpis.json")))}
    looker = {e["title"] for d in dashboard_elements() for e in d["elements"]}
    # Same tiles by title, except Grafana's two "latest" stat panels (Looker users filter a tile).
    assert grafana - looker == {"Latest week in range: sales", "Latest day in range: engagement"}
    assert looker <= grafana


def test_looker_values_equal_the_marts(warehouse):
    week = "2026-01-12"
    sql = (
        f"SELECT {field_sql('sales_weekly', 'total_revenue')}, {field_sql('sales_weekly', 'average_order_value')} "
        f"FROM marts.sales_weekly AS sales_weekly WHERE {field_sql('sales_weekly', 'week_start_date')} = %s"
    )
    revenue, aov = warehouse.query(sql, (week,)).rows[0]
    mart = warehouse.query("SELECT revenue, avg_order_value FROM marts.sales_weekly WHERE week_start = %s", (week,)).rows[0]
    assert revenue == mart[0] and round(aov, 2) == mart[1]
    rate = warehouse.query(
        f"SELECT {field_sql('retention_cohorts', 'weighted_retention_rate')} FROM marts.retention_cohorts AS retention_cohorts "
        "WHERE cohort_week = '2026-01-05' AND week_offset = 1"
    ).rows[0][0]
    (mart_rate,) = warehouse.query(
        "SELECT retention_rate FROM marts.retention_cohorts WHERE cohort_week = '2026-01-05' AND week_offset = 1"
    ).rows[0]
    assert float(rate) == pytest.approx(mart_rate)
