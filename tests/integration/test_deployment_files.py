"""docker-compose.yml and the Dockerfile are checked against the code: every command and variable exists.

``docker-compose config`` (Debian's package) validates and interpolates the
file without a Docker engine; what it prints is the file as compose would
run it, so the checks read that rather than the raw YAML with its anchors.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.settings import Settings
from jaring.cli import build_parser
from tests.system_tools import system_tool

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {
    "JARING_PSEUDONYM_KEY": "k" * 40, "JARING_WEBHOOK_KEY": "w" * 40, "GRAFANA_ADMIN_PASSWORD": "test-only"
}
JARING_IMAGE_SERVICES = {"topics", "worker", "api", "dashboard", "webhooks"}


def compose_config(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in SECRETS and not k.startswith("JARING_")}
    return subprocess.run([system_tool("docker-compose"), "config"], cwd=ROOT, env={**clean, **env},
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    result = compose_config(**SECRETS)
    assert result.returncode == 0, result.stderr
    loaded: dict[str, Any] = yaml.safe_load(result.stdout)["services"]
    return loaded


def settings_variables() -> set[str]:
    return {f"JARING_{name.upper()}" for name in Settings.model_fields}


def cli_accepts(argv: list[str]) -> bool:
    try:
        build_parser().parse_args(argv)
    except SystemExit:
        return False
    return True


def test_compose_refuses_to_start_without_the_pseudonym_key() -> None:
    result = compose_config(GRAFANA_ADMIN_PASSWORD="test-only", JARING_WEBHOOK_KEY="w" * 40)

    assert result.returncode != 0
    assert "JARING_PSEUDONYM_KEY" in result.stderr


def test_compose_refuses_to_start_without_the_webhook_key() -> None:
    result = compose_config(GRAFANA_ADMIN_PASSWORD="test-only", JARING_PSEUDONYM_KEY="k" * 40)

    assert result.returncode != 0
    assert "JARING_WEBHOOK_KEY" in result.stderr


def test_jaring_services_run_in_production_with_the_given_key(services: dict[str, Any]) -> None:
    for name in JARING_IMAGE_SERVICES:
        env = services[name]["environment"]
        assert env["JARING_ENV"] == "production", name
        assert env["JARING_PSEUDONYM_KEY"] == SECRETS["JARING_PSEUDONYM_KEY"], name


def test_every_command_and_health_check_is_a_jaring_subcommand(services: dict[str, Any]) -> None:
    for name in JARING_IMAGE_SERVICES:
        service = services[name]
        assert cli_accepts(service["command"]), f"{name}: jaring {service['command']}"
        check = service.get("healthcheck", {})
        if check.get("test") != ["NONE"]:  # compose writes `disable: true` as NONE
            test = check["test"]
            assert test[:2] == ["CMD", "jaring"] and cli_accepts(test[2:]), f"{name}: {test}"
    assert not cli_accepts(["no-such-command"])  # the check can fail


def test_every_jaring_variable_named_is_a_setting(services: dict[str, Any]) -> None:
    named = {var for s in services.values() for var in s.get("environment", {}) if var.startswith("JARING_")}
    dockerfile = (ROOT / "Dockerfile").read_text()
    named |= set(re.findall(r"\bJARING_[A-Z_]+\b", dockerfile))

    assert named, "no JARING_ variable found: the parse is broken"
    assert named <= settings_variables(), sorted(named - settings_variables())


def test_the_dockerfile_runs_jaring_commands_and_installs_with_the_constraints() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    entrypoint = re.search(r'^ENTRYPOINT \["jaring"\]$', dockerfile, re.MULTILINE)
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE)
    health = re.search(r"^HEALTHCHECK .* CMD (\[.*\])$", dockerfile, re.MULTILINE)

    assert entrypoint and cmd and health
    assert cli_accepts(yaml.safe_load(cmd.group(1)))
    health_cmd = yaml.safe_load(health.group(1))
    assert health_cmd[0] == "jaring" and cli_accepts(health_cmd[1:])
    assert "-c /tmp/constraints.txt" in dockerfile and "--no-index" in dockerfile
    assert re.search(r"^USER jaring$", dockerfile, re.MULTILINE)
    final_stage = dockerfile.split("AS runtime", 1)[1]
    assert "build-essential" not in final_stage and "gcc" not in final_stage


def test_workers_scale_and_start_after_the_topics(services: dict[str, Any]) -> None:
    worker = services["worker"]

    assert "container_name" not in worker and "ports" not in worker  # `--scale worker=3` would clash
    assert worker["depends_on"]["topics"]["condition"] == "service_completed_successfully"
    for name in ("api", "dashboard"):
        assert services[name]["depends_on"]["topics"]["condition"] == "service_completed_successfully"
    brokers = {name for name in services if name.startswith("kafka-")}
    assert len(brokers) == 3
    assert {b: c["condition"] for b, c in services["topics"]["depends_on"].items()} == dict.fromkeys(
        brokers, "service_healthy")


def test_topics_are_replicated_three_times_with_two_in_sync(services: dict[str, Any]) -> None:
    env = services["topics"]["environment"]
    broker_env = services["kafka-1"]["environment"]

    assert (str(env["JARING_REPLICATION_FACTOR"]), str(env["JARING_MIN_INSYNC_REPLICAS"])) == ("3", "2")
    assert str(broker_env["KAFKA_MIN_INSYNC_REPLICAS"]) == "2"
    assert broker_env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"


def test_the_kafka_image_is_the_release_the_project_pins(services: dict[str, Any]) -> None:
    from deploy.kafka.runner import KAFKA_VERSION

    assert {services[f"kafka-{n}"]["image"] for n in (1, 2, 3)} == {f"apache/kafka:{KAFKA_VERSION}"}


def test_mounted_configuration_exists(services: dict[str, Any]) -> None:
    mounts = [v.split(":")[0] for name in ("prometheus", "grafana") for v in services[name]["volumes"]
              if isinstance(v, str)]
    mounts += [v["source"] for name in ("prometheus", "grafana") for v in services[name]["volumes"]
               if isinstance(v, dict) and v.get("type") == "bind"]
    binds = [m for m in mounts if m.startswith("/")]

    assert len(binds) == 3, mounts
    assert all(Path(m).exists() for m in binds), binds
