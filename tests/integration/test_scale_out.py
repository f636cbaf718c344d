"""Scale-out on a real three-broker cluster: three workers, one SIGKILLed and one broker killed mid-run.

Replication factor 3 with ``min.insync.replicas`` 2 keeps every write
acknowledged with a broker down; the consumer group moves the dead worker's
partitions to the other two. Matching is serial per region and every output
id derives from its cause, so the outcome must equal one worker's on an
intact cluster: the same counts, the same coverage ids, the same ledgers.
"""

from __future__ import annotations

import re
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiokafka.partitioner import murmur2

from deploy.kafka.runner import KafkaCluster
from infra.settings import Settings
from infra.topic_io import Record
from jaring.audit import Audit, Reader, audit
from jaring.bpjs import Simulator
from jaring.demo import Answered, answer, close_months, feed, outputs_until
from jaring.processes import WorkerProcess
from jaring.scenario import applications, month_ticks, pledges
from models.codec import dumps, encode
from models.eligibility import CityPolicy
from models.events import CoverageCommitted, FundingMovement, Input, MonthTick, OutputEvent, region_of
from models.matcher import RegionMatcher
from models.regions import districts_of
from models.topics import route
from tests.conftest import WorkerFactory, assert_same_as_replay, start_together

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

PARTITIONS = 3
"""One per worker: Faust's assignor gives each worker at most ceil(partitions / workers), so with
four partitions one of three workers would idle (faust-streaming/faust#93)."""
REGIONS = ("74.01", "74.02", "74.03", "74.04", "74.71", "74.72")
"""Their keys land on all three partitions, two regions each: every worker has regions to match."""
SEATS = (90, 60)
MONTHS_PAID = 3
APPS_PER_REGION = 250


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaCluster]:
    with KafkaCluster(size=3, workdir=tmp_path_factory.mktemp("cluster3")) as running:
        yield running


@pytest.fixture
def settings(cluster: KafkaCluster, namespace: str) -> Settings:
    """Overrides the session broker's settings: this module runs on its own three-node cluster."""
    return Settings(kafka_bootstrap=cluster.bootstrap_servers, namespace=namespace,
                    topic_partitions=PARTITIONS, replication_factor=3, min_insync_replicas=2)


def _policy(tmp_path: Path) -> str:
    path = tmp_path / "policy.json"
    path.write_bytes(dumps({"name": "Sulawesi Tenggara scale-out", "served_regencies": list(REGIONS)}))
    return str(path)


def _start_workers(start: WorkerFactory, settings: Settings, count: int, policy: str) -> list[WorkerProcess]:
    env = {"JARING_NAMESPACE": settings.namespace, "JARING_POLICY_FILE": policy,
           "JARING_REPLICATION_FACTOR": "3", "JARING_MIN_INSYNC_REPLICAS": "2"}
    return start_together(start, [f"{settings.namespace}-{n}" for n in range(count)], **env)


