"""A broker that demands SCRAM-SHA-512: the engine, the topic tool and Jaring's clients authenticate.

The broker's SASL listener accepts nothing unauthenticated, so a worker that
produced outputs there must have sent its credentials on every connection
(consumer, producer, topic admin); a client with a wrong password is
turned away by the broker itself.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError
from pydantic import SecretStr

from deploy.kafka.runner import KafkaCluster
from infra.kafka_security import client_kwargs
from infra.settings import Settings
from jaring.demo import feed, outputs_until
from jaring.scenario import applications, pledges
from models.topics import TOPICS
from tests.conftest import WorkerFactory

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

PASSWORD = "scram-test-password-7471"
SCRAM_ENV = {
    "JARING_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
    "JARING_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
    "JARING_KAFKA_SASL_USERNAME": "jaring",
    "JARING_KAFKA_SASL_PASSWORD": PASSWORD,
}


@pytest.fixture(scope="module")
def scram_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaCluster]:
    with KafkaCluster(size=1, workdir=tmp_path_factory.mktemp("scram"),
                      scram_users={"jaring": PASSWORD}) as cluster:
        yield cluster


@pytest.fixture
def settings(scram_cluster: KafkaCluster, namespace: str) -> Settings:
    """Overrides the session broker's settings: everything in this module speaks SCRAM."""
    return Settings(
        kafka_bootstrap=scram_cluster.sasl_bootstrap_servers,
        namespace=namespace,
        topic_partitions=4,
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_sasl_username="jaring",
        kafka_sasl_password=SecretStr(PASSWORD),
    )


async def test_a_worker_authenticated_with_scram_matches_end_to_end(
    settings: Settings, worker_factory: WorkerFactory
) -> None:
    apps = applications(200, seed=8)
    offers = pledges([40, 30], start=apps[-1].event_time + timedelta(hours=1))
    worker_factory(**SCRAM_ENV)

    await feed(settings, [*apps, *offers])
    final = await outputs_until(
        settings, lambda r: r.accounted >= 200 and r.result.counts["coverage.committed"] >= 70,
        timeout=120, applications=200,
    )

    assert final.ok, final.violations
    assert final.counts["pledge.accepted"] == 2
    assert final.counts["coverage.committed"] == 70


async def test_a_client_with_a_wrong_password_is_refused(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    good = AIOKafkaProducer(**client_kwargs(settings))
    await good.start()
    await good.stop()
    wrong = settings.model_copy(update={"kafka_sasl_password": SecretStr("not-the-password")})
    bad = AIOKafkaProducer(**client_kwargs(wrong), request_timeout_ms=5_000)

    with caplog.at_level(logging.ERROR, logger="aiokafka"), pytest.raises(KafkaConnectionError):
        await bad.start()
    await bad.stop()

    assert "SaslAuthenticationFailed" in caplog.text


def test_topics_create_makes_every_topic_over_scram_and_refuses_a_partition_mismatch(
    settings: Settings, tmp_path: Path
) -> None:
    env = {"JARING_KAFKA_BOOTSTRAP": settings.kafka_bootstrap, "JARING_NAMESPACE": settings.namespace,
           "JARING_TOPIC_PARTITIONS": "4", "JARING_DATA_DIR": str(tmp_path), **SCRAM_ENV}

    def topics_create(**extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "jaring", "topics", "create"], env={**env, **extra},
                              capture_output=True, text=True, timeout=60, check=False)

    first, again = topics_create(), topics_create()
    mismatch = topics_create(JARING_TOPIC_PARTITIONS="6")

    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    # every topic of models.topics, the readiness probe's two, and the engine's three table changelogs
    assert len(lines) == len(TOPICS) + 5 and all(line.startswith("created ") for line in lines), first.stdout
    assert f"created  {settings.namespace}-engine-region-state-changelog  partitions=4 " in first.stdout
    assert again.returncode == 0 and again.stdout.count("exists ") == len(lines), again.stdout
    assert mismatch.returncode == 1
    assert "topic_partitions_mismatch: JARING_TOPIC_PARTITIONS=6" in mismatch.stderr
