"""Crashes and scale-out: a SIGKILLed worker and a second worker change no total and lose nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from infra.settings import Settings
from infra.topic_io import read_until
from jaring.audit import Audit, Reader
from jaring.bpjs import Simulator
from jaring.demo import Answered, answer, close_months, feed, outputs_until
from jaring.scenario import applications, month_ticks, pledges
from models.codec import dumps
from models.events import CoverageCommitted, Input
from models.regions import districts_of
from models.topics import REGION_LOG
from tests.conftest import (
    WorkerFactory,
    assert_same_as_replay,
    committed_inputs,
    start_together,
    until_each_worker,
    until_group_settles,
    worker_metric,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

Inputs = list[Input]


def accounted(n: int) -> Callable[[Reader], bool]:
    return lambda r: r.accounted >= n


async def test_sigkill_mid_stream_breaks_no_invariant(
    settings: Settings, worker_factory: WorkerFactory
) -> None:
    # 6,000 applications and three-month terms (20,000 and a year until the suite ran over 20
    # minutes): the kill needs a stream to land in, which the assert after it proves it did, and
    # the restored state then has to bill, take payments and end terms; more of the same proves
    # nothing more (`make chaos` kills workers 20 times during 20,000 and a year of closes).
    n, months = 6_000, 3
    apps = applications(n, seed=20, spacing=timedelta(seconds=5))
    offers = pledges([100] * 20, start=apps[0].event_time + timedelta(hours=2), valid_days=60, months=months)
    worker = worker_factory()

    feeding = asyncio.create_task(feed(settings, [*apps, *offers]))
    await outputs_until(settings, accounted(n * 3 // 10), timeout=300)
    worker.kill()  # mid-stream: no flush, no commit
    await feeding
    # Frozen since the kill (nobody else writes the region log or commits): the matcher, the slow
    # stage, had records of it left. The router's commits would not prove it: copying runs ahead.
    region_log = await read_until(settings, [settings.topic(REGION_LOG.name)], lambda _: True)
    matched_at_kill = await committed_inputs(settings, REGION_LOG.name)
    assert matched_at_kill < len(region_log), (
        f"the kill came after the stream: all {len(region_log)} region-log records were committed")
    worker.start()
    settled = await outputs_until(
        settings, lambda r: r.accounted >= n and r.result.counts["pledge.accepted"] >= 20, timeout=300
    )
    # BPJS confirms every registration and the payers pay every bill (jaring.bpjs, over the broker)
    simulator, answered = Simulator(), Answered()
    await answer(settings, simulator, answered)
    await close_months(settings, simulator, answered, month_ticks("2026-01", months))
    final = await outputs_until(
        settings,
        lambda r: r.result.counts["coverage.expired"] >= r.result.counts["coverage.activated"] > 0,
        timeout=300,
        applications=n,
    )

    assert settled.counts["coverage.committed"] == 2_000
    assert final.ok, final.violations
    assert final.counts["coverage.committed"] == final.counts["coverage.activated"] == 2_000  # once each
    assert final.counts["bill.line"] == months * 2_000
    assert final.counts["coverage.expired"] == 2_000
    # the last month's bills are paid the month after, and no tick closes it here; 3 payers
    assert final.counts["payment.reconciled"] == final.counts["payer.movement"] == (months - 1) * 3
    assert await assert_same_as_replay(settings) >= len(final.events)


def _policy(tmp_path: Path, regions: tuple[str, ...]) -> str:
    path = tmp_path / "policy.json"
    path.write_bytes(dumps({"name": "Sulawesi Tenggara test", "served_regencies": list(regions)}))
    return str(path)


REGIONS = ("74.71", "74.72", "74.01", "74.02", "74.03", "74.04")


def _multi_region() -> tuple[Inputs, Inputs]:
    apps: Inputs = []
    offers: Inputs = []
    for n, region in enumerate(REGIONS):
        districts = districts_of(region)[:5]
        batch = applications(250, seed=100 + n, region=region, districts=districts, id_prefix=f"app{n}")
        apps += batch
        offers += pledges([90, 60], start=batch[-1].event_time + timedelta(hours=1), region=region,
                          id_prefix=f"pledge{n}")
    return apps, offers


async def _run(settings: Settings, start: WorkerFactory, workers: int, policy: str) -> Audit:
    env = {"JARING_NAMESPACE": settings.namespace, "JARING_POLICY_FILE": policy}
    started = start_together(start, [f"{settings.namespace}-{n}" for n in range(workers)], **env)
    await until_group_settles(settings, members=workers)  # all hold partitions before the first input
    apps, offers = _multi_region()
    await feed(settings, apps)
    await outputs_until(settings, accounted(len(apps)), timeout=180)
    await feed(settings, offers)
    # A step's outputs go to several topics at once: wait for the last kind too, or
    # the read can end between a pledge's final commitment and its exhaustion.
    audit = await outputs_until(
        settings,
        lambda r: r.result.counts["coverage.committed"] >= 150 * len(REGIONS)
        and r.result.counts["pledge.exhausted"] >= len(offers),
        timeout=180,
        applications=len(apps),
    )
    # Each worker's own counters: it routed inputs and matched region-log events. The six
    # regions' keys land on 3 of the 4 partitions, so any split gives every worker some.
    await until_each_worker(started, lambda w: worker_metric(w, "jaring_inputs_total") > 0
                            and worker_metric(w, "jaring_events_processed_total", agent="matcher") > 0)
    return audit


async def test_two_workers_sharing_the_partitions_give_the_same_totals_as_one(
    settings: Settings, worker_factory: WorkerFactory, tmp_path: Path
) -> None:
    policy = _policy(tmp_path, REGIONS)
    alone = await _run(settings.model_copy(update={"namespace": settings.namespace + "a"}),
                       worker_factory, 1, policy)
    shared = await _run(settings.model_copy(update={"namespace": settings.namespace + "b"}),
                        worker_factory, 2, policy)

    assert alone.ok, alone.violations
    assert shared.ok, shared.violations
    assert dict(shared.counts) == dict(alone.counts)
    coverage = lambda a: sorted(e.coverage_id for e in a.of(CoverageCommitted))  # noqa: E731
    assert coverage(shared) == coverage(alone)
    assert {e.region for e in shared.of(CoverageCommitted)} == set(REGIONS)
    shared_settings = settings.model_copy(update={"namespace": settings.namespace + "b"})
    assert await assert_same_as_replay(shared_settings, policy) >= len(shared.events)
