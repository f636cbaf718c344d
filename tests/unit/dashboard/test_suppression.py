"""No count the dashboard shows singles out a person (``models.disclosure``, threshold ``min_cell``).

Driven through the real engine's outputs (``city_story``): 200 workers over
Kendari's 11 districts and 9 trades, 100 of them seated, so some cells are
large and some are 1 to 4.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.read_model import MERGED, CityView
from dashboard.snapshot import Breakdown, CitySnapshot
from infra.settings import Settings
from models.events import CoverageActivated, OutputEvent
from tests.unit.dashboard.city_story import city

REGION = "74.71"
OUTPUTS = city(200, (60, 40))


def snapshot(events: tuple[OutputEvent, ...], min_cell: int) -> CitySnapshot:
    view = CityView(min_cell=min_cell)
    for event in events:
        view.apply(event)
    return view.snapshot(REGION)


def _check_column(rows: list[Breakdown], column: str, total: int, min_cell: int) -> None:
    shown = [getattr(r, column) for r in rows if not r.merged and getattr(r, column) is not None]
    other = sum(getattr(r, column) for r in rows if r.merged)
    assert all(n == 0 or n >= min_cell for n in shown), (column, shown)
    assert other == 0 or other >= min_cell or other == total, (column, other)
    assert sum(shown) + other == total  # totals stay exact


@settings(max_examples=40, deadline=None)
@given(cut=st.integers(min_value=0, max_value=len(OUTPUTS)), min_cell=st.integers(min_value=1, max_value=15))
def test_every_count_shown_is_zero_or_at_least_min_cell_and_the_columns_add_up(
    cut: int, min_cell: int
) -> None:
    snap = snapshot(OUTPUTS[:cut], min_cell)

    assert snap.min_cell == min_cell
    for rows in (snap.districts, snap.occupations):
        assert [r.key for r in rows if r.merged] in ([], [MERGED])
        assert not rows or rows[-1].merged or not any(r.merged for r in rows)  # the merged row comes last
        _check_column(rows, "covered", snap.totals.covered, min_cell)
        _check_column(rows, "waiting", snap.totals.waiting, min_cell)


def test_small_cells_exist_in_the_story_and_are_merged_at_five_but_shown_at_one() -> None:
    """Not vacuous: at 1 some covered cells are 1 to 4; at the default 5 none is."""
    raw, safe = snapshot(OUTPUTS, 1), snapshot(OUTPUTS, 5)

    small = {r.key for r in raw.occupations if r.covered is not None and 0 < r.covered < 5}
    assert small and all(r.covered is not None for r in raw.occupations)
    assert not any(r.merged for r in raw.districts + raw.occupations)
    merged = next(r for r in safe.occupations if r.merged)
    assert {r.key for r in safe.occupations if r.covered is None} >= small
    assert (merged.covered or 0) >= 5
    assert safe.totals == raw.totals


def test_the_feed_shows_no_pseudonym_nor_occupation_and_a_district_only_where_enough_are_covered() -> None:
    view = CityView(min_cell=10, recent=200)
    for event in OUTPUTS:
        view.apply(event)
    snap = view.snapshot(REGION)
    covered = {r.key: r.covered for r in snap.districts if not r.merged}
    seated = [e for e in OUTPUTS if isinstance(e, CoverageActivated)]

    named = [a.district for a in snap.recent if a.district is not None]
    assert named and len(named) < len(snap.recent)  # some districts are big enough, some are not
    assert all((covered.get(d) or 0) >= 10 for d in named)
    assert all(a.district_name is None for a in snap.recent if a.district is None)
    fields = set(snap.recent[0].model_dump())
    assert "worker" not in fields and "occupation" not in fields
    page = snap.model_dump_json()
    assert not any(e.worker in page for e in seated)


def test_min_cell_is_jaring_min_cell_five_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JARING_MIN_CELL", raising=False)
    assert Settings().min_cell == 5
    monkeypatch.setenv("JARING_MIN_CELL", "11")
    assert Settings().min_cell == 11
    monkeypatch.setenv("JARING_MIN_CELL", "0")
    with pytest.raises(ValueError, match="min_cell"):
        Settings()
