"""A value kept in memory holds its own size, not the buffer orjson wrote it in.

orjson returns its 4 KiB (or larger) write buffer as the bytes object; a table
that keeps a million 300-byte records kept 4 GB of slack (``models.codec.kept``).
tracemalloc counts what each allocation asked for, so it sees the buffer.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from models.codec import dumps, encode, kept, loads
from models.events import MonthTick

RECORD = {"held": "w_0123456789abcdef01234567", "region": "7471", "since": "2026-01-05T01:00:00Z",
          "applications": ["app-7471-1", "app-7471-2"], "deceased": False}


def traced_per_value(make: Callable[[int], bytes], count: int = 500) -> float:
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        values = [make(i) for i in range(count)]
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(values) == count
    return grown / count


def test_what_dumps_writes_holds_about_its_size_where_orjsons_holds_its_buffer() -> None:
    size = len(dumps({**RECORD, "n": 0}))
    assert traced_per_value(lambda i: dumps({**RECORD, "n": i})) < size + 100  # + list slot, header
    tick = MonthTick(event_id="tick-0", event_time=datetime(2026, 2, 1, tzinfo=UTC), region="74.71",
                     period="2026-01")
    assert traced_per_value(lambda i: kept(encode(tick))) < len(encode(tick)) + 100
    assert traced_per_value(lambda i: encode(tick)) > 4 * len(encode(tick))  # why: encode does not copy


@given(st.recursive(st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(),
                    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=20))
@settings(max_examples=100)
def test_kept_is_the_same_bytes(value: object) -> None:
    data = dumps(value)
    assert kept(data) == data and loads(kept(data)) == value
