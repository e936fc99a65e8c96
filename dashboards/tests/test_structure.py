"""The Grafana files as Grafana loads them: provisioning YAML, dashboard JSON, alert rules, and
the compose service that mounts them. No database."""

from __future__ import annotations

import re
from itertools import combinations

import pytest
import yaml

import grafana_sql
import support
from support import (
    DATASOURCE_TYPE,
    DATASOURCE_UID,
    PROVISIONING_ENV,
    REPO_ROOT,
    dashboard_files,
    load_dashboard,
    load_yaml,
    panels_of,
    provisioning_files,
    targets_of,
    variable_query,
    variables_of,
)

DASHBOARDS = {p.name: load_dashboard(p) for p in dashboard_files()}
DS = {"type": DATASOURCE_TYPE, "uid": DATASOURCE_UID}


def test_the_two_dashboards_and_every_provisioning_file_exist_and_load():
    assert set(DASHBOARDS) == {"pipeline-operations.json", "business-kpis.json"}
    names = {str(p.relative_to(support.PROVISIONING_DIR)) for p in provisioning_files()}
    assert names == {"datasources/retention.yaml", "dashboards/retention.yaml", "alerting/retention.yaml"}
    for path in provisioning_files():
        doc = load_yaml(path)
        assert doc["apiVersion"] == 1, path


def test_datasource_is_the_postgres_plugin_with_a_fixed_uid_and_secrets_from_the_environment():
    raw = load_yaml(support.PROVISIONING_DIR / "datasources/retention.yaml")
    (ds,) = raw["datasources"]
    assert ds["uid"] == DATASOURCE_UID and ds["type"] == DATASOURCE_TYPE
    # Grafana 12: database in jsonData, password in secureJsonData, no top-level keys.
    assert "database" not in ds and "password" not in ds
    assert ds["secureJsonData"]["password"] == "$__env{RETENTION_GRAFANA_DB_PASSWORD}"
    assert ds["user"] == "$__env{RETENTION_GRAFANA_DB_USER}"
    env_ds = grafana_sql.interpolate_tree(raw, PROVISIONING_ENV)["datasources"][0]
    assert env_ds["url"] == "postgres:5432"
    assert env_ds["jsonData"]["database"] == "retention"
    assert env_ds["jsonData"]["sslmode"] == "disable"
    assert env_ds["secureJsonData"]["password"] == "secret-from-env"


def test_dashboard_provider_reads_the_path_compose_mounts_the_json_at():
    (provider,) = load_yaml(support.PROVISIONING_DIR / "dashboards/retention.yaml")["providers"]
    assert provider["type"] == "file" and provider["folder"] == "Retention"
    grafana = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())["services"]["grafana"]
    mounts = {m.split(":")[1]: m.split(":")[0] for m in grafana["volumes"] if m.startswith("./")}
    assert mounts[provider["options"]["path"]] == "./dashboards/grafana/dashboards"
    for sub in ("datasources", "dashboards", "alerting"):
        assert mounts[f"/etc/grafana/provisioning/{sub}"] == f"./dashboards/grafana/provisioning/{sub}"
    assert all(m.endswith(":ro") for m in grafana["volumes"] if m.startswith("./"))


def test_compose_service_gives_every_variable_the_provisioning_reads():
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    grafana = compose["services"]["grafana"]
    assert re.fullmatch(r"grafana/grafana-oss:12\.\d+\.\d+", grafana["image"])
    assert "127.0.0.1:3000:3000" in grafana["ports"]
    assert "postgres" in grafana["depends_on"]
    env = grafana["environment"]
    needed = set()
    for path in provisioning_files():
        needed |= _env_reads(load_yaml(path))
    assert needed <= set(env), f"not set by compose: {needed - set(env)}"
    assert env["RETENTION_GRAFANA_DB_HOST"] == "postgres:5432"
    assert env["RETENTION_GRAFANA_DB_USER"] == "grafana"
    assert env["RETENTION_GRAFANA_DB_PASSWORD"] == "${GRAFANA_DB_PASSWORD:-grafana}"
    init = (REPO_ROOT / "docker/postgres-init/20-retention-bi.sh").read_text()
    assert "retention_bi NOLOGIN" in init and "IN ROLE retention_bi" in init


