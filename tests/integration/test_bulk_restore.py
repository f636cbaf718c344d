"""A restarted worker reads its tables' changelogs in bulk, and the tables are what the changelogs say.

``streams.repairs.restore`` replaces the record-at-a-time path of Faust's
recovery for the active partitions; whatever it misses, Faust would read
after it, so the table alone cannot tell the paths apart: the worker's log
line says how many records the bulk read applied, and the test holds it to
every record on the changelog.

The history is written to the probe table's changelog directly: the probe
agent only ever rewrites a key, and the history must also delete keys
(tombstones) and write some again after their deletion, as the region state
and the person index do. The worker answers a probe with the count its
table held for that source plus one, so every answer reads one key of the
restored table through the worker's real interface.
"""

from __future__ import annotations

import re

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner

from infra.kafka_security import client_kwargs
from infra.settings import Settings
from infra.topic_io import read_until, send_all
from models.codec import dumps, loads
from tests.conftest import WorkerFactory, worker_metric

pytestmark = [pytest.mark.kafka]

SOURCES = 800
PROBE_SEQ = 1_000  # above every sequence in the history: each probe is counted once


Changelog = list[tuple[str, bytes | None]]


def history() -> tuple[Changelog, dict[str, int]]:
    """The changelog's records (source, value) in order, and each source's count once they are applied."""
    records: Changelog = []
    counts: dict[str, int] = {}
    for rewrite in range(3):  # every key written three times, the last write counts
        for i in range(SOURCES):
            records.append((f"kiosk-{i}", dumps([10 * rewrite, rewrite + 1])))
            counts[f"kiosk-{i}"] = rewrite + 1
    for i in range(0, SOURCES, 4):  # a quarter deleted
        records.append((f"kiosk-{i}", None))
        del counts[f"kiosk-{i}"]
    for i in range(0, SOURCES, 8):  # half of those written again after their deletion
        records.append((f"kiosk-{i}", dumps([50, 7])))
        counts[f"kiosk-{i}"] = 7
    return records, counts


async def write(settings: Settings, topic: str, records: Changelog) -> None:
    """Send in order as the probe agent's writes land: the key as the table's JSON, on the partition
    of the probe that caused it (the probe's raw key, the default partitioner)."""
    partitions = list(range(settings.topic_partitions))
    partition_of = DefaultPartitioner()
    producer = AIOKafkaProducer(**client_kwargs(settings), acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for source, value in records:
            await producer.send(topic, key=dumps(source), value=value,
                                partition=partition_of(source.encode(), partitions, partitions))
    finally:
        await producer.stop()


def bulk_restored(log: str) -> int:
    return sum(int(n) for n in re.findall(r"Bulk restore: (\d+) records", log))


async def test_a_restarted_worker_restores_rewrites_and_deletions_in_bulk(
    settings: Settings, worker_factory: WorkerFactory
) -> None:
    worker = worker_factory()  # declares the topics, tables empty
    worker.kill()
    records, counts = history()
    await write(settings, f"{settings.engine_group}-probe-counts-changelog", records)
    logged_before = worker.log_path.read_text()

    worker.start()
    sources = [f"kiosk-{i}" for i in range(SOURCES)]
    await send_all(settings.kafka_bootstrap, settings.topic("probe.v1"),
                   [(s.encode(), dumps({"source": s, "seq": PROBE_SEQ})) for s in sources])
    answered = await read_until(settings.kafka_bootstrap, [settings.topic("probe-ack.v1")],
                                lambda acks: len(acks) >= SOURCES, timeout=120)

    got = {ack["source"]: ack["count"] for ack in (loads(r.value) for r in answered)}
    assert got == {s: counts.get(s, 0) + 1 for s in sources}
    # Every record came through the bulk read (Faust's own path read none of them) ...
    assert bulk_restored(worker.log_path.read_text()[len(logged_before):]) == len(records)
    # ... and the operator sees it.
    assert worker_metric(worker, "jaring_restore_seconds_count") >= 1
