"""What Grafana does to a PostgreSQL panel query before the server sees it, redone in Python.

Three stages, in Grafana's order:

1. The frontend replaces dashboard template variables (``$device``, ``${device:csv}``,
   ``[[device]]``) with the PostgreSQL datasource's formatting: a variable that is multi-value or
   has "Include All" becomes quoted literals joined by commas (``'mobile','tablet'``), a plain
   single-value variable is inserted raw; "All" without a custom ``allValue`` means every option.
2. The backend (``sqleng.Interpolate``) replaces ``$__interval_ms``, ``$__interval``,
   ``$__unixEpochFrom()`` and ``$__unixEpochTo()``.
3. The PostgreSQL macro engine (``pkg/tsdb/grafana-postgresql-datasource/macros.go``) replaces
   every ``$name(args)``: ``$__time``, ``$__timeEpoch``, ``$__timeFilter``, ``$__timeFrom``,
   ``$__timeTo``, ``$__timeGroup`` / ``$__timeGroupAlias``, ``$__unixEpochFilter``,
   ``$__unixEpochNanoFilter``/``From``/``To``, ``$__unixEpochGroup`` / ``Alias``; an unknown
   name is an error, as in Grafana.

Plus the provisioning-file interpolation (``$__env{X}``, ``$X``, ``${X}``, ``$$`` for a literal
``$``) that Grafana applies to every string of a provisioning YAML file, alert queries included.

Formats follow Go: times are ``time.RFC3339Nano`` in UTC (``2026-01-05T00:00:00Z``, fraction
without trailing zeros), interval seconds are ``%v`` of a float64 (``86400``, ``2.592e+06``).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Mapping, Sequence


class MacroError(ValueError):
    """A query Grafana would refuse (unknown macro, missing argument, bad interval)."""


@dataclass(frozen=True)
class TimeRange:
    """The dashboard's (or alert rule's) time range; both ends timezone-aware."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("TimeRange needs timezone-aware datetimes")


@dataclass(frozen=True)
class Variable:
    """A dashboard variable's selection, as the frontend holds it."""

    name: str
    values: Sequence[str]
    multi: bool = False
    include_all: bool = False
    all_selected: bool = False
    all_value: str | None = None
    options: Sequence[str] = field(default_factory=tuple)


# --------------------------------------------------------------------------------------------
# Go formatting
# --------------------------------------------------------------------------------------------


def rfc3339nano(t: datetime) -> str:
    """Go's ``t.UTC().Format(time.RFC3339Nano)``: no trailing zeros in the fraction, ``Z``."""
    t = t.astimezone(timezone.utc)
    base = t.strftime("%Y-%m-%dT%H:%M:%S")
    if t.microsecond:
        base += "." + f"{t.microsecond:06d}".rstrip("0")
    return base + "Z"


def go_float(value: float) -> str:
    """Go's ``fmt.Sprintf("%v", float64)`` (``strconv`` 'g' with the shortest precision): shortest
    round-tripping digits, exponent form when the decimal exponent is < -4 or >= 6
    (``86400``, ``604800``, ``1e+06``, ``2.592e+06``)."""
    if value == 0:
        return "0"
    if value != value or value in (float("inf"), float("-inf")):
        return {"nan": "NaN", "inf": "+Inf", "-inf": "-Inf"}[repr(value)]
    sign = "-" if value < 0 else ""
    digits, exponent = _shortest_digits(abs(value))
    # Decimal exponent of the first digit.
    exp = exponent + len(digits) - 1
    if exp < -4 or exp >= 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mantissa}e{'+' if exp >= 0 else '-'}{abs(exp):02d}"
    point = exponent + len(digits)  # position of the decimal point in `digits`
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return f"{sign}{digits}{'0' * (point - len(digits))}"
    return f"{sign}{digits[:point]}.{digits[point:]}"


