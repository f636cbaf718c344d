"""``jaring.demo.Answered``: BPJS and the payers read on from where they stopped, each output once.

``read_until`` reads every topic from its start each time; ``Answered.take``
must skip what an earlier read already took, by position, so a month's answers
cost only that month's outputs, and still hand every distinct output to the
simulator exactly once and audit the same as one read of everything.
"""

from __future__ import annotations

from functools import cache

from hypothesis import given
from hypothesis import strategies as st

from infra.topic_io import Record
from jaring.audit import audit
from jaring.bpjs import Simulator, drive
from jaring.demo import Answered
from jaring.scenario import kendari
from models.codec import encode
from models.eligibility import KENDARI
from models.events import Input, OutputEvent
from models.matcher import RegionMatcher
from models.topics import route
from tests.unit.factories import KEY

PARTITIONS = 2


@cache
def topic_records() -> tuple[Record, ...]:
    """The pure core's outputs for 12 workers over a year, laid out on topics and partitions as offsets."""
    s = kendari(workers=12)
    m = RegionMatcher("74.71", KEY, KENDARI)
    outputs: list[OutputEvent] = []

    def handle(event: Input) -> list[OutputEvent]:
        out = m.handle(event).outputs
        outputs.extend(out)
        return out

    drive([*s.applications, *s.pledges, *s.ticks], handle, Simulator())
    records: list[Record] = []
    ends: dict[tuple[str, int], int] = {}
    for n, event in enumerate(outputs):
        where = (route(event)[0], n % PARTITIONS)
        offset = ends.get(where, 0)
        ends[where] = offset + 1
        records.append(Record(where[0], where[1], offset, None, encode(event)))
    return tuple(records)


def read_prefix(records: tuple[Record, ...], upto: int) -> list[Record]:
    """What a read from the start sees once the first ``upto`` records have been written."""
    return list(records[:upto])


@given(st.lists(st.floats(0, 1), max_size=6))
def test_reads_from_the_start_hand_each_output_over_once_in_order_and_audit_as_one_read(
    cuts: list[float],
) -> None:
    records = topic_records()
    answered = Answered()
    handed: list[str] = []
    for upto in [*sorted(int(c * len(records)) for c in cuts), len(records)]:
        for record in read_prefix(records, upto):
            answered.take(record)
        handed += [e.event_id for e in answered.fresh()]

    whole = audit(list(records))
    assert handed == [e.event_id for e in whole.events]  # each once, in the order written
    assert answered.fresh() == []
    mine = answered.reader.audit()
    assert mine.ok and whole.ok
    assert (mine.counts, mine.duplicates) == (whole.counts, whole.duplicates)  # nothing decoded twice


def test_a_repeat_written_again_at_a_later_offset_is_dropped_not_answered_twice() -> None:
    first, second, *_ = topic_records()
    repeat = Record(first.topic, first.partition, 10_000, first.key, first.value)  # at-least-once delivery
    answered = Answered()
    for record in (first, second):
        answered.take(record)
    assert [e.event_id for e in answered.fresh()] == [e.event_id for e in audit([first, second]).events]
    for record in (first, second, repeat):  # the next read: from the start again, then the repeat
        answered.take(record)
    assert answered.fresh() == []
    assert answered.reader.result.duplicates == 1
    assert answered.reader.audit().ok

