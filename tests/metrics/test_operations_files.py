"""The shipped operations files are valid: promtool checks and unit-tests the rules, the deploy examples hold."""

from __future__ import annotations

import json
import re
import subprocess

import yaml

from tests.metrics.prometheus_harness import DASHBOARDS, REPO, RULES, without_idle_zero
from tests.metrics.test_docs import documented

DEPLOY = REPO / "deploy"
# Our documented families plus Prometheus' own `up`.
KNOWN = set(documented()) | {"up"}


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["promtool", *args], capture_output=True, text=True, timeout=60, check=False)


def test_promtool_check_rules() -> None:
    result = promtool("check", "rules", *map(str, sorted(RULES.glob("*.yml"))))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 15 rules found" in result.stdout


def test_promtool_unit_tests_of_the_rules() -> None:
    result = promtool("test", "rules", *map(str, sorted((RULES / "tests").glob("*.yml"))))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_unit_test() -> None:
    alerts = {
        r["alert"] for g in yaml.safe_load((RULES / "lavalink_rules.yml").read_text())["groups"] for r in g["rules"]
    }
    tested = {
        case["alertname"]
        for path in (RULES / "tests").glob("*.yml")
        for test in yaml.safe_load(path.read_text())["tests"]
        for case in test.get("alert_rule_test", [])
        if case["exp_alerts"]
    }
    assert alerts == tested


def test_promtool_accepts_the_example_prometheus_config() -> None:
    result = promtool("check", "config", str(DEPLOY / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    config = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    assert config["scrape_configs"][0]["basic_auth"]["username"]


def test_dashboards_have_job_and_instance_variables_and_only_our_metrics() -> None:
    for path in sorted(DASHBOARDS.glob("*.json")):
        dashboard = json.loads(path.read_text())
        variables = {v["name"] for v in dashboard["templating"]["list"]}
        assert {"job", "instance"} <= variables, path.name
        for panel in dashboard["panels"]:
            for target in panel["targets"]:
                expr = target["expr"]
                assert 'job=~"$job"' in expr and 'instance=~"$instance"' in expr, (path.name, panel["title"])
                for name in re.findall(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\{", expr):
                    family = name.removesuffix("_bucket")
                    assert family in KNOWN, (path.name, panel["title"], name)


def test_dashboards_import_with_a_data_source_prompt_thresholds_and_units() -> None:
    for path in sorted(DASHBOARDS.glob("*.json")):
        dashboard = json.loads(path.read_text())
        # Grafana's import asks for a data source only for dashboards that declare it under __inputs.
        [source] = [i for i in dashboard["__inputs"] if i["type"] == "datasource"]
        assert source["pluginId"] == "prometheus"
        variable = next(v for v in dashboard["templating"]["list"] if v["name"] == "datasource")
        assert variable["current"]["value"] == "${" + source["name"] + "}"
        for panel in dashboard["panels"]:
            defaults = panel["fieldConfig"]["defaults"]
            assert defaults["thresholds"]["steps"], (path.name, panel["title"])
            unit = defaults["unit"]
            for target in panel["targets"]:
                expr = without_idle_zero(target["expr"])
                if re.match(r"^\(?histogram_quantile\(.*_seconds_bucket", expr):
                    assert unit == "s", (path.name, panel["title"])
                elif re.match(r"^\(?histogram_quantile\(.*_bytes_bucket", expr):
                    assert unit == "bytes", (path.name, panel["title"])
                elif "_percent" in expr:
                    assert unit == "percent", (path.name, panel["title"])
                elif "cache_hits" in expr:
                    assert unit == "percentunit", (path.name, panel["title"])
