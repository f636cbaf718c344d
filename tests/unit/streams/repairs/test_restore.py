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


async def test_jarings_tables_decode_directly_and_exactly_as_fausts_chain_does() -> None:
    """Region state and the person index (JSON string keys, raw bytes values) skip Faust's codec
    lookups; every key and value, tombstones, non-string and broken keys included, comes out as
    Faust's own chain makes it."""
    app = faust.App("restore-test", broker="kafka://127.0.0.1:9", loop=asyncio.get_running_loop())
    state = app.Table("state", default=None, partitions=2, value_type=bytes)
    direct, chain = _Decoder(app, state), _Decoder(app, state)
    chain.direct = False
    assert direct.direct and not _Decoder(*table()).direct  # the probe table's JSON values: Faust's chain
    tp = TP("restore-test-state-changelog", 0)
    keys = [b'"74.71|w|w_0123456789abcdef01234567"', b'"74.71|c"', b'"caf\\u00e9 \\"q\\""',
            '"Sulawesi é"'.encode(), b"5", b"[1, 2]", b'{"a": 1}', b"null"]
    values = [b'{"seq":3,"covered":true}', b"", None, b"\xff not json"]
    for offset, (key, value) in enumerate((k, v) for k in keys for v in values):
        message = _Message(tp, offset, key, value)
        fast, slow = direct(message), chain(message)
        assert (fast.key, fast.value) == (slow.key, slow.value)
        assert type(fast.key) is type(slow.key) and type(fast.value) is type(slow.value)
    for broken in (b"not json", b'"unterminated'):
        with pytest.raises(DecodeError):
            direct(_Message(tp, 99, broken, b"{}"))
