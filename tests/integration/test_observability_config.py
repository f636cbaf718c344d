"""The operator's kit is checked against the code: rules by promtool, queries by metric name."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from faust.sensors.prometheus import FaustMetrics
from prometheus_client import CollectorRegistry

from api.metrics import ApiMetrics
from dashboard.metrics import DashboardMetrics
from streams.metrics import EngineMetrics
from tests.system_tools import system_tool

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
METRIC = re.compile(r"\b((?:jaring|faust)_[a-z0-9_]+)")


def exported_names() -> set[str]:
    """Every series name the worker and API can export (labels aside)."""
    registry = CollectorRegistry()
    EngineMetrics.create(registry)
    FaustMetrics.create(registry, "faust")
    ApiMetrics(registry)
    DashboardMetrics.create(registry)
    names: set[str] = set()
    for family in registry.collect():
        suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_count", "_sum"]}.get(family.type, [""])
        names.update(family.name + suffix for suffix in suffixes)
    return names


def test_every_grafana_query_names_a_metric_the_code_exports() -> None:
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "jaring.json").read_text())
    queried = {name for panel in dashboard["panels"] for target in panel["targets"]
               for name in METRIC.findall(target["expr"])}

    assert queried, "the dashboard queries nothing"
    assert queried <= exported_names(), sorted(queried - exported_names())


def test_every_alert_names_a_metric_the_code_exports() -> None:
    rules = yaml.safe_load((DEPLOY / "prometheus" / "rules.yml").read_text())
    exprs = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    used = {name for expr in exprs for name in METRIC.findall(expr)}

    assert used <= exported_names(), sorted(used - exported_names())


def test_no_metric_is_labelled_with_personal_or_unbounded_ids() -> None:
    registry = CollectorRegistry()
    EngineMetrics.create(registry)
    ApiMetrics(registry)
    DashboardMetrics.create(registry)
    # prometheus_client keeps each metric's label names on the collector; read them
    # directly (no default), so a renamed attribute fails here instead of passing empty.
    labels = {label for collector in registry._collector_to_names for label in collector._labelnames}  # type: ignore[attr-defined]

    # Exactly these: a new label must be added here on purpose, after asking whether it is bounded.
    assert labels == {"topic", "partition", "region", "stage", "reason", "outcome", "kind", "status",
                      "agent", "state", "route", "method", "dimension", "group", "population"}


@pytest.mark.parametrize(
    "args",
    [
        ["check", "config", "prometheus.yml"],
        ["check", "rules", "rules.yml"],
        ["test", "rules", "rules_test.yml"],
        ["test", "rules", "rules_fairness_test.yml"],
    ],
    ids=["config", "rules", "rule-unit-tests", "fairness-rule-unit-tests"],
)
def test_promtool_accepts_the_prometheus_files(args: list[str]) -> None:
    result = subprocess.run([system_tool("promtool"), *args], cwd=DEPLOY / "prometheus",
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


STATE_FILTER = re.compile(r'(jaring_rupiah|jaring_coverage_terms)\{state=~?"([a-z_|]+)"\}')


def _exported_states() -> dict[str, set[str]]:
    """The ``state`` label values the worker sets, per gauge, by driving its own ``observe_region``."""
    registry = CollectorRegistry()
    EngineMetrics.create(registry).observe_region("74.71", {}, {})
    states: dict[str, set[str]] = {}
    for family in registry.collect():
        for sample in family.samples:
            if "state" in sample.labels:
                states.setdefault(sample.name, set()).add(sample.labels["state"])
    return states


def test_money_and_term_states_queried_by_alerts_and_panels_are_states_the_worker_sets() -> None:
    """A renamed ledger state would leave the arrears alert and its panel silently empty."""
    rules = yaml.safe_load((DEPLOY / "prometheus" / "rules.yml").read_text())
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "jaring.json").read_text())
    exprs = [rule["expr"] for group in rules["groups"] for rule in group["rules"]] + [
        target["expr"] for panel in dashboard["panels"] for target in panel["targets"]
    ]
    filters = [(metric, states.split("|")) for e in exprs for metric, states in STATE_FILTER.findall(e)]
    exported = _exported_states()

    money = {state for metric, states in filters if metric == "jaring_rupiah" for state in states}
    assert {"arrears", "paid", "due", "written_off"} <= money
    for metric, states in filters:
        assert set(states) <= exported[metric], (metric, sorted(set(states) - exported[metric]))
    arrears = next(rule for group in rules["groups"] for rule in group["rules"]
                   if rule.get("alert") == "JaringArrearsInRegion")
    assert "region" in arrears["expr"] and arrears["for"]  # per region, after a configurable time
    assert "/v1/payers/me/bills" in arrears["annotations"]["description"]  # the runbook names the bills
