"""``infra.repeats.RecentIds``: each output folded once, holding only a window of months of ids.

Pure, so tested on the fold: streams of one (type, region) each in month order, as the engine writes
them, interleaved with each other and with redeliveries anywhere after their original.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from infra.repeats import NothingSeen, RecentIds


@dataclass(frozen=True)
class Out:
    event_id: str
    type: str
    region: str
    period: str


@dataclass(frozen=True)
class In:
    event_id: str


def streams(rng: random.Random, months: int, per_month: int) -> list[Out]:
    made = []
    for kind in ("coverage.committed", "funding.movement"):
        for region in ("74.71", "74.01"):
            for month in range(1, months + 1):
                made += [Out(f"{kind}:{region}:{month}:{n}", kind, region, f"2025-{month:02d}")
                         for n in range(rng.randint(0, per_month))]
    return made


def interleave(events: list[Out], rng: random.Random, repeats: int) -> list[Out]:
    queues: dict[tuple[str, str], list[Out]] = {}
    for e in events:
        queues.setdefault((e.type, e.region), []).append(e)
    merged: list[Out] = []
    while any(queues.values()):
        merged.append(queues[rng.choice(sorted(q for q in queues if queues[q]))].pop(0))
    for _ in range(repeats):
        original = rng.randrange(len(merged)) if merged else 0
        if merged:
            merged.insert(rng.randrange(original + 1, len(merged) + 1), merged[original])
    return merged


@given(st.randoms(use_true_random=False), st.integers(0, 40), st.integers(1, 3))
def test_every_output_is_first_exactly_once_whatever_the_interleaving_and_redeliveries(
    rng: random.Random, repeats: int, window: int
) -> None:
    events = streams(rng, months=9, per_month=6)
    seen = RecentIds(months=window)
    firsts = [e.event_id for e in interleave(events, rng, repeats) if seen.first(e)]
    assert sorted(firsts) == sorted(e.event_id for e in events)


def test_only_the_window_s_months_are_held() -> None:
    seen = RecentIds(months=2)
    for month in range(1, 13):
        for n in range(100):
            assert seen.first(Out(f"m{month}:{n}", "funding.movement", "74.71", f"2025-{month:02d}"))
        assert len(seen) <= 200
    assert not seen.first(Out("m3:0", "funding.movement", "74.71", "2025-03"))  # older: a repeat
    assert seen.stale == 1
    assert not seen.first(Out("m11:5", "funding.movement", "74.71", "2025-11"))  # inside: remembered


def test_events_without_a_month_are_held_exactly() -> None:
    seen = RecentIds()
    assert seen.first(In("pledge.api:a"))
    assert not seen.first(In("pledge.api:a"))
    assert len(seen) == 1


def test_a_window_needs_a_month_and_nothing_seen_holds_nothing() -> None:
    with pytest.raises(ValueError, match="at least one month"):
        RecentIds(months=0)
    nothing = NothingSeen()
    nothing.add("x")
    assert "x" not in nothing and len(nothing) == 0