def _shortest_digits(value: float) -> tuple[str, int]:
    """Shortest round-tripping digits of a positive float and the exponent of the last one."""
    d = Decimal(repr(value)).normalize()
    sign, digit_tuple, exponent = d.as_tuple()
    return "".join(map(str, digit_tuple)), int(exponent)


_INTERVAL = re.compile(r"^(\d+)(ms|s|m|h|d|w)$")
_UNIT = {
    "ms": timedelta(milliseconds=1),
    "s": timedelta(seconds=1),
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
}


def parse_interval(text: str) -> timedelta:
    """``gtime.ParseInterval`` for fixed units (``ms s m h d w``). ``M`` and ``y`` depend on the
    calendar in Grafana; the dashboards do not use them, so they are refused here."""
    m = _INTERVAL.match(text.strip())
    if not m:
        raise MacroError(f"error parsing interval {text}")
    return int(m.group(1)) * _UNIT[m.group(2)]


def format_interval(interval: timedelta) -> str:
    """``gtime.FormatInterval``: the largest whole unit (``1d``, ``6h``, ``30s``, ``100ms``)."""
    year, day = timedelta(days=365), timedelta(days=1)
    if interval >= year:
        return f"{interval // year}y"
    if interval >= day:
        return f"{interval // day}d"
    for unit, name in ((timedelta(hours=1), "h"), (timedelta(minutes=1), "m"), (timedelta(seconds=1), "s")):
        if interval >= unit:
            return f"{interval // unit}{name}"
    if interval >= timedelta(milliseconds=1):
        return f"{interval // timedelta(milliseconds=1)}ms"
    return "1ms"


# --------------------------------------------------------------------------------------------
# Stage 1: template variables (frontend, PostgreSQL datasource formatting)
# --------------------------------------------------------------------------------------------

# templateSrv's variable regex: $name, [[name(:fmt)]], ${name(.path)(:fmt)}.
_VARIABLE = re.compile(r"\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^\}]+))?(?::([^\}]+))?\}")


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _format(var: Variable, fmt: str | None) -> str:
    if var.all_selected and var.include_all and var.all_value is not None:
        # A custom "All" value is inserted as written, unformatted (templateSrv skips formatting).
        return var.all_value
    values = list(var.options) if var.all_selected else list(var.values)
    if fmt is None:
        # PostgresDatasource.interpolateVariable.
        if len(values) == 1 and not (var.multi or var.include_all):
            return values[0]
        return ",".join(quote_literal(v) for v in values)
    if fmt == "csv":
        return ",".join(values)
    if fmt == "singlequote":
        return ",".join("'" + v.replace("'", "\\'") + "'" for v in values)
    if fmt == "doublequote":
        return ",".join('"' + v.replace('"', '\\"') + '"' for v in values)
    if fmt == "sqlstring":
        return ",".join(quote_literal(v) for v in values)
    if fmt == "raw":
        return ",".join(values)
    raise MacroError(f"variable format {fmt!r} is not supported by this expander")


def interpolate_variables(sql: str, variables: Mapping[str, Variable]) -> str:
    """Replaces the dashboard variables; names that are not variables (``$__timeFilter``, ...)
    are left for the backend, as Grafana's templateSrv does."""

    def repl(m: re.Match) -> str:
        name = m.group(1) or m.group(2) or m.group(4)
        fmt = m.group(3) or m.group(6)
        var = variables.get(name)
        if var is None:
            return m.group(0)
        return _format(var, fmt)

    return _VARIABLE.sub(repl, sql)


def variable_references(sql: str) -> set[str]:
    """Names referenced with any of the variable syntaxes (built-ins ``$__x`` excluded)."""
    names = set()
    for m in _VARIABLE.finditer(sql):
        name = m.group(1) or m.group(2) or m.group(4)
        if not name.startswith("__"):
            names.add(name)
    return names


# --------------------------------------------------------------------------------------------
# Stages 2 and 3: backend interpolation and the PostgreSQL macro engine
# --------------------------------------------------------------------------------------------

_MACRO = re.compile(r"\$([_a-zA-Z0-9]+)\(([^\)]*)\)")


