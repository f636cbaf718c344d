"""A restarted worker's tables read back from their changelogs in bulk, not one queued event per record.

Faust's recovery (``Recovery._slurp_changelogs``) takes every changelog
record through the worker's consumer, its conductor, a ``faust.Event`` and
the ``changelog_queue``, one record per queue hop: about 3,500 records a
second on the benchmark's machine while the process stood mostly idle, so
a regency of 100,000 covered workers (about 400,000 records before
compaction) took 129 s to be ready. Here a consumer of its own, without a
group, reads each active changelog partition from where Faust would start
to its highwater in large fetches, decodes every record as Faust's
conductor does (the changelog topic's schema: its key and value types and
serializers) and hands the table a whole fetch at a time through the
table's own ``apply_changelog_batch`` (so the memory store also keeps the
partition of every key, which revocation needs, and a tombstone deletes).

Safe because it changes how records reach the table, not which: the same
partitions, from the same start offset to the same highwater Faust computed,
in offset order, applied by the same method. After each applied fetch the
partition's read offset in ``Recovery.active_offsets`` is set to its last
record, in the same synchronous step, so whenever the read stops (a
rebalance, a stop, a stalled broker) the table and Faust's bookkeeping agree
and Faust's own path reads whatever remains; when nothing remains, Faust
finds no recovery needed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError
from faust.exceptions import DecodeError
from faust.serializers.schemas import Schema
from faust.types import TP, AppT, CollectionT, EventT

from models.codec import loads as json_loads
from models.errors import DecodeError as JaringDecodeError

__all__ = ["FETCH_MAX_BYTES", "PARTITION_FETCH_BYTES", "Restored", "Target", "restore"]

log = logging.getLogger(__name__)

PARTITION_FETCH_BYTES = 16 * 1024 * 1024
"""Per partition and fetch: a compacted region-state segment arrives in a few requests, not thousands."""
FETCH_MAX_BYTES = 64 * 1024 * 1024
"""Per fetch, all partitions: bounds what one fetch holds in memory before it is applied."""


@dataclass(frozen=True)
class Target:
    """An active changelog partition: its table, the offset last read (Faust's -1 convention), its last."""

    table: CollectionT
    read: int
    highwater: int


@dataclass(frozen=True)
class Restored:
    """What one bulk read applied: counts and sizes only (no key or value ever leaves this module)."""

    records: int
    bytes: int
    partitions: int
    """Changelog partitions that had records to read."""
    seconds: float
    complete: bool
    """Every partition reached its highwater; else Faust's own recovery reads the rest."""


class _Message:
    """What ``apply_changelog_batch`` reads of a message: raw key and value, where it came from."""

    __slots__ = ("key", "offset", "partition", "topic", "tp", "value")

    def __init__(self, tp: TP, offset: int, key: bytes | None, value: bytes | None) -> None:
        self.tp, self.topic, self.partition = tp, tp.topic, tp.partition
        self.offset, self.key, self.value = offset, key, value


class _Event:
    """What ``apply_changelog_batch`` reads of an event: the decoded key and value, and the message."""

    __slots__ = ("key", "message", "value")

    def __init__(self, key: Any, value: Any, message: _Message) -> None:
        self.key, self.value, self.message = key, value, message


class _Decoder:
    """The changelog topic's decoding as Faust's conductor compiles it (``Schema.compile``).

    Jaring's region-state and person-index tables (``value_type=bytes``) have
    JSON string keys and raw bytes values. For that schema a record is
    decoded directly (``models.codec.loads`` for the key; the value as it is): Faust's chain
    looks its codec up by name and builds its reconstruction per record,
    about 22 µs a record, most of a restore's time. A key that is not a JSON
    string, and every other schema, takes Faust's chain, so the result is
    Faust's in every case (``tests/unit/streams/repairs/test_restore.py``).
    """

    def __init__(self, app: AppT, table: CollectionT) -> None:
        topic: Any = table.changelog_topic
        self.app, self.schema = app, topic.schema
        self.loads_key, self.loads_value = app.serializers.loads_key, app.serializers.loads_value
        schema = self.schema
        self.direct = (
            type(schema) is Schema and schema.key_type is None and schema.value_type is bytes
            and schema.key_serializer == "json" and schema.value_serializer == "raw"
        )

    def __call__(self, message: _Message) -> _Event:
        """The event Faust would build; raises ``DecodeError`` where Faust's conductor would."""
        if self.direct and message.key is not None:
            try:
                key = json_loads(message.key)
            except JaringDecodeError:
                key = None
            if type(key) is str:
                return _Event(key, message.value, message)
        schema, app = self.schema, self.app
        key = schema.loads_key(app, message, loads=self.loads_key)
        if message.value is None and schema.allow_empty:
            return _Event(key, None, message)
        return _Event(key, schema.loads_value(app, message, loads=self.loads_value), message)


async def restore(
    app: AppT,
    consumer_kwargs: Mapping[str, Any],
    targets: Mapping[TP, Target],
    *,
    applied: Callable[[TP, int], None],
    proceed: Callable[[], bool],
    stall_s: float,
) -> Restored:
    """Apply each target partition's records after ``read`` up to ``highwater`` to its table.

    ``applied(tp, offset)`` is called right after each apply, in the same
    synchronous step, with the last offset now in the table. Before each
    apply ``proceed()`` is asked: False (a rebalance started, the worker
    stops) ends the read with nothing half applied, as do ``stall_s``
    seconds without a record or a position moving (a broker that stopped
    answering: the read is bounded by progress, not by its length, which
    grows with the regency). Never raises for Kafka: on an error it
    returns what it applied, and Faust's recovery reads the rest.
    """
    started = progressed = time.monotonic()
    pending = {tp: target for tp, target in targets.items() if target.highwater > target.read}
    decoders = {tp: _Decoder(app, target.table) for tp, target in pending.items()}
    records = size = 0
    unread = set(pending)  # partitions not yet read to their highwater
    if not pending:
        return Restored(0, 0, 0, 0.0, True)
    consumer = AIOKafkaConsumer(
        **consumer_kwargs,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_uncommitted",
        max_partition_fetch_bytes=PARTITION_FETCH_BYTES,
        fetch_max_bytes=FETCH_MAX_BYTES,
    )
    kafka_tps = {tp: TopicPartition(tp.topic, tp.partition) for tp in pending}
    try:
        await consumer.start()
        consumer.assign(list(kafka_tps.values()))
        for tp, start in pending.items():
            consumer.seek(kafka_tps[tp], start.read + 1)
        while pending and proceed() and time.monotonic() - progressed < stall_s:
            fetched = await consumer.getmany(timeout_ms=500, max_records=None)
            if not proceed():
                break
            if fetched:
                progressed = time.monotonic()
            for ktp, batch in fetched.items():
                tp = TP(ktp.topic, ktp.partition)
                if (target := pending.get(tp)) is None:
                    continue
                events, undecodable = _decode(tp, batch, target.highwater, decoders[tp])
                if events:
                    target.table.apply_changelog_batch(cast(list[EventT[Any]], events))
                    applied(tp, events[-1].message.offset)
                    records += len(events)
                    size += sum(len(e.message.key or b"") + len(e.message.value or b"") for e in events)
                if undecodable:  # Faust's own path meets that record, as it always did
                    log.warning("Bulk restore leaves the rest of %s to Faust's recovery: a record does "
                                "not decode", tp)
                    consumer.pause(kafka_tps[tp])
                    del pending[tp]
            positions = {tp: await consumer.position(kafka_tps[tp]) for tp in pending}
            if not proceed():
                break
            for tp, position in positions.items():
                if position > pending[tp].highwater:
                    # Past the highwater: nothing lies between the last record and it (a compacted
                    # or control record's offset), so the partition is read to its end.
                    applied(tp, pending[tp].highwater)
                    consumer.pause(kafka_tps[tp])
                    del pending[tp]
                    unread.discard(tp)
                    progressed = time.monotonic()
    except KafkaError as exc:
        log.warning("Bulk restore stopped on a Kafka error (%s)", type(exc).__name__)
    finally:
        restored = Restored(records, size, len(kafka_tps), time.monotonic() - started, not unread)
        # Logged here, cancelled or not: what a read cut short by a rebalance applied stays applied.
        log.info("Bulk restore: %d records (%d bytes) from %d changelog partitions in %.2f s; %s",
                 restored.records, restored.bytes, restored.partitions, restored.seconds,
                 "complete" if restored.complete else "Faust's recovery reads the rest")
        await consumer.stop()
    return restored


def _decode(
    tp: TP, batch: Iterable[Any], highwater: int, decode: Callable[[_Message], _Event]
) -> tuple[list[_Event], bool]:
    """The batch's records up to ``highwater`` as events, up to the first that does not decode (True)."""
    events: list[_Event] = []
    for record in batch:
        if record.offset > highwater:
            break
        try:
            events.append(decode(_Message(tp, record.offset, record.key, record.value)))
        except DecodeError as exc:
            log.warning("Changelog record %s@%d does not decode (%s)", tp, record.offset, type(exc).__name__)
            return events, True
    return events, False
