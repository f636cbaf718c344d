"""``infra.repeats.RecentIds``: each output folded once, holding only a window of months of ids.

Pure, so tested on the fold: streams (here one event kind in one region) each in month order, as the
engine writes them, interleaved with each other and with redeliveries anywhere after their original.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.read_model import ReadModel
from dashboard.read_model import CityView
from infra.repeats import NothingSeen, RecentIds
from models.events import Event, PledgeAccepted
from models.matcher import RegionMatcher
from tests.unit.factories import KEY, REGION, application, pledge, tick


@dataclass(frozen=True)
class Out:
    event_id: str
    type: str
    region: str
    period: str


def by_kind_and_region(e: Out) -> tuple[str, str]:
    """The stream of these stand-ins: what the fake topics keep in order."""
    return e.type, e.region


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
    seen = RecentIds(months=window, stream=by_kind_and_region)
    firsts = [e.event_id for e in interleave(events, rng, repeats) if seen.first(e)]
    assert sorted(firsts) == sorted(e.event_id for e in events)


def test_only_the_window_s_months_are_held() -> None:
    seen = RecentIds(months=2, stream=by_kind_and_region)
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


def test_two_pledges_accepted_months_apart_are_both_folded_whichever_partition_is_read_first() -> None:
    """``pledge-status.v1`` is keyed by pledge: a pledge accepted in May may be read before one accepted
    in January (another partition). A window per (type, region) took January's for a stale repeat;
    per (topic, key) it is folded, and the API and the dashboard both show it accepted."""
    m = RegionMatcher(REGION, KEY)
    outputs: list[Event] = []
    for event in (application(serial=500), pledge(pledge_id="pl-jan", event_id="p-jan"),
                  *(tick(f"2025-{month:02d}") for month in range(1, 5)),
                  pledge(pledge_id="pl-may", event_id="p-may", event_time=datetime(2025, 5, 2, tzinfo=UTC))):
        outputs.extend(m.handle(event).outputs)
    accepted = [e for e in outputs if isinstance(e, PledgeAccepted)]
    assert [(e.pledge_id, e.period) for e in accepted] == [("pl-jan", "2025-01"), ("pl-may", "2025-05")]
    late_first = [accepted[1], accepted[0]]
    model, view = ReadModel(), CityView()
    for event in late_first:
        assert model.apply(event) and view.apply(event)
    for pledge_id in ("pl-jan", "pl-may"):
        found = model.pledge("dealer-kendari", pledge_id)
        assert found is not None and found.status == "accepted"
    assert {p.pledge_id: p.status for p in view.snapshot(REGION).pledges} == {
        "pl-jan": "accepted", "pl-may": "accepted"
    }
