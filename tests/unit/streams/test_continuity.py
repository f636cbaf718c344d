"""The hole detector in front of the matcher (``streams.continuity``)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from streams.continuity import Continuity, Hole


def test_a_partition_read_in_order_from_its_commit_has_no_hole() -> None:
    c = Continuity()
    assert [c.check("log", 0, o, committed=10) for o in range(10, 20)] == [None] * 10


def test_a_first_event_past_the_commit_is_a_hole() -> None:
    assert Continuity().check("log", 2, 4691, committed=4475) == Hole("log", 2, 4475, 4691)
    assert str(Hole("log", 2, 4475, 4691)) == (
        "input_gap: log[2] offsets 4475..4690 were never delivered to the matcher"
    )


def test_a_jump_inside_the_stream_is_a_hole_and_partitions_are_separate() -> None:
    c = Continuity()
    assert c.check("log", 0, 5, committed=None) is None  # never committed: nothing to anchor on
    assert c.check("log", 1, 0, committed=None) is None
    assert c.check("log", 0, 6, committed=None) is None
    assert c.check("log", 0, 9, committed=None) == Hole("log", 0, 7, 9)
    assert c.check("log", 1, 1, committed=None) is None


def test_replays_below_the_expected_offset_are_not_holes() -> None:
    c = Continuity()
    for o in (3, 4, 5):
        assert c.check("log", 0, o, committed=3) is None
    assert c.check("log", 0, 4, committed=3) is None  # a replay
    assert c.check("log", 0, 6, committed=3) is None  # the replay did not move the expectation back


def test_after_a_rebalance_the_commit_anchors_again() -> None:
    c = Continuity()
    c.check("log", 0, 100, committed=100)
    c.forget()
    assert c.check("log", 0, 50, committed=50) is None
    c.forget()
    assert c.check("log", 0, 80, committed=60) == Hole("log", 0, 60, 80)


@given(st.integers(0, 1000), st.lists(st.integers(1, 50), max_size=30), st.data())
def test_exactly_the_skipped_records_are_reported(start: int, runs: list[int], data: st.DataObject) -> None:
    """Runs of contiguous offsets, each followed by an optional skip: every skip is found, nothing else."""
    c = Continuity()
    offset, found, skipped = start, [], []
    for run in runs:
        for _ in range(run):
            hole = c.check("log", 0, offset, committed=start)
            if hole:
                found.append((hole.first_missing, hole.delivered))
            offset += 1
        skip = data.draw(st.integers(0, 3))
        if skip:
            skipped.append((offset, offset + skip))
            offset += skip
    last = c.check("log", 0, offset, committed=start)
    if last:
        found.append((last.first_missing, last.delivered))
    assert found == skipped
