"""Every panel and template-variable query of both dashboards, rendered as Grafana renders it
and run as the read-only BI role against a warehouse filled by `retention run` over four weeks;
then a few panels' numbers against the marts and the warehouse themselves."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

import grafana_sql
from grafana_sql import TimeRange
from support import (
    BI_ROLE,
    FULL_RANGE,
    INTERVAL,
    LAST_DAY,
    UTC,
    WINDOW_OVER_THE_MART,
    assert_time_series,
    dashboard_files,
    day_start,
    load_dashboard,
    series,
    targets_of,
    variable_query,
    variable_selections,
    variables_of,
)

DASHBOARDS = {p.stem: load_dashboard(p) for p in dashboard_files()}

#: Panels that are rightly empty on a clean warehouse (no run failed): the alert tests prove
#: they fill on a warehouse where one did.
EMPTY_WHEN_NOTHING_FAILED = {"Critical gate failures", "Failed and abandoned runs"}

TARGETS = [
    pytest.param(dash, p["title"], t["refId"], id=f"{dash}:{p['title']}:{t['refId']}")
    for dash, d in DASHBOARDS.items()
    for p, t in targets_of(d)
]


def find(dash: str, title: str, ref: str = "A"):
    for p, t in targets_of(DASHBOARDS[dash]):
        if p["title"] == title and t["refId"] == ref:
            return p, t
    raise KeyError(title)


@pytest.fixture(scope="module")
def selections(warehouse):
    return {dash: variable_selections(warehouse, d) for dash, d in DASHBOARDS.items()}


def run_panel(warehouse, dash, title, variables=None, tr: TimeRange = FULL_RANGE, ref="A"):
    _, t = find(dash, title, ref)
    sql = grafana_sql.render(t["rawSql"], tr, INTERVAL, variables)
    return warehouse.bi(sql), sql


@pytest.mark.parametrize(("dash", "title", "ref"), TARGETS)
def test_panel_query_runs_as_the_bi_role(warehouse, selections, dash, title, ref):
    p, t = find(dash, title, ref)
    uses = grafana_sql.variable_references(t["rawSql"])
    picks = ("all", "one", "two") if uses else ("all",)
    for pick in picks:
        result, sql = run_panel(warehouse, dash, title, selections[dash][pick], ref=ref)
        if t["format"] == "time_series":
            assert_time_series(result, sql)
            assert series(result), f"no series: {sql}"
        if title not in EMPTY_WHEN_NOTHING_FAILED:
            assert result.rows, f"{title} ({pick}) is empty on a warehouse with data:\n{sql}"
        if pick == "one" and uses:
            # A one-value selection really filters: it returns less than All, or the same when
            # the data has a single value.
            everything, _ = run_panel(warehouse, dash, title, selections[dash]["all"], ref=ref)
            assert len(result.rows) <= len(everything.rows)


@pytest.mark.parametrize("dash", sorted(DASHBOARDS))
def test_variable_queries_list_distinct_values(warehouse, dash):
    for var in variables_of(DASHBOARDS[dash]):
        sql = grafana_sql.render(variable_query(var), FULL_RANGE, INTERVAL)
        values = [r[0] for r in warehouse.bi(sql).rows]
        assert values and len(values) == len(set(values)) and None not in values, var["name"]


def test_device_options_are_the_marts_devices(warehouse, selections):
    devices = selections["business-kpis"]["all"]["device"].options
    mart = [r[0] for r in warehouse.query("SELECT DISTINCT device FROM marts.funnel_daily WHERE by_device ORDER BY 1").rows]
    assert list(devices) == mart and "all" not in devices and len(devices) >= 2


def test_weekly_revenue_panel_equals_the_mart(warehouse):
    result, _ = run_panel(warehouse, "business-kpis", "Weekly revenue and average order value")
    panel = {t: (rev, aov) for t, rev, aov in result.rows}
    mart = warehouse.query("SELECT week_start, revenue, avg_order_value FROM marts.sales_weekly").rows
    assert panel == {w: (rev, aov) for w, rev, aov in mart}
    # An independent recomputation of one full week from the facts (docs/kpis.md#sales).
    week = date(2026, 1, 12)
    (revenue,) = warehouse.query(
        "SELECT sum(quantity * unit_price) FROM dw.fact_user_events "
        "WHERE event_type = 'purchase' AND event_date BETWEEN %s AND %s",
        (week, week + timedelta(days=6)),
    ).rows[0]
    assert panel[week][0] == revenue > 0


def test_week_filter_keeps_the_week_the_range_starts_in(warehouse):
    tr = TimeRange(day_start(date(2026, 1, 14)), day_start(date(2026, 1, 20)))
    result, _ = run_panel(warehouse, "business-kpis", "Weekly orders and units", tr=tr)
    assert [r[0] for r in result.rows] == [date(2026, 1, 12), date(2026, 1, 19)]


def test_dau_panel_equals_engagement_daily_and_the_facts(warehouse):
    result, _ = run_panel(warehouse, "business-kpis", "DAU / WAU / MAU")
    panel = {r[0]: r[1:] for r in result.rows}
    day = date(2026, 1, 15)
    mart = warehouse.query("SELECT dau, wau, mau FROM marts.engagement_daily WHERE event_date = %s", (day,)).rows[0]
    assert panel[day] == mart
    (dau,) = warehouse.query("SELECT count(DISTINCT user_id) FROM dw.fact_user_events WHERE event_date = %s", (day,)).rows[0]
    assert panel[day][0] == dau > 0


def test_time_filter_bounds_the_days(warehouse):
    tr = TimeRange(day_start(date(2026, 1, 10)), day_start(date(2026, 1, 12)) + timedelta(hours=23, minutes=59))
    result, _ = run_panel(warehouse, "business-kpis", "Stickiness (DAU / MAU)", tr=tr)
    assert [r[0] for r in result.rows] == [date(2026, 1, 10), date(2026, 1, 11), date(2026, 1, 12)]


def test_funnel_by_device_sums_to_the_overall_funnel_on_all(warehouse, selections):
    result, _ = run_panel(warehouse, "business-kpis", "Funnel by device: view → cart → purchase", selections["business-kpis"]["all"])
    totals = [sum(r[i] for r in result.rows) for i in (1, 2, 3)]
    overall = warehouse.query(
        "SELECT sum(views), sum(carts), sum(purchases) FROM marts.funnel_daily WHERE NOT by_device"
    ).rows[0]
    assert totals == list(overall) and totals[0] > totals[1] > totals[2] > 0


def test_funnel_filtered_to_one_device_is_that_devices_rows(warehouse, selections):
    one = selections["business-kpis"]["one"]
    (device,) = one["device"].values
    result, sql = run_panel(warehouse, "business-kpis", "Funnel conversion by device", one)
    assert f"IN ('{device}')" in sql
    (row,) = result.records()
    mart = warehouse.query(
        "SELECT sum(views), sum(carts), sum(purchases) FROM marts.funnel_daily WHERE by_device AND device = %s", (device,)
    ).rows[0]
    assert (row["device"], row["views"], row["carts"], row["purchases"]) == (device, *mart)
    assert row["view_to_purchase"] == pytest.approx(float(mart[2]) / float(mart[0]))
    two, sql2 = run_panel(warehouse, "business-kpis", "Funnel conversion by device", selections["business-kpis"]["two"])
    assert len(two.rows) == 2 and "IN ('" in sql2 and "','" in sql2


def test_category_revenue_on_all_equals_weekly_sales(warehouse, selections):
    result, _ = run_panel(warehouse, "business-kpis", "Revenue per week by category", selections["business-kpis"]["all"])
    by_week: dict = {}
    for t, _, revenue in result.rows:
        by_week[t] = by_week.get(t, Decimal(0)) + revenue
    mart = dict(warehouse.query("SELECT week_start, revenue FROM marts.sales_weekly").rows)
    assert by_week == mart


def test_category_panels_equal_the_product_mart_grouped(warehouse, selections):
    # marts.category_revenue_weekly is product_popularity_weekly by week and category, kept
    # apart so that the panel and the variable read weeks x categories, not x products.
    result, _ = run_panel(warehouse, "business-kpis", "Revenue per week by category", selections["business-kpis"]["all"])
    grouped = warehouse.query(
        "SELECT week_start, coalesce(category, 'unknown'), sum(revenue) FROM marts.product_popularity_weekly "
        "GROUP BY 1, 2 ORDER BY 1, 2").rows
    assert grouped
    assert [(t.date() if hasattr(t, "date") else t, m, r) for t, m, r in result.rows] == [
        (w, c, r) for w, c, r in grouped]
    counts = warehouse.query(
        "SELECT week_start, category, products FROM marts.category_revenue_weekly "
        "EXCEPT ALL SELECT week_start, category, count(*) FROM marts.product_popularity_weekly GROUP BY 1, 2").rows
    assert counts == []


def test_top_products_equal_a_window_over_the_whole_mart(warehouse, selections):
    # The panel reads marts.top_products_weekly (an index in revenue order, cut at 10 a week);
    # the same rows from a window over every product-week of the selection, as the panel did.
    one = selections["business-kpis"]["one"]
    (category,) = one["category"].values
    for selection, categories in ((selections["business-kpis"]["all"], None), (one, category)):
        panel, _ = run_panel(warehouse, "business-kpis", "Top products by week", selection)
        got = [(r["week"], r["rank_in_selection"], r["product_id"]) for r in panel.records()]
        want = warehouse.query(
            WINDOW_OVER_THE_MART, {"start": None, "end": None, "c": [categories] if categories else None, "n": 10}).rows
        assert got == [tuple(r) for r in want] and got


def test_top_products_are_the_marts_top_ten_ranked_within_the_selection(warehouse, selections):
    everything, _ = run_panel(warehouse, "business-kpis", "Top products by week", selections["business-kpis"]["all"])
    rows = everything.records()
    weeks = {r["week"] for r in rows}
    assert len(weeks) == 5 and all(sum(r["week"] == w for r in rows) == 10 for w in weeks)
    # On All, the selection is every product: the rank is the mart's rank.
    mart = {(str(w), p): rank for w, p, rank in warehouse.query(
        "SELECT week_start, product_id, rank FROM marts.product_popularity_weekly").rows}
    assert all(r["rank_in_selection"] == mart[(r["week"], r["product_id"])] for r in rows)
    one = selections["business-kpis"]["one"]
    (category,) = one["category"].values
    filtered, _ = run_panel(warehouse, "business-kpis", "Top products by week", one)
    recs = filtered.records()
    assert recs and {r["category"] for r in recs} == {category}
    for week in {r["week"] for r in recs}:
        in_week = [r for r in recs if r["week"] == week]
        best = warehouse.query(
            "SELECT max(revenue) FROM marts.product_popularity_weekly WHERE week_start = %s AND category = %s",
            (week, category),
        ).rows[0][0]
        assert in_week[0]["rank_in_selection"] == 1 and in_week[0]["revenue"] == best


def test_new_users_per_week_are_the_signups_of_the_week(warehouse):
    result, _ = run_panel(warehouse, "business-kpis", "New users per week")
    panel = dict(result.rows)
    week = date(2026, 1, 12)
    (signups,) = warehouse.query(
        "SELECT count(*) FROM (SELECT DISTINCT ON (user_id) user_id, signup_date FROM dw.dim_user "
        "ORDER BY user_id, valid_from DESC) u WHERE signup_date BETWEEN %s AND %s",
        (week, week + timedelta(days=6)),
    ).rows[0]
    assert panel[week] == signups > 0


def test_cohort_matrix_rows_are_cohorts_columns_offsets(warehouse):
    result, _ = run_panel(warehouse, "business-kpis", "Retention by signup cohort (share of the cohort active in week k)")
    recs = result.records()
    assert {r["week_offset"] for r in recs} >= {0, 1, 2, 3}
    week0 = [r["retention_rate"] for r in recs if r["week_offset"] == 0]
    assert all(0 < x <= 1 for x in week0)


def test_latest_week_and_day_stats(warehouse):
    tr = TimeRange(FULL_RANGE.start, day_start(date(2026, 1, 20)))
    sales, _ = run_panel(warehouse, "business-kpis", "Latest week in range: sales", tr=tr)
    mart = warehouse.query("SELECT revenue, orders, units, avg_order_value FROM marts.sales_weekly WHERE week_start = '2026-01-19'").rows
    assert sales.rows == mart
    engagement, _ = run_panel(warehouse, "business-kpis", "Latest day in range: engagement", tr=tr)
    assert engagement.rows == warehouse.query(
        "SELECT dau, wau, mau, stickiness FROM marts.engagement_daily WHERE event_date = '2026-01-20'"
    ).rows


# ----------------------------------------------------------------------------------------------
# Pipeline operations
# ----------------------------------------------------------------------------------------------


def test_rejects_by_reason_equal_the_quarantine(warehouse):
    result, _ = run_panel(warehouse, "pipeline-operations", "Rows rejected per day by reason")
    panel = {(t, reason): int(n) for t, reason, n in result.rows}
    quarantine = warehouse.query(
        "SELECT batch_date, CASE WHEN stage = 'load' THEN 'load: ' || reason "
        "  WHEN source_file = 'events.csv' THEN 'conformance: ' || reason "
        "  ELSE 'scd: ' || CASE source_file WHEN 'users.csv' THEN 'dim_user' WHEN 'products.csv' THEN 'dim_product' "
        "                 ELSE source_file END || ' without key or time' END, count(*) "
        "FROM quarantine.rejected_rows GROUP BY 1, 2"
    ).rows
    assert panel == {(d, reason): n for d, reason, n in quarantine}
    assert any(k[1].startswith("load: ") for k in panel) and any(k[1].startswith("conformance: ") for k in panel)


def test_rows_loaded_equal_the_staged_rows(warehouse):
    result, _ = run_panel(warehouse, "pipeline-operations", "Rows loaded per day and file")
    panel = {(t, f): n for t, f, n in result.rows}
    staged = warehouse.query("SELECT batch_date, count(*) FROM staging.events GROUP BY 1").rows
    assert {d: n for (d, f), n in panel.items() if f == "events.csv"} == dict(staged)
    assert {f for _, f in panel} == {"events.csv", "users.csv", "products.csv"}


def test_step_durations_have_one_series_per_step_and_day(warehouse):
    result, _ = run_panel(warehouse, "pipeline-operations", "Step duration per day")
    steps = {labels[0][1] for (_, labels) in series(result)}
    assert steps == {"load", "validate", "scd", "transform"}
    days = {r[0] for r in result.rows}
    assert min(days) == date(2026, 1, 1) and max(days) == LAST_DAY and len(days) == 28


def test_expectations_per_day_count_every_expectation_of_the_suites(warehouse):
    result, _ = run_panel(warehouse, "pipeline-operations", "Expectations passed / failed per day")
    evaluated = dict(warehouse.query(
        "SELECT batch_date, (details ->> 'evaluated')::int FROM ops.task_runs WHERE step = 'validate'"
    ).rows)
    for row in result.records():
        total = row["passed"] + row["failed critical"] + row["failed warning"] + row["failed info"]
        assert total == evaluated[row["time"]]
        assert row["failed critical"] == 0  # a clean warehouse passed every gate


def test_failing_expectations_show_unexpected_counts(warehouse):
    result, _ = run_panel(warehouse, "pipeline-operations", "Failing expectations (latest validation of each day)")
    recs = result.records()
    assert recs and all(r["severity"] in ("warning", "info") for r in recs)
    assert any(r["unexpected_count"] and r["unexpected_count"] > 0 for r in recs)


def test_scd_changes_per_day_match_the_dimensions(warehouse):
    result, _ = run_panel(warehouse, "pipeline-operations", "SCD2 changes per day")
    panel = {(t, m): int(n) for t, m, n in result.rows}
    day = date(2026, 1, 10)
    (inserted,) = warehouse.query(
        "SELECT count(*) FROM dw.dim_user WHERE valid_from >= %s AND valid_from < %s", (day, day + timedelta(days=1))
    ).rows[0]
    # Versions valid from day D were inserted by the merge of D (the feed of a day carries its changes).
    assert panel[(day, "dim_user new versions")] == inserted
    assert {m for _, m in panel} == {
        f"{d} {m}" for d in ("dim_user", "dim_product") for m in ("new versions", "closed", "erased")
    }


def test_freshness_stats(warehouse):
    latest, _ = run_panel(warehouse, "pipeline-operations", "Latest transformed day")
    assert latest.rows == [(LAST_DAY.isoformat(),)]
    age, _ = run_panel(warehouse, "pipeline-operations", "Age of the latest day (hours since it ended)")
    (hours,) = age.rows[0]
    expected = (datetime.now(UTC) - day_start(LAST_DAY + timedelta(days=1))).total_seconds() / 3600
    assert float(hours) == pytest.approx(expected, abs=0.1)
    last, _ = run_panel(warehouse, "pipeline-operations", "Last successful transform")
    (finished,) = warehouse.query("SELECT max(finished_at) FROM ops.task_runs WHERE step = 'transform'").rows[0]
    assert float(last.rows[0][0]) == pytest.approx(finished.timestamp() * 1000, abs=1)
    failed, _ = run_panel(warehouse, "pipeline-operations", "Failed or abandoned runs (time range)")
    assert failed.rows == [(0,)]


def test_row_count_changes_add_up_to_the_fact_count(warehouse):
    result, _ = run_panel(warehouse, "pipeline-operations", "Row-count change per table per day")
    deltas = [n for t, table, n in result.rows if table == "dw.fact_user_events" and n is not None]
    first = warehouse.query(
        "SELECT row_count FROM ops.table_stats WHERE table_name = 'dw.fact_user_events' ORDER BY measured_at, stat_id LIMIT 1"
    ).rows[0][0]
    (facts,) = warehouse.query("SELECT count(*) FROM dw.fact_user_events").rows[0]
    assert first + sum(deltas) == facts


def test_the_queries_really_run_with_the_bi_roles_rights_only(warehouse):
    # Otherwise every test above would prove nothing about the role.
    import psycopg

    for sql in ("SELECT 1 FROM quarantine.rejected_rows LIMIT 1", "SELECT 1 FROM staging.events LIMIT 1",
                "SELECT 1 FROM dw.fact_user_events LIMIT 1", "SELECT observed_value FROM ops.validation_results LIMIT 1"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            warehouse.bi(sql)
    with psycopg.connect(warehouse.url) as conn:
        conn.execute(f"SET ROLE {BI_ROLE}")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM ops.task_runs")
