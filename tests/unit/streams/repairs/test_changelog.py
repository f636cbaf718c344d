"""Keys the worker writes itself leave with their partition, as keys read back from the changelog do.

No broker: what is under test is the memory store's bookkeeping around a
write (Faust's real Table, store and serializers); the producer only
records what it was handed. Sending is covered by the integration tests.
"""

from __future__ import annotations

import asyncio
from typing import Any

import faust
from faust.types import TP

from streams.repairs import changelog
from streams.repairs.changelog import TableData

SOURCE = "changelog-test-region-log"


class Producer:
    """What ``changelog.send`` calls on a ``DurableProducer``."""

    def __init__(self) -> None:
        self.sent: list[tuple[list[tuple[str, bytes, bytes | None]], int]] = []

    async def send_batched(
        self, records: list[tuple[str, bytes, bytes | None]], *, partition: int
    ) -> list[Any]:
        self.sent.append((records, partition))
        return []


class Source:
    def __init__(self, partition: int) -> None:
        self.topic, self.partition = SOURCE, partition


async def test_keys_written_here_are_dropped_when_their_partition_moves_and_kept_when_it_stays() -> None:
    app = faust.App("changelog-test", broker="kafka://127.0.0.1:9", loop=asyncio.get_running_loop())
    state = app.Table("state", default=None, partitions=2, value_type=bytes)
    state._verified_source_topics_for_partitions.add(SOURCE)  # noqa: SLF001 (no consumer to count partitions)
    data, producer = TableData(state), Producer()

    async def write(partition: int, records: list[tuple[str, bytes | None]]) -> None:
        for key, value in records:
            if value is None:
                data.pop(key, None)
            else:
                data[key] = value
        await changelog.send(state, producer, Source(partition), records)  # type: ignore[arg-type]

    await write(0, [("74.71|c", b"{}"), ("74.71|j|0", b"[]")])
    await write(1, [("74.72|c", b"{}"), ("74.72|w|w_1", b"{}")])
    await write(0, [("74.71|j|0", None)])  # a tombstone: the key is gone, its mark too
    assert [partition for _, partition in producer.sent] == [0, 1, 0]

    changelog_topic = state.changelog_topic.get_topic_name()
    await state.data.on_recovery_completed({TP(changelog_topic, 0)}, set())  # partition 1 moved away
    assert dict(data.items()) == {"74.71|c": b"{}"}
