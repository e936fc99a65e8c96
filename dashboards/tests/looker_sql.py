"""What Looker does with this project's LookML before the server sees a query, redone in Python:
the views, explores and dashboards parsed; a field's SQL with its references expanded and each
view aliased by its name; a derived table's Liquid rendered as Looker documents it for
PostgreSQL; and a dashboard tile's whole query (fields, filters, the dashboard filters it
listens to, GROUP BY, sorts). Used by test_looker.py and by time_queries.py."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import lkml
import yaml

from support import LOOKER_DIR

VIEW_FILES = sorted((LOOKER_DIR / "views").glob("*.view.lkml"))
MODEL_FILE = LOOKER_DIR / "retention.model.lkml"
DASHBOARD_FILES = sorted(LOOKER_DIR.glob("*.dashboard.lookml"))


def parse(path: Path) -> dict:
    return lkml.load(path.read_text())


VIEWS = {v["name"]: v for path in VIEW_FILES for v in parse(path)["views"]}
MODEL = parse(MODEL_FILE)
EXPLORES = {e["name"]: e for e in MODEL["explores"]}

LIQUID_TAG = re.compile(r"\{%-?\s*(.*?)\s*-?%\}", re.S)


def quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def render_liquid(view_name: str, sql: str, values: dict) -> str:
    """A derived table's SQL as Looker renders it for PostgreSQL, given the view's filter and
    parameter values. `values` maps a field name to:
    - a date filter: (start, end), `end` exclusive, either None for an open-ended range;
    - a string filter: a list of values ("is any of");
    - a parameter: its value.
    A name not in `values` is unset: `date_start`/`date_end` give NULL, `condition` gives 1=1,
    `_is_filtered` is false, a parameter gives its default_value (or nothing). Only the tags the
    project uses are known here; any other fails, so a new construct cannot be misrendered."""
    view = VIEWS[view_name]
    filters = {f["name"]: f for f in view.get("filters", [])}
    parameters = {p["name"]: p for p in view.get("parameters", [])}
    out: list[str] = []
    branches: list[bool] = []  # one per open {% if %}: whether its current branch is emitted
    condition: tuple[str, list[str]] | None = None
    pos = 0

    def emit(text: str) -> None:
        if condition is not None:
            condition[1].append(text)
        elif all(branches):
            out.append(text)

    for m in LIQUID_TAG.finditer(sql):
        emit(sql[pos : m.start()])
        pos = m.end()
        tag, *args = m.group(1).split()
        if tag == "if":
            (test,) = args
            owner, field, attribute = test.split(".")
            assert owner == view_name and attribute == "_is_filtered" and field in filters, test
            branches.append(field in values)
        elif tag == "else":
            branches[-1] = not branches[-1]
        elif tag == "endif":
            branches.pop()
        elif tag == "condition":
            (name,) = args
            assert name in filters and filters[name]["type"] == "string" and condition is None, name
            condition = (name, [])
        elif tag == "endcondition":
            assert condition is not None
            name, parts = condition
            condition = None
            expr = "".join(parts).strip()
            if name in values:
                emit("(" + " OR ".join(f"({expr}) = {quote(v)}" for v in values[name]) + ")")
            else:
                emit("1=1")
        elif tag in ("date_start", "date_end"):
            (name,) = args
            assert filters[name]["type"] == "date", name
            bound = values.get(name, (None, None))[0 if tag == "date_start" else 1]
            emit("NULL" if bound is None else f"TIMESTAMP '{bound.isoformat()} 00:00:00'")
        elif tag == "parameter":
            (name,) = args
            param = parameters[name]
            emit(str(values.get(name, param.get("default_value", ""))))
        else:
            raise AssertionError(f"{view_name}: Liquid tag {tag!r} is not rendered by these tests")
    emit(sql[pos:])
    assert not branches and condition is None, f"{view_name}: unclosed Liquid tag"
    return "".join(out)


def table_of(view_name: str, values: dict | None = None) -> str:
    """The FROM item Looker writes for a view: its table, or its derived table rendered with the
    filter values given (unset when none), each aliased by the view's name."""
    view = VIEWS[view_name]
    if "sql_table_name" in view:
        return f"{view['sql_table_name']} AS {view_name}"
    return f"({render_liquid(view_name, view['derived_table']['sql'], values or {})}) AS {view_name}"

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


def explore_fields(explore: str) -> set[str]:
    """Every field an explore offers: its views' dimensions, timeframes and measures, and their
    filter-only fields and parameters (a dashboard filter may listen to those)."""
    views = [explore, *(j["name"] for j in EXPLORES[explore].get("joins", []))]
    return {
        f"{v}.{f}"
        for v in views
        for f in [*fields_of(VIEWS[v]), *(x["name"] for x in [*VIEWS[v].get("filters", []), *VIEWS[v].get("parameters", [])])]
    }


def dashboard_elements():
    for path in DASHBOARD_FILES:
        for dashboard in yaml.safe_load(path.read_text()):
            yield dashboard



def tile_sql(element: dict, date_range: tuple[date | None, date | None] | None = None) -> str:
    """The query Looker sends for a dashboard tile: its fields (dimensions grouped, measures
    aggregated), its own filters, the dashboard's date filter (`date_range`, end exclusive; None:
    unset) on the field it listens with, the other dashboard filters unset (All), its sorts.
    A filter-only field of a derived table takes the date range as a templated filter."""
    explore = element["explore"]
    values: dict = {}
    where: list[str] = []
    for dashboard_filter, field in element.get("listen", {}).items():
        view, name = field.split(".")
        if dashboard_filter != "date_range" or date_range is None:
            continue
        if name in {f["name"] for f in VIEWS[view].get("filters", [])}:
            values[name] = date_range
        else:
            start, end = date_range
            sql = field_sql(view, name)
            if start is not None:
                where.append(f"({sql}) >= DATE '{start.isoformat()}'")
            if end is not None:
                where.append(f"({sql}) < DATE '{end.isoformat()}'")
    for field, expression in element.get("filters", {}).items():
        view, name = field.split(".")
        sql = selectable(view, name)
        m = re.fullmatch(r"\s*(<=|>=|<|>|=)?\s*(-?\d+(?:\.\d+)?)\s*", str(expression))
        if m:
            where.append(f"({sql}) {m.group(1) or '='} {m.group(2)}")
        else:
            where.append(f"({sql}) = {quote(str(expression))}")
    dims = [f for f in element["fields"] if fields_of(VIEWS[f.split('.')[0]])[f.split('.')[1]][0] != "measure"]
    columns = [(selectable(*f.split(".")) if f in dims else field_sql(*f.split("."))) + f" AS \"{f}\""
               for f in element["fields"]]
    sql = f"SELECT {', '.join(columns)} FROM {table_of(explore, values)}"
    for join in EXPLORES[explore].get("joins", []):
        on = REF.sub(lambda m: "(" + field_sql(*m.group(1).split(".")) + ")", join["sql_on"])
        sql += f" LEFT JOIN {table_of(join['name'])} ON {on}"
    if where:
        sql += " WHERE " + " AND ".join(where)
    if dims and len(dims) < len(element["fields"]):
        sql += " GROUP BY " + ", ".join(str(element["fields"].index(f) + 1) for f in dims)
    order = []
    for s in element.get("sorts", []):
        field, *direction = s.split()
        order.append(f"\"{field}\"" + (" DESC" if direction == ["desc"] else ""))
    if order:
        sql += " ORDER BY " + ", ".join(order)
    return sql
