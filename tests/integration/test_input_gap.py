"""An offset the matcher never saw stops the worker instead of being matched past.

The region log is written without transactions, so its offsets are
contiguous and a jump means records were never delivered. Two real-broker
ways to make one: a transaction's commit marker leaves an offset empty, and
retention (here DeleteRecords) removes records a stopped worker never read.
The worker must stop there with exit status 70 and say where; an operator
who moves the group's offset past the hole gets a worker that carries on.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import timedelta

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, RecordsToDelete
from aiokafka.errors import CommitFailedError
from aiokafka.structs import OffsetAndMetadata

from infra.settings import Settings
from infra.topic_io import send_all
from jaring.demo import feed, outputs_until
from jaring.processes import WorkerProcess
from jaring.scenario import applications
from models.codec import encode
from models.events import ApplicationSubmitted
from models.topics import REGION_LOG
from streams.continuity import EXIT_INPUT_GAP
from tests.conftest import WorkerFactory

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


async def _end(settings: Settings) -> tuple[TopicPartition, int]:
    """The region log's one non-empty partition and its end offset."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
    await consumer.start()
    try:
        topic = settings.topic(REGION_LOG.name)
        tps = [TopicPartition(topic, p) for p in range(settings.topic_partitions)]
        ends = await consumer.end_offsets(tps)
    finally:
        await consumer.stop()
    ((tp, end),) = [(tp, end) for tp, end in ends.items() if end > 0]
    return tp, end


async def _forty_matched(settings: Settings, start: WorkerFactory,
                         count: int) -> tuple[list[ApplicationSubmitted], WorkerProcess]:
    """A worker that has matched the first 40 of ``count`` applications; the rest are the test's."""
    apps = applications(count, seed=7, spacing=timedelta(minutes=1))
    worker = start()
    await feed(settings, apps[:40])
    await outputs_until(settings, lambda r: r.accounted >= 40)
    return apps, worker


def _wait_for_exit(worker: WorkerProcess, timeout: float = 60) -> int | None:
    assert worker.process is not None
    deadline = time.monotonic() + timeout
    while worker.process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    code: int | None = worker.process.returncode
    return code


async def _move_offset(settings: Settings, tp: TopicPartition, offset: int) -> None:
    """What ``kafka-consumer-groups.sh --reset-offsets`` does, once the dead worker has left the group."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap,
                                group_id=settings.engine_group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign([tp])
        deadline = time.monotonic() + 60
        while True:
            try:
                await consumer.commit({tp: OffsetAndMetadata(offset, "")})
                return
            except CommitFailedError:  # the exited worker's session has not expired yet
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(1)
    finally:
        await consumer.stop()


async def test_a_hole_in_the_region_log_stops_the_worker_until_an_operator_moves_the_offset(
    settings: Settings, worker_factory: WorkerFactory
) -> None:
    apps, worker = await _forty_matched(settings, worker_factory, 43)

    tp, end = await _end(settings)
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap,
                                transactional_id=settings.namespace)
    await producer.start()
    try:
        async with producer.transaction():  # two records, then a marker at end + 2
            for app in apps[40:42]:
                await producer.send(tp.topic, key=app.regency.encode(), value=encode(app),
                                    partition=tp.partition)
    finally:
        await producer.stop()
    while (await _end(settings))[1] < end + 3:  # the coordinator writes the marker after the commit returns
        await asyncio.sleep(0.1)
    await send_all(settings, tp.topic, [(apps[42].regency.encode(), encode(apps[42]))])  # lands at end + 3

    assert _wait_for_exit(worker) == EXIT_INPUT_GAP
    assert f"input_gap: {tp.topic}[{tp.partition}] offsets {end + 2}..{end + 2} were never delivered" in (
        worker.log_path.read_text()
    )
    stopped = await outputs_until(settings, lambda r: r.accounted >= 42, applications=42)
    assert stopped.ok, stopped.violations  # the two before the hole, nothing after it

    # A restart replays from the last commit and stops at the same place: the hole is still there.
    worker.process = None
    with contextlib.suppress(RuntimeError):  # it may exit before the readiness check looks
        worker.start()
    assert worker.process is not None
    assert worker.process.wait(60) == EXIT_INPUT_GAP
    assert worker.log_path.read_text().count("input_gap: ") == 2

    # The operator has checked the hole and moves the group's offset past it.
    await _move_offset(settings, tp, end + 3)
    worker.process = None
    worker.start()
    final = await outputs_until(settings, lambda r: r.accounted >= 43, applications=43)
    assert final.ok, final.violations
    assert worker.process.poll() is None


async def test_records_deleted_before_a_stopped_worker_read_them_stop_it_at_the_hole(
    settings: Settings, worker_factory: WorkerFactory
) -> None:
    apps, worker = await _forty_matched(settings, worker_factory, 70)
    worker.stop()  # a clean stop: everything read is committed

    # While it is down, 30 more reach the region log and retention takes the first 20 of them.
    tp, end = await _end(settings)
    await send_all(settings, tp.topic, [(a.regency.encode(), encode(a)) for a in apps[40:]])
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        await admin.delete_records({tp: RecordsToDelete(before_offset=end + 20)})
    finally:
        await admin.close()

    with contextlib.suppress(RuntimeError):  # it may exit before the readiness check looks
        worker.start()
    assert _wait_for_exit(worker) == EXIT_INPUT_GAP
    assert f"input_gap: {tp.topic}[{tp.partition}] offsets {end}..{end + 19} were never delivered" in (
        worker.log_path.read_text()
    )
    stopped = await outputs_until(settings, lambda r: r.accounted >= 40, applications=40)
    assert stopped.ok, stopped.violations  # the 10 that survived were not matched past the hole