def _matched_events(worker: WorkerProcess) -> float:
    url = f"http://127.0.0.1:{worker.env['JARING_WEB_PORT']}/metrics"
    with urllib.request.urlopen(url, timeout=5) as response:
        text = response.read().decode()
    found = re.search(r'^jaring_events_processed_total\{agent="matcher"\} (\S+)$', text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def _programme() -> tuple[list[Input], list[Input], list[MonthTick]]:
    """Applications, pledges and month ticks for every region."""
    apps: list[Input] = []
    offers: list[Input] = []
    ticks: list[MonthTick] = []
    for n, region in enumerate(REGIONS):
        districts = districts_of(region)[:5]
        batch = applications(APPS_PER_REGION, seed=300 + n, region=region, districts=districts,
                             id_prefix=f"app{n}")
        apps += batch
        offers += pledges(list(SEATS), start=batch[-1].event_time + timedelta(hours=1), region=region,
                          id_prefix=f"pledge{n}")
        ticks += month_ticks("2026-01", MONTHS_PAID, region=region)
    return apps, offers, ticks


async def _play(settings: Settings, midway: Callable[[], None], late: Callable[[], None]) -> Audit:
    """Applications, pledges, then month ticks per region; ``midway`` and ``late`` inject the faults."""
    apps, offers, ticks = _programme()
    seats = sum(SEATS) * len(REGIONS)

    def counted(kind: str, at_least: int) -> Callable[[Reader], bool]:
        return lambda r: r.result.counts[kind] >= at_least

    await feed(settings, apps)
    await outputs_until(settings, lambda r: r.accounted >= len(apps) // 3, timeout=120)
    midway()
    await outputs_until(settings, lambda r: r.accounted >= len(apps), timeout=120)
    await feed(settings, offers)
    await outputs_until(settings, counted("coverage.committed", seats), timeout=120)
    # BPJS confirms every registration; payers pay each bill the month after (jaring.bpjs)
    simulator, answered = Simulator(), Answered()
    await answer(settings, simulator, answered)
    first = [t for t in ticks if t.period == "2026-01"]
    await close_months(settings, simulator, answered, first)
    await outputs_until(settings, counted("bill.line", seats), timeout=120)
    late()
    await close_months(settings, simulator, answered, [t for t in ticks if t not in first])
    return await outputs_until(settings, counted("bill.line", seats * MONTHS_PAID),
                               timeout=120, applications=len(apps))


def _one_workers_outcome(settings: Settings, policy: str) -> Audit:
    """What one worker on an intact cluster emits for ``_play``'s inputs: the pure core fed them by phase.

    A worker's outputs are the pure core's over its region log (``assert_same_as_replay``), and
    ``_play``'s region log holds, per region, exactly this order: each phase's inputs are on one
    topic (one partition per region) and the next phase is sent only once the engine has answered.
    """
    key = settings.pseudonym_key.get_secret_value().encode()
    city = CityPolicy.model_validate_json(Path(policy).read_text())
    matchers = {region: RegionMatcher(region, key, policy=city) for region in REGIONS}
    emitted: list[OutputEvent] = []

    def handle(events: list[Input]) -> list[OutputEvent]:
        outputs = [o for e in events for o in matchers[region_of(e)].handle(e).outputs]
        emitted.extend(outputs)
        return outputs

    simulator = Simulator()

    def answer_all(fresh: list[OutputEvent]) -> None:
        while replies := simulator.answer(fresh):
            fresh = handle(replies)

    apps, offers, ticks = _programme()
    answer_all(handle(apps) + handle(offers))
    for period in sorted({t.period for t in ticks}):
        closing = [t for t in ticks if t.period == period]
        payments = [p for t in closing for p in simulator.payments_before_close(t.region, period)]
        answer_all(handle(list(payments)) + handle(list(closing)))
    records = [Record(route(e)[0], 0, n, None, encode(e)) for n, e in enumerate(emitted)]
    return audit(records, applications=len(apps))


def _ledgers(audit: Audit) -> dict[str, object]:
    return {e.pledge_id: e.balances for e in audit.of(FundingMovement) if isinstance(e, FundingMovement)}


def _coverage_ids(audit: Audit) -> set[str]:
    return {e.coverage_id for e in audit.of(CoverageCommitted) if isinstance(e, CoverageCommitted)}


async def test_three_workers_on_three_brokers_survive_a_worker_and_a_broker_kill_with_one_workers_totals(
    settings: Settings, worker_factory: WorkerFactory, cluster: KafkaCluster, tmp_path: Path
) -> None:
    assert {(murmur2(r.encode()) & 0x7FFFFFFF) % PARTITIONS for r in REGIONS} == set(range(PARTITIONS))
    policy = _policy(tmp_path)
    # One worker's totals: the pure core's (a live one-worker run took a third of this test to say the same)
    alone = _one_workers_outcome(settings, policy)

    workers = _start_workers(worker_factory, settings, 3, policy)
    shares: list[float] = []

    def kill_a_worker() -> None:
        # The last worker to join triggers a rebalance; the first ones may still be recovering
        # when the first third is matched. The kill waits until every worker has had work.
        deadline = time.monotonic() + 60
        while not all(_matched_events(w) > 0 for w in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        shares.extend(_matched_events(w) for w in workers)
        workers[1].kill()

    shared = await _play(settings, midway=kill_a_worker, late=lambda: cluster.kill_node(2))

    assert all(share > 0 for share in shares), f"a worker matched nothing before the kill: {shares}"
    assert alone.ok, alone.violations
    assert shared.ok, shared.violations
    assert dict(shared.counts) == dict(alone.counts)
    assert shared.values == alone.values  # every output, byte for byte
    assert shared.counts["coverage.committed"] == sum(SEATS) * len(REGIONS)
    assert _coverage_ids(shared) == _coverage_ids(alone)
    assert _ledgers(shared) == _ledgers(alone)
    assert len(_ledgers(shared)) == len(SEATS) * len(REGIONS)
    assert await assert_same_as_replay(settings, policy) >= len(shared.events)
