"""Fixtures shared by every test layer.

Live-broker tests get one real Kafka broker per session, started by the
project's own runner, or the one ``KAFKA_BOOTSTRAP_SERVERS`` names. Each
test gets its own topic namespace, so tests never read each other's events.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from deploy.kafka.runner import KafkaCluster, free_port
from jaring.audit import replay
from jaring.demo import engine_caught_up, outputs_until
from jaring.processes import ServiceProcess, WorkerProcess
from jaring.settings import Settings
from jaring.topic_io import read_until
from models.eligibility import KENDARI, CityPolicy


@dataclass(frozen=True)
class Broker:
    bootstrap_servers: str
    cluster: KafkaCluster | None


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        yield Broker(external, None)
        return
    cluster = KafkaCluster(size=1, workdir=tmp_path_factory.mktemp("kafka"))
    with cluster:
        yield Broker(cluster.bootstrap_servers, cluster)


@pytest.fixture
def namespace() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def settings(kafka: Broker, namespace: str) -> Settings:
    return Settings(kafka_bootstrap=kafka.bootstrap_servers, namespace=namespace, topic_partitions=4)


WorkerFactory = Callable[..., WorkerProcess]


@pytest.fixture
def worker_factory(settings: Settings, tmp_path: Path) -> Iterator[WorkerFactory]:
    """Start ``jaring worker`` processes in this test's namespace; all are stopped at the end."""
    workers: list[WorkerProcess] = []

    def start(name: str = "worker", **env: str) -> WorkerProcess:
        worker = WorkerProcess(
            env={
                "JARING_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
                "JARING_NAMESPACE": settings.namespace,
                "JARING_TOPIC_PARTITIONS": str(settings.topic_partitions),
                "JARING_WEB_PORT": str(free_port()),
                "JARING_DATA_DIR": str(tmp_path / name / "data"),
                **env,
            },
            log_path=tmp_path / name / "worker.log",
        )
        workers.append(worker)
        return worker.start()

    yield start
    for worker in workers:
        worker.stop()


DashboardFactory = Callable[[], ServiceProcess]


@pytest.fixture
def dashboard_factory(settings: Settings, tmp_path: Path) -> Iterator[DashboardFactory]:
    """Start ``jaring dashboard`` on a free loopback port; ``.ready_url`` tells where. Stopped at the end."""
    started: list[ServiceProcess] = []
    port = free_port()

    def start() -> ServiceProcess:
        service = ServiceProcess(
            ["dashboard"],
            env={
                "JARING_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
                "JARING_NAMESPACE": settings.namespace,
                "JARING_DASHBOARD_PORT": str(port),
            },
            log_path=tmp_path / "dashboard.log",
            ready_url=f"http://127.0.0.1:{port}/healthz",
        )
        started.append(service)
        return service.start()

    yield start
    for service in started:
        service.stop()


async def assert_same_as_replay(settings: Settings, policy_file: str | None = None) -> int:
    """Once the workers have committed every input, their outputs must be the pure core's over the region log.

    Byte for byte, whatever crashed in between: a worker that restored less
    state than it had written, or wrote it where recovery does not look,
    emits something else. Returns how many outputs were compared.
    """
    await engine_caught_up(settings)
    log = await read_until(settings, [settings.topic("region-log.v1")], lambda _: True)
    emitted = (await outputs_until(settings, lambda _: True)).values
    policy = KENDARI if policy_file is None else CityPolicy.model_validate_json(Path(policy_file).read_text())
    expected = replay(log, settings.pseudonym_key.get_secret_value().encode(), policy)
    missing = sorted(set(expected) - set(emitted))
    extra = sorted(set(emitted) - set(expected))
    changed = sorted(i for i in set(expected) & set(emitted) if expected[i] != emitted[i])
    assert not (missing or extra or changed), (
        f"{len(missing)} missing (e.g. {missing[:3]}), {len(extra)} not derived from the log "
        f"(e.g. {extra[:3]}), {len(changed)} different (e.g. {changed[:3]})"
    )
    return len(expected)
