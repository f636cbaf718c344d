"""The invariant checker (``jaring.audit``) with terms ended by life events: the chaos and end-to-end
runs' checks accept them, and still catch a term that overlaps another or a seat held twice."""

from __future__ import annotations

from typing import Any

from infra.topic_io import Record
from jaring.audit import audit, replay
from models.codec import encode
from models.events import CoverageEnded
from models.matcher import RegionMatcher
from models.topics import route
from tests.unit.factories import KEY, REGION, application, confirm_all, life_event, pay_all, pledge, tick

MONTH = 16_800


def story() -> tuple[list[Any], list[Any]]:
    """Two covered; one moves out after two billed months and comes back; one dies, a waiting worker
    takes the dead worker's ten unused months."""
    m = RegionMatcher(REGION, KEY)
    log: list[Any] = []
    outputs: list[Any] = []

    def run(*events: Any) -> None:
        for e in events:
            log.append(e)
            outputs.extend(m.handle(e).outputs)

    mover, dying = application(serial=1, welfare_decile=1), application(serial=2, welfare_decile=1)
    run(mover, dying, pledge(amount_idr=2 * 12 * MONTH))
    run(*confirm_all(m), tick("2025-01"), *pay_all(m), tick("2025-02"), *pay_all(m))
    moved, dead = m.covered()
    run(application(serial=3), life_event(moved, "moved_out", "2025-01"),
        life_event(dead, "deceased", "2025-02"))
    run(application(nik=mover.nik, application_id="app-back", event_id="evt-back"),
        pledge(pledge_id="second", amount_idr=12 * MONTH))
    run(*confirm_all(m), tick("2025-03"), *pay_all(m))
    return log, outputs


LOG, OUTPUTS = story()


def records(outputs: list[Any]) -> list[Record]:
    return [Record(route(o)[0], 0, n, None, encode(o)) for n, o in enumerate(outputs)]


def test_ended_terms_pass_every_check_and_replay_gives_the_same_outputs() -> None:
    ended = [o for o in OUTPUTS if isinstance(o, CoverageEnded)]
    assert sorted(e.seat for e in ended) == ["refilled", "remainder"]
    result = audit(records(OUTPUTS), applications=4)
    assert result.ok, result.violations
    log = [Record("region-log", 0, n, REGION.encode(), encode(e)) for n, e in enumerate(LOG)]
    assert replay(log, KEY) == {o.event_id: encode(o) for o in OUTPUTS}


def test_without_its_coverage_ended_the_moved_workers_terms_overlap_and_its_seat_is_held_twice() -> None:
    [moved] = [o for o in OUTPUTS if isinstance(o, CoverageEnded) and o.reason == "moved_out"]
    assert moved.seat == "refilled"  # the waiting worker took its ten months; the dead one's found nobody
    violations = audit(records([o for o in OUTPUTS if o is not moved])).violations
    assert any("overlap" in v for v in violations), violations
    assert any("seats held" in v for v in violations), violations
