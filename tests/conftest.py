"""Fixtures shared by every test layer.

Live-broker tests get one real Kafka broker per session, started by the
project's own runner, or the one ``KAFKA_BOOTSTRAP_SERVERS`` names. Each
test gets its own topic namespace, so tests never read each other's events.
A run that leaves a broker or a ``jaring`` process of its own alive fails
(``pytest_sessionfinish`` below), whatever its tests said.
"""

from __future__ import annotations

import asyncio
import os
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from _pytest.nodeid import NodeId
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client.parser import text_string_to_metric_families

from deploy.kafka.runner import KafkaCluster, free_port
from infra.kafka_security import client_kwargs
from infra.settings import Settings
from infra.topic_io import read_until
from jaring.audit import replay
from jaring.demo import engine_caught_up, outputs_until
from jaring.processes import ServiceProcess, WorkerProcess
from models.codec import decode
from models.eligibility import KENDARI, CityPolicy
from models.persons import is_index_output
from models.topics import APPLICATIONS, REGION_LOG
from tests.process_table import Proc, descendants, is_broker_jvm, is_jaring, kill_all, names_path, processes

_BASETEMP = pytest.StashKey[Path]()


@pytest.fixture(scope="session", autouse=True)
def _suite_tmp(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Remember this run's temporary root: a process naming it is this run's even once orphaned."""
    request.config.stash[_BASETEMP] = tmp_path_factory.getbasetemp()


def suite_leaks(root: int, basetemp: Path | None) -> list[Proc]:
    """Broker JVMs and ``jaring`` processes this run started that are still alive.

    Ours are the descendants of ``root`` (the pytest process) and, because a
    process whose parent died is adopted by init, any process whose command
    line or environment names ``basetemp``. Other runs on the machine have
    their own parent and their own temporary root, so they are never taken.
    """
    table = processes()
    mine = {p.pid for p in descendants(root, table)}
    return [
        p for p in table
        if p.pid != root and (is_broker_jvm(p) or is_jaring(p))
        and (p.pid in mine or (basetemp is not None and names_path(p, basetemp)))
    ]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test has a node id of its own, or the run fails before it starts.

    pytest-xdist sends tests to its processes by node id, and runs one test per
    id: schemathesis gave each operation's test its function's id, and under
    ``make test`` 29 of the 31 OpenAPI conformance tests silently did not run.
    Those get their operation in the id; any other duplicate stops the run.
    """
    for item in items:
        function = item.nodeid.rpartition("::")[2]
        if "[" not in function and item.name.startswith(f"{function}["):
            # pytest has no setter; if this stops renaming after an upgrade, the check below says so
            item._id = NodeId.parse(f"{item.nodeid}{item.name.removeprefix(function)}")  # noqa: SLF001
    repeated = sorted(nodeid for nodeid, n in Counter(item.nodeid for item in items).items() if n > 1)
    if repeated:
        raise pytest.UsageError(f"duplicate_test_ids: {len(repeated)} ids name several tests, and "
                                f"pytest-xdist would run only one of each: {repeated[:5]}")


_WORKER_LEAKS = pytest.StashKey[list[str]]()
_LEAKS_OUTPUT = "jaring_process_leaks"


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """pytest-xdist, in the controller: what a worker's own check found (a worker's output is not shown)."""
    leaked = getattr(node, "workeroutput", {}).get(_LEAKS_OUTPUT)
    if isinstance(leaked, list):
        node.config.stash.setdefault(_WORKER_LEAKS, []).extend(str(line) for line in leaked)


@pytest.hookimpl(trylast=True)  # after the runner's own sessionfinish has torn the session fixtures down
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    leaks = suite_leaks(os.getpid(), session.config.stash.get(_BASETEMP, None))
    kill_all(leaks)
    report = [f"process_leak: {len(leaks)} process(es) started by this run outlived it (now killed):",
              *(f"  {p}" for p in leaks)] if leaks else []
    worker_output: dict[str, object] | None = getattr(session.config, "workeroutput", None)
    if worker_output is not None:  # an xdist worker: the controller reports it
        worker_output[_LEAKS_OUTPUT] = report
    report += session.config.stash.get(_WORKER_LEAKS, [])
    if not report:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        print("\n".join(report))
    else:
        reporter.write_line("")  # the progress line may still be open
        reporter.write_sep("=", "process leak", red=True)
        for line in report:
            reporter.write_line(line, red=True)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


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
    """Start ``jaring worker`` processes in this test's namespace; all are killed at the end."""
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
    # Killed, not stopped: the test has read all it needed, and Faust's graceful stop (commit,
    # flush, leave the group) costs 2-10 s a worker and proves nothing any test asserts. A test
    # that needs a clean stop makes one itself (test_input_gap.py).
    for worker in workers:
        worker.kill()


def start_together(start: WorkerFactory, names: list[str], **env: str) -> list[WorkerProcess]:
    """Start several workers at once, each from ``start`` (so each is killed at the end), all ready.

    One after the other, each waits for its own start and for the rebalance the next one causes;
    together, they start side by side and join the group in one rebalance.
    """
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        return list(pool.map(lambda name: start(name, **env), names))


def worker_metric(worker: WorkerProcess, name: str, **labels: str) -> float:
    """The sum of a metric's samples on ``worker``'s own /metrics that carry ``labels``."""
    url = f"http://127.0.0.1:{worker.env['JARING_WEB_PORT']}/metrics"
    with urllib.request.urlopen(url, timeout=5) as response:
        text = response.read().decode()
    return sum(
        sample.value for family in text_string_to_metric_families(text) for sample in family.samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    )


async def until_each_worker(
    workers: list[WorkerProcess], handled: Callable[[WorkerProcess], bool], timeout: float = 60.0
) -> None:
    """Wait until ``handled(worker)`` holds for every worker: each has its own evidence of work."""
    deadline = time.monotonic() + timeout
    errors: dict[str, str] = {}

    def shows_work(worker: WorkerProcess) -> bool:
        if not worker.running:
            raise AssertionError(f"worker exited before showing its work; see {worker.log_path}")
        try:
            return handled(worker)
        except OSError as exc:  # its web server not answering (yet): no evidence either way
            errors[str(worker.log_path)] = repr(exc)
            return False

    while idle := [w for w in workers if not await asyncio.to_thread(shows_work, w)]:
        if time.monotonic() > deadline:
            raise AssertionError(f"no evidence of work from {[str(w.log_path) for w in idle]} "
                                 f"within {timeout:.0f}s (last errors: {errors})")
        await asyncio.sleep(0.5)


async def until_group_settles(settings: Settings, members: int, timeout: float = 120.0) -> None:
    """Wait until the workers' consumer group is Stable with ``members`` members.

    Inputs sent before that could all be handled by the first worker before
    the others join, and a test of sharing would share nothing.
    """
    admin = AIOKafkaAdminClient(**client_kwargs(settings))
    await admin.start()
    deadline = time.monotonic() + timeout
    try:
        while True:
            (response,) = await admin.describe_consumer_groups([settings.engine_group])
            (group,) = response.to_object()["groups"]
            if group["state"] == "Stable" and len(group["members"]) == members:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"group {settings.engine_group} is {group['state']} with "
                                   f"{len(group['members'])} member(s), not Stable with {members}")
            await asyncio.sleep(0.2)
    finally:
        await admin.close()


