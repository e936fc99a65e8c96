"""The expander against the outputs Grafana's own code produces (macros.go, sqleng, templateSrv,
provisioning values): exact strings, no database."""

from datetime import datetime, timedelta, timezone

import pytest

from grafana_sql import (
    MacroError,
    TimeRange,
    Variable,
    expand_macros,
    format_interval,
    go_float,
    interpolate_variables,
    parse_interval,
    provisioning_env_references,
    provisioning_interpolate,
    render,
    rfc3339nano,
    strip_sql_comments,
    variable_references,
)

UTC = timezone.utc
# The range of Grafana's own macro tests: 2018-04-12 18:00 to 18:05 UTC.
TR = TimeRange(datetime(2018, 4, 12, 18, 0, tzinfo=UTC), datetime(2018, 4, 12, 18, 5, tzinfo=UTC))
MINUTE = timedelta(minutes=1)


def test_rfc3339nano_is_utc_with_z_and_no_trailing_fraction_zeros():
    assert rfc3339nano(datetime(2026, 1, 5, tzinfo=UTC)) == "2026-01-05T00:00:00Z"
    assert rfc3339nano(datetime(2026, 1, 5, 1, 2, 3, 500000, tzinfo=UTC)) == "2026-01-05T01:02:03.5Z"
    plus2 = timezone(timedelta(hours=2))
    assert rfc3339nano(datetime(2026, 1, 5, 1, 0, tzinfo=plus2)) == "2026-01-04T23:00:00Z"


def test_time_and_time_epoch_alias_the_column():
    assert expand_macros("select $__time(time_column)", TR, MINUTE) == 'select time_column AS "time"'
    assert expand_macros("select $__timeEpoch(time_column)", TR, MINUTE) == (
        'select extract(epoch from time_column) as "time"'
    )


def test_time_filter_is_between_rfc3339_literals():
    assert expand_macros("WHERE $__timeFilter(time_column)", TR, MINUTE) == (
        "WHERE time_column BETWEEN '2018-04-12T18:00:00Z' AND '2018-04-12T18:05:00Z'"
    )


def test_time_from_and_to_are_quoted():
    assert expand_macros("$__timeFrom() $__timeTo()", TR, MINUTE) == (
        "'2018-04-12T18:00:00Z' '2018-04-12T18:05:00Z'"
    )


def test_time_group_floors_epoch_by_interval_seconds():
    assert expand_macros("GROUP BY $__timeGroup(time_column,'5m')", TR, MINUTE) == (
        "GROUP BY floor(extract(epoch from time_column)/300)*300"
    )
    assert expand_macros("GROUP BY $__timeGroup(d, '1d')", TR, MINUTE) == (
        "GROUP BY floor(extract(epoch from d)/86400)*86400"
    )
    assert expand_macros("$__timeGroupAlias(time_column,'5m')", TR, MINUTE) == (
        'floor(extract(epoch from time_column)/300)*300 AS "time"'
    )
    # %v of a float64: exponent form from 1e6 seconds on.
    assert expand_macros("$__timeGroup(d, '30d')", TR, MINUTE) == (
        "floor(extract(epoch from d)/2.592e+06)*2.592e+06"
    )


def test_time_group_directly_followed_by_a_comma_gets_the_alias():
    assert expand_macros("SELECT $__timeGroup(t,'1h'), v", TR, MINUTE) == (
        'SELECT floor(extract(epoch from t)/3600)*3600 AS "time", v'
    )


def test_time_group_fill_argument_is_checked_but_does_not_change_the_sql():
    assert expand_macros("$__timeGroup(t,'1h', 0)", TR, MINUTE) == "floor(extract(epoch from t)/3600)*3600"
    assert expand_macros("$__timeGroup(t,'1h', NULL)", TR, MINUTE) == "floor(extract(epoch from t)/3600)*3600"
    with pytest.raises(MacroError):
        expand_macros("$__timeGroup(t,'1h', nonsense)", TR, MINUTE)


def test_unix_epoch_macros():
    assert expand_macros("$__unixEpochFilter(time)", TR, MINUTE) == "time >= 1523556000 AND time <= 1523556300"
    assert expand_macros("$__unixEpochNanoFilter(t)", TR, MINUTE) == (
        "t >= 1523556000000000000 AND t <= 1523556300000000000"
    )
    assert expand_macros("$__unixEpochFrom() $__unixEpochTo()", TR, MINUTE) == "1523556000 1523556300"
    assert expand_macros("$__unixEpochGroupAlias(ts,'1h')", TR, MINUTE) == 'floor((ts)/3600)*3600 AS "time"'


def test_interval_ms_is_replaced_before_interval():
    sql = "SELECT $__interval_ms, '$__interval'"
    assert expand_macros(sql, TR, timedelta(days=1)) == "SELECT 86400000, '1d'"
    assert expand_macros(sql, TR, timedelta(minutes=5)) == "SELECT 300000, '5m'"


