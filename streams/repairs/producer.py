"""A Faust producer that is durable by default, and whose flush means flushed.

Two gaps in Faust's at-least-once guarantee are closed here:

* Faust turns on ``acks=all`` and idempotence only inside ``exactly_once``
  transactions; under at-least-once it sends with ``acks=1`` and no
  idempotence, so a leader failover can lose or duplicate an output.
* Table writes are queued in Faust's own buffer (``send_soon``), and the
  consumer commits offsets after ``producer.flush()``. But the buffer's
  flush gives up after 0.1 s without progress, so on a busy machine an
  offset can be committed while that event's changelog writes are still in
  Python memory; a crash then loses the state and never replays the event.
  Here every buffered message is tracked until delivered, and ``flush``
  waits for all of them.

It also sends a group of records as one batch per partition
(``send_batched``), without a future and a hash per record: the matcher's
outputs, and its table records (``streams.repairs.changelog``), whose deliveries
``flush`` waits for in the same way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from aiokafka import AIOKafkaProducer
from faust.transport.drivers.aiokafka import Producer
from faust.types import FutureMessage

__all__ = ["DurableProducer"]


_PARTITIONS_CACHED = 100_000
"""Keys whose partition is remembered (regions and pledge ids: a city has far fewer)."""

PartitionOf = Callable[[str, bytes | None], int]


def key_partition(producer: AIOKafkaProducer, topic: str, key: bytes | None) -> int:
    """The partition aiokafka's ``send`` picks for ``key`` (its partitioner; the topic's metadata known)."""
    return int(producer._partition(topic, None, None, None, key, None))


async def send_batched(
    producer: AIOKafkaProducer, records: Iterable[tuple[str, bytes | None, bytes]], partition_of: PartitionOf
) -> list[asyncio.Future[Any]]:
    """Send ``(topic, key, value)`` records, in order per partition; returns the batches' deliveries.

    One ``BatchBuilder`` per partition, handed over whole, and a new one when
    it is full: aiokafka's ``send`` costs a future, a murmur2 hash in Python
    and an accumulator lookup per record. Sending the matcher's outputs this
    way took producing from 25.5 % to 16.1 % of the worker's samples in
    ``benchmarks/worker_profile.py`` (README, Performance).
    """
    open_batches: dict[tuple[str, int], Any] = {}
    deliveries: list[asyncio.Future[Any]] = []
    known: set[str] = set()
    for topic, key, value in records:
        if topic not in known:
            await producer.client._wait_on_metadata(topic)  # what send() does first
            known.add(topic)
        partition = partition_of(topic, key)
        batch = open_batches.get((topic, partition))
        if batch is None:
            batch = open_batches[(topic, partition)] = producer.create_batch()
        if batch.append(key=key, value=value, timestamp=None) is None:  # full: send it, start another
            deliveries.append(await producer.send_batch(batch, topic, partition=partition))
            batch = open_batches[(topic, partition)] = producer.create_batch()
            if batch.append(key=key, value=value, timestamp=None) is None:
                raise ValueError(f"record_too_large: {len(value)} bytes for {topic}")
    for (topic, partition), batch in open_batches.items():
        deliveries.append(await producer.send_batch(batch, topic, partition=partition))
    return deliveries


class DurableProducer(Producer):
    _unsettled: set[asyncio.Future[Any]]
    _partitions: dict[tuple[str, bytes], int]

    def __post_init__(self) -> None:
        super().__post_init__()
        self._unsettled = set()
        self._partitions = {}

    async def send_batched(
        self, records: Iterable[tuple[str, bytes | None, bytes]], *, partition: int | None = None
    ) -> list[asyncio.Future[Any]]:
        """``send_batched`` on this producer: to each key's partition (remembered), or all to ``partition``.

        The deliveries are tracked as buffered messages are: ``flush`` waits for
        them, and raises if one failed.
        """
        partition_of = self._partition_of if partition is None else (lambda topic, key: partition)
        deliveries = await send_batched(self._ensure_producer(), records, partition_of)
        for delivery in deliveries:
            self._track(delivery)
        return deliveries

    def _partition_of(self, topic: str, key: bytes | None) -> int:
        if key is None:  # any partition, as send() does
            return key_partition(self._ensure_producer(), topic, None)
        found = self._partitions.get((topic, key))
        if found is None:
            if len(self._partitions) >= _PARTITIONS_CACHED:
                self._partitions.clear()
            found = self._partitions[(topic, key)] = key_partition(self._ensure_producer(), topic, key)
        return found

    def _settings_extra(self) -> Mapping[str, Any]:
        return {"acks": "all", "enable_idempotence": True}

    def _track(self, delivery: asyncio.Future[Any]) -> None:
        self._unsettled.add(delivery)
        delivery.add_done_callback(self._unsettled.discard)

    def send_soon(self, fut: FutureMessage) -> None:
        self._track(fut)
        super().send_soon(fut)

    async def flush(self) -> None:
        # The offsets about to be committed were chosen before this call, so
        # the writes they depend on are all queued by now; later ones can wait.
        queued = list(self._unsettled)
        await super().flush()
        if queued:
            # Delivered, or failed: a failure raises here and the commit is skipped.
            await asyncio.gather(*queued)
