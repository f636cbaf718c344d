"""The small-cell rule: each table shown names nobody, and its total stays exact."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.disclosure import DEFAULT_THRESHOLD, suppress

tables = st.dictionaries(st.text(min_size=1, max_size=3), st.integers(0, 40), max_size=12)


@given(tables, st.integers(1, 10))
def test_the_total_is_exact_and_every_cell_is_shown_or_merged(counts: dict[str, int], k: int) -> None:
    t = suppress(counts, k)
    assert sum(t.cells.values()) + t.other == t.total == sum(counts.values())
    assert set(t.cells) | set(t.merged) == set(counts)
    assert not set(t.cells) & set(t.merged)
    assert list(t.cells) == [c for c in counts if c in t.cells]


@given(tables, st.integers(1, 10))
def test_no_shown_count_singles_anyone_out(counts: dict[str, int], k: int) -> None:
    t = suppress(counts, k)
    assert all(n == 0 or n >= k for n in t.cells.values())
    assert t.other == 0 or t.other >= k or t.other == t.total


@given(tables, st.integers(1, 10))
def test_a_lone_merged_cell_cannot_be_recovered_from_the_total(counts: dict[str, int], k: int) -> None:
    """Total minus the shown cells is ``other``: it must never be one small cell's exact count alone."""
    t = suppress(counts, k)
    if len(t.merged) == 1 and t.other < t.total:
        assert counts[t.merged[0]] >= k


def test_small_cells_merge_and_the_smallest_shown_cell_joins_a_small_other() -> None:
    t = suppress({"fisher": 12, "tailor": 2, "artist": 7, "builder": 0})
    assert t.cells == {"fisher": 12, "builder": 0}
    assert t.merged == ("tailor", "artist") and t.other == 9 and t.total == 21


def test_a_table_whose_cells_are_all_large_is_shown_whole() -> None:
    t = suppress({"a": 5, "b": 9})
    assert t.cells == {"a": 5, "b": 9} and t.other == 0 and t.merged == ()
    assert DEFAULT_THRESHOLD == 5


def test_a_small_total_becomes_one_other_cell() -> None:
    t = suppress({"a": 1, "b": 2})
    assert t.cells == {} and t.other == 3 and t.total == 3


@pytest.mark.parametrize("bad", [{"a": -1}])
def test_negative_counts_and_a_zero_threshold_are_refused(bad: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        suppress(bad)
    with pytest.raises(ValueError):
        suppress({"a": 1}, 0)
