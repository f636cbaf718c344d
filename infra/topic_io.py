"""Produce to and read back from topics, durably: for the demo, tests and benchmarks.

Producers wait for every in-sync replica with idempotence on, and readers
see only committed records, the same guarantees the engine itself uses.
Where to connect is a bootstrap string (a test broker on loopback) or
``Settings``, whose SASL/TLS configuration then applies (``infra.kafka_security``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from infra.kafka_security import client_kwargs
from infra.settings import Settings

__all__ = ["Kafka", "Record", "read_until", "send_all", "until_committed"]

Kafka = str | Settings
"""A bootstrap string (plaintext), or settings carrying the cluster's security."""


def _connect(kafka: Kafka) -> dict[str, Any]:
    return {"bootstrap_servers": kafka} if isinstance(kafka, str) else client_kwargs(kafka)


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    timestamp_ms: int = 0


async def send_all(kafka: Kafka, topic: str, records: Iterable[tuple[bytes | None, bytes]]) -> int:
    """Send ``(key, value)`` pairs; return how many the broker acknowledged."""
    producer = AIOKafkaProducer(**_connect(kafka), acks="all", enable_idempotence=True, linger_ms=5)
    await producer.start()
    sent = 0
    try:
        futures = [await producer.send(topic, key=key, value=value) for key, value in records]
        for future in futures:
            await future
            sent += 1
    finally:
        await producer.stop()
    return sent


async def read_until(
    kafka: Kafka,
    topics: list[str],
    done: Callable[[list[Record]], bool],
    timeout: float = 60.0,
    on_record: Callable[[Record], None] | None = None,
) -> list[Record]:
    """Read ``topics`` from the beginning until ``done(records)`` holds.

    ``done`` is only believed once every partition has been read up to the
    end offsets seen at that moment: a condition met on one partition must
    not stop the read while another still holds older records. Raises
    ``TimeoutError`` if it never holds. ``on_record`` sees each record once,
    for incremental checks.
    """
    consumer = AIOKafkaConsumer(
        *topics,
        **_connect(kafka),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        isolation_level="read_committed",
        group_id=None,
        max_poll_records=5000,
    )
    await consumer.start()
    records: list[Record] = []
    positions: dict[tuple[str, int], int] = {}
    deadline = time.monotonic() + timeout
    try:
        while True:
            batch = await consumer.getmany(timeout_ms=200)
            for tp, messages in batch.items():
                for m in messages:
                    record = Record(tp.topic, tp.partition, m.offset, m.key, m.value or b"", m.timestamp)
                    records.append(record)
                    if on_record is not None:
                        on_record(record)
                if messages:
                    positions[(tp.topic, tp.partition)] = messages[-1].offset + 1
            if done(records) and await _caught_up(consumer, positions):
                return records
            if time.monotonic() > deadline:
                raise TimeoutError(f"read_until: condition not met within {timeout:.0f}s "
                                   f"({len(records)} records read from {topics})")
    finally:
        await consumer.stop()


async def _caught_up(consumer: AIOKafkaConsumer, positions: dict[tuple[str, int], int]) -> bool:
    partitions = list(consumer.assignment())
    ends = await consumer.end_offsets(partitions)
    return all(positions.get((tp.topic, tp.partition), 0) >= end for tp, end in ends.items())


async def until_committed(kafka: Kafka, group: str, topics: list[str], timeout: float = 300.0) -> None:
    """Wait until ``group`` has committed every record of ``topics`` up to their end (polled twice a second).

    The worker commits an input only once everything it caused is on the
    broker, so after this its outputs for those records can all be read.
    """
    admin = AIOKafkaAdminClient(**_connect(kafka))
    probe = AIOKafkaConsumer(**_connect(kafka))
    await admin.start()
    await probe.start()
    deadline = time.monotonic() + timeout
    try:
        partitions = [TopicPartition(t["topic"], p["partition"])
                      for t in await admin.describe_topics(topics) for p in t["partitions"]]
        while True:
            committed = await admin.list_consumer_group_offsets(group)
            ends = await probe.end_offsets(partitions)
            behind = sum(end - (committed[tp].offset if tp in committed else 0) for tp, end in ends.items())
            if behind == 0:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{group} left {behind} records of {topics} uncommitted ({timeout:.0f}s)")
            await asyncio.sleep(0.5)
    finally:
        await probe.stop()
        await admin.close()