def _env_reads(node) -> set[str]:
    if isinstance(node, str):
        return grafana_sql.provisioning_env_references(node)
    if isinstance(node, list):
        return set().union(*map(_env_reads, node)) if node else set()
    if isinstance(node, dict):
        return set().union(*map(_env_reads, node.values())) if node else set()
    return set()


def test_provisioning_reads_no_variable_it_does_not_mean_to():
    # An unescaped `$__timeTo()` or `$values` would silently become empty: every `$` in the
    # provisioning files is `$$` or `$__env{...}` of a documented variable.
    for path in provisioning_files():
        assert _env_reads(load_yaml(path)) <= set(PROVISIONING_ENV), path


def test_no_password_literal_anywhere():
    # Every Grafana and Looker file: a password-like key only ever takes an environment
    # reference, and no URL carries credentials. (docker-compose.yml's development defaults,
    # `${GRAFANA_DB_PASSWORD:-grafana}`, are the compose file's business and overridable.)
    files = [*provisioning_files(), *dashboard_files(),
             *sorted(support.LOOKER_DIR.rglob("*.lkml")), *sorted(support.LOOKER_DIR.rglob("*.lookml"))]
    assert len(files) > 5
    key = re.compile(r"(password|passwd|secret|token)\w*\"?\s*[:=]\s*(.+)", re.IGNORECASE)
    url_credentials = re.compile(r"://[^/\s:@]+:[^/\s@]+@")
    for path in files:
        for line in path.read_text().splitlines():
            m = key.search(line)
            if m:
                value = m.group(2).strip().strip("'\",")
                assert value.startswith("$__env{"), f"{path.name}: {line.strip()}"
            assert not url_credentials.search(line), f"{path.name}: {line.strip()}"


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_dashboard_header(name):
    d = DASHBOARDS[name]
    assert d["uid"] in ("retention-pipeline-ops", "retention-business-kpis")
    assert d["timezone"] == "utc"
    assert d["schemaVersion"] >= 39
    assert "id" not in d or d["id"] is None


def test_dashboard_uids_are_unique():
    assert len({d["uid"] for d in DASHBOARDS.values()}) == len(DASHBOARDS)


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_panel_ids_unique_and_grid_inside_24_columns_without_overlap(name):
    panels = panels_of(DASHBOARDS[name])
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids)), "duplicate panel ids"
    boxes = []
    for p in panels:
        g = p["gridPos"]
        assert g["x"] >= 0 and g["y"] >= 0 and g["w"] > 0 and g["h"] > 0, p["title"]
        assert g["x"] + g["w"] <= 24, f"{p['title']} leaves the 24-column grid"
        boxes.append((p["title"], g))
    for (ta, a), (tb, b) in combinations(boxes, 2):
        overlap = a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"] and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"]
        assert not overlap, f"{ta!r} overlaps {tb!r}"


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_every_panel_target_and_variable_uses_the_provisioned_datasource(name):
    d = DASHBOARDS[name]
    for p in panels_of(d):
        assert p.get("datasource") == DS, p["title"]
        assert p.get("targets"), f"{p['title']} has no query"
    for p, t in targets_of(d):
        assert t.get("datasource") == DS, f"{p['title']} {t['refId']}"
        assert t["format"] in ("time_series", "table"), p["title"]
        assert t.get("rawQuery") is True and t.get("rawSql"), p["title"]
    for var in variables_of(d):
        assert var.get("datasource") == DS, var["name"]


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_refids_unique_per_panel(name):
    for p in panels_of(DASHBOARDS[name]):
        refs = [t["refId"] for t in p["targets"]]
        assert len(refs) == len(set(refs)), p["title"]


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_every_template_variable_is_used_and_every_reference_is_defined(name):
    d = DASHBOARDS[name]
    defined = {v["name"] for v in variables_of(d)}
    used = set()
    for _, t in targets_of(d):
        used |= grafana_sql.variable_references(t["rawSql"])
    assert used <= defined, f"undefined variables {used - defined}"
    assert defined <= used, f"variables no panel uses: {defined - used}"


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_multi_value_variables_are_used_in_in_lists_only(name):
    # Grafana expands a multi-value variable to 'a','b',...: valid SQL only as a list, IN (...)
    # or ARRAY[...].
    d = DASHBOARDS[name]
    multi = {v["name"] for v in variables_of(d) if v.get("multi") or v.get("includeAll")}
    for p, t in targets_of(d):
        for var in multi:
            for m in re.finditer(r"\$\{?" + var + r"\b", t["rawSql"]):
                before = t["rawSql"][: m.start()].rstrip()
                assert before.endswith(("IN (", "ARRAY[")), f"{p['title']}: ${var} outside IN (...) or ARRAY[...]"


