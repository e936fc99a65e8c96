"""The LookML project: it parses (lkml, the LookML dashboard as YAML), every view's table and
every dimension, dimension-group timeframe and measure runs as SQL against the warehouse as the
BI role, primary keys are unique, joins run, and every field a dashboard uses exists in its
explore. A derived table's Liquid (templated filters, parameters) is rendered here as Looker
documents it for PostgreSQL, for several filter settings, and its rows are checked against the
marts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import psycopg
import pytest
import yaml

import support
from looker_sql import (
    DASHBOARD_FILES,
    EXPLORES,
    LOOKER_DIR,
    MODEL,
    REF,
    VIEW_FILES,
    VIEWS,
    dashboard_elements,
    explore_fields,
    field_sql,
    fields_of,
    selectable,
    table_of,
    tile_sql,
)
from support import WINDOW_OVER_THE_MART, declared_marts, load_dashboard, dashboard_files, targets_of

#: Every mart the migrations declare has a Looker view and an explore.
MARTS = declared_marts()
#: Views over a derived table (a marts function called with the view's filters), not a mart.
DERIVED = {"top_products_weekly"}


def test_every_file_parses_and_there_is_a_view_per_mart():
    assert set(VIEWS) == MARTS | DERIVED
    assert MODEL["connection"] == "retention_warehouse"
    for path in DASHBOARD_FILES:
        assert isinstance(yaml.safe_load(path.read_text()), list)
    assert [p.name for p in DASHBOARD_FILES] == ["business_kpis.dashboard.lookml"]


def test_model_includes_every_file_and_explores_every_view():
    includes = MODEL["includes"]
    for path in [*VIEW_FILES, *DASHBOARD_FILES]:
        rel = "/" + str(path.relative_to(LOOKER_DIR))
        assert any(Path(rel).match(pattern.lstrip("/")) or rel == pattern for pattern in includes), rel
    assert set(EXPLORES) == MARTS | DERIVED
    for explore in EXPLORES.values():
        for join in explore.get("joins", []):
            assert join["name"] in VIEWS and join["relationship"] in ("one_to_one", "many_to_one", "one_to_many")


@pytest.mark.parametrize("name", sorted(MARTS | DERIVED))
def test_view_shape(name):
    view = VIEWS[name]
    if name in DERIVED:
        # Reads the function of the same name; Looker cannot persist a templated derived table.
        assert f"marts.{name}(" in view["derived_table"]["sql"]
        assert not set(view["derived_table"]) & {"datagroup_trigger", "persist_for", "sql_trigger_value"}
    else:
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


@pytest.mark.parametrize("name", sorted(MARTS | DERIVED))
def test_view_sql_runs_as_the_bi_role(warehouse, name):
    view = VIEWS[name]
    table = table_of(name)
    fields = fields_of(view)
    dims = [f for f, (kind, _) in fields.items() if kind != "measure"]
    measures = [f for f, (kind, _) in fields.items() if kind == "measure"]
    rows = warehouse.bi(
        "SELECT " + ", ".join(f"{selectable(name, f)} AS {f}" for f in dims) + f" FROM {table} LIMIT 20"
    )
    assert rows.rows, f"{name} is empty"
    totals = warehouse.bi("SELECT " + ", ".join(f"{field_sql(name, f)} AS {f}" for f in measures) + f" FROM {table}")
    assert all(v is not None for v in totals.rows[0]), dict(zip(totals.columns, totals.rows[0]))


@pytest.mark.parametrize("name", sorted(MARTS | DERIVED))
def test_primary_key_is_unique(warehouse, name):
    view = VIEWS[name]
    (pk,) = [d["name"] for d in view["dimensions"] if d.get("primary_key") == "yes"]
    rows, keys = warehouse.bi(f"SELECT count(*), count(DISTINCT {field_sql(name, pk)}) FROM {table_of(name)}").rows[0]
    assert rows == keys > 0


def test_explore_joins_run(warehouse):
    for name, explore in EXPLORES.items():
        sql = f"SELECT count(*) FROM {table_of(name)}"
        for join in explore.get("joins", []):
            on = REF.sub(lambda m: "(" + field_sql(*m.group(1).split(".")) + ")", join["sql_on"])
            sql += f" LEFT JOIN {table_of(join['name'])} ON {on}"
        (n,) = warehouse.bi(sql).rows[0]
        (base,) = warehouse.bi(f"SELECT count(*) FROM {table_of(name)}").rows[0]
        assert n == base > 0, f"{name}: a join multiplies or loses rows"


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
        "top products": {"top_products_weekly.product_name", "top_products_weekly.revenue"},
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


def top_products_tile_sql(values: dict) -> str:
    """The "Top products by week" tile's query for the given filter values: (week, rank,
    product), newest week first, best first within a week."""
    week = field_sql("top_products_weekly", "week_start_date")
    rank = field_sql("top_products_weekly", "rank_in_selection")
    product = field_sql("top_products_weekly", "product_id")
    # Ties share a rank only when revenue and units are equal, so (rank, product_id) orders a
    # week as (revenue, units, product_id) does.
    return (f"SELECT to_char({week}, 'YYYY-MM-DD'), {rank}, {product} FROM {table_of('top_products_weekly', values)} "
            f"ORDER BY {week} DESC, {rank}, {product}")


def top_products_tile(warehouse, values: dict) -> list[tuple]:
    return [tuple(r) for r in warehouse.bi(top_products_tile_sql(values)).rows]


def window_over_the_mart(warehouse, start, end, categories, n) -> list[tuple]:
    return [tuple(r) for r in warehouse.query(
        WINDOW_OVER_THE_MART, {"start": start, "end": end, "c": categories, "n": n}).rows]


def test_top_products_tile_equals_a_window_over_the_mart(warehouse):
    categories = [c for (c,) in warehouse.query(
        "SELECT DISTINCT coalesce(category, 'unknown') FROM marts.category_revenue_weekly ORDER BY 1").rows]
    assert len(categories) >= 3, categories
    mid_week, monday, end = date(2026, 1, 7), date(2026, 1, 12), date(2026, 1, 26)
    cases = [
        # (filter values, start, end, categories, n)
        ({}, None, None, None, 10),
        ({"week_range": (monday, end)}, monday, end, None, 10),
        # A range starting mid-week starts at the next Monday, as a filter on week_start does.
        ({"week_range": (mid_week, end)}, monday, end, None, 10),
        ({"week_range": (None, end)}, None, end, None, 10),
        ({"week_range": (monday, None)}, monday, None, None, 10),
        ({"category": [categories[0]]}, None, None, [categories[0]], 10),
        ({"category": categories[1:3], "top_n": 3}, None, None, categories[1:3], 3),
        ({"category": ["no such category"]}, None, None, ["no such category"], 10),
        ({"top_n": 250}, None, None, None, 100),
    ]
    for values, start, stop, cats, n in cases:
        got = top_products_tile(warehouse, values)
        want = window_over_the_mart(warehouse, start, stop, cats, n)
        assert got == want, values
        assert got or cats == ["no such category"], values
    # Unfiltered, the tile covers every week of the marts, ten products each.
    everything = top_products_tile(warehouse, {})
    (weeks,) = warehouse.query("SELECT count(DISTINCT week_start) FROM marts.product_popularity_weekly").rows[0]
    assert len({w for w, _, _ in everything}) == weeks and len(everything) == 10 * weeks


def test_top_products_tile_ranks_within_the_selection_not_over_all_products(warehouse):
    # With one category chosen, the tile lists that category's ten best, ranked 1.. among them,
    # where product_popularity_weekly's weekly_rank <= 10 would keep only the category's
    # products among the ten best of all.
    (category,) = warehouse.query(
        "SELECT category FROM marts.category_revenue_weekly WHERE category IS NOT NULL "
        "GROUP BY 1 ORDER BY sum(revenue), 1 LIMIT 1").rows[0]
    rows = top_products_tile(warehouse, {"category": [category]})
    overall = warehouse.query(
        "SELECT count(*) FROM marts.product_popularity_weekly WHERE rank <= 10 AND category = %s", (category,)).rows[0][0]
    assert len(rows) > overall
    assert {r for _, r, _ in rows} >= {1, 2, 3}


def test_top_products_tile_unknown_selects_the_products_without_a_category(warehouse):
    # The simulated weeks have no product without a dw.dim_product row, so one is made, inside a
    # transaction that is rolled back: two product-weeks of a product id the dimension does not
    # know (one the week's best seller, one without revenue) and their NULL-category row in
    # category_weeks, as the transform would write them.
    with psycopg.connect(warehouse.url) as conn:
        (week, best) = conn.execute(
            "SELECT week_start, max(revenue) FROM mart_state.product_weeks "
            "GROUP BY 1 ORDER BY 1 DESC LIMIT 1").fetchone()
        (stranger,) = conn.execute(
            "SELECT greatest((SELECT max(product_id) FROM mart_state.product_weeks), "
            "(SELECT max(product_id) FROM mart_state.products)) + 1").fetchone()
        conn.execute(
            "INSERT INTO mart_state.product_weeks VALUES (%s, %s, 9, 2, 1, 1, %s), (%s, %s, 3, 0, 0, 0, 0)",
            (week, stranger, best + 1, week, stranger + 1))
        conn.execute(
            "INSERT INTO mart_state.category_weeks VALUES (%s, NULL, 2, %s) ON CONFLICT (week_start, category) "
            "DO UPDATE SET products = category_weeks.products + 2, revenue = category_weeks.revenue + %s",
            (week, best + 1, best + 1))
        (known,) = conn.execute(
            "SELECT min(category) FROM mart_state.category_weeks WHERE category IS NOT NULL").fetchone()
        conn.execute(f'SET LOCAL ROLE "{support.BI_ROLE}"')
        for values, cats in (({"category": ["unknown"]}, ["unknown"]),
                             ({"category": ["unknown", known]}, ["unknown", known]),
                             ({}, None)):
            got = [tuple(r) for r in conn.execute(top_products_tile_sql(values)).fetchall()]
            want = [tuple(r) for r in conn.execute(
                WINDOW_OVER_THE_MART, {"start": None, "end": None, "c": cats, "n": 10}).fetchall()]
            assert got == want, values
            assert (str(week), 1, stranger) in got, values
        unknown_only = [r for r in conn.execute(top_products_tile_sql({"category": ["unknown"]})).fetchall()]
        assert [tuple(r) for r in unknown_only] == [(str(week), 1, stranger), (str(week), 2, stranger + 1)]
        conn.rollback()


def test_every_dashboard_tile_query_runs_as_the_bi_role(warehouse):
    # Each tile's whole query as Looker composes it (fields, the tile's filters, the dashboard's
    # date filter, GROUP BY, sorts), over the warehouse's weeks and over two of them (in which
    # the monthly tiles have no month starting).
    tiles = [e for d in dashboard_elements() for e in d["elements"]]
    assert len(tiles) >= 10
    for e in tiles:
        assert warehouse.bi(tile_sql(e, (date(2025, 12, 1), date(2026, 2, 2)))).rows, e["name"]
        narrow = warehouse.bi(tile_sql(e, (date(2026, 1, 12), date(2026, 1, 26)))).rows
        assert narrow or "monthly" in e["name"], e["name"]
    top = next(e for e in tiles if e["name"] == "top_products")
    rows = warehouse.bi(tile_sql(top, (date(2026, 1, 12), date(2026, 1, 26)))).records()
    assert [(str(r["top_products_weekly.week_start_week"]), r["top_products_weekly.rank_in_selection"])
            for r in rows][:2] == [("2026-01-19", 1), ("2026-01-19", 2)]
    assert len(rows) == 20
