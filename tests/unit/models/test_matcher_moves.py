"""A region's side of a move (``models.persons``): its answer to the engine's ``moved_out``, and the
carried benefit clocks of a person arriving. Rupiah as in ``test_matcher_life`` (Rp 16,800 a month)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from models.events import (
    ApplicationRejected,
    Carried,
    CoverageActivated,
    CoverageEnded,
    LifeEventRecorded,
    PersonReleased,
)
from models.matcher import RegionMatcher
from models.persons import move_id
from tests.unit.factories import KEY, REGION, T0, application, confirm_all, life_event, pledge, tick
from tests.unit.models.test_matcher_life import covered_region, of, run, worker_of


def engine_move(worker: str, effective: str, **overrides: Any) -> Any:
    """What the person index appends to the home region's log when ``worker`` applies elsewhere."""
    made = move_id(f"evt-elsewhere-{worker}")
    return life_event(worker, "moved_out", effective, event_id=made, **overrides)


def test_a_covered_worker_moved_by_the_engine_is_released_with_their_clocks() -> None:
    m, [w], _ = covered_region(seats=1, waiting=0)  # covered from 2025-01
    run(m, tick("2025-01"), tick("2025-02"))  # two months billed: the region is in 2025-03
    out = run(m, engine_move(w, "2025-02", event_time=T0 + timedelta(days=50)))
    [ended] = of(CoverageEnded, out)
    assert (ended.reason, ended.end_period, ended.months_covered) == ("moved_out", "2025-02", 2)
    [released] = of(PersonReleased, out)
    assert (released.worker, released.outcome, released.membership_since, released.covered_through,
            released.months_of_membership) == (w, "released", "2025-01", "2025-02", 2)
    assert released.move_id == move_id(f"evt-elsewhere-{w}") and released.region == REGION
    assert out.index(released) == len(out) - 1  # after what the life event did


def test_a_waiting_or_unknown_worker_is_released_without_clocks_and_a_deceased_one_is_not() -> None:
    m = RegionMatcher(REGION, KEY)
    app = application()
    run(m, app)
    w = worker_of(app)
    [waiting] = of(PersonReleased, run(m, engine_move(w, "2024-12")))
    assert (waiting.outcome, waiting.membership_since, waiting.covered_through) == ("released", None, None)
    stranger = worker_of(application(serial=77))
    [unknown] = of(PersonReleased, run(m, engine_move(stranger, "2024-12")))
    assert unknown.outcome == "released"
    other = application(serial=78)
    run(m, other, life_event(worker_of(other), "deceased", "2025-01"))
    [dead] = of(PersonReleased, run(m, engine_move(worker_of(other), "2024-12")))
    assert dead.outcome == "deceased"


def test_a_move_the_region_cannot_apply_is_refused_and_an_officers_report_says_nothing() -> None:
    m, [w], _ = covered_region(seats=1, waiting=0)
    ahead = run(m, engine_move(w, "2025-03"))  # the region is still in 2025-01
    [refused] = of(PersonReleased, ahead)
    assert refused.outcome == "refused" and m.status(w) == "covered"
    officer = run(m, life_event(w, "moved_out", "2025-01"))
    assert of(LifeEventRecorded, officer) and not of(PersonReleased, officer)


def test_a_carried_history_continues_membership_and_never_starts_in_a_covered_month() -> None:
    m = RegionMatcher(REGION, KEY)
    run(m, tick("2025-02"))  # the region is in 2025-03
    carried = Carried(from_region="74.72", membership_since="2024-11", covered_through="2025-02",
                      months_of_membership=4)
    moved = application(event_time=T0 + timedelta(days=50), carried=carried)
    run(m, moved, pledge(event_time=T0 + timedelta(days=50, hours=1)))
    [started] = of(CoverageActivated, run(m, *confirm_all(m)))
    assert (started.start_period, started.membership_since) == ("2025-03", "2024-11")
    # the other region still covers this month: no second cover, and no worker made
    n = RegionMatcher(REGION, KEY)
    run(n, tick("2025-02"))
    overlapping = carried.model_copy(update={"covered_through": "2025-03"})
    early = application(event_time=T0 + timedelta(days=50), carried=overlapping)
    [refused] = of(ApplicationRejected, run(n, early))
    assert refused.reason == "covered_elsewhere" and n.status(worker_of(early)) is None