def test_business_variables_are_multi_value_with_all():
    variables = {v["name"]: v for v in variables_of(DASHBOARDS["business-kpis.json"])}
    assert set(variables) == {"device", "category"}
    for v in variables.values():
        assert v["multi"] and v["includeAll"]
        # "All" means every listed option (no custom all value): the option queries list every
        # value the panels filter on, NULLs included as 'unknown'.
        assert v.get("allValue") in (None, "")
        assert variable_query(v).lstrip().upper().startswith("SELECT DISTINCT")


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_variables_that_depend_on_the_time_range_refresh_with_it(name):
    for var in variables_of(DASHBOARDS[name]):
        if re.search(r"\$__(time|unixEpoch)", variable_query(var)):
            assert var["refresh"] == 2, var["name"]
        else:
            assert var["refresh"] in (1, 2), var["name"]


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_no_macro_or_variable_hides_in_a_sql_comment(name):
    for p, t in targets_of(DASHBOARDS[name]):
        assert "$" not in grafana_sql.sql_comments(t["rawSql"]), p["title"]


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_panels_read_only_marts_and_ops(name):
    # The BI role reads marts and ops only; the query tests prove it by running as that role,
    # this says so without a database.
    for p, t in targets_of(DASHBOARDS[name]):
        code = grafana_sql.strip_sql_comments(t["rawSql"])
        schemas = set(re.findall(r"\b(staging|quarantine|dw|public)\.\w+", code))
        assert not schemas, f"{p['title']} reads {schemas}"


def test_alert_rules_are_reduce_and_threshold_over_a_time_series_query():
    rules = support.alert_rules()
    assert {r["uid"] for r in rules} == {
        "retention-critical-expectation",
        "retention-stale-data",
        "retention-load-volume-drop",
        "retention-quarantine-rate",
    }
    for rule in rules:
        assert rule["condition"] == "C"
        refs = {q["refId"]: q for q in rule["data"]}
        assert set(refs) == {"A", "B", "C"}, rule["uid"]
        a = refs["A"]
        assert a["datasourceUid"] == DATASOURCE_UID and a["model"]["datasource"] == DS
        assert a["model"]["format"] == "time_series"
        assert a["relativeTimeRange"]["from"] > a["relativeTimeRange"]["to"] == 0
        for ref, kind in (("B", "reduce"), ("C", "threshold")):
            q = refs[ref]
            assert q["datasourceUid"] == "__expr__" and q["model"]["type"] == kind
            assert q["model"]["datasource"] == {"type": "__expr__", "uid": "__expr__"}
        assert refs["B"]["model"]["expression"] == "A" and refs["C"]["model"]["expression"] == "B"
        assert rule["noDataState"] in ("OK", "NoData", "Alerting") and rule["execErrState"] in ("Error", "Alerting", "OK")
        assert "$" not in rule["annotations"]["summary"]


def test_alert_macros_survive_provisioning_interpolation():
    stale = {r["uid"]: r for r in support.alert_rules()}["retention-stale-data"]
    assert "$__timeTo()::timestamptz" in support.rule_query(stale)["model"]["rawSql"]
    for rule in support.alert_rules():
        assert "{{" not in rule["annotations"]["description"] or "$values" in rule["annotations"]["description"]


def test_contact_point_is_a_webhook_from_the_environment_and_the_policy_routes_to_it():
    raw = load_yaml(support.alert_file())
    (cp,) = raw["contactPoints"]
    (receiver,) = cp["receivers"]
    assert receiver["type"] == "webhook"
    assert receiver["settings"]["url"] == "$__env{RETENTION_ALERT_WEBHOOK_URL}"
    (policy,) = raw["policies"]
    assert policy["receiver"] == cp["name"]
    assert {g["folder"] for g in raw["groups"]} == {"Retention"}
