"""The city view counts life events: workers who left, and claims (counts only, never who)."""

from __future__ import annotations

import random
from typing import Any

from dashboard.read_model import CityView
from models.matcher import RegionMatcher
from models.topics import route
from tests.unit.factories import KEY, REGION, application, confirm_all, life_event, pledge

MONTH = 16_800


def story() -> list[Any]:
    """Two covered workers and two waiting: one covered dies, one has an accident, one waiting moves."""
    m = RegionMatcher(REGION, KEY)
    outputs: list[Any] = []

    def run(*events: Any) -> None:
        for e in events:
            outputs.extend(m.handle(e).outputs)

    run(application(serial=1, welfare_decile=1), application(serial=2, welfare_decile=1),
        pledge(amount_idr=2 * 12 * MONTH), application(serial=3), application(serial=4))
    run(*confirm_all(m))
    dead, hurt = m.covered()
    moving = m.waiting()[-1]
    run(life_event(dead, "deceased", "2025-01"), life_event(hurt, "accident_claim", "2025-01"),
        life_event(moving, "moved_out", "2025-01"))
    return outputs


def test_claims_and_withdrawals_are_counted_and_the_people_they_left_are_not() -> None:
    view = CityView()
    for o in story():
        view.apply(o)
    totals = view.snapshot(REGION).totals
    assert (totals.claims_jkm, totals.claims_jkk, totals.withdrawn) == (1, 1, 2)
    # the dead worker's seat went to the better-placed waiting worker (registering); one still covered;
    # the mover left the list: nobody waits
    assert (totals.covered, totals.registering, totals.waiting) == (1, 1, 0)


def test_the_counts_do_not_depend_on_the_order_topics_deliver_in() -> None:
    events = story()
    expected = CityView()
    for o in events:
        expected.apply(o)
    by_topic: dict[str, list[Any]] = {}
    for o in events:  # each topic keeps its own order; topics interleave in any order
        by_topic.setdefault(route(o)[0], []).append(o)
    rng = random.Random(7)
    for _ in range(20):
        queues = [list(q) for q in by_topic.values()]
        view = CityView()
        while any(queues):
            q = rng.choice([q for q in queues if q])
            view.apply(q.pop(0))
        assert view.snapshot(REGION).totals.model_dump() == expected.snapshot(REGION).totals.model_dump()
