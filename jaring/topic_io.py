"""Produce to and read back from topics, durably: for the demo, tests and benchmarks.

Producers wait for every in-sync replica with idempotence on, and readers
see only committed records, the same guarantees the engine itself uses.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

__all__ = ["Record", "read_until", "send_all"]


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes


async def send_all(bootstrap: str, topic: str, records: Iterable[tuple[bytes | None, bytes]]) -> int:
    """Send ``(key, value)`` pairs; return how many the broker acknowledged."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5
    )
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
    bootstrap: str,
    topics: list[str],
    done: Callable[[list[Record]], bool],
    timeout: float = 60.0,
) -> list[Record]:
    """Read ``topics`` from the beginning until ``done(records)`` or the timeout."""
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        isolation_level="read_committed",
        group_id=None,
    )
    await consumer.start()
    records: list[Record] = []
    deadline = time.monotonic() + timeout
    try:
        while not done(records) and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=250)
            for tp, messages in batch.items():
                records.extend(
                    Record(tp.topic, tp.partition, m.offset, m.key, m.value or b"") for m in messages
                )
    finally:
        await consumer.stop()
    return records
