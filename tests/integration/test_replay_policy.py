"""``jaring replay --region R --policy FILE``: a region log on a real broker, replayed by the real command."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

from infra.settings import Settings
from infra.topic_admin import TopicSpec, ensure_topics
from infra.topic_io import send_all
from models.codec import encode
from models.topics import REGION_LOG
from tests.unit.factories import REGION
from tests.unit.jaring.test_replay_policy import dearer_tariff, policy_scenario


def jaring(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JARING_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
           "JARING_NAMESPACE": settings.namespace}
    env.pop("JARING_POLICY_FILE", None)
    return subprocess.run([sys.executable, "-m", "jaring", *args], env=env, capture_output=True, text=True,
                          timeout=180, check=False)


async def test_replay_under_a_new_policy_prints_who_moves_and_nothing_under_the_same(
    settings: Settings, tmp_path: Path
) -> None:
    topic = settings.topic(REGION_LOG.name)
    await ensure_topics(settings, [TopicSpec.configured(settings, topic)])
    await send_all(settings, topic, [(REGION.encode(), encode(e)) for e in policy_scenario()])

    shown = jaring(settings, "policy", "show")
    assert shown.returncode == 0, shown.stderr
    same = tmp_path / "same.json"
    same.write_text(shown.stdout)
    unchanged = jaring(settings, "replay", "--region", REGION, "--policy", str(same))
    assert (unchanged.returncode, unchanged.stdout) == (0, (
        f"region {REGION}: no difference under {same}: all 12 workers end the log as they do now, "
        "and every pledge's money is the same\n")), unchanged.stderr

    blind = json.loads(shown.stdout)
    blind["priority"]["points_per_decile"] = 0
    new = tmp_path / "blind.json"
    new.write_text(json.dumps(blind))
    out = tmp_path / "workers.csv"
    moved = jaring(settings, "replay", "--region", REGION, "--policy", str(new), "--csv", str(out))
    assert moved.returncode == 1, moved.stderr
    assert "12 of 12 workers end the log differently" in moved.stdout
    assert "covered -> waiting            6" in moved.stdout and "occupation      fisher 6" in moved.stdout
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert sorted((r["occupation"], r["current"], r["new"]) for r in rows) == (
        [("fisher", "waiting", "covered")] * 6 + [("tailor", "covered", "waiting")] * 6)
    assert "operator's file" in moved.stderr

    tariff = tmp_path / "tariff.json"
    tariff.write_text(dearer_tariff())
    dearer = jaring(settings, "replay", "--region", REGION, "--policy", str(same), "--tariff", str(tariff))
    assert dearer.returncode == 1, dearer.stderr
    assert "1 of 12 workers end the log differently" in dearer.stdout
    assert "current: 6 seats" in dearer.stdout and "new:     5 seats" in dearer.stdout

    elsewhere = jaring(settings, "replay", "--region", "74.01", "--policy", str(same))
    assert elsewhere.returncode == 2 and "region_log_empty: " in elsewhere.stderr

    new.write_text(json.dumps({**blind, "max_welfare_decile": 11}))
    bad = jaring(settings, "replay", "--region", REGION, "--policy", str(new))
    assert bad.returncode == 2 and f"policy_invalid: {new}: max_welfare_decile: " in bad.stderr
