"""The bulk restore's light events are read by Faust's own table code as its events would be.

No broker: decoding and applying are Faust's (the table, its memory store,
its changelog topic's schema); reading Kafka is covered by
``tests/integration/test_bulk_restore.py``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import faust
import pytest
from faust.exceptions import DecodeError
from faust.types import TP

from streams.repairs.restore import _decode, _Decoder, _Event, _Message

TOPIC = "restore-test-counts-changelog"


class Record:
    """An aiokafka ConsumerRecord's fields the restore reads."""

    def __init__(self, offset: int, key: bytes, value: bytes | None) -> None:
        self.offset, self.key, self.value = offset, key, value


def table() -> Any:
    app = faust.App("restore-test", broker="kafka://127.0.0.1:9", loop=asyncio.get_running_loop())
    return app, app.Table("counts", default=None, partitions=2)


async def test_a_tombstone_deletes_a_rewrite_wins_and_each_key_keeps_its_partition() -> None:
    app, counts = table()
    decode = _Decoder(app, counts)
    fetched = {
        TP(TOPIC, 0): [Record(0, b'"a"', b"[1, 1]"), Record(1, b'"b"', b"[1, 1]"),
                       Record(2, b'"a"', b"[2, 2]"), Record(3, b'"b"', None)],
        TP(TOPIC, 1): [Record(0, b'"c"', b"[5, 5]"), Record(1, b'"c"', None), Record(2, b'"c"', b"[6, 6]")],
    }
    for tp, records in fetched.items():
        events, undecodable = _decode(tp, records, 3, decode)
        assert len(events) == len(records) and not undecodable
        counts.apply_changelog_batch(events)

    assert dict(counts.data.items()) == {"a": [2, 2], "c": [6, 6]}
    # partition 1 moves to another worker: Faust drops its keys by the partition each was read from
    await counts.on_recovery_completed({TP(TOPIC, 0)}, set())
    assert dict(counts.data.items()) == {"a": [2, 2]}


async def test_records_past_the_highwater_are_left_and_the_first_undecodable_one_stops_the_batch() -> None:
    app, counts = table()
    decode = _Decoder(app, counts)
    tp = TP(TOPIC, 0)

    events, undecodable = _decode(tp, [Record(o, b'"a"', b"[1, 1]") for o in range(5)], 2, decode)
    assert [e.message.offset for e in events] == [0, 1, 2] and not undecodable

    records = [Record(0, b'"a"', b"[1, 1]"), Record(1, b"not json", b"[1, 1]"), Record(2, b'"a"', b"[2, 2]")]
    events, undecodable = _decode(tp, records, 9, decode)
    assert [e.message.offset for e in events] == [0] and undecodable


async def test_the_decoder_raises_where_fausts_compiled_decode_does() -> None:
    app, counts = table()
    decode = _Decoder(app, counts)
    message = _Message(TP(TOPIC, 0), 0, b"not json", b"[1, 1]")
    with pytest.raises(DecodeError):
        decode(message)
    event = decode(_Message(TP(TOPIC, 0), 1, b'"a"', None))
    assert isinstance(event, _Event) and event.key == "a" and event.value is None