def _args(params: str) -> list[str]:
    params = params.strip().replace("\n", "")
    if params == "":
        return [""]
    row = next(csv.reader([params], skipinitialspace=True))
    return [a.strip() for a in row]


def _epoch(t: datetime) -> int:
    return int(t.timestamp() // 1)


def _epoch_nano(t: datetime) -> int:
    t = t.astimezone(timezone.utc)
    return (_epoch(t) * 1_000_000_000) + t.microsecond * 1000


def _macro(name: str, args: list[str], tr: TimeRange) -> str:
    def need_column() -> str:
        if not args or args == [""]:
            raise MacroError(f"missing time column argument for macro {name}")
        return args[0]

    if name == "__time":
        return f'{need_column()} AS "time"'
    if name == "__timeEpoch":
        return f'extract(epoch from {need_column()}) as "time"'
    if name == "__timeFilter":
        return f"{need_column()} BETWEEN '{rfc3339nano(tr.start)}' AND '{rfc3339nano(tr.end)}'"
    if name == "__timeFrom":
        return f"'{rfc3339nano(tr.start)}'"
    if name == "__timeTo":
        return f"'{rfc3339nano(tr.end)}'"
    if name in ("__timeGroup", "__unixEpochGroup"):
        if len(args) < 2:
            raise MacroError(f"macro {name} needs time column and interval and optional fill value")
        interval = parse_interval(args[1].strip("'"))
        if interval <= timedelta(0):
            raise MacroError(f"interval must be positive, got {args[1]}")
        if len(args) == 3 and args[2] not in ("NULL", "previous") and not _is_number(args[2]):
            raise MacroError(f"error parsing fill value {args[2]}")
        seconds = go_float(interval.total_seconds())
        if name == "__timeGroup":
            return f"floor(extract(epoch from {args[0]})/{seconds})*{seconds}"
        return f"floor(({args[0]})/{seconds})*{seconds}"
    if name in ("__timeGroupAlias", "__unixEpochGroupAlias"):
        return _macro(name[: -len("Alias")], args, tr) + ' AS "time"'
    if name == "__unixEpochFilter":
        c = need_column()
        return f"{c} >= {_epoch(tr.start)} AND {c} <= {_epoch(tr.end)}"
    if name == "__unixEpochNanoFilter":
        c = need_column()
        return f"{c} >= {_epoch_nano(tr.start)} AND {c} <= {_epoch_nano(tr.end)}"
    if name == "__unixEpochNanoFrom":
        return str(_epoch_nano(tr.start))
    if name == "__unixEpochNanoTo":
        return str(_epoch_nano(tr.end))
    raise MacroError(f"unknown macro {name!r}")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def expand_macros(sql: str, tr: TimeRange, interval: timedelta) -> str:
    """sqleng.Interpolate, then the PostgreSQL macro engine, as the backend runs them."""
    sql = sql.replace("$__interval_ms", str(interval // timedelta(milliseconds=1)))
    sql = sql.replace("$__interval", format_interval(interval))
    sql = sql.replace("$__unixEpochFrom()", str(_epoch(tr.start)))
    sql = sql.replace("$__unixEpochTo()", str(_epoch(tr.end)))

    out: list[str] = []
    last = 0
    for m in _MACRO.finditer(sql):
        name = m.group(1)
        if name == "__timeGroup":
            # Pre-5.3 compatibility in Grafana: `$__timeGroup(...)` directly followed by a comma
            # (at its first occurrence) gets the alias too.
            index = sql.find(m.group(0))
            after = index + len(m.group(0))
            if after < len(sql) and sql[after] == ",":
                name = "__timeGroupAlias"
        out.append(sql[last : m.start()])
        out.append(_macro(name, _args(m.group(2)), tr))
        last = m.end()
    out.append(sql[last:])
    return "".join(out)


def render(sql: str, tr: TimeRange, interval: timedelta, variables: Mapping[str, Variable] | None = None) -> str:
    """The SQL the PostgreSQL server receives for a panel or alert query."""
    return expand_macros(interpolate_variables(sql, variables or {}), tr, interval)


# --------------------------------------------------------------------------------------------
# Provisioning files: environment interpolation
# --------------------------------------------------------------------------------------------

_EXPANDER = re.compile(r"\$__(\w+)\{(.*?)\}")


def _go_expand_env(s: str, env: Mapping[str, str]) -> str:
    """Go's ``os.ExpandEnv`` (``$NAME``, ``${NAME}``; unknown names become empty)."""
    out = []
    i = 0
    while i < len(s):
        if s[i] != "$" or i + 1 >= len(s):
            out.append(s[i])
            i += 1
            continue
        rest = s[i + 1 :]
        if rest[0] == "{":
            end = rest.find("}")
            if end <= 1:  # "${}" or unterminated: Go eats the bad syntax
                i += 1 + (end + 1 if end >= 0 else len(rest))
                continue
            out.append(env.get(rest[1:end], ""))
            i += 2 + end
            continue
        if rest[0] in "*#$@!?-" or rest[0].isdigit():
            out.append(env.get(rest[0], ""))
            i += 2
            continue
        m = re.match(r"[A-Za-z0-9_]+", rest)
        if not m:
            out.append("$")  # "$" not followed by a name stays
            i += 1
            continue
        out.append(env.get(m.group(0), ""))
        i += 1 + m.end()
    return "".join(out)


def provisioning_interpolate(value: str, env: Mapping[str, str]) -> str:
    """Grafana's provisioning ``interpolateValue``: split on ``$$`` (a literal ``$``), expand
    ``$__env{X}`` (and refuse the other expanders), then ``os.ExpandEnv`` each part."""
    parts = value.split("$$")
    expanded = []
    for part in parts:

        def repl(m: re.Match) -> str:
            if m.group(1) != "env":
                raise MacroError(f"expander $__{m.group(1)} is not used by these files")
            return env.get(m.group(2), "")

        expanded.append(_go_expand_env(_EXPANDER.sub(repl, part), env))
    return "$".join(expanded)


def provisioning_env_references(value: str) -> set[str]:
    """Environment variables a provisioning string reads (``$$`` is a literal, not a read)."""
    names = set()
    for part in value.split("$$"):
        names.update(m.group(2) for m in _EXPANDER.finditer(part))
        rest = _EXPANDER.sub("", part)
        names.update(m.group(1) or m.group(2) for m in re.finditer(r"\$\{([^}]*)\}|\$([A-Za-z0-9_]+)", rest))
    return names


def interpolate_tree(node, env: Mapping[str, str]):
    """Applies ``provisioning_interpolate`` to every string of a loaded YAML document."""
    if isinstance(node, str):
        return provisioning_interpolate(node, env)
    if isinstance(node, list):
        return [interpolate_tree(v, env) for v in node]
    if isinstance(node, dict):
        return {k: interpolate_tree(v, env) for k, v in node.items()}
    return node


def _split_comments(sql: str) -> tuple[str, str]:
    """(the SQL without its comments, the comments' text), quotes respected."""
    code, comments = [], []
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c in "'\"":
            j = i + 1
            while j < n:
                if sql[j] == c:
                    if j + 1 < n and sql[j + 1] == c:
                        j += 2
                        continue
                    break
                j += 1
            code.append(sql[i : j + 1])
            i = j + 1
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end
            comments.append(sql[i:end])
            i = end
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            end = n if end < 0 else end + 2
            comments.append(sql[i:end])
            i = end
        else:
            code.append(c)
            i += 1
    return "".join(code), "\n".join(comments)


def strip_sql_comments(sql: str) -> str:
    """Line and block comments removed outside quotes (newer Grafana versions strip them before
    expanding macros; the dashboards put no macro inside a comment, so both behaviours agree)."""
    return _split_comments(sql)[0]


def sql_comments(sql: str) -> str:
    """The text of the SQL comments, one per line."""
    return _split_comments(sql)[1]