async def committed_inputs(settings: Settings, topic_name: str = APPLICATIONS.name) -> int:
    """How many records of ``topic_name`` (applications by default) the workers' group has committed,
    all partitions together.

    Read after a SIGKILL, it is what the killed worker had finished when it died (nothing
    commits for it afterwards): less than the topic holds means the kill landed mid-stream.
    """
    admin = AIOKafkaAdminClient(**client_kwargs(settings))
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(settings.engine_group)
    finally:
        await admin.close()
    topic = settings.topic(topic_name)
    return sum(meta.offset for tp, meta in offsets.items() if tp.topic == topic and meta.offset > 0)


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
    emits something else. Returns how many outputs were compared. The person
    index's own outputs (``person.moved``, its refusals) come from its topics, not
    the region log: they are left to the audit (``jaring.audit``: every move
    follows its release).
    """
    await engine_caught_up(settings)
    log = await read_until(settings, [settings.topic(REGION_LOG.name)], lambda _: True)
    emitted = (await outputs_until(settings, lambda _: True)).values
    policy = KENDARI if policy_file is None else CityPolicy.model_validate_json(Path(policy_file).read_text())
    expected = replay(log, settings.pseudonym_key.get_secret_value().encode(), policy)
    missing = sorted(set(expected) - set(emitted))
    extra = sorted(i for i in set(emitted) - set(expected) if not is_index_output(decode(emitted[i])))
    changed = sorted(i for i in set(expected) & set(emitted) if expected[i] != emitted[i])
    assert not (missing or extra or changed), (
        f"{len(missing)} missing (e.g. {missing[:3]}), {len(extra)} not derived from the log "
        f"(e.g. {extra[:3]}), {len(changed)} different (e.g. {changed[:3]})"
    )
    return len(expected)