def test_unknown_macro_and_missing_column_are_errors():
    with pytest.raises(MacroError, match="unknown macro"):
        expand_macros("SELECT $__timeFilterz(t)", TR, MINUTE)
    with pytest.raises(MacroError, match="missing time column"):
        expand_macros("SELECT $__timeFilter()", TR, MINUTE)
    with pytest.raises(MacroError):
        expand_macros("SELECT $__timeGroup(t)", TR, MINUTE)


def test_interval_parsing_and_formatting():
    assert parse_interval("1d") == timedelta(days=1)
    assert parse_interval("7d") == parse_interval("1w")
    assert parse_interval("100ms") == timedelta(milliseconds=100)
    with pytest.raises(MacroError):
        parse_interval("1M")
    assert format_interval(timedelta(days=7)) == "7d"
    assert format_interval(timedelta(hours=36)) == "1d"
    assert format_interval(timedelta(seconds=90)) == "1m"
    assert format_interval(timedelta(milliseconds=20)) == "20ms"
    assert format_interval(timedelta(days=400)) == "1y"


def test_go_float_formats_like_percent_v():
    assert [go_float(x) for x in (300.0, 86400.0, 604800.0, 1e6, 0.5, 1e-5)] == [
        "300", "86400", "604800", "1e+06", "0.5", "1e-05"
    ]


DEVICE_OPTIONS = ("desktop", "mobile", "tablet")


def device(values, all_selected=False, all_value=None):
    return {"device": Variable("device", values, multi=True, include_all=True, all_selected=all_selected,
                               all_value=all_value, options=DEVICE_OPTIONS)}


def test_multi_value_variable_is_quoted_and_comma_joined():
    assert interpolate_variables("IN ($device)", device(["mobile", "tablet"])) == "IN ('mobile','tablet')"
    assert interpolate_variables("IN (${device})", device(["mobile"])) == "IN ('mobile')"
    assert interpolate_variables("IN ([[device]])", device(["mobile"])) == "IN ('mobile')"


def test_all_without_custom_value_is_every_option():
    assert interpolate_variables("IN ($device)", device(["$__all"], all_selected=True)) == (
        "IN ('desktop','mobile','tablet')"
    )


def test_custom_all_value_is_inserted_unformatted():
    assert interpolate_variables("$device", device([], all_selected=True, all_value="'%'")) == "'%'"


def test_single_value_variable_is_raw_and_quotes_are_escaped_when_quoting():
    single = {"v": Variable("v", ["x'y"])}
    assert interpolate_variables("= '$v'", single) == "= 'x'y'"
    multi = {"v": Variable("v", ["O'Brien"], multi=True)}
    assert interpolate_variables("IN ($v)", multi) == "IN ('O''Brien')"


def test_variable_formats():
    v = device(["mobile", "tablet"])
    assert interpolate_variables("${device:csv}", v) == "mobile,tablet"
    assert interpolate_variables("${device:singlequote}", v) == "'mobile','tablet'"
    assert interpolate_variables("${device:doublequote}", v) == '"mobile","tablet"'


def test_builtins_are_left_to_the_backend_and_not_reported_as_variables():
    sql = "WHERE $__timeFilter(d) AND device IN ($device) AND c IN (${category:csv})"
    assert interpolate_variables(sql, device(["mobile"])) == (
        "WHERE $__timeFilter(d) AND device IN ('mobile') AND c IN (${category:csv})"
    )
    assert variable_references(sql) == {"device", "category"}


def test_render_runs_all_stages():
    sql = "SELECT $__time(d) FROM t WHERE $__timeFilter(d) AND device IN ($device) ORDER BY 1"
    assert render(sql, TR, MINUTE, device(["mobile"])) == (
        "SELECT d AS \"time\" FROM t WHERE d BETWEEN '2018-04-12T18:00:00Z' AND '2018-04-12T18:05:00Z' "
        "AND device IN ('mobile') ORDER BY 1"
    )


def test_provisioning_interpolation():
    env = {"RETENTION_ALERT_WEBHOOK_URL": "http://hook", "USER": "alice"}
    assert provisioning_interpolate("$__env{RETENTION_ALERT_WEBHOOK_URL}", env) == "http://hook"
    assert provisioning_interpolate("SELECT $$__timeTo()::date", env) == "SELECT $__timeTo()::date"
    assert provisioning_interpolate("{{ $$values.B.Value }}", env) == "{{ $values.B.Value }}"
    # What an unescaped macro would become: the "variable" __timeTo is empty.
    assert provisioning_interpolate("SELECT $__timeTo()", env) == "SELECT ()"
    assert provisioning_interpolate("${USER}/$USER/$UNSET.", env) == "alice/alice/."
    assert provisioning_env_references("$__env{A} $$B ${C} $D") == {"A", "C", "D"}


def test_comments_are_stripped_outside_quotes():
    assert strip_sql_comments("SELECT '--x', 1 -- note\nFROM t /* c */") == "SELECT '--x', 1 \nFROM t "
