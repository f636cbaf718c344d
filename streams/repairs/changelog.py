"""A Faust table's records landed on its changelog as Kafka batches, not one buffered send per key.

``table[key] = value`` costs Faust a ``FutureMessage``, a trip through its
producer buffer and a send per key (17 % of a busy worker's samples in
``benchmarks/worker_profile.py``), and a full buffer throttles the consumer.
The matcher writes a region's records together (``streams.state``), so here
they go as one batch per changelog partition, in the order given: the
journal's crash guarantee rests on that order, which one partition and an
idempotent producer keep. The in-memory side is ``TableData``, the table's
store without the changelog hook. Faust's table recovery reads these
records back as its own: the same partition (the event's) and the same
serializers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, MutableMapping, Sequence
from typing import Any, cast

from faust.tables.base import Collection
from faust.types import TableT

from streams.repairs.producer import DurableProducer

__all__ = ["TableData", "send"]


class TableData(MutableMapping[str, Any]):
    """The table's local store: reads and writes that send nothing to the changelog."""

    def __init__(self, table: TableT[Any, Any]) -> None:
        self._table = cast(Collection, table)  # the concrete class: its store

    def __getitem__(self, key: str) -> Any:
        return self._table.data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._table.data[key] = value

    def __delitem__(self, key: str) -> None:
        del self._table.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table.data)

    def __len__(self) -> int:
        return len(self._table.data)

    def items(self) -> Any:  # the store's own view, not a lookup per key
        return self._table.data.items()


async def send(
    table: TableT[Any, Any], producer: DurableProducer, source: Any, records: Sequence[tuple[str, Any]]
) -> list[asyncio.Future[Any]]:
    """Send ``records`` to the changelog partition of ``source`` (the message that caused them), in order.

    Returns once they are in the producer's queue, with their deliveries; the
    producer's ``flush`` (before each offset commit) waits for those.
    """
    collection = cast(Collection, table)  # the concrete class: its serializers and partition check
    collection._verify_source_topic_partitions(source.topic)  # as Faust's own writes do
    topic = collection.changelog_topic
    name = topic.get_topic_name()
    keys, values = collection.key_serializer, collection.value_serializer
    prepared = [(name, topic.prepare_key(key, keys)[0], topic.prepare_value(value, values)[0])
                for key, value in records]
    _mark_partitions(collection, source.partition, records)
    return await producer.send_batched(prepared, partition=source.partition)


def _mark_partitions(collection: Collection, partition: int, records: Sequence[tuple[str, Any]]) -> None:
    """Note each written key's partition in the memory store, as its changelog recovery does.

    Faust's memory store drops, when a rebalance has settled, the keys of the
    partitions this worker no longer holds, but only keys whose partition it
    noted, and it notes them only while reading a changelog back. A key the
    worker wrote itself would outlive its partition's move: should the
    partition come back after the new owner deleted that key and compaction
    removed the tombstone, the stale record would return into the rebuilt
    region.
    """
    marks = getattr(collection.data, "_key_partition", None)
    if marks is None:  # not the memory store
        return
    for key, value in records:
        if value is None:
            marks.pop(key, None)
        else:
            marks[key] = partition
